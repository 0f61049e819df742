"""Command handlers and queries for schedules, returns and alerts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from svledger.auth import Principal
from svledger.clock import Clock
from svledger.envelope import EventEnvelope, Metadata
from svledger.errors import NotFound
from svledger.eventstore import EventStore, StoreTransaction

from measurement.domain.alert import Alert
from measurement.domain.assessment import Thresholds
from measurement.domain.schedule import ReturnLine, Schedule

SERVICE_ACTOR = "measurement"


async def open_schedule(tx: StoreTransaction, contract_awarded: EventEnvelope) -> None:
    """Consumer handler: a newly awarded contract gets its return schedule."""
    data = contract_awarded.data
    await tx.append(
        Schedule.stream_id(data["contract_id"]),
        0,
        [Schedule.open(data)],
        contract_awarded.metadata.caused_by(contract_awarded, SERVICE_ACTOR),
    )


@dataclass(frozen=True, slots=True)
class ReturnReceipt:
    """What a supplier learns from submitting a return."""

    contract_id: str
    period: str
    late: bool
    assessments: list[dict[str, Any]]
    alerts: list[str]
    version: int


async def load_schedule(store: EventStore, reader: Principal, contract_id: uuid.UUID) -> Schedule:
    """The schedule of a contract the caller is party to; 404 for anyone else."""
    schedule = Schedule.rehydrate(await store.load(Schedule.stream_id(str(contract_id))))
    if schedule is None or not schedule.visible_to(reader.organisation):
        raise NotFound(
            f"contract {contract_id} was not found (a contract just registered appears "
            "here within seconds)"
        )
    return schedule


async def submit_return(
    store: EventStore,
    clock: Clock,
    thresholds: Thresholds,
    supplier: Principal,
    contract_id: uuid.UUID,
    *,
    period: str,
    lines: list[ReturnLine],
    narrative: str,
) -> ReturnReceipt:
    """A supplier's return for one period: recorded, assessed, and alerts raised, atomically."""
    metadata = Metadata(actor=supplier.subject, organisation=supplier.organisation)
    async with store.transaction() as tx:
        stream = Schedule.stream_id(str(contract_id))
        schedule = Schedule.rehydrate(await tx.load(stream))
        if schedule is None or schedule.supplier != supplier.organisation:
            raise NotFound(f"contract {contract_id} was not found among your contracts")
        expected = schedule.version
        decided = schedule.submit_return(period, lines, narrative, clock().date(), thresholds)
        recorded = await tx.append(stream, expected, decided.schedule_events, metadata)
        for alert_id, raised in decided.alerts:
            await tx.append(Alert.stream_id(alert_id), 0, [raised], metadata)
    return ReturnReceipt(
        contract_id=str(contract_id),
        period=period,
        late=bool(recorded[0].data["late"]),
        assessments=[e.data for e in recorded[1:]],
        alerts=[alert_id for alert_id, _ in decided.alerts],
        version=recorded[-1].stream_version,
    )


async def load_alert(store: EventStore, reader: Principal, alert_id: uuid.UUID) -> Alert:
    """An alert on a contract the caller is party to; 404 for anyone else."""
    alert = Alert.rehydrate(await store.load(Alert.stream_id(str(alert_id))))
    if alert is None or not alert.visible_to(reader.organisation):
        raise NotFound(f"alert {alert_id} was not found")
    return alert
