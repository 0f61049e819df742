"""The asks read model: search asks, and the open ones matching can offer to suppliers."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncConnection
from svledger.paging import Page

from brokerage.adapters.tables import ask_measures, asks
from brokerage.domain.ask import AskStatus
from brokerage.domain.matching import AskFacts

MATCHABLE = tuple(s.value for s in AskStatus if s.matchable)


async def search_asks(
    conn: AsyncConnection,
    *,
    place: str | None = None,
    measure: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    vcfse: str | None = None,
    page: Page | None = None,
) -> list[dict[str, Any]]:
    """Asks by place, measure, kind, status and asking organisation; soonest needed first."""
    query = select(asks).order_by(asks.c.needed_by, asks.c.posted_on, asks.c.ask_id)
    if place is not None:
        query = query.where(asks.c.place == place)
    if measure is not None:
        query = query.where(asks.c.ask_id.in_(_with_measures([measure])))
    if kind is not None:
        query = query.where(asks.c.kind == kind)
    if status is not None:
        query = query.where(asks.c.status == status)
    if vcfse is not None:
        query = query.where(asks.c.vcfse == vcfse)
    if page is not None:
        query = query.limit(page.limit).offset(page.offset)
    return [dict(r) for r in (await conn.execute(query)).mappings()]


async def ask_row(conn: AsyncConnection, ask_id: uuid.UUID) -> dict[str, Any] | None:
    """One ask's row."""
    row = (await conn.execute(select(asks).where(asks.c.ask_id == ask_id))).mappings().first()
    return None if row is None else dict(row)


async def matchable_ask_rows(
    conn: AsyncConnection, today: date, measures: Iterable[str] | None = None
) -> list[dict[str, Any]]:
    """Open and partly filled asks still needed, counting in any of ``measures`` if given."""
    query = select(asks).where(asks.c.status.in_(MATCHABLE), asks.c.needed_by >= today)
    if measures is not None:
        query = query.where(asks.c.ask_id.in_(_with_measures(list(measures))))
    return [dict(r) for r in (await conn.execute(query)).mappings()]


async def matchable_asks(
    conn: AsyncConnection, today: date, measures: Iterable[str] | None = None
) -> list[AskFacts]:
    """As :func:`matchable_ask_rows`, as matching needs them."""
    return [facts(r) for r in await matchable_ask_rows(conn, today, measures)]


def facts(row: dict[str, Any]) -> AskFacts:
    """What matching needs from an ask's row."""
    return AskFacts(
        ask_id=str(row["ask_id"]),
        vcfse=row["vcfse"],
        measures=tuple(row["measures"]),
        place=row["place"],
        outcomes=tuple(row["outcomes"]),
        remaining=max(row["quantity"] - row["filled"], Decimal(0)),
        unit=row["unit"],
        needed_by=row["needed_by"],
    )


def _with_measures(measures: list[str]) -> Select[tuple[uuid.UUID]]:
    return select(ask_measures.c.ask_id).where(ask_measures.c.measure.in_(measures))
