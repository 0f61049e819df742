"""Webhook subscriptions, their delivery log, and the dispatcher that works through the queue.

Deliveries are queued in the transaction that records their event (see
``adapters.projections``); the dispatcher claims the ones due, checks the target again, posts
them signed to the address it checked, and logs each attempt. A failed attempt is retried with
back-off until ``max_attempts``; a target refused by the check is logged and never retried.
Signing secrets are stored sealed (``adapters.webhook_secrets``) and shown once, on creation.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from svledger.auth import Principal
from svledger.clock import Clock, system_clock
from svledger.database import Database
from svledger.errors import NotFound, ValidationFailed

from measurement.adapters import read_models
from measurement.adapters.read_models import AttemptResult, DueDelivery
from measurement.adapters.webhook_secrets import SecretBox, SecretUnreadable
from measurement.adapters.webhook_sender import Sent, post_signed, webhook_client
from measurement.adapters.webhook_targets import TargetRefused, TargetUnresolved, WebhookTargets
from measurement.domain.webhooks import SECRET_PREFIX, SUBSCRIBABLE, next_attempt

log = logging.getLogger(__name__)


async def subscribe(
    database: Database,
    owner: Principal,
    url: str,
    event_types: list[str],
    *,
    targets: WebhookTargets,
    box: SecretBox,
) -> dict[str, Any]:
    """Subscribe a URL to events on the organisation's contracts.

    The row returned carries the secret sealed, as stored: the caller opens it to show it
    once (so an idempotent replay, which stores the response, never holds it in plaintext).
    """
    unknown = sorted(set(event_types) - set(SUBSCRIBABLE))
    if unknown:
        raise ValidationFailed(
            f"cannot subscribe to {', '.join(unknown)}; choose from {', '.join(SUBSCRIBABLE)}",
            field="event_types",
        )
    try:
        await targets.check(url)
    except (TargetRefused, TargetUnresolved) as exc:
        raise ValidationFailed(str(exc), field="url") from exc
    values = {
        "subscription_id": str(uuid.uuid4()),
        "organisation": owner.organisation,
        "url": url,
        "secret": box.seal(SECRET_PREFIX + secrets.token_urlsafe(32)),
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
    targets: WebhookTargets
    box: SecretBox
    timeout_s: float
    max_attempts: int
    backoff_s: tuple[float, ...]
    clock: Clock = system_clock
    batch: int = 50
    _sealed: bool = False

    async def deliver_due(self) -> int:
        """Attempt every delivery that is due now; how many were attempted."""
        if not self._sealed:
            await self.seal_plaintext_secrets()
        now = self.clock()
        lease = timedelta(seconds=self.timeout_s + 10)
        due = await read_models.claim_due_deliveries(self.database, now, lease, self.batch)
        if not due:
            return 0
        async with webhook_client(self.timeout_s) as client:
            for delivery in due:
                result = await self._attempt(client, delivery)
                await read_models.record_attempt(self.database, delivery, result)
        return len(due)

    async def seal_plaintext_secrets(self) -> int:
        """Seal secrets stored in plaintext before sealing existed; how many there were."""
        sealed = await read_models.reseal_secrets(
            self.database, self.box.reseal, plaintext_only=True
        )
        if sealed:
            log.info("sealed %d webhook secrets stored in plaintext", sealed)
        self._sealed = True
        return sealed

    async def _attempt(self, client: httpx.AsyncClient, delivery: DueDelivery) -> AttemptResult:
        try:
            target = await self.targets.check(delivery.url)
        except TargetRefused as exc:
            return self._refused(delivery, f"refused: {exc}")
        except TargetUnresolved as exc:
            return self._result(delivery, Sent(None, str(exc), 0))
        try:
            secret = self.box.open(delivery.secret)
        except SecretUnreadable as exc:
            return self._result(delivery, Sent(None, str(exc), 0))
        sent = await post_signed(
            client,
            target,
            secret,
            delivery_id=delivery.delivery_id,
            event_type=delivery.event_type,
            body=delivery.body,
        )
        return self._result(delivery, sent)

    def _result(self, delivery: DueDelivery, sent: Sent) -> AttemptResult:
        attempted_at = self.clock()
        retry: datetime | None = None
        if not sent.delivered:
            retry = next_attempt(
                attempted_at, delivery.attempts + 1, self.backoff_s, self.max_attempts
            )
        return AttemptResult(
            attempted_at=attempted_at,
            status_code=sent.status_code,
            error=sent.error,
            duration_ms=sent.duration_ms,
            next_attempt_at=retry,
            delivered=sent.delivered,
        )

    def _refused(self, delivery: DueDelivery, reason: str) -> AttemptResult:
        log.warning("webhook delivery %s refused: %s", delivery.delivery_id, reason)
        return AttemptResult(
            attempted_at=self.clock(),
            status_code=None,
            error=reason,
            duration_ms=0,
            next_attempt_at=None,
            delivered=False,
            refused=True,
        )
