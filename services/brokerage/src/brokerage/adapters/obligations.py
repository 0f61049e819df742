"""The supplier obligations read model: record what suppliers owe, and read it per party."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from brokerage.adapters.schema import supplier_contracts
from brokerage.adapters.schema import supplier_obligations as table
from brokerage.domain.obligations import SupplierContract, SupplierObligation


async def record_contract(conn: AsyncConnection, contract: SupplierContract) -> None:
    """Insert a contract; one already recorded is an error, never silently replaced."""
    await conn.execute(
        supplier_contracts.insert().values(
            contract_id=contract.contract_id,
            reference=contract.reference,
            buyer=contract.buyer,
            supplier=contract.supplier,
            places=list(contract.places),
            ends_on=contract.ends_on,
            status=contract.status,
        )
    )


async def close_contract(conn: AsyncConnection, contract_id: str, status: str) -> None:
    """Mark a contract completed or terminated (a contract never recorded changes nothing)."""
    await conn.execute(
        update(supplier_contracts)
        .where(supplier_contracts.c.contract_id == uuid.UUID(contract_id))
        .values(status=status)
    )


async def contract(conn: AsyncConnection, contract_id: uuid.UUID) -> SupplierContract | None:
    """One recorded contract, if its award has reached the brokerage."""
    row = (
        await conn.execute(
            select(supplier_contracts).where(supplier_contracts.c.contract_id == contract_id)
        )
    ).first()
    if row is None:
        return None
    return SupplierContract(
        contract_id=row.contract_id,
        reference=row.reference,
        buyer=row.buyer,
        supplier=row.supplier,
        places=tuple(row.places),
        ends_on=row.ends_on,
        status=row.status,
    )


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


async def obligation_of(
    conn: AsyncConnection, supplier: str, obligation_id: uuid.UUID
) -> SupplierObligation | None:
    """One of ``supplier``'s obligations; None when it owes no such obligation."""
    query = select(table).where(
        table.c.obligation_id == obligation_id, table.c.supplier == supplier
    )
    row = (await conn.execute(query)).mappings().first()
    return None if row is None else SupplierObligation(**row)
