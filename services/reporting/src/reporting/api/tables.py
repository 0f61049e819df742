"""Each report as a table, for its CSV and XLSX exports: one row per line a reader would read."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from reporting.application.reports import (
    Breakdown,
    PortfolioReport,
    Reported,
    SupplierStanding,
)
from reporting.domain.kpi import ContractRating
from reporting.domain.pledge import PledgeProgress
from reporting.domain.portfolio import ContractSummary, Standing, Tally
from reporting.domain.progress import Alert, ContractProgress
from reporting.domain.report import Cell, Column, Tabular, day, figure, flag, integer, text
from reporting.domain.returns import LateReturn, StoryList

_GBP = (
    integer("obligations_valued", "Obligations valued"),
    figure("committed_gbp", "Committed (GBP)"),
    figure("due_to_date_gbp", "Due to date (GBP)"),
    figure("delivered_gbp", "Delivered (GBP)"),
    figure("awaiting_review_gbp", "Awaiting review (GBP)"),
    flag("fully_valued", "Fully valued"),
)
_CONTRACT = (
    text("reference", "Reference"),
    text("title", "Title"),
    text("buyer", "Buyer"),
    text("supplier", "Supplier"),
    text("status", "Status"),
    day("starts_on", "Starts"),
    day("ends_on", "Ends"),
    figure("value_gbp", "Value (GBP)"),
    integer("obligations", "Obligations"),
    integer("obligations_assessed", "Obligations with something due"),
    integer("obligations_on_track", "On track"),
    figure("delivery_ratio", "Delivery ratio"),
    *_GBP,
    integer("open_alerts", "Open alerts"),
    text("contract_id", "Contract id"),
)


def _gbp(tally: Tally) -> dict[str, Cell]:
    return {
        "obligations_valued": tally.valued,
        "committed_gbp": tally.gbp.committed,
        "due_to_date_gbp": tally.gbp.due,
        "delivered_gbp": tally.gbp.delivered,
        "awaiting_review_gbp": tally.gbp.awaiting_review,
        "fully_valued": tally.fully_valued,
    }


def _contract(s: ContractSummary) -> dict[str, Cell]:
    c = s.contract
    return {
        "reference": c.reference,
        "title": c.title,
        "buyer": c.buyer,
        "supplier": c.supplier,
        "status": c.status,
        "starts_on": c.starts_on,
        "ends_on": c.ends_on,
        "value_gbp": c.value_gbp,
        "obligations": s.obligations,
        "obligations_assessed": s.assessed,
        "obligations_on_track": s.on_track,
        "delivery_ratio": s.delivery_ratio,
        **_gbp(s.gbp),
        "open_alerts": s.open_alerts,
        "contract_id": c.contract_id,
    }


def portfolio(report: Reported[PortfolioReport]) -> Tabular:
    """One row per contract."""
    return Tabular(
        "portfolio",
        "Portfolio",
        _CONTRACT,
        [_contract(s) for s in report.content.contracts],
        report.freshness,
    )


def breakdown(report: Reported[Breakdown]) -> Tabular:
    """One row per group and measure."""
    dimension = report.content.dimension.value
    columns: tuple[Column, ...] = (
        text("group", dimension.capitalize()),
        text("measure", "Measure"),
        text("unit", "Unit"),
        integer("obligations", "Obligations"),
        figure("committed", "Committed"),
        figure("due_to_date", "Due to date"),
        figure("delivered", "Delivered (accepted)"),
        figure("awaiting_review", "Awaiting review"),
        figure("delivery_ratio", "Delivery ratio"),
        *_GBP,
    )
    rows = [
        {
            "group": group.key,
            "measure": line.measure,
            "unit": line.unit,
            "obligations": line.tally.obligations,
            "committed": line.tally.units.committed,
            "due_to_date": line.tally.units.due,
            "delivered": line.tally.units.delivered,
            "awaiting_review": line.tally.units.awaiting_review,
            "delivery_ratio": line.tally.units.ratio,
            **_gbp(line.tally),
        }
        for group in report.content.groups
        for line in group.measures
    ]
    return Tabular(
        f"portfolio-by-{dimension}",
        f"Portfolio by {dimension}",
        columns,
        rows,
        report.freshness,
        notes=("Units are never added across measures; GBP covers the valued obligations.",),
    )


_STANDING = (
    integer("rank", "Rank"),
    text("supplier", "Supplier"),
    integer("contracts", "Contracts"),
    integer("obligations", "Obligations"),
    integer("obligations_assessed", "Obligations with something due"),
    integer("obligations_on_track", "On track"),
    figure("delivery_ratio", "Delivery ratio"),
    *_GBP,
)


def _standing(s: Standing) -> dict[str, Cell]:
    return {
        "rank": s.rank,
        "supplier": s.supplier,
        "contracts": s.contracts,
        "obligations": s.obligations,
        "obligations_assessed": s.assessed,
        "obligations_on_track": s.on_track,
        "delivery_ratio": s.delivery_ratio,
        **_gbp(s.gbp),
    }


def league_table(report: Reported[list[Standing]]) -> Tabular:
    """One row per supplier, best first."""
    return Tabular(
        "league-table",
        "Supplier league table",
        _STANDING,
        [_standing(s) for s in report.content],
        report.freshness,
        notes=(
            "Delivery ratio: the mean of each obligation's delivered over due to date, "
            "capped at 1.",
        ),
    )


def supplier_standing(report: Reported[SupplierStanding]) -> Tabular:
    """One row per contract of the supplier."""
    standing = report.content.standing
    return Tabular(
        f"standing-{standing.supplier}",
        f"Standing of {standing.supplier}",
        _CONTRACT,
        [_contract(s) for s in report.content.contracts],
        report.freshness,
        notes=(
            f"Rank {standing.rank}; delivery ratio "
            f"{standing.delivery_ratio if standing.delivery_ratio is not None else 'n/a'}.",
        ),
    )


def progress(report: Reported[ContractProgress]) -> Tabular:
    """One row per obligation, as measurement last assessed it."""
    contract = report.content.contract
    columns = (
        text("measure", "Measure"),
        text("theme", "Theme"),
        text("outcome", "Outcome"),
        text("unit", "Unit"),
        text("description", "Description"),
        flag("is_kpi", "KPI"),
        figure("committed_total", "Committed (whole contract)"),
        figure("committed_to_date", "Committed to date"),
        figure("delivered_to_date", "Delivered to date"),
        figure("ratio", "Ratio"),
        text("status", "Status"),
        text("last_period_assessed", "Last period assessed"),
        text("obligation_id", "Obligation id"),
    )
    rows: list[dict[str, Cell]] = [
        {
            "measure": ob.measure,
            "theme": ob.theme,
            "outcome": ob.outcome,
            "unit": ob.unit,
            "description": ob.description,
            "is_kpi": ob.is_kpi,
            "committed_total": ob.committed_total,
            "committed_to_date": ob.committed_to_date,
            "delivered_to_date": ob.delivered_to_date,
            "ratio": ob.ratio,
            "status": ob.status,
            "last_period_assessed": ob.last_period_assessed,
            "obligation_id": ob.obligation_id,
        }
        for ob in report.content.obligations
    ]
    return Tabular(
        f"progress-{contract.reference}",
        f"Progress of {contract.reference}",
        columns,
        rows,
        report.freshness,
        notes=(f"{contract.title}: {contract.buyer} with {contract.supplier}",),
    )


def alerts(report: Reported[Iterable[Alert]]) -> Tabular:
    """One row per alert, with its age, made as the file is written."""
    today: date = report.as_of
    columns = (
        text("alert_id", "Alert id"),
        text("kind", "Kind"),
        text("severity", "Severity"),
        text("status", "Status"),
        integer("level", "Escalation level"),
        text("escalated_to", "Escalated to"),
        day("raised_on", "Raised"),
        integer("age_days", "Age (days)"),
        text("contract_id", "Contract id"),
        text("obligation_id", "Obligation id"),
        text("measure", "Measure"),
        text("period", "Period"),
        text("buyer", "Buyer"),
        text("supplier", "Supplier"),
        figure("ratio", "Ratio"),
        text("detail", "Detail"),
        day("acknowledged_on", "Acknowledged"),
        day("resolved_on", "Resolved"),
        text("resolution", "Resolution"),
    )
    rows = (
        {
            "alert_id": a.alert_id,
            "kind": a.kind,
            "severity": a.severity,
            "status": a.status.value,
            "level": a.level,
            "escalated_to": a.escalated_to,
            "raised_on": a.raised_on,
            "age_days": a.age_days(today),
            "contract_id": a.contract_id,
            "obligation_id": a.obligation_id,
            "measure": a.measure,
            "period": a.period,
            "buyer": a.buyer,
            "supplier": a.supplier,
            "ratio": a.ratio,
            "detail": a.detail,
            "acknowledged_on": a.acknowledged_on,
            "resolved_on": a.resolved_on,
            "resolution": a.resolution,
        }
        for a in report.content
    )
    return Tabular("alerts", "Alerts", columns, rows, report.freshness)


def late_returns(report: Reported[list[LateReturn]]) -> Tabular:
    """One row per late or overdue return."""
    columns = (
        text("state", "State"),
        text("reference", "Reference"),
        text("supplier", "Supplier"),
        text("buyer", "Buyer"),
        text("period", "Period"),
        day("due_on", "Due"),
        day("submitted_on", "Submitted"),
        integer("days", "Days late or overdue"),
        text("contract_id", "Contract id"),
    )
    rows: list[dict[str, Cell]] = [
        {
            "state": r.state.value,
            "reference": r.contract.reference,
            "supplier": r.contract.supplier,
            "buyer": r.contract.buyer,
            "period": r.period,
            "due_on": r.due_on,
            "submitted_on": r.submitted_on,
            "days": r.days,
            "contract_id": r.contract.contract_id,
        }
        for r in report.content
    ]
    return Tabular("late-returns", "Late and overdue returns", columns, rows, report.freshness)


def stories(report: Reported[StoryList]) -> Tabular:
    """One row per story."""
    columns = (
        text("reference", "Reference"),
        text("supplier", "Supplier"),
        text("period", "Period"),
        text("measure", "Measure"),
        text("narrative", "Narrative"),
        text("case_study", "Case study"),
        integer("beneficiaries", "Beneficiaries"),
        text("places", "Places"),
        text("evidence", "Evidence"),
        text("review", "Review"),
        day("submitted_on", "Submitted"),
        text("contract_id", "Contract id"),
        text("obligation_id", "Obligation id"),
    )
    rows: list[dict[str, Cell]] = [
        {
            "reference": s.contract.reference,
            "supplier": s.contract.supplier,
            "period": s.period,
            "measure": s.measure,
            "narrative": s.narrative,
            "case_study": s.case_study,
            "beneficiaries": s.beneficiaries,
            "places": "; ".join(s.places),
            "evidence": "; ".join(s.evidence),
            "review": s.review,
            "submitted_on": s.submitted_on,
            "contract_id": s.contract.contract_id,
            "obligation_id": s.obligation_id,
        }
        for s in report.content.stories
    ]
    return Tabular("stories", "Stories from returns", columns, rows, report.freshness)


def pledge(report: Reported[PledgeProgress]) -> Tabular:
    """One row per year and pledged measure."""
    columns = (
        text("year", "Financial year"),
        text("measure", "Measure"),
        figure("baseline", "Baseline"),
        figure("target", "Target"),
        figure("from_returns", "From accepted returns"),
        figure("from_deliveries", "From confirmed deliveries"),
        figure("actual", "Actual"),
        integer("quarters_due", "Quarters due"),
        figure("expected_to_date", "Expected to date"),
        figure("ratio", "Ratio"),
        text("status", "Status"),
    )
    rows: list[dict[str, Cell]] = [
        {
            "year": y.year,
            "measure": y.measure,
            "baseline": y.baseline,
            "target": y.target,
            "from_returns": y.from_returns,
            "from_deliveries": y.from_deliveries,
            "actual": y.actual,
            "quarters_due": y.quarters_due,
            "expected_to_date": y.expected_to_date,
            "ratio": y.ratio,
            "status": y.status,
        }
        for y in report.content.years
    ]
    organisation = report.content.pledge.organisation
    return Tabular(
        "partner-vcfse",
        f"Partner VCFSE progress of {organisation}",
        columns,
        rows,
        report.freshness,
    )


_KPI = (
    text("reference", "Reference"),
    text("supplier", "Supplier"),
    text("measure", "Measure"),
    text("description", "KPI"),
    text("unit", "Unit"),
    figure("target", "Target in period"),
    figure("delivered", "Delivered in period"),
    figure("ratio", "Ratio"),
    text("rating", "KPI rating"),
    text("contract_rating", "Contract rating"),
    text("target_based", "Target-based rating"),
    text("value_based", "Value-based rating"),
    day("period_start", "Period from"),
    day("period_end", "Period to"),
    text("contract_id", "Contract id"),
    text("obligation_id", "Obligation id"),
)


def _kpi_rows(r: ContractRating) -> list[dict[str, Cell]]:
    common: dict[str, Cell] = {
        "reference": r.contract.reference,
        "supplier": r.contract.supplier,
        "contract_rating": r.rating.value,
        "target_based": r.target_based.rating.value,
        "value_based": r.value_based.rating.value,
        "period_start": r.period_start,
        "period_end": r.period_end,
        "contract_id": r.contract.contract_id,
    }
    if not r.kpis:
        return [{**common, "rating": r.rating.value}]
    return [
        {
            **common,
            "measure": k.obligation.measure,
            "description": k.obligation.description,
            "unit": k.obligation.unit,
            "target": k.target,
            "delivered": k.delivered,
            "ratio": k.ratio,
            "rating": k.rating.value,
            "obligation_id": k.obligation.obligation_id,
        }
        for k in r.kpis
    ]


def kpi_rating(report: Reported[ContractRating]) -> Tabular:
    """One row per KPI of the contract."""
    r = report.content
    return Tabular(
        f"kpi-rating-{r.contract.reference}",
        "KPI rating",
        _KPI,
        _kpi_rows(r),
        report.freshness,
        notes=(r.target_based.explanation, r.value_based.explanation, *r.warnings),
    )


def kpi_ratings(report: Reported[list[ContractRating]]) -> Tabular:
    """One row per KPI of every contract."""
    return Tabular(
        "kpi-ratings",
        "KPI ratings",
        _KPI,
        [row for r in report.content for row in _kpi_rows(r)],
        report.freshness,
    )
