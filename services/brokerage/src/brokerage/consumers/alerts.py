"""Accountability alerts from measurement: record shortfalls (under-delivery or at risk),
propose VCFSE partners who could help the supplier recover, and note when alerts resolve."""

from __future__ import annotations

from datetime import date

from svledger.bus import ConsumerSpec, service_stream
from svledger.clock import Clock, system_clock
from svledger.consumers import Consumer
from svledger.envelope import EventEnvelope
from svledger.eventstore import StoreTransaction

from brokerage.adapters.shortfalls import resolve_shortfall
from brokerage.application.proposals import ReferralPolicy, on_alert_raised
from brokerage.domain.shortfalls import ALERT_RAISED, ALERT_RESOLVED

SPEC = ConsumerSpec(
    name="brokerage-alerts",
    stream=service_stream("measurement").name,
    subjects=("svl.measurement.alert.>",),
)


async def record_resolution(tx: StoreTransaction, event: EventEnvelope) -> None:
    """An alert was resolved: its shortfall no longer weighs in matching."""
    raw = event.data.get("resolved_on")
    resolved_on = date.fromisoformat(raw) if raw else event.recorded_at.date()
    await resolve_shortfall(tx.conn, str(event.data["alert_id"]), resolved_on)


def alerts_consumer(policy: ReferralPolicy, clock: Clock = system_clock) -> Consumer:
    """The alerts consumer, proposing matches as ``policy`` says, on ``clock``'s today."""

    async def record_raised_shortfall(tx: StoreTransaction, event: EventEnvelope) -> None:
        """An alert was raised: a shortfall is recorded, and partners proposed for it."""
        await on_alert_raised(tx, event, policy, clock().date())

    return Consumer(
        spec=SPEC,
        handlers={ALERT_RAISED: record_raised_shortfall, ALERT_RESOLVED: record_resolution},
    )


ALERTS = alerts_consumer(ReferralPolicy())
