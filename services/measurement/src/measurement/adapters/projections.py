"""Writes to the read models, in the transaction that records the events they show.

Each write sets values rather than adding to them, so projecting an event twice (a rebuild
from the log) leaves the same rows. Webhook deliveries are queued here too: the queue is an
outbox, committed with the event or not at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, Table, Update, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from svledger.columns import upsert, upsert_many
from svledger.envelope import EventEnvelope
from svledger.eventstore import StoreTransaction

from measurement.adapters.tables import (
    alerts,
    schedule_periods,
    webhook_deliveries,
    webhook_subscriptions,
)
from measurement.domain import alert as al
from measurement.domain import schedule as sc
from measurement.domain.webhooks import PENDING, SUBSCRIBABLE, payload

Projector = Callable[[AsyncConnection, EventEnvelope], Awaitable[None]]

# Raised on a transaction that queued webhook deliveries: once it commits, the dispatcher
# can send them at once rather than at its next poll.
WEBHOOKS_QUEUED = "measurement:webhooks-queued"


async def project(tx: StoreTransaction, envelope: EventEnvelope, now: datetime) -> None:
    """Show one recorded event in the read models and queue its webhook deliveries."""
    projector = _PROJECTORS.get(envelope.type)
    if projector is not None:
        await projector(tx.conn, envelope)
    if envelope.type in SUBSCRIBABLE:
        await _queue_webhooks(tx, envelope, now)


async def _schedule_opened(conn: AsyncConnection, event: EventEnvelope) -> None:
    data = event.data
    await upsert_many(
        conn,
        schedule_periods,
        [
            {
                "contract_id": data["contract_id"],
                "period": p["period"],
                "reference": data.get("reference", ""),
                "buyer": data["buyer"],
                "supplier": data["supplier"],
                "due_on": date.fromisoformat(p["due_on"]),
                "review": None,
                "late": False,
                "return_version": None,
                "submitted_on": None,
                "overdue": False,
                "cancelled": False,
            }
            for p in data["periods"]
        ],
        key=(),
        update=(),
    )


async def _return_version(conn: AsyncConnection, event: EventEnvelope) -> None:
    data = event.data
    values: dict[str, Any] = {
        "return_version": int(data.get("version", 1)),
        "late": bool(data["late"]),
    }
    if event.type == sc.RETURN_SUBMITTED:
        values.update(review=sc.SUBMITTED, submitted_on=date.fromisoformat(data["submitted_on"]))
    elif event.type == sc.RETURN_AMENDED:
        values["review"] = sc.SUBMITTED
    await _update_period(conn, data, values)


async def _return_reviewed(conn: AsyncConnection, event: EventEnvelope) -> None:
    review = sc.ACCEPTED if event.type == sc.RETURN_ACCEPTED else sc.QUERIED
    await _update_period(conn, event.data, {"review": review})


async def _return_overdue(conn: AsyncConnection, event: EventEnvelope) -> None:
    await _update_period(conn, event.data, {"overdue": True})


async def _schedule_closed(conn: AsyncConnection, event: EventEnvelope) -> None:
    cancelled = list(event.data["cancelled_periods"])
    if cancelled:
        await conn.execute(
            update(schedule_periods)
            .where(
                schedule_periods.c.contract_id == event.data["contract_id"],
                schedule_periods.c.period.in_(cancelled),
            )
            .values(cancelled=True)
        )


# Projections run for every event: their statements are built once per set of columns set,
# so SQLAlchemy neither rebuilds them nor recomputes their cache keys on each event.
_period_updates: dict[frozenset[str], Update] = {}
_alert_updates: dict[frozenset[str], Update] = {}


def _period_update(columns: frozenset[str]) -> Update:
    statement = _period_updates.get(columns)
    if statement is None:
        statement = _period_updates[columns] = (
            update(schedule_periods)
            .where(
                schedule_periods.c.contract_id == bindparam("where_contract_id"),
                schedule_periods.c.period == bindparam("where_period"),
            )
            .values({c: bindparam(c) for c in sorted(columns)})
        )
    return statement


def _alert_update(columns: frozenset[str]) -> Update:
    statement = _alert_updates.get(columns)
    if statement is None:
        statement = _alert_updates[columns] = (
            update(alerts)
            .where(alerts.c.alert_id == bindparam("where_alert_id"))
            .values({c: bindparam(c) for c in sorted(columns)})
        )
    return statement


async def _update_period(
    conn: AsyncConnection, data: dict[str, Any], values: dict[str, Any]
) -> None:
    await conn.execute(
        _period_update(frozenset(values)),
        {"where_contract_id": data["contract_id"], "where_period": data["period"], **values},
    )


async def _alert_raised(conn: AsyncConnection, event: EventEnvelope) -> None:
    data = event.data
    await _insert_ignoring_duplicates(
        conn,
        alerts,
        {
            "alert_id": data["alert_id"],
            "contract_id": data["contract_id"],
            "obligation_id": data["obligation_id"],
            "measure": data["measure"],
            "period": data["period"],
            "kind": data["kind"],
            "severity": data["severity"],
            "status": al.AlertStatus.OPEN.value,
            "level": int(data.get("level", 1)),
            "buyer": data["buyer"],
            "supplier": data["supplier"],
            "ratio": None if data["ratio"] is None else Decimal(data["ratio"]),
            "raised_on": date.fromisoformat(data["raised_on"]),
            "acknowledged_on": None,
            "resolved_on": None,
            "resolution": None,
            "version": event.stream_version,
        },
    )


async def _alert_changed(conn: AsyncConnection, event: EventEnvelope) -> None:
    data = event.data
    values: dict[str, Any] = {"version": event.stream_version}
    if event.type == al.ALERT_ACKNOWLEDGED:
        values.update(
            status=al.AlertStatus.ACKNOWLEDGED.value,
            acknowledged_on=date.fromisoformat(data["acknowledged_on"]),
        )
    elif event.type == al.ALERT_ESCALATED:
        values["level"] = int(data["level"])
    elif event.type == al.ALERT_RESOLVED:
        values.update(
            status=al.AlertStatus.RESOLVED.value,
            resolved_on=date.fromisoformat(data["resolved_on"]),
            resolution=data["resolution"],
        )
    await conn.execute(
        _alert_update(frozenset(values)), {"where_alert_id": data["alert_id"], **values}
    )


_PROJECTORS: dict[str, Projector] = {
    sc.SCHEDULE_OPENED: _schedule_opened,
    sc.RETURN_SUBMITTED: _return_version,
    sc.RETURN_AMENDED: _return_version,
    sc.RETURN_CORRECTED: _return_version,
    sc.RETURN_ACCEPTED: _return_reviewed,
    sc.RETURN_QUERIED: _return_reviewed,
    sc.RETURN_OVERDUE: _return_overdue,
    sc.SCHEDULE_CLOSED: _schedule_closed,
    al.ALERT_RAISED: _alert_raised,
    al.ALERT_ACKNOWLEDGED: _alert_changed,
    al.ALERT_ESCALATED: _alert_changed,
    al.ALERT_RESOLVED: _alert_changed,
}


_ALERT_PARTIES = select(alerts.c.buyer, alerts.c.supplier).where(
    alerts.c.alert_id == bindparam("alert_id")
)
_CONTRACT_PARTIES = (
    select(schedule_periods.c.buyer, schedule_periods.c.supplier)
    .where(schedule_periods.c.contract_id == bindparam("contract_id"))
    .limit(1)
)
_ACTIVE_SUBSCRIPTIONS = select(webhook_subscriptions).where(
    webhook_subscriptions.c.organisation.in_(bindparam("parties", expanding=True)),
    webhook_subscriptions.c.active.is_(True),
)


def _both(buyer: str, supplier: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys((buyer, supplier)))


def known_contract_parties(
    tx: StoreTransaction, contract_id: str, buyer: str, supplier: str
) -> None:
    """Tell this transaction's projections who a contract's parties are, when the caller has
    the schedule in hand: its events then need no read to find whom to notify."""
    tx.memo[("contract-parties", contract_id)] = _both(buyer, supplier)


def known_alert_parties(tx: StoreTransaction, alert_id: str, buyer: str, supplier: str) -> None:
    """As :func:`known_contract_parties`, for an alert the caller has loaded."""
    tx.memo[("alert-parties", alert_id)] = _both(buyer, supplier)


async def _parties(tx: StoreTransaction, event: EventEnvelope) -> tuple[str, ...]:
    """The organisations an event concerns: the contract's buyer and supplier (read once per
    contract and transaction when the event does not name them)."""
    data = event.data
    if "buyer" in data and "supplier" in data:
        return _both(data["buyer"], data["supplier"])
    if event.aggregate == al.Alert.stream_prefix:
        key = ("alert-parties", data["alert_id"])
        query, params = _ALERT_PARTIES, {"alert_id": data["alert_id"]}
    else:
        key = ("contract-parties", data["contract_id"])
        query, params = _CONTRACT_PARTIES, {"contract_id": data["contract_id"]}
    if key not in tx.memo:
        row = (await tx.conn.execute(query, params)).first()
        tx.memo[key] = () if row is None else _both(row.buyer, row.supplier)
    parties: tuple[str, ...] = tx.memo[key]
    return parties


async def _subscriptions(tx: StoreTransaction, parties: tuple[str, ...]) -> list[Row[Any]]:
    """The parties' active subscriptions, read once per transaction (a return records many
    events for the same two organisations)."""
    key = ("webhook-subscriptions", parties)
    if key not in tx.memo:
        query = await tx.conn.execute(_ACTIVE_SUBSCRIPTIONS, {"parties": list(parties)})
        tx.memo[key] = query.all()
    subscriptions: list[Row[Any]] = tx.memo[key]
    return subscriptions


async def _queue_webhooks(tx: StoreTransaction, event: EventEnvelope, now: datetime) -> None:
    conn = tx.conn
    parties = await _parties(tx, event)
    if not parties:
        return
    for sub in await _subscriptions(tx, parties):
        wanted = sub.event_types.split()
        if wanted and event.type not in wanted:
            continue
        delivery_id = str(uuid.uuid4())
        body = payload(
            delivery_id,
            {
                "event_id": str(event.event_id),
                "type": event.type,
                "stream_id": event.stream_id,
                "stream_version": event.stream_version,
                "recorded_at": event.recorded_at.isoformat(),
                "data": event.data,
            },
        )
        await _insert_ignoring_duplicates(
            conn,
            webhook_deliveries,
            {
                "delivery_id": delivery_id,
                "subscription_id": sub.subscription_id,
                "organisation": sub.organisation,
                "event_id": str(event.event_id),
                "event_type": event.type,
                "body": body.decode(),
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "last_status_code": None,
                "last_error": None,
                "created_at": now,
                "delivered_at": None,
            },
        )
        tx.signal(WEBHOOKS_QUEUED)


async def _insert_ignoring_duplicates(
    conn: AsyncConnection, table: Table, values: dict[str, Any]
) -> None:
    await upsert(conn, table, values, key=(), update=())
