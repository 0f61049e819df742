"""Accountability alerts in measurement: raised, acknowledged, escalated, resolved."""

from __future__ import annotations

from svledger.bus import ConsumerSpec, service_stream
from svledger.envelope import EventEnvelope
from svledger.eventstore import StoreTransaction

from reporting.adapters.projections import record_alert, record_alert_change
from reporting.consumers.event_data import day, optional_quantity, optional_text, period
from reporting.consumers.tracking import tracked
from reporting.domain.progress import Alert, AlertStatus

ALERT_RAISED = "AlertRaised"
ALERT_ACKNOWLEDGED = "AlertAcknowledged"
ALERT_ESCALATED = "AlertEscalated"
ALERT_RESOLVED = "AlertResolved"


async def alert_raised(tx: StoreTransaction, event: EventEnvelope) -> None:
    """Record a new open alert against both parties (an organisation, for a pledge)."""
    data = event.data
    level = data.get("level")
    await record_alert(
        tx.conn,
        Alert(
            alert_id=str(data["alert_id"]),
            contract_id=optional_text(data, "contract_id"),
            obligation_id=optional_text(data, "obligation_id"),
            measure=optional_text(data, "measure"),
            period=period(data),
            kind=data["kind"],
            severity=data["severity"],
            status=AlertStatus.OPEN,
            buyer=data["buyer"],
            supplier=data["supplier"],
            ratio=optional_quantity(data, "ratio"),
            raised_on=day(data, "raised_on"),
            level=None if level is None else int(level),
            escalated_to=optional_text(data, "escalated_to"),
            detail=optional_text(data, "detail"),
        ),
    )


async def alert_acknowledged(tx: StoreTransaction, event: EventEnvelope) -> None:
    """Someone owns the alert now."""
    data = event.data
    await record_alert_change(
        tx.conn,
        str(data["alert_id"]),
        status=AlertStatus.ACKNOWLEDGED.value,
        acknowledged_on=day(data, "acknowledged_on"),
    )


async def alert_escalated(tx: StoreTransaction, event: EventEnvelope) -> None:
    """Nobody acknowledged the alert in time: it moved up a level."""
    data = event.data
    await record_alert_change(
        tx.conn,
        str(data["alert_id"]),
        level=int(data["level"]),
        escalated_to=optional_text(data, "escalated_to"),
    )


async def alert_resolved(tx: StoreTransaction, event: EventEnvelope) -> None:
    """The alert was closed, with its resolution."""
    data = event.data
    await record_alert_change(
        tx.conn,
        str(data["alert_id"]),
        status=AlertStatus.RESOLVED.value,
        resolved_on=day(data, "resolved_on"),
        resolution=optional_text(data, "resolution"),
    )


ALERTS = tracked(
    ConsumerSpec(
        name="reporting-alerts",
        stream=service_stream("measurement").name,
        subjects=("svl.measurement.alert.>",),
    ),
    {
        ALERT_RAISED: alert_raised,
        ALERT_ACKNOWLEDGED: alert_acknowledged,
        ALERT_ESCALATED: alert_escalated,
        ALERT_RESOLVED: alert_resolved,
    },
)
