"""The organisations directory read model: who is registered, where they work, who vouches."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection
from svledger.paging import Page

from brokerage.adapters.tables import (
    asks,
    deliveries,
    matches,
    organisation_places,
    organisation_vouches,
    organisations,
)


async def registered_by(conn: AsyncConnection, organisation_id: str) -> str | None:
    """Who registered an organisation (itself, or the CVS that speaks for it); None if unknown."""
    row = (
        await conn.execute(
            select(organisations.c.registered_by).where(
                organisations.c.organisation_id == organisation_id
            )
        )
    ).first()
    return None if row is None else str(row.registered_by)


async def organisation_row(conn: AsyncConnection, organisation_id: str) -> dict[str, Any] | None:
    """One organisation's directory row; None when it has not registered."""
    query = select(organisations).where(organisations.c.organisation_id == organisation_id)
    row = (await conn.execute(query)).mappings().first()
    return None if row is None else dict(row)


async def groups_registered_by(conn: AsyncConnection, cvs: str) -> list[str]:
    """The groups a CVS registered on their behalf (it speaks for them)."""
    query = select(organisations.c.organisation_id).where(
        organisations.c.registered_by == cvs, organisations.c.organisation_id != cvs
    )
    return [str(r.organisation_id) for r in await conn.execute(query)]


async def kind_of(conn: AsyncConnection, organisation_id: str) -> str | None:
    """The kind an organisation registered as; None when it has not registered."""
    row = (
        await conn.execute(
            select(organisations.c.kind).where(organisations.c.organisation_id == organisation_id)
        )
    ).first()
    return None if row is None else str(row.kind)


async def search_organisations(
    conn: AsyncConnection,
    *,
    kind: str | None,
    place: str | None,
    outcome: str | None,
    page: Page,
) -> list[dict[str, Any]]:
    """Organisations by kind and place, by name; an outcome matches regardless of case."""
    query = select(organisations).order_by(organisations.c.name, organisations.c.organisation_id)
    if kind is not None:
        query = query.where(organisations.c.kind == kind)
    if place is not None:
        query = query.where(
            organisations.c.organisation_id.in_(
                select(organisation_places.c.organisation_id).where(
                    organisation_places.c.place == place
                )
            )
        )
    rows = [dict(r) for r in (await conn.execute(query)).mappings()]
    if outcome is not None:
        wanted = outcome.strip().lower()
        # Outcomes are a short JSON list per organisation: filtered here on both backends.
        rows = [r for r in rows if wanted in {o.lower() for o in r["outcomes"]}]
    rows = rows[page.offset : page.offset + page.limit]
    vouches = await _vouches(conn, [r["organisation_id"] for r in rows])
    return [{**r, "vouched_by": vouches.get(r["organisation_id"], [])} for r in rows]


async def _vouches(
    conn: AsyncConnection, organisation_ids: list[str]
) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    if not organisation_ids:
        return found
    query = (
        select(organisation_vouches)
        .where(organisation_vouches.c.organisation_id.in_(organisation_ids))
        .order_by(organisation_vouches.c.vouched_on, organisation_vouches.c.cvs)
    )
    for row in (await conn.execute(query)).mappings():
        found.setdefault(row["organisation_id"], []).append(
            {"cvs": row["cvs"], "note": row["note"], "vouched_on": row["vouched_on"]}
        )
    return found


async def registered_places(
    conn: AsyncConnection, organisation_ids: Iterable[str]
) -> dict[str, frozenset[str]]:
    """The places each organisation registered as serving."""
    ids = list(set(organisation_ids))
    if not ids:
        return {}
    query = select(organisation_places).where(organisation_places.c.organisation_id.in_(ids))
    places: dict[str, set[str]] = {}
    for row in await conn.execute(query):
        places.setdefault(row.organisation_id, set()).add(row.place)
    return {k: frozenset(v) for k, v in places.items()}


async def groups_vouched_by(conn: AsyncConnection, cvs: str) -> list[dict[str, Any]]:
    """The groups a CVS vouches for, with how they are doing in the brokerage."""
    query = (
        select(organisations, organisation_vouches.c.vouched_on)
        .join(
            organisation_vouches,
            organisation_vouches.c.organisation_id == organisations.c.organisation_id,
        )
        .where(organisation_vouches.c.cvs == cvs)
        .order_by(organisations.c.name, organisations.c.organisation_id)
    )
    groups = [dict(r) for r in (await conn.execute(query)).mappings()]
    ids = [g["organisation_id"] for g in groups]
    open_asks = await _counts(
        conn,
        select(asks.c.vcfse, func.count())
        .where(asks.c.vcfse.in_(ids), asks.c.status.in_(("open", "partly_filled")))
        .group_by(asks.c.vcfse),
    )
    by_status: dict[tuple[str, str], int] = {}
    for row in await conn.execute(
        select(matches.c.vcfse, matches.c.status, func.count())
        .where(matches.c.vcfse.in_(ids))
        .group_by(matches.c.vcfse, matches.c.status)
    ):
        by_status[(row[0], row[1])] = int(row[2])
    confirmed = await _counts(
        conn,
        select(deliveries.c.vcfse, func.count())
        .where(deliveries.c.vcfse.in_(ids), deliveries.c.status == "confirmed")
        .group_by(deliveries.c.vcfse),
    )
    return [
        {
            **g,
            "registered_by_you": g["registered_by"] == cvs,
            "open_asks": open_asks.get(g["organisation_id"], 0),
            "matches_proposed": by_status.get((g["organisation_id"], "proposed"), 0),
            "matches_accepted": by_status.get((g["organisation_id"], "accepted"), 0),
            "deliveries_confirmed": confirmed.get(g["organisation_id"], 0),
        }
        for g in groups
    ]


async def _counts(conn: AsyncConnection, query: Any) -> dict[str, int]:
    return {row[0]: int(row[1]) for row in await conn.execute(query)}
