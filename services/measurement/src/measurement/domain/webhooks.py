"""Webhooks: which events an organisation may subscribe to, how deliveries are signed and retried.

A delivery's body is fixed when the event is recorded, so every retry sends the same bytes
with the same signature: ``X-SVL-Signature: sha256=<hex HMAC-SHA256 of the body>`` keyed with
the subscription's secret. A receiver checks it with :func:`verify`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta
from typing import Any

from measurement.domain.alert import (
    ALERT_ACKNOWLEDGED,
    ALERT_ESCALATED,
    ALERT_RAISED,
    ALERT_RESOLVED,
)
from measurement.domain.schedule import (
    RETURN_ACCEPTED,
    RETURN_AMENDED,
    RETURN_CORRECTED,
    RETURN_OVERDUE,
    RETURN_QUERIED,
    RETURN_SUBMITTED,
)

SIGNATURE_HEADER = "X-SVL-Signature"
EVENT_HEADER = "X-SVL-Event"
DELIVERY_HEADER = "X-SVL-Delivery"

SUBSCRIBABLE = (
    ALERT_RAISED,
    ALERT_ACKNOWLEDGED,
    ALERT_ESCALATED,
    ALERT_RESOLVED,
    RETURN_SUBMITTED,
    RETURN_AMENDED,
    RETURN_CORRECTED,
    RETURN_ACCEPTED,
    RETURN_QUERIED,
    RETURN_OVERDUE,
)

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"


def sign(secret: str, body: bytes) -> str:
    """The signature header value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    """True when ``signature`` is the one :func:`sign` gives, compared in constant time."""
    return hmac.compare_digest(sign(secret, body), signature)


def payload(delivery_id: str, event: dict[str, Any]) -> bytes:
    """The body sent for one event: compact JSON with stable key order."""
    return json.dumps(
        {"delivery_id": delivery_id, **event}, sort_keys=True, separators=(",", ":")
    ).encode()


def next_attempt(
    now: datetime, attempts: int, backoff_s: tuple[float, ...], max_attempts: int
) -> datetime | None:
    """When to try again after ``attempts`` failures; None when the delivery has failed for good."""
    if attempts >= max_attempts or not backoff_s:
        return None
    return now + timedelta(seconds=backoff_s[min(attempts - 1, len(backoff_s) - 1)])
