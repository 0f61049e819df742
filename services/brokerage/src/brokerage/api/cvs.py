"""CVS routes: the groups a council for voluntary services vouches for."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, Field

from brokerage.api.dependencies import ContextDep, CvsDep
from brokerage.application.organisations import vouched_groups

router = APIRouter(prefix="/cvs", tags=["organisations"])


class GroupOut(BaseModel):
    """A group the CVS vouches for, and how it is doing in the brokerage."""

    organisation_id: str
    name: str
    form: str | None
    places: list[str]
    outcomes: list[str]
    vouched_on: date
    registered_by_you: bool = Field(description="you registered it, and speak for it")
    open_asks: int
    matches_proposed: int
    matches_accepted: int
    deliveries_confirmed: int


@router.get("/groups", summary="The groups you vouch for")
async def read_groups(cvs: CvsDep, ctx: ContextDep) -> list[GroupOut]:
    """Groups your CVS vouches for, with their open asks, matches and confirmed deliveries."""
    groups = await vouched_groups(ctx, cvs)
    return [GroupOut.model_validate(g) for g in groups]
