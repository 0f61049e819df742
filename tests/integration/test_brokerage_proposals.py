"""Closing the loop: a shortfall alert from measurement makes the brokerage propose VCFSE asks
the supplier could help with, visible to the supplier, the VCFSE and the contract manager."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
from brokerage.bootstrap import Brokerage
from brokerage.consumers import CONSUMERS, READ_MODEL_TABLES
from brokerage.main import create_app
from brokerage.settings import load_settings
from sqlalchemy import func, select
from svledger.bus import connect, subject_for
from svledger.clock import FixedClock
from svledger.consumers import Outcome
from svledger.rebuild import rebuild, reset
from svledger.schema import events

from tests.conftest import ClientFactory, DatabaseFactory, bearer
from tests.harness import NatsServer, eventually
from tests.integration.test_brokerage_api import (
    ACME,
    AS_ACME,
    AS_BOLT,
    AS_COUNCIL,
    AS_FOOD_BANK,
    AS_YOUTH_CLUB,
    BOLT,
    COUNCIL,
    FOOD_BANK,
    Broker,
    ask_body,
    directory,
    food_bank,
    open_brokerage,
    volunteering,
)
from tests.integration.test_brokerage_records import (
    alert_raised,
    contract_awarded,
    obligation,
    recorded,
)


@pytest.fixture
async def broker(service_client: ClientFactory) -> AsyncIterator[Broker]:
    async with open_brokerage(service_client) as opened:
        yield opened


async def asks_for_acme(broker: Broker) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two VCFSE asks counting in NT17, and one in another measure."""
    await directory(broker)
    liverpool = await broker.ask(title="Liverpool food drive")
    sefton = await broker.ask(AS_YOUTH_CLUB, place="Sefton", title="Sefton youth mentoring")
    await broker.ask(measures=["NT15"], kind="expert_business_advice", title="Accounts help")
    return liverpool, sefton


async def test_an_under_delivery_alert_proposes_matches_for_that_supplier(broker: Broker) -> None:
    liverpool, sefton = await asks_for_acme(broker)
    contract = await broker.awarded(ACME, volunteering("200"), places=["Liverpool"])
    alert = alert_raised(contract, ratio="0.25")

    assert await broker.receive("measurement", alert) is Outcome.APPLIED

    proposals = await broker.get("/matches", AS_ACME)
    assert [(m["ask_id"], m["proposed_by"], m["status"]) for m in proposals] == [
        (liverpool["ask_id"], "system", "proposed"),
        (sefton["ask_id"], "system", "proposed"),
    ]
    best = proposals[0]
    assert (best["alert_id"], best["obligation_id"], best["contract_id"]) == (
        alert.data["alert_id"],
        alert.data["obligation_id"],
        contract.data["contract_id"],
    )
    assert (best["supplier"], best["vcfse"], best["buyer"], best["measure"]) == (
        ACME,
        FOOD_BANK,
        COUNCIL,
        "NT17",
    )
    reasons = {r["factor"]: (r["points"], r["detail"]) for r in best["reasons"]}
    assert reasons["shortfall"] == (
        "11.25",
        "behind on NT17 in 2026-27-Q1: delivered 25% of target to date",
    )
    assert reasons["place"] == ("20", "works in Liverpool")
    assert best["score"] == "86.25"
    assert [m["score"] for m in proposals] == ["86.25", "66.25"]
    # The contract manager and each VCFSE see the proposals too; nobody else does.
    assert len(await broker.get("/matches", AS_COUNCIL)) == 2
    assert [m["supplier"] for m in await broker.get("/matches", AS_FOOD_BANK)] == [ACME]
    assert [m["ask_id"] for m in await broker.get("/matches", AS_YOUTH_CLUB)] == [sefton["ask_id"]]
    assert await broker.get("/matches", AS_BOLT) == []
    [referral] = await broker.events("ShortfallReferred")
    assert referral.data["match_ids"] == [m["match_id"] for m in proposals]
    assert referral.metadata.causation_id == str(alert.event_id)
    assert referral.metadata.actor == "brokerage"
    # The shortfall is recorded for the parties as before.
    [shortfall] = await broker.get("/shortfalls", AS_ACME)
    assert (shortfall["alert_id"], shortfall["kind"]) == (alert.data["alert_id"], "under_delivery")


async def test_a_proposal_from_an_alert_goes_on_to_a_confirmed_delivery(broker: Broker) -> None:
    liverpool, _ = await asks_for_acme(broker)
    contract = await broker.awarded(ACME, volunteering("200"), places=["Liverpool"])
    alert = alert_raised(contract, ratio="0.5")
    await broker.receive("measurement", alert)
    [proposal] = [
        m for m in await broker.get("/matches", AS_ACME) if m["ask_id"] == liverpool["ask_id"]
    ]
    url = f"/matches/{proposal['match_id']}"

    await broker.ok("POST", f"{url}/acceptance", AS_ACME)
    await broker.ok("POST", f"{url}/acceptance", AS_FOOD_BANK)
    delivery = await broker.ok(
        "POST", f"{url}/deliveries", AS_ACME, json={"quantity": "30", "delivered_on": "2026-08-01"}
    )
    await broker.ok(
        "POST", f"{url}/deliveries/{delivery['delivery_id']}/confirmation", AS_FOOD_BANK
    )

    [confirmed] = await broker.events("DeliveryConfirmed")
    assert (confirmed.data["obligation_id"], confirmed.data["contract_id"]) == (
        alert.data["obligation_id"],
        contract.data["contract_id"],
    )
    assert (confirmed.data["quantity"], confirmed.data["period"]) == ("30", "2026-27-Q2")


async def test_an_at_risk_alert_proposes_too_but_an_overdue_return_does_not(
    broker: Broker,
) -> None:
    await asks_for_acme(broker)
    acme = await broker.awarded(ACME, volunteering(), places=["Liverpool"])
    bolt = await broker.awarded(BOLT, volunteering(), places=["Liverpool"])

    await broker.receive("measurement", alert_raised(acme, kind="overdue_return", ratio=None))
    await broker.receive("measurement", alert_raised(bolt, kind="at_risk", ratio="0.9"))

    assert await broker.get("/matches", AS_ACME) == []
    at_risk = await broker.get("/matches", AS_BOLT)
    assert len(at_risk) == 2
    assert {r["factor"]: r["detail"] for r in at_risk[0]["reasons"]}["shortfall"] == (
        "at risk on NT17: forecast short of its commitment (2026-27-Q1)"
    )
    assert len(await broker.events("ShortfallReferred")) == 1


async def test_an_alert_proposes_once_however_often_it_is_delivered_or_replayed(
    broker: Broker,
) -> None:
    await asks_for_acme(broker)
    contract = await broker.awarded(ACME, volunteering(), places=["Liverpool"])
    alert = alert_raised(contract)
    await broker.receive("measurement", alert)
    before = await broker.get("/matches", AS_ACME)

    assert await broker.receive("measurement", alert) is Outcome.DUPLICATE
    # A rebuild empties the consumer-fed read models and replays every event from the start.
    await reset(broker.store, CONSUMERS, READ_MODEL_TABLES)
    assert await broker.receive("commitments", contract) is Outcome.APPLIED
    assert await broker.receive("measurement", alert) is Outcome.APPLIED

    assert await broker.get("/matches", AS_ACME) == before
    assert len(await broker.events("MatchProposed")) == 2
    assert len(await broker.events("ShortfallReferred")) == 1
    assert [s["alert_id"] for s in await broker.get("/shortfalls", AS_ACME)] == [
        alert.data["alert_id"]
    ]


async def test_a_later_alert_does_not_propose_asks_already_proposed_and_takes_the_best_few(
    service_client: ClientFactory,
) -> None:
    async with open_brokerage(service_client, proposals_per_alert=1) as broker:
        liverpool, sefton = await asks_for_acme(broker)
        contract = await broker.awarded(ACME, volunteering(), places=["Liverpool"])

        await broker.receive("measurement", alert_raised(contract))
        await broker.receive("measurement", alert_raised(contract, period="2026-27-Q2"))
        third = alert_raised(contract)
        await broker.receive("measurement", third)

        proposals = await broker.get("/matches", AS_ACME)
        assert sorted(m["ask_id"] for m in proposals) == sorted(
            [liverpool["ask_id"], sefton["ask_id"]]
        )
        [first, second, none] = await broker.events("ShortfallReferred")
        assert [len(r.data["match_ids"]) for r in (first, second, none)] == [1, 1, 0]


async def test_no_proposals_for_an_ended_contract_or_an_alert_too_old(broker: Broker) -> None:
    await asks_for_acme(broker)
    ended = await broker.awarded(ACME, volunteering(), places=["Liverpool"])
    terminated = recorded(
        ended.stream_id, 2, "ContractTerminated", {"contract_id": ended.data["contract_id"]}
    )
    completed_elsewhere = await broker.awarded(BOLT, volunteering(), places=["Liverpool"])
    completed = recorded(
        completed_elsewhere.stream_id,
        2,
        "ContractCompleted",
        {"contract_id": completed_elsewhere.data["contract_id"], "completed_on": "2026-08-01"},
    )
    assert await broker.receive("commitments", terminated) is Outcome.APPLIED
    assert await broker.receive("commitments", completed) is Outcome.APPLIED
    calm = await broker.awarded("calm-ltd", volunteering(), places=["Liverpool"])

    await broker.receive("measurement", alert_raised(ended))
    await broker.receive("measurement", alert_raised(completed_elsewhere))
    await broker.receive("measurement", alert_raised(calm, raised_on="2026-03-01"))

    for supplier in (ACME, BOLT, "calm-ltd"):
        assert await broker.get("/matches", bearer(supplier, "supplier")) == []
    assert await broker.events("ShortfallReferred") == []
    # An ended contract's obligations are no longer offered asks either.
    ask = (await broker.get("/asks", AS_FOOD_BANK, place="Liverpool", measure="NT17"))[0]
    suggested = await broker.get(f"/asks/{ask['ask_id']}/suggestions", AS_FOOD_BANK)
    assert [s["supplier"] for s in suggested] == ["calm-ltd"]


async def test_a_resolved_alert_no_longer_weighs_in_matching(broker: Broker) -> None:
    await asks_for_acme(broker)
    contract = await broker.awarded(ACME, volunteering(), places=["Liverpool"])
    alert = alert_raised(contract, ratio="0.5")
    await broker.receive("measurement", alert)
    ask = (await broker.get("/asks", AS_FOOD_BANK, place="Liverpool", measure="NT17"))[0]

    def shortfall_points(suggestions: list[dict[str, Any]]) -> list[str]:
        return [
            r["points"] for s in suggestions for r in s["reasons"] if r["factor"] == "shortfall"
        ]

    url = f"/asks/{ask['ask_id']}/suggestions"
    assert shortfall_points(await broker.get(url, AS_FOOD_BANK)) == ["7.5"]
    resolved = recorded(
        alert.stream_id,
        2,
        "AlertResolved",
        {
            "alert_id": alert.data["alert_id"],
            "resolution": "recovered",
            "resolved_on": "2026-08-02",
        },
    )
    assert await broker.receive("measurement", resolved) is Outcome.APPLIED

    assert shortfall_points(await broker.get(url, AS_FOOD_BANK)) == ["0"]
    [shortfall] = await broker.get("/shortfalls", AS_COUNCIL)
    assert shortfall["resolved_on"] == "2026-08-02"


async def test_an_alert_on_the_bus_reaches_the_supplier_as_proposals(
    service_client: ClientFactory, nats_server: NatsServer
) -> None:
    # Organisations of this test only: the session's NATS server outlives each test.
    suffix = uuid.uuid4().hex[:8]
    buyer, supplier, vcfse = f"council-{suffix}", f"supplier-{suffix}", f"vcfse-{suffix}"
    async with open_brokerage(service_client, date(2026, 8, 3), run_consumers=True) as broker:
        await broker.register(bearer(vcfse, "vcfse"), **food_bank())
        ask = await broker.ok("POST", "/asks", bearer(vcfse, "vcfse"), json=ask_body())
        contract = contract_awarded(
            obligation("NT17", "120", unit="hours"), buyer=buyer, supplier=supplier
        )
        alert = alert_raised(contract, ratio="0.4")
        nc = await connect(nats_server.url, name="test-publisher")
        try:
            js = nc.jetstream()
            for service, event in (("commitments", contract), ("measurement", alert)):
                await js.publish(
                    subject_for(service, event),
                    json.dumps(event.as_json()).encode(),
                    headers={"Nats-Msg-Id": str(event.event_id)},
                )
        finally:
            await nc.drain()

        async def proposals() -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = await broker.get("/matches", bearer(supplier, "supplier"))
            return found

        [proposal] = await eventually(proposals, what="the alert to propose a match")
        seen_by_buyer = await broker.get("/matches", bearer(buyer, "buyer"))

    assert (proposal["ask_id"], proposal["vcfse"], proposal["proposed_by"]) == (
        ask["ask_id"],
        vcfse,
        "system",
    )
    assert proposal["alert_id"] == alert.data["alert_id"]
    assert [m["match_id"] for m in seen_by_buyer] == [proposal["match_id"]]


async def test_a_rebuild_from_jetstream_restores_shortfalls_and_proposes_nothing_again(
    make_database: DatabaseFactory, fresh_nats: NatsServer
) -> None:
    settings = load_settings(
        database_url=await make_database("brokerage"),
        nats_url=fresh_nats.url,
        environment="test",
        run_relay=False,
        run_consumers=False,
    )
    app = create_app(settings, FixedClock.at(date(2026, 8, 3)))
    service: Brokerage = app.state.service
    contract = contract_awarded(volunteering(), buyer=COUNCIL, supplier=ACME)
    alert = alert_raised(contract, ratio="0.5")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            registered = await client.post("/organisations", headers=AS_FOOD_BANK, json=food_bank())
            assert registered.is_success
            assert (await client.post("/asks", headers=AS_FOOD_BANK, json=ask_body())).is_success
            nc = await connect(fresh_nats.url, name="test-rebuild")
            try:
                js = nc.jetstream()
                for producer, event in (("commitments", contract), ("measurement", alert)):
                    await js.publish(
                        subject_for(producer, event),
                        json.dumps(event.as_json()).encode(),
                        headers={"Nats-Msg-Id": str(event.event_id)},
                    )
                consumers = service.runtime.consumers
                first = await rebuild(service.store, js, consumers, READ_MODEL_TABLES)
                proposed = (await client.get("/matches", headers=AS_ACME)).json()
                again = await rebuild(service.store, js, consumers, READ_MODEL_TABLES)
            finally:
                await nc.drain()
            after = (await client.get("/matches", headers=AS_ACME)).json()
            shortfalls = (await client.get("/shortfalls", headers=AS_ACME)).json()
            owed = (await client.get("/obligations", headers=AS_ACME)).json()

    assert (first.events_applied, again.events_applied) == (2, 2)
    assert [m["proposed_by"] for m in proposed] == ["system"]
    assert after == proposed
    assert [s["alert_id"] for s in shortfalls] == [alert.data["alert_id"]]
    assert [o["measure"] for o in owed] == ["NT17"]
    async with service.database.reader.connect() as conn:
        counted = await conn.execute(
            select(func.count()).select_from(events).where(events.c.type == "MatchProposed")
        )
        assert counted.scalar_one() == 1
