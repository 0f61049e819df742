"""Command handlers and queries for accountability alerts: acknowledge, resolve, escalate (by
hand and on schedule), inbox."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from svledger.auth import Principal
from svledger.clock import Clock
from svledger.context import metadata_for
from svledger.database import Database
from svledger.envelope import Metadata, NewEvent
from svledger.errors import ConcurrencyError, NotFound
from svledger.eventstore import EventStore

from measurement.adapters import read_models
from measurement.adapters.read_models import AlertFilter
from measurement.application.recording import check_version, record
from measurement.domain.alert import Alert, Resolution

log = logging.getLogger(__name__)

ESCALATION_ACTOR = "measurement-escalation"


async def load_alert(store: EventStore, reader: Principal, alert_id: uuid.UUID) -> Alert:
    """An alert on a contract the caller is party to; 404 for anyone else."""
    alert = Alert.rehydrate(await store.load(Alert.stream_id(str(alert_id))))
    if alert is None or not alert.visible_to(reader.organisation):
        raise NotFound(f"alert {alert_id} was not found")
    return alert


async def acknowledge_alert(
    store: EventStore,
    clock: Clock,
    buyer: Principal,
    alert_id: uuid.UUID,
    *,
    note: str,
    if_match: int | None = None,
) -> Alert:
    """The contract manager takes the alert on; it stops escalating."""
    return await _change(
        store,
        buyer,
        alert_id,
        if_match,
        lambda alert: alert.acknowledge(buyer.subject, clock().date(), note),
    )


async def resolve_alert(
    store: EventStore,
    clock: Clock,
    buyer: Principal,
    alert_id: uuid.UUID,
    *,
    resolution: Resolution,
    if_match: int | None = None,
) -> Alert:
    """The contract manager closes an acknowledged alert with a resolution."""
    return await _change(
        store,
        buyer,
        alert_id,
        if_match,
        lambda alert: alert.resolve(resolution, buyer.subject, clock().date()),
    )


async def escalate_alert(
    store: EventStore,
    clock: Clock,
    buyer: Principal,
    alert_id: uuid.UUID,
    *,
    reason: str,
    if_match: int | None = None,
) -> Alert:
    """The contract manager moves the alert up a level by hand, saying why."""
    return await _change(
        store,
        buyer,
        alert_id,
        if_match,
        lambda alert: alert.escalate(buyer.subject, clock().date(), reason),
    )


async def _change(
    store: EventStore,
    buyer: Principal,
    alert_id: uuid.UUID,
    if_match: int | None,
    decide: Callable[[Alert], NewEvent],
) -> Alert:
    stream = Alert.stream_id(str(alert_id))
    async with store.transaction() as tx:
        alert = Alert.rehydrate(await tx.load(stream))
        # Only the buyer who let the contract acts on its alerts; to others it does not exist.
        if alert is None or alert.data.get("buyer") != buyer.organisation:
            raise NotFound(f"alert {alert_id} was not found among alerts on contracts you let")
        check_version(if_match, alert.version)
        event = decide(alert)
        recorded = await record(
            tx,
            stream,
            alert.version,
            [event],
            metadata_for(buyer),
        )
    alert.version = recorded[-1].stream_version
    return alert


async def escalate_alerts(store: EventStore, clock: Clock, after_days: int) -> int:
    """Move each alert nobody acknowledged in time up its levels; how many escalations."""
    today = clock().date()
    escalated = 0
    metadata = Metadata(actor=ESCALATION_ACTOR, correlation_id=str(uuid.uuid4()))
    for alert_id in await read_models.alerts_to_escalate(store.database, today, after_days):
        stream = Alert.stream_id(alert_id)
        try:
            async with store.transaction() as tx:
                alert = Alert.rehydrate(await tx.load(stream))
                if alert is None:
                    continue
                events = alert.escalations_due(today, after_days)
                await record(tx, stream, alert.version, events, metadata)
                escalated += len(events)
        except ConcurrencyError:
            log.info("alert %s moved while escalating; next run", alert_id)
    return escalated


async def alerts_inbox(
    database: Database, reader: Principal, today: date, which: AlertFilter
) -> list[dict[str, Any]]:
    """The alerts on the caller's organisation's contracts, filtered."""
    return await read_models.alerts_inbox(database, reader.organisation, today, which)
