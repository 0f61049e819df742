"""Deliveries a VCFSE partner confirmed in brokerage appear in measurement as corroborated
evidence on the right obligation's return line; disputed ones never do.

The brokerage runs for real (its HTTP API, its match lifecycle, its relay publishing on the
session's JetStream); measurement consumes the match events from JetStream as in production.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from measurement.adapters.tables import metadata
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from svledger.bus import connect
from svledger.clock import FixedClock
from svledger.consumers import Outcome, apply_once
from svledger.envelope import EventEnvelope

from tests.conftest import ClientFactory
from tests.harness import NatsServer, eventually
from tests.integration.test_brokerage_api import (
    ACME,
    AS_ACME,
    AS_FOOD_BANK,
    Broker,
    directory,
    open_brokerage,
    volunteering,
)
from tests.integration.test_brokerage_records import obligation
from tests.integration.test_measurement_api import (
    BUYER,
    OTHER_BUYER,
    SUPPLIER,
    Commitments,
    commitments_feed,
    envelope,
    schedule_of,
)
from tests.integration.test_measurement_scenario import service_of

TODAY = date(2026, 8, 3)
QUIET = {"run_scheduler": False, "run_webhooks": False}


@pytest.fixture
async def commitments(nats_server: NatsServer) -> AsyncIterator[Commitments]:
    """Contract events published on the session's nats-server, for measurement."""
    async with commitments_feed(nats_server.url) as feed:
        yield feed


@pytest.fixture
async def broker(service_client: ClientFactory) -> AsyncIterator[Broker]:
    """The brokerage, its relay publishing what it records on JetStream."""
    async with open_brokerage(service_client, TODAY, run_relay=True) as opened:
        yield opened


@pytest.fixture
async def measurement(service_client: ClientFactory) -> httpx.AsyncClient:
    """The measurement service, its consumers reading JetStream."""
    return await service_client("measurement", clock=FixedClock.at(TODAY), **QUIET)


class Partnership:
    """Acme's contract with the council (NT17 volunteering and NT1 jobs), known to both
    services, and an accepted match between Acme and the food bank about the NT17 hours."""

    def __init__(self, broker: Broker, contract: EventEnvelope, match: dict[str, Any]) -> None:
        self.broker = broker
        self.contract_id = str(contract.data["contract_id"])
        self.nt17, self.nt1 = (o["obligation_id"] for o in contract.data["obligations"])
        self.match_id = str(match["match_id"])

    async def deliver(self, quantity: str, on: str) -> str:
        """Acme records a delivery through the match; its id."""
        delivery = await self.broker.ok(
            "POST",
            f"/matches/{self.match_id}/deliveries",
            AS_ACME,
            json={"quantity": quantity, "delivered_on": on, "note": "sorting shift"},
        )
        return str(delivery["delivery_id"])

    async def confirm(self, delivery_id: str) -> None:
        """The food bank confirms the delivery."""
        url = f"/matches/{self.match_id}/deliveries/{delivery_id}/confirmation"
        await self.broker.ok("POST", url, AS_FOOD_BANK)

    async def dispute(self, delivery_id: str) -> None:
        """The food bank disputes the delivery."""
        url = f"/matches/{self.match_id}/deliveries/{delivery_id}/dispute"
        await self.broker.ok("POST", url, AS_FOOD_BANK, json={"reason": "nobody came"})


async def partnership(
    broker: Broker, commitments: Commitments, measurement: httpx.AsyncClient
) -> Partnership:
    await directory(broker)
    contract = await broker.awarded(
        ACME, volunteering("200"), obligation("NT1", "4"), places=["Liverpool"]
    )
    await commitments.publish(contract.stream_id, "ContractAwarded", contract.data)
    await schedule_of(measurement, contract.data["contract_id"])
    ask = await broker.ask()
    proposed = await broker.ok("POST", "/matches", AS_ACME, json={"ask_id": ask["ask_id"]})
    accepted = await broker.ok("POST", f"/matches/{proposed['match_id']}/acceptance", AS_FOOD_BANK)
    assert (accepted["status"], accepted["measure"]) == ("accepted", "NT17")
    return Partnership(broker, contract, accepted)


async def corroborations(
    measurement: httpx.AsyncClient, contract_id: str, query: str = "", headers: Any = BUYER
) -> list[dict[str, Any]]:
    response = await measurement.get(
        f"/contracts/{contract_id}/corroborations{query}", headers=headers
    )
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


def delivery_ids(groups: list[dict[str, Any]]) -> list[str]:
    return [c["delivery_id"] for g in groups for c in g["corroborations"]]


async def test_a_confirmed_delivery_corroborates_its_obligations_line_and_a_disputed_one_never(
    broker: Broker, commitments: Commitments, measurement: httpx.AsyncClient
) -> None:
    deal = await partnership(broker, commitments, measurement)
    confirmed = await deal.deliver("25", "2026-06-20")
    disputed = await deal.deliver("10", "2026-06-25")
    next_quarter = await deal.deliver("5", "2026-07-10")
    await deal.dispute(disputed)
    await deal.confirm(confirmed)
    await deal.confirm(next_quarter)

    # Confirmed before any return exists: kept, and listed by obligation and quarter.
    groups = await eventually(
        lambda: corroborations(measurement, deal.contract_id),
        until=lambda g: len(delivery_ids(g)) == 2,
        what="both confirmed deliveries to reach measurement",
    )
    assert [
        (g["obligation_id"], g["measure"], g["unit"], g["period"], g["corroborated_quantity"])
        for g in groups
    ] == [
        (deal.nt17, "NT17", "hours", "2026-27-Q1", "25"),
        (deal.nt17, "NT17", "hours", "2026-27-Q2", "5"),
    ]
    assert delivery_ids(groups) == [confirmed, next_quarter]
    assert groups[0]["corroborations"] == [
        {
            "delivery_id": confirmed,
            "match_id": deal.match_id,
            "partner": "food-bank",
            "quantity": "25",
            "unit": "hours",
            "delivered_on": "2026-06-20",
            "confirmed_by": "food-bank",
            "confirmed_on": "2026-08-03",
        }
    ]
    only_q2 = await corroborations(measurement, deal.contract_id, "?period=2026-27-Q2", SUPPLIER)
    assert delivery_ids(only_q2) == [next_quarter]

    submitted = await measurement.post(
        f"/contracts/{deal.contract_id}/returns",
        json={
            "period": "2026-27-Q1",
            "lines": [
                {"obligation_id": deal.nt17, "quantity": "30"},
                {"obligation_id": deal.nt1, "quantity": "4"},
            ],
        },
        headers=SUPPLIER,
    )
    assert submitted.status_code == 201, submitted.text
    returned = await measurement.get(
        f"/contracts/{deal.contract_id}/returns/2026-27-Q1", headers=BUYER
    )

    assert returned.status_code == 200, returned.text
    lines = {line["obligation_id"]: line for line in returned.json()["lines"]}
    assert lines[deal.nt17]["quantity"] == "30"
    assert lines[deal.nt17]["corroborated_quantity"] == "25"
    assert [c["delivery_id"] for c in lines[deal.nt17]["corroborations"]] == [confirmed]
    assert (lines[deal.nt1]["corroborations"], lines[deal.nt1]["corroborated_quantity"]) == (
        [],
        "0",
    )


async def test_a_confirmation_delivered_again_is_counted_once(
    broker: Broker,
    commitments: Commitments,
    measurement: httpx.AsyncClient,
    nats_server: NatsServer,
) -> None:
    deal = await partnership(broker, commitments, measurement)
    first = await deal.deliver("25", "2026-06-20")
    await deal.confirm(first)
    await eventually(
        lambda: corroborations(measurement, deal.contract_id),
        until=lambda g: delivery_ids(g) == [first],
        what="the confirmation to reach measurement",
    )
    [confirmation] = await broker.events("DeliveryConfirmed")
    service = service_of(measurement)
    [deliveries] = [c for c in service.runtime.consumers if c.name == "measurement-deliveries"]

    # Again through the consumer, and over JetStream once more (a relay that restarted).
    again = await apply_once(service.store, deliveries, confirmation)
    nc = await connect(nats_server.url, name="test-brokerage-relay-again")
    try:
        await nc.jetstream().publish(
            "svl.brokerage.match.DeliveryConfirmed",
            json.dumps(confirmation.as_json()).encode(),
            headers={"Nats-Msg-Id": f"{confirmation.event_id}-again"},
        )
    finally:
        await nc.drain()
    # A later confirmation on the same match: once it shows, the repeat before it was read.
    marker = await deal.deliver("5", "2026-06-30")
    await deal.confirm(marker)
    groups = await eventually(
        lambda: corroborations(measurement, deal.contract_id),
        until=lambda g: marker in delivery_ids(g),
        what="the later confirmation to reach measurement",
    )

    assert again is Outcome.DUPLICATE
    assert delivery_ids(groups) == [first, marker]
    assert groups[0]["corroborated_quantity"] == "30"


async def test_a_dispute_after_a_confirmation_withdraws_it_and_unlinked_deliveries_count_nowhere(
    commitments: Commitments, measurement: httpx.AsyncClient
) -> None:
    """Brokerage disputes only unconfirmed deliveries today; should a dispute ever follow a
    confirmation, the delivery stops counting. A match about a measure but no obligation
    corroborates nothing."""
    contract = await commitments.award(obligations=[("NT17", "hours", {"2026-27-Q1": "200"})])
    await schedule_of(measurement, contract["contract_id"])
    [nt17] = [o["obligation_id"] for o in contract["obligations"]]
    service = service_of(measurement)
    [deliveries] = [c for c in service.runtime.consumers if c.name == "measurement-deliveries"]
    match_id, linked, unlinked_id = (str(uuid.uuid4()) for _ in range(3))
    stream = f"match-{match_id}"
    parties = {"match_id": match_id, "supplier": ACME, "vcfse": "food-bank"}
    confirmed = {
        **parties,
        "contract_id": contract["contract_id"],
        "obligation_id": nt17,
        "measure": "NT17",
        "quantity": "12.5",
        "unit": "hours",
        "delivered_on": "2026-05-02",
        "period": "2026-27-Q1",
        "confirmed_by": "food-bank",
        "confirmed_on": "2026-05-04",
    }
    unlinked = {**confirmed, "contract_id": None, "obligation_id": None}
    events = [
        envelope(stream, 1, "MatchProposed", {**parties}),
        envelope(stream, 2, "DeliveryConfirmed", {**confirmed, "delivery_id": linked}),
        envelope(stream, 3, "DeliveryConfirmed", {**unlinked, "delivery_id": unlinked_id}),
    ]
    for event in events:
        assert await apply_once(service.store, deliveries, event) is Outcome.APPLIED
    before = await corroborations(measurement, contract["contract_id"])

    disputed = envelope(
        stream,
        4,
        "DeliveryDisputed",
        {**parties, "delivery_id": linked, "reason": "wrong day", "disputed_by": "x",
         "disputed_on": "2026-05-05"},
    )  # fmt: skip
    assert await apply_once(service.store, deliveries, disputed) is Outcome.APPLIED

    assert [(g["corroborated_quantity"], delivery_ids([g])) for g in before] == [("12.5", [linked])]
    assert await corroborations(measurement, contract["contract_id"]) == []


async def test_only_the_contracts_parties_read_its_corroborations(
    commitments: Commitments, measurement: httpx.AsyncClient
) -> None:
    contract = await commitments.award(obligations=[("NT17", "hours", {"2026-27-Q1": "200"})])
    await schedule_of(measurement, contract["contract_id"])
    url = f"/contracts/{contract['contract_id']}/corroborations"

    for party in (BUYER, SUPPLIER):
        assert (await measurement.get(url, headers=party)).json() == []
    for outsider in (OTHER_BUYER, AS_FOOD_BANK):
        refused = await measurement.get(url, headers=outsider)
        assert refused.status_code == 404
        assert refused.headers["content-type"] == "application/problem+json"
    bad = await measurement.get(f"{url}?period=2026-Q1", headers=BUYER)
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["period"]
    assert (await measurement.get(url)).status_code == 401


async def test_migrations_create_the_tables_as_the_code_declares_them(
    measurement: httpx.AsyncClient,
) -> None:
    def differences(conn: Connection, declared: MetaData) -> list[Any]:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_name": lambda name, kind, _parents: (
                    kind != "table" or name in declared.tables
                ),
            },
        )
        return list(compare_metadata(context, declared))

    database = service_of(measurement).runtime.database
    async with database.reader.connect() as conn:
        assert await conn.run_sync(differences, metadata) == []
