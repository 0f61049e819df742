"""The shortfalls read model: record under-delivery alerts, and read them per party."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Row, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from svledger.periods import Quarter

from brokerage.adapters.schema import shortfalls as table
from brokerage.domain.shortfalls import Shortfall


async def record_shortfall(conn: AsyncConnection, shortfall: Shortfall) -> None:
    """Insert a shortfall; one already recorded is an error, never silently replaced."""
    await conn.execute(
        table.insert().values(
            alert_id=shortfall.alert_id,
            contract_id=shortfall.contract_id,
            obligation_id=shortfall.obligation_id,
            supplier=shortfall.supplier,
            buyer=shortfall.buyer,
            measure=shortfall.measure,
            period=shortfall.period.label,
            severity=shortfall.severity,
            ratio=shortfall.ratio,
            raised_on=shortfall.raised_on,
            kind=shortfall.kind,
        )
    )


async def resolve_shortfall(conn: AsyncConnection, alert_id: str, resolved_on: date) -> None:
    """Mark a shortfall resolved (an alert that was never a shortfall changes nothing)."""
    await conn.execute(
        update(table).where(table.c.alert_id == uuid.UUID(alert_id)).values(resolved_on=resolved_on)
    )


async def shortfalls_of(conn: AsyncConnection, organisation: str) -> list[Shortfall]:
    """Shortfalls on contracts ``organisation`` is party to, newest first."""
    query = (
        select(table)
        .where(or_(table.c.supplier == organisation, table.c.buyer == organisation))
        .order_by(table.c.raised_on.desc(), table.c.period.desc(), table.c.alert_id)
    )
    return [_shortfall(row) for row in await conn.execute(query)]


def _shortfall(row: Row[Any]) -> Shortfall:
    return Shortfall(
        alert_id=row.alert_id,
        contract_id=row.contract_id,
        obligation_id=row.obligation_id,
        supplier=row.supplier,
        buyer=row.buyer,
        measure=row.measure,
        period=Quarter.parse(row.period),
        severity=row.severity,
        ratio=row.ratio,
        raised_on=row.raised_on,
        kind=row.kind,
        resolved_on=row.resolved_on,
    )
