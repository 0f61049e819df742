"""Response bodies of the reports. Figures are exact decimal strings (``"12.5"``), never floats."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import orjson
from fastapi.responses import Response
from pydantic import BaseModel, Field
from svledger.quantities import figure, optional_figure

from reporting.application.reports import (
    Breakdown,
    PortfolioReport,
    Reported,
    SupplierStanding,
)
from reporting.domain.kpi import Bands, ContractRating, KpiResult, KpiRule, Verdict
from reporting.domain.pledge import PledgeProgress, YearProgress
from reporting.domain.portfolio import ContractSummary, MeasureLine, Standing, Tally
from reporting.domain.report import Freshness
from reporting.domain.returns import LateReturn, Story, StoryList


class SourceOut(BaseModel):
    """How far one consumer of another service's events has read."""

    consumer: str = Field(examples=["reporting-schedules"])
    stream: str = Field(examples=["SVL_MEASUREMENT"])
    position: int = Field(description="the newest event reflected, by its producer's position")
    recorded_at: datetime = Field(description="when that event was recorded")


class FreshnessOut(BaseModel):
    """When the report was made and up to which events it reflects."""

    as_of: datetime
    sources: list[SourceOut]

    @classmethod
    def of(cls, freshness: Freshness) -> FreshnessOut:
        """From the read model's marks."""
        return cls(
            as_of=freshness.as_of,
            sources=[
                SourceOut(
                    consumer=m.consumer,
                    stream=m.stream,
                    position=m.position,
                    recorded_at=m.recorded_at,
                )
                for m in freshness.marks
            ],
        )


class GbpOut(BaseModel):
    """GBP proxy value over the valued obligations, and whether that is all of them."""

    committed_gbp: str
    due_to_date_gbp: str
    delivered_gbp: str
    awaiting_review_gbp: str
    obligations: int
    obligations_valued: int
    fully_valued: bool = Field(description="every obligation counted has a proxy value")

    @classmethod
    def of(cls, tally: Tally) -> GbpOut:
        """From a tally's GBP side."""
        return cls(**gbp_fields(tally))


def gbp_fields(tally: Tally) -> dict[str, Any]:
    """:class:`GbpOut`'s fields from a tally's GBP side, by name."""
    gbp = tally.gbp
    return {
        "committed_gbp": figure(gbp.committed),
        "due_to_date_gbp": figure(gbp.due),
        "delivered_gbp": figure(gbp.delivered),
        "awaiting_review_gbp": figure(gbp.awaiting_review),
        "obligations": tally.obligations,
        "obligations_valued": tally.valued,
        "fully_valued": tally.fully_valued,
    }


class ContractSummaryOut(BaseModel):
    """One contract of a portfolio."""

    contract_id: str
    reference: str
    title: str
    buyer: str
    supplier: str
    status: str = Field(examples=["active", "completed", "terminated"])
    starts_on: date
    ends_on: date
    ended_on: date | None
    value_gbp: str | None
    obligations: int
    obligations_assessed: int = Field(description="obligations with something due to date")
    obligations_on_track: int
    delivery_ratio: str | None = Field(
        description="mean of each obligation's delivered over due to date, capped at 1"
    )
    gbp: GbpOut
    open_alerts: int = Field(description="alerts not yet resolved")

    @classmethod
    def of(cls, s: ContractSummary) -> ContractSummaryOut:
        """From the domain summary."""
        return cls.model_validate(_contract_summary(s))


class PortfolioOut(BaseModel):
    """The organisation's contracts, committed against delivered.

    The body is written by :func:`portfolio_body` (these models document it)."""

    as_of: date
    freshness: FreshnessOut
    contracts: list[ContractSummaryOut]
    totals: GbpOut


def portfolio_body(report: Reported[PortfolioReport]) -> Response:
    """A portfolio as :class:`PortfolioOut` describes it, written from dicts rather than a
    model per contract: a national buyer has about 1,000, and making and checking their models
    was a fifth of the request."""
    return json_body(
        {
            "as_of": report.as_of,
            "freshness": FreshnessOut.of(report.freshness).model_dump(mode="json"),
            "contracts": [_contract_summary(s) for s in report.content.contracts],
            "totals": gbp_fields(report.content.totals),
        }
    )


def _contract_summary(s: ContractSummary) -> dict[str, Any]:
    c = s.contract
    return {
        "contract_id": c.contract_id,
        "reference": c.reference,
        "title": c.title,
        "buyer": c.buyer,
        "supplier": c.supplier,
        "status": c.status,
        "starts_on": c.starts_on,
        "ends_on": c.ends_on,
        "ended_on": c.ended_on,
        "value_gbp": optional_figure(c.value_gbp),
        "obligations": s.obligations,
        "obligations_assessed": s.assessed,
        "obligations_on_track": s.on_track,
        "delivery_ratio": optional_figure(s.delivery_ratio),
        "gbp": gbp_fields(s.gbp),
        "open_alerts": s.open_alerts,
    }


class MeasureLineOut(BaseModel):
    """One measure within a group, in its unit and in GBP."""

    measure: str = Field(examples=["NT1"])
    unit: str
    obligations: int
    committed: str = Field(description="target over the whole of each contract (or the period)")
    due_to_date: str = Field(description="target of the quarters due by the report's day")
    delivered: str = Field(description="the lines of accepted returns")
    awaiting_review: str = Field(description="lines of returns not yet accepted")
    delivery_ratio: str | None = Field(description="delivered over due to date")
    gbp: GbpOut


class GroupOut(BaseModel):
    """One group of a breakdown."""

    key: str = Field(examples=["Jobs", "2026-27-Q1", "Wirral"])
    gbp: GbpOut
    measures: list[MeasureLineOut]


class BreakdownOut(BaseModel):
    """Committed against delivered, grouped one way; units are never added across measures.

    The body is written by :func:`breakdown_body` (these models document it)."""

    as_of: date
    freshness: FreshnessOut
    dimension: str
    groups: list[GroupOut]
    totals: GbpOut


def breakdown_body(report: Reported[Breakdown]) -> Response:
    """A breakdown as :class:`BreakdownOut` describes it, written from dicts rather than a
    model per line: a national buyer's breakdown by supplier has about 7,000 lines, and making
    their models was a third of its time."""
    body = {
        "as_of": report.as_of,
        "freshness": FreshnessOut.of(report.freshness).model_dump(mode="json"),
        "dimension": report.content.dimension.value,
        "groups": [
            {
                "key": group.key,
                "gbp": gbp_fields(group.total),
                "measures": [_measure_line(line) for line in group.measures],
            }
            for group in report.content.groups
        ],
        "totals": gbp_fields(report.content.totals),
    }
    return json_body(body)


def json_body(body: dict[str, Any]) -> Response:
    """A body written from dicts, as FastAPI would write its model (dates as ISO 8601)."""
    return Response(orjson.dumps(body), media_type="application/json")


def _measure_line(line: MeasureLine) -> dict[str, Any]:
    units = line.tally.units
    return {
        "measure": line.measure,
        "unit": line.unit,
        "obligations": line.tally.obligations,
        "committed": figure(units.committed),
        "due_to_date": figure(units.due),
        "delivered": figure(units.delivered),
        "awaiting_review": figure(units.awaiting_review),
        "delivery_ratio": optional_figure(units.ratio),
        "gbp": gbp_fields(line.tally),
    }


class StandingOut(BaseModel):
    """A supplier's place in the league table."""

    rank: int
    supplier: str
    contracts: int
    obligations: int
    obligations_assessed: int
    obligations_on_track: int
    delivery_ratio: str | None
    gbp: GbpOut

    @classmethod
    def of(cls, s: Standing) -> StandingOut:
        """From the domain standing."""
        return cls(
            rank=s.rank,
            supplier=s.supplier,
            contracts=s.contracts,
            obligations=s.obligations,
            obligations_assessed=s.assessed,
            obligations_on_track=s.on_track,
            delivery_ratio=optional_figure(s.delivery_ratio),
            gbp=GbpOut.of(s.gbp),
        )


class LeagueTableOut(BaseModel):
    """Suppliers ranked by delivery ratio."""

    as_of: date
    freshness: FreshnessOut
    suppliers: list[StandingOut]

    @classmethod
    def of(cls, report: Reported[list[Standing]]) -> LeagueTableOut:
        """From the report."""
        return cls(
            as_of=report.as_of,
            freshness=FreshnessOut.of(report.freshness),
            suppliers=[StandingOut.of(s) for s in report.content],
        )


class SupplierStandingOut(BaseModel):
    """One supplier's standing and its contracts."""

    as_of: date
    freshness: FreshnessOut
    standing: StandingOut
    contracts: list[ContractSummaryOut]

    @classmethod
    def of(cls, report: Reported[SupplierStanding]) -> SupplierStandingOut:
        """From the report."""
        return cls(
            as_of=report.as_of,
            freshness=FreshnessOut.of(report.freshness),
            standing=StandingOut.of(report.content.standing),
            contracts=[ContractSummaryOut.of(c) for c in report.content.contracts],
        )


class LateReturnOut(BaseModel):
    """A return that came in late, or a quarter overdue without one."""

    contract_id: str
    reference: str
    buyer: str
    supplier: str
    period: str
    due_on: date
    state: str = Field(examples=["late", "overdue"])
    submitted_on: date | None
    days: int = Field(description="days late (submitted after due), or overdue to date")

    @classmethod
    def of(cls, r: LateReturn) -> LateReturnOut:
        """From the domain."""
        return cls(
            contract_id=r.contract.contract_id,
            reference=r.contract.reference,
            buyer=r.contract.buyer,
            supplier=r.contract.supplier,
            period=r.period,
            due_on=r.due_on,
            state=r.state.value,
            submitted_on=r.submitted_on,
            days=r.days,
        )


class LateReturnsOut(BaseModel):
    """Late and overdue returns, most overdue first."""

    as_of: date
    freshness: FreshnessOut
    returns: list[LateReturnOut]

    @classmethod
    def of(cls, report: Reported[list[LateReturn]]) -> LateReturnsOut:
        """From the report."""
        return cls(
            as_of=report.as_of,
            freshness=FreshnessOut.of(report.freshness),
            returns=[LateReturnOut.of(r) for r in report.content],
        )


class StoryOut(BaseModel):
    """What a return's figures meant for people."""

    contract_id: str
    reference: str
    supplier: str
    period: str
    obligation_id: str | None = Field(description="null for the whole return's narrative")
    measure: str | None
    narrative: str
    case_study: str
    beneficiaries: int | None
    places: list[str]
    evidence: list[str]
    review: str = Field(examples=["submitted", "queried", "accepted"])
    accepted: bool
    submitted_on: date | None

    @classmethod
    def of(cls, s: Story) -> StoryOut:
        """From the domain."""
        return cls(
            contract_id=s.contract.contract_id,
            reference=s.contract.reference,
            supplier=s.contract.supplier,
            period=s.period,
            obligation_id=s.obligation_id,
            measure=s.measure,
            narrative=s.narrative,
            case_study=s.case_study,
            beneficiaries=s.beneficiaries,
            places=list(s.places),
            evidence=list(s.evidence),
            review=s.review,
            accepted=s.accepted,
            submitted_on=s.submitted_on,
        )


class StoriesOut(BaseModel):
    """A page of the stories feed, newest quarter first."""

    as_of: date
    freshness: FreshnessOut
    total: int = Field(description="stories that match, on every page")
    stories: list[StoryOut]

    @classmethod
    def of(cls, report: Reported[StoryList]) -> StoriesOut:
        """From the report."""
        return cls(
            as_of=report.as_of,
            freshness=FreshnessOut.of(report.freshness),
            total=report.content.total,
            stories=[StoryOut.of(s) for s in report.content.stories],
        )


class YearProgressOut(BaseModel):
    """One pledged measure in one financial year."""

    year: str = Field(examples=["2026-27"])
    measure: str = Field(examples=["NT14"])
    baseline: str | None = Field(description="in the base year only")
    target: str | None
    from_returns: str = Field(description="accepted return lines where the organisation supplies")
    from_deliveries: str = Field(description="deliveries VCFSE partners confirmed")
    actual: str = Field(description="both, a confirmed delivery not double-counted with its line")
    quarters_due: int
    expected_to_date: str | None
    ratio: str | None
    status: str | None = Field(examples=["on_track", "at_risk", "behind", "not_started"])
    on_track: bool | None

    @classmethod
    def of(cls, y: YearProgress) -> YearProgressOut:
        """From the domain."""
        return cls(
            year=y.year,
            measure=y.measure,
            baseline=optional_figure(y.baseline),
            target=optional_figure(y.target),
            from_returns=figure(y.from_returns),
            from_deliveries=figure(y.from_deliveries),
            actual=figure(y.actual),
            quarters_due=y.quarters_due,
            expected_to_date=optional_figure(y.expected_to_date),
            ratio=optional_figure(y.ratio),
            status=y.status,
            on_track=y.on_track,
        )


class PledgeProgressOut(BaseModel):
    """An organisation's Partner VCFSE pledge and its progress."""

    as_of: date
    freshness: FreshnessOut
    organisation: str
    base_year: str
    revision: int
    recorded_on: date
    years: list[YearProgressOut]

    @classmethod
    def of(cls, report: Reported[PledgeProgress]) -> PledgeProgressOut:
        """From the report."""
        pledge = report.content.pledge
        return cls(
            as_of=report.as_of,
            freshness=FreshnessOut.of(report.freshness),
            organisation=pledge.organisation,
            base_year=pledge.base_year,
            revision=pledge.revision,
            recorded_on=pledge.recorded_on,
            years=[YearProgressOut.of(y) for y in report.content.years],
        )


class KpiOut(BaseModel):
    """One KPI over the period assessed."""

    obligation_id: str
    measure: str
    description: str
    unit: str
    target: str
    delivered: str
    ratio: str | None
    rating: str = Field(examples=["Good", "Approaching target", "Other"])
    gbp_per_unit: str | None

    @classmethod
    def of(cls, k: KpiResult) -> KpiOut:
        """From the domain."""
        return cls.model_validate(_kpi(k))


def _kpi(k: KpiResult) -> dict[str, Any]:
    ob = k.obligation
    return {
        "obligation_id": ob.obligation_id,
        "measure": ob.measure,
        "description": ob.description,
        "unit": ob.unit,
        "target": figure(k.target),
        "delivered": figure(k.delivered),
        "ratio": optional_figure(k.ratio),
        "rating": k.rating.value,
        "gbp_per_unit": optional_figure(k.gbp_per_unit),
    }


class VerdictOut(BaseModel):
    """One variant of the contract's rating."""

    basis: str = Field(examples=["target", "value"])
    score: str | None
    rating: str
    measured_in: str = Field(examples=["share of KPIs", "GBP", "units"])
    explanation: str

    @classmethod
    def of(cls, v: Verdict) -> VerdictOut:
        """From the domain."""
        return cls.model_validate(_verdict(v))


def _verdict(v: Verdict) -> dict[str, Any]:
    return {
        "basis": v.basis.value,
        "score": optional_figure(v.score),
        "rating": v.rating.value,
        "measured_in": v.measured_in,
        "explanation": v.explanation,
    }


class BandsOut(BaseModel):
    """The lowest score of each band."""

    good: str
    approaching_target: str
    requires_improvement: str

    @classmethod
    def of(cls, b: Bands) -> BandsOut:
        """From the rule."""
        return cls(
            good=figure(b.good),
            approaching_target=figure(b.approaching),
            requires_improvement=figure(b.requires_improvement),
        )


class RuleOut(BaseModel):
    """The rating rule in force (configurable; see the service's documentation)."""

    kpi: BandsOut
    target_based: BandsOut
    value_based: BandsOut
    quarters: int
    basis: str

    @classmethod
    def of(cls, rule: KpiRule) -> RuleOut:
        """From the rule."""
        return cls(
            kpi=BandsOut.of(rule.kpi),
            target_based=BandsOut.of(rule.target_based),
            value_based=BandsOut.of(rule.value_based),
            quarters=rule.quarters,
            basis=rule.basis.value,
        )


class KpiRatingOut(BaseModel):
    """A contract's Procurement Act 2023 KPI rating over its last twelve months."""

    contract_id: str
    reference: str
    title: str
    buyer: str
    supplier: str
    value_gbp: str | None
    assessed_on: date
    period_start: date | None
    period_end: date | None
    periods: list[str]
    rating: str = Field(description="the variant the rule chooses for a performance notice")
    basis: str
    target_based: VerdictOut
    value_based: VerdictOut
    kpis: list[KpiOut]
    notice_required: bool = Field(description="contract value over GBP 5m")
    warnings: list[str]

    @classmethod
    def of_rating(cls, r: ContractRating) -> KpiRatingOut:
        """From the domain."""
        return cls.model_validate(_kpi_rating(r))


def _kpi_rating(r: ContractRating) -> dict[str, Any]:
    c = r.contract
    return {
        "contract_id": c.contract_id,
        "reference": c.reference,
        "title": c.title,
        "buyer": c.buyer,
        "supplier": c.supplier,
        "value_gbp": optional_figure(c.value_gbp),
        "assessed_on": r.assessed_on,
        "period_start": r.period_start,
        "period_end": r.period_end,
        "periods": list(r.periods),
        "rating": r.rating.value,
        "basis": r.basis.value,
        "target_based": _verdict(r.target_based),
        "value_based": _verdict(r.value_based),
        "kpis": [_kpi(k) for k in r.kpis],
        "notice_required": r.notice_required,
        "warnings": list(r.warnings),
    }


class KpiRatingReportOut(KpiRatingOut):
    """A contract's KPI rating, with the report's freshness and the rule applied."""

    as_of: date
    freshness: FreshnessOut
    rule: RuleOut


class KpiRatingsOut(BaseModel):
    """Every contract's KPI rating.

    The body is written by :func:`kpi_ratings_body` (these models document it)."""

    as_of: date
    freshness: FreshnessOut
    rule: RuleOut
    contracts: list[KpiRatingOut]


def kpi_ratings_body(rule: KpiRule, report: Reported[list[ContractRating]]) -> Response:
    """Every contract's rating as :class:`KpiRatingsOut` describes it, with ``rule`` applied,
    written from dicts rather than models: a national buyer has about 1,000 contracts, and
    making and checking their models was a fifth of the request."""
    return json_body(
        {
            "as_of": report.as_of,
            "freshness": FreshnessOut.of(report.freshness).model_dump(mode="json"),
            "rule": RuleOut.of(rule).model_dump(mode="json"),
            "contracts": [_kpi_rating(r) for r in report.content],
        }
    )


class PartyOut(BaseModel):
    """An organisation as a notice names it."""

    id: str
    name: str


class NoticeContractOut(BaseModel):
    """The contract a performance notice is about."""

    id: str
    ocid: str
    reference: str
    title: str
    value_gbp: str | None
    starts_on: date
    ends_on: date
    status: str


class PerformanceNoticeOut(BaseModel):
    """What a Procurement Act 2023 contract performance notice needs."""

    as_of: date
    freshness: FreshnessOut
    notice_required: bool = Field(description="contracts over GBP 5m must publish one")
    authority: PartyOut = Field(description="the contracting authority (the buyer)")
    procurement_identifier: str | None = Field(description="the tender; null if registered")
    contract: NoticeContractOut
    supplier: PartyOut
    period_assessed_start: date | None
    period_assessed_end: date | None
    kpis: list[KpiOut]
    rating: str
    rating_basis: str
    target_based: VerdictOut
    value_based: VerdictOut
    warnings: list[str]
