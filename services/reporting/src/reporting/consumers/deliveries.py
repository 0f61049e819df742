"""Deliveries in brokerage that a VCFSE partner confirmed or disputed (match streams)."""

from __future__ import annotations

from svledger.bus import ConsumerSpec, service_stream
from svledger.envelope import EventEnvelope
from svledger.eventstore import StoreTransaction
from svledger.periods import Quarter

from reporting.adapters.projections import (
    DeliveryDecision,
    record_confirmed_delivery,
    record_disputed_delivery,
)
from reporting.consumers.event_data import day, optional_text, period, quantity
from reporting.consumers.tracking import tracked
from reporting.domain.pledge import ConfirmedDelivery

DELIVERY_CONFIRMED = "DeliveryConfirmed"
DELIVERY_DISPUTED = "DeliveryDisputed"


async def delivery_confirmed(tx: StoreTransaction, event: EventEnvelope) -> None:
    """A confirmed delivery counts towards the supplier's Partner VCFSE actuals."""
    data = event.data
    delivered_on = day(data, "delivered_on")
    quarter = period(data) if data.get("period") else Quarter.containing(delivered_on).label
    await record_confirmed_delivery(
        tx.conn,
        DeliveryDecision(
            delivery=ConfirmedDelivery(
                delivery_id=str(data["delivery_id"]),
                contract_id=optional_text(data, "contract_id"),
                obligation_id=optional_text(data, "obligation_id"),
                measure=str(data["measure"]),
                period=quarter,
                quantity=quantity(data, "quantity"),
            ),
            match_id=str(data["match_id"]),
            supplier=str(data["supplier"]),
            vcfse=str(data["vcfse"]),
            unit=str(data.get("unit") or ""),
            delivered_on=delivered_on,
            decided_on=day(data, "confirmed_on"),
        ),
    )


async def delivery_disputed(tx: StoreTransaction, event: EventEnvelope) -> None:
    """A disputed delivery never counts."""
    data = event.data
    await record_disputed_delivery(tx.conn, str(data["delivery_id"]), day(data, "disputed_on"))


# The match aggregate carries every other brokerage event too; they are recorded as seen.
DELIVERIES = tracked(
    ConsumerSpec(
        name="reporting-deliveries",
        stream=service_stream("brokerage").name,
        subjects=("svl.brokerage.match.>",),
    ),
    {DELIVERY_CONFIRMED: delivery_confirmed, DELIVERY_DISPUTED: delivery_disputed},
)
