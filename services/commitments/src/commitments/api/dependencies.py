"""Dependencies the commitments routes share: the service, roles, If-Match, paging."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from svledger.auth import Principal, Role
from svledger.web import require_roles

from commitments.application.context import Context
from commitments.bootstrap import Commitments


def get_service(request: Request) -> Commitments:
    """The wired service held by the app."""
    service: Commitments = request.app.state.service
    return service


def get_context(request: Request) -> Context:
    """What the application handlers work with."""
    return get_service(request).context


ServiceDep = Annotated[Commitments, Depends(get_service)]
ContextDep = Annotated[Context, Depends(get_context)]
BuyerDep = Annotated[Principal, Depends(require_roles(Role.BUYER))]
SupplierDep = Annotated[Principal, Depends(require_roles(Role.SUPPLIER))]
AdminDep = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
# Who records an organisation's pledge and policy: anyone acting for it but an auditor
# (auditors oversee; they read).
PledgerDep = Annotated[
    Principal,
    Depends(require_roles(Role.BUYER, Role.SUPPLIER, Role.VCFSE, Role.CVS, Role.ADMIN)),
]
