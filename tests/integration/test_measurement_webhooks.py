"""Webhooks delivered to a real HTTP receiver on loopback: signed, retried, and logged."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
import uvicorn
from measurement.domain.webhooks import SIGNATURE_HEADER, verify
from svledger.clock import FixedClock

from tests.conftest import ClientFactory
from tests.harness import NatsServer, eventually, free_port
from tests.integration.test_measurement_api import (
    BUYER,
    SUPPLIER,
    Commitments,
    commitments_feed,
    obligation_ids,
    quarterly,
    schedule_of,
)

FAST_WEBHOOKS = {"webhook_poll_s": 0.05, "webhook_backoff_s": (0.05, 0.1), "run_scheduler": False}


@pytest.fixture
async def commitments(nats_server: NatsServer) -> AsyncIterator[Commitments]:
    """Contract events published on the session's nats-server."""
    async with commitments_feed(nats_server.url) as feed:
        yield feed


@dataclass
class Receiver:
    """An HTTP endpoint that answers 500 to its first ``failures`` requests, then 200."""

    failures: int
    received: list[tuple[dict[str, str], bytes, int]] = field(default_factory=list)
    url: str = ""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        status = 500 if len(self.received) < self.failures else 200
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.received.append((headers, body, status))
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"ok" if status == 200 else b"down"})


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A receiver served by uvicorn on a free loopback port."""
    app = Receiver(failures=2)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    await eventually(lambda: _started(server), what="the webhook receiver to listen")
    app.url = f"http://127.0.0.1:{port}/hooks/svl"
    yield app
    server.should_exit = True
    await task


async def _started(server: uvicorn.Server) -> bool:
    return server.started


async def test_webhooks_reach_a_receiver_signed_and_are_retried_after_it_fails(
    service_client: ClientFactory, commitments: Commitments, receiver: Receiver
) -> None:
    client = await service_client(
        "measurement", clock=FixedClock.at(date(2026, 7, 15)), **FAST_WEBHOOKS
    )
    subscribed = await client.post(
        "/webhooks",
        json={"url": receiver.url, "event_types": ["ReturnSubmitted", "AlertRaised"]},
        headers={**SUPPLIER, "Idempotency-Key": "acme-hook-1"},
    )
    assert subscribed.status_code == 201, subscribed.text
    subscription = subscribed.json()
    contract = await commitments.award(obligations=[("NT1", "FTE", quarterly("4"))])
    await schedule_of(client, contract["contract_id"])
    [nt1] = obligation_ids(contract)
    submitted = await client.post(
        f"/contracts/{contract['contract_id']}/returns",
        json={"period": "2026-27-Q1", "lines": [{"obligation_id": nt1, "quantity": "1"}]},
        headers=SUPPLIER,
    )
    [alert_id] = submitted.json()["alerts"]
    log_url = f"/webhooks/{subscription['subscription_id']}/deliveries"

    log = await eventually(
        lambda: _log(client, log_url),
        until=lambda d: len(d) == 2 and all(x["status"] == "delivered" for x in d),
        what="both deliveries to go through",
    )

    assert sorted(x["event_type"] for x in log) == ["AlertRaised", "ReturnSubmitted"]
    for delivery in log:
        assert [a["status_code"] for a in delivery["log"]] == [500, 200]
        assert delivery["attempts"] == 2
    assert len(receiver.received) == 4
    for headers, body, _ in receiver.received:
        assert verify(subscription["secret"], body, headers[SIGNATURE_HEADER.lower()])
        assert headers["x-svl-event"] in ("AlertRaised", "ReturnSubmitted")
    bodies = [json.loads(body) for _, body, status in receiver.received if status == 200]
    raised = next(b for b in bodies if b["type"] == "AlertRaised")
    assert raised["data"]["alert_id"] == alert_id
    # A retry sends the very bytes that failed, so its signature still matches.
    first_tries = {json.loads(b)["delivery_id"]: b for _, b, s in receiver.received if s == 500}
    retries = {json.loads(b)["delivery_id"]: b for _, b, s in receiver.received if s == 200}
    assert first_tries == retries
    # The subscription was scoped to the supplier; the buyer cannot read its log.
    assert (await client.get(log_url, headers=BUYER)).status_code == 404
    again = await client.post(
        "/webhooks",
        json={"url": receiver.url, "event_types": ["ReturnSubmitted", "AlertRaised"]},
        headers={**SUPPLIER, "Idempotency-Key": "acme-hook-1"},
    )
    assert again.json()["subscription_id"] == subscription["subscription_id"]
    listed = (await client.get("/webhooks", headers=SUPPLIER)).json()
    assert [(s["subscription_id"], s["secret"]) for s in listed] == [
        (subscription["subscription_id"], None)
    ]


async def _log(client: Any, url: str) -> list[dict[str, Any]]:
    response = await client.get(url, headers=SUPPLIER)
    body: list[dict[str, Any]] = response.json()
    return body
