"""Queries over the read models, each on a read connection of its own.

Reports are scoped to what an organisation may see: the contracts it let or supplies (and,
for alerts and pledges, what concerns the organisation itself). Figures are read back as exact
decimals and summed in Python; SQL sums them only on PostgreSQL, whose numeric is exact (SQLite
would sum them as floating point).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Collection, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import fields
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    FromClause,
    Numeric,
    Row,
    ScalarSelect,
    Select,
    Table,
    and_,
    cast,
    column,
    exists,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection
from svledger.database import Database
from svledger.paging import Page

from reporting.adapters.tables import (
    alerts,
    consumer_marks,
    contract_sums,
    contracts,
    deliveries,
    framework_measures,
    obligation_targets,
    obligations,
    pledge_figures,
    pledges,
    portfolio_cells,
    proxy_values,
    return_lines,
    returns,
    schedule_periods,
)
from reporting.domain import cells
from reporting.domain.contract_sums import GBP_COLUMNS, SUMS_COLUMNS, fingerprint, from_row
from reporting.domain.kpi import KpiRule
from reporting.domain.pledge import PLEDGE_MEASURES, ConfirmedDelivery, Pledge, ReturnedQuantity
from reporting.domain.portfolio import (
    ZERO,
    ContractFacts,
    ContractSums,
    Dimension,
    Figures,
    Group,
    LineFacts,
    ObligationFacts,
    Portfolio,
    SummedMeasure,
    Tally,
    WholeContracts,
    breakdown_of_sums,
)
from reporting.domain.progress import (
    Alert,
    AlertList,
    AlertStatus,
    AwardedContract,
    ContractProgress,
    ObligationProgress,
    SubmittedReturn,
)
from reporting.domain.report import Freshness, Mark
from reporting.domain.returns import ReturnIn, SchedulePeriod, Story, StoryList


def party_to(organisation: str) -> ColumnElement[bool]:
    """Contracts the organisation let or supplies."""
    return or_(contracts.c.buyer == organisation, contracts.c.supplier == organisation)


def alerts_of(organisation: str) -> ColumnElement[bool]:
    """Alerts on contracts the organisation let or supplies, or on its own pledge: each alert
    carries its contract's parties, so this reads the alerts' own indexes."""
    return or_(alerts.c.buyer == organisation, alerts.c.supplier == organisation)


class ReadModels:
    """What reporting has projected, read back in the shapes the application works with."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def contract_progress(self, contract_id: str) -> ContractProgress | None:
        """A contract with its obligations, returns and open alerts; None when unknown."""
        async with self.database.reader.connect() as conn:
            row = (
                await conn.execute(
                    select(*_CONTRACT_COLUMNS).where(contracts.c.contract_id == contract_id)
                )
            ).first()
            if row is None:
                return None
            return ContractProgress(
                contract=_awarded(row),
                obligations=await _obligation_progress(conn, contract_id),
                returns=await _returns(conn, contract_id),
                open_alerts=await _alerts(
                    conn,
                    and_(
                        alerts.c.contract_id == contract_id,
                        alerts.c.obligation_id.is_not(None),
                        alerts.c.status == AlertStatus.OPEN.value,
                    ),
                ),
                open_return_alerts=await _alerts(
                    conn,
                    and_(
                        alerts.c.contract_id == contract_id,
                        alerts.c.obligation_id.is_(None),
                        alerts.c.status == AlertStatus.OPEN.value,
                    ),
                ),
            )

    async def alerts_for(
        self, organisation: str, status: AlertStatus | None, page: Page
    ) -> AlertList:
        """A page of the alerts on contracts the organisation let or delivers (or on its own
        pledge), oldest first, and how many there are in all."""
        which = _alerts_seen_by(organisation, status)
        async with self.database.reader.connect() as conn:
            found = await _alerts(conn, which, page)
            if page.offset == 0 and len(found) < page.limit:
                return AlertList(found, len(found))
            counted = select(func.count()).select_from(alerts).where(which)
            return AlertList(found, int((await conn.execute(counted)).scalar_one()))

    @asynccontextmanager
    async def every_alert(
        self, organisation: str, status: AlertStatus | None
    ) -> AsyncIterator[AsyncIterator[list[Alert]]]:
        """All the alerts :meth:`alerts_for` pages through, oldest first, read a few thousand
        at a time as they are used, on a connection held until the block ends. A national
        buyer's 30,000 alerts, read whole for their file, added 64 MB to the service."""
        query = _alerts_query(_alerts_seen_by(organisation, status))
        async with self.database.reader.connect() as conn:
            chunks = ([_alert(r) for r in partition] async for partition in _streamed(conn, query))
            try:
                yield chunks
            finally:
                await chunks.aclose()  # on the connection, if its reader stopped part way

    async def freshness(self, as_of: datetime) -> Freshness:
        """Up to which event each consumer's read models reflect the log."""
        async with self.database.reader.connect() as conn:
            rows = (
                await conn.execute(select(consumer_marks).order_by(consumer_marks.c.consumer))
            ).all()
        return Freshness(
            as_of,
            tuple(Mark(r.consumer, r.stream, int(r.position), r.recorded_at) for r in rows),
        )

    async def portfolio(
        self,
        organisation: str,
        as_of: date,
        *,
        kpi_rule: KpiRule | None = None,
        among: Collection[str] | None = None,
    ) -> Portfolio:
        """Everything needed to report on the organisation's contracts (or those of them
        ``among`` these ids) by quarter: each quarter's targets and lines. With ``kpi_rule``
        (for KPI ratings), only the KPIs, with the targets and lines of the quarters the rule
        assesses and no others."""
        scope = party_to(organisation)
        if among is not None:
            scope = and_(scope, contracts.c.contract_id.in_(sorted(among)))
        async with self.database.reader.connect() as conn:
            found = [
                _contract(r)
                for r in (await conn.execute(select(*_CONTRACT_COLUMNS).where(scope))).all()
            ]
            versions = sorted({c.framework_version for c in found})
            proxies = await _proxy_values(conn, versions)
            kpis_only = kpi_rule is not None
            periods = (
                None
                if kpi_rule is None
                else sorted({q.label for c in found for q in kpi_rule.window(c, as_of)})
            )
            return Portfolio(
                contracts=found,
                obligations=await _obligations(conn, scope, kpis_only, periods),
                lines=await _lines(conn, scope, kpis_only, periods),
                proxy_values=proxies,
                as_of=as_of,
            )

    async def contract_ids(self, organisation: str) -> list[str]:
        """The organisation's contracts' ids, in order of reference (then id)."""
        query = select(contracts.c.reference, contracts.c.contract_id).where(party_to(organisation))
        async with self.database.reader.connect() as conn:
            # Sorted here, not by the database, whose collation may order text otherwise.
            return [str(r[1]) for r in sorted(await conn.execute(query), key=tuple)]

    async def whole_contracts(self, organisation: str, as_of: date) -> WholeContracts:
        """The organisation's contracts, each summed on ``as_of``, for the reports over whole
        contracts: a row per contract, the stretch of its sums that ``as_of`` falls in
        (:mod:`reporting.domain.contract_sums`), whose GBP is read as it was valued unless its
        framework's proxy values have changed since. A contract without a stretch (not summed
        since the table came, or arrived between the two reads) is summed here from its
        obligations' totals, by the same rules."""
        scope = party_to(organisation)
        async with self.database.reader.connect() as conn:
            found = [
                _contract(r)
                for r in (await conn.execute(select(*_CONTRACT_COLUMNS).where(scope))).all()
            ]
            proxies = await _proxy_values(conn, sorted({c.framework_version for c in found}))
            sums = await _stretches(conn, scope, as_of, proxies)
            if missing := [c for c in found if c.contract_id not in sums]:
                sums.update(await _summed_as_read(conn, scope, as_of, missing))
        return WholeContracts(found, sums, proxies)

    async def breakdown_from_sums(
        self, organisation: str, as_of: date, dimension: Dimension
    ) -> list[Group]:
        """The portfolio by supplier, buyer or place (:data:`BY_CONTRACTS_SUMMED`) on
        ``as_of``, from each contract's measures in the stretch of its sums that ``as_of``
        falls in (:mod:`reporting.domain.contract_sums`).

        PostgreSQL adds the measures up by group, measure and proxy value as it reads them (its
        numeric sums are exact), so a national buyer's ten thousand come back as a line per
        group and measure; SQLite's are added up here. A contract without a stretch for the
        day is summed from its obligations as it is read, as :meth:`whole_contracts` does."""
        scope = party_to(organisation)
        async with self.database.reader.connect() as conn:
            # Those without a stretch first, summed below only if they still have none: a
            # contract summed while this reads is never counted twice (at worst left out once).
            missing = [
                _contract(r)
                for r in await conn.execute(
                    select(*_CONTRACT_COLUMNS).where(scope, ~_has_stretch(as_of))
                )
            ]
            summed = _added_up(
                await conn.execute(_summed_measures(conn.dialect.name, dimension, scope, as_of))
            )
            versions = {r[1] for r in summed} | {c.framework_version for c in missing}
            proxies = await _proxy_values(conn, sorted(versions))
            if missing:
                sums = await _summed_as_read(conn, scope, as_of, missing)
                summed += WholeContracts(missing, sums, proxies).summed_measures(dimension)
        return breakdown_of_sums(dimension, summed, proxies)

    async def breakdown_from_cells(
        self, organisation: str, as_of: date, dimension: Dimension
    ) -> tuple[list[Group], Tally]:
        """The portfolio by quarter, financial year, measure, theme or outcome
        (:data:`cells.SUMMED_BY`) on ``as_of``, and its GBP totals, from the organisation's
        portfolio cells: a few rows per quarter and measure, however many contracts they sum
        (:mod:`reporting.domain.cells`)."""
        c = portfolio_cells.c
        async with self.database.reader.connect() as conn:
            rows = [
                cells.from_row(r)
                for r in await conn.execute(
                    select(portfolio_cells).where(c.organisation == organisation)
                )
            ]
            versions = sorted({k.framework_version for k, _ in rows})
            proxies = await _proxy_values(conn, versions)
            places = None
            if dimension in (Dimension.THEME, Dimension.OUTCOME):
                places = await _measure_places(conn, versions)
        return (
            cells.breakdown(rows, dimension, as_of, proxies, places),
            cells.totals(rows, as_of, proxies),
        )

    async def open_alert_counts(self, organisation: str) -> dict[str, int]:
        """Alerts not yet resolved on each of the organisation's contracts."""
        c = alerts.c
        query = (
            select(c.contract_id, func.count())
            .where(
                alerts_of(organisation),
                c.contract_id.is_not(None),
                c.status != AlertStatus.RESOLVED.value,
            )
            .group_by(c.contract_id)
        )
        async with self.database.reader.connect() as conn:
            return {str(r[0]): int(r[1]) for r in await conn.execute(query)}

    async def late_or_overdue(
        self, organisation: str, as_of: date
    ) -> tuple[dict[str, ContractFacts], list[SchedulePeriod], dict[tuple[str, str], ReturnIn]]:
        """The reporting periods of the organisation's contracts that may be late or overdue
        on ``as_of``, the returns that came in for them, and their contracts.

        That is the periods due before ``as_of`` with no return, and those whose return came
        in late: :func:`reporting.domain.returns.late_and_overdue` decides, and the read leaves
        out the periods it never lists (not yet due, or returned on time), so its cost follows
        what is late, not the size of the portfolio."""
        p, r = schedule_periods, returns
        query = (
            select(
                *_CONTRACT_COLUMNS,
                p.c.period,
                p.c.due_on,
                p.c.cancelled,
                r.c.contract_id.label("returned"),
                r.c.late,
                r.c.submitted_on,
                r.c.submitted_at,
                r.c.review,
            )
            .select_from(
                p.join(contracts, contracts.c.contract_id == p.c.contract_id).outerjoin(
                    r, _same_return(p)
                )
            )
            .where(
                party_to(organisation),
                or_(and_(r.c.contract_id.is_(None), p.c.due_on < as_of), r.c.late),
            )
        )
        async with self.database.reader.connect() as conn:
            rows = (await conn.execute(query)).all()
        found: dict[str, ContractFacts] = {}
        periods: list[SchedulePeriod] = []
        came_in: dict[tuple[str, str], ReturnIn] = {}
        for row in rows:
            if row.contract_id not in found:
                found[row.contract_id] = _contract(row)
            periods.append(
                SchedulePeriod(row.contract_id, row.period, row.due_on, bool(row.cancelled))
            )
            if row.returned is not None:
                came_in[(row.contract_id, row.period)] = ReturnIn(
                    row.contract_id,
                    row.period,
                    bool(row.late),
                    row.submitted_on or row.submitted_at.date(),
                    row.review,
                )
        return found, periods, came_in

    async def stories(
        self,
        organisation: str,
        *,
        contract_id: str | None,
        measure: str | None,
        accepted_only: bool,
        page: Page | None,
    ) -> StoryList:
        """The narratives, case studies and their people and places, newest quarter first: a
        page of them, or (``page`` None) all, and how many there are.

        Only returns and lines with some text are read (most lines have none); whether the
        text tells a story, more than blanks, is decided here. The contracts are read for the
        stories on the page only."""
        scope = party_to(organisation)
        if contract_id is not None:
            scope = and_(scope, contracts.c.contract_id == contract_id)
        if accepted_only:
            scope = and_(scope, returns.c.review == "accepted")
        line_has_text = or_(return_lines.c.narrative != "", return_lines.c.case_study != "")
        if measure is not None:
            line_has_text = and_(line_has_text, obligations.c.measure == measure)
        async with self.database.reader.connect() as conn:
            narrated = (
                []
                if measure is not None
                else (
                    await conn.execute(
                        select(returns, contracts.c.reference)
                        .select_from(_with_contract(returns))
                        .where(scope, returns.c.narrative != "")
                    )
                ).all()
            )
            lines = (
                await conn.execute(
                    select(
                        return_lines,
                        contracts.c.reference,
                        obligations.c.measure,
                        returns.c.review,
                        returns.c.submitted_on,
                    )
                    # outer: a line whose obligation (or return) is not known yet still tells
                    # its story
                    .select_from(
                        _with_contract(return_lines)
                        .outerjoin(obligations, _same_obligation(return_lines))
                        .outerjoin(returns, _same_return(return_lines))
                    )
                    .where(scope, line_has_text)
                )
            ).all()
            # each story's sort key (newest first; its contract breaks ties, so that pages
            # never overlap), its row, and how to tell it
            told = [
                ((r.period, r.reference, "", r.contract_id), r, _narrative_story)
                for r in narrated
                if (r.narrative or "").strip()
            ] + [
                ((r.period, r.reference, r.obligation_id, r.contract_id), r, _line_story)
                for r in lines
                if (r.narrative or "").strip() or (r.case_study or "").strip()
            ]
            told.sort(key=itemgetter(0), reverse=True)
            shown = told if page is None else told[page.offset : page.offset + page.limit]
            by_contract = {
                r.contract_id: _contract(r)
                for r in await conn.execute(
                    select(*_CONTRACT_COLUMNS).where(
                        contracts.c.contract_id.in_(sorted({r.contract_id for _, r, _ in shown}))
                    )
                )
            }
        return StoryList([story(by_contract[r.contract_id], r) for _, r, story in shown], len(told))

    async def pledge(self, organisation: str) -> Pledge | None:
        """The organisation's Partner VCFSE pledge, or None."""
        async with self.database.reader.connect() as conn:
            row = (
                await conn.execute(select(pledges).where(pledges.c.organisation == organisation))
            ).first()
            if row is None:
                return None
            figures = (
                await conn.execute(
                    select(pledge_figures).where(pledge_figures.c.organisation == organisation)
                )
            ).all()
        baseline: dict[str, Decimal] = {}
        targets: dict[str, dict[str, Decimal]] = defaultdict(dict)
        for f in figures:
            if f.kind == "baseline":
                baseline[f.measure] = f.quantity
            else:
                targets[f.year][f.measure] = f.quantity
        return Pledge(
            organisation=row.organisation,
            base_year=row.base_year,
            baseline=baseline,
            targets=dict(targets),
            framework_version=row.framework_version,
            recorded_on=row.recorded_on,
            revision=int(row.revision),
        )

    async def pledge_actuals(
        self, organisation: str
    ) -> tuple[list[ReturnedQuantity], list[ConfirmedDelivery]]:
        """Accepted return lines on pledged measures where the organisation supplies, and the
        deliveries its VCFSE partners confirmed."""
        async with self.database.reader.connect() as conn:
            lines = (
                await conn.execute(
                    select(
                        return_lines.c.contract_id,
                        return_lines.c.obligation_id,
                        return_lines.c.period,
                        return_lines.c.quantity,
                        obligations.c.measure,
                    )
                    .select_from(_with_contract(return_lines, and_return=True, and_obligation=True))
                    .where(
                        contracts.c.supplier == organisation,
                        returns.c.accepted.is_(True),
                        obligations.c.measure.in_(PLEDGE_MEASURES),
                    )
                )
            ).all()
            confirmed = (
                await conn.execute(
                    select(deliveries).where(
                        deliveries.c.supplier == organisation,
                        deliveries.c.status == "confirmed",
                    )
                )
            ).all()
        return (
            [
                ReturnedQuantity(r.contract_id, r.obligation_id, r.measure, r.period, r.quantity)
                for r in lines
            ],
            [
                ConfirmedDelivery(
                    d.delivery_id, d.contract_id, d.obligation_id, d.measure, d.period, d.quantity
                )
                for d in confirmed
            ],
        )

    async def supplies_to(self, organisation: str, supplier: str) -> bool:
        """Whether ``supplier`` is the organisation itself or delivers one of its contracts."""
        if organisation == supplier:
            return True
        async with self.database.reader.connect() as conn:
            row = (
                await conn.execute(
                    select(contracts.c.contract_id)
                    .where(contracts.c.buyer == organisation, contracts.c.supplier == supplier)
                    .limit(1)
                )
            ).first()
        return row is not None


def _of_obligations(kpis_only: bool) -> ColumnElement[bool]:
    """Obligations a portfolio reports on: every one, or only the KPIs."""
    known = obligations.c.sequence.is_not(None)
    return and_(known, obligations.c.is_kpi.is_(True)) if kpis_only else known


def _same_obligation(rows: FromClause) -> ColumnElement[bool]:
    return and_(
        obligations.c.contract_id == rows.c.contract_id,
        obligations.c.obligation_id == rows.c.obligation_id,
    )


def _same_return(rows: FromClause) -> ColumnElement[bool]:
    return and_(returns.c.contract_id == rows.c.contract_id, returns.c.period == rows.c.period)


def _with_contract(
    rows: Table, *, and_return: bool = False, and_obligation: bool = False
) -> FromClause:
    """``rows`` joined to their contract, so that a scope on ``contracts`` picks them, and
    (when asked) to their return for the same period and to their obligation."""
    joined: FromClause = rows
    if and_return:
        joined = joined.join(returns, _same_return(rows))
    joined = joined.join(contracts, contracts.c.contract_id == rows.c.contract_id)
    if and_obligation:
        joined = joined.join(obligations, _same_obligation(rows))
    return joined


async def _obligations(
    conn: AsyncConnection,
    scope: ColumnElement[bool],
    kpis_only: bool,
    periods: Collection[str] | None,
) -> list[ObligationFacts]:
    """The obligations in scope, each with its targets (only those of ``periods`` if given)."""
    rows = (
        await conn.execute(
            select(*(obligations.c[name] for name in _OBLIGATION_FACTS))
            .select_from(_with_contract(obligations))
            .where(scope, _of_obligations(kpis_only))
            .order_by(obligations.c.contract_id, obligations.c.sequence)
        )
    ).all()
    query = (
        select(
            obligation_targets.c.contract_id,
            obligation_targets.c.obligation_id,
            obligation_targets.c.period,
            obligation_targets.c.target,
        )
        .select_from(_with_contract(obligation_targets, and_obligation=True))
        .where(scope, _of_obligations(kpis_only), *_in_periods(obligation_targets, periods))
    )
    targets: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(dict)
    same: dict[str, str] = {}  # one string per quarter, not one per row
    async for partition in _streamed(conn, query):
        for contract_id, obligation_id, period, target in partition:
            targets[(contract_id, obligation_id)][same.setdefault(period, period)] = target
    return [_obligation(r, targets.get((r[0], r[1]), {})) for r in rows]


_OBLIGATION_FACTS = (
    "contract_id",
    "obligation_id",
    "sequence",
    "measure",
    "theme",
    "outcome",
    "unit",
    "description",
    "is_kpi",
    "place",
    "proxy_gbp_per_unit",
)


def _obligation(r: Sequence[Any], targets: Mapping[str, Decimal]) -> ObligationFacts:
    """An obligation from a row whose first columns are :data:`_OBLIGATION_FACTS`, read by
    position: by name, a row's columns cost more than the rest of the report's work on it."""
    (
        contract_id,
        obligation_id,
        sequence,
        measure,
        theme,
        outcome,
        unit,
        description,
        is_kpi,
        place,
        proxy_gbp_per_unit,
    ) = r[: len(_OBLIGATION_FACTS)]
    return ObligationFacts(
        contract_id=contract_id,
        obligation_id=obligation_id,
        sequence=int(sequence),
        measure=measure,
        theme=theme or "",
        outcome=outcome or "",
        unit=unit or "",
        description=description or "",
        is_kpi=bool(is_kpi),
        targets=targets,
        place=place,
        proxy_gbp_per_unit=proxy_gbp_per_unit,
    )


def _due_before(as_of: date) -> ScalarSelect[Any]:
    """An obligation's running target total at its latest quarter due before ``as_of``."""
    t = obligation_targets.alias("t")
    return (
        select(t.c.cumulative)
        .where(
            t.c.contract_id == obligations.c.contract_id,
            t.c.obligation_id == obligations.c.obligation_id,
            t.c.due_on < as_of,
        )
        .order_by(t.c.period.desc())
        .limit(1)
        .scalar_subquery()
    )


async def _obligation_totals(
    conn: AsyncConnection, scope: ColumnElement[bool], as_of: date
) -> tuple[list[ObligationFacts], dict[tuple[str, str], Figures]]:
    """Each obligation in scope with its figures over every quarter, by the portfolio's rules:
    committed is every quarter's target, due to date the targets of quarters due before
    ``as_of`` plus those of quarters whose return was accepted early, delivered the lines of
    accepted returns, awaiting review the lines of the others.

    All but due to date are kept on the obligation's row by the projection: committed as the
    award's total (which commitments makes the sum of the targets) and the sum of the targets
    that replace them on a variation or a termination; delivered and awaiting review as
    running totals."""
    rows = (
        await conn.execute(
            select(
                *(obligations.c[name] for name in _OBLIGATION_FACTS),
                obligations.c.delivered,
                obligations.c.awaiting_review,
                obligations.c.committed_total,
                _due_before(as_of).label("due_before"),
            )
            .select_from(_with_contract(obligations))
            .where(scope, obligations.c.sequence.is_not(None))
            .order_by(obligations.c.contract_id, obligations.c.sequence)
        )
    ).all()
    # Targets of quarters not yet due whose return was accepted early: read by position, as
    # by name the rows (two per accepted return and obligation) cost a tenth of /portfolio.
    early: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for contract_id, obligation_id, target in (
        await conn.execute(
            select(
                obligation_targets.c.contract_id,
                obligation_targets.c.obligation_id,
                obligation_targets.c.target,
            )
            .select_from(_with_contract(obligation_targets, and_return=True))
            .where(scope, returns.c.accepted.is_(True), obligation_targets.c.due_on >= as_of)
        )
    ).all():
        early[(contract_id, obligation_id)] += target
    found: list[ObligationFacts] = []
    totals: dict[tuple[str, str], Figures] = {}
    for r in rows:
        ob = _obligation(r, {})
        delivered, awaiting_review, committed, due_before = r[len(_OBLIGATION_FACTS) :]
        key = (ob.contract_id, ob.obligation_id)
        found.append(ob)
        totals[key] = Figures(
            committed=committed or ZERO,
            due=(due_before or ZERO) + early.get(key, ZERO),
            delivered=delivered or ZERO,
            awaiting_review=awaiting_review or ZERO,
        )
    return found, totals


def _covering(as_of: date) -> ColumnElement[bool]:
    """The stretch of a contract's sums that ``as_of`` falls in."""
    return and_(contract_sums.c.starts_on <= as_of, contract_sums.c.ends_before > as_of)


def _has_stretch(as_of: date) -> ColumnElement[bool]:
    """The contract has a stretch of sums that ``as_of`` falls in."""
    return exists().where(contract_sums.c.contract_id == contracts.c.contract_id, _covering(as_of))


def _summed_measures(
    dialect: str, dimension: Dimension, scope: ColumnElement[bool], as_of: date
) -> Select[Any]:
    """The measures of the stretches ``as_of`` falls in, of the contracts in ``scope``, as
    (group, framework version, measure, unit, pinned rate, committed, due, delivered, awaiting
    review, obligations): on PostgreSQL added up by all but the figures, elsewhere one row per
    contract's measure (figures as text, for exact decimals)."""
    postgres = dialect == "postgresql"
    each = (
        func.jsonb_array_elements(contract_sums.c.measures)
        if postgres
        else func.json_each(contract_sums.c.measures)
    )
    elements = each.table_valued(column("value", JSONB if postgres else JSON))
    element = elements.lateral("m") if postgres else elements.alias("m")
    # As Stretch.row writes them: [measure, unit, pinned rate or null, place, committed, due,
    # delivered, awaiting review, obligations].
    value = element.c.value
    group = {
        Dimension.SUPPLIER: contracts.c.supplier,
        Dimension.BUYER: contracts.c.buyer,
        Dimension.PLACE: value[3].as_string(),
    }[dimension]
    keys = (
        group,
        contracts.c.framework_version,
        value[0].as_string(),
        value[1].as_string(),
        value[2].as_string(),
    )
    figures = [value[i].as_string() for i in range(4, 8)]
    count = value[8].as_integer()
    joined = contracts.join(contract_sums, contract_sums.c.contract_id == contracts.c.contract_id)
    if postgres:
        query = select(
            *keys, *(func.sum(cast(f, Numeric)) for f in figures), func.sum(count)
        ).group_by(*keys)
    else:
        query = select(*keys, *figures, count)
    return query.select_from(joined.join(element, true())).where(scope, _covering(as_of))


def _added_up(rows: Iterable[Sequence[Any]]) -> list[SummedMeasure]:
    """:func:`_summed_measures`' rows added up by all but their figures, as PostgreSQL's
    already are (SQLite's are one per contract's measure)."""
    sums: dict[tuple[str, str, str, str, str | None], tuple[Figures, int]] = {}
    for group, version, measure, unit, rate, committed, due, delivered, awaiting, count in rows:
        key = (group, version, measure, unit, rate)
        figures = Figures(Decimal(committed), Decimal(due), Decimal(delivered), Decimal(awaiting))
        obligations = int(count)
        if key in sums:
            before, counted = sums[key]
            figures, obligations = before + figures, counted + obligations
        sums[key] = figures, obligations
    return [
        (group, version, measure, unit, None if rate is None else Decimal(rate), figures, count)
        for (group, version, measure, unit, rate), (figures, count) in sums.items()
    ]


async def _stretches(
    conn: AsyncConnection,
    scope: ColumnElement[bool],
    as_of: date,
    proxies: Mapping[tuple[str, str], Decimal],
) -> dict[str, ContractSums]:
    """Each contract's sums in the stretch ``as_of`` falls in, by contract: with the GBP they
    were valued at when the proxy values they were valued with are ``proxies``, else with their
    measures."""
    s = contract_sums.c
    rates: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for (version, measure), rate in proxies.items():
        rates[version][measure] = rate
    valued_with = {version: fingerprint(measures) for version, measures in rates.items()}
    no_rates = fingerprint({})
    joined = contract_sums.join(contracts, contracts.c.contract_id == s.contract_id)
    sums: dict[str, ContractSums] = {}
    stale: set[str] = set()
    width = len(SUMS_COLUMNS)
    query = select(
        s.contract_id,
        contracts.c.framework_version,
        s.valued_with,
        *(s[name] for name in SUMS_COLUMNS),
        *(s[name] for name in GBP_COLUMNS),
    )
    for r in await conn.execute(query.select_from(joined).where(scope, _covering(as_of))):
        contract_id, version, valued = r[0], r[1], r[2]
        current = valued == valued_with.get(version, no_rates)
        sums[contract_id] = from_row(r[3 : 3 + width], r[3 + width :] if current else None)
        if not current:
            stale.add(contract_id)
    if stale:
        # Valued with proxy values loaded again since: valued from their measures.
        for r in await conn.execute(
            select(s.contract_id, *(s[name] for name in SUMS_COLUMNS), s.measures)
            .select_from(joined)
            .where(scope, _covering(as_of))
        ):
            if r[0] in stale:
                sums[r[0]] = from_row(r[1 : 1 + width], None, r[-1])
    return sums


async def _summed_as_read(
    conn: AsyncConnection,
    scope: ColumnElement[bool],
    as_of: date,
    missing: Sequence[ContractFacts],
) -> dict[str, ContractSums]:
    """The contracts in scope without a stretch for ``as_of`` (``missing``), summed from their
    obligations' totals."""
    obligations_found, totals = await _obligation_totals(
        conn, and_(scope, ~_has_stretch(as_of)), as_of
    )
    by_contract: dict[str, list[ObligationFacts]] = defaultdict(list)
    for ob in obligations_found:
        by_contract[ob.contract_id].append(ob)
    return {
        c.contract_id: ContractSums.of_facts(
            c,
            by_contract.get(c.contract_id, []),
            lambda ob: totals[(ob.contract_id, ob.obligation_id)],
        )
        for c in missing
    }


def _in_periods(rows: Table, periods: Collection[str] | None) -> list[ColumnElement[bool]]:
    """Only the rows of ``periods`` (every row when None)."""
    return [] if periods is None else [rows.c.period.in_(periods)]


async def _lines(
    conn: AsyncConnection,
    scope: ColumnElement[bool],
    kpis_only: bool,
    periods: Collection[str] | None,
) -> list[LineFacts]:
    query = (
        select(
            return_lines.c.contract_id,
            return_lines.c.obligation_id,
            return_lines.c.period,
            return_lines.c.quantity,
            returns.c.accepted,
        )
        .select_from(_with_contract(return_lines, and_return=True, and_obligation=True))
        .where(scope, _of_obligations(kpis_only), *_in_periods(return_lines, periods))
    )
    same: dict[str, str] = {}  # one string per id and quarter, not one per line
    found = []
    async for partition in _streamed(conn, query):
        for contract_id, obligation_id, period, quantity, accepted in partition:
            found.append(
                LineFacts(
                    same.setdefault(contract_id, contract_id),
                    same.setdefault(obligation_id, obligation_id),
                    same.setdefault(period, period),
                    quantity,
                    bool(accepted),
                )
            )
    return found


_ROWS_AT_A_TIME = 5000


async def _streamed(
    conn: AsyncConnection, query: Select[Any]
) -> AsyncIterator[Sequence[Sequence[Any]]]:
    """A large result a partition at a time (through a server-side cursor where the driver
    has one): a national buyer's 200,000 targets, held as rows all at once, doubled the
    peak memory of the reports that read them by quarter."""
    result = await conn.stream(query.execution_options(yield_per=_ROWS_AT_A_TIME))
    async for partition in result.partitions():
        yield partition


async def _proxy_values(
    conn: AsyncConnection, versions: list[str]
) -> dict[tuple[str, str], Decimal]:
    if not versions:
        return {}
    rows = (
        await conn.execute(
            select(proxy_values).where(proxy_values.c.framework_version.in_(versions))
        )
    ).all()
    return {(r.framework_version, r.measure): r.gbp_per_unit for r in rows}


async def _measure_places(conn: AsyncConnection, versions: list[str]) -> cells.MeasurePlaces:
    if not versions:
        return {}
    m = framework_measures.c
    rows = await conn.execute(
        select(m.framework_version, m.measure, m.theme, m.outcome).where(
            m.framework_version.in_(versions)
        )
    )
    return {(r.framework_version, r.measure): (r.theme, r.outcome) for r in rows}


async def _obligation_progress(conn: AsyncConnection, contract_id: str) -> list[ObligationProgress]:
    query = (
        select(obligations)
        .where(obligations.c.contract_id == contract_id)
        .order_by(
            obligations.c.sequence.is_(None),  # assessed but not yet known from the contract
            obligations.c.sequence,
            obligations.c.obligation_id,
        )
    )
    return [
        ObligationProgress(
            obligation_id=r.obligation_id,
            measure=r.measure,
            theme=r.theme,
            outcome=r.outcome,
            unit=r.unit,
            description=r.description,
            is_kpi=r.is_kpi,
            committed_total=r.committed_total,
            committed_to_date=r.committed_to_date,
            delivered_to_date=r.delivered_to_date,
            ratio=r.ratio,
            status=r.status,
            last_period_assessed=r.last_period_assessed,
        )
        for r in (await conn.execute(query)).all()
    ]


async def _returns(conn: AsyncConnection, contract_id: str) -> list[SubmittedReturn]:
    query = select(returns).where(returns.c.contract_id == contract_id).order_by(returns.c.period)
    return [
        SubmittedReturn(
            contract_id=r.contract_id, period=r.period, late=r.late, submitted_at=r.submitted_at
        )
        for r in (await conn.execute(query)).all()
    ]


def _alerts_seen_by(organisation: str, status: AlertStatus | None) -> ColumnElement[bool]:
    which = alerts_of(organisation)
    return which if status is None else and_(which, alerts.c.status == status.value)


def _alerts_query(which: ColumnElement[bool]) -> Select[Any]:
    return (
        select(*(alerts.c[name] for name in _ALERT_FIELDS))
        .where(which)
        .order_by(alerts.c.raised_on, alerts.c.alert_id)
    )


async def _alerts(
    conn: AsyncConnection, which: ColumnElement[bool], page: Page | None = None
) -> list[Alert]:
    query = _alerts_query(which)
    if page is not None:
        query = query.limit(page.limit).offset(page.offset)
    return [_alert(r) for r in (await conn.execute(query)).all()]


# An alert's columns in the order of its fields: a row is read by position, since reading
# eighteen columns by name cost a third of a national buyer's 30,000-alert export.
_ALERT_FIELDS = tuple(f.name for f in fields(Alert))
_STATUS = _ALERT_FIELDS.index("status")


def _narrative_story(contract: ContractFacts, r: Row[Any]) -> Story:
    """The story a return's narrative tells."""
    return Story(
        contract, r.period, None, None, r.narrative, "", None, (), (), r.review, r.submitted_on
    )


def _line_story(contract: ContractFacts, r: Row[Any]) -> Story:
    """The story one line of a return tells."""
    return Story(
        contract,
        r.period,
        r.obligation_id,
        r.measure,
        r.narrative,
        r.case_study,
        r.beneficiaries,
        tuple(r.places or ()),
        tuple(r.evidence or ()),
        r.review or "submitted",  # its return not known yet
        r.submitted_on,
    )


_CONTRACT_COLUMNS = tuple(contracts.c[f.name] for f in fields(ContractFacts))


def _contract(r: Sequence[Any]) -> ContractFacts:
    """A contract from a row whose first columns are :data:`_CONTRACT_COLUMNS`, read by
    position: by name, a national buyer's thousand contracts took a tenth of /portfolio."""
    facts = list(r[: len(_CONTRACT_COLUMNS)])
    facts[-3] = int(facts[-3])  # return_due_days
    facts[-1] = tuple(facts[-1] or ())  # places
    return ContractFacts(*facts)


def _awarded(r: Row[Any]) -> AwardedContract:
    """The contract as awarded: its facts less how it ended."""
    facts = _contract(r)
    return AwardedContract(**{f.name: getattr(facts, f.name) for f in fields(AwardedContract)})


def _alert(r: Sequence[Any]) -> Alert:
    """An alert from a row of :data:`_ALERT_FIELDS`."""
    values = list(r)
    values[_STATUS] = AlertStatus(values[_STATUS])
    return Alert(*values)
