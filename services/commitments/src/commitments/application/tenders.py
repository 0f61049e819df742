"""Command handlers and queries for tenders: draft to publish, close, evaluation and award."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from svledger.auth import Principal
from svledger.errors import FieldProblem, NotFound, ValidationFailed
from svledger.paging import Page

from commitments.adapters.read_models import TenderFilter
from commitments.adapters.unit_of_work import UnitOfWork
from commitments.application.context import Context, expect_version
from commitments.domain.bid import Bid
from commitments.domain.contract import Contract, ContractTerms, ObligationTerms, TargetsGiven
from commitments.domain.framework import Framework
from commitments.domain.policy import Policy
from commitments.domain.tender import Tender, TenderTerms


@dataclass(frozen=True, slots=True)
class TenderRequest:
    """A tender's terms as a buyer gives them; measures and places may be left to defaults."""

    title: str
    description: str
    estimated_value_gbp: Decimal
    contract_starts_on: date
    contract_ends_on: date
    social_value_weighting: Decimal
    qualitative_weight: Decimal
    quantitative_weight: Decimal
    relevant_measures: list[str] | None
    places: list[str] | None
    vcfse_relevant: bool
    closes_on: date


@dataclass(frozen=True, slots=True)
class AwardRequest:
    """What the buyer decides at award: the winning bid, the contract's reference and KPIs."""

    bid_id: str
    reference: str
    value_gbp: Decimal | None
    return_due_days: int
    kpis: list[str]


async def draft_tender(
    ctx: Context, buyer: Principal, request: TenderRequest, framework_version: str | None
) -> Tender:
    """Draft a tender; its measures default to the buyer's policy priorities."""
    framework = await ctx.frameworks.pinned(ctx.load, framework_version, "framework_version")
    terms = await _terms(ctx, buyer, request, framework)
    tender_id = uuid.uuid4()
    event = Tender.draft(tender_id, buyer.organisation, terms, framework, ctx.today())
    async with ctx.work(buyer) as work:
        recorded = await work.append(Tender.stream_id(str(tender_id)), 0, [event])
    return Tender.require(recorded, f"tender {tender_id}")


async def revise_tender(
    ctx: Context,
    buyer: Principal,
    tender_id: uuid.UUID,
    request: TenderRequest,
    if_match: int | None,
) -> Tender:
    """Replace a draft's terms."""
    async with ctx.work(buyer) as work:
        tender = await _buyers_tender(work, buyer, tender_id, if_match)
        framework = await ctx.frameworks.pinned(work.load, tender.framework_version, "framework")
        terms = await _terms(ctx, buyer, request, framework)
        event = tender.revise(terms, framework, ctx.today())
        await work.save(tender, Tender.stream_id(str(tender_id)), [event])
    return tender


async def publish_tender(
    ctx: Context, buyer: Principal, tender_id: uuid.UUID, if_match: int | None
) -> Tender:
    """Open a draft to bids until its closing date."""
    async with ctx.work(buyer) as work:
        tender = await _buyers_tender(work, buyer, tender_id, if_match)
        event = tender.publish(ctx.today())
        await work.save(tender, Tender.stream_id(str(tender_id)), [event])
    return tender


async def close_tender(
    ctx: Context, buyer: Principal, tender_id: uuid.UUID, if_match: int | None
) -> Tender:
    """Close a tender after its closing date: the bids are opened and scored on quantity."""
    async with ctx.work(buyer) as work:
        tender = await _buyers_tender(work, buyer, tender_id, if_match)
        event = tender.close(ctx.today())
        await work.save(tender, Tender.stream_id(str(tender_id)), [event])
    return tender


async def cancel_tender(
    ctx: Context, buyer: Principal, tender_id: uuid.UUID, reason: str, if_match: int | None
) -> Tender:
    """Cancel a tender before award."""
    async with ctx.work(buyer) as work:
        tender = await _buyers_tender(work, buyer, tender_id, if_match)
        event = tender.cancel(reason, ctx.today())
        await work.save(tender, Tender.stream_id(str(tender_id)), [event])
    return tender


async def evaluate_bid(
    ctx: Context,
    buyer: Principal,
    tender_id: uuid.UUID,
    bid_id: uuid.UUID,
    *,
    qualitative_score: Decimal,
    rationale: str,
    if_match: int | None,
) -> dict[str, Any]:
    """Record the buyer's qualitative score for a bid; the weighted score follows."""
    async with ctx.work(buyer) as work:
        tender = await _buyers_tender(work, buyer, tender_id, if_match)
        event = tender.evaluate(
            str(bid_id), qualitative_score, rationale, buyer.subject, ctx.today()
        )
        await work.save(tender, Tender.stream_id(str(tender_id)), [event])
    return {**event.data, "version": tender.version}


async def award_tender(
    ctx: Context, buyer: Principal, tender_id: uuid.UUID, award: AwardRequest, if_match: int | None
) -> Contract:
    """Award a tender to an evaluated bid: the contract, one obligation per commitment."""
    taken = await ctx.read_models.references_taken(buyer.organisation, [award.reference])
    if taken:
        raise ValidationFailed(
            f"you have already registered a contract with reference {award.reference}",
            field="reference",
        )
    async with ctx.work(buyer) as work:
        tender = await _buyers_tender(work, buyer, tender_id, if_match)
        bid = Bid.rehydrate(await work.load(Bid.stream_id(award.bid_id)))
        if bid is None or bid.tender_id != tender.tender_id:
            raise ValidationFailed(
                f"bid {award.bid_id} is not a bid on tender {tender_id}", field="bid_id"
            )
        framework = await ctx.frameworks.pinned(work.load, tender.framework_version, "framework")
        contract_id = uuid.uuid4()
        awarded = tender.award_to(award.bid_id, contract_id, ctx.today())
        event = Contract.award(contract_id, _contract_terms(tender, bid, award), framework)
        recorded = await work.append(Contract.stream_id(str(contract_id)), 0, [event])
        await work.save(tender, Tender.stream_id(str(tender_id)), [awarded])
    return Contract.require(recorded, f"contract {contract_id}")


async def get_tender(ctx: Context, reader: Principal, tender_id: uuid.UUID) -> Tender:
    """A published tender, or a draft of the caller's own; 404 otherwise."""
    tender = Tender.rehydrate(await ctx.load(Tender.stream_id(str(tender_id))))
    if tender is None or not tender.visible_to(reader.organisation):
        raise NotFound(f"tender {tender_id} was not found")
    return tender


async def get_buyers_tender(ctx: Context, buyer: Principal, tender_id: uuid.UUID) -> Tender:
    """A tender the caller's organisation let (for its evaluations); 404 otherwise."""
    tender = Tender.rehydrate(await ctx.load(Tender.stream_id(str(tender_id))))
    if tender is None or tender.buyer != buyer.organisation:
        raise NotFound(f"tender {tender_id} was not found among your tenders")
    return tender


async def list_tenders(
    ctx: Context, reader: Principal, where: TenderFilter, page: Page
) -> list[dict[str, Any]]:
    """Published tenders and the caller's own drafts, filtered."""
    return await ctx.read_models.tenders(reader.organisation, where, page)


async def _buyers_tender(
    work: UnitOfWork, buyer: Principal, tender_id: uuid.UUID, if_match: int | None
) -> Tender:
    tender = Tender.rehydrate(await work.load(Tender.stream_id(str(tender_id))))
    if tender is None or tender.buyer != buyer.organisation:
        raise NotFound(f"tender {tender_id} was not found among your tenders")
    expect_version(tender.version, if_match, f"tender {tender_id}")
    return tender


async def _terms(
    ctx: Context, buyer: Principal, request: TenderRequest, framework: Framework
) -> TenderTerms:
    measures = request.relevant_measures
    if measures is None:
        policy = Policy.rehydrate(await ctx.load(Policy.stream_id(buyer.organisation)))
        priorities = [] if policy is None else policy.current["priority_measures"]
        measures = [m for m in priorities if m in framework.measures]
    places = request.places if request.places is not None else list(ctx.default_places)
    return TenderTerms(
        title=request.title,
        description=request.description,
        estimated_value_gbp=request.estimated_value_gbp,
        contract_starts_on=request.contract_starts_on,
        contract_ends_on=request.contract_ends_on,
        social_value_weighting=request.social_value_weighting,
        qualitative_weight=request.qualitative_weight,
        quantitative_weight=request.quantitative_weight,
        relevant_measures=list(dict.fromkeys(measures)),
        places=list(dict.fromkeys(places)),
        vcfse_relevant=request.vcfse_relevant,
        closes_on=request.closes_on,
    )


def _contract_terms(tender: Tender, bid: Bid, award: AwardRequest) -> ContractTerms:
    terms = tender.terms
    assert terms is not None
    commitments = bid.current["commitments"]
    ids = {c["commitment_id"] for c in commitments}
    problems = [
        FieldProblem(f"kpis.{i}", f"{kpi} is not a commitment of bid {bid.bid_id}")
        for i, kpi in enumerate(award.kpis)
        if kpi not in ids
    ]
    if problems:
        raise ValidationFailed("the award has invalid fields", errors=problems)
    return ContractTerms(
        reference=award.reference,
        title=terms.title,
        buyer=tender.buyer,
        supplier=bid.supplier,
        starts_on=terms.contract_starts_on,
        ends_on=terms.contract_ends_on,
        value_gbp=award.value_gbp if award.value_gbp is not None else terms.estimated_value_gbp,
        return_due_days=award.return_due_days,
        obligations=[
            ObligationTerms(
                measure=c["measure"],
                given=TargetsGiven(targets={p: Decimal(t) for p, t in c["targets"].items()}),
                description=c["narrative"],
                is_kpi=c["commitment_id"] in award.kpis,
                place=c["place"],
                vcfse_partner=c["vcfse_partner"],
                commitment_id=c["commitment_id"],
                proxy_value_gbp_per_unit=(
                    None
                    if c["proxy_value_gbp_per_unit"] is None
                    else Decimal(c["proxy_value_gbp_per_unit"])
                ),
            )
            for c in commitments
        ],
        places=list(terms.places),
        tender_id=tender.tender_id,
        bid_id=bid.bid_id,
    )
