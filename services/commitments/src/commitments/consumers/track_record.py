"""Suppliers' track records, kept from measurement's schedule and alert events.

Two durable consumers on measurement's stream, one per aggregate subject, so each stream's
versions arrive in order and each event takes effect once (the runner records the stream
position in the same transaction as the effect). Every event applied, handled or not, moves the
supplier's as-of mark to the event's recorded time: the record says how current it is. The
marks are written once per transaction, for every supplier its events concerned.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from svledger.bus import ConsumerSpec, service_stream
from svledger.consumers import Consumer, Handler
from svledger.envelope import EventEnvelope
from svledger.eventstore import StoreTransaction
from svledger.periods import Quarter

from commitments.adapters.track_records import (
    OpenedSchedule,
    RaisedAlert,
    ReturnVersion,
    ScheduledObligation,
    record_acceptance,
    record_alert,
    record_alert_acknowledged,
    record_alert_resolved,
    record_as_of,
    record_cancelled,
    record_return,
    record_schedule,
    record_targets,
    suppliers_of_alerts,
    suppliers_of_contracts,
)
from commitments.consumers.event_data import (
    day,
    items,
    optional_text,
    period,
    quantity,
    targets,
    text,
)

SCHEDULE_OPENED = "ScheduleOpened"
SCHEDULE_VARIED = "ScheduleVaried"
SCHEDULE_CLOSED = "ScheduleClosed"
RETURN_SUBMITTED = "ReturnSubmitted"
RETURN_AMENDED = "ReturnAmended"
RETURN_CORRECTED = "ReturnCorrected"
RETURN_ACCEPTED = "ReturnAccepted"
ALERT_RAISED = "AlertRaised"
ALERT_ACKNOWLEDGED = "AlertAcknowledged"
ALERT_RESOLVED = "AlertResolved"

# The supplier of each contract (or alert) on record, of those asked for.
SuppliersOf = Callable[[AsyncConnection, Collection[str]], Awaitable[Mapping[str, str]]]


async def schedule_opened(tx: StoreTransaction, event: EventEnvelope) -> None:
    """A contract of the supplier's: its quarters and due dates, obligations and targets."""
    data = event.data
    days = int(data.get("return_due_days", 30))
    await record_schedule(
        tx.conn,
        OpenedSchedule(
            contract_id=text(data, "contract_id"),
            supplier=text(data, "supplier"),
            buyer=text(data, "buyer"),
            reference=str(data.get("reference") or ""),
            return_due_days=days,
            periods=[_period_due(p, days) for p in items(data, "periods")],
            obligations=[
                ScheduledObligation(
                    obligation_id=text(ob, "obligation_id"),
                    measure=text(ob, "measure"),
                    unit=text(ob, "unit"),
                    targets=targets(ob),
                )
                for ob in items(data, "obligations")
            ],
        ),
    )


def _period_due(raw: Any, return_due_days: int) -> tuple[str, date]:
    """A quarter and its due date; the earliest events listed labels only."""
    if isinstance(raw, Mapping):
        return period(raw), day(raw, "due_on")
    quarter = Quarter.parse(str(raw), field="periods")
    return quarter.label, quarter.due(return_due_days)


async def schedule_varied(tx: StoreTransaction, event: EventEnvelope) -> None:
    """An obligation's targets, varied by agreement."""
    await record_targets(tx.conn, text(event.data, "obligation_id"), targets(event.data))


async def schedule_closed(tx: StoreTransaction, event: EventEnvelope) -> None:
    """The contract closed: its cancelled quarters need no return and commit nothing."""
    data = event.data
    cancelled = [
        Quarter.parse(str(p), field="cancelled_periods").label
        for p in items(data, "cancelled_periods")
    ]
    await record_cancelled(tx.conn, text(data, "contract_id"), cancelled)


async def return_version(tx: StoreTransaction, event: EventEnvelope) -> None:
    """A return submitted, amended or corrected: its lines replace the previous version's."""
    data = event.data
    lines: dict[str, Decimal] = {
        text(line, "obligation_id"): quantity(line, "quantity") for line in items(data, "lines")
    }
    await record_return(
        tx.conn,
        ReturnVersion(
            contract_id=text(data, "contract_id"),
            period=period(data),
            late=bool(data.get("late", False)),
            submitted_on=day(data, "submitted_on") if event.type == RETURN_SUBMITTED else None,
            lines=lines,
        ),
    )


async def return_accepted(tx: StoreTransaction, event: EventEnvelope) -> None:
    """The buyer accepted the return: its current lines are delivered."""
    await record_acceptance(tx.conn, text(event.data, "contract_id"), period(event.data))


async def alert_raised(tx: StoreTransaction, event: EventEnvelope) -> None:
    """An open alert on a contract; alerts on a pledge (no contract) are not a contract's."""
    data = event.data
    contract_id = optional_text(data, "contract_id")
    if contract_id is None:
        return
    await record_alert(
        tx.conn,
        RaisedAlert(
            alert_id=text(data, "alert_id"),
            supplier=text(data, "supplier"),
            contract_id=contract_id,
            kind=text(data, "kind"),
            raised_on=day(data, "raised_on"),
        ),
    )


async def alert_acknowledged(tx: StoreTransaction, event: EventEnvelope) -> None:
    """Someone owns the alert; it stays open until resolved."""
    await record_alert_acknowledged(tx.conn, text(event.data, "alert_id"))


async def alert_resolved(tx: StoreTransaction, event: EventEnvelope) -> None:
    """The alert was closed."""
    data = event.data
    resolved_on = day(data, "resolved_on") if data.get("resolved_on") else event.recorded_at.date()
    await record_alert_resolved(tx.conn, text(data, "alert_id"), resolved_on)


def _contract(data: Mapping[str, Any]) -> str:
    return text(data, "contract_id")


def _alert(data: Mapping[str, Any]) -> str:
    return text(data, "alert_id")


class Marked(Mapping[str, Handler]):
    """A consumer's handlers, each followed by noting the event for its supplier's as-of mark.

    The runner looks a handler up by event type and records an event without one as seen;
    this mapping answers for every type, so events without a projection still move the mark.
    Before the transaction commits, the suppliers of what its events were about are looked up
    at once, and each one's mark moves to the newest of their events.
    """

    def __init__(
        self,
        handlers: Mapping[str, Handler],
        about: Callable[[Mapping[str, Any]], str],
        suppliers_of: SuppliersOf,
    ) -> None:
        self._handlers = dict(handlers)
        self._about = about
        self._suppliers_of = suppliers_of
        self._memo = object()  # this consumer's notes in a transaction's memo

    def __getitem__(self, event_type: str) -> Handler:
        project = self._handlers.get(event_type)

        async def handle(tx: StoreTransaction, event: EventEnvelope) -> None:
            if project is not None:
                await project(tx, event)
            self._note(tx, self._about(event.data), event.recorded_at)

        return handle

    def _note(self, tx: StoreTransaction, about: str, at: datetime) -> None:
        noted: dict[str, datetime] | None = tx.memo.get(self._memo)
        if noted is None:
            tx.memo[self._memo] = noted = {}
            tx.at_end(self._memo, partial(self._mark, tx.conn, noted))
        if about not in noted or noted[about] < at:
            noted[about] = at

    async def _mark(self, conn: AsyncConnection, noted: Mapping[str, datetime]) -> None:
        marks: dict[str, datetime] = {}
        for about, supplier in (await self._suppliers_of(conn, noted)).items():
            at = noted[about]
            if supplier not in marks or marks[supplier] < at:
                marks[supplier] = at
        await record_as_of(conn, marks)

    def __iter__(self) -> Iterator[str]:
        return iter(self._handlers)

    def __len__(self) -> int:
        return len(self._handlers)


MEASUREMENT = service_stream("measurement").name

SCHEDULES = Consumer(
    ConsumerSpec(
        name="commitments-schedules",
        stream=MEASUREMENT,
        subjects=("svl.measurement.schedule.>",),
    ),
    Marked(
        {
            SCHEDULE_OPENED: schedule_opened,
            SCHEDULE_VARIED: schedule_varied,
            SCHEDULE_CLOSED: schedule_closed,
            RETURN_SUBMITTED: return_version,
            RETURN_AMENDED: return_version,
            RETURN_CORRECTED: return_version,
            RETURN_ACCEPTED: return_accepted,
        },
        _contract,
        suppliers_of_contracts,
    ),
)

ALERTS = Consumer(
    ConsumerSpec(
        name="commitments-alerts",
        stream=MEASUREMENT,
        subjects=("svl.measurement.alert.>",),
    ),
    Marked(
        {
            ALERT_RAISED: alert_raised,
            ALERT_ACKNOWLEDGED: alert_acknowledged,
            ALERT_RESOLVED: alert_resolved,
        },
        _alert,
        suppliers_of_alerts,
    ),
)
