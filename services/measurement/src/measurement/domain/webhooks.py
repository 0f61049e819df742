"""Webhooks: which events an organisation may subscribe to, where they may be sent, how
deliveries are signed and retried.

A delivery's body is fixed when the event is recorded, so every retry sends the same bytes
with the same signature: ``X-SVL-Signature: sha256=<hex HMAC-SHA256 of the body>`` keyed with
the subscription's secret. A receiver checks it with :func:`verify`.

A webhook makes the service send requests to a URL someone else chose, so targets are held to
the public internet (:func:`address_problem`): never loopback, private, link-local (where cloud
metadata services answer), multicast, reserved or unspecified addresses, over https unless a
setting allows plain http.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from collections.abc import Callable
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
REFUSED = "refused"  # the target was not allowed when the delivery was due: never retried

SECRET_PREFIX = "whsec_"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Checked in this order, so an address is named by its most telling class (127.0.0.1 is
# private too, but "loopback" says more).
_REFUSED_CLASSES: tuple[tuple[str, Callable[[IPAddress], bool]], ...] = (
    ("an unspecified", lambda a: a.is_unspecified),
    ("a loopback", lambda a: a.is_loopback),
    ("a link-local", lambda a: a.is_link_local),
    ("a multicast", lambda a: a.is_multicast),
    ("a reserved", lambda a: a.is_reserved),
    ("a private", lambda a: a.is_private),
)


def address_problem(address: IPAddress) -> str | None:
    """What ``address`` is when a webhook may not be sent there ("a loopback address"); None
    for a public internet address.

    IPv4 addresses carried inside IPv6 ones (``::ffff:127.0.0.1``, 6to4) are judged as the
    IPv4 address they reach.
    """
    inner = _embedded_ipv4(address)
    judged = inner if inner is not None else address
    for name, applies in _REFUSED_CLASSES:
        if applies(judged):
            return f"{name} address"
    if not judged.is_global:
        return "not a public internet address"
    return None


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if isinstance(address, ipaddress.IPv4Address):
        return None
    return address.ipv4_mapped or address.sixtofour


def scheme_problem(scheme: str, *, allow_http: bool) -> str | None:
    """Why a URL scheme is not allowed for a webhook; None when it is."""
    if scheme == "https" or (scheme == "http" and allow_http):
        return None
    if scheme == "http":
        return "webhook URLs must use https"
    return f"webhook URLs must use https, not {scheme or 'no scheme'}"


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
