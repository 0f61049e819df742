"""Dependencies the brokerage routes share: the service, roles, If-Match, paging, and the
responses of creating and versioned writes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from svledger.auth import Principal, Role
from svledger.web import etag, replayable, require_roles

from brokerage.application.context import Context
from brokerage.bootstrap import Brokerage


def get_service(request: Request) -> Brokerage:
    """The wired service held by the app."""
    service: Brokerage = request.app.state.service
    return service


def get_context(request: Request) -> Context:
    """What the application handlers work with."""
    return get_service(request).context


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
