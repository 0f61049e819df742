"""Dependencies the brokerage routes share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from svledger.auth import Principal, Role
from svledger.web import require_roles

from brokerage.bootstrap import Brokerage


def get_service(request: Request) -> Brokerage:
    """The wired service held by the app."""
    service: Brokerage = request.app.state.service
    return service


ServiceDep = Annotated[Brokerage, Depends(get_service)]

# A caller speaking for a party to contracts: the supplier that owes, or the buyer owed.
PartyDep = Annotated[Principal, Depends(require_roles(Role.SUPPLIER, Role.BUYER))]
