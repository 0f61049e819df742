"""The offers read model: what suppliers offer, by supplier, measure, place and status."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from svledger.paging import Page

from brokerage.adapters.tables import offer_measures, offers


async def search_offers(
    conn: AsyncConnection,
    *,
    supplier: str | None,
    measure: str | None,
    place: str | None,
    status: str | None,
    today: date,
    page: Page,
) -> list[dict[str, Any]]:
    """Offers, newest first; open ones only while available."""
    query = select(offers).order_by(offers.c.posted_on.desc(), offers.c.offer_id)
    if supplier is not None:
        query = query.where(offers.c.supplier == supplier)
    if measure is not None:
        query = query.where(
            offers.c.offer_id.in_(
                select(offer_measures.c.offer_id).where(offer_measures.c.measure == measure)
            )
        )
    if status is not None:
        query = query.where(offers.c.status == status)
    if status == "open":
        query = query.where(
            or_(offers.c.available_until.is_(None), offers.c.available_until >= today)
        )
    rows = [dict(r) for r in (await conn.execute(query)).mappings()]
    if place is not None:
        # Places are a short JSON list per offer: filtered here on both backends.
        rows = [r for r in rows if place in r["places"]]
    return rows[page.offset : page.offset + page.limit]
