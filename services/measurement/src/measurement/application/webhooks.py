"""Webhook subscriptions, their delivery log, and the dispatcher that works through the queue.

Deliveries are queued in the transaction that records their event (see
``adapters.projections``); the dispatcher claims the ones due, posts them signed, and logs
each attempt. A failed attempt is retried with back-off until ``max_attempts``.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from svledger.auth import Principal
from svledger.clock import Clock, system_clock
from svledger.database import Database
from svledger.errors import NotFound, ValidationFailed

from measurement.adapters import read_models
from measurement.adapters.read_models import AttemptResult
from measurement.adapters.webhook_sender import post_signed
from measurement.domain.webhooks import SUBSCRIBABLE, next_attempt


async def subscribe(
    database: Database, owner: Principal, url: str, event_types: list[str]
) -> dict[str, Any]:
    """Subscribe a URL to events on the organisation's contracts; the secret is shown once."""
    unknown = sorted(set(event_types) - set(SUBSCRIBABLE))
    if unknown:
        raise ValidationFailed(
            f"cannot subscribe to {', '.join(unknown)}; choose from {', '.join(SUBSCRIBABLE)}",
            field="event_types",
        )
    values = {
        "subscription_id": str(uuid.uuid4()),
        "organisation": owner.organisation,
        "url": url,
        "secret": "whsec_" + secrets.token_urlsafe(32),
        "event_types": " ".join(dict.fromkeys(event_types)),
        "active": True,
        "created_at": system_clock(),
    }
    await read_models.add_subscription(database, values)
    return values


async def subscriptions(database: Database, owner: Principal) -> list[dict[str, Any]]:
    """The organisation's active subscriptions (without their secrets)."""
    return await read_models.subscriptions_of(database, owner.organisation)


async def unsubscribe(database: Database, owner: Principal, subscription_id: uuid.UUID) -> None:
    """Stop a subscription; deliveries not yet attempted are dropped."""
    if not await read_models.deactivate_subscription(
        database, owner.organisation, str(subscription_id)
    ):
        raise NotFound(f"webhook subscription {subscription_id} was not found")


async def deliveries(
    database: Database, owner: Principal, subscription_id: uuid.UUID, limit: int
) -> list[dict[str, Any]]:
    """A subscription's delivery log, newest first, with every attempt."""
    if await read_models.subscription(database, owner.organisation, str(subscription_id)) is None:
        raise NotFound(f"webhook subscription {subscription_id} was not found")
    return await read_models.delivery_log(database, str(subscription_id), limit)


@dataclass
class WebhookDispatcher:
    """Delivers due webhooks; one pass per call of :meth:`deliver_due`."""

    database: Database
    timeout_s: float
    max_attempts: int
    backoff_s: tuple[float, ...]
    clock: Clock = system_clock
    batch: int = 50

    async def deliver_due(self) -> int:
        """Attempt every delivery that is due now; how many were attempted."""
        now = self.clock()
        lease = timedelta(seconds=self.timeout_s + 10)
        due = await read_models.claim_due_deliveries(self.database, now, lease, self.batch)
        if not due:
            return 0
        async with httpx.AsyncClient(timeout=self.timeout_s, follow_redirects=False) as client:
            for delivery in due:
                sent = await post_signed(
                    client,
                    delivery.url,
                    delivery.secret,
                    delivery_id=delivery.delivery_id,
                    event_type=delivery.event_type,
                    body=delivery.body,
                )
                attempted_at = self.clock()
                retry = None
                if not sent.delivered:
                    retry = next_attempt(
                        attempted_at, delivery.attempts + 1, self.backoff_s, self.max_attempts
                    )
                await read_models.record_attempt(
                    self.database,
                    delivery,
                    AttemptResult(
                        attempted_at=attempted_at,
                        status_code=sent.status_code,
                        error=sent.error,
                        duration_ms=sent.duration_ms,
                        next_attempt_at=retry,
                        delivered=sent.delivered,
                    ),
                )
        return len(due)
