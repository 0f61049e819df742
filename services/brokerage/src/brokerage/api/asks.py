"""Ask routes: VCFSE organisations post what they need; suppliers find asks that fit."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal, Self

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator
from svledger.web import CurrentPrincipal, IdempotencyKey, IfMatch, PageDep

from brokerage.api.dependencies import ContextDep, ServiceDep, VcfseSideDep, created, versioned
from brokerage.api.schemas import (
    AskListedOut,
    Measure,
    OrganisationId,
    Outcome,
    Place,
    Quantity,
    SupplierSuggestionOut,
    Text,
    Title,
    Unit,
)
from brokerage.application.asks import close_ask, find_asks, get_ask, post_ask, update_ask
from brokerage.application.suggestions import suppliers_for_ask
from brokerage.domain.ask import Ask, AskKind, AskTerms, CloseReason

router = APIRouter(prefix="/asks", tags=["asks"])

KindName = Literal[
    "volunteering",
    "expert_business_advice",
    "equipment_or_resources",
    "funding",
    "work_placements",
    "supply_chain_opportunity",
]
StatusName = Literal["open", "partly_filled", "filled", "closed"]


class AskIn(BaseModel):
    """What a VCFSE needs from suppliers."""

    model_config = ConfigDict(extra="forbid")

    vcfse: OrganisationId | None = Field(
        default=None, description="a CVS names the group it posts for; a VCFSE leaves it out"
    )
    kind: KindName
    measures: list[Measure] = Field(
        default_factory=list,
        max_length=20,
        description="the TOM measures it counts in; the usual ones for its kind if left out",
    )
    quantity: Quantity
    unit: Unit
    place: Place
    needed_by: date
    title: Title
    description: Text = Field(min_length=1)
    outcomes: list[Outcome] = Field(
        default_factory=list,
        max_length=20,
        description="the outcomes it serves; those the VCFSE registered if left out",
    )

    def terms(self) -> AskTerms:
        """The domain's view."""
        return AskTerms(
            kind=AskKind(self.kind),
            measures=tuple(self.measures),
            quantity=self.quantity,
            unit=self.unit,
            place=self.place,
            needed_by=self.needed_by,
            title=self.title,
            description=self.description,
            outcomes=tuple(self.outcomes),
        )


class AskChangesIn(BaseModel):
    """The terms that change; the rest stay as they are."""

    model_config = ConfigDict(extra="forbid")

    kind: KindName | None = None
    measures: list[Measure] | None = Field(default=None, min_length=1, max_length=20)
    quantity: Quantity | None = None
    unit: Unit | None = None
    place: Place | None = None
    needed_by: date | None = None
    title: Title | None = None
    description: Text | None = Field(default=None, min_length=1)
    outcomes: list[Outcome] | None = Field(default=None, max_length=20)

    @model_validator(mode="after")
    def _something_changes(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("give at least one term to change")
        return self

    def changes(self) -> dict[str, Any]:
        """The changed terms, as the domain holds them."""
        given = {k: getattr(self, k) for k in self.model_fields_set}
        if given.get("kind") is not None:  # null, like every null here, leaves it as it was
            given["kind"] = AskKind(given["kind"])
        for listed in ("measures", "outcomes"):
            if listed in given:
                given[listed] = tuple(given[listed] or ())
        return {k: v for k, v in given.items() if v is not None}


class ClosureIn(BaseModel):
    """Why the ask closes."""

    model_config = ConfigDict(extra="forbid")

    reason: Literal["filled", "no_longer_needed", "expired", "withdrawn"]
    note: Text = ""


class AskOut(BaseModel):
    """An ask as it stands; ``version`` is also the ETag."""

    ask_id: uuid.UUID
    vcfse: str
    posted_by: str
    posted_on: date
    kind: str
    title: str
    description: str
    measures: list[str]
    quantity: str
    unit: str
    place: str
    outcomes: list[str]
    needed_by: date
    filled: str = Field(description="confirmed deliveries in the ask's unit")
    remaining: str
    status: str = Field(examples=["open", "partly_filled", "filled", "closed"])
    closed_on: date | None
    close_reason: str | None
    version: int

    @classmethod
    def of(cls, ask: Ask) -> AskOut:
        """From the ask's state."""
        return cls.model_validate(ask.view())


@router.post("", status_code=status.HTTP_201_CREATED, response_model=AskOut, summary="Post an ask")
async def post_new_ask(
    body: AskIn, caller: VcfseSideDep, service: ServiceDep, key: IdempotencyKey = None
) -> JSONResponse:
    """Ask suppliers for support: what, how much, where and by when."""

    async def post() -> AskOut:
        return AskOut.of(await post_ask(service.context, caller, body.vcfse, body.terms()))

    return await created(service, caller, key, body, action=post, location="/asks/{ask_id}")


@router.get("", summary="Search asks")
async def read_asks(
    *,
    _reader: CurrentPrincipal,
    ctx: ContextDep,
    page: PageDep,
    place: Annotated[str | None, Query(description="only asks in this place")] = None,
    measure: Annotated[str | None, Query(description="only asks counting in it")] = None,
    kind: Annotated[KindName | None, Query(description="only this kind of support")] = None,
    status: Annotated[StatusName | None, Query(description="only asks in this state")] = None,
) -> list[AskListedOut]:
    """Asks by place, measure, kind and status, soonest needed first."""
    rows = await find_asks(ctx, place=place, measure=measure, kind=kind, status=status, page=page)
    return [AskListedOut.of(r) for r in rows]


@router.get("/{ask_id}", response_model=AskOut, summary="Read an ask")
async def read_ask(ask_id: uuid.UUID, _reader: CurrentPrincipal, ctx: ContextDep) -> JSONResponse:
    """One ask; its ETag is its version."""
    return versioned(AskOut.of(await get_ask(ctx, ask_id)))


@router.patch("/{ask_id}", response_model=AskOut, summary="Change an ask")
async def patch_ask(
    ask_id: uuid.UUID, body: AskChangesIn, caller: VcfseSideDep, ctx: ContextDep, version: IfMatch
) -> JSONResponse:
    """Change the terms given; the others stay as they are."""
    return versioned(AskOut.of(await update_ask(ctx, caller, ask_id, body.changes(), version)))


@router.post("/{ask_id}/closure", response_model=AskOut, summary="Close an ask")
async def post_closure(
    ask_id: uuid.UUID, body: ClosureIn, caller: VcfseSideDep, ctx: ContextDep, version: IfMatch
) -> JSONResponse:
    """Close an ask: it is no longer offered to suppliers."""
    ask = await close_ask(
        ctx, caller, ask_id, reason=CloseReason(body.reason), note=body.note, if_match=version
    )
    return versioned(AskOut.of(ask))


@router.get("/{ask_id}/suggestions", summary="Suppliers that fit your ask")
async def read_suggestions(
    ask_id: uuid.UUID, caller: VcfseSideDep, ctx: ContextDep
) -> list[SupplierSuggestionOut]:
    """Suppliers whose open obligations or offers fit your ask, best first, each with its
    score and the reasons for it: measure fit, place fit, capacity, shortfall, local need."""
    suggestions = await suppliers_for_ask(ctx, caller, ask_id)
    return [SupplierSuggestionOut.of(s) for s in suggestions]
