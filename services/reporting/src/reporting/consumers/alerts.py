"""Accountability alerts raised in measurement."""

from __future__ import annotations

from svledger.bus import ConsumerSpec, service_stream
from svledger.consumers import Consumer
from svledger.envelope import EventEnvelope
from svledger.eventstore import StoreTransaction

from reporting.adapters.projections import record_alert
from reporting.consumers.event_data import day, optional_quantity, period
from reporting.domain.progress import Alert, AlertStatus

ALERT_RAISED = "AlertRaised"


async def alert_raised(tx: StoreTransaction, event: EventEnvelope) -> None:
    """Record a new open alert against both parties to the contract."""
    data = event.data
    await record_alert(
        tx.conn,
        Alert(
            alert_id=str(data["alert_id"]),
            contract_id=str(data["contract_id"]),
            obligation_id=str(data["obligation_id"]),
            measure=data["measure"],
            period=period(data),
            kind=data["kind"],
            severity=data["severity"],
            status=AlertStatus.OPEN,
            buyer=data["buyer"],
            supplier=data["supplier"],
            ratio=optional_quantity(data, "ratio"),
            raised_on=day(data, "raised_on"),
        ),
    )


# Later alert events (acknowledged, resolved...) come with a later issue; until then the
# runner records them as seen.
ALERTS = Consumer(
    ConsumerSpec(
        name="reporting-alerts",
        stream=service_stream("measurement").name,
        subjects=("svl.measurement.alert.>",),
    ),
    handlers={ALERT_RAISED: alert_raised},
)
