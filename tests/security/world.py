"""One organisation's world of resources, built through the services' own APIs.

The four services run in-process on the module's databases and nats-server, on one clock, and
talk over real JetStream. Organisation A's people create one of each kind of resource: a policy
and a pledge, tenders in each state with bids, a contract with two obligations, a return that
falls short and so raises an alert, a webhook subscription, directory entries, local needs, an
ask, an offer and a match with a delivery. Reporting and brokerage learn the rest from the bus.

Each role's organisation in world A (and, with ``-b``, in world B):

| role | organisation | why |
| --- | --- | --- |
| buyer, admin, auditor | council-a | the council lets the contract; its own admin and auditor |
| supplier | supplier-a | delivers the contract, bids, offers support |
| vcfse | vcfse-a | a small group that asks for support |
| cvs | cvs-a | registered the group vcfse-a in the directory, so speaks for it |
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
from svledger.auth import Role
from svledger.clock import FixedClock

from tests.conftest import bearer
from tests.harness import NatsServer, eventually
from tests.security.conftest import Databases

FIRST_DAY = date(2026, 5, 1)
# After the first quarter of the contract has ended and the closed tender's closing date.
WORKING_DAY = date(2026, 8, 3)

ROLES = tuple(Role)


def organisation_of(role: Role, world: str) -> str:
    """The organisation a role's person works for in world ``a`` or ``b``."""
    home = {
        Role.ADMIN: "council",
        Role.BUYER: "council",
        Role.AUDITOR: "council",
        Role.SUPPLIER: "supplier",
        Role.VCFSE: "vcfse",
        Role.CVS: "cvs",
    }[role]
    return f"{home}-{world}"


def headers_of(role: Role | None, world: str) -> dict[str, str]:
    """Authorization for one role's person in a world; none for the anonymous caller."""
    if role is None:
        return {}
    organisation = organisation_of(role, world)
    return bearer(organisation, role.value, subject=f"{role.value}@{organisation}")


@dataclass
class World:
    """The running services, their clock, and the ids of world A's resources."""

    clients: dict[str, httpx.AsyncClient]
    clock: FixedClock
    ids: dict[str, str] = field(default_factory=dict)

    async def ok(
        self, service: str, method: str, url: str, role: Role, side: str = "a", **kwargs: Any
    ) -> dict[str, Any]:
        """A request as ``role``'s person in world ``side`` that must succeed; its JSON body."""
        headers = {**headers_of(role, side), **kwargs.pop("headers", {})}
        response = await self.clients[service].request(method, url, headers=headers, **kwargs)
        assert response.status_code in (200, 201), f"{method} {url}: {response.text}"
        body: dict[str, Any] = response.json()
        return body

    async def read(self, service: str, url: str, role: Role, side: str = "a") -> Any:
        """A GET as ``role``'s person in world ``side``: its JSON body, or None unless 200."""
        response = await self.clients[service].get(url, headers=headers_of(role, side))
        return response.json() if response.status_code == 200 else None


@contextlib.asynccontextmanager
async def running_services(
    nats: NatsServer, databases: Databases, clock: FixedClock
) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """The four services in-process, each with an HTTP client; writes are not rate-limited
    (the matrix sends hundreds) and measurement's timers and webhook delivery are off."""
    async with contextlib.AsyncExitStack() as stack:
        clients = {}
        for service in ("commitments", "measurement", "brokerage", "reporting"):
            main = importlib.import_module(f"{service}.main")
            load = importlib.import_module(f"{service}.settings").load_settings
            config = load(
                database_url=await databases.make(service),
                nats_url=nats.url,
                environment="test",
                writes_per_minute=0,
                run_scheduler=False,
                run_webhooks=False,
                webhook_allow_private_networks=True,  # a loopback literal: no name to resolve
                log_level="WARNING",
            )
            app = main.create_app(config, clock)
            await stack.enter_async_context(app.router.lifespan_context(app))
            clients[service] = await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
            )
        yield clients


def tender_body(closes_on: str) -> dict[str, Any]:
    """A tender relevant to local jobs and volunteering."""
    return {
        "title": "Community transport",
        "description": "Door-to-door transport for older and disabled residents.",
        "estimated_value_gbp": "1200000",
        "contract_starts_on": "2027-01-04",
        "contract_ends_on": "2028-08-14",
        "social_value_weighting": "20",
        "relevant_measures": ["NT1", "NT17"],
        "places": ["Liverpool"],
        "closes_on": closes_on,
    }


def bid_body() -> dict[str, Any]:
    """A social value offer of local jobs."""
    return {
        "commitments": [
            {
                "measure": "NT1",
                "quantity": "12",
                "place": "Liverpool",
                "narrative": "Drivers recruited through the Liverpool Employment Hub.",
            }
        ],
        "method_statement": "A named social value lead reports quarterly to the board.",
        "additionality_declared": True,
    }


def contract_body() -> dict[str, Any]:
    """A contract council-a let to supplier-a: local jobs, and volunteering in Liverpool."""
    return {
        "reference": "CW-2026-001",
        "title": "Highways maintenance",
        "supplier": "supplier-a",
        "starts_on": "2026-04-01",
        "ends_on": "2027-03-31",
        "value_gbp": "2500000.00",
        "obligations": [
            {"measure": "NT1", "target_per_quarter": "4"},
            {"measure": "NT17", "target_per_quarter": "50", "place": "Liverpool"},
        ],
        "places": ["Liverpool"],
    }


def pledge_body() -> dict[str, Any]:
    """A Partner VCFSE pledge."""
    return {
        "base_year": "2025-26",
        "baseline": {"NT14": "120000", "NT17": "800"},
        "targets": {"2026-27": {"NT14": "150000", "NT17": "1000"}},
    }


def ask_body() -> dict[str, Any]:
    """Volunteers for a food drive in Liverpool."""
    return {
        "kind": "volunteering",
        "measures": ["NT17"],
        "quantity": "40",
        "unit": "hours",
        "place": "Liverpool",
        "needed_by": "2026-12-01",
        "title": "Volunteers for the winter food drive",
        "description": "Sorting and delivering food parcels through December.",
    }


def offer_body() -> dict[str, Any]:
    """Staff volunteering days."""
    return {
        "kind": "volunteering",
        "measures": ["NT17"],
        "places": ["Liverpool"],
        "title": "Staff volunteering days",
        "description": "Teams of six, one day a month.",
        "quantity": "60",
        "unit": "hours",
    }


def needs_body() -> dict[str, Any]:
    """A local needs analysis."""
    return {
        "title": "Liverpool local needs 2026",
        "needs": [{"place": "Liverpool", "outcome": "Food poverty reduced", "priority": "high"}],
    }


async def build_world(world: World) -> None:
    """Organisation A's resources, in the order the services need them."""
    await commitments_before_closing(world)
    await directory(world)
    world.clock.now = FixedClock.at(WORKING_DAY).now
    await commitments_after_closing(world)
    await measurement(world)
    await brokerage(world)
    await reporting_has_caught_up(world)


async def commitments_before_closing(world: World) -> None:
    """A policy, a pledge, a draft tender, and two published tenders with supplier-a's bids."""
    ids = world.ids
    await world.ok(
        "commitments",
        "PUT",
        "/policies/council-a",
        Role.BUYER,
        json={"statement": "Good local jobs.", "priority_measures": ["NT1", "NT17"]},
    )
    await world.ok("commitments", "PUT", "/pledges/council-a", Role.BUYER, json=pledge_body())
    draft = await world.ok(
        "commitments", "POST", "/tenders", Role.BUYER, json=tender_body("2026-07-31")
    )
    ids["draft_tender"] = draft["tender_id"]
    for name, closes_on in (("closed_tender", "2026-07-31"), ("open_tender", "2026-12-31")):
        made = await world.ok(
            "commitments", "POST", "/tenders", Role.BUYER, json=tender_body(closes_on)
        )
        ids[name] = made["tender_id"]
        await world.ok("commitments", "POST", f"/tenders/{ids[name]}/publish", Role.BUYER)
        bid = await world.ok(
            "commitments", "POST", f"/tenders/{ids[name]}/bids", Role.SUPPLIER, json=bid_body()
        )
        ids[name.replace("tender", "bid")] = bid["bid_id"]


async def directory(world: World) -> None:
    """cvs-a, the group vcfse-a it registers, supplier-a and council-a in the directory."""
    await world.ok(
        "brokerage",
        "POST",
        "/organisations",
        Role.CVS,
        json={"name": "CVS A", "kind": "cvs", "places": ["Liverpool"]},
    )
    await world.ok(
        "brokerage",
        "POST",
        "/organisations",
        Role.CVS,
        json={
            "organisation_id": "vcfse-a",
            "name": "Food bank A",
            "kind": "vcfse",
            "form": "community_group",
            "places": ["Liverpool"],
            "outcomes": ["Food poverty reduced"],
        },
    )
    for role, kind in ((Role.SUPPLIER, "supplier"), (Role.BUYER, "buyer")):
        await world.ok(
            "brokerage",
            "POST",
            "/organisations",
            role,
            json={"name": f"{kind} A", "kind": kind, "places": ["Liverpool"]},
        )


async def commitments_after_closing(world: World) -> None:
    """The closed tender closed, and a contract let to supplier-a; and one in world B, so that
    B's people have something of their own in every list (and see none of A's)."""
    ids = world.ids
    await world.ok("commitments", "POST", f"/tenders/{ids['closed_tender']}/close", Role.BUYER)
    contract = await world.ok("commitments", "POST", "/contracts", Role.BUYER, json=contract_body())
    theirs = contract_body() | {"supplier": "supplier-b", "reference": "CW-B-1"}
    ids["b_contract"] = (
        await world.ok("commitments", "POST", "/contracts", Role.BUYER, side="b", json=theirs)
    )["contract_id"]
    ids["contract_id"] = contract["contract_id"]
    jobs, volunteering = contract["obligations"]
    ids["obligation_id"] = jobs["obligation_id"]
    ids["volunteering_obligation_id"] = volunteering["obligation_id"]


async def measurement(world: World) -> None:
    """The first quarter's return: short on jobs, so an alert; and a webhook subscription."""
    ids = world.ids
    await eventually(
        lambda: world.read("measurement", f"/contracts/{ids['contract_id']}/schedule", Role.BUYER),
        what="measurement to learn the contract",
    )
    submitted = await world.ok(
        "measurement",
        "POST",
        f"/contracts/{ids['contract_id']}/returns",
        Role.SUPPLIER,
        json={
            "period": "2026-27-Q1",
            "narrative": "Two apprentices started in June.",
            "lines": [
                {"obligation_id": ids["obligation_id"], "quantity": "2"},
                {"obligation_id": ids["volunteering_obligation_id"], "quantity": "50"},
            ],
        },
    )
    [ids["alert_id"]] = submitted["alerts"]
    ids["period"] = "2026-27-Q1"
    subscribed = await world.ok(
        "measurement",
        "POST",
        "/webhooks",
        Role.SUPPLIER,
        json={"url": "http://127.0.0.1:9/never-called", "event_types": ["AlertRaised"]},
    )
    ids["subscription_id"] = subscribed["subscription_id"]


async def brokerage(world: World) -> None:
    """Local needs, an ask, an offer, and an accepted match with a delivery recorded."""
    ids = world.ids
    await eventually(
        lambda: world.read("brokerage", "/obligations", Role.SUPPLIER),
        until=lambda owed: bool(owed) and len(owed) == 2,
        what="brokerage to learn supplier-a's obligations",
    )
    await world.ok("brokerage", "POST", "/local-needs", Role.CVS, json=needs_body())
    ask = await world.ok("brokerage", "POST", "/asks", Role.VCFSE, json=ask_body())
    ids["ask_id"] = ask["ask_id"]
    offer = await world.ok("brokerage", "POST", "/offers", Role.SUPPLIER, json=offer_body())
    ids["offer_id"] = offer["offer_id"]
    proposed = await world.ok(
        "brokerage", "POST", "/matches", Role.SUPPLIER, json={"ask_id": ids["ask_id"]}
    )
    ids["match_id"] = proposed["match_id"]
    await world.ok(
        "brokerage",
        "POST",
        f"/matches/{ids['match_id']}/acceptance",
        Role.VCFSE,
        headers={"If-Match": f'"{proposed["version"]}"'},
    )
    delivered = await world.ok(
        "brokerage",
        "POST",
        f"/matches/{ids['match_id']}/deliveries",
        Role.SUPPLIER,
        json={"quantity": "8", "delivered_on": "2026-08-01", "note": "Saturday shift"},
    )
    ids["delivery_id"] = delivered["delivery_id"]
    await eventually(
        lambda: world.read("brokerage", "/shortfalls", Role.SUPPLIER),
        what="brokerage to learn the shortfall",
    )


async def reporting_has_caught_up(world: World) -> None:
    """Reporting shows world A's contract with its alert, and world B's contract."""
    url = f"/contracts/{world.ids['contract_id']}/progress"
    await eventually(
        lambda: world.read("reporting", url, Role.BUYER),
        until=lambda progress: progress is not None and len(progress["open_alerts"]) == 1,
        what="reporting to show the contract and its alert",
    )
    await eventually(
        lambda: world.read(
            "reporting", f"/contracts/{world.ids['b_contract']}/progress", Role.BUYER, "b"
        ),
        what="reporting to show world B's contract",
    )
