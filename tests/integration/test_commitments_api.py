"""Registering contracts over HTTP: obligations, targets, validation and visibility.

Also the harness every commitments API test uses (:func:`open_ledger`): the service in-process
on a fixed clock, whose event store is read at the end of each test and every event in it
checked against the service's event catalogue.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

import httpx
import pytest
from commitments.domain.catalogue import CATALOGUE, problems_with
from fastapi import FastAPI
from sqlalchemy import func, select
from svledger.clock import FixedClock
from svledger.envelope import EventEnvelope
from svledger.eventstore import EventStore
from svledger.schema import events

from tests.conftest import ClientFactory, bearer

BUYER = bearer("council-a", "buyer", subject="cm@council-a")
SUPPLIER = bearer("acme-ltd", "supplier", subject="bids@acme")
RIVAL = bearer("bolt-ltd", "supplier", subject="bids@bolt")
STRANGER = bearer("council-b", "buyer")
ADMIN = bearer("svl-ops", "admin", subject="admin@svl")
TODAY = date(2026, 5, 1)


@dataclass
class Ledger:
    """The commitments service under test: an HTTP client, its clock and its event store."""

    client: httpx.AsyncClient
    clock: FixedClock
    store: EventStore

    async def events(self) -> list[EventEnvelope]:
        """Every event the service has recorded, in the order recorded.

        Read stream by stream rather than through ``read_all``: on PostgreSQL that stops below
        the oldest transaction running anywhere on the server, which may hide what a test has
        just written while other tests run against the same server.
        """
        first = func.min(events.c.position)
        query = select(events.c.stream_id).group_by(events.c.stream_id).order_by(first)
        async with self.store.database.reader.connect() as conn:
            streams = (await conn.execute(query)).scalars().all()
        recorded = [e for stream in streams for e in await self.store.load(stream)]
        return sorted(recorded, key=lambda e: e.position)

    def move_to(self, day: date) -> None:
        """Set the service's clock to midday on ``day``."""
        self.clock.now = FixedClock.at(day).now


@asynccontextmanager
async def open_ledger(
    service_client: ClientFactory, today: date = TODAY, **settings: Any
) -> AsyncIterator[Ledger]:
    """The service on a clock standing at ``today``; afterwards, every event it recorded is
    checked against the catalogue."""
    clock = FixedClock.at(today)
    client = await service_client("commitments", clock=clock, **settings)
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    app = cast(FastAPI, transport.app)
    ledger = Ledger(client, clock, app.state.service.store)
    yield ledger
    problems = [
        f"{e.stream_id} v{e.stream_version}: {p}"
        for e in await ledger.events()
        for p in problems_with(e.type, e.schema_version, e.stream_id, e.data)
    ]
    assert problems == [], "events that do not match the catalogue:\n" + "\n".join(problems)


@pytest.fixture
async def ledger(service_client: ClientFactory) -> AsyncIterator[Ledger]:
    async with open_ledger(service_client) as opened:
        yield opened


def contract(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "reference": "CW-2026-001",
        "title": "Highways maintenance",
        "supplier": "acme-ltd",
        "starts_on": "2026-04-01",
        "ends_on": "2027-03-31",
        "value_gbp": "2500000.00",
        "obligations": [{"measure": "NT1", "target_per_quarter": "4"}],
    }
    body.update(overrides)
    return body


def tender(**overrides: Any) -> dict[str, Any]:
    """A tender for a contract from mid-November 2026 to mid-August 2028, closing in July."""
    body: dict[str, Any] = {
        "title": "Community transport",
        "description": "Door-to-door transport for older and disabled residents.",
        "estimated_value_gbp": "1200000",
        "contract_starts_on": "2026-11-15",
        "contract_ends_on": "2028-08-14",
        "social_value_weighting": "20",
        "relevant_measures": ["NT1", "NT10", "NT14"],
        "places": ["Liverpool", "Wirral"],
        "vcfse_relevant": True,
        "closes_on": "2026-07-31",
    }
    body.update(overrides)
    return body


def commitment(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "measure": "NT1",
        "quantity": "12",
        "place": "Liverpool",
        "narrative": "Drivers recruited through the Liverpool Employment Hub.",
    }
    body.update(overrides)
    return body


def offer(*commitments: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "commitments": list(commitments) or [commitment()],
        "method_statement": "A named social value lead reports quarterly to the board.",
        "additionality_declared": True,
    }
    body.update(overrides)
    return body


async def published_tender(ledger: Ledger, **overrides: Any) -> dict[str, Any]:
    """A tender the buyer has drafted and published."""
    drafted = await ledger.client.post("/tenders", json=tender(**overrides), headers=BUYER)
    assert drafted.status_code == 201, drafted.text
    tender_id = drafted.json()["tender_id"]
    published = await ledger.client.post(f"/tenders/{tender_id}/publish", headers=BUYER)
    assert published.status_code == 200, published.text
    body: dict[str, Any] = published.json()
    return body


async def closed_tender_with_bids(
    ledger: Ledger, *offers: tuple[dict[str, str], dict[str, Any]]
) -> tuple[str, list[str]]:
    """A published tender, a bid per (headers, offer), then closed the day after closing."""
    tender_id = (await published_tender(ledger))["tender_id"]
    bid_ids = []
    for headers, body in offers:
        made = await ledger.client.post(f"/tenders/{tender_id}/bids", json=body, headers=headers)
        assert made.status_code == 201, made.text
        bid_ids.append(made.json()["bid_id"])
    ledger.move_to(date(2026, 8, 1))
    closed = await ledger.client.post(f"/tenders/{tender_id}/close", headers=BUYER)
    assert closed.status_code == 200, closed.text
    return tender_id, bid_ids


def fields(response: httpx.Response) -> list[str]:
    """The fields a problem+json response names."""
    assert response.headers["content-type"] == "application/problem+json", response.text
    return [e["field"] for e in response.json().get("errors", [])]


async def test_a_registered_contract_carries_quarterly_targets(ledger: Ledger) -> None:
    client = ledger.client

    created = await client.post("/contracts", json=contract(), headers=BUYER)

    assert created.status_code == 201, created.text
    body = created.json()
    [obligation] = body["obligations"]
    assert obligation["targets"] == {f"2026-27-Q{n}": "4" for n in range(1, 5)}
    assert obligation["total"] == "16"
    assert (obligation["unit"], obligation["theme"]) == ("FTE", "Jobs")
    assert body["buyer"] == "council-a"
    assert created.headers["ETag"] == '"1"'
    read = await client.get(created.headers["Location"], headers=SUPPLIER)
    assert read.status_code == 200
    assert read.json() == body


async def test_another_organisation_cannot_see_the_contract(ledger: Ledger) -> None:
    created = await ledger.client.post("/contracts", json=contract(), headers=BUYER)

    response = await ledger.client.get(created.headers["Location"], headers=STRANGER)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_an_unknown_measure_is_refused_naming_the_field(ledger: Ledger) -> None:
    body = contract(
        obligations=[
            {"measure": "NT1", "target_per_quarter": "4"},
            {"measure": "NT999", "target_per_quarter": "1"},
        ]
    )

    response = await ledger.client.post("/contracts", json=body, headers=BUYER)

    assert response.status_code == 422
    problem = response.json()
    assert problem["type"].endswith("/validation-failed")
    assert fields(response) == ["obligations.1.measure"]
    assert "NT999" in problem["errors"][0]["message"]


async def test_targets_outside_the_contract_and_malformed_bodies_are_refused(
    ledger: Ledger,
) -> None:
    client = ledger.client
    outside = contract(obligations=[{"measure": "NT1", "targets": {"2028-29-Q1": "2"}}])
    negative = contract(obligations=[{"measure": "NT1", "target_per_quarter": "-1"}])

    r1 = await client.post("/contracts", json=outside, headers=BUYER)
    r2 = await client.post("/contracts", json=negative, headers=BUYER)
    r3 = await client.post("/contracts", content=b"{not json", headers=BUYER)

    assert r1.status_code == 422
    assert r1.json()["errors"][0]["field"] == "obligations.0.targets"
    assert r2.status_code == 422
    assert r2.json()["errors"][0]["field"] == "obligations.0.target_per_quarter"
    assert r3.status_code == 422


async def test_only_buyers_register_contracts_and_tokens_are_required(ledger: Ledger) -> None:
    client = ledger.client

    as_supplier = await client.post("/contracts", json=contract(), headers=SUPPLIER)
    anonymous = await client.post("/contracts", json=contract())
    forged = await client.post(
        "/contracts", json=contract(), headers={"Authorization": "Bearer not.a.token"}
    )

    assert as_supplier.status_code == 403
    assert anonymous.status_code == 401
    assert forged.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"


async def test_the_same_idempotency_key_and_body_registers_one_contract(ledger: Ledger) -> None:
    client = ledger.client
    headers = {**BUYER, "Idempotency-Key": "import-2026-11-28-001"}

    first = await client.post("/contracts", json=contract(), headers=headers)
    again = await client.post("/contracts", json=contract(), headers=headers)
    changed = await client.post("/contracts", json=contract(title="Other"), headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert changed.status_code == 409
    assert changed.json()["errors"][0]["field"] == "Idempotency-Key"
    other_org = await client.post(
        "/contracts",
        json=contract(),
        headers={**STRANGER, "Idempotency-Key": "import-2026-11-28-001"},
    )
    assert other_org.status_code == 201
    assert other_org.json()["contract_id"] != first.json()["contract_id"]


async def test_every_event_the_service_records_matches_its_catalogue(ledger: Ledger) -> None:
    """One pass through every lifecycle, emitting each catalogued event type at least once."""
    client = ledger.client
    # Frameworks: publish a version, correct a unit, load proxy values.
    published = await client.post(
        "/frameworks",
        json={
            "version": "demo-toms-2026",
            "title": "Demo TOMs",
            "measures": [
                {
                    "code": "NT1",
                    "theme": "Jobs",
                    "outcome": "Local jobs",
                    "measure": "FTE",
                    "unit": "FTE",
                }
            ],
        },
        headers=ADMIN,
    )
    assert published.status_code == 201, published.text
    corrected = await client.patch(
        "/frameworks/cm-toms-2023/measures/NT2",
        json={"unit": "FTE", "reason": "counted as heads, not a percentage"},
        headers=ADMIN,
    )
    assert corrected.status_code == 200, corrected.text
    proxies = await client.put(
        "/frameworks/cm-toms-2023/proxy-values",
        files={"file": ("p.csv", b"code,unit,gbp_per_unit,source,year\nNT1,FTE,1000,demo,2026\n")},
        headers=ADMIN,
    )
    assert proxies.status_code == 200, proxies.text
    # Policy, recorded then revised.
    for statement in ("Jobs first.", "Jobs and VCFSE spend first."):
        policy = await client.put(
            "/policies/council-a",
            json={"statement": statement, "priority_measures": ["NT1", "NT14"]},
            headers=BUYER,
        )
        assert policy.status_code in (200, 201), policy.text
    # Tenders: one revised, published, bid on (submitted, revised, withdrawn), closed,
    # evaluated and awarded; another cancelled.
    drafted = await client.post("/tenders", json=tender(), headers=BUYER)
    tender_id = drafted.json()["tender_id"]
    revised = await client.put(f"/tenders/{tender_id}", json=tender(title="CT"), headers=BUYER)
    assert revised.status_code == 200, revised.text
    await client.post(f"/tenders/{tender_id}/publish", headers=BUYER)
    winner = (
        await client.post(f"/tenders/{tender_id}/bids", json=offer(), headers=SUPPLIER)
    ).json()
    again = await client.put(f"/bids/{winner['bid_id']}", json=offer(), headers=SUPPLIER)
    assert again.status_code == 200, again.text
    loser = (await client.post(f"/tenders/{tender_id}/bids", json=offer(), headers=RIVAL)).json()
    gone = await client.post(f"/bids/{loser['bid_id']}/withdrawal", json={}, headers=RIVAL)
    assert gone.status_code == 200, gone.text
    ledger.move_to(date(2026, 8, 3))
    await client.post(f"/tenders/{tender_id}/close", headers=BUYER)
    scored = await client.put(
        f"/tenders/{tender_id}/evaluations/{winner['bid_id']}",
        json={"qualitative_score": "70", "rationale": "Credible plan."},
        headers=BUYER,
    )
    assert scored.status_code == 200, scored.text
    awarded = await client.post(
        f"/tenders/{tender_id}/award",
        json={"bid_id": winner["bid_id"], "reference": "CT-2026-01"},
        headers=BUYER,
    )
    assert awarded.status_code == 201, awarded.text
    other = (await client.post("/tenders", json=tender(), headers=BUYER)).json()
    cancelled = await client.post(
        f"/tenders/{other['tender_id']}/cancel", json={"reason": "budget"}, headers=BUYER
    )
    assert cancelled.status_code == 200, cancelled.text
    # Contracts: varied, then one completed and one terminated.
    contract_id = awarded.json()["contract_id"]
    obligation_id = awarded.json()["obligations"][0]["obligation_id"]
    varied = await client.post(
        f"/contracts/{contract_id}/obligations/{obligation_id}/variations",
        json={"total": "10", "reason": "scope reduced", "agreed_on": "2026-08-03"},
        headers=BUYER,
    )
    assert varied.status_code == 200, varied.text
    ended = await client.post(
        f"/contracts/{contract_id}/termination",
        json={"terminated_on": "2027-06-30", "reason": "service decommissioned"},
        headers=BUYER,
    )
    assert ended.status_code == 200, ended.text
    old = await client.post(
        "/contracts",
        json=contract(reference="OLD-1", starts_on="2025-04-01", ends_on="2026-03-31"),
        headers=BUYER,
    )
    done = await client.post(
        f"/contracts/{old.json()['contract_id']}/completion",
        json={"completed_on": "2026-03-31"},
        headers=BUYER,
    )
    assert done.status_code == 200, done.text
    # Pledge, made then revised.
    for reason in ("", "new baseline data"):
        pledge = await client.put(
            "/pledges/acme-ltd",
            json={
                "base_year": "2025-26",
                "baseline": {"NT14": "1000"},
                "targets": {"2026-27": {"NT14": "1500"}},
                "reason": reason,
            },
            headers=SUPPLIER,
        )
        assert pledge.status_code in (200, 201), pledge.text

    emitted = {e.type for e in await ledger.events()}

    assert emitted == set(CATALOGUE)


async def test_the_event_catalogue_is_published_for_consuming_services(ledger: Ledger) -> None:
    response = await ledger.client.get("/events/catalogue")
    openapi = await ledger.client.get("/openapi.json")

    assert response.status_code == 200
    by_type = {e["type"]: e for e in response.json()}
    assert set(by_type) == set(CATALOGUE)
    awarded = by_type["ContractAwarded"]
    assert awarded["subject"] == "svl.commitments.contract.ContractAwarded"
    assert awarded["fields"]["obligations"]["fields"]["targets"]["kind"].startswith("object")
    assert by_type["PledgeRecorded"]["stream"] == "pledge-<id>"
    assert openapi.status_code == 200
    assert "/tenders/{tender_id}/award" in openapi.json()["paths"]
