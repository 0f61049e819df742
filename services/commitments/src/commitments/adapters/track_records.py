"""Suppliers' track records: what the consumers of measurement's events write, and the reads.

Writes run inside the consumer's transaction, beside its stream position, so each event takes
effect once. A return's lines are replaced by each new version, never added to: an amendment
or correction changes the figure it replaces, and a redelivered version writes the same rows.
Quantities come back as Decimals; nothing here sums or compares them in SQL (SQLite keeps
them as text).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from svledger.columns import Proposed, execute_later, upsert, upsert_many
from svledger.database import Database

from commitments.adapters.tables import (
    track_alerts,
    track_contracts,
    track_lines,
    track_obligations,
    track_periods,
    track_suppliers,
    track_targets,
)
from commitments.domain.track_record import (
    ACKNOWLEDGED,
    OPEN,
    RESOLVED,
    AlertFacts,
    ContractFacts,
    LineFacts,
    ObligationFacts,
    PeriodFacts,
    SupplierFacts,
)


@dataclass(frozen=True, slots=True)
class ScheduledObligation:
    """An obligation as measurement scheduled it."""

    obligation_id: str
    measure: str
    unit: str
    targets: Mapping[str, Decimal]


@dataclass(frozen=True, slots=True)
class OpenedSchedule:
    """A contract measurement opened a schedule for: its parties, quarters and obligations."""

    contract_id: str
    supplier: str
    buyer: str
    reference: str
    return_due_days: int
    periods: Sequence[tuple[str, date]]
    obligations: Sequence[ScheduledObligation]


@dataclass(frozen=True, slots=True)
class ReturnVersion:
    """A version of a period's return: its lines replace the previous version's."""

    contract_id: str
    period: str
    late: bool
    submitted_on: date | None  # the first version's day; None for amendments and corrections
    lines: Mapping[str, Decimal]  # quantity by obligation id


@dataclass(frozen=True, slots=True)
class RaisedAlert:
    """An alert on one of a supplier's contracts."""

    alert_id: str
    supplier: str
    contract_id: str
    kind: str
    raised_on: date


# -- writes (inside a consumer's transaction) --------------------------------------------------


async def record_schedule(conn: AsyncConnection, opened: OpenedSchedule) -> None:
    """A contract's quarters, due dates, obligations and targets."""
    await upsert(
        conn,
        track_contracts,
        {
            "contract_id": opened.contract_id,
            "supplier": opened.supplier,
            "buyer": opened.buyer,
            "reference": opened.reference,
            "return_due_days": opened.return_due_days,
        },
        key=("contract_id",),
    )
    for period, due_on in opened.periods:
        await upsert(
            conn,
            track_periods,
            {
                "contract_id": opened.contract_id,
                "period": period,
                "due_on": due_on,
                "cancelled": False,
                "submitted_on": None,
                "late": False,
                "accepted": False,
            },
            key=("contract_id", "period"),
            update=("due_on",),
        )
    for ob in opened.obligations:
        await upsert(
            conn,
            track_obligations,
            {
                "obligation_id": ob.obligation_id,
                "contract_id": opened.contract_id,
                "measure": ob.measure,
                "unit": ob.unit,
            },
            key=("obligation_id",),
        )
        await record_targets(conn, ob.obligation_id, ob.targets)


async def record_targets(
    conn: AsyncConnection, obligation_id: str, targets: Mapping[str, Decimal]
) -> None:
    """An obligation's quarterly targets, replacing any it had."""
    await conn.execute(delete(track_targets).where(track_targets.c.obligation_id == obligation_id))
    if targets:
        await conn.execute(
            track_targets.insert(),
            [
                {"obligation_id": obligation_id, "period": period, "target": target}
                for period, target in sorted(targets.items())
            ],
        )


async def record_cancelled(conn: AsyncConnection, contract_id: str, periods: Sequence[str]) -> None:
    """Quarters that need no return because the contract closed."""
    if periods:
        await conn.execute(
            update(track_periods)
            .where(
                track_periods.c.contract_id == contract_id,
                track_periods.c.period.in_(list(periods)),
            )
            .values(cancelled=True)
        )


async def record_return(conn: AsyncConnection, version: ReturnVersion) -> None:
    """A return's newest version: its lines replace the last version's; acceptance stands.

    A first submission's lines are upserted (the period has none to replace), so a run of
    submissions goes to the database as one statement per table.
    """
    key = {"c": version.contract_id, "p": version.period}
    lines = [
        {
            "contract_id": version.contract_id,
            "period": version.period,
            "obligation_id": obligation_id,
            "quantity": quantity,
        }
        for obligation_id, quantity in sorted(version.lines.items())
    ]
    if version.submitted_on is not None:
        await execute_later(
            conn, _SUBMITTED, [key | {"late": version.late, "on": version.submitted_on}]
        )
        await upsert_many(conn, track_lines, lines, key=("contract_id", "period", "obligation_id"))
        return
    await execute_later(conn, _REVISED, [key | {"late": version.late}])
    await execute_later(conn, _DELETE_LINES, [key])
    if lines:
        await execute_later(conn, _INSERT_LINES, lines)


_THE_PERIOD = (
    track_periods.c.contract_id == bindparam("c"),
    track_periods.c.period == bindparam("p"),
)
_SUBMITTED = (
    update(track_periods)
    .where(*_THE_PERIOD)
    .values(late=bindparam("late"), submitted_on=bindparam("on"))
)
_REVISED = update(track_periods).where(*_THE_PERIOD).values(late=bindparam("late"))
_DELETE_LINES = delete(track_lines).where(
    track_lines.c.contract_id == bindparam("c"), track_lines.c.period == bindparam("p")
)
_INSERT_LINES = track_lines.insert()


async def record_acceptance(conn: AsyncConnection, contract_id: str, period: str) -> None:
    """The buyer accepted the period's return: its lines count as delivered from now on."""
    await conn.execute(
        update(track_periods)
        .where(track_periods.c.contract_id == contract_id, track_periods.c.period == period)
        .values(accepted=True)
    )


async def record_alert(conn: AsyncConnection, alert: RaisedAlert) -> None:
    """A new open alert; raising it again never reopens one that moved on."""
    await upsert(
        conn,
        track_alerts,
        {
            "alert_id": alert.alert_id,
            "supplier": alert.supplier,
            "contract_id": alert.contract_id,
            "kind": alert.kind,
            "status": OPEN,
            "raised_on": alert.raised_on,
            "resolved_on": None,
        },
        key=("alert_id",),
        update=(),
    )


async def record_alert_acknowledged(conn: AsyncConnection, alert_id: str) -> None:
    """Someone owns the alert; it is still open."""
    await conn.execute(
        update(track_alerts)
        .where(track_alerts.c.alert_id == alert_id, track_alerts.c.status == OPEN)
        .values(status=ACKNOWLEDGED)
    )


async def record_alert_resolved(conn: AsyncConnection, alert_id: str, resolved_on: date) -> None:
    """The alert was closed."""
    await conn.execute(
        update(track_alerts)
        .where(track_alerts.c.alert_id == alert_id)
        .values(status=RESOLVED, resolved_on=resolved_on)
    )


async def suppliers_of_contracts(
    conn: AsyncConnection, contract_ids: Collection[str]
) -> dict[str, str]:
    """The supplier of each of ``contract_ids`` on record (those not on record are left out)."""
    rows = await conn.execute(
        select(track_contracts.c.contract_id, track_contracts.c.supplier).where(
            track_contracts.c.contract_id.in_(sorted(contract_ids))
        )
    )
    return {str(r.contract_id): str(r.supplier) for r in rows}


async def suppliers_of_alerts(conn: AsyncConnection, alert_ids: Collection[str]) -> dict[str, str]:
    """The supplier each of ``alert_ids`` on record concerns (those not on record are left out)."""
    rows = await conn.execute(
        select(track_alerts.c.alert_id, track_alerts.c.supplier).where(
            track_alerts.c.alert_id.in_(sorted(alert_ids))
        )
    )
    return {str(r.alert_id): str(r.supplier) for r in rows}


async def record_as_of(conn: AsyncConnection, marks: Mapping[str, datetime]) -> None:
    """Each supplier's record reflects an event recorded at its mark; it keeps the newest."""
    await upsert_many(
        conn,
        track_suppliers,
        [{"supplier": supplier, "as_of": at} for supplier, at in sorted(marks.items())],
        key=("supplier",),
        where=_newer_as_of,
    )


def _newer_as_of(new: Proposed) -> ColumnElement[bool]:
    """The as-of mark only moves forward (a function of the proposed row: one statement)."""
    return track_suppliers.c.as_of < new.as_of


# -- reads -------------------------------------------------------------------------------------


class TrackRecords:
    """The track-record tables, read on a connection of their own."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def facts_of(self, supplier: str) -> SupplierFacts:
        """Everything on record about ``supplier`` (empty for a supplier never scheduled)."""
        async with self.database.reader.connect() as conn:
            rows = await conn.execute(
                select(track_contracts).where(track_contracts.c.supplier == supplier)
            )
            contracts = [
                ContractFacts(r.contract_id, r.reference, r.buyer, r.return_due_days)
                for r in rows.all()
            ]
            ids = [c.contract_id for c in contracts]
            return SupplierFacts(
                supplier=supplier,
                as_of=await conn.scalar(
                    select(track_suppliers.c.as_of).where(track_suppliers.c.supplier == supplier)
                ),
                contracts=contracts,
                obligations=await _obligations(conn, ids),
                periods=await _periods(conn, ids),
                lines=await _lines(conn, ids),
                alerts=await _alerts(conn, supplier),
            )


async def _obligations(conn: AsyncConnection, contract_ids: list[str]) -> list[ObligationFacts]:
    if not contract_ids:
        return []
    obligations = (
        await conn.execute(
            select(track_obligations).where(track_obligations.c.contract_id.in_(contract_ids))
        )
    ).all()
    targets: dict[str, dict[str, Decimal]] = {o.obligation_id: {} for o in obligations}
    rows = await conn.execute(
        select(track_targets).where(track_targets.c.obligation_id.in_(list(targets)))
    )
    for t in rows.all():
        targets[t.obligation_id][t.period] = t.target
    return [
        ObligationFacts(o.contract_id, o.obligation_id, o.measure, o.unit, targets[o.obligation_id])
        for o in obligations
    ]


async def _periods(conn: AsyncConnection, contract_ids: list[str]) -> list[PeriodFacts]:
    if not contract_ids:
        return []
    rows = await conn.execute(
        select(track_periods).where(track_periods.c.contract_id.in_(contract_ids))
    )
    return [
        PeriodFacts(
            contract_id=p.contract_id,
            period=p.period,
            due_on=p.due_on,
            cancelled=p.cancelled,
            submitted_on=p.submitted_on,
            late=p.late,
            accepted=p.accepted,
        )
        for p in rows.all()
    ]


async def _lines(conn: AsyncConnection, contract_ids: list[str]) -> list[LineFacts]:
    if not contract_ids:
        return []
    rows = await conn.execute(
        select(track_lines).where(track_lines.c.contract_id.in_(contract_ids))
    )
    return [LineFacts(r.contract_id, r.obligation_id, r.period, r.quantity) for r in rows.all()]


async def _alerts(conn: AsyncConnection, supplier: str) -> list[AlertFacts]:
    rows = await conn.execute(select(track_alerts).where(track_alerts.c.supplier == supplier))
    return [AlertFacts(r.alert_id, r.contract_id, r.kind, r.status) for r in rows.all()]
