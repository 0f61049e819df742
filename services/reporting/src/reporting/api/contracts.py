"""Contract routes: the Procurement Act KPI rating, the performance notice, the OCDS release."""

from __future__ import annotations

import uuid
from functools import partial

from fastapi import APIRouter
from fastapi.responses import Response

from reporting.adapters.ocds import ocid
from reporting.api import tables
from reporting.api.dependencies import Export, ExportDep, PartyDep, ServiceDep, UrlDep
from reporting.api.rendering import EXPORTS, ocds_response, respond
from reporting.api.schemas import (
    FreshnessOut,
    KpiOut,
    KpiRatingOut,
    KpiRatingReportOut,
    NoticeContractOut,
    PartyOut,
    PerformanceNoticeOut,
    RuleOut,
    VerdictOut,
)
from reporting.application.reports import Reported, contract_ocds, kpi_rating
from reporting.domain import kpi as kpi_rules
from reporting.domain.kpi import ContractRating, KpiRule

router = APIRouter(prefix="/contracts", tags=["contracts"])


def rating_out(rule: KpiRule, report: Reported[ContractRating]) -> KpiRatingReportOut:
    """The rating with its freshness and rule."""
    return KpiRatingReportOut(
        **KpiRatingOut.of_rating(report.content).model_dump(),
        as_of=report.as_of,
        freshness=FreshnessOut.of(report.freshness),
        rule=RuleOut.of(rule),
    )


def notice_out(prefix: str, report: Reported[ContractRating]) -> PerformanceNoticeOut:
    """What a contract performance notice publishes."""
    r = report.content
    c = r.contract
    return PerformanceNoticeOut(
        as_of=report.as_of,
        freshness=FreshnessOut.of(report.freshness),
        notice_required=r.notice_required,
        authority=PartyOut(id=c.buyer, name=c.buyer),
        procurement_identifier=c.tender_id,
        contract=NoticeContractOut(
            id=c.contract_id,
            ocid=ocid(prefix, c.contract_id),
            reference=c.reference,
            title=c.title,
            value_gbp=KpiRatingOut.of_rating(r).value_gbp,
            starts_on=c.starts_on,
            ends_on=c.ended_on or c.ends_on,
            status=c.status,
        ),
        supplier=PartyOut(id=c.supplier, name=c.supplier),
        period_assessed_start=r.period_start,
        period_assessed_end=r.period_end,
        kpis=[KpiOut.of(k) for k in r.kpis],
        rating=r.rating.value,
        rating_basis=r.basis.value,
        target_based=VerdictOut.of(r.target_based),
        value_based=VerdictOut.of(r.value_based),
        warnings=r.warnings,
    )


@router.get(
    "/{contract_id}/kpi-rating",
    summary="A contract's Procurement Act KPI rating, both variants (?format=csv|xlsx to export)",
    description=kpi_rules.__doc__,
    response_model=KpiRatingReportOut,
    responses=EXPORTS,
)
async def read_kpi_rating(
    contract_id: uuid.UUID, party: PartyDep, service: ServiceDep, export: ExportDep = Export.JSON
) -> KpiRatingReportOut | Response:
    """Each KPI and the contract rated over its last twelve months, by the configured rule."""
    report = await kpi_rating(service, party, contract_id)
    return await respond(export, report, partial(rating_out, service.kpi_rule), tables.kpi_rating)


@router.get(
    "/{contract_id}/performance-notice",
    summary="The data of a contract performance notice (?format=csv|xlsx to export its KPIs)",
    response_model=PerformanceNoticeOut,
    responses=EXPORTS,
)
async def read_performance_notice(
    contract_id: uuid.UUID, party: PartyDep, service: ServiceDep, export: ExportDep = Export.JSON
) -> PerformanceNoticeOut | Response:
    """Authority, procurement and contract identifiers, supplier, KPIs, rating, period assessed."""
    report = await kpi_rating(service, party, contract_id)
    notice = partial(notice_out, service.settings.ocds_prefix)
    return await respond(export, report, notice, tables.kpi_rating)


@router.get(
    "/{contract_id}/ocds",
    summary="A contract as an OCDS 1.1 release package, with the metrics extension",
    response_class=Response,
    responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}},
)
async def read_contract_ocds(
    contract_id: uuid.UUID, party: PartyDep, service: ServiceDep, uri: UrlDep
) -> Response:
    """The contract, its agreedMetrics (targets by quarter) and implementation.metrics."""
    return ocds_response(await contract_ocds(service, party, contract_id, uri))
