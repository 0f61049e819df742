"""Tender routes: draft, revise, publish, close, cancel; bids on a tender; evaluation; award."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from svledger.quantities import figure
from svledger.web import CurrentPrincipal, IdempotencyKey, IfMatch, PageDep, etag, replayable

from commitments.adapters.read_models import TenderFilter
from commitments.api.bids import BidIn, BidListedOut, BidOut
from commitments.api.contracts import ContractOut
from commitments.api.dependencies import BuyerDep, ContextDep, ServiceDep, SupplierDep
from commitments.api.schemas import Money, Name, RuleWarningOut
from commitments.application.bids import list_tender_bids, submit_bid
from commitments.application.tenders import (
    AwardRequest,
    TenderRequest,
    award_tender,
    cancel_tender,
    close_tender,
    draft_tender,
    evaluate_bid,
    get_buyers_tender,
    get_tender,
    list_tenders,
    publish_tender,
    revise_tender,
)
from commitments.domain.tender import Tender

router = APIRouter(prefix="/tenders", tags=["tenders"])

Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]


class TenderTermsIn(BaseModel):
    """A tender's terms. Measures default to your policy's priorities, places to the nine
    Cheshire and Merseyside boroughs."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=20_000)
    estimated_value_gbp: Money = Field(gt=0)
    contract_starts_on: date
    contract_ends_on: date
    social_value_weighting: Percent = Field(
        description="social value's share of the total award score, % (at least 10)"
    )
    qualitative_weight: Percent = Field(
        default=Decimal(60), description="qualitative share of the social value score, %"
    )
    quantitative_weight: Percent = Field(
        default=Decimal(40), description="quantitative share of the social value score, %"
    )
    relevant_measures: list[Annotated[str, Field(min_length=1, max_length=20)]] | None = Field(
        default=None, max_length=100
    )
    places: list[Name] | None = Field(default=None, max_length=100)
    vcfse_relevant: bool = False
    closes_on: date = Field(description="the last day bids are accepted")

    def request(self) -> TenderRequest:
        """The application's view."""
        return TenderRequest(
            title=self.title,
            description=self.description,
            estimated_value_gbp=self.estimated_value_gbp,
            contract_starts_on=self.contract_starts_on,
            contract_ends_on=self.contract_ends_on,
            social_value_weighting=self.social_value_weighting,
            qualitative_weight=self.qualitative_weight,
            quantitative_weight=self.quantitative_weight,
            relevant_measures=self.relevant_measures,
            places=self.places,
            vcfse_relevant=self.vcfse_relevant,
            closes_on=self.closes_on,
        )


class TenderIn(TenderTermsIn):
    """A new tender: its terms and the framework version its commitments are counted in."""

    framework_version: str | None = Field(default=None, description="the default when absent")


class CancellationIn(BaseModel):
    """Why a tender is cancelled."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


class EvaluationIn(BaseModel):
    """The buyer's qualitative score of a bid's social value offer."""

    model_config = ConfigDict(extra="forbid")

    qualitative_score: Percent = Field(description="0 to 100")
    rationale: str = Field(min_length=1, max_length=20_000)


class AwardIn(BaseModel):
    """The winning bid, the contract's reference, and which commitments are KPIs."""

    model_config = ConfigDict(extra="forbid")

    bid_id: uuid.UUID
    reference: str = Field(min_length=1, max_length=100)
    value_gbp: Money | None = Field(default=None, description="the tender's estimate if absent")
    return_due_days: int = Field(default=30, ge=0, le=365)
    kpis: list[uuid.UUID] = Field(
        default_factory=list, description="commitment ids to mark as Procurement Act KPIs"
    )

    def request(self) -> AwardRequest:
        """The application's view."""
        return AwardRequest(
            bid_id=str(self.bid_id),
            reference=self.reference,
            value_gbp=self.value_gbp,
            return_due_days=self.return_due_days,
            kpis=[str(k) for k in self.kpis],
        )


class CancellationOut(BaseModel):
    """When and why a tender was cancelled."""

    reason: str
    cancelled_on: date


class AwardOut(BaseModel):
    """Who won, and the contract awarded."""

    bid_id: uuid.UUID
    supplier: str
    contract_id: uuid.UUID
    awarded_on: date


class TenderOut(BaseModel):
    """A tender as it stands; ``version`` is also the ETag."""

    tender_id: uuid.UUID
    version: int
    buyer: str
    status: str
    framework_version: str
    title: str
    description: str
    estimated_value_gbp: str
    contract_starts_on: date
    contract_ends_on: date
    social_value_weighting: str
    qualitative_weight: str
    quantitative_weight: str
    relevant_measures: list[str]
    places: list[str]
    vcfse_relevant: bool
    closes_on: date
    warnings: list[RuleWarningOut]
    published_on: date | None
    closed_on: date | None
    cancellation: CancellationOut | None
    award: AwardOut | None


class TenderListedOut(BaseModel):
    """A tender in a list."""

    tender_id: uuid.UUID
    version: int
    buyer: str
    title: str
    status: str
    framework_version: str
    estimated_value_gbp: str
    contract_starts_on: date
    contract_ends_on: date
    vcfse_relevant: bool
    closes_on: date
    published_on: date | None
    relevant_measures: list[str]
    places: list[str]

    @classmethod
    def of(cls, row: dict[str, Any]) -> TenderListedOut:
        """From a read-model row."""
        return cls.model_validate(
            {**row, "estimated_value_gbp": figure(row["estimated_value_gbp"])}
        )


class EvaluationOut(BaseModel):
    """A bid's evaluation: both scores, the weighted result and its share of the award."""

    bid_id: uuid.UUID
    supplier: str
    qualitative_score: str
    rationale: str
    quantitative_score: str
    basis: str
    weighted_score: str
    award_contribution: str
    evaluator: str
    evaluated_on: date


class EvaluationsOut(BaseModel):
    """A closed tender's scoring: the basis, every live bid's quantitative score, evaluations."""

    tender_id: uuid.UUID
    version: int
    basis: str | None
    quantitative_scores: dict[str, str]
    evaluations: list[EvaluationOut]
    not_yet_evaluated: list[uuid.UUID]


def _tender(tender: Tender, code: int = 200, **headers: str) -> JSONResponse:
    body = TenderOut.model_validate(tender.view()).model_dump(mode="json")
    return JSONResponse(body, status_code=code, headers={**etag(tender.version), **headers})


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TenderOut, summary="Draft")
async def post_tender(
    body: TenderIn, buyer: BuyerDep, service: ServiceDep, key: IdempotencyKey = None
) -> JSONResponse:
    """Draft a tender; only your organisation sees it until it is published."""

    async def draft() -> tuple[int, dict[str, Any]]:
        tender = await draft_tender(service.context, buyer, body.request(), body.framework_version)
        return 201, TenderOut.model_validate(tender.view()).model_dump(mode="json")

    outcome = await service.runtime.idempotency.run(
        buyer.organisation, key, body.model_dump(mode="json"), draft
    )
    tender_id, version = outcome.body["tender_id"], outcome.body["version"]
    return replayable(outcome, {"Location": f"/tenders/{tender_id}", **etag(version)})


@router.get("", summary="List tenders")
async def read_tenders(
    *,
    reader: CurrentPrincipal,
    ctx: ContextDep,
    page: PageDep,
    status: Annotated[
        Literal["draft", "published", "closed", "awarded", "cancelled"] | None, Query()
    ] = None,
    buyer: Annotated[str | None, Query(description="only this buyer's")] = None,
    measure: Annotated[str | None, Query(description="only tenders marking it relevant")] = None,
    place: Annotated[str | None, Query(description="only tenders serving it")] = None,
) -> list[TenderListedOut]:
    """Published tenders and your own drafts, filtered by status, buyer, measure and place."""
    rows = await list_tenders(ctx, reader, TenderFilter(status, buyer, measure, place), page)
    return [TenderListedOut.of(r) for r in rows]


@router.get("/{tender_id}", response_model=TenderOut, summary="Read a tender")
async def read_tender(
    tender_id: uuid.UUID, reader: CurrentPrincipal, ctx: ContextDep
) -> JSONResponse:
    """A published tender, or one of your own drafts."""
    return _tender(await get_tender(ctx, reader, tender_id))


@router.put("/{tender_id}", response_model=TenderOut, summary="Revise a draft")
async def put_tender(
    tender_id: uuid.UUID, body: TenderTermsIn, buyer: BuyerDep, ctx: ContextDep, version: IfMatch
) -> JSONResponse:
    """Replace a draft tender's terms."""
    return _tender(await revise_tender(ctx, buyer, tender_id, body.request(), version))


@router.post("/{tender_id}/publish", response_model=TenderOut, summary="Publish")
async def post_publish(
    tender_id: uuid.UUID, buyer: BuyerDep, ctx: ContextDep, version: IfMatch
) -> JSONResponse:
    """Open a draft to bids until its closing date."""
    return _tender(await publish_tender(ctx, buyer, tender_id, version))


@router.post("/{tender_id}/close", response_model=TenderOut, summary="Close")
async def post_close(
    tender_id: uuid.UUID, buyer: BuyerDep, ctx: ContextDep, version: IfMatch
) -> JSONResponse:
    """Close after the closing date: bids open to you and their quantitative scores are set."""
    return _tender(await close_tender(ctx, buyer, tender_id, version))


@router.post("/{tender_id}/cancel", response_model=TenderOut, summary="Cancel")
async def post_cancel(
    tender_id: uuid.UUID, body: CancellationIn, buyer: BuyerDep, ctx: ContextDep, version: IfMatch
) -> JSONResponse:
    """Cancel a tender before award."""
    return _tender(await cancel_tender(ctx, buyer, tender_id, body.reason, version))


@router.post(
    "/{tender_id}/bids", status_code=status.HTTP_201_CREATED, response_model=BidOut, summary="Bid"
)
async def post_bid(
    tender_id: uuid.UUID,
    body: BidIn,
    supplier: SupplierDep,
    service: ServiceDep,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Make a social value offer to a published tender before it closes."""

    async def submit() -> tuple[int, dict[str, Any]]:
        made = await submit_bid(service.context, supplier, tender_id, body.offer())
        return 201, BidOut.of(made, supplier).model_dump(mode="json")

    outcome = await service.runtime.idempotency.run(
        supplier.organisation,
        key,
        {"tender": str(tender_id), **body.model_dump(mode="json")},
        submit,
    )
    bid_id, version = outcome.body["bid_id"], outcome.body["version"]
    return replayable(outcome, {"Location": f"/bids/{bid_id}", **etag(version)})


@router.get("/{tender_id}/bids", summary="List bids on a tender")
async def read_tender_bids(
    tender_id: uuid.UUID, reader: CurrentPrincipal, ctx: ContextDep, page: PageDep
) -> list[BidListedOut]:
    """The buyer sees every bid once the tender has closed; a bidder sees its own."""
    return [BidListedOut.of(r) for r in await list_tender_bids(ctx, reader, tender_id, page)]


@router.put(
    "/{tender_id}/evaluations/{bid_id}", response_model=EvaluationOut, summary="Evaluate a bid"
)
async def put_evaluation(
    tender_id: uuid.UUID,
    bid_id: uuid.UUID,
    body: EvaluationIn,
    *,
    buyer: BuyerDep,
    ctx: ContextDep,
    version: IfMatch,
) -> JSONResponse:
    """Record your qualitative score (0 to 100) and rationale; the weighted score follows.

    ``If-Match`` is the tender's version.
    """
    evaluation = await evaluate_bid(
        ctx,
        buyer,
        tender_id,
        bid_id,
        qualitative_score=body.qualitative_score,
        rationale=body.rationale,
        if_match=version,
    )
    body_out = EvaluationOut.model_validate(evaluation).model_dump(mode="json")
    return JSONResponse(body_out, headers=etag(evaluation["version"]))


@router.get("/{tender_id}/evaluations", summary="Read a tender's evaluations")
async def read_evaluations(
    tender_id: uuid.UUID, buyer: BuyerDep, ctx: ContextDep
) -> EvaluationsOut:
    """Quantitative scores set at closing, and the evaluations recorded so far."""
    tender = await get_buyers_tender(ctx, buyer, tender_id)
    return EvaluationsOut(
        tender_id=uuid.UUID(tender.tender_id),
        version=tender.version,
        basis=tender.basis,
        quantitative_scores=tender.quantitative_scores,
        evaluations=[EvaluationOut.model_validate(e) for e in tender.evaluations.values()],
        not_yet_evaluated=[
            uuid.UUID(b.bid_id)
            for b in tender.active_bids
            if tender.bids_are_open and b.bid_id not in tender.evaluations
        ],
    )


@router.post(
    "/{tender_id}/award",
    status_code=status.HTTP_201_CREATED,
    response_model=ContractOut,
    summary="Award to a bid",
)
async def post_award(
    tender_id: uuid.UUID, body: AwardIn, buyer: BuyerDep, ctx: ContextDep, version: IfMatch
) -> JSONResponse:
    """Award the tender: a contract with one obligation per commitment of the winning bid."""
    contract = await award_tender(ctx, buyer, tender_id, body.request(), version)
    headers = {"Location": f"/contracts/{contract.contract_id}", **etag(contract.version)}
    return JSONResponse(
        ContractOut.of(contract).model_dump(mode="json"), status_code=201, headers=headers
    )
