"""Who may act for whom: a VCFSE for itself, a CVS for the small groups it registered."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection
from svledger.auth import Principal, Role

from brokerage.adapters.directory import registered_by


async def speaks_for(conn: AsyncConnection, principal: Principal, vcfse: str) -> bool:
    """True when ``principal`` may act as ``vcfse``: it is that VCFSE, or the CVS that
    registered the group on its behalf."""
    if principal.organisation == vcfse and principal.has(Role.VCFSE):
        return True
    if principal.has(Role.CVS) and principal.organisation != vcfse:
        return await registered_by(conn, vcfse) == principal.organisation
    return False
