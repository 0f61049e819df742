"""Suppliers' track records at bid evaluation, built from the real measurement service's events.

Commitments registers contracts; measurement learns them over JetStream, takes returns,
assesses them and raises alerts; commitments consumes measurement's events back into each
supplier's record. Both services run in-process on one clock, which the tests move on.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

import httpx
import pytest
from commitments.consumers import CONSUMERS, READ_MODEL_TABLES
from measurement.bootstrap import Measurement
from sqlalchemy import func, select
from svledger.bus import connect, provision, subject_for
from svledger.envelope import EventEnvelope
from svledger.eventstore import EventStore
from svledger.rebuild import rebuild
from svledger.schema import events

from tests.conftest import ClientFactory, bearer
from tests.harness import NatsServer, eventually
from tests.integration.test_commitments_api import Ledger, open_ledger

FY = [f"2025-26-Q{n}" for n in range(1, 5)]
QUIET = {"run_scheduler": False, "run_webhooks": False}  # the test runs the scheduler itself


@dataclass
class Parties:
    """A buyer and a supplier of this test's own, so no other test's events count."""

    buyer: str
    supplier: str

    @classmethod
    def new(cls) -> Parties:
        tag = uuid.uuid4().hex[:8]
        return cls(f"council-{tag}", f"supplier-{tag}")

    @property
    def as_buyer(self) -> dict[str, str]:
        return bearer(self.buyer, "buyer", subject=f"cm@{self.buyer}")

    @property
    def as_supplier(self) -> dict[str, str]:
        return bearer(self.supplier, "supplier", subject=f"finance@{self.supplier}")


@dataclass
class World:
    """Commitments and measurement, in-process, on the ledger's clock."""

    ledger: Ledger
    measurement: httpx.AsyncClient

    @property
    def commitments(self) -> httpx.AsyncClient:
        return self.ledger.client

    @property
    def measurement_service(self) -> Measurement:
        transport = cast(httpx.ASGITransport, self.measurement._transport)
        app: Any = transport.app
        return cast(Measurement, app.state.service)

    def move_to(self, day: date) -> None:
        self.ledger.move_to(day)

    async def contract(
        self,
        parties: Parties,
        reference: str,
        starts_on: str,
        ends_on: str,
        obligations: list[tuple[str, str]],
    ) -> list[str]:
        """Register a contract and wait for measurement to schedule it; its obligation ids."""
        created = await self.commitments.post(
            "/contracts",
            json={
                "reference": reference,
                "title": f"Contract {reference}",
                "supplier": parties.supplier,
                "starts_on": starts_on,
                "ends_on": ends_on,
                "obligations": [{"measure": m, "target_per_quarter": q} for m, q in obligations],
            },
            headers=parties.as_buyer,
        )
        assert created.status_code == 201, created.text
        body = created.json()
        url = f"/contracts/{body['contract_id']}/schedule"
        await eventually(
            lambda: self.measurement.get(url, headers=parties.as_supplier),
            until=lambda r: r.status_code == 200,
            what=f"measurement to schedule {reference}",
        )
        return [body["contract_id"], *(ob["obligation_id"] for ob in body["obligations"])]

    async def submit(
        self, parties: Parties, contract_id: str, period: str, lines: dict[str, str]
    ) -> dict[str, Any]:
        response = await self.measurement.post(
            f"/contracts/{contract_id}/returns",
            json={
                "period": period,
                "lines": [{"obligation_id": ob, "quantity": q} for ob, q in lines.items()],
            },
            headers=parties.as_supplier,
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def revise(
        self, parties: Parties, contract_id: str, period: str, lines: dict[str, str], how: str
    ) -> None:
        """Amend a return under review (``amend``) or correct an accepted one (``correct``)."""
        body = {
            "reason": "the count was wrong",
            "lines": [{"obligation_id": ob, "quantity": q} for ob, q in lines.items()],
        }
        url = f"/contracts/{contract_id}/returns/{period}"
        if how == "amend":
            response = await self.measurement.put(url, json=body, headers=parties.as_supplier)
        else:
            response = await self.measurement.post(
                f"{url}/corrections", json=body, headers=parties.as_supplier
            )
        assert response.status_code == 200, response.text

    async def accept(self, parties: Parties, contract_id: str, period: str) -> None:
        response = await self.measurement.post(
            f"/contracts/{contract_id}/returns/{period}/acceptance", headers=parties.as_buyer
        )
        assert response.status_code == 200, response.text

    async def record(
        self, parties: Parties, until: Any, what: str, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """The supplier's record, once it shows what the test waits for."""
        url = f"/suppliers/{parties.supplier}/track-record"

        async def read() -> dict[str, Any]:
            response = await self.commitments.get(url, headers=headers or parties.as_supplier)
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

        return await eventually(read, until=until, what=what)


@pytest.fixture
async def world(service_client: ClientFactory) -> AsyncIterator[World]:
    async with open_ledger(service_client, today=date(2025, 7, 10)) as ledger:
        measurement = await service_client("measurement", clock=ledger.clock, **QUIET)
        yield World(ledger, measurement)


async def recorded(store: EventStore) -> list[EventEnvelope]:
    """Every event in a store, stream by stream (see ``Ledger.events`` for why)."""
    first = func.min(events.c.position)
    query = select(events.c.stream_id).group_by(events.c.stream_id).order_by(first)
    async with store.database.reader.connect() as conn:
        streams = (await conn.execute(query)).scalars().all()
    found = [e for stream in streams for e in await store.load(stream)]
    return sorted(found, key=lambda e: e.position)


# -- two past contracts ------------------------------------------------------------------------


async def two_past_contracts(world: World, parties: Parties) -> tuple[str, str]:
    """Contract A (2025-26: NT1 4 and NT10 10 a quarter) and B (NT10 5 a quarter from
    October 2025), with their returns as of 1 June 2026:

    | return  | NT1 | NT10 | came in            | review           |
    | A Q1    | 4   | 10   | 20 Jul, on time    | accepted         |
    | A Q2    | 3   | 12   | 5 Nov, late        | accepted         |
    | A Q3    | -   | -    | never (overdue)    |                  |
    | A Q4    | 5   | 10   | 20 Apr, on time    | awaiting review  |
    | B Q3    |     | 7    | 20 Jan, on time    | accepted         |
    | B Q4    |     | 6    | 25 Apr, on time    | accepted         |

    Measurement raises under-delivery alerts on NT1 at Q2 (7 of 8) and at Q4 (12 of 16), on
    NT10 at Q4 (32 of 40), and an overdue-return alert for A's Q3; the buyer waives the first.
    """
    a, a_nt1, a_nt10 = await world.contract(
        parties, "TR-A", "2025-04-01", "2026-03-31", [("NT1", "4"), ("NT10", "10")]
    )
    b, b_nt10 = await world.contract(parties, "TR-B", "2025-10-01", "2026-09-30", [("NT10", "5")])

    world.move_to(date(2025, 7, 20))
    await world.submit(parties, a, FY[0], {a_nt1: "4", a_nt10: "10"})
    await world.accept(parties, a, FY[0])
    world.move_to(date(2025, 11, 5))
    q2 = await world.submit(parties, a, FY[1], {a_nt1: "3", a_nt10: "12"})
    assert q2["late"] is True
    await world.accept(parties, a, FY[1])
    world.move_to(date(2026, 1, 20))
    await world.submit(parties, b, FY[2], {b_nt10: "7"})
    await world.accept(parties, b, FY[2])
    world.move_to(date(2026, 4, 20))
    await world.submit(parties, a, FY[3], {a_nt1: "5", a_nt10: "10"})
    world.move_to(date(2026, 4, 25))
    await world.submit(parties, b, FY[3], {b_nt10: "6"})
    await world.accept(parties, b, FY[3])

    world.move_to(date(2026, 6, 1))
    [waived] = q2["alerts"]
    for step, body in (
        ("acknowledgement", {"note": "Talking to them"}),
        ("resolution", {"resolution": "waived", "reason": "a hiring freeze agreed with us"}),
    ):
        response = await world.measurement.post(
            f"/alerts/{waived}/{step}", json=body, headers=parties.as_buyer
        )
        assert response.status_code == 200, response.text
    assert await world.measurement_service.check_schedules() >= 2  # A's Q3 is overdue
    return a, b


def expected_record(parties: Parties, a: str) -> dict[str, Any]:
    """The record of :func:`two_past_contracts`, figure by figure, on 1 June 2026."""
    return {
        "supplier": parties.supplier,
        "as_of": "2026-06-01T12:00:00Z",
        "new_supplier": False,
        "contracts": 2,
        "overall_delivery_ratio": "0.5688",  # (0.4375 + 0.7) / 2
        "measures": [
            {
                "measure": "NT1",
                "unit": "FTE",
                "contracts": 1,
                "committed": "16",
                "committed_to_date": "16",
                "delivered_to_date": "7",  # Q4's 5 awaits review
                "delivery_ratio": "0.4375",
                "best_delivered_per_quarter": "4",
                "best_quarter": {
                    "delivered": "4",
                    "period": FY[0],
                    "contract_id": a,
                    "reference": "TR-A",
                },
            },
            {
                "measure": "NT10",
                "unit": "weeks",
                "contracts": 2,
                "committed": "60",
                "committed_to_date": "50",  # B's 2026-27 quarters are not due yet
                "delivered_to_date": "35",
                "delivery_ratio": "0.7",
                "best_delivered_per_quarter": "12",
                "best_quarter": {
                    "delivered": "12",
                    "period": FY[1],
                    "contract_id": a,
                    "reference": "TR-A",
                },
            },
        ],
        "returns": {"due": 6, "on_time": 4, "late": 1, "missing": 1, "on_time_share": "0.6667"},
        "alerts": {"open": 3, "resolved": 1},
    }


async def test_two_past_contracts_make_a_record_of_each_figure(world: World) -> None:
    parties = Parties.new()
    a, _ = await two_past_contracts(world, parties)
    expected = expected_record(parties, a)

    record = await world.record(
        parties, until=lambda r: r == expected, what="the record of both contracts"
    )

    assert record == expected


async def test_a_bid_is_flagged_just_above_one_and_a_half_times_the_best_rate_not_at_it(
    world: World,
) -> None:
    parties = Parties.new()
    a, _ = await two_past_contracts(world, parties)
    expected = expected_record(parties, a)
    await world.record(parties, until=lambda r: r == expected, what="the record")
    newcomer = bearer(f"new-{parties.supplier}", "supplier")
    stranger = bearer(f"other-{parties.buyer}", "buyer")
    tender_id = await published_tender(world, parties)
    # NT10: 18 a quarter is exactly 1.5 times the best of 12; NT1: 6.01 is just above 1.5 x 4.
    ours = await bid(world, tender_id, parties.as_supplier, NT10="72", NT1="24.04")
    theirs = await bid(world, tender_id, newcomer, NT10="400")
    url = f"/tenders/{tender_id}/bids/{ours}/track-record"

    own_before_close = await world.commitments.get(url, headers=parties.as_supplier)
    buyer_before_close = await world.commitments.get(url, headers=parties.as_buyer)
    record_before_close = await world.commitments.get(
        f"/suppliers/{parties.supplier}/track-record", headers=parties.as_buyer
    )
    world.move_to(date(2026, 7, 15))
    closed = await world.commitments.post(f"/tenders/{tender_id}/close", headers=parties.as_buyer)
    assert closed.status_code == 200, closed.text
    evaluated = await world.commitments.get(url, headers=parties.as_buyer)
    new_one = await world.commitments.get(
        f"/tenders/{tender_id}/bids/{theirs}/track-record", headers=parties.as_buyer
    )
    by_stranger = await world.commitments.get(url, headers=stranger)
    wrong_tender = await world.commitments.get(
        f"/tenders/{uuid.uuid4()}/bids/{ours}/track-record", headers=parties.as_buyer
    )

    assert own_before_close.status_code == 200, own_before_close.text
    assert (buyer_before_close.status_code, record_before_close.status_code) == (404, 404)
    assert evaluated.status_code == 200, evaluated.text
    body = evaluated.json()
    assert (body["supplier"], body["new_supplier"], body["overpromise_multiple"]) == (
        parties.supplier,
        False,
        "1.5",
    )
    assert body["as_of"] == "2026-06-01T12:00:00Z"
    assert body["track_record"] == own_before_close.json()["track_record"]
    checks = {c["measure"]: c for c in body["commitments"]}
    assert {
        m: (
            c["committed_total"],
            c["committed_per_quarter"],
            c["best_delivered_per_quarter"],
            c["ratio"],
            c["overpromise"],
        )
        for m, c in checks.items()
    } == {
        "NT10": ("72", "18", "12", "1.5", False),
        "NT1": ("24.04", "6.01", "4", "1.5025", True),
    }
    assert checks["NT10"]["message"] == "this offer is 1.5 times your best delivered rate on NT10"
    assert checks["NT1"]["message"] == (
        "this offer is more than 1.5 times your best delivered rate on NT1"
    )
    assert checks["NT10"]["record"]["delivered_to_date"] == "35"
    assert checks["NT10"]["best_quarter"]["reference"] == "TR-A"
    assert new_one.status_code == 200, new_one.text
    newcomer_body = new_one.json()
    assert newcomer_body["new_supplier"] is True
    assert [
        (c["committed_per_quarter"], c["best_delivered_per_quarter"], c["ratio"], c["overpromise"])
        for c in newcomer_body["commitments"]
    ] == [("100", None, None, False)]
    assert (by_stranger.status_code, wrong_tender.status_code) == (404, 404)


async def test_a_buyer_reads_the_record_only_of_a_supplier_that_bid_on_its_closed_tender(
    world: World,
) -> None:
    parties = Parties.new()
    await world.contract(parties, "TR-C", "2025-04-01", "2026-03-31", [("NT10", "10")])
    url = f"/suppliers/{parties.supplier}/track-record"
    own = await world.record(parties, until=lambda r: r["contracts"] == 1, what="the contract")
    tender_id = await published_tender(world, parties)
    await bid(world, tender_id, parties.as_supplier, NT10="40")
    world.move_to(date(2026, 7, 15))
    closed = await world.commitments.post(f"/tenders/{tender_id}/close", headers=parties.as_buyer)
    assert closed.status_code == 200, closed.text

    by_buyer = await world.commitments.get(url, headers=parties.as_buyer)
    by_other_buyer = await world.commitments.get(url, headers=bearer("council-z", "buyer"))
    by_other_supplier = await world.commitments.get(url, headers=bearer("rival", "supplier"))
    unknown = await world.commitments.get(
        "/suppliers/nobody-at-all/track-record", headers=parties.as_buyer
    )
    again = await world.commitments.get(
        url, headers={**parties.as_buyer, "If-None-Match": by_buyer.headers["ETag"]}
    )

    assert by_buyer.status_code == 200, by_buyer.text
    assert by_buyer.json()["contracts"] == own["contracts"] == 1
    assert by_buyer.json()["new_supplier"] is False
    for refused in (by_other_buyer, by_other_supplier, unknown):
        assert refused.status_code == 404
        assert refused.headers["content-type"] == "application/problem+json"
    assert again.status_code == 304


# -- late events -------------------------------------------------------------------------------


async def test_an_amended_and_corrected_return_counts_once_and_redelivery_changes_nothing(
    world: World, fresh_nats: NatsServer
) -> None:
    parties = Parties.new()
    contract_id, nt10 = await world.contract(
        parties, "TR-D", "2025-04-01", "2026-03-31", [("NT10", "10")]
    )
    world.move_to(date(2025, 7, 20))
    first = await world.submit(parties, contract_id, FY[0], {nt10: "6"})
    assert [a["status"] for a in first["assessments"]] == ["red"]
    world.move_to(date(2025, 7, 22))
    await world.revise(parties, contract_id, FY[0], {nt10: "9"}, "amend")
    await world.accept(parties, contract_id, FY[0])
    amended = await world.record(
        parties,
        until=lambda r: r["measures"] and r["measures"][0]["delivered_to_date"] != "0",
        what="the accepted return in the record",
    )
    world.move_to(date(2025, 8, 1))
    await world.revise(parties, contract_id, FY[0], {nt10: "11"}, "correct")
    corrected = await world.record(
        parties,
        until=lambda r: (
            r["alerts"]["resolved"] == 1 and r["measures"][0]["delivered_to_date"] != "9"
        ),
        what="the correction (and the alert it resolved) in the record",
    )

    assert [m["delivered_to_date"] for m in amended["measures"]] == ["9"]
    nt10_record = corrected["measures"][0]
    assert (nt10_record["delivered_to_date"], nt10_record["best_delivered_per_quarter"]) == (
        "11",
        "11",
    )
    assert corrected["alerts"] == {"open": 0, "resolved": 1}
    assert corrected["as_of"] == "2025-08-01T12:00:00Z"

    # A relay that restarted publishes every event again, under new message ids.
    measurement_events = await recorded(world.measurement_service.store)
    nc = await connect(world.measurement_service.settings.nats_url, name="test-republish")
    try:
        for event in measurement_events:
            await nc.jetstream().publish(
                subject_for("measurement", event),
                json.dumps(event.as_json()).encode(),
                headers={"Nats-Msg-Id": f"{event.event_id}-again"},
            )
    finally:
        await nc.drain()
    # Then Q2 comes in short, behind the redelivered events on both subjects.
    world.move_to(date(2025, 10, 20))
    await world.submit(parties, contract_id, FY[1], {nt10: "5"})
    after = await world.record(
        parties,
        until=lambda r: r["alerts"]["open"] == 1 and r["returns"]["due"] == 2,
        what="Q2's return and alert behind the redelivered events",
    )

    assert after["measures"][0]["delivered_to_date"] == "11"
    assert after["measures"][0]["best_delivered_per_quarter"] == "11"
    assert after["alerts"] == {"open": 1, "resolved": 1}
    assert after["returns"] == {
        "due": 2,
        "on_time": 2,
        "late": 0,
        "missing": 0,
        "on_time_share": "1",
    }

    # And a rebuild from the log alone gives back the same record.
    measured = [
        e
        for e in await recorded(world.measurement_service.store)
        if e.aggregate in ("schedule", "alert")
    ]
    await rebuild_from(world, fresh_nats, measured)
    rebuilt = await world.record(parties, until=lambda r: True, what="the rebuilt record")
    assert rebuilt == after


async def rebuild_from(world: World, server: NatsServer, measured: list[EventEnvelope]) -> None:
    """``svl rebuild commitments`` against a JetStream holding only ``measured``."""
    nc = await connect(server.url, name="test-rebuild-commitments")
    try:
        js = nc.jetstream()
        await provision(js)
        for event in measured:
            await js.publish(
                subject_for("measurement", event),
                json.dumps(event.as_json()).encode(),
                headers={"Nats-Msg-Id": str(event.event_id)},
            )
        report = await rebuild(world.ledger.store, js, CONSUMERS, READ_MODEL_TABLES)
    finally:
        await nc.drain()
    assert report.events_seen == len(measured)


# -- helpers for tenders and bids --------------------------------------------------------------


async def published_tender(world: World, parties: Parties) -> str:
    """A tender for a 2027-28 contract, relevant to NT1 and NT10, closing on 14 July 2026."""
    drafted = await world.commitments.post(
        "/tenders",
        json={
            "title": "Highways maintenance 2027-28",
            "estimated_value_gbp": "2000000",
            "contract_starts_on": "2027-04-01",
            "contract_ends_on": "2028-03-31",
            "social_value_weighting": "20",
            "relevant_measures": ["NT1", "NT10"],
            "places": ["Liverpool"],
            "closes_on": "2026-07-14",
        },
        headers=parties.as_buyer,
    )
    assert drafted.status_code == 201, drafted.text
    tender_id: str = drafted.json()["tender_id"]
    published = await world.commitments.post(
        f"/tenders/{tender_id}/publish", headers=parties.as_buyer
    )
    assert published.status_code == 200, published.text
    return tender_id


async def bid(world: World, tender_id: str, headers: dict[str, str], **totals: str) -> str:
    """A bid committing each measure's total, a quarter of it in each quarter of 2027-28."""
    quarters = {f"2027-28-Q{n}": "1" for n in range(1, 5)}
    made = await world.commitments.post(
        f"/tenders/{tender_id}/bids",
        json={
            "commitments": [
                {
                    "measure": measure,
                    "quantity": total,
                    "profile": {"kind": "quarterly", "weights": quarters},
                    "place": "Liverpool",
                    "narrative": "Delivered with the Liverpool Employment Hub.",
                }
                for measure, total in totals.items()
            ],
            "method_statement": "A named social value lead reports quarterly.",
            "additionality_declared": True,
        },
        headers=headers,
    )
    assert made.status_code == 201, made.text
    bid_id: str = made.json()["bid_id"]
    return bid_id
