"""Dependencies the measurement routes share: the service, roles, and ``If-Match``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from svledger.auth import Principal, Role
from svledger.web import require_roles

from measurement.bootstrap import Measurement


async def get_service(request: Request) -> Measurement:
    """The wired service held by the app (async: a plain function would run in a thread)."""
    service: Measurement = request.app.state.service
    return service


ServiceDep = Annotated[Measurement, Depends(get_service)]

SupplierDep = Annotated[Principal, Depends(require_roles(Role.SUPPLIER))]
BuyerDep = Annotated[Principal, Depends(require_roles(Role.BUYER))]
PartyDep = Annotated[Principal, Depends(require_roles(Role.BUYER, Role.SUPPLIER))]
