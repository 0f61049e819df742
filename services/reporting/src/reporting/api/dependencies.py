"""Dependencies the reporting routes share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from svledger.auth import Principal, Role
from svledger.web import require_roles

from reporting.bootstrap import Reporting


def get_service(request: Request) -> Reporting:
    """The wired service held by the app."""
    service: Reporting = request.app.state.service
    return service


ServiceDep = Annotated[Reporting, Depends(get_service)]

# A party to contracts: which contracts it sees is decided per contract, by organisation.
PartyDep = Annotated[Principal, Depends(require_roles(Role.BUYER, Role.SUPPLIER))]
