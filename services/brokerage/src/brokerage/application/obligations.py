"""Queries on what suppliers owe."""

from __future__ import annotations

from svledger.auth import Principal
from svledger.database import Database

from brokerage.adapters.obligations import obligations_of
from brokerage.domain.obligations import SupplierObligation


async def list_obligations(database: Database, reader: Principal) -> list[SupplierObligation]:
    """Obligations under contracts the caller's organisation is party to; no one else's."""
    async with database.reader.connect() as conn:
        return await obligations_of(conn, reader.organisation)
