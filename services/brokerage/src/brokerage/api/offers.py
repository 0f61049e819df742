"""Offer routes: suppliers post what they can give VCFSE partners."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from svledger.web import CurrentPrincipal, IdempotencyKey, IfMatch, PageDep

from brokerage.api.asks import KindName
from brokerage.api.dependencies import ContextDep, ServiceDep, SupplierDep, created, versioned
from brokerage.api.schemas import Measure, Place, Quantity, Text, Title, Unit, quantity_out
from brokerage.application.offers import find_offers, get_offer, post_offer, withdraw_offer
from brokerage.domain.ask import AskKind
from brokerage.domain.offer import Offer, OfferTerms

router = APIRouter(prefix="/offers", tags=["offers"])


class OfferIn(BaseModel):
    """What a supplier can give, where, and optionally towards which obligation."""

    model_config = ConfigDict(extra="forbid")

    kind: KindName
    measures: list[Measure] = Field(min_length=1, max_length=20)
    places: list[Place] = Field(
        default_factory=list, max_length=50, description="where you registered, if left out"
    )
    title: Title
    description: Text = Field(min_length=1)
    quantity: Quantity | None = None
    unit: Unit | None = None
    available_until: date | None = None
    obligation_id: uuid.UUID | None = Field(
        default=None, description="one of your obligations this offer helps you meet"
    )

    def terms(self) -> OfferTerms:
        """The domain's view."""
        return OfferTerms(
            kind=AskKind(self.kind),
            measures=tuple(self.measures),
            places=tuple(self.places),
            title=self.title,
            description=self.description,
            quantity=self.quantity,
            unit=self.unit,
            available_until=self.available_until,
            obligation_id=None if self.obligation_id is None else str(self.obligation_id),
        )


class WithdrawalIn(BaseModel):
    """Why the offer is withdrawn."""

    model_config = ConfigDict(extra="forbid")

    reason: Text = ""


class OfferOut(BaseModel):
    """An offer as it stands; ``version`` is also the ETag."""

    offer_id: uuid.UUID
    supplier: str
    kind: str
    title: str
    description: str
    measures: list[str]
    places: list[str]
    quantity: str | None
    unit: str | None
    available_until: date | None
    obligation_id: uuid.UUID | None
    contract_id: uuid.UUID | None
    posted_on: date
    status: str = Field(examples=["open", "withdrawn"])
    version: int

    @classmethod
    def of(cls, offer: Offer) -> OfferOut:
        """From the offer's state."""
        return cls.model_validate(offer.view())


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=OfferOut, summary="Post an offer"
)
async def post_new_offer(
    body: OfferIn, supplier: SupplierDep, service: ServiceDep, key: IdempotencyKey = None
) -> JSONResponse:
    """Offer VCFSE partners support: what, where, and until when."""

    async def post() -> OfferOut:
        return OfferOut.of(await post_offer(service.context, supplier, body.terms()))

    return await created(service, supplier, key, body, action=post, location="/offers/{offer_id}")


@router.get("", summary="Search offers")
async def read_offers(
    *,
    _reader: CurrentPrincipal,
    ctx: ContextDep,
    page: PageDep,
    supplier: Annotated[str | None, Query(description="only this supplier's")] = None,
    measure: Annotated[str | None, Query(description="only offers counting in it")] = None,
    place: Annotated[str | None, Query(description="only offers in this place")] = None,
    status: Annotated[
        Literal["open", "withdrawn"] | None, Query(description="only offers in this state")
    ] = "open",
) -> list[OfferOut]:
    """Offers by supplier, measure, place and status (open ones, by default), newest first."""
    rows = await find_offers(
        ctx, supplier=supplier, measure=measure, place=place, status=status, page=page
    )
    return [OfferOut.model_validate({**r, "quantity": quantity_out(r["quantity"])}) for r in rows]


@router.get("/{offer_id}", response_model=OfferOut, summary="Read an offer")
async def read_offer(
    offer_id: uuid.UUID, _reader: CurrentPrincipal, ctx: ContextDep
) -> JSONResponse:
    """One offer; its ETag is its version."""
    return versioned(OfferOut.of(await get_offer(ctx, offer_id)))


@router.post("/{offer_id}/withdrawal", response_model=OfferOut, summary="Withdraw an offer")
async def post_withdrawal(
    offer_id: uuid.UUID,
    body: WithdrawalIn,
    supplier: SupplierDep,
    ctx: ContextDep,
    version: IfMatch,
) -> JSONResponse:
    """Withdraw one of your offers."""
    offer = await withdraw_offer(ctx, supplier, offer_id, body.reason, version)
    return versioned(OfferOut.of(offer))
