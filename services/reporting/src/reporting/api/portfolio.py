"""Portfolio routes: your organisation's contracts, broken down, ranked, rated and published."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter
from fastapi.responses import Response

from reporting.api import tables
from reporting.api.dependencies import Export, ExportDep, PartyDep, ServiceDep, UrlDep
from reporting.api.rendering import EXPORTS, ocds_response, respond
from reporting.api.schemas import (
    BreakdownOut,
    KpiRatingsOut,
    LeagueTableOut,
    PortfolioOut,
    SupplierStandingOut,
    breakdown_body,
    kpi_ratings_body,
    portfolio_body,
)
from reporting.application.reports import (
    breakdown_report,
    kpi_ratings,
    league_table,
    portfolio_ocds,
    portfolio_report,
    supplier_standing,
)
from reporting.domain import kpi as kpi_rules
from reporting.domain import portfolio as portfolio_rules
from reporting.domain.portfolio import Dimension

router = APIRouter(tags=["portfolio"])


@router.get(
    "/portfolio",
    summary="Your contracts, committed against delivered (?format=csv|xlsx to export)",
    description=portfolio_rules.__doc__,
    response_model=PortfolioOut,
    responses=EXPORTS,
)
async def read_portfolio(
    party: PartyDep, service: ServiceDep, export: ExportDep = Export.JSON
) -> PortfolioOut | Response:
    """Each contract your organisation let or supplies: delivery ratio, GBP value, alerts."""
    report = await portfolio_report(service, party)
    return await respond(export, report, portfolio_body, tables.portfolio)


@router.get(
    "/portfolio/by/{dimension}",
    summary="Committed against delivered by measure, outcome, theme, supplier, buyer, place, "
    "financial year or quarter (?format=csv|xlsx to export)",
    description=portfolio_rules.__doc__,
    response_model=BreakdownOut,
    responses=EXPORTS,
)
async def read_breakdown(
    dimension: Dimension, party: PartyDep, service: ServiceDep, export: ExportDep = Export.JSON
) -> BreakdownOut | Response:
    """Units per measure in each group, and GBP proxy value where proxy values are loaded."""
    report = await breakdown_report(service, party, dimension)
    return await respond(export, report, breakdown_body, tables.breakdown)


@router.get(
    "/portfolio/league-table",
    summary="Suppliers ranked by delivery ratio (?format=csv|xlsx to export)",
    response_model=LeagueTableOut,
    responses=EXPORTS,
)
async def read_league_table(
    party: PartyDep, service: ServiceDep, export: ExportDep = Export.JSON
) -> LeagueTableOut | Response:
    """The suppliers of your contracts, best delivery first; a supplier sees only itself."""
    report = await league_table(service, party)
    return await respond(export, report, LeagueTableOut.of, tables.league_table)


@router.get(
    "/portfolio/kpi-ratings",
    summary="Every contract's Procurement Act KPI rating (?format=csv|xlsx to export)",
    description=kpi_rules.__doc__,
    response_model=KpiRatingsOut,
    responses=EXPORTS,
)
async def read_kpi_ratings(
    party: PartyDep, service: ServiceDep, export: ExportDep = Export.JSON
) -> KpiRatingsOut | Response:
    """Each contract's KPIs rated over its last twelve months, target- and value-based."""
    report = await kpi_ratings(service, party)
    return await respond(
        export, report, partial(kpi_ratings_body, service.kpi_rule), tables.kpi_ratings
    )


@router.get(
    "/portfolio/ocds",
    summary="Your portfolio as one OCDS 1.1 release package, with the metrics extension",
    response_class=Response,
    responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}},
)
async def read_portfolio_ocds(party: PartyDep, service: ServiceDep, uri: UrlDep) -> Response:
    """A release per contract: agreedMetrics (targets) and implementation.metrics (delivered)."""
    return ocds_response(await portfolio_ocds(service, party, uri))


@router.get(
    "/suppliers/{supplier}/standing",
    summary="A supplier's standing on your contracts (?format=csv|xlsx to export)",
    response_model=SupplierStandingOut,
    responses=EXPORTS,
)
async def read_supplier_standing(
    supplier: str, party: PartyDep, service: ServiceDep, export: ExportDep = Export.JSON
) -> SupplierStandingOut | Response:
    """Your own standing as a supplier, or that of a supplier to your organisation; else 404."""
    report = await supplier_standing(service, party, supplier)
    return await respond(export, report, SupplierStandingOut.of, tables.supplier_standing)
