"""Webhooks delivered to a real HTTP receiver on loopback: signed, retried, and logged; targets
off the public internet refused, when subscribing and again at delivery; secrets sealed at rest.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from cryptography.fernet import Fernet
from measurement.adapters.tables import webhook_subscriptions
from measurement.adapters.webhook_secrets import SecretBox, SecretUnreadable
from measurement.adapters.webhook_targets import Resolver
from measurement.domain.webhooks import SIGNATURE_HEADER, IPAddress, verify
from sqlalchemy import select, update
from svledger.clock import FixedClock
from svledger.schema import idempotency_keys

from tests.conftest import ClientFactory, bearer
from tests.harness import NatsServer, eventually, request_body, served_on_loopback
from tests.integration.test_measurement_api import (
    BUYER,
    SUPPLIER,
    Commitments,
    commitments_feed,
    obligation_ids,
    quarterly,
    schedule_of,
)
from tests.integration.test_measurement_scenario import service_of

FAST_WEBHOOKS = {
    "webhook_poll_s": 0.05,
    "webhook_backoff_s": (0.05, 0.1),
    "run_scheduler": False,
    # The receiver listens on loopback, which production never lets a webhook reach.
    "webhook_allow_private_networks": True,
}


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
        body = await request_body(receive)
        status = 500 if len(self.received) < self.failures else 200
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.received.append((headers, body, status))
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"ok" if status == 200 else b"down"})


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A receiver served by uvicorn on a free loopback port."""
    app = Receiver(failures=2)
    async with served_on_loopback(app) as port:
        app.url = f"http://127.0.0.1:{port}/hooks/svl"
        yield app


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


# -- where webhooks may go, and secrets at rest -----------------------------------------------

PARTNER_HOST = "hooks.partner.example"  # no DNS answers for it: only the test's resolver does
ELSEWHERE = bearer("webhook-owner-ltd", "supplier")  # an organisation no event concerns


def answering(*addresses: str) -> Resolver:
    """A resolver that gives ``addresses`` in turn, one per lookup, the last one for good, as
    a DNS name re-pointed between lookups would."""
    answers = [ipaddress.ip_address(a) for a in addresses]

    async def resolve(host: str, port: int) -> list[IPAddress]:
        assert host == PARTNER_HOST
        return [answers.pop(0) if len(answers) > 1 else answers[0]]

    return resolve


@pytest.fixture
async def steady_receiver() -> AsyncIterator[Receiver]:
    """A receiver that answers 200 at once, on a free loopback port."""
    app = Receiver(failures=0)
    async with served_on_loopback(app) as port:
        app.url = f"http://{PARTNER_HOST}:{port}/hooks/svl"
        yield app


async def test_subscribing_refuses_targets_off_the_public_internet_naming_the_url(
    service_client: ClientFactory,
) -> None:
    # No dispatcher: nothing here may ever be sent anywhere.
    client = await service_client("measurement", run_webhooks=False, run_scheduler=False)
    refused = {
        "https://127.0.0.1/hooks": "127.0.0.1 is a loopback address",
        "https://localhost:8443/hooks": "localhost resolves to",
        "https://[::1]/hooks": "::1 is a loopback address",
        "https://[::ffff:127.0.0.1]/hooks": "is a loopback address",
        "https://10.0.0.5/hooks": "10.0.0.5 is a private address",
        "https://192.168.1.20/hooks": "is a private address",
        "https://[fd00::5]/hooks": "is a private address",
        "https://169.254.169.254/latest/meta-data": "169.254.169.254 is a link-local address",
        "https://[fe80::1]/hooks": "is a link-local address",
        "https://224.0.0.251/hooks": "is a multicast address",
        "https://[ff02::1]/hooks": "is a multicast address",
        "https://240.0.0.1/hooks": "is a reserved address",
        "https://0.0.0.0/hooks": "is an unspecified address",
        "https://100.64.0.1/hooks": "is not a public internet address",
    }

    answers = {}
    for url in refused:
        response = await client.post("/webhooks", json={"url": url}, headers=ELSEWHERE)
        assert response.headers["content-type"] == "application/problem+json", url
        answers[url] = (response.status_code, response.json()["errors"][0])

    for url, expected in refused.items():
        status, error = answers[url]
        assert (status, error["field"]) == (422, "url"), url
        assert expected in error["message"], (url, error["message"])
    assert (await client.get("/webhooks", headers=ELSEWHERE)).json() == []


async def test_plain_http_is_refused_where_the_setting_does_not_allow_it(
    service_client: ClientFactory,
) -> None:
    client = await service_client(
        "measurement", run_webhooks=False, run_scheduler=False, webhook_allow_http=False
    )

    plain = await client.post(
        "/webhooks", json={"url": "http://93.184.216.34/hooks"}, headers=ELSEWHERE
    )
    secure = await client.post(
        "/webhooks", json={"url": "https://93.184.216.34/hooks"}, headers=ELSEWHERE
    )

    assert plain.status_code == 422
    assert plain.json()["errors"] == [{"field": "url", "message": "webhook URLs must use https"}]
    assert secure.status_code == 201, secure.text


async def test_the_signing_secret_is_sealed_at_rest_and_shown_only_on_creation(
    service_client: ClientFactory,
) -> None:
    client = await service_client("measurement", run_webhooks=False, run_scheduler=False)
    request = {"url": "https://93.184.216.34/hooks", "event_types": ["AlertRaised"]}
    headers = {**ELSEWHERE, "Idempotency-Key": "sealed-1"}

    created = (await client.post("/webhooks", json=request, headers=headers)).json()
    replayed = await client.post("/webhooks", json=request, headers=headers)

    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.json()["secret"] == secret
    assert [s["secret"] for s in (await client.get("/webhooks", headers=ELSEWHERE)).json()] == [
        None
    ]
    service = service_of(client)
    async with service.runtime.database.reader.connect() as conn:
        stored = (await conn.execute(select(webhook_subscriptions.c.secret))).scalar_one()
        keys = [str(r.response) for r in (await conn.execute(select(idempotency_keys))).all()]
    assert secret not in stored
    assert all(secret not in response for response in keys)
    assert SecretBox(service.settings.webhook_secret_key).open(stored) == secret
    with pytest.raises(SecretUnreadable):
        SecretBox(Fernet.generate_key().decode()).open(stored)


async def test_a_secret_stored_in_plaintext_before_sealing_is_sealed_and_still_signs(
    service_client: ClientFactory,
) -> None:
    client = await service_client("measurement", run_webhooks=False, run_scheduler=False)
    service = service_of(client)
    created = (
        await client.post(
            "/webhooks", json={"url": "https://93.184.216.34/hooks"}, headers=ELSEWHERE
        )
    ).json()
    async with service.runtime.database.writer.begin() as conn:
        await conn.execute(update(webhook_subscriptions).values(secret="whsec_from_before"))

    assert await service.webhooks.seal_plaintext_secrets() == 1
    assert await service.webhooks.seal_plaintext_secrets() == 0

    async with service.runtime.database.reader.connect() as conn:
        stored = (await conn.execute(select(webhook_subscriptions.c.secret))).scalar_one()
    assert "whsec_from_before" not in stored
    assert service.webhook_secrets.open(stored) == "whsec_from_before"
    assert created["secret"] != "whsec_from_before"


async def test_a_host_re_pointed_inside_after_subscribing_is_refused_at_delivery_and_not_retried(
    service_client: ClientFactory, commitments: Commitments, steady_receiver: Receiver
) -> None:
    # Production's rule: no private networks. The name is public when subscribed, then
    # points at the loopback receiver.
    client = await service_client(
        "measurement",
        clock=FixedClock.at(date(2026, 7, 15)),
        **{**FAST_WEBHOOKS, "webhook_allow_private_networks": False},
    )
    service = service_of(client)
    service.webhook_targets.resolve = answering("93.184.216.34", "127.0.0.1")
    subscribed = await client.post(
        "/webhooks",
        json={"url": steady_receiver.url, "event_types": ["ReturnSubmitted"]},
        headers=SUPPLIER,
    )
    assert subscribed.status_code == 201, subscribed.text
    log_url = f"/webhooks/{subscribed.json()['subscription_id']}/deliveries"
    await submit_a_return(client, commitments)

    [delivery] = await eventually(
        lambda: _log(client, log_url),
        until=lambda d: len(d) == 1 and d[0]["status"] != "pending",
        what="the delivery to be attempted",
    )

    assert (delivery["status"], delivery["attempts"], delivery["next_attempt_at"]) == (
        "refused",
        1,
        None,
    )
    reason = f"refused: {PARTNER_HOST} resolves to 127.0.0.1, a loopback address"
    assert delivery["last_error"].startswith(reason)
    assert [(a["status_code"], a["error"]) for a in delivery["log"]] == [
        (None, delivery["last_error"])
    ]
    assert await service.webhooks.deliver_due() == 0  # nothing left to retry
    assert steady_receiver.received == []


async def test_a_delivery_connects_to_the_address_it_checked_keeping_the_host_name(
    service_client: ClientFactory, commitments: Commitments, steady_receiver: Receiver
) -> None:
    client = await service_client(
        "measurement", clock=FixedClock.at(date(2026, 7, 15)), **FAST_WEBHOOKS
    )
    service_of(client).webhook_targets.resolve = answering("127.0.0.1")
    subscribed = await client.post(
        "/webhooks",
        json={"url": steady_receiver.url, "event_types": ["ReturnSubmitted"]},
        headers=SUPPLIER,
    )
    log_url = f"/webhooks/{subscribed.json()['subscription_id']}/deliveries"
    await submit_a_return(client, commitments)

    [delivery] = await eventually(
        lambda: _log(client, log_url),
        until=lambda d: len(d) == 1 and d[0]["status"] == "delivered",
        what="the delivery to go through",
    )

    [(headers, body, status)] = steady_receiver.received
    port = steady_receiver.url.split(":")[2].split("/")[0]
    assert headers["host"] == f"{PARTNER_HOST}:{port}"
    assert verify(subscribed.json()["secret"], body, headers[SIGNATURE_HEADER.lower()])
    assert (status, delivery["attempts"]) == (200, 1)


async def submit_a_return(client: Any, commitments: Commitments) -> None:
    """Acme's Q1 return on a new contract: one ReturnSubmitted for acme-ltd's subscriptions."""
    contract = await commitments.award(obligations=[("NT1", "FTE", quarterly("4"))])
    await schedule_of(client, contract["contract_id"])
    [nt1] = obligation_ids(contract)
    submitted = await client.post(
        f"/contracts/{contract['contract_id']}/returns",
        json={"period": "2026-27-Q1", "lines": [{"obligation_id": nt1, "quantity": "4"}]},
        headers=SUPPLIER,
    )
    assert submitted.status_code == 201, submitted.text
