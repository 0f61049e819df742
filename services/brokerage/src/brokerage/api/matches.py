"""Match routes: propose, accept or decline, record deliveries, confirm or dispute them."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from svledger.web import CurrentPrincipal, IdempotencyKey, IfMatch, PageDep

from brokerage.api.dependencies import (
    ContextDep,
    MatchSideDep,
    ServiceDep,
    SupplierDep,
    VcfseSideDep,
    created,
    versioned,
)
from brokerage.api.schemas import DeliveryOut, MatchOut, OrganisationId, Quantity, Text
from brokerage.application.matches import (
    accept_match,
    confirm_delivery,
    decline_match,
    dispute_delivery,
    get_match,
    list_matches,
    propose_match,
    record_delivery,
)
from brokerage.domain.match import Delivery, Match

router = APIRouter(prefix="/matches", tags=["matches"])


class ProposalIn(BaseModel):
    """A supplier proposed for an ask: a supplier proposes itself; the ask's VCFSE names one."""

    model_config = ConfigDict(extra="forbid")

    ask_id: uuid.UUID
    supplier: OrganisationId | None = Field(
        default=None, description="the supplier (the VCFSE names it; a supplier leaves it out)"
    )
    offer_id: uuid.UUID | None = Field(default=None, description="the supplier's offer it uses")
    obligation_id: uuid.UUID | None = Field(
        default=None, description="the supplier's obligation it counts towards (else the best)"
    )


class DeclineIn(BaseModel):
    """Why the match is declined."""

    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=1)


class DeliveryIn(BaseModel):
    """What the supplier delivered, when, with a note."""

    model_config = ConfigDict(extra="forbid")

    quantity: Quantity
    delivered_on: date
    note: Text = ""

    def delivery(self) -> Delivery:
        """The domain's view."""
        return Delivery(self.quantity, self.delivered_on, self.note)


class DisputeIn(BaseModel):
    """What is wrong with the delivery."""

    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=1)


class RecordedDeliveryOut(DeliveryOut):
    """The delivery just recorded; ``version`` is the match's, also the ETag."""

    match_id: uuid.UUID
    version: int

    @classmethod
    def of(cls, match: Match, delivery_id: str) -> RecordedDeliveryOut:
        """The delivery as the match now holds it."""
        return cls.model_validate(
            {**match.delivery(delivery_id), "match_id": match.match_id, "version": match.version}
        )


def _out(match: Match) -> MatchOut:
    return MatchOut.of(match.view())


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=MatchOut, summary="Propose a match"
)
async def post_match(
    body: ProposalIn, caller: MatchSideDep, service: ServiceDep, key: IdempotencyKey = None
) -> JSONResponse:
    """Propose a supplier for an ask, scored with its reasons; proposing is accepting."""

    async def propose() -> MatchOut:
        return _out(
            await propose_match(
                service.context,
                caller,
                body.ask_id,
                supplier=body.supplier,
                offer_id=body.offer_id,
                obligation_id=body.obligation_id,
            )
        )

    return await created(service, caller, key, body, action=propose, location="/matches/{match_id}")


@router.get("", summary="Your matches")
async def read_matches(
    reader: CurrentPrincipal,
    ctx: ContextDep,
    page: PageDep,
    status: Annotated[
        Literal["proposed", "accepted", "declined"] | None, Query(description="only these")
    ] = None,
) -> list[MatchOut]:
    """Matches your organisation is party to as supplier, VCFSE or the contract's buyer (and,
    for a CVS, those of groups it registered), newest first, with their deliveries."""
    rows = await list_matches(ctx, reader, status, page)
    return [MatchOut.of(r) for r in rows]


@router.get("/{match_id}", response_model=MatchOut, summary="Read a match")
async def read_match(
    match_id: uuid.UUID, reader: CurrentPrincipal, ctx: ContextDep
) -> JSONResponse:
    """A match you are party to, with its deliveries; its ETag is its version."""
    return versioned(_out(await get_match(ctx, reader, match_id)))


@router.post("/{match_id}/acceptance", response_model=MatchOut, summary="Accept a match")
async def post_acceptance(
    match_id: uuid.UUID, caller: MatchSideDep, ctx: ContextDep, version: IfMatch
) -> JSONResponse:
    """Accept for your side; the match is accepted once both sides have."""
    return versioned(_out(await accept_match(ctx, caller, match_id, version)))


@router.post("/{match_id}/decline", response_model=MatchOut, summary="Decline a match")
async def post_decline(
    match_id: uuid.UUID, body: DeclineIn, caller: MatchSideDep, ctx: ContextDep, version: IfMatch
) -> JSONResponse:
    """Decline for your side, saying why."""
    return versioned(_out(await decline_match(ctx, caller, match_id, body.reason, version)))


@router.post(
    "/{match_id}/deliveries",
    status_code=status.HTTP_201_CREATED,
    response_model=RecordedDeliveryOut,
    summary="Record a delivery",
)
async def post_delivery(
    match_id: uuid.UUID,
    body: DeliveryIn,
    *,
    supplier: SupplierDep,
    service: ServiceDep,
    version: IfMatch,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Record support you delivered through an accepted match, for the VCFSE to confirm."""

    async def record() -> RecordedDeliveryOut:
        match, delivery_id = await record_delivery(
            service.context, supplier, match_id, body.delivery(), version
        )
        return RecordedDeliveryOut.of(match, delivery_id)

    request = {"match_id": str(match_id), **body.model_dump(mode="json")}
    return await created(
        service, supplier, key, request, action=record, location="/matches/{match_id}"
    )


@router.post(
    "/{match_id}/deliveries/{delivery_id}/confirmation",
    response_model=MatchOut,
    summary="Confirm a delivery",
)
async def post_confirmation(
    match_id: uuid.UUID,
    delivery_id: uuid.UUID,
    vcfse: VcfseSideDep,
    ctx: ContextDep,
    version: IfMatch,
) -> JSONResponse:
    """Confirm the support arrived as recorded: it counts as corroborated evidence."""
    return versioned(_out(await confirm_delivery(ctx, vcfse, match_id, delivery_id, version)))


@router.post(
    "/{match_id}/deliveries/{delivery_id}/dispute",
    response_model=MatchOut,
    summary="Dispute a delivery",
)
async def post_dispute(
    match_id: uuid.UUID,
    delivery_id: uuid.UUID,
    body: DisputeIn,
    *,
    vcfse: VcfseSideDep,
    ctx: ContextDep,
    version: IfMatch,
) -> JSONResponse:
    """Say the support did not arrive as recorded: it never counts as corroborated."""
    match = await dispute_delivery(
        ctx, vcfse, match_id, delivery_id, reason=body.reason, if_match=version
    )
    return versioned(_out(match))
