"""Local needs routes: buyers and CVS bodies publish where need is greatest."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from svledger.web import CurrentPrincipal, IdempotencyKey, IfMatch, PageDep

from brokerage.api.dependencies import ContextDep, PublisherDep, ServiceDep, created, versioned
from brokerage.api.schemas import Outcome, Place, Text, Title
from brokerage.application.needs import get_needs, list_needs, publish_needs
from brokerage.domain.needs import LocalNeeds, Need, Priority

router = APIRouter(prefix="/local-needs", tags=["local needs"])

PriorityName = Literal["high", "medium", "low"]


class NeedIn(BaseModel):
    """A place, an outcome needed there, and how pressing it is."""

    model_config = ConfigDict(extra="forbid")

    place: Place
    outcome: Outcome
    priority: PriorityName
    note: Text = ""


class NeedsIn(BaseModel):
    """A local needs analysis: it replaces the one you published before."""

    model_config = ConfigDict(extra="forbid")

    title: Title
    needs: list[NeedIn] = Field(min_length=1, max_length=500)

    def needs_given(self) -> list[Need]:
        """The domain's view."""
        return [Need(n.place, n.outcome, Priority(n.priority), n.note) for n in self.needs]


class NeedOut(BaseModel):
    """One need in an analysis."""

    place: str
    outcome: str
    priority: str
    note: str


class NeedsOut(BaseModel):
    """A publisher's local needs analysis; ``version`` is also the ETag."""

    publisher: str
    title: str
    published_on: date
    needs: list[NeedOut]
    version: int

    @classmethod
    def of(cls, analysis: LocalNeeds) -> NeedsOut:
        """From the analysis's state."""
        return cls.model_validate(analysis.view())


class NeedListedOut(NeedOut):
    """A need, with who published it and when."""

    publisher: str
    published_on: date


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=NeedsOut,
    summary="Publish your local needs analysis",
)
async def post_needs(
    body: NeedsIn,
    publisher: PublisherDep,
    service: ServiceDep,
    version: IfMatch,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Publish needs by place and outcome with a priority; matching weighs asks towards them."""

    async def publish() -> NeedsOut:
        ctx = service.context
        return NeedsOut.of(
            await publish_needs(ctx, publisher, body.title, body.needs_given(), version)
        )

    return await created(
        service, publisher, key, body, action=publish, location="/local-needs/{publisher}"
    )


@router.get("", summary="Published local needs")
async def read_needs(
    _reader: CurrentPrincipal,
    ctx: ContextDep,
    page: PageDep,
    place: Annotated[str | None, Query(description="only needs in this place")] = None,
    priority: Annotated[PriorityName | None, Query(description="only this priority")] = None,
) -> list[NeedListedOut]:
    """Every publisher's current needs, highest priority first."""
    rows = await list_needs(ctx, place, priority, page)
    return [NeedListedOut.model_validate(r) for r in rows]


@router.get("/{publisher}", response_model=NeedsOut, summary="Read a local needs analysis")
async def read_analysis(publisher: str, _reader: CurrentPrincipal, ctx: ContextDep) -> JSONResponse:
    """One publisher's current analysis; its ETag is its version."""
    return versioned(NeedsOut.of(await get_needs(ctx, publisher)))
