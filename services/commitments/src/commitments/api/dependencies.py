"""Dependencies the commitments routes share: the service, roles, If-Match, paging."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from svledger.auth import Principal, Role
from svledger.errors import ValidationFailed
from svledger.web import require_roles

from commitments.adapters.read_models import Page
from commitments.application.context import Context
from commitments.bootstrap import Commitments

_ENTITY_TAG = re.compile(r'^(?:W/)?"?(\d{1,9})"?$')


def get_service(request: Request) -> Commitments:
    """The wired service held by the app."""
    service: Commitments = request.app.state.service
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


# Far beyond any real list, and inside the 64-bit OFFSET the databases take: a larger number
# is a 422 naming the field, not a database overflow.
MAX_OFFSET = 1_000_000_000


def page(
    limit: Annotated[int, Query(ge=1, le=500, description="at most this many")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="skip this many")] = 0,
) -> Page:
    """Which slice of a list to return."""
    return Page(limit=limit, offset=offset)


def etag(version: int) -> dict[str, str]:
    """The ETag header for a resource at ``version``."""
    return {"ETag": f'"{version}"'}


ServiceDep = Annotated[Commitments, Depends(get_service)]
ContextDep = Annotated[Context, Depends(get_context)]
IfMatch = Annotated[int | None, Depends(if_match)]
PageDep = Annotated[Page, Depends(page)]
BuyerDep = Annotated[Principal, Depends(require_roles(Role.BUYER))]
SupplierDep = Annotated[Principal, Depends(require_roles(Role.SUPPLIER))]
AdminDep = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
# Who records an organisation's pledge and policy: anyone acting for it but an auditor
# (auditors oversee; they read).
PledgerDep = Annotated[
    Principal,
    Depends(require_roles(Role.BUYER, Role.SUPPLIER, Role.VCFSE, Role.CVS, Role.ADMIN)),
]
