"""The supplier obligations read model: record what suppliers owe, and read it per party."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from brokerage.adapters.schema import supplier_obligations as table
from brokerage.domain.obligations import SupplierObligation


async def record_obligations(
    conn: AsyncConnection, obligations: Sequence[SupplierObligation]
) -> None:
    """Insert obligations; one already recorded is an error, never silently replaced."""
    if obligations:
        await conn.execute(table.insert(), [asdict(ob) for ob in obligations])


async def obligations_of(conn: AsyncConnection, organisation: str) -> list[SupplierObligation]:
    """Obligations under contracts ``organisation`` is party to, as supplier or buyer."""
    query = (
        select(table)
        .where(or_(table.c.supplier == organisation, table.c.buyer == organisation))
        .order_by(
            table.c.contract_ends_on, table.c.contract_id, table.c.measure, table.c.obligation_id
        )
    )
    rows = (await conn.execute(query)).mappings().all()
    return [SupplierObligation(**row) for row in rows]
