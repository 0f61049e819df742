"""Bid routes: a supplier's own bids (list, read, revise, withdraw) and their history.

Bids are made through ``POST /tenders/{tender_id}/bids``.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from svledger.auth import Principal
from svledger.quantities import optional_figure
from svledger.web import CurrentPrincipal, IfMatch, PageDep, etag

from commitments.api.dependencies import ContextDep, SupplierDep
from commitments.api.schemas import Name, ProfileIn, Quantity, RuleWarningOut
from commitments.application.bids import (
    BidOnTender,
    get_bid,
    list_own_bids,
    revise_bid,
    withdraw_bid,
)
from commitments.domain.bid import CommitmentTerms, OfferTerms
from commitments.domain.tender import TenderStatus

router = APIRouter(prefix="/bids", tags=["bids"])


class CommitmentIn(BaseModel):
    """One commitment: a relevant measure, a total and how it is spread, where and with whom."""

    model_config = ConfigDict(extra="forbid")

    measure: str = Field(min_length=1, max_length=20, examples=["NT10"])
    quantity: Quantity = Field(description="the total over the contract, in the measure's unit")
    profile: ProfileIn = Field(default_factory=ProfileIn)
    place: Name
    vcfse_partner: Name | None = None
    narrative: str = Field(min_length=1, max_length=20_000)


class BidIn(BaseModel):
    """A social value offer."""

    model_config = ConfigDict(extra="forbid")

    commitments: list[CommitmentIn] = Field(min_length=1, max_length=100)
    method_statement: str = Field(min_length=1, max_length=50_000)
    additionality_declared: bool = Field(
        description="the commitments are additional to the core contract requirements"
    )

    def offer(self) -> OfferTerms:
        """The domain's view."""
        return OfferTerms(
            commitments=[
                CommitmentTerms(
                    measure=c.measure,
                    quantity=c.quantity,
                    profile=c.profile.profile(),
                    place=c.place,
                    narrative=c.narrative,
                    vcfse_partner=c.vcfse_partner,
                )
                for c in self.commitments
            ],
            method_statement=self.method_statement,
            additionality_declared=self.additionality_declared,
        )


class WithdrawalIn(BaseModel):
    """Why a bid is withdrawn (optional)."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=2000)


class ProfileOut(BaseModel):
    """A delivery profile as recorded."""

    kind: str
    weights: dict[str, str]


class CommitmentOut(BaseModel):
    """A commitment as recorded, with the quarterly targets its profile gives."""

    commitment_id: uuid.UUID
    measure: str
    theme: str
    outcome: str
    unit: str
    quantity: str
    profile: ProfileOut
    targets: dict[str, str]
    place: str
    vcfse_partner: str | None
    narrative: str
    proxy_value_gbp_per_unit: str | None
    proxy_value_gbp: str | None


class WithdrawalOut(BaseModel):
    """When and why a bid was withdrawn."""

    reason: str
    withdrawn_on: date


class EvaluationSummaryOut(BaseModel):
    """How the bid was scored."""

    qualitative_score: str
    rationale: str
    quantitative_score: str
    basis: str
    weighted_score: str
    award_contribution: str
    evaluated_on: date


class BidRevisionOut(BaseModel):
    """The offer as made in one revision."""

    revision: int
    submitted_on: date
    commitments: list[CommitmentOut]
    method_statement: str
    additionality_declared: bool
    total_proxy_value_gbp: str | None
    proxy_value_share: str | None
    warnings: list[RuleWarningOut]


class BidOut(BidRevisionOut):
    """A bid as it stands; ``version`` is also the ETag.

    ``status`` is submitted, withdrawn, awarded, unsuccessful or cancelled (the tender was).
    ``proxy_value_share`` is the offer's proxy value against the contract value.
    """

    bid_id: uuid.UUID
    version: int
    tender_id: uuid.UUID
    supplier: str
    buyer: str
    status: str
    framework_version: str
    fully_proxied: bool
    withdrawal: WithdrawalOut | None
    evaluation: EvaluationSummaryOut | None

    @classmethod
    def of(cls, made: BidOnTender, reader: Principal) -> BidOut:
        """From the bid and its tender; the supplier sees its evaluation once awarded."""
        shown = reader.organisation == made.tender.buyer or made.tender.status in (
            TenderStatus.AWARDED,
        )
        return cls.model_validate(
            {
                **made.bid.view(),
                "status": made.outcome,
                "evaluation": made.evaluation if shown else None,
            }
        )


class BidListedOut(BaseModel):
    """A bid in a list."""

    bid_id: uuid.UUID
    version: int
    tender_id: uuid.UUID
    supplier: str
    buyer: str
    status: str
    revision: int
    total_proxy_value_gbp: str | None
    submitted_on: date

    @classmethod
    def of(cls, row: dict[str, Any]) -> BidListedOut:
        """From a read-model row."""
        return cls.model_validate(
            {**row, "total_proxy_value_gbp": optional_figure(row["total_proxy_value_gbp"])}
        )


def _bid(made: BidOnTender, reader: Principal) -> JSONResponse:
    body = BidOut.of(made, reader).model_dump(mode="json")
    return JSONResponse(body, headers=etag(made.bid.version))


@router.get("", summary="List your bids")
async def read_bids(
    supplier: SupplierDep,
    ctx: ContextDep,
    page: PageDep,
    tender_id: Annotated[uuid.UUID | None, Query(description="only bids on this tender")] = None,
) -> list[BidListedOut]:
    """Your organisation's bids."""
    return [BidListedOut.of(r) for r in await list_own_bids(ctx, supplier, tender_id, page)]


@router.get("/{bid_id}", response_model=BidOut, summary="Read a bid")
async def read_bid(bid_id: uuid.UUID, reader: CurrentPrincipal, ctx: ContextDep) -> JSONResponse:
    """Your own bid; or, once the tender has closed, a bid on your tender."""
    return _bid(await get_bid(ctx, reader, bid_id), reader)


@router.get("/{bid_id}/revisions", summary="A bid's revisions")
async def read_bid_revisions(
    bid_id: uuid.UUID, reader: CurrentPrincipal, ctx: ContextDep
) -> list[BidRevisionOut]:
    """Every version of the offer, first to last."""
    made = await get_bid(ctx, reader, bid_id)
    return [BidRevisionOut.model_validate(r) for r in made.bid.revisions]


@router.put("/{bid_id}", response_model=BidOut, summary="Revise your bid")
async def put_bid(
    bid_id: uuid.UUID, body: BidIn, supplier: SupplierDep, ctx: ContextDep, version: IfMatch
) -> JSONResponse:
    """Replace your offer while the tender is open; earlier versions stay in the history."""
    return _bid(await revise_bid(ctx, supplier, bid_id, body.offer(), version), supplier)


@router.post("/{bid_id}/withdrawal", response_model=BidOut, summary="Withdraw your bid")
async def post_withdrawal(
    bid_id: uuid.UUID, body: WithdrawalIn, supplier: SupplierDep, ctx: ContextDep, version: IfMatch
) -> JSONResponse:
    """Withdraw your bid while the tender is open."""
    return _bid(await withdraw_bid(ctx, supplier, bid_id, body.reason, version), supplier)
