"""Report queries, each limited to what the caller's organisation may see.

A buyer sees the contracts it let, a supplier the contracts it delivers (an organisation that
is both sees both); another organisation's contract, supplier or pledge is not found (404),
never forbidden. Every report carries its freshness: when it was made and up to which event
of each source it reflects.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from svledger.auth import Principal
from svledger.errors import NotFound
from svledger.paging import Page

from reporting.adapters import ocds
from reporting.application.progress import get_contract_progress
from reporting.bootstrap import Reporting
from reporting.domain import cells
from reporting.domain.kpi import ContractRating, KpiRule, rate_contract
from reporting.domain.pledge import PledgeProgress, progress
from reporting.domain.portfolio import (
    ContractSummary,
    Dimension,
    Group,
    Portfolio,
    Standing,
    Tally,
)
from reporting.domain.progress import Alert, AlertList, AlertStatus, ContractProgress
from reporting.domain.report import Freshness
from reporting.domain.returns import LateReturn, StoryList, late_and_overdue

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Reported(Generic[T]):
    """A report's content, and how fresh it is."""

    content: T
    freshness: Freshness
    as_of: date


async def _fresh(service: Reporting, content: T, now: datetime) -> Reported[T]:
    return Reported(content, await service.read_models.freshness(now), now.date())


async def _portfolio(
    service: Reporting,
    reader: Principal,
    now: datetime,
    *,
    kpi_rule: KpiRule | None = None,
    among: Sequence[str] | None = None,
) -> Portfolio:
    """The caller's portfolio by quarter (the reports over whole contracts read
    :meth:`reporting.adapters.read_models.ReadModels.whole_contracts` instead)."""
    return await service.read_models.portfolio(
        reader.organisation, now.date(), kpi_rule=kpi_rule, among=among
    )


@dataclass(frozen=True, slots=True)
class PortfolioReport:
    """The organisation's contracts, each summarised, and the portfolio's GBP totals."""

    contracts: list[ContractSummary]
    totals: Tally


async def portfolio_report(service: Reporting, reader: Principal) -> Reported[PortfolioReport]:
    """Every contract the caller let or supplies, committed against delivered."""
    now = service.now()
    whole = await service.read_models.whole_contracts(reader.organisation, now.date())
    open_alerts = await service.read_models.open_alert_counts(reader.organisation)
    summaries = whole.summaries(open_alerts)
    # Each obligation is in one contract: the contracts' GBP add up to the portfolio's,
    # without a second pass over a national buyer's ten thousand obligations.
    totals = sum((s.gbp for s in summaries), Tally())
    return await _fresh(service, PortfolioReport(summaries, totals), now)


@dataclass(frozen=True, slots=True)
class Breakdown:
    """Committed against delivered, grouped one way."""

    dimension: Dimension
    groups: list[Group]
    totals: Tally


async def breakdown_report(
    service: Reporting, reader: Principal, dimension: Dimension
) -> Reported[Breakdown]:
    """The portfolio grouped by measure, outcome, theme, supplier, buyer, place, year or quarter."""
    now = service.now()
    if dimension in cells.SUMMED_BY:
        groups, totals = await service.read_models.breakdown_from_cells(
            reader.organisation, now.date(), dimension
        )
        return await _fresh(service, Breakdown(dimension, groups, totals), now)
    groups = await service.read_models.breakdown_from_sums(
        reader.organisation, now.date(), dimension
    )
    # By supplier, buyer or place, each obligation falls in one group: theirs add up.
    totals = sum((g.total for g in groups), Tally())
    return await _fresh(service, Breakdown(dimension, groups, totals), now)


async def league_table(service: Reporting, reader: Principal) -> Reported[list[Standing]]:
    """Suppliers of the caller's contracts ranked by delivery ratio (a supplier sees itself)."""
    now = service.now()
    whole = await service.read_models.whole_contracts(reader.organisation, now.date())
    return await _fresh(service, whole.league_table(), now)


@dataclass(frozen=True, slots=True)
class SupplierStanding:
    """One supplier's standing and its contracts in the caller's portfolio."""

    standing: Standing
    contracts: list[ContractSummary]


async def supplier_standing(
    service: Reporting, reader: Principal, supplier: str
) -> Reported[SupplierStanding]:
    """A supplier's standing: for the supplier itself, or a buyer it delivers for; else 404."""
    now = service.now()
    if not await service.read_models.supplies_to(reader.organisation, supplier):
        raise NotFound(f"supplier {supplier} was not found")
    whole = await service.read_models.whole_contracts(reader.organisation, now.date())
    standing = next((s for s in whole.league_table() if s.supplier == supplier), None)
    if standing is None:
        raise NotFound(f"supplier {supplier} was not found")
    open_alerts = await service.read_models.open_alert_counts(reader.organisation)
    contracts = [s for s in whole.summaries(open_alerts) if s.contract.supplier == supplier]
    return await _fresh(service, SupplierStanding(standing, contracts), now)


async def progress_report(
    service: Reporting, reader: Principal, contract_id: uuid.UUID
) -> Reported[ContractProgress]:
    """One contract's progress as measurement assessed it, for its two parties; else 404."""
    now = service.now()
    found = await get_contract_progress(service.read_models, reader, contract_id)
    return await _fresh(service, found, now)


async def alerts_report(
    service: Reporting, reader: Principal, status: AlertStatus | None, page: Page
) -> Reported[AlertList]:
    """A page of the alerts on the caller's contracts (and its pledge), oldest first."""
    now = service.now()
    found = await service.read_models.alerts_for(reader.organisation, status, page)
    return await _fresh(service, found, now)


@asynccontextmanager
async def every_alert(
    service: Reporting, reader: Principal, status: AlertStatus | None
) -> AsyncIterator[Reported[AsyncIterator[list[Alert]]]]:
    """All the alerts :func:`alerts_report` pages through, read a few thousand at a time as
    they are used until the block ends (for a file of them). The freshness is read first, so
    the alerts reflect at least the events it names."""
    now = service.now()
    freshness = await service.read_models.freshness(now)
    async with service.read_models.every_alert(reader.organisation, status) as alerts:
        yield Reported(alerts, freshness, now.date())


async def late_returns_report(service: Reporting, reader: Principal) -> Reported[list[LateReturn]]:
    """Returns that came in late, and quarters overdue without a return."""
    now = service.now()
    contracts, periods, came_in = await service.read_models.late_or_overdue(
        reader.organisation, now.date()
    )
    return await _fresh(service, late_and_overdue(contracts, periods, came_in, now.date()), now)


async def stories_report(
    service: Reporting,
    reader: Principal,
    *,
    contract_id: uuid.UUID | None,
    measure: str | None,
    accepted_only: bool,
    page: Page | None,
) -> Reported[StoryList]:
    """The narratives and case studies of returns, newest quarter first: a page, or all."""
    now = service.now()
    found = await service.read_models.stories(
        reader.organisation,
        contract_id=None if contract_id is None else str(contract_id),
        measure=measure,
        accepted_only=accepted_only,
        page=page,
    )
    return await _fresh(service, found, now)


async def kpi_rating(
    service: Reporting, reader: Principal, contract_id: uuid.UUID
) -> Reported[ContractRating]:
    """A contract's Procurement Act KPI rating, for its buyer or supplier; else 404."""
    now = service.now()
    rule = service.kpi_rule
    portfolio = await _portfolio(service, reader, now, kpi_rule=rule, among=[str(contract_id)])
    if not portfolio.contracts:
        raise NotFound(f"contract {contract_id} was not found")
    rating = rate_contract(portfolio, portfolio.contracts[0], rule)
    return await _fresh(service, rating, now)


async def kpi_ratings(service: Reporting, reader: Principal) -> Reported[list[ContractRating]]:
    """Every contract's KPI rating, in reference order."""
    now = service.now()
    rule = service.kpi_rule
    portfolio = await _portfolio(service, reader, now, kpi_rule=rule)
    ratings = [
        rate_contract(portfolio, c, rule)
        for c in sorted(portfolio.contracts, key=lambda c: (c.reference, c.contract_id))
    ]
    return await _fresh(service, ratings, now)


async def pledge_progress(service: Reporting, reader: Principal) -> Reported[PledgeProgress]:
    """The caller's organisation's Partner VCFSE progress; 404 without a pledge."""
    now = service.now()
    pledge = await service.read_models.pledge(reader.organisation)
    if pledge is None:
        raise NotFound(f"{reader.organisation} has made no Partner VCFSE pledge")
    returned, confirmed = await service.read_models.pledge_actuals(reader.organisation)
    return await _fresh(service, progress(pledge, returned, confirmed, now.date()), now)


async def contract_ocds(
    service: Reporting, reader: Principal, contract_id: uuid.UUID, uri: str
) -> ocds.Package:
    """One contract as an OCDS release package; 404 for anyone but its two parties."""
    now = service.now()
    portfolio = await _portfolio(service, reader, now, among=[str(contract_id)])
    if not portfolio.contracts:
        raise NotFound(f"contract {contract_id} was not found")

    async def read() -> AsyncIterator[Portfolio]:
        yield portfolio

    return _package(service, reader, read(), uri=uri, now=now)


async def portfolio_ocds(service: Reporting, reader: Principal, uri: str) -> ocds.Package:
    """Every contract of the caller's portfolio as one OCDS release package, in reference
    order, read a hundred contracts at a time as the package is written: a national buyer's
    portfolio, read whole first, kept the first byte waiting 1.3-1.8 s and the service
    44 MB larger."""
    now = service.now()
    ids = await service.read_models.contract_ids(reader.organisation)
    if not ids:
        raise NotFound(f"{reader.organisation} has no contracts to publish")

    async def read() -> AsyncIterator[Portfolio]:
        for start in range(0, len(ids), _RELEASES_PER_READ):
            among = ids[start : start + _RELEASES_PER_READ]
            yield await _portfolio(service, reader, now, among=among)

    return _package(service, reader, read(), uri=uri, now=now)


_RELEASES_PER_READ = 100


def _package(
    service: Reporting,
    reader: Principal,
    portfolios: AsyncIterator[Portfolio],
    *,
    uri: str,
    now: datetime,
) -> ocds.Package:
    """A package of the contracts of ``portfolios``, each read when the writer reaches it."""
    prefix = service.settings.ocds_prefix

    async def releases() -> AsyncIterator[dict[str, Any]]:
        async for portfolio in portfolios:
            for c in sorted(portfolio.contracts, key=lambda c: (c.reference, c.contract_id)):
                yield ocds.release(portfolio, c, prefix, now)

    return ocds.Package(ocds.package_head(uri, reader.organisation, now), releases())
