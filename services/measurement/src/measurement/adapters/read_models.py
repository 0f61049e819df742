"""Queries over the read models: every SELECT the service runs outside the event store."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from svledger.columns import upsert
from svledger.database import Database

from measurement.adapters.tables import (
    alerts,
    corroborations,
    pledges,
    schedule_periods,
    webhook_attempts,
    webhook_deliveries,
    webhook_subscriptions,
)
from measurement.domain.alert import TOP_LEVEL, AlertStatus
from measurement.domain.corroboration import Corroboration
from measurement.domain.schedule import QUERIED, period_status_of
from measurement.domain.webhooks import DELIVERED, FAILED, PENDING, REFUSED, SECRET_PREFIX

# -- schedules ------------------------------------------------------------------------------


async def contracts_with_overdue_periods(database: Database, today: date) -> list[str]:
    """Contracts with a period past due, no return, not cancelled and not yet flagged overdue."""
    query = (
        select(schedule_periods.c.contract_id)
        .where(
            schedule_periods.c.due_on < today,
            schedule_periods.c.review.is_(None),
            schedule_periods.c.overdue.is_(False),
            schedule_periods.c.cancelled.is_(False),
        )
        .distinct()
        .order_by(schedule_periods.c.contract_id)
    )
    async with database.reader.connect() as conn:
        return [str(r.contract_id) for r in (await conn.execute(query)).all()]


async def due_periods(
    database: Database, supplier: str, today: date, within_days: int | None
) -> list[dict[str, Any]]:
    """Periods a supplier still owes a return for (or must amend after a query), by due date."""
    query = (
        select(schedule_periods)
        .where(
            schedule_periods.c.supplier == supplier,
            schedule_periods.c.cancelled.is_(False),
            or_(schedule_periods.c.review.is_(None), schedule_periods.c.review == QUERIED),
        )
        .order_by(schedule_periods.c.due_on, schedule_periods.c.contract_id)
    )
    if within_days is not None:
        query = query.where(schedule_periods.c.due_on <= today + timedelta(days=within_days))
    async with database.reader.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [
        {
            "contract_id": r.contract_id,
            "reference": r.reference,
            "buyer": r.buyer,
            "period": r.period,
            "due_on": r.due_on,
            "status": period_status_of(
                period=r.period,
                due_on=r.due_on,
                today=today,
                review=r.review,
                late=r.late,
                cancelled=r.cancelled,
            ),
        }
        for r in rows
    ]


# -- alerts ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlertFilter:
    """What the alerts inbox can be narrowed to."""

    status: str | None = None
    kind: str | None = None
    severity: str | None = None
    contract_id: str | None = None
    supplier: str | None = None
    level: int | None = None
    min_age_days: int | None = None
    max_age_days: int | None = None
    limit: int = 100
    offset: int = 0


async def alerts_inbox(
    database: Database, organisation: str, today: date, f: AlertFilter
) -> list[dict[str, Any]]:
    """Alerts on the organisation's contracts (as buyer or supplier), oldest first."""
    query = select(alerts).where(
        or_(alerts.c.buyer == organisation, alerts.c.supplier == organisation)
    )
    equal = {
        alerts.c.status: f.status,
        alerts.c.kind: f.kind,
        alerts.c.severity: f.severity,
        alerts.c.contract_id: f.contract_id,
        alerts.c.supplier: f.supplier,
        alerts.c.level: f.level,
    }
    for column, value in equal.items():
        if value is not None:
            query = query.where(column == value)
    if f.min_age_days is not None:
        query = query.where(alerts.c.raised_on <= today - timedelta(days=f.min_age_days))
    if f.max_age_days is not None:
        query = query.where(alerts.c.raised_on >= today - timedelta(days=f.max_age_days))
    query = (
        query.order_by(alerts.c.raised_on, alerts.c.period, alerts.c.alert_id)
        .limit(f.limit)
        .offset(f.offset)
    )
    async with database.reader.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [
        {
            **r._asdict(),
            "ratio": None if r.ratio is None else str(r.ratio),
            "age_days": (today - r.raised_on).days,
        }
        for r in rows
    ]


async def alerts_to_escalate(database: Database, today: date, after_days: int) -> list[str]:
    """Open (unacknowledged) alerts below the top level, raised at least ``after_days`` ago."""
    query = (
        select(alerts.c.alert_id)
        .where(
            alerts.c.status == AlertStatus.OPEN.value,
            alerts.c.level < TOP_LEVEL,
            alerts.c.raised_on <= today - timedelta(days=after_days),
        )
        .order_by(alerts.c.raised_on, alerts.c.alert_id)
    )
    async with database.reader.connect() as conn:
        return [str(r.alert_id) for r in (await conn.execute(query)).all()]


# -- webhooks -------------------------------------------------------------------------------


async def add_subscription(database: Database, values: dict[str, Any]) -> None:
    """Store a new webhook subscription."""
    async with database.writer.begin() as conn:
        await conn.execute(webhook_subscriptions.insert().values(**values))


async def subscriptions_of(database: Database, organisation: str) -> list[dict[str, Any]]:
    """An organisation's active webhook subscriptions."""
    query = (
        select(webhook_subscriptions)
        .where(
            webhook_subscriptions.c.organisation == organisation,
            webhook_subscriptions.c.active.is_(True),
        )
        .order_by(webhook_subscriptions.c.created_at)
    )
    async with database.reader.connect() as conn:
        return [r._asdict() for r in (await conn.execute(query)).all()]


async def subscription(
    database: Database, organisation: str, subscription_id: str
) -> dict[str, Any] | None:
    """One of an organisation's subscriptions, or None."""
    query = select(webhook_subscriptions).where(
        webhook_subscriptions.c.organisation == organisation,
        webhook_subscriptions.c.subscription_id == subscription_id,
    )
    async with database.reader.connect() as conn:
        row = (await conn.execute(query)).first()
    return None if row is None else row._asdict()


async def deactivate_subscription(database: Database, organisation: str, sub_id: str) -> bool:
    """Stop a subscription (its log stays readable); False when it is not the organisation's."""
    async with database.writer.begin() as conn:
        done = await conn.execute(
            update(webhook_subscriptions)
            .where(
                webhook_subscriptions.c.organisation == organisation,
                webhook_subscriptions.c.subscription_id == sub_id,
                webhook_subscriptions.c.active.is_(True),
            )
            .values(active=False)
        )
        await conn.execute(
            delete(webhook_deliveries).where(
                webhook_deliveries.c.subscription_id == sub_id,
                webhook_deliveries.c.status == PENDING,
                webhook_deliveries.c.attempts == 0,
            )
        )
    return bool(done.rowcount)


async def delivery_log(
    database: Database, subscription_id: str, limit: int
) -> list[dict[str, Any]]:
    """A subscription's deliveries, newest first, each with its attempts."""
    query = (
        select(webhook_deliveries)
        .where(webhook_deliveries.c.subscription_id == subscription_id)
        .order_by(webhook_deliveries.c.created_at.desc(), webhook_deliveries.c.delivery_id)
        .limit(limit)
    )
    async with database.reader.connect() as conn:
        rows = [r._asdict() for r in (await conn.execute(query)).all()]
        ids = [r["delivery_id"] for r in rows]
        tried = (
            await conn.execute(
                select(webhook_attempts)
                .where(webhook_attempts.c.delivery_id.in_(ids))
                .order_by(webhook_attempts.c.attempt)
            )
        ).all()
    by_delivery: dict[str, list[dict[str, Any]]] = {}
    for attempt in tried:
        by_delivery.setdefault(attempt.delivery_id, []).append(attempt._asdict())
    return [{**r, "log": by_delivery.get(r["delivery_id"], [])} for r in rows]


async def reseal_secrets(
    database: Database, reseal: Callable[[str], str], *, plaintext_only: bool
) -> int:
    """Replace each stored secret (only those still in plaintext, if asked) by ``reseal`` of
    it, in one transaction; how many were replaced."""
    stored = webhook_subscriptions.c.secret
    query = select(webhook_subscriptions.c.subscription_id, stored)
    if plaintext_only:
        query = query.where(stored.startswith(SECRET_PREFIX, autoescape=True))
    async with database.writer.begin() as conn:
        rows = (await conn.execute(query)).all()
        for row in rows:
            await conn.execute(
                update(webhook_subscriptions)
                .where(
                    webhook_subscriptions.c.subscription_id == row.subscription_id,
                    webhook_subscriptions.c.secret == row.secret,
                )
                .values(secret=reseal(row.secret))
            )
    return len(rows)


@dataclass(frozen=True, slots=True)
class DueDelivery:
    """A webhook delivery claimed for one attempt."""

    delivery_id: str
    url: str
    secret: str  # as stored: sealed
    event_type: str
    body: bytes
    attempts: int


async def claim_due_deliveries(
    database: Database, now: datetime, lease: timedelta, limit: int
) -> list[DueDelivery]:
    """Deliveries whose next attempt is due, each claimed for ``lease`` so no replica doubles it."""
    query = (
        select(webhook_deliveries, webhook_subscriptions.c.url, webhook_subscriptions.c.secret)
        .join(
            webhook_subscriptions,
            webhook_subscriptions.c.subscription_id == webhook_deliveries.c.subscription_id,
        )
        .where(
            webhook_deliveries.c.status == PENDING,
            webhook_deliveries.c.next_attempt_at <= now,
        )
        .order_by(webhook_deliveries.c.next_attempt_at, webhook_deliveries.c.delivery_id)
        .limit(limit)
    )
    claimed: list[DueDelivery] = []
    async with database.writer.begin() as conn:
        for row in (await conn.execute(query)).all():
            if await _claim(conn, row.delivery_id, row.next_attempt_at, now + lease):
                claimed.append(
                    DueDelivery(
                        row.delivery_id,
                        row.url,
                        row.secret,
                        row.event_type,
                        row.body.encode(),
                        row.attempts,
                    )
                )
    return claimed


async def _claim(
    conn: AsyncConnection, delivery_id: str, seen_at: datetime, until: datetime
) -> bool:
    moved = await conn.execute(
        update(webhook_deliveries)
        .where(
            webhook_deliveries.c.delivery_id == delivery_id,
            webhook_deliveries.c.next_attempt_at == seen_at,
        )
        .values(next_attempt_at=until)
    )
    return bool(moved.rowcount)


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """What one delivery attempt came to."""

    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int
    next_attempt_at: datetime | None  # None: no more attempts
    delivered: bool
    refused: bool = False  # the target was not allowed: logged, never retried


async def record_attempt(database: Database, delivery: DueDelivery, result: AttemptResult) -> None:
    """Log an attempt and move the delivery on: delivered, retried later, or failed."""
    attempt = delivery.attempts + 1
    if result.delivered:
        status = DELIVERED
    elif result.refused:
        status = REFUSED
    else:
        status = PENDING if result.next_attempt_at is not None else FAILED
    async with database.writer.begin() as conn:
        await conn.execute(
            webhook_attempts.insert().values(
                delivery_id=delivery.delivery_id,
                attempt=attempt,
                attempted_at=result.attempted_at,
                status_code=result.status_code,
                error=result.error,
                duration_ms=result.duration_ms,
            )
        )
        await conn.execute(
            update(webhook_deliveries)
            .where(webhook_deliveries.c.delivery_id == delivery.delivery_id)
            .values(
                status=status,
                attempts=attempt,
                next_attempt_at=None if status != PENDING else result.next_attempt_at,
                last_status_code=result.status_code,
                last_error=result.error,
                delivered_at=result.attempted_at if result.delivered else None,
            )
        )


# -- pledges --------------------------------------------------------------------------------


async def record_pledge(conn: AsyncConnection, values: dict[str, Any]) -> None:
    """Keep an organisation's latest Partner VCFSE pledge."""
    existing = (
        await conn.execute(
            select(pledges.c.organisation).where(pledges.c.organisation == values["organisation"])
        )
    ).first()
    if existing is None:
        await conn.execute(pledges.insert().values(**values))
    else:
        await conn.execute(
            update(pledges).where(pledges.c.organisation == values["organisation"]).values(**values)
        )


async def pledge_of(database: Database, organisation: str) -> dict[str, Any] | None:
    """An organisation's pledge as last recorded, or None."""
    async with database.reader.connect() as conn:
        row = (
            await conn.execute(select(pledges).where(pledges.c.organisation == organisation))
        ).first()
    return None if row is None else row._asdict()


async def all_pledges(database: Database) -> list[dict[str, Any]]:
    """Every organisation's pledge, targets read back as exact decimals."""
    async with database.reader.connect() as conn:
        rows = (await conn.execute(select(pledges).order_by(pledges.c.organisation))).all()
    return [
        {
            "organisation": r.organisation,
            "targets": {
                year: {m: Decimal(v) for m, v in by_measure.items()}
                for year, by_measure in json.loads(r.targets).items()
            },
        }
        for r in rows
    ]


# -- corroborated evidence -------------------------------------------------------------------


async def record_corroboration(conn: AsyncConnection, corroboration: Corroboration) -> None:
    """Keep a confirmed delivery (once: the delivery id is the key)."""
    values = {
        "delivery_id": corroboration.delivery_id,
        "match_id": corroboration.match_id,
        "contract_id": corroboration.contract_id,
        "obligation_id": corroboration.obligation_id,
        "measure": corroboration.measure,
        "supplier": corroboration.supplier,
        "partner": corroboration.partner,
        "period": corroboration.period,
        "quantity": corroboration.quantity,
        "unit": corroboration.unit,
        "delivered_on": corroboration.delivered_on,
        "confirmed_by": corroboration.confirmed_by,
        "confirmed_on": corroboration.confirmed_on,
    }
    await upsert(conn, corroborations, values, key=["delivery_id"], update=[])


async def withdraw_corroboration(conn: AsyncConnection, delivery_id: str) -> None:
    """A disputed delivery stops counting, if it was ever confirmed."""
    await conn.execute(delete(corroborations).where(corroborations.c.delivery_id == delivery_id))


async def corroborations_of(
    database: Database, contract_id: str, supplier: str, period: str | None = None
) -> list[Corroboration]:
    """A contract's confirmed deliveries by its supplier (in one quarter, if given)."""
    query = select(corroborations).where(
        corroborations.c.contract_id == contract_id, corroborations.c.supplier == supplier
    )
    if period is not None:
        query = query.where(corroborations.c.period == period)
    query = query.order_by(corroborations.c.delivered_on, corroborations.c.delivery_id)
    async with database.reader.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [Corroboration(**r._asdict()) for r in rows]


async def contracts_supplied_by(database: Database, supplier: str) -> list[str]:
    """The contracts a supplier delivers, from their schedules."""
    query = (
        select(schedule_periods.c.contract_id)
        .where(schedule_periods.c.supplier == supplier)
        .distinct()
        .order_by(schedule_periods.c.contract_id)
    )
    async with database.reader.connect() as conn:
        return [str(r.contract_id) for r in (await conn.execute(query)).all()]


async def open_alerts_by_kind(database: Database) -> dict[str, int]:
    """How many alerts of each kind are open (raised or acknowledged, not resolved)."""
    query = (
        select(alerts.c.kind, func.count())
        .where(alerts.c.status != "resolved")
        .group_by(alerts.c.kind)
    )
    async with database.reader.connect() as conn:
        return {str(kind): int(count) for kind, count in (await conn.execute(query)).all()}


async def open_alerts_metrics(database: Database) -> list[str]:
    """``svl_open_alerts{kind=...}`` for /metrics."""
    counts = await open_alerts_by_kind(database)
    lines = ["# HELP svl_open_alerts alerts not yet resolved", "# TYPE svl_open_alerts gauge"]
    lines += [f'svl_open_alerts{{kind="{kind}"}} {n}' for kind, n in sorted(counts.items())]
    return lines
