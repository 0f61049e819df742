"""Writes to the read models, inside the consuming transaction.

Every write sets values rather than adding to them (an upsert, or a delete and insert of the
rows one event owns), so replaying an event (a rebuild, or a redelivery past the tracking
table) leaves the same rows. The one exception, an organisation's portfolio cells, sums many
contracts: a contract's change is added to it, worked out against the share the contract last
added (kept beside it), so a replayed event adds nothing. Events from different streams
arrive in no particular order relative to each other; each write therefore works whether or
not the rows another stream fills exist yet, and reports join them only when they are read.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache, partial
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Update,
    and_,
    bindparam,
    delete,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from svledger.columns import Proposed, execute_later, upsert, upsert_columns, upsert_many
from svledger.database import run_again_if_deadlocked
from svledger.eventstore import EventStore, StoreTransaction
from svledger.periods import Quarter

from reporting.adapters.tables import (
    alerts,
    consumer_marks,
    contract_cells,
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
from reporting.domain import contract_sums as contract_sums_rules
from reporting.domain.cells import CellKey, CellSums, ObligationCells
from reporting.domain.pledge import ConfirmedDelivery, Pledge
from reporting.domain.portfolio import financial_year, place_of
from reporting.domain.progress import (
    Alert,
    Assessment,
    AwardedContract,
    Commitment,
    SubmittedReturn,
)

# A contract's returns are due this many days after each quarter ends unless it says otherwise.
DEFAULT_RETURN_DAYS = 30

_COMMITMENT_COLUMNS = (
    "sequence",
    "measure",
    "theme",
    "outcome",
    "unit",
    "description",
    "is_kpi",
    "committed_total",
    "place",
    "vcfse_partner",
    "proxy_gbp_per_unit",
)
_ASSESSMENT_COLUMNS = (
    "committed_to_date",
    "delivered_to_date",
    "ratio",
    "status",
    "last_period_assessed",
    "assessed_at",
)


async def record_contract(
    conn: AsyncConnection, contract: AwardedContract, commitments: Sequence[Commitment]
) -> None:
    """Record an awarded contract, what each obligation commits, its quarterly targets, and
    where its framework version places each of its measures."""
    await upsert(
        conn,
        contracts,
        {
            "contract_id": contract.contract_id,
            "reference": contract.reference,
            "title": contract.title,
            "buyer": contract.buyer,
            "supplier": contract.supplier,
            "starts_on": contract.starts_on,
            "ends_on": contract.ends_on,
            "value_gbp": contract.value_gbp,
            "framework_version": contract.framework_version,
            "awarded_at": contract.awarded_at,
            "return_due_days": contract.return_due_days,
            "tender_id": contract.tender_id,
            "places": list(contract.places),
            "status": "active",
            "ended_on": None,
            "end_reason": None,
        },
        key=("contract_id",),
    )
    await upsert_many(
        conn,
        obligations,
        [
            {
                "contract_id": c.contract_id,
                "obligation_id": c.obligation_id,
                "sequence": c.sequence,
                "measure": c.measure,
                "theme": c.theme,
                "outcome": c.outcome,
                "unit": c.unit,
                "description": c.description,
                "is_kpi": c.is_kpi,
                "committed_total": c.committed_total,
                "place": c.place,
                "vcfse_partner": c.vcfse_partner,
                "proxy_gbp_per_unit": c.proxy_gbp_per_unit,
            }
            for c in commitments
        ],
        key=("contract_id", "obligation_id"),
        update=_COMMITMENT_COLUMNS,
    )
    # A version's measures keep their theme and outcome: the first contract to say so is kept.
    await upsert_many(
        conn,
        framework_measures,
        [
            {
                "framework_version": contract.framework_version,
                "measure": measure,
                "theme": theme,
                "outcome": outcome,
            }
            for measure, (theme, outcome) in sorted(
                {c.measure: (c.theme, c.outcome) for c in commitments}.items()
            )
        ],
        key=("framework_version", "measure"),
        update=(),
    )
    # The award is its contract's first event: there are no targets before it to replace.
    await upsert_columns(
        conn,
        obligation_targets,
        _target_columns(
            [(c.contract_id, c.obligation_id, c.targets) for c in commitments],
            contract.return_due_days,
        ),
        key=_TARGET_KEY,
    )


async def replace_targets(
    conn: AsyncConnection, contract_id: str, obligation_id: str, targets: Mapping[str, Decimal]
) -> None:
    """Make ``targets`` the obligation's quarterly targets, replacing any before."""
    await conn.execute(
        delete(obligation_targets).where(
            obligation_targets.c.contract_id == contract_id,
            obligation_targets.c.obligation_id == obligation_id,
        )
    )
    due_days = (
        await conn.execute(
            select(contracts.c.return_due_days).where(contracts.c.contract_id == contract_id)
        )
    ).scalar()
    columns = _target_columns(
        [(contract_id, obligation_id, targets)],
        DEFAULT_RETURN_DAYS if due_days is None else int(due_days),
    )
    await upsert_columns(conn, obligation_targets, columns, key=_TARGET_KEY)


_TARGET_KEY = ("contract_id", "obligation_id", "period")


def _target_columns(
    given: Sequence[tuple[str, str, Mapping[str, Decimal]]], return_due_days: int
) -> dict[str, list[Any]]:
    """Each quarter's target, its return's due day and the running total up to it, as the
    columns of their rows."""
    columns: dict[str, list[Any]] = {
        name: [] for name in (*_TARGET_KEY, "target", "due_on", "cumulative")
    }
    for contract_id, obligation_id, targets in given:
        running = Decimal(0)
        for period, target in sorted(targets.items()):
            running += target
            columns["contract_id"].append(contract_id)
            columns["obligation_id"].append(obligation_id)
            columns["period"].append(period)
            columns["target"].append(target)
            columns["due_on"].append(Quarter.parse(period).due(return_due_days))
            columns["cumulative"].append(running)
    return columns


async def refresh_contracts(
    conn: AsyncConnection, changed: Mapping[str, Collection[str] | None]
) -> None:
    """Sum again, for every contract of ``changed``, what the portfolio reports keep summed:
    each obligation's lines of accepted returns and of returns awaiting review, and the
    contract's cells (:mod:`reporting.domain.cells`) in the financial years named (all of them
    for None), whose change is carried to its parties' portfolio cells; and the contract's
    sums in each stretch between its due days (:mod:`reporting.domain.contract_sums`), which
    need all its quarters whichever changed.

    Due whenever a contract's targets, a return's lines or its review change, and when the
    contract arrives (its returns may have come first). Consumers ask for it at the end of
    their transaction (:func:`contract_changed`), once for all the contracts whose events it
    applied. Figures are recomputed from the rows, never added to from events, so a replayed
    event leaves them as they were.

    On PostgreSQL, transactions of different consumers (or replicas) may change one contract,
    or two contracts of one organisation, at once. Each holds a lock per contract and per
    organisation from here to its commit, taken in one order: the second reads the first's
    rows only once they are committed, and adds its change to the organisation's sums after
    the first's.
    """
    wanted = sorted(changed)
    if not wanted:
        return
    found = {c: _Counted(changed[c]) for c in wanted}
    # A contract's parties never change once it is known, so they are read before the locks.
    await _read_parties(conn, found)
    await _lock(
        conn,
        [(_CONTRACT_LOCKS, c) for c in wanted]
        + [(_ORGANISATION_LOCKS, o) for contract in found.values() for o in contract.parties],
    )
    if missing := {c: found[c] for c in wanted if not found[c].parties}:
        # Not known before the lock: it may have arrived while this transaction waited.
        await _read_parties(conn, missing)
        await _lock(conn, [(_ORGANISATION_LOCKS, o) for c in missing.values() for o in c.parties])
    years = _only_years(found)
    await _read_contracts(conn, found)
    delivered = [
        {"c": c, "o": o, "d": sums[0], "a": sums[1]}
        for c, contract in found.items()
        for o, sums in contract.delivered.items()
    ]
    if delivered:
        await conn.execute(
            update(obligations)
            .where(
                obligations.c.contract_id == bindparam("c"),
                obligations.c.obligation_id == bindparam("o"),
            )
            .values(delivered=bindparam("d"), awaiting_review=bindparam("a")),
            delivered,
        )
    stored: dict[str, dict[str, Row[Any]]] = defaultdict(dict)
    shares = select(contract_cells).where(contract_cells.c.contract_id.in_(wanted))
    if years is not None:
        shares = shares.where(contract_cells.c.year.in_(years))
    for r in await conn.execute(shares):
        stored[r.contract_id][r.year] = r
    change: dict[tuple[str, CellKey], CellSums] = {}
    kept: list[dict[str, Any]] = []
    emptied: list[dict[str, Any]] = []
    for contract_id, contract in found.items():
        now = cells.by_year(contract.cells())
        before = stored[contract_id]
        for year in sorted(contract.years if contract.years is not None else {*now, *before}):
            was = before.get(year)
            for key, sums in cells.changes(
                contract.parties if was is None else was.parties,
                {} if was is None else cells.from_json(was.cells),
                contract.parties,
                now.get(year, {}),
            ).items():
                added = change.get(key)
                change[key] = sums if added is None else added + sums
            share = {"contract_id": contract_id, "year": year}
            if year in now:
                kept.append(
                    {**share, "parties": contract.parties, "cells": cells.to_json(now[year])}
                )
            elif was is not None:
                emptied.append(share)
    await _add_to_portfolios(conn, {k: v for k, v in change.items() if not v.empty})
    await upsert_many(conn, contract_cells, kept, key=("contract_id", "year"))
    await _sum_contracts(conn, found)
    if emptied:
        await conn.execute(
            delete(contract_cells).where(
                contract_cells.c.contract_id == bindparam("k_contract_id"),
                contract_cells.c.year == bindparam("k_year"),
            ),
            [{"k_contract_id": e["contract_id"], "k_year": e["year"]} for e in emptied],
        )


async def _sum_contracts(conn: AsyncConnection, found: Mapping[str, _Counted]) -> None:
    """Replace each known contract's stretches (:mod:`reporting.domain.contract_sums`),
    valued in GBP with the proxy values its framework version has now."""
    await conn.execute(delete(contract_sums).where(contract_sums.c.contract_id.in_(sorted(found))))
    rates: dict[str, dict[str, Decimal]] = defaultdict(dict)
    versions = sorted({contract.framework_version for contract in found.values()})
    for version, measure, rate in await conn.execute(
        select(
            proxy_values.c.framework_version, proxy_values.c.measure, proxy_values.c.gbp_per_unit
        ).where(proxy_values.c.framework_version.in_(versions))
    ):
        rates[version][measure] = rate
    valued_with = {version: contract_sums_rules.fingerprint(rates[version]) for version in versions}
    rows = [
        stretch.row(
            contract_id, rates[contract.framework_version], valued_with[contract.framework_version]
        )
        for contract_id, contract in found.items()
        if contract.parties
        for stretch in contract_sums_rules.stretches(
            contract.return_due_days,
            obligations=contract.known,
            places=contract.where,
            targets=contract.targets,
            lines=contract.lines,
            accepted_periods=contract.accepted,
        )
    ]
    if rows:
        await conn.execute(insert(contract_sums), rows)


@dataclass(slots=True)
class _Counted:
    """What :func:`refresh_contracts` reads of one contract."""

    years: Collection[str] | None  # the financial years whose cells are summed again; None: all
    parties: list[str] = field(default_factory=list)  # none while the contract is not known
    framework_version: str = ""
    return_due_days: int = DEFAULT_RETURN_DAYS
    places: list[str] = field(default_factory=list)  # the contract's
    known: list[ObligationCells] = field(default_factory=list)
    # where each known obligation is delivered, by the portfolio's rule
    where: dict[str, str] = field(default_factory=dict)
    # each obligation's lines of accepted returns, and of returns awaiting review
    delivered: dict[str, list[Decimal]] = field(default_factory=dict)
    targets: list[tuple[str, str, Decimal]] = field(default_factory=list)
    lines: list[tuple[str, str, Decimal]] = field(default_factory=list)
    accepted: set[str] = field(default_factory=set)

    def cells(self) -> dict[CellKey, CellSums]:
        """The contract's cells in the years asked for."""
        years = self.years

        def asked(period: str) -> bool:
            return years is None or financial_year(period) in years

        return cells.contract_cells(
            self.framework_version,
            self.return_due_days,
            obligations=self.known,
            targets=[t for t in self.targets if asked(t[1])],
            lines=[line for line in self.lines if asked(line[1])],
            accepted_periods=self.accepted,
            whole=years is None,
        )


def _only_years(found: Mapping[str, _Counted]) -> list[str] | None:
    """The financial years to read when every contract asks for some only; else None (all)."""
    if any(contract.years is None for contract in found.values()):
        return None
    return sorted({year for contract in found.values() for year in contract.years or ()})


async def _read_parties(conn: AsyncConnection, found: Mapping[str, _Counted]) -> None:
    for c in await conn.execute(
        select(
            contracts.c.contract_id,
            contracts.c.buyer,
            contracts.c.supplier,
            contracts.c.framework_version,
            contracts.c.return_due_days,
            contracts.c.places,
        ).where(contracts.c.contract_id.in_(sorted(found)))
    ):
        contract = found[c.contract_id]
        contract.parties = sorted({c.buyer, c.supplier})
        contract.framework_version = c.framework_version
        contract.return_due_days = int(c.return_due_days)
        contract.places = list(c.places or ())


async def _read_contracts(conn: AsyncConnection, found: Mapping[str, _Counted]) -> None:
    """Each contract's obligations, returns, lines and targets."""
    wanted = sorted(found)
    for o in await conn.execute(
        select(
            obligations.c.contract_id,
            obligations.c.obligation_id,
            obligations.c.sequence,
            obligations.c.measure,
            obligations.c.unit,
            obligations.c.proxy_gbp_per_unit,
            obligations.c.place,
        ).where(obligations.c.contract_id.in_(wanted))
    ):
        contract = found[o.contract_id]
        contract.delivered[o.obligation_id] = [Decimal(0), Decimal(0)]
        if o.sequence is not None:
            contract.known.append(
                ObligationCells(o.obligation_id, o.measure, o.unit or "", o.proxy_gbp_per_unit)
            )
            contract.where[o.obligation_id] = place_of(o.place, contract.places)
    for contract_id, period, accepted, obligation_id, quantity in (
        await conn.execute(
            select(
                returns.c.contract_id,
                returns.c.period,
                returns.c.accepted,
                return_lines.c.obligation_id,
                return_lines.c.quantity,
            )
            .select_from(
                returns.outerjoin(
                    return_lines,
                    and_(
                        return_lines.c.contract_id == returns.c.contract_id,
                        return_lines.c.period == returns.c.period,
                    ),
                )
            )
            .where(returns.c.contract_id.in_(wanted))
        )
    ).all():
        contract = found[contract_id]
        if accepted:
            contract.accepted.add(period)
        if obligation_id is not None:
            contract.lines.append((obligation_id, period, quantity))
            if (sums := contract.delivered.get(obligation_id)) is not None:
                sums[0 if accepted else 1] += quantity
    targets = select(
        obligation_targets.c.contract_id,
        obligation_targets.c.obligation_id,
        obligation_targets.c.period,
        obligation_targets.c.target,
    ).where(obligation_targets.c.contract_id.in_(wanted))
    # Rows by position, all at once: a rebuild's end reads every target and line, and row by
    # row, by name, that was a tenth of its CPU.
    for contract_id, obligation_id, period, target in (await conn.execute(targets)).all():
        found[contract_id].targets.append((obligation_id, period, target))


async def _add_to_portfolios(
    conn: AsyncConnection, change: Mapping[tuple[str, CellKey], CellSums]
) -> None:
    """Add ``change`` to the organisations' portfolio cells; a row that no obligation is left
    in is deleted. The caller holds the organisations' locks.

    PostgreSQL adds in the statement (NUMERIC adds exactly); SQLite keeps quantities as text,
    so there the rows are read, added to in Python and written back.
    """
    if not change:
        return
    organisations = sorted({organisation for organisation, _ in change})
    if conn.dialect.name == "postgresql":
        await upsert_columns(
            conn,
            portfolio_cells,
            cells.portfolio_columns(change),
            key=_PORTFOLIO_CELL_KEY,
            add=_CELL_SUMS,
            quantities_fit=True,  # sums of figures read from the contracts' rows
        )
        if any(sums.obligations < 0 for sums in change.values()):
            await conn.execute(
                delete(portfolio_cells).where(
                    portfolio_cells.c.organisation.in_(organisations),
                    portfolio_cells.c.obligations == 0,
                )
            )
        return
    c = portfolio_cells.c
    current: dict[tuple[str, CellKey], CellSums] = {}
    for r in await conn.execute(
        select(portfolio_cells).where(
            c.organisation.in_(organisations),
            c.period.in_(sorted({key.period for _, key in change})),
            c.measure.in_(sorted({key.measure for _, key in change})),
        )
    ):
        key, sums = cells.from_row(r)
        current[(r.organisation, key)] = sums
    kept, emptied = [], []
    for (organisation, key), added in change.items():
        sums = current.get((organisation, key), CellSums()) + added
        row = {"organisation": organisation, **key.row()}
        if sums.obligations == 0:
            emptied.append(row)
        else:
            kept.append({**row, **sums.row()})
    await upsert_many(conn, portfolio_cells, kept, key=_PORTFOLIO_CELL_KEY)
    if emptied:
        await conn.execute(
            delete(portfolio_cells).where(
                *(c[name] == bindparam(f"k_{name}") for name in _PORTFOLIO_CELL_KEY)
            ),
            [{f"k_{name}": row[name] for name in _PORTFOLIO_CELL_KEY} for row in emptied],
        )


_PORTFOLIO_CELL_KEY = tuple(col.name for col in portfolio_cells.primary_key.columns)
_CELL_SUMS = tuple(CellSums().row())


_CONTRACT_LOCKS = 1
_ORGANISATION_LOCKS = 2
_LOCK = text(
    "SELECT pg_advisory_xact_lock(s, k) FROM unnest(CAST(:s AS int[]), CAST(:k AS int[]))"
    " WITH ORDINALITY AS t(s, k, n) ORDER BY n"
)


async def _lock(conn: AsyncConnection, names: Collection[tuple[int, str]]) -> None:
    """On PostgreSQL, wait for a transaction lock on each (kind, name), held until commit, in
    the same order whichever transaction asks (SQLite has one writer at a time)."""
    if conn.dialect.name != "postgresql" or not names:
        return
    ordered = sorted({(kind, zlib.crc32(name.encode()) - 2**31) for kind, name in names})
    await conn.execute(_LOCK, {"s": [s for s, _ in ordered], "k": [k for _, k in ordered]})


_CHANGED = "reporting.contract_changed"  # the contracts a transaction changed, and where


def contract_changed(tx: StoreTransaction, contract_id: str, period: str | None = None) -> None:
    """Sum the contract's delivery and cells again before the transaction commits, with every
    other contract its events changed, in one pass (:func:`refresh_contracts`): the cells of
    ``period``'s financial year when only that quarter's return changed, else all of them.

    In a replay of history the contract is summed once, after the last event
    (:func:`refresh_replayed`), however many of the replay's transactions changed it."""
    changed: dict[str, set[str] | None]
    if tx.replay is not None:
        changed = tx.replay.gather(_CHANGED, dict, refresh_replayed)
    elif _CHANGED in tx.memo:
        changed = tx.memo[_CHANGED]
    else:
        tx.memo[_CHANGED] = changed = {}
        tx.at_end(_CHANGED, partial(refresh_contracts, tx.conn, changed))
    if period is None:
        changed[contract_id] = None
    elif (years := changed.setdefault(contract_id, set())) is not None:
        years.add(financial_year(period))


# How many contracts a replay's end sums again per transaction.
_REPLAYED_PER_TRANSACTION = 200


async def refresh_replayed(
    store: EventStore, changed: Mapping[str, Collection[str] | None]
) -> None:
    """Sum again every contract a replay changed, a few hundred per transaction; a
    transaction PostgreSQL aborts as one side of a deadlock with the running consumers is run
    again."""
    wanted = sorted(changed)
    for start in range(0, len(wanted), _REPLAYED_PER_TRANSACTION):
        chunk = wanted[start : start + _REPLAYED_PER_TRANSACTION]
        await run_again_if_deadlocked(
            partial(_refresh_in_transaction, store, {c: changed[c] for c in chunk})
        )


async def _refresh_in_transaction(
    store: EventStore, changed: Mapping[str, Collection[str] | None]
) -> None:
    async with store.transaction() as tx:
        await refresh_contracts(tx.conn, changed)


async def record_variation(
    conn: AsyncConnection,
    contract_id: str,
    obligation_id: str,
    targets: Mapping[str, Decimal],
    agreed_on: date | None,
) -> None:
    """New targets agreed for one obligation."""
    await replace_targets(conn, contract_id, obligation_id, targets)
    await conn.execute(
        update(obligations)
        .where(
            obligations.c.contract_id == contract_id,
            obligations.c.obligation_id == obligation_id,
        )
        .values(committed_total=sum(targets.values(), Decimal(0)), varied_on=agreed_on)
    )


@dataclass(frozen=True, slots=True)
class ContractEnd:
    """A contract completed or terminated; a termination leaves each obligation's targets cut."""

    contract_id: str
    status: str
    ended_on: date
    reason: str | None
    remaining: Mapping[str, Mapping[str, Decimal]] = field(default_factory=dict)


async def record_contract_end(conn: AsyncConnection, end: ContractEnd) -> None:
    """Mark the contract ended and keep only the targets still due."""
    await conn.execute(
        update(contracts)
        .where(contracts.c.contract_id == end.contract_id)
        .values(status=end.status, ended_on=end.ended_on, end_reason=end.reason)
    )
    for obligation_id, targets in end.remaining.items():
        await replace_targets(conn, end.contract_id, obligation_id, targets)
        await conn.execute(
            update(obligations)
            .where(
                obligations.c.contract_id == end.contract_id,
                obligations.c.obligation_id == obligation_id,
            )
            .values(committed_total=sum(targets.values(), Decimal(0)))
        )


def _same_or_later_period(new: Proposed) -> ColumnElement[bool]:
    """Only an assessment of the period shown or a later one replaces the one shown."""
    return or_(
        obligations.c.last_period_assessed.is_(None),
        obligations.c.last_period_assessed <= new.last_period_assessed,
    )


async def record_assessment(conn: AsyncConnection, assessment: Assessment) -> None:
    """Show an obligation's latest assessment.

    An assessment of an earlier period than the one shown (a past return amended and
    reassessed) does not replace it: the figures shown are cumulative to the latest period.
    """
    await upsert(
        conn,
        obligations,
        {
            "contract_id": assessment.contract_id,
            "obligation_id": assessment.obligation_id,
            "measure": assessment.measure,
            "unit": assessment.unit,
            "committed_to_date": assessment.committed_to_date,
            "delivered_to_date": assessment.delivered_to_date,
            "ratio": assessment.ratio,
            "status": assessment.status,
            "last_period_assessed": assessment.period,
            "assessed_at": assessment.assessed_at,
        },
        key=("contract_id", "obligation_id"),
        update=_ASSESSMENT_COLUMNS,
        where=_same_or_later_period,
    )


async def record_schedule(
    conn: AsyncConnection, contract_id: str, periods: Sequence[tuple[str, date]]
) -> None:
    """A contract's reporting periods and their due dates."""
    await upsert_many(
        conn,
        schedule_periods,
        [
            {"contract_id": contract_id, "period": period, "due_on": due_on, "cancelled": False}
            for period, due_on in periods
        ],
        key=("contract_id", "period"),
    )


async def record_periods_cancelled(
    conn: AsyncConnection, contract_id: str, periods: Sequence[str]
) -> None:
    """Periods that need no return because the contract closed."""
    if periods:
        await conn.execute(
            update(schedule_periods)
            .where(
                schedule_periods.c.contract_id == contract_id,
                schedule_periods.c.period.in_(list(periods)),
            )
            .values(cancelled=True)
        )


async def record_overdue(
    conn: AsyncConnection, contract_id: str, period: str, due_on: date, detected_on: date
) -> None:
    """Measurement found a period past its due date without a return."""
    await upsert(
        conn,
        schedule_periods,
        {
            "contract_id": contract_id,
            "period": period,
            "due_on": due_on,
            "cancelled": False,
            "overdue_detected_on": detected_on,
        },
        key=("contract_id", "period"),
        update=("overdue_detected_on",),
    )


@dataclass(frozen=True, slots=True)
class ReturnVersion:
    """A version of a period's return: the first submission, an amendment or a correction."""

    submitted: SubmittedReturn
    version: int
    submitted_on: date | None  # the first submission's day; None for later versions
    revised_on: date | None  # None for the first submission
    due_on: date | None
    narrative: str
    lines: Sequence[Mapping[str, Any]]  # obligation_id, quantity (Decimal), story fields


async def record_return(conn: AsyncConnection, version: ReturnVersion) -> None:
    """Show a return's newest version and its lines, keeping how its review stands.

    A first submission's lines are upserted: the period has no lines to replace, and a run of
    first submissions goes to the database as one statement per table. A later version
    replaces the lines of the one before.
    """
    s = version.submitted
    first = version.revised_on is None
    values: dict[str, Any] = {
        "contract_id": s.contract_id,
        "period": s.period,
        "late": s.late,
        "submitted_at": s.submitted_at,
        "version": version.version,
        "submitted_on": version.submitted_on,
        "due_on": version.due_on,
        "revised_on": version.revised_on,
        "review": "submitted",
        "accepted": False,
        "accepted_on": None,
        "narrative": version.narrative,
    }
    lines = [{"contract_id": s.contract_id, "period": s.period, **line} for line in version.lines]
    if first:
        await upsert(conn, returns, values, key=("contract_id", "period"))
        await upsert_many(conn, return_lines, lines, key=("contract_id", "period", "obligation_id"))
        return
    key = {"c": s.contract_id, "p": s.period}
    # An amendment goes back for review; a correction of an accepted return stays accepted.
    await upsert(
        conn,
        returns,
        values,
        key=("contract_id", "period"),
        update=("version", "revised_on", "narrative", "late"),
    )
    await execute_later(conn, _BACK_TO_REVIEW, [key])
    await execute_later(conn, _DELETE_LINES, [key])
    if lines:
        await execute_later(conn, _INSERT_LINES, lines)


_BACK_TO_REVIEW = (
    update(returns)
    .where(
        returns.c.contract_id == bindparam("c"),
        returns.c.period == bindparam("p"),
        returns.c.accepted.is_(False),
    )
    .values(review="submitted")
)
_DELETE_LINES = delete(return_lines).where(
    return_lines.c.contract_id == bindparam("c"), return_lines.c.period == bindparam("p")
)
_INSERT_LINES = return_lines.insert()


async def record_review(
    conn: AsyncConnection, contract_id: str, period: str, *, accepted: bool, on: date
) -> None:
    """The buyer accepted or queried a return."""
    values: dict[str, Any] = (
        {"review": "accepted", "accepted": True, "accepted_on": on}
        if accepted
        else {"review": "queried"}
    )
    await conn.execute(
        update(returns)
        .where(returns.c.contract_id == contract_id, returns.c.period == period)
        .values(**values)
    )


async def record_alert(conn: AsyncConnection, alert: Alert) -> None:
    """Record a raised alert; raising it again never reopens one that has moved on."""
    await upsert(
        conn,
        alerts,
        {
            "alert_id": alert.alert_id,
            "contract_id": alert.contract_id,
            "obligation_id": alert.obligation_id,
            "measure": alert.measure,
            "period": alert.period,
            "kind": alert.kind,
            "severity": alert.severity,
            "status": alert.status.value,
            "buyer": alert.buyer,
            "supplier": alert.supplier,
            "ratio": alert.ratio,
            "raised_on": alert.raised_on,
            "level": alert.level,
            "escalated_to": alert.escalated_to,
            "detail": alert.detail,
        },
        key=("alert_id",),
        update=(),
    )


async def record_alert_change(conn: AsyncConnection, alert_id: str, **values: Any) -> None:
    """An alert was acknowledged, escalated or resolved."""
    row = {"alert": alert_id} | {f"new_{c}": v for c, v in values.items()}
    await execute_later(conn, _alert_change(tuple(values)), [row], keys=[(alert_id,)])


@lru_cache(maxsize=16)
def _alert_change(columns: tuple[str, ...]) -> Update:
    """The update of an alert's ``columns``, built once per set of columns."""
    return (
        update(alerts)
        .where(alerts.c.alert_id == bindparam("alert"))
        .values({c: bindparam(f"new_{c}") for c in columns})
    )


@dataclass(frozen=True, slots=True)
class ProxyValue:
    """GBP of social value per unit of one measure, in one framework version."""

    measure: str
    unit: str
    gbp_per_unit: Decimal
    source: str
    year: str


async def record_proxy_values(
    conn: AsyncConnection, framework_version: str, values: Sequence[ProxyValue]
) -> None:
    """A framework version's proxy-value table, replacing the one loaded before."""
    await conn.execute(
        delete(proxy_values).where(proxy_values.c.framework_version == framework_version)
    )
    if values:
        await conn.execute(
            proxy_values.insert(),
            [
                {
                    "framework_version": framework_version,
                    "measure": v.measure,
                    "unit": v.unit,
                    "gbp_per_unit": v.gbp_per_unit,
                    "source": v.source,
                    "year": v.year,
                }
                for v in values
            ],
        )


async def record_pledge(conn: AsyncConnection, pledge: Pledge) -> None:
    """An organisation's Partner VCFSE pledge as it now stands (a revision replaces it)."""
    await upsert(
        conn,
        pledges,
        {
            "organisation": pledge.organisation,
            "base_year": pledge.base_year,
            "framework_version": pledge.framework_version,
            "recorded_on": pledge.recorded_on,
            "revision": pledge.revision,
        },
        key=("organisation",),
    )
    await conn.execute(
        delete(pledge_figures).where(pledge_figures.c.organisation == pledge.organisation)
    )
    rows = [
        {
            "organisation": pledge.organisation,
            "kind": "baseline",
            "year": pledge.base_year,
            "measure": m,
            "quantity": q,
        }
        for m, q in pledge.baseline.items()
    ] + [
        {
            "organisation": pledge.organisation,
            "kind": "target",
            "year": year,
            "measure": m,
            "quantity": q,
        }
        for year, by_measure in pledge.targets.items()
        for m, q in by_measure.items()
    ]
    if rows:
        await conn.execute(pledge_figures.insert(), rows)


@dataclass(frozen=True, slots=True)
class DeliveryDecision:
    """A VCFSE partner confirmed a delivery (with what was delivered)."""

    delivery: ConfirmedDelivery
    match_id: str
    supplier: str
    vcfse: str
    unit: str
    delivered_on: date
    decided_on: date


async def record_confirmed_delivery(conn: AsyncConnection, decision: DeliveryDecision) -> None:
    """A delivery a VCFSE partner confirmed: it counts towards the supplier's pledge."""
    d = decision.delivery
    await upsert(
        conn,
        deliveries,
        {
            "delivery_id": d.delivery_id,
            "match_id": decision.match_id,
            "supplier": decision.supplier,
            "vcfse": decision.vcfse,
            "contract_id": d.contract_id,
            "obligation_id": d.obligation_id,
            "measure": d.measure,
            "quantity": d.quantity,
            "unit": decision.unit,
            "delivered_on": decision.delivered_on,
            "period": d.period,
            "status": "confirmed",
            "decided_on": decision.decided_on,
        },
        key=("delivery_id",),
    )


async def record_disputed_delivery(
    conn: AsyncConnection, delivery_id: str, disputed_on: date
) -> None:
    """A disputed delivery never counts (one confirmed before is no longer counted either)."""
    await conn.execute(
        update(deliveries)
        .where(deliveries.c.delivery_id == delivery_id)
        .values(status="disputed", decided_on=disputed_on)
    )


async def record_mark(
    conn: AsyncConnection, consumer: str, stream: str, position: int, recorded_at: datetime
) -> None:
    """Move a consumer's mark to an event, unless it already reflects a newer one."""
    await upsert(
        conn,
        consumer_marks,
        {
            "consumer": consumer,
            "stream": stream,
            "position": position,
            "recorded_at": recorded_at,
        },
        key=("consumer",),
        where=_newer_mark,
    )


def _newer_mark(new: Proposed) -> ColumnElement[bool]:
    """A mark only moves forward."""
    return consumer_marks.c.position < new.position
