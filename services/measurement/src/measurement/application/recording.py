"""Recording decided events: appended to their stream and shown in the read models, together.

Every command handler, consumer and scheduler records through :func:`record`, inside the one
transaction the caller owns, so a read model never shows an event that was not committed and
never misses one that was.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from svledger.clock import system_clock
from svledger.envelope import EventEnvelope, Metadata, NewEvent
from svledger.errors import PreconditionFailed
from svledger.eventstore import StoreTransaction

from measurement.adapters.projections import known_alert_parties, project
from measurement.domain.alert import Alert, AlertStatus, Resolution, ResolutionKind

SERVICE_ACTOR = "measurement"


async def record(
    tx: StoreTransaction,
    stream_id: str,
    expected_version: int,
    events: Sequence[NewEvent],
    metadata: Metadata,
) -> list[EventEnvelope]:
    """Append after ``expected_version`` and project what was appended."""
    recorded = await tx.append(stream_id, expected_version, events, metadata)
    await _show(tx, recorded)
    return recorded


async def _show(tx: StoreTransaction, recorded: Sequence[EventEnvelope]) -> None:
    """Project what was appended."""
    # Webhook retries are timed on the wall clock, whatever business date the service runs at.
    now = system_clock()
    for envelope in recorded:
        await project(tx, envelope, now)


def check_version(if_match: int | None, version: int) -> None:
    """Refuse a write made against a version the caller no longer holds (412)."""
    if if_match is not None and if_match != version:
        raise PreconditionFailed(
            f"the resource is at version {version}, not {if_match}; read it again",
            field="If-Match",
            extra={"current_version": version},
        )


async def raise_alerts(
    tx: StoreTransaction, alerts: Sequence[tuple[str, NewEvent]], metadata: Metadata
) -> None:
    """Record each newly raised alert as version 1 of its own stream, all in one append."""
    appended = await tx.append_streams(
        [(Alert.stream_id(alert_id), 0, [raised]) for alert_id, raised in alerts], metadata
    )
    await _show(tx, [envelope for recorded in appended for envelope in recorded])


async def resolve_alerts(
    tx: StoreTransaction,
    candidates: Sequence[tuple[str, ResolutionKind]],
    today: date,
    metadata: Metadata,
) -> list[str]:
    """Resolve, as the system, each candidate alert that is not resolved yet."""
    resolved: list[str] = []
    for alert_id, kind in candidates:
        stream = Alert.stream_id(alert_id)
        alert = Alert.rehydrate(await tx.load(stream))
        if alert is None or alert.status is AlertStatus.RESOLVED:
            continue
        buyer, supplier = alert.data.get("buyer"), alert.data.get("supplier")
        if isinstance(buyer, str) and isinstance(supplier, str):
            known_alert_parties(tx, alert_id, buyer, supplier)
        event = alert.resolve(Resolution(kind), SERVICE_ACTOR, today, automatic=True)
        await record(tx, stream, alert.version, [event], metadata)
        resolved.append(alert_id)
    return resolved
