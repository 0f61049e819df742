"""The matches read model: each organisation's matches (as supplier, VCFSE or buyer) and their
deliveries."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from svledger.paging import Page

from brokerage.adapters.tables import deliveries, matches
from brokerage.domain.match import MatchStatus


async def matches_of(
    conn: AsyncConnection,
    organisations: Iterable[str],
    *,
    status: str | None = None,
    ask_id: uuid.UUID | None = None,
    page: Page | None = None,
) -> list[dict[str, Any]]:
    """Matches any of ``organisations`` is party to (supplier, VCFSE or buyer), newest first,
    each with its deliveries."""
    parties = list(organisations)
    query = (
        select(matches)
        .where(
            or_(
                matches.c.supplier.in_(parties),
                matches.c.vcfse.in_(parties),
                matches.c.buyer.in_(parties),
            )
        )
        .order_by(matches.c.proposed_on.desc(), matches.c.score.desc(), matches.c.match_id)
    )
    if status is not None:
        query = query.where(matches.c.status == status)
    if ask_id is not None:
        query = query.where(matches.c.ask_id == ask_id)
    if page is not None:
        query = query.limit(page.limit).offset(page.offset)
    rows = [dict(r) for r in (await conn.execute(query)).mappings()]
    found = await _deliveries(conn, [r["match_id"] for r in rows])
    return [{**r, "deliveries": found.get(r["match_id"], [])} for r in rows]


async def _deliveries(
    conn: AsyncConnection, match_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    found: dict[uuid.UUID, list[dict[str, Any]]] = {}
    if not match_ids:
        return found
    query = (
        select(deliveries)
        .where(deliveries.c.match_id.in_(match_ids))
        .order_by(deliveries.c.delivered_on, deliveries.c.recorded_on, deliveries.c.delivery_id)
    )
    for row in (await conn.execute(query)).mappings():
        found.setdefault(row["match_id"], []).append(dict(row))
    return found


async def asks_in_live_matches(conn: AsyncConnection, supplier: str) -> set[str]:
    """Asks ``supplier`` is already proposed for or matched with (not declined)."""
    query = select(matches.c.ask_id).where(
        matches.c.supplier == supplier,
        matches.c.status != MatchStatus.DECLINED.value,
        matches.c.ask_id.is_not(None),
    )
    return {str(row.ask_id) for row in await conn.execute(query)}
