"""Accountability alerts from measurement: record under-delivery as shortfalls."""

from __future__ import annotations

from svledger.bus import ConsumerSpec, service_stream
from svledger.consumers import Consumer
from svledger.envelope import EventEnvelope
from svledger.eventstore import StoreTransaction

from brokerage.adapters.shortfalls import record_shortfall
from brokerage.domain.shortfalls import ALERT_RAISED, shortfall_raised


async def record_raised_shortfall(tx: StoreTransaction, event: EventEnvelope) -> None:
    """An alert was raised: record it when it reports under-delivery."""
    shortfall = shortfall_raised(event.data)
    if shortfall is not None:
        await record_shortfall(tx.conn, shortfall)


ALERTS = Consumer(
    spec=ConsumerSpec(
        name="brokerage-alerts",
        stream=service_stream("measurement").name,
        subjects=("svl.measurement.alert.>",),
    ),
    handlers={ALERT_RAISED: record_raised_shortfall},
)
