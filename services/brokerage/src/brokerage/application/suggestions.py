"""Queries that rank: the suppliers that fit an ask, and the asks that fit a supplier."""

from __future__ import annotations

import uuid
from typing import Any

from svledger.auth import Principal
from svledger.errors import NotFound

from brokerage.adapters.asks import ask_row, facts, matchable_ask_rows
from brokerage.adapters.capabilities import market
from brokerage.adapters.matches import asks_in_live_matches
from brokerage.application.context import Context
from brokerage.application.parties import speaks_for
from brokerage.domain.ask import AskStatus
from brokerage.domain.matching import Suggestion, rank_asks, rank_suppliers


async def suppliers_for_ask(ctx: Context, caller: Principal, ask_id: uuid.UUID) -> list[Suggestion]:
    """Suppliers whose open obligations or offers fit the caller's ask, best fit first."""
    async with ctx.reading() as conn:
        row = await ask_row(conn, ask_id)
        if row is None or not await speaks_for(conn, caller, row["vcfse"]):
            raise NotFound(f"ask {ask_id} was not found among the asks you speak for")
        if not AskStatus(row["status"]).matchable:
            return []
        ask = facts(row)
        found = await market(conn, ctx.today(), measures=ask.measures)
    able = [c for c in found.capabilities if c.supplier != ask.vcfse]
    return rank_suppliers(ask, able, found.behind, found.needs, found.places)


async def opportunities(
    ctx: Context, supplier: Principal
) -> list[tuple[Suggestion, dict[str, Any]]]:
    """Open asks that fit what the caller's organisation owes or offers, best fit first, each
    with the ask; asks it is already matched with are left out."""
    async with ctx.reading() as conn:
        found = await market(conn, ctx.today(), supplier=supplier.organisation)
        measures = {c.measure for c in found.capabilities}
        rows = await matchable_ask_rows(conn, ctx.today(), measures)
        taken = await asks_in_live_matches(conn, supplier.organisation)
    asks = {
        str(r["ask_id"]): r
        for r in rows
        if str(r["ask_id"]) not in taken and r["vcfse"] != supplier.organisation
    }
    ranked = rank_asks(
        supplier.organisation,
        [facts(r) for r in asks.values()],
        found.capabilities,
        found.behind,
        found.needs,
        registered_places=found.places_of(supplier.organisation),
    )
    return [(s, asks[s.ask_id]) for s in ranked]
