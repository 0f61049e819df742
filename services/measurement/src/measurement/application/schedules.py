"""Schedules: opened, varied and closed from contract events; overdue returns detected.

The consumer handlers run inside :func:`svledger.consumers.apply_once`, so their effects and
the consumer's position commit together. The overdue scheduler checks the aggregate before
raising anything, so running it twice (or on two replicas) raises nothing twice.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from svledger.auth import Principal
from svledger.clock import Clock
from svledger.columns import write_behind
from svledger.database import Database
from svledger.envelope import EventEnvelope, Metadata
from svledger.errors import ConcurrencyError, NotFound
from svledger.eventstore import EventStore, StoreTransaction
from svledger.quantities import figure

from measurement.adapters import read_models
from measurement.adapters.projections import known_contract_parties
from measurement.application.recording import (
    SERVICE_ACTOR,
    raise_alerts,
    record,
    resolve_alerts,
)
from measurement.domain.alert import PLEDGE_BEHIND, Alert, AlertFacts, alert_id_for
from measurement.domain.assessment import Thresholds
from measurement.domain.pledge import last_quarter_due, pledges_behind
from measurement.domain.schedule import Decision, Schedule

log = logging.getLogger(__name__)

SCHEDULER_ACTOR = "measurement-scheduler"


async def apply_decision(
    tx: StoreTransaction,
    schedule: Schedule,
    expected: int,
    decision: Decision,
    *,
    metadata: Metadata,
    today: date,
) -> list[EventEnvelope]:
    """Record what a schedule decided: its own events, alerts raised, alerts resolved.

    ``decision.resolve`` is narrowed to the alerts that this call actually resolved.
    """
    known_contract_parties(tx, schedule.contract_id, schedule.buyer, schedule.supplier)
    # A return's assessments and alerts are a score of rows: their writes go in runs.
    async with write_behind(tx.conn):
        recorded = await record(
            tx,
            Schedule.stream_id(schedule.contract_id),
            expected,
            decision.schedule_events,
            metadata,
        )
        await raise_alerts(tx, decision.alerts, metadata)
        resolved = set(await resolve_alerts(tx, decision.resolve, today, metadata))
    # Candidates already resolved (by hand, say) are left alone and not reported.
    decision.resolve = [
        (alert_id, how) for alert_id, how in decision.resolve if alert_id in resolved
    ]
    return recorded


@dataclass(frozen=True, slots=True)
class ContractEvents:
    """Handlers for the commitments service's contract events."""

    clock: Clock
    thresholds: Thresholds

    async def awarded(self, tx: StoreTransaction, event: EventEnvelope) -> None:
        """A newly awarded contract gets its schedule; periods already past due show at once."""
        metadata = event.metadata.caused_by(event, SERVICE_ACTOR)
        schedule = Schedule()
        opened = schedule.record(Schedule.open(event.data))
        decision = schedule.detect_overdue(self.clock().date())
        decision.schedule_events.insert(0, opened)
        await apply_decision(
            tx, schedule, 0, decision, metadata=metadata, today=self.clock().date()
        )

    async def varied(self, tx: StoreTransaction, event: EventEnvelope) -> None:
        """New targets agreed for an obligation: reassess it, resolving what no longer applies."""
        schedule = await _existing(tx, event)
        expected = schedule.version
        today = self.clock().date()
        decision = schedule.vary(event.data, today, self.thresholds)
        metadata = event.metadata.caused_by(event, SERVICE_ACTOR)
        await apply_decision(tx, schedule, expected, decision, metadata=metadata, today=today)

    async def completed(self, tx: StoreTransaction, event: EventEnvelope) -> None:
        """The contract ran its course: quarters after completion need no return."""
        await self._close(tx, event, "completed", event.data["completed_on"], [])

    async def terminated(self, tx: StoreTransaction, event: EventEnvelope) -> None:
        """The contract ended early: its cancelled periods need no return."""
        cancelled = [str(p) for p in event.data.get("cancelled_periods", [])]
        await self._close(tx, event, "terminated", event.data["terminated_on"], cancelled)

    async def _close(
        self,
        tx: StoreTransaction,
        event: EventEnvelope,
        reason: str,
        on: str,
        cancelled: list[str],
    ) -> None:
        schedule = await _existing(tx, event)
        closed = schedule.close(reason, date.fromisoformat(on), cancelled)
        metadata = event.metadata.caused_by(event, SERVICE_ACTOR)
        await record(
            tx, Schedule.stream_id(schedule.contract_id), schedule.version, [closed], metadata
        )


async def _existing(tx: StoreTransaction, event: EventEnvelope) -> Schedule:
    contract_id = str(event.data["contract_id"])
    schedule = Schedule.rehydrate(await tx.load(Schedule.stream_id(contract_id)))
    if schedule is None:
        # The contract's award comes first in its stream; without it, fail loudly.
        raise NotFound(f"no schedule for contract {contract_id}")
    return schedule


async def detect_overdue_returns(store: EventStore, clock: Clock) -> int:
    """Raise ``ReturnOverdue`` for every period past due without a return; how many were."""
    today = clock().date()
    raised = 0
    metadata = Metadata(actor=SCHEDULER_ACTOR, correlation_id=str(uuid.uuid4()))
    for contract_id in await read_models.contracts_with_overdue_periods(store.database, today):
        try:
            async with store.transaction() as tx:
                schedule = Schedule.rehydrate(await tx.load(Schedule.stream_id(contract_id)))
                if schedule is None:
                    continue
                expected = schedule.version
                decision = schedule.detect_overdue(today)
                if decision.schedule_events:
                    await apply_decision(
                        tx, schedule, expected, decision, metadata=metadata, today=today
                    )
                    raised += len(decision.schedule_events)
        except ConcurrencyError:
            log.info("schedule %s moved while checking overdue returns; next run", contract_id)
    return raised


async def load_schedule(store: EventStore, reader: Principal, contract_id: uuid.UUID) -> Schedule:
    """The schedule of a contract the caller is party to; 404 for anyone else."""
    schedule = Schedule.rehydrate(await store.load(Schedule.stream_id(str(contract_id))))
    if schedule is None or not schedule.visible_to(reader.organisation):
        raise NotFound(
            f"contract {contract_id} was not found (a contract just registered appears "
            "here within seconds)"
        )
    return schedule


def obligation_progress(schedule: Schedule, obligation_id: uuid.UUID) -> list[dict[str, Any]]:
    """Each assessed period of one obligation, in time order."""
    assessed = schedule.assessments.get(str(obligation_id))
    if assessed is None:
        raise NotFound(f"obligation {obligation_id} is not on this contract")
    return [assessed[p] for p in sorted(assessed)]


async def due_for(
    database: Database, reader: Principal, today: date, within_days: int | None
) -> list[dict[str, Any]]:
    """What the caller's organisation owes, as supplier: each period not yet returned or queried."""
    return await read_models.due_periods(database, reader.organisation, today, within_days)


async def check_pledges(store: EventStore, clock: Clock, thresholds: Thresholds) -> int:
    """Raise ``pledge_behind`` once per (organisation, measure, quarter) for pledges behind."""
    today = clock().date()
    quarter = last_quarter_due(today)
    raised = 0
    metadata = Metadata(actor=SCHEDULER_ACTOR, correlation_id=str(uuid.uuid4()))
    for pledge in await read_models.all_pledges(store.database):
        organisation = pledge["organisation"]
        delivered = await _delivered_by(store, organisation)
        for shortfall in pledges_behind(pledge["targets"], delivered, quarter, thresholds):
            alert_id = alert_id_for("pledge", organisation, shortfall.measure, shortfall.period)
            stream = Alert.stream_id(alert_id)
            try:
                async with store.transaction() as tx:
                    if await tx.load(stream):
                        continue
                    facts = AlertFacts(
                        alert_id=alert_id,
                        contract_id=None,
                        obligation_id=None,
                        measure=shortfall.measure,
                        period=shortfall.period,
                        kind=PLEDGE_BEHIND,
                        severity="medium",
                        buyer=organisation,
                        supplier=organisation,
                        ratio=shortfall.ratio,
                        raised_on=today,
                        detail=f"delivered {figure(shortfall.delivered)} of "
                        f"{figure(shortfall.expected)} pledged to date",
                    )
                    await record(tx, stream, 0, [Alert.raise_alert(facts)], metadata)
                    raised += 1
            except ConcurrencyError:
                log.info("pledge alert %s raised elsewhere", alert_id)
    return raised


async def _delivered_by(store: EventStore, supplier: str) -> dict[str, dict[str, Decimal]]:
    """What a supplier delivered, by measure and period, across its contracts' returns."""
    delivered: dict[str, dict[str, Decimal]] = {}
    for contract_id in await read_models.contracts_supplied_by(store.database, supplier):
        schedule = Schedule.rehydrate(await store.load(Schedule.stream_id(contract_id)))
        if schedule is None:
            continue
        for obligation_id, by_period in schedule.delivered.items():
            measure = schedule.obligations[obligation_id].measure
            into = delivered.setdefault(measure, {})
            for period, quantity in by_period.items():
                into[period] = into.get(period, Decimal(0)) + quantity
    return delivered
