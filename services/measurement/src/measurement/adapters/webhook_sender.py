"""Posting a signed webhook body to a subscriber's URL over HTTP."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from measurement.domain.webhooks import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, sign

_ERROR_TEXT = 500


@dataclass(frozen=True, slots=True)
class Sent:
    """What the receiver answered: a 2xx status is delivered, anything else is retried."""

    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def delivered(self) -> bool:
        """True for a 2xx answer."""
        return self.status_code is not None and 200 <= self.status_code < 300


async def post_signed(
    client: httpx.AsyncClient,
    url: str,
    secret: str,
    *,
    delivery_id: str,
    event_type: str,
    body: bytes,
) -> Sent:
    """POST ``body`` with its HMAC-SHA256 signature; a network failure is an answer too."""
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(secret, body),
        EVENT_HEADER: event_type,
        DELIVERY_HEADER: delivery_id,
        "User-Agent": "social-value-ledger-webhooks/1",
    }
    started = time.monotonic()
    try:
        response = await client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        elapsed = int((time.monotonic() - started) * 1000)
        return Sent(None, f"{exc.__class__.__name__}: {exc}"[:_ERROR_TEXT], elapsed)
    elapsed = int((time.monotonic() - started) * 1000)
    error = None if 200 <= response.status_code < 300 else response.text[:_ERROR_TEXT]
    return Sent(response.status_code, error, elapsed)
