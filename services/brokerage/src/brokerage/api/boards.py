"""Board routes: a VCFSE's asks and matches; a supplier's opportunities."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from brokerage.api.dependencies import ContextDep, SupplierDep, VcfseSideDep
from brokerage.api.schemas import AskListedOut, MatchOut, OpportunityOut
from brokerage.application.matches import board
from brokerage.application.suggestions import opportunities

router = APIRouter(tags=["boards"])


class BoardOut(BaseModel):
    """A VCFSE's asks (soonest needed first) and matches (newest first)."""

    organisation: str
    asks: list[AskListedOut]
    matches: list[MatchOut]


@router.get("/board", summary="Your asks and matches")
async def read_board(
    caller: VcfseSideDep,
    ctx: ContextDep,
    vcfse: Annotated[
        str | None, Query(description="a CVS names a group it registered; else your own")
    ] = None,
) -> BoardOut:
    """Your VCFSE's asks and matches, with deliveries to confirm."""
    found = await board(ctx, caller, vcfse)
    return BoardOut(
        organisation=found["organisation"],
        asks=[AskListedOut.of(a) for a in found["asks"]],
        matches=[MatchOut.of(m) for m in found["matches"]],
    )


@router.get("/opportunities", summary="Asks that fit what you owe or offer")
async def read_opportunities(supplier: SupplierDep, ctx: ContextDep) -> list[OpportunityOut]:
    """Open asks that fit your open obligations and offers, best first, each with its score
    and the reasons for it; asks you are already matched with are left out."""
    found = await opportunities(ctx, supplier)
    return [OpportunityOut.of(s, ask) for s, ask in found]
