"""The local needs read model: every publisher's current needs by place and outcome."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection
from svledger.paging import Page

from brokerage.adapters.tables import local_needs
from brokerage.domain.needs import Need, Priority


async def all_needs(conn: AsyncConnection) -> list[Need]:
    """Every published need, for matching."""
    rows = await conn.execute(select(local_needs))
    return [
        Need(r.place, r.outcome, Priority(r.priority), r.note, publisher=r.publisher) for r in rows
    ]


async def search_needs(
    conn: AsyncConnection, *, place: str | None, priority: str | None, page: Page
) -> list[dict[str, Any]]:
    """Published needs by place and priority; highest priority first."""
    order = {"high": 0, "medium": 1, "low": 2}
    query = select(local_needs)
    if place is not None:
        query = query.where(local_needs.c.place == place)
    if priority is not None:
        query = query.where(local_needs.c.priority == priority)
    rows = [dict(r) for r in (await conn.execute(query)).mappings()]
    rows.sort(key=lambda r: (order[r["priority"]], r["place"], r["outcome"], r["publisher"]))
    return rows[page.offset : page.offset + page.limit]
