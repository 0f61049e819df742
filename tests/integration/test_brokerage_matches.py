"""Matches over HTTP: proposed, accepted by both sides or declined, delivered, and confirmed or
disputed by the VCFSE; only a confirmed delivery emits ``DeliveryConfirmed`` for measurement."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from nats.js.api import DeliverPolicy
from svledger.bus import connect

from tests.conftest import ClientFactory, bearer
from tests.harness import NatsServer, eventually
from tests.integration.test_brokerage_api import (
    ACME,
    AS_ACME,
    AS_BOLT,
    AS_COUNCIL,
    AS_CVS,
    AS_FOOD_BANK,
    AS_STRANGER,
    AS_YOUTH_CLUB,
    BOLT,
    COUNCIL,
    FOOD_BANK,
    Broker,
    directory,
    open_brokerage,
    volunteering,
)


@pytest.fixture
async def broker(service_client: ClientFactory) -> AsyncIterator[Broker]:
    async with open_brokerage(service_client) as opened:
        yield opened


MATCH_CONFIRMED_FIELDS = {
    "match_id",
    "delivery_id",
    "supplier",
    "vcfse",
    "contract_id",
    "obligation_id",
    "measure",
    "quantity",
    "unit",
    "delivered_on",
    "period",
    "confirmed_by",
    "confirmed_on",
}


async def accepted_match(broker: Broker) -> tuple[dict[str, Any], dict[str, Any], str]:
    """Acme, owing NT17 volunteering hours, proposes itself for the food bank's ask, and the
    food bank accepts: the accepted match, the ask, and Acme's obligation id."""
    await directory(broker)
    contract = await broker.awarded(ACME, volunteering("200"), places=["Liverpool"])
    obligation_id = contract.data["obligations"][0]["obligation_id"]
    ask = await broker.ask(quantity="40")
    proposed = await broker.ok("POST", "/matches", AS_ACME, json={"ask_id": ask["ask_id"]})
    accepted = await broker.ok(
        "POST",
        f"/matches/{proposed['match_id']}/acceptance",
        {"If-Match": f'"{proposed["version"]}"', **AS_FOOD_BANK},
    )
    return accepted, ask, obligation_id


async def record(broker: Broker, match: dict[str, Any], quantity: str, on: str) -> dict[str, Any]:
    """Acme records a delivery on the match."""
    return await broker.ok(
        "POST",
        f"/matches/{match['match_id']}/deliveries",
        AS_ACME,
        json={"quantity": quantity, "delivered_on": on, "note": "Saturday sorting shift"},
    )


async def test_a_match_goes_from_proposal_to_a_delivery_confirmed_for_measurement(
    broker: Broker,
) -> None:
    await directory(broker)
    contract = await broker.awarded(ACME, volunteering("200"), places=["Liverpool"])
    obligation_id = contract.data["obligations"][0]["obligation_id"]
    ask = await broker.ask(quantity="40")

    response = await broker.client.post("/matches", headers=AS_ACME, json={"ask_id": ask["ask_id"]})
    assert response.status_code == 201, response.text
    proposed = response.json()
    match_url = f"/matches/{proposed['match_id']}"
    assert response.headers["Location"] == match_url
    # Proposing is accepting, for the side that proposes.
    assert (proposed["status"], proposed["supplier_accepted"], proposed["vcfse_accepted"]) == (
        "proposed",
        True,
        False,
    )
    assert (proposed["supplier"], proposed["vcfse"], proposed["proposed_by"]) == (
        ACME,
        FOOD_BANK,
        ACME,
    )
    assert (proposed["obligation_id"], proposed["buyer"]) == (obligation_id, COUNCIL)
    assert (proposed["measure"], proposed["unit"], proposed["score"]) == ("NT17", "hours", "75")
    assert [r["factor"] for r in proposed["reasons"]] == [
        "measure",
        "place",
        "capacity",
        "shortfall",
        "local_need",
    ]

    accepted = await broker.ok(
        "POST", f"{match_url}/acceptance", {"If-Match": '"2"', **AS_FOOD_BANK}
    )
    assert accepted["status"] == "accepted"
    delivery = await record(broker, accepted, "25", "2026-07-31")
    assert (delivery["status"], delivery["period"], delivery["version"]) == (
        "recorded",
        "2026-27-Q2",
        4,
    )
    confirmed = await broker.ok(
        "POST",
        f"{match_url}/deliveries/{delivery['delivery_id']}/confirmation",
        {"If-Match": '"4"', **AS_FOOD_BANK},
    )

    assert [(d["status"], d["confirmed_by"]) for d in confirmed["deliveries"]] == [
        ("confirmed", FOOD_BANK)
    ]
    [event] = await broker.events("DeliveryConfirmed")
    assert event.stream_id == f"match-{proposed['match_id']}"
    assert event.data == {
        "match_id": proposed["match_id"],
        "delivery_id": delivery["delivery_id"],
        "supplier": ACME,
        "vcfse": FOOD_BANK,
        "contract_id": contract.data["contract_id"],
        "obligation_id": obligation_id,
        "measure": "NT17",
        "quantity": "25",
        "unit": "hours",
        "delivered_on": "2026-07-31",
        "period": "2026-27-Q2",
        "confirmed_by": FOOD_BANK,
        "confirmed_on": "2026-08-03",
    }
    assert event.metadata.actor == "sam@food-bank"
    # The ask fills by what was confirmed.
    filled = await broker.get(f"/asks/{ask['ask_id']}", AS_FOOD_BANK)
    assert (filled["filled"], filled["remaining"], filled["status"]) == (
        "25",
        "15",
        "partly_filled",
    )
    # Each party sees the match: the VCFSE on its board, the supplier and the contract's buyer.
    board = await broker.get("/board", AS_FOOD_BANK)
    assert [m["match_id"] for m in board["matches"]] == [proposed["match_id"]]
    assert [a["filled"] for a in board["asks"]] == ["25"]
    for party in (AS_ACME, AS_COUNCIL):
        assert [m["status"] for m in await broker.get("/matches", party)] == ["accepted"]
    assert await broker.get("/matches", AS_BOLT) == []
    assert (await broker.client.get(match_url, headers=AS_STRANGER)).status_code == 404


async def test_a_disputed_delivery_never_emits_delivery_confirmed(broker: Broker) -> None:
    match, ask, _ = await accepted_match(broker)
    delivery = await record(broker, match, "40", "2026-08-01")
    url = f"/matches/{match['match_id']}/deliveries/{delivery['delivery_id']}"

    disputed = await broker.ok(
        "POST", f"{url}/dispute", AS_FOOD_BANK, json={"reason": "nobody turned up"}
    )
    confirm_after = await broker.client.post(f"{url}/confirmation", headers=AS_FOOD_BANK)
    no_reason = await broker.client.post(f"{url}/dispute", headers=AS_FOOD_BANK, json={})

    assert [(d["status"], d["dispute_reason"]) for d in disputed["deliveries"]] == [
        ("disputed", "nobody turned up")
    ]
    assert confirm_after.status_code == 409
    assert no_reason.status_code == 422
    assert await broker.events("DeliveryConfirmed") == []
    [dispute] = await broker.events("DeliveryDisputed")
    assert {k: dispute.data[k] for k in ("match_id", "delivery_id", "reason")} == {
        "match_id": match["match_id"],
        "delivery_id": delivery["delivery_id"],
        "reason": "nobody turned up",
    }
    assert (await broker.get(f"/asks/{ask['ask_id']}", AS_FOOD_BANK))["filled"] == "0"


async def test_a_vcfse_cannot_confirm_a_delivery_made_to_another_vcfse(broker: Broker) -> None:
    match, _, _ = await accepted_match(broker)
    delivery = await record(broker, match, "10", "2026-08-01")
    url = f"/matches/{match['match_id']}/deliveries/{delivery['delivery_id']}"

    by_other_vcfse = await broker.client.post(f"{url}/confirmation", headers=AS_YOUTH_CLUB)
    by_cvs = await broker.client.post(f"{url}/confirmation", headers=AS_CVS)
    disputed_by_other = await broker.client.post(
        f"{url}/dispute", headers=AS_YOUTH_CLUB, json={"reason": "not true"}
    )
    by_the_supplier = await broker.client.post(
        f"{url}/confirmation", headers=bearer(ACME, "supplier", "vcfse")
    )
    unknown = await broker.client.post(
        f"/matches/{match['match_id']}/deliveries/{uuid.uuid4()}/confirmation",
        headers=AS_FOOD_BANK,
    )

    assert [r.status_code for r in (by_other_vcfse, by_cvs, disputed_by_other)] == [404] * 3
    assert by_the_supplier.status_code == 403
    assert unknown.status_code == 404
    assert await broker.events("DeliveryConfirmed", "DeliveryDisputed") == []


async def test_a_supplier_cannot_accept_a_match_on_another_suppliers_behalf(
    broker: Broker,
) -> None:
    await directory(broker)
    await broker.awarded(ACME, volunteering())
    ask = await broker.ask()
    # The food bank proposes Acme, which has not accepted yet.
    proposed = await broker.ok(
        "POST", "/matches", AS_FOOD_BANK, json={"ask_id": ask["ask_id"], "supplier": ACME}
    )
    url = f"/matches/{proposed['match_id']}"

    by_bolt = await broker.client.post(f"{url}/acceptance", headers=AS_BOLT)
    declined_by_bolt = await broker.client.post(
        f"{url}/decline", headers=AS_BOLT, json={"reason": "not us"}
    )
    by_the_buyer = await broker.client.post(f"{url}/acceptance", headers=AS_COUNCIL)
    read_by_bolt = await broker.client.get(url, headers=AS_BOLT)

    assert [r.status_code for r in (by_bolt, declined_by_bolt, read_by_bolt)] == [404] * 3
    assert by_the_buyer.status_code == 403
    match = await broker.get(url, AS_ACME)
    assert (match["status"], match["supplier_accepted"], match["vcfse_accepted"]) == (
        "proposed",
        False,
        True,
    )
    assert (await broker.ok("POST", f"{url}/acceptance", AS_ACME))["status"] == "accepted"


async def test_a_delivery_waits_for_both_sides_and_for_the_version_read(broker: Broker) -> None:
    await directory(broker)
    await broker.awarded(ACME, volunteering())
    ask = await broker.ask()
    proposed = await broker.ok("POST", "/matches", AS_ACME, json={"ask_id": ask["ask_id"]})
    url = f"/matches/{proposed['match_id']}"
    body = {"quantity": "5", "delivered_on": "2026-08-01"}

    too_soon = await broker.client.post(f"{url}/deliveries", headers=AS_ACME, json=body)
    await broker.ok("POST", f"{url}/acceptance", AS_FOOD_BANK)
    stale = await broker.client.post(
        f"{url}/deliveries", headers={"If-Match": '"2"', **AS_ACME}, json=body
    )
    future = await broker.client.post(
        f"{url}/deliveries", headers=AS_ACME, json=body | {"delivered_on": "2026-08-04"}
    )
    by_the_vcfse = await broker.client.post(f"{url}/deliveries", headers=AS_FOOD_BANK, json=body)
    keyed = {"Idempotency-Key": "delivery-1", "If-Match": '"3"', **AS_ACME}
    first = await broker.client.post(f"{url}/deliveries", headers=keyed, json=body)
    retried = await broker.client.post(f"{url}/deliveries", headers=keyed, json=body)

    assert too_soon.status_code == 409
    assert "both sides accept" in too_soon.json()["detail"]
    assert stale.status_code == 412
    assert future.status_code == 422
    assert future.json()["errors"][0]["field"] == "delivered_on"
    assert by_the_vcfse.status_code == 403
    assert (first.status_code, retried.status_code) == (201, 201)
    assert retried.json() == first.json()
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert first.headers["ETag"] == '"4"'
    assert len(await broker.events("DeliveryRecorded")) == 1


async def test_a_declined_match_says_why_and_frees_the_supplier_to_be_proposed_again(
    broker: Broker,
) -> None:
    await directory(broker)
    await broker.awarded(ACME, volunteering())
    ask = await broker.ask()
    proposed = await broker.ok("POST", "/matches", AS_ACME, json={"ask_id": ask["ask_id"]})
    twice = await broker.client.post("/matches", headers=AS_ACME, json={"ask_id": ask["ask_id"]})

    declined = await broker.ok(
        "POST",
        f"/matches/{proposed['match_id']}/decline",
        AS_FOOD_BANK,
        json={"reason": "we need drivers, not sorters"},
    )
    again = await broker.client.post("/matches", headers=AS_ACME, json={"ask_id": ask["ask_id"]})

    assert twice.status_code == 409
    assert (declined["status"], declined["declined_by"], declined["decline_reason"]) == (
        "declined",
        "vcfse",
        "we need drivers, not sorters",
    )
    assert again.status_code == 201
    statuses = [m["status"] for m in await broker.get("/matches", AS_FOOD_BANK)]
    assert sorted(statuses) == ["declined", "proposed"]
    assert [m["status"] for m in await broker.get("/matches", AS_ACME, status="declined")] == [
        "declined"
    ]


async def test_a_proposal_names_a_supplier_and_offers_and_obligations_of_that_supplier_only(
    broker: Broker,
) -> None:
    await directory(broker)
    theirs = await broker.awarded(BOLT, volunteering())
    ask = await broker.ask()
    offer = await broker.ok(
        "POST",
        "/offers",
        AS_BOLT,
        json={
            "kind": "volunteering",
            "measures": ["NT17"],
            "title": "Volunteer drivers",
            "description": "Two vans on Saturdays.",
        },
    )

    unnamed = await broker.client.post(
        "/matches", headers=AS_FOOD_BANK, json={"ask_id": ask["ask_id"]}
    )
    not_acmes_offer = await broker.client.post(
        "/matches", headers=AS_ACME, json={"ask_id": ask["ask_id"], "offer_id": offer["offer_id"]}
    )
    not_acmes_obligation = await broker.client.post(
        "/matches",
        headers=AS_ACME,
        json={
            "ask_id": ask["ask_id"],
            "obligation_id": theirs.data["obligations"][0]["obligation_id"],
        },
    )
    for_another_supplier = await broker.client.post(
        "/matches", headers=AS_ACME, json={"ask_id": ask["ask_id"], "supplier": BOLT}
    )
    by_offer = await broker.ok(
        "POST",
        "/matches",
        AS_FOOD_BANK,
        json={"ask_id": ask["ask_id"], "offer_id": offer["offer_id"]},
    )

    assert unnamed.status_code == 422
    assert unnamed.json()["errors"][0]["field"] == "supplier"
    assert not_acmes_offer.status_code == 422
    assert not_acmes_offer.json()["errors"][0]["field"] == "offer_id"
    assert not_acmes_obligation.status_code == 422
    assert not_acmes_obligation.json()["errors"][0]["field"] == "obligation_id"
    assert for_another_supplier.status_code == 403
    assert (by_offer["supplier"], by_offer["offer_id"], by_offer["vcfse_accepted"]) == (
        BOLT,
        offer["offer_id"],
        True,
    )
    assert by_offer["obligation_id"] == theirs.data["obligations"][0]["obligation_id"]


async def test_a_cvs_accepts_and_confirms_for_a_group_it_registered(broker: Broker) -> None:
    await directory(broker)
    await broker.register(
        AS_CVS,
        organisation_id="litherland-lunch-club",
        name="Litherland Lunch Club",
        kind="vcfse",
        form="community_group",
        places=["Sefton"],
    )
    await broker.awarded(ACME, volunteering(), places=["Sefton"])
    ask = await broker.ask(AS_CVS, vcfse="litherland-lunch-club", place="Sefton")
    proposed = await broker.ok("POST", "/matches", AS_ACME, json={"ask_id": ask["ask_id"]})
    url = f"/matches/{proposed['match_id']}"

    await broker.ok("POST", f"{url}/acceptance", AS_CVS)
    delivery = await broker.ok(
        "POST", f"{url}/deliveries", AS_ACME, json={"quantity": "6", "delivered_on": "2026-08-02"}
    )
    confirmed = await broker.ok(
        "POST", f"{url}/deliveries/{delivery['delivery_id']}/confirmation", AS_CVS
    )

    assert confirmed["deliveries"][0]["confirmed_by"] == "sefton-cvs"
    [event] = await broker.events("DeliveryConfirmed")
    assert (event.data["vcfse"], event.data["confirmed_by"]) == (
        "litherland-lunch-club",
        "sefton-cvs",
    )
    groups = await broker.get("/cvs/groups", AS_CVS)
    assert [(g["organisation_id"], g["deliveries_confirmed"]) for g in groups] == [
        ("litherland-lunch-club", 1)
    ]
    board = await broker.get("/board", AS_CVS, vcfse="litherland-lunch-club")
    assert [m["match_id"] for m in board["matches"]] == [proposed["match_id"]]
    assert (
        await broker.client.get("/board", headers=AS_CVS, params={"vcfse": FOOD_BANK})
    ).status_code == 404
    assert [m["match_id"] for m in await broker.get("/matches", AS_CVS)] == [proposed["match_id"]]


async def test_delivery_confirmed_is_published_on_the_bus_for_measurement(
    service_client: ClientFactory, nats_server: NatsServer
) -> None:
    async with open_brokerage(service_client, run_relay=True) as broker:
        match, _, _ = await accepted_match(broker)
        delivery = await record(broker, match, "12.5", "2026-06-15")
        await broker.ok(
            "POST",
            f"/matches/{match['match_id']}/deliveries/{delivery['delivery_id']}/confirmation",
            AS_FOOD_BANK,
        )
        nc = await connect(nats_server.url, name="test-measurement")
        try:
            js = nc.jetstream()
            seen: list[dict[str, Any]] = []

            async def on_message(msg: Any) -> None:
                seen.append(json.loads(msg.data))

            subscription = await js.subscribe(
                "svl.brokerage.match.DeliveryConfirmed",
                cb=on_message,
                ordered_consumer=True,
                deliver_policy=DeliverPolicy.ALL,
            )

            async def published() -> list[dict[str, Any]]:
                return [m for m in seen if m["data"]["match_id"] == match["match_id"]]

            [message] = await eventually(published, what="DeliveryConfirmed on the bus")
            await subscription.unsubscribe()
        finally:
            await nc.drain()

    assert message["type"] == "DeliveryConfirmed"
    assert set(message["data"]) == MATCH_CONFIRMED_FIELDS
    assert (message["data"]["quantity"], message["data"]["period"]) == ("12.5", "2026-27-Q1")
