"""Queries on where suppliers fall short."""

from __future__ import annotations

from svledger.auth import Principal
from svledger.database import Database

from brokerage.adapters.shortfalls import shortfalls_of
from brokerage.domain.shortfalls import Shortfall


async def list_shortfalls(database: Database, reader: Principal) -> list[Shortfall]:
    """Shortfalls on contracts the caller's organisation is party to; no one else's."""
    async with database.reader.connect() as conn:
        return await shortfalls_of(conn, reader.organisation)
