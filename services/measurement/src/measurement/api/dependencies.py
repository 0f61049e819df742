"""Dependencies the measurement routes share: the service, roles, and ``If-Match``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from svledger.auth import Principal, Role
from svledger.errors import ValidationFailed
from svledger.web import require_roles

from measurement.bootstrap import Measurement


def get_service(request: Request) -> Measurement:
    """The wired service held by the app."""
    service: Measurement = request.app.state.service
    return service


ServiceDep = Annotated[Measurement, Depends(get_service)]

SupplierDep = Annotated[Principal, Depends(require_roles(Role.SUPPLIER))]
BuyerDep = Annotated[Principal, Depends(require_roles(Role.BUYER))]
PartyDep = Annotated[Principal, Depends(require_roles(Role.BUYER, Role.SUPPLIER))]


def if_match(
    value: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description="the ETag you read; the write is refused with 412 if it has moved on",
        ),
    ] = None,
) -> int | None:
    """The version an ``If-Match`` header names (``"3"`` or ``W/"3"``); None when absent."""
    if value is None or value.strip() == "*":
        return None
    raw = value.strip().removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise ValidationFailed(
            'If-Match must be an ETag this service gave, like "3"', field="If-Match"
        )
    return int(raw)


IfMatch = Annotated[int | None, Depends(if_match)]


def etag(version: int) -> dict[str, str]:
    """The ETag header for an aggregate version."""
    return {"ETag": f'"{version}"'}
