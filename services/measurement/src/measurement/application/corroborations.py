"""Corroborated evidence from brokerage: confirmed deliveries kept by contract, obligation and
quarter, and read beside the returns they support.

Corroborations are kept in their own table rather than as events on the contract's schedule:
the fact is the VCFSE's, already recorded (with its actor) in brokerage's log; measurement
decides nothing from it (the return stays the figure assessed); it may arrive before the
schedule or the return exists; and it must not move the schedule's version, which suppliers
and contract managers hold as the ``If-Match`` of their next write. The consumer writes the
row in the transaction that moves its position, so a redelivered event changes nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

from svledger.auth import Principal
from svledger.envelope import EventEnvelope
from svledger.eventstore import EventStore, StoreTransaction
from svledger.periods import Quarter
from svledger.quantities import figure

from measurement.adapters import read_models
from measurement.application.schedules import load_schedule
from measurement.domain.corroboration import (
    Corroboration,
    by_obligation_and_period,
    corroborated_quantity,
)
from measurement.domain.schedule import Schedule

DELIVERY_CONFIRMED = "DeliveryConfirmed"
DELIVERY_DISPUTED = "DeliveryDisputed"


async def delivery_confirmed(tx: StoreTransaction, event: EventEnvelope) -> None:
    """A VCFSE confirmed a delivery: evidence against the supplier's obligation, if it names one."""
    corroboration = Corroboration.from_confirmed(event.data)
    if corroboration is not None:
        await read_models.record_corroboration(tx.conn, corroboration)


async def delivery_disputed(tx: StoreTransaction, event: EventEnvelope) -> None:
    """A disputed delivery never counts (brokerage disputes only unconfirmed deliveries today;
    should that change, a dispute withdraws the corroboration)."""
    await read_models.withdraw_corroboration(tx.conn, str(event.data["delivery_id"]))


async def evidence_for_return(
    store: EventStore, schedule: Schedule, period: str
) -> dict[str, list[Corroboration]]:
    """A period's corroborations on a contract, by obligation."""
    found = await read_models.corroborations_of(
        store.database, schedule.contract_id, schedule.supplier, period
    )
    return {ob: items for (ob, _), items in by_obligation_and_period(found).items()}


async def contract_corroborations(
    store: EventStore, reader: Principal, contract_id: uuid.UUID, period: str | None
) -> list[dict[str, Any]]:
    """A contract's corroborated evidence by obligation and quarter, for either party."""
    schedule = await load_schedule(store, reader, contract_id)
    if period is not None:
        period = Quarter.parse(period).label
    found = await read_models.corroborations_of(
        store.database, schedule.contract_id, schedule.supplier, period
    )
    order = {ob: i for i, ob in enumerate(schedule.obligations)}
    groups = sorted(
        by_obligation_and_period(found).items(),
        key=lambda g: (order.get(g[0][0], len(order)), g[0][0], Quarter.parse(g[0][1])),
    )
    return [_group(schedule, obligation_id, p, items) for (obligation_id, p), items in groups]


def _group(
    schedule: Schedule, obligation_id: str, period: str, items: list[Corroboration]
) -> dict[str, Any]:
    obligation = schedule.obligations.get(obligation_id)
    unit = obligation.unit if obligation is not None else items[0].unit
    return {
        "obligation_id": obligation_id,
        "measure": obligation.measure if obligation is not None else items[0].measure,
        "unit": unit,
        "period": period,
        "corroborated_quantity": figure(corroborated_quantity(items, unit)),
        "corroborations": [c.as_json() for c in items],
    }


def line_evidence(
    schedule: Schedule, line: dict[str, Any], evidence: dict[str, list[Corroboration]]
) -> dict[str, Any]:
    """A return line with the confirmed deliveries behind it and what they add up to."""
    items = evidence.get(str(line["obligation_id"]), [])
    obligation = schedule.obligations.get(str(line["obligation_id"]))
    unit = obligation.unit if obligation is not None else ""
    return {
        **line,
        "corroborations": [c.as_json() for c in items],
        "corroborated_quantity": figure(corroborated_quantity(items, unit)),
    }
