"""Dependencies the brokerage routes share: the service, roles, If-Match, paging, and the
responses of creating and versioned writes."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Protocol

from fastapi import Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from svledger.auth import Principal, Role
from svledger.errors import ValidationFailed
from svledger.web import replayable, require_roles

from brokerage.adapters.paging import Page
from brokerage.application.context import Context
from brokerage.bootstrap import Brokerage

_ENTITY_TAG = re.compile(r'^(?:W/)?"?(\d{1,9})"?$')
# Far beyond any real list, and well inside the 64-bit OFFSET the databases take: a larger
# number is a 422 naming the field, not a database overflow.
MAX_OFFSET = 1_000_000_000


def get_service(request: Request) -> Brokerage:
    """The wired service held by the app."""
    service: Brokerage = request.app.state.service
    return service


def get_context(request: Request) -> Context:
    """What the application handlers work with."""
    return get_service(request).context


def if_match(
    value: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description='the version (ETag) you read, e.g. "3": refused with 412 if it moved on',
        ),
    ] = None,
) -> int | None:
    """The version an update expects, from ``If-Match``; None when absent or ``*``."""
    if value is None or value.strip() == "*":
        return None
    match = _ENTITY_TAG.match(value.strip())
    if match is None:
        raise ValidationFailed(
            f'If-Match must be an ETag this service gave, like "3", not {value!r}',
            field="If-Match",
        )
    return int(match.group(1))


def page(
    limit: Annotated[int, Query(ge=1, le=500, description="at most this many")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="skip this many")] = 0,
) -> Page:
    """Which slice of a list to return."""
    return Page(limit=limit, offset=offset)


def etag(version: int) -> dict[str, str]:
    """The ETag header for a resource at ``version``."""
    return {"ETag": f'"{version}"'}


class Versioned(Protocol):
    """A response body that carries the version of the aggregate it shows."""

    version: int

    def model_dump(self, *, mode: str) -> dict[str, Any]:
        """As JSON."""
        ...


def versioned(body: Versioned) -> JSONResponse:
    """The representation of an aggregate, with its version as the ETag."""
    return JSONResponse(body.model_dump(mode="json"), headers=etag(body.version))


async def created(
    service: Brokerage,
    caller: Principal,
    key: str | None,
    request: BaseModel | dict[str, Any],
    *,
    action: Callable[[], Awaitable[Versioned]],
    location: str,
) -> JSONResponse:
    """Run a creating command once per Idempotency-Key: 201 with Location and ETag, and the
    same response again for a retry with the same key and body."""

    async def run() -> tuple[int, dict[str, Any]]:
        return 201, (await action()).model_dump(mode="json")

    fingerprint = request if isinstance(request, dict) else request.model_dump(mode="json")
    outcome = await service.runtime.idempotency.run(caller.organisation, key, fingerprint, run)
    body = outcome.body
    return replayable(outcome, {"Location": location.format(**body), **etag(body["version"])})


ServiceDep = Annotated[Brokerage, Depends(get_service)]
ContextDep = Annotated[Context, Depends(get_context)]
IfMatch = Annotated[int | None, Depends(if_match)]
PageDep = Annotated[Page, Depends(page)]

# A caller speaking for a party to contracts: the supplier that owes, or the buyer owed.
PartyDep = Annotated[Principal, Depends(require_roles(Role.SUPPLIER, Role.BUYER))]
SupplierDep = Annotated[Principal, Depends(require_roles(Role.SUPPLIER))]
# A VCFSE, or a CVS speaking for a group it registered.
VcfseSideDep = Annotated[Principal, Depends(require_roles(Role.VCFSE, Role.CVS))]
CvsDep = Annotated[Principal, Depends(require_roles(Role.CVS))]
# Who publishes local needs analyses: buyers and CVS bodies.
PublisherDep = Annotated[Principal, Depends(require_roles(Role.BUYER, Role.CVS))]
# Either side of a match.
MatchSideDep = Annotated[Principal, Depends(require_roles(Role.SUPPLIER, Role.VCFSE, Role.CVS))]
# Anyone who may join the directory (auditors read; they do not register).
RegistrantDep = Annotated[
    Principal,
    Depends(require_roles(Role.VCFSE, Role.CVS, Role.SUPPLIER, Role.BUYER, Role.ADMIN)),
]
