"""Request and response pieces several brokerage routers share."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, Field
from svledger.quantities import figure, optional_figure

from brokerage.domain.matching import Suggestion

Quantity = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=4)]
Measure = Annotated[str, Field(min_length=1, max_length=20, examples=["NT17"])]
Place = Annotated[str, Field(min_length=1, max_length=200, examples=["Liverpool"])]
Outcome = Annotated[str, Field(min_length=1, max_length=300)]
OrganisationId = Annotated[str, Field(min_length=1, max_length=150, examples=["sefton-cvs"])]
Title = Annotated[str, Field(min_length=1, max_length=300)]
Text = Annotated[str, Field(max_length=4000)]
Unit = Annotated[str, Field(min_length=1, max_length=100, examples=["hours"])]


class ReasonOut(BaseModel):
    """One reason a suggestion scores what it does; the points add up to the score."""

    factor: str = Field(examples=["measure", "place", "capacity", "shortfall", "local_need"])
    points: str = Field(examples=["40"])
    detail: str


class AskListedOut(BaseModel):
    """An ask in a list."""

    ask_id: uuid.UUID
    vcfse: str
    posted_by: str
    kind: str
    title: str
    description: str
    measures: list[str]
    quantity: str
    unit: str
    filled: str
    remaining: str
    place: str
    outcomes: list[str]
    needed_by: date
    status: str
    posted_on: date
    version: int

    @classmethod
    def of(cls, row: dict[str, Any]) -> AskListedOut:
        """From a read-model row."""
        remaining = max(row["quantity"] - row["filled"], Decimal(0))
        return cls.model_validate(
            {
                **row,
                "quantity": figure(row["quantity"]),
                "filled": figure(row["filled"]),
                "remaining": figure(remaining),
            }
        )


class DeliveryOut(BaseModel):
    """Support the supplier says it delivered, and what the VCFSE said about it."""

    delivery_id: uuid.UUID
    quantity: str
    unit: str
    delivered_on: date
    period: str = Field(description="the financial-year quarter it was delivered in")
    note: str
    status: str = Field(examples=["recorded", "confirmed", "disputed"])
    recorded_on: date
    confirmed_by: str | None
    confirmed_on: date | None
    dispute_reason: str | None
    disputed_on: date | None


class MatchOut(BaseModel):
    """A match as it stands; ``version`` is also the ETag."""

    match_id: uuid.UUID
    ask_id: uuid.UUID | None
    offer_id: uuid.UUID | None
    supplier: str
    vcfse: str
    buyer: str | None = Field(description="the buyer of the contract it helps deliver")
    measure: str
    unit: str
    obligation_id: uuid.UUID | None
    contract_id: uuid.UUID | None
    alert_id: uuid.UUID | None = Field(description="the shortfall alert that prompted it")
    score: str
    reasons: list[ReasonOut]
    proposed_by: str = Field(description="system, or the organisation that proposed it")
    proposed_on: date
    status: str = Field(examples=["proposed", "accepted", "declined"])
    supplier_accepted: bool
    vcfse_accepted: bool
    declined_by: str | None
    decline_reason: str | None
    deliveries: list[DeliveryOut]
    version: int

    @classmethod
    def of(cls, view: dict[str, Any]) -> MatchOut:
        """From the match's state (strings) or its read-model row (decimals)."""
        return cls.model_validate(
            {
                **view,
                "score": _figure(view["score"]),
                "deliveries": [
                    {**d, "quantity": _figure(d["quantity"])} for d in view["deliveries"]
                ],
            }
        )


class SupplierSuggestionOut(BaseModel):
    """A supplier that fits an ask, why, and how well."""

    supplier: str
    score: str
    reasons: list[ReasonOut]
    measure: str = Field(description="the measure a match would be about")
    measures: list[str] = Field(description="the ask's measures the supplier owes or offers")
    offer_id: uuid.UUID | None

    @classmethod
    def of(cls, s: Suggestion) -> SupplierSuggestionOut:
        """From a scored suggestion."""
        return cls(
            supplier=s.supplier,
            score=figure(s.score),
            reasons=[ReasonOut.model_validate(r.as_json()) for r in s.reasons],
            measure=s.measure,
            measures=list(s.measures),
            offer_id=None if s.offer_id is None else uuid.UUID(s.offer_id),
        )


class OpportunityOut(BaseModel):
    """An ask that fits what the supplier owes or offers, why, and how well."""

    ask: AskListedOut
    score: str
    reasons: list[ReasonOut]
    measure: str = Field(description="the measure a match would be about")
    measures: list[str] = Field(description="the ask's measures the supplier owes or offers")
    obligation_id: uuid.UUID | None = Field(description="the obligation it would count towards")
    contract_id: uuid.UUID | None
    offer_id: uuid.UUID | None

    @classmethod
    def of(cls, s: Suggestion, ask: dict[str, Any]) -> OpportunityOut:
        """From a scored suggestion and the ask's row."""
        return cls(
            ask=AskListedOut.of(ask),
            score=figure(s.score),
            reasons=[ReasonOut.model_validate(r.as_json()) for r in s.reasons],
            measure=s.measure,
            measures=list(s.measures),
            obligation_id=_uuid(s.obligation_id),
            contract_id=_uuid(s.contract_id),
            offer_id=_uuid(s.offer_id),
        )


def _figure(value: Any) -> str:
    return value if isinstance(value, str) else figure(value)


def _uuid(value: str | None) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(value)


def quantity_out(value: Decimal | None) -> str | None:
    """A quantity as an exact decimal string (null stays null)."""
    return optional_figure(value)
