"""Webhooks in a real browser: subscribe a URL, see the signing secret once, read the delivery
log of real deliveries to a receiver on this machine, and unsubscribe."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.conftest import (
    PageFactory,
    Parties,
    Portal,
    current_quarter,
    register_contract,
    screenshot,
    sign_in,
)
from tests.harness import eventually


@dataclass
class Received:
    """What the receiver was sent: each request's headers and body."""

    posts: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def events(self) -> list[str]:
        """The event types posted so far."""
        with self.lock:
            return [json.loads(body)["type"] for _, body in self.posts]


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1 that answers 200 to every post."""

    url: str
    received: Received


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A receiver of the test's own, stopped when the test ends."""
    received = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with received.lock:
                headers = {k.lower(): v for k, v in self.headers.items()}
                received.posts.append((headers, body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads what arrived instead."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Receiver(f"http://127.0.0.1:{server.server_address[1]}/svl-events", received)
    finally:
        server.shutdown()
        server.server_close()


async def test_a_buyer_subscribes_sees_the_secret_once_and_reads_the_delivery_log(
    portal: Portal, parties: Parties, new_page: PageFactory, receiver: Receiver
) -> None:
    contract = await register_contract(
        portal, parties, [{"measure": "NT1", "target_per_quarter": "4"}]
    )
    page = await new_page()
    await sign_in(page, portal, parties.buyer, "buyer")
    nav = page.get_by_role("navigation", name="Main")
    await nav.get_by_role("link", name="Webhooks").click()
    await expect(page.get_by_role("heading", level=1, name="Webhooks")).to_be_visible()
    await expect(page.get_by_text("Your organisation has no webhook subscription.")).to_be_visible()

    # An address without its scheme is refused beside the URL.
    await page.get_by_label("URL to post events to").fill("hooks.example.org/svl")
    await page.get_by_role("button", name="Subscribe").click()
    url_field = page.locator(".field--error").filter(has=page.get_by_label("URL to post events to"))
    await expect(url_field).to_contain_text("Enter a full web address")
    await screenshot(page, portal, "buyer-webhook-errors")

    await page.get_by_label("URL to post events to").fill(receiver.url)
    await page.get_by_label("An alert is raised (AlertRaised)").check()
    await page.get_by_label("A return is submitted (ReturnSubmitted)").check()
    await page.get_by_role("button", name="Subscribe").click()
    shown = page.locator(".notice").filter(has_text="copy the signing secret now")
    await expect(shown).to_be_focused()
    await expect(shown).to_contain_text("This secret is shown only once.")
    secret = await page.get_by_label("Signing secret").input_value()
    assert secret.startswith("whsec_"), secret
    await screenshot(page, portal, "buyer-webhook-secret")

    await page.get_by_role("button", name="I have copied it: show my subscriptions").click()
    await expect(page.get_by_text(f"{receiver.url} is subscribed.")).to_be_visible()
    subscriptions = page.get_by_role("table", name="Your webhook subscriptions")
    row = subscriptions.get_by_role("row").filter(has_text=receiver.url)
    await expect(row).to_contain_text("AlertRaised, ReturnSubmitted")
    # Never shown again: not on the page, not in the API's list.
    assert secret not in await page.content()
    await screenshot(page, portal, "buyer-webhooks")

    # The supplier returns short of target: a submitted return and an alert, each posted, signed.
    async with portal.client("measurement") as measurement:
        submitted = await measurement.post(
            f"/contracts/{contract['contract_id']}/returns",
            headers=parties.headers("supplier"),
            json={
                "period": current_quarter().label,
                "lines": [
                    {"obligation_id": contract["obligations"][0]["obligation_id"], "quantity": "1"}
                ],
            },
        )
    assert submitted.status_code == 201, submitted.text
    await eventually(
        receiver.received.events,
        until=lambda types: sorted(types) == ["AlertRaised", "ReturnSubmitted"],
        what="both events to reach the receiver",
    )
    for headers, body in receiver.received.posts:
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert headers["x-svl-signature"] == expected

    async def delivered() -> list[str]:
        async with portal.client("measurement") as measurement:
            found = await measurement.get("/webhooks", headers=parties.headers("buyer"))
            [subscription] = found.json()
            log = await measurement.get(
                f"/webhooks/{subscription['subscription_id']}/deliveries",
                headers=parties.headers("buyer"),
            )
        return [d["status"] for d in log.json()]

    await eventually(delivered, until=lambda s: s == ["delivered"] * 2, what="deliveries logged")
    await row.get_by_role("link", name=f"Delivery log of {receiver.url}").click()
    await expect(page.get_by_role("heading", level=1, name="Delivery log")).to_be_visible()
    log = page.get_by_role("table", name="2 deliveries, newest first")
    for event in ("AlertRaised", "ReturnSubmitted"):
        line = log.get_by_role("row").filter(has_text=event)
        await expect(line).to_contain_text("Delivered")
        await expect(line).to_contain_text("HTTP 200")
    await page.get_by_text("Every try at AlertRaised").click()
    tries = page.get_by_role("table", name="Tries at delivering AlertRaised")
    await expect(tries.get_by_role("row").nth(1)).to_contain_text("HTTP 200")
    await screenshot(page, portal, "buyer-webhook-log")

    # Unsubscribing stops the posts; the list says so.
    await page.get_by_role("link", name="Webhooks", exact=True).first.click()
    await page.get_by_text(f"Unsubscribe {receiver.url}").click()
    await page.get_by_role("button", name=f"Unsubscribe {receiver.url}").click()
    await expect(page.get_by_text(f"{receiver.url} was unsubscribed")).to_be_visible()
    await expect(page.get_by_text("Your organisation has no webhook subscription.")).to_be_visible()
