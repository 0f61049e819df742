"""Posting a signed webhook body to a subscriber's checked address over HTTP."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from measurement.adapters.webhook_targets import CheckedTarget
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


def webhook_client(timeout_s: float) -> httpx.AsyncClient:
    """A client that goes straight to the address given: no proxy from the environment, no
    redirects (a 3xx could point anywhere), and a new connection per request, so a TLS
    session checked for one host name is never reused for another at the same address."""
    return httpx.AsyncClient(
        timeout=timeout_s,
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(max_keepalive_connections=0),
    )


async def post_signed(
    client: httpx.AsyncClient,
    target: CheckedTarget,
    secret: str,
    *,
    delivery_id: str,
    event_type: str,
    body: bytes,
) -> Sent:
    """POST ``body`` with its HMAC-SHA256 signature to the first checked address that takes
    the connection; a network failure is an answer too."""
    headers = {
        "Host": target.host_header,
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(secret, body),
        EVENT_HEADER: event_type,
        DELIVERY_HEADER: delivery_id,
        "User-Agent": "social-value-ledger-webhooks/1",
    }
    # TLS checks the certificate against the URL's host, not the address connected to.
    extensions = {"sni_hostname": target.url.host} if target.url.scheme == "https" else {}
    started = time.monotonic()
    error = "no address to connect to"
    for address in target.addresses:
        try:
            response = await client.post(
                target.at(address), content=body, headers=headers, extensions=extensions
            )
        except httpx.ConnectError as exc:
            error = f"{exc.__class__.__name__} ({address}): {exc}"
            continue
        except httpx.HTTPError as exc:
            return Sent(None, f"{exc.__class__.__name__}: {exc}"[:_ERROR_TEXT], _ms(started))
        failed = None if 200 <= response.status_code < 300 else response.text[:_ERROR_TEXT]
        return Sent(response.status_code, failed, _ms(started))
    return Sent(None, error[:_ERROR_TEXT], _ms(started))


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
