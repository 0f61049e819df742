"""The brokerage over HTTP: the directory, local needs, asks, offers, and explainable matching.

Also the harness every brokerage API test uses (:func:`open_brokerage`): the service in-process
on a fixed clock, with contract and alert events handed to its consumers exactly as the runner
applies them; afterwards every event it recorded is checked against its catalogue.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

import httpx
import pytest
from brokerage.bootstrap import Brokerage
from brokerage.domain.catalogue import problems_with
from fastapi import FastAPI
from sqlalchemy import select
from svledger.clock import FixedClock
from svledger.consumers import Outcome, apply_once
from svledger.envelope import EventEnvelope
from svledger.eventstore import EventStore
from svledger.schema import events

from tests.conftest import ClientFactory, bearer
from tests.integration.test_brokerage_records import alert_raised, contract_awarded, obligation

TODAY = date(2026, 8, 3)

FOOD_BANK = "food-bank"
YOUTH_CLUB = "youth-club"
CVS = "sefton-cvs"
ACME = "acme-ltd"
BOLT = "bolt-ltd"
COUNCIL = "council-a"

AS_FOOD_BANK = bearer(FOOD_BANK, "vcfse", subject="sam@food-bank")
AS_YOUTH_CLUB = bearer(YOUTH_CLUB, "vcfse", subject="jo@youth-club")
AS_CVS = bearer(CVS, "cvs", subject="pat@sefton-cvs")
AS_ACME = bearer(ACME, "supplier", subject="csr@acme")
AS_BOLT = bearer(BOLT, "supplier", subject="csr@bolt")
AS_COUNCIL = bearer(COUNCIL, "buyer", subject="cm@council-a")
AS_STRANGER = bearer("council-b", "buyer")
AS_AUDITOR = bearer("audit-office", "auditor")

CONSUMER_FOR = {"commitments": "brokerage-contracts", "measurement": "brokerage-alerts"}


@dataclass
class Broker:
    """The brokerage under test: an HTTP client, its clock, and its app."""

    client: httpx.AsyncClient
    clock: FixedClock
    app: FastAPI

    @property
    def service(self) -> Brokerage:
        """The wired service."""
        service: Brokerage = self.app.state.service
        return service

    @property
    def store(self) -> EventStore:
        """The service's event store."""
        return self.service.store

    async def events(self, *types: str) -> list[EventEnvelope]:
        """Every event the service recorded (of ``types``, if given), in the order appended.

        Read stream by stream rather than in commit order: the commit-order reader waits for
        every older transaction on the PostgreSQL server, other tests' included.
        """
        async with self.store.database.reader.connect() as conn:
            streams = (await conn.execute(select(events.c.stream_id).distinct())).scalars()
        recorded = [e for stream in list(streams) for e in await self.store.load(stream)]
        return sorted(
            (e for e in recorded if not types or e.type in types), key=lambda e: e.position
        )

    async def receive(self, service: str, event: EventEnvelope) -> Outcome:
        """Hand another service's event to the consumer of its stream, as the runner would."""
        [consumer] = [c for c in self.service.runtime.consumers if c.name == CONSUMER_FOR[service]]
        return await apply_once(self.store, consumer, event)

    async def ok(
        self, method: str, url: str, headers: dict[str, str], **kwargs: Any
    ) -> dict[str, Any]:
        """A request that must succeed; its JSON body."""
        response = await self.client.request(method, url, headers=headers, **kwargs)
        assert response.status_code in (200, 201), response.text
        body: dict[str, Any] = response.json()
        return body

    async def get(self, url: str, headers: dict[str, str], **params: Any) -> Any:
        """A GET that must succeed; its JSON body."""
        response = await self.client.get(url, headers=headers, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    async def register(self, headers: dict[str, str], **profile: Any) -> dict[str, Any]:
        """Put an organisation in the directory."""
        return await self.ok("POST", "/organisations", headers, json=profile)

    async def ask(self, headers: dict[str, str] = AS_FOOD_BANK, **overrides: Any) -> dict[str, Any]:
        """Post an ask (volunteering hours in Liverpool, unless overridden)."""
        return await self.ok("POST", "/asks", headers, json=ask_body(**overrides))

    async def awarded(
        self, supplier: str, *obligations: dict[str, Any], places: list[str] | None = None
    ) -> EventEnvelope:
        """A contract of the council's, awarded to ``supplier``, received by the brokerage."""
        contract = contract_awarded(*obligations, buyer=COUNCIL, supplier=supplier)
        if places is not None:
            contract.data["places"] = places
        assert await self.receive("commitments", contract) is Outcome.APPLIED
        return contract


@asynccontextmanager
async def open_brokerage(
    service_client: ClientFactory, today: date = TODAY, **settings: Any
) -> AsyncIterator[Broker]:
    """The service on a clock standing at ``today``, consumers fed by the test; afterwards,
    every event it recorded is checked against the catalogue."""
    clock = FixedClock.at(today)
    settings = {"run_consumers": False, "run_relay": False} | settings
    client = await service_client("brokerage", clock=clock, **settings)
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    broker = Broker(client, clock, cast(FastAPI, transport.app))
    yield broker
    problems = [
        f"{e.stream_id} v{e.stream_version}: {p}"
        for e in await broker.events()
        for p in problems_with(e.type, e.schema_version, e.stream_id, e.data)
    ]
    assert problems == [], "events that do not match the catalogue:\n" + "\n".join(problems)


@pytest.fixture
async def broker(service_client: ClientFactory) -> AsyncIterator[Broker]:
    async with open_brokerage(service_client) as opened:
        yield opened


def food_bank(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "North Liverpool Food Bank",
        "kind": "vcfse",
        "form": "registered_charity",
        "charity_number": "1123456",
        "places": ["Liverpool", "Sefton"],
        "outcomes": ["Resilient communities", "Food poverty reduced"],
        "contacts": [{"name": "Sam Rivers", "email": "sam@food-bank.org", "role": "coordinator"}],
    } | overrides


def ask_body(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "volunteering",
        "measures": ["NT17"],
        "quantity": "100",
        "unit": "hours",
        "place": "Liverpool",
        "needed_by": "2026-12-01",
        "title": "Volunteers for the winter food drive",
        "description": "Sorting and delivering food parcels through December.",
    } | overrides


def volunteering(total: str = "200", **overrides: Any) -> dict[str, Any]:
    """An NT17 obligation: volunteering hours."""
    return obligation(
        "NT17", total, theme="Social", outcome="Resilient communities", unit="hours", **overrides
    )


async def directory(broker: Broker) -> None:
    """The food bank, the youth club, the CVS and the two suppliers, registered."""
    await broker.register(AS_FOOD_BANK, **food_bank())
    await broker.register(
        AS_YOUTH_CLUB,
        **food_bank(name="Bootle Youth Club", form="cic", charity_number=None,
                    company_number="12345678", places=["Sefton"]),
    )  # fmt: skip
    await broker.register(AS_CVS, name="Sefton CVS", kind="cvs", places=["Sefton"])
    await broker.register(AS_ACME, name="Acme Ltd", kind="supplier", places=["Liverpool"])
    await broker.register(AS_BOLT, name="Bolt Ltd", kind="supplier", places=["Wirral"])


# -- the directory --------------------------------------------------------------------------


async def test_an_organisation_joins_the_directory_and_is_found_by_kind_place_and_outcome(
    broker: Broker,
) -> None:
    response = await broker.client.post("/organisations", headers=AS_FOOD_BANK, json=food_bank())

    assert response.status_code == 201, response.text
    assert response.headers["Location"] == "/organisations/food-bank"
    assert response.headers["ETag"] == '"1"'
    entry = response.json()
    assert (entry["organisation_id"], entry["kind"], entry["form"]) == (
        FOOD_BANK,
        "vcfse",
        "registered_charity",
    )
    assert (entry["registered_by"], entry["registered_on"]) == (FOOD_BANK, "2026-08-03")
    await directory_without_food_bank(broker)

    def ids(found: list[dict[str, Any]]) -> list[str]:
        return [o["organisation_id"] for o in found]

    assert ids(await broker.get("/organisations", AS_ACME, kind="vcfse")) == [
        YOUTH_CLUB,
        FOOD_BANK,
    ]
    assert ids(await broker.get("/organisations", AS_ACME, place="Sefton")) == [
        YOUTH_CLUB,
        FOOD_BANK,
        CVS,
    ]
    assert ids(await broker.get("/organisations", AS_AUDITOR, outcome="food poverty REDUCED")) == [
        FOOD_BANK
    ]
    assert ids(await broker.get("/organisations", AS_ACME, kind="supplier", limit=1)) == [ACME]
    assert (await broker.client.get("/organisations")).status_code == 401


async def directory_without_food_bank(broker: Broker) -> None:
    await broker.register(
        AS_YOUTH_CLUB,
        **food_bank(name="Bootle Youth Club", form="cic", charity_number=None,
                    company_number="12345678", places=["Sefton"],
                    outcomes=["Young people thrive"]),
    )  # fmt: skip
    await broker.register(AS_CVS, name="Sefton CVS", kind="cvs", places=["Sefton"])
    await broker.register(AS_ACME, name="Acme Ltd", kind="supplier", places=["Liverpool"])
    await broker.register(AS_BOLT, name="Bolt Ltd", kind="supplier")


async def test_a_cvs_registers_a_group_without_staff_vouches_for_it_and_sees_it_among_its_groups(
    broker: Broker,
) -> None:
    await broker.register(AS_CVS, name="Sefton CVS", kind="cvs", places=["Sefton"])
    group = await broker.register(
        AS_CVS,
        organisation_id="bootle-allotments",
        name="Bootle Allotment Friends",
        kind="vcfse",
        form="community_group",
        places=["Sefton"],
        outcomes=["Greener neighbourhoods"],
    )
    await broker.register(AS_FOOD_BANK, **food_bank())
    vouched = await broker.ok(
        "POST",
        "/organisations/food-bank/vouches",
        {"If-Match": '"1"', **AS_CVS},
        json={"note": "known to us for years"},
    )

    assert group["registered_by"] == CVS
    assert [v["cvs"] for v in group["vouched_by"]] == [CVS]
    assert vouched["vouched_by"] == [
        {"cvs": CVS, "note": "known to us for years", "vouched_on": "2026-08-03"}
    ]
    assert vouched["version"] == 2
    groups = await broker.get("/cvs/groups", AS_CVS)
    assert [(g["organisation_id"], g["registered_by_you"]) for g in groups] == [
        ("bootle-allotments", True),
        (FOOD_BANK, False),
    ]
    assert (await broker.client.get("/cvs/groups", headers=AS_FOOD_BANK)).status_code == 403
    # The CVS speaks for the group it registered: it posts the group's ask.
    posted = await broker.ask(AS_CVS, vcfse="bootle-allotments", place="Sefton")
    assert (posted["vcfse"], posted["posted_by"]) == ("bootle-allotments", CVS)
    assert posted["outcomes"] == ["Greener neighbourhoods"]
    # ...but not for a group that registered itself.
    theirs = await broker.client.post("/asks", headers=AS_CVS, json=ask_body(vcfse=FOOD_BANK))
    assert theirs.status_code == 403


async def test_contacts_are_shown_only_to_the_organisation_and_the_cvs_vouching_for_it(
    broker: Broker,
) -> None:
    await broker.register(AS_CVS, name="Sefton CVS", kind="cvs", places=["Sefton"])
    await broker.register(AS_FOOD_BANK, **food_bank())
    await broker.ok("POST", "/organisations/food-bank/vouches", AS_CVS, json={})

    def contacts(entry: dict[str, Any]) -> list[str] | None:
        return None if entry["contacts"] is None else [c["name"] for c in entry["contacts"]]

    assert contacts(await broker.get("/organisations/food-bank", AS_FOOD_BANK)) == ["Sam Rivers"]
    assert contacts(await broker.get("/organisations/food-bank", AS_CVS)) == ["Sam Rivers"]
    assert contacts(await broker.get("/organisations/food-bank", AS_ACME)) is None
    missing = await broker.client.get("/organisations/nobody", headers=AS_ACME)
    assert missing.status_code == 404


async def test_registering_names_every_wrong_field_and_needs_the_matching_role(
    broker: Broker,
) -> None:
    wrong = await broker.client.post(
        "/organisations",
        headers=AS_FOOD_BANK,
        json=food_bank(charity_number=None, places=["Atlantis"], outcomes=["a", "A"]),
    )
    as_vcfse = await broker.client.post("/organisations", headers=AS_ACME, json=food_bank())
    for_another = await broker.client.post(
        "/organisations", headers=AS_FOOD_BANK, json=food_bank(organisation_id="someone-else")
    )
    as_auditor = await broker.client.post(
        "/organisations", headers=AS_AUDITOR, json=food_bank(kind="buyer", form=None)
    )
    cvs_unregistered = await broker.client.post(
        "/organisations", headers=AS_CVS, json=food_bank(organisation_id="a-group")
    )
    await broker.register(AS_FOOD_BANK, **food_bank())
    again = await broker.client.post("/organisations", headers=AS_FOOD_BANK, json=food_bank())

    assert wrong.status_code == 422
    assert wrong.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in wrong.json()["errors"]} == {
        "charity_number",
        "places.0",
        "outcomes",
    }
    assert [r.status_code for r in (as_vcfse, for_another, as_auditor)] == [403, 403, 403]
    assert cvs_unregistered.status_code == 409
    assert again.status_code == 409
    assert len(await broker.events("OrganisationRegistered")) == 1


async def test_registering_again_with_the_same_idempotency_key_replays_the_first_response(
    broker: Broker,
) -> None:
    key = {"Idempotency-Key": "register-food-bank-1", **AS_FOOD_BANK}
    first = await broker.client.post("/organisations", headers=key, json=food_bank())
    replay = await broker.client.post("/organisations", headers=key, json=food_bank())
    reused = await broker.client.post(
        "/organisations", headers=key, json=food_bank(name="Another name")
    )

    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert reused.status_code == 409
    assert len(await broker.events("OrganisationRegistered")) == 1


# -- asks -----------------------------------------------------------------------------------


async def test_a_vcfse_posts_an_ask_and_anyone_signed_in_finds_it_by_place_measure_kind_status(
    broker: Broker,
) -> None:
    await directory(broker)
    response = await broker.client.post("/asks", headers=AS_FOOD_BANK, json=ask_body())
    advice = await broker.ask(
        AS_YOUTH_CLUB,
        kind="expert_business_advice",
        measures=[],
        quantity="10",
        place="Sefton",
        needed_by="2026-10-01",
        title="Help with our accounts",
        outcomes=["Stronger local VCFSE"],
    )

    assert response.status_code == 201, response.text
    ask = response.json()
    assert response.headers["Location"] == f"/asks/{ask['ask_id']}"
    assert response.headers["ETag"] == '"1"'
    assert {k: ask[k] for k in ("vcfse", "posted_by", "kind", "measures", "quantity")} == {
        "vcfse": FOOD_BANK,
        "posted_by": FOOD_BANK,
        "kind": "volunteering",
        "measures": ["NT17"],
        "quantity": "100",
    }
    assert (ask["filled"], ask["remaining"], ask["status"]) == ("0", "100", "open")
    # Without outcomes, the ask serves those its VCFSE registered.
    assert ask["outcomes"] == ["Resilient communities", "Food poverty reduced"]
    assert advice["measures"] == ["NT15"]

    async def found(**params: Any) -> list[str]:
        return [a["title"] for a in await broker.get("/asks", AS_ACME, **params)]

    assert await found() == ["Help with our accounts", "Volunteers for the winter food drive"]
    assert await found(place="Liverpool") == ["Volunteers for the winter food drive"]
    assert await found(measure="NT15") == ["Help with our accounts"]
    assert await found(kind="volunteering", status="open") == [
        "Volunteers for the winter food drive"
    ]
    assert await found(status="closed") == []
    read = await broker.client.get(f"/asks/{ask['ask_id']}", headers=AS_COUNCIL)
    assert (read.status_code, read.headers["ETag"]) == (200, '"1"')


async def test_an_ask_changes_only_from_the_version_read_and_then_closes(broker: Broker) -> None:
    await directory(broker)
    ask = await broker.ask()
    url = f"/asks/{ask['ask_id']}"

    changed = await broker.client.patch(
        url, headers={"If-Match": '"1"', **AS_FOOD_BANK}, json={"quantity": "150"}
    )
    stale = await broker.client.patch(
        url, headers={"If-Match": '"1"', **AS_FOOD_BANK}, json={"place": "Sefton"}
    )
    nothing = await broker.client.patch(url, headers=AS_FOOD_BANK, json={})
    closed = await broker.client.post(
        f"{url}/closure",
        headers={"If-Match": '"2"', **AS_FOOD_BANK},
        json={"reason": "no_longer_needed", "note": "the drive was cancelled"},
    )
    after = await broker.client.patch(url, headers=AS_FOOD_BANK, json={"quantity": "10"})

    assert changed.status_code == 200, changed.text
    assert (changed.json()["quantity"], changed.json()["place"]) == ("150", "Liverpool")
    assert changed.headers["ETag"] == '"2"'
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 2
    assert nothing.status_code == 422
    assert closed.status_code == 200
    assert (closed.json()["status"], closed.json()["close_reason"]) == (
        "closed",
        "no_longer_needed",
    )
    assert after.status_code == 409
    assert [a["status"] for a in await broker.get("/asks", AS_ACME)] == ["closed"]


async def test_a_null_term_in_a_change_leaves_that_term_as_it_was(broker: Broker) -> None:
    await directory(broker)
    ask = await broker.ask()

    changed = await broker.client.patch(
        f"/asks/{ask['ask_id']}",
        headers=AS_FOOD_BANK,
        json={"kind": None, "quantity": None, "title": "Volunteers for the spring food drive"},
    )

    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["title"] == "Volunteers for the spring food drive"
    assert (body["kind"], body["quantity"]) == (ask["kind"], ask["quantity"])


async def test_another_organisations_ask_cannot_be_changed_or_closed(broker: Broker) -> None:
    await directory(broker)
    ask = await broker.ask()
    url = f"/asks/{ask['ask_id']}"

    by_other_vcfse = await broker.client.patch(url, headers=AS_YOUTH_CLUB, json={"quantity": "1"})
    by_cvs = await broker.client.post(
        f"{url}/closure", headers=AS_CVS, json={"reason": "withdrawn"}
    )
    by_supplier = await broker.client.patch(url, headers=AS_ACME, json={"quantity": "1"})

    assert [r.status_code for r in (by_other_vcfse, by_cvs)] == [404, 404]
    assert by_supplier.status_code == 403
    assert (await broker.get(url, AS_FOOD_BANK))["quantity"] == "100"


async def test_posting_an_ask_needs_a_vcfse_in_the_directory(broker: Broker) -> None:
    unregistered = await broker.client.post("/asks", headers=AS_FOOD_BANK, json=ask_body())
    await broker.register(AS_FOOD_BANK, **food_bank())
    invalid = await broker.client.post(
        "/asks",
        headers=AS_FOOD_BANK,
        json=ask_body(place="Atlantis", needed_by="2026-08-01", measures=["NT17", "NT17"]),
    )

    assert unregistered.status_code == 409
    assert invalid.status_code == 422
    assert {e["field"] for e in invalid.json()["errors"]} == {"place", "needed_by", "measures"}


# -- offers ---------------------------------------------------------------------------------


async def test_a_supplier_offers_support_tied_only_to_one_of_its_own_obligations(
    broker: Broker,
) -> None:
    await directory(broker)
    contract = await broker.awarded(ACME, volunteering())
    theirs = await broker.awarded(BOLT, volunteering())
    owed = contract.data["obligations"][0]["obligation_id"]
    offer = {
        "kind": "volunteering",
        "measures": ["NT17"],
        "title": "Staff volunteering days",
        "description": "Teams of six, one day a month.",
        "quantity": "60",
        "unit": "hours",
        "obligation_id": owed,
    }

    posted = await broker.client.post("/offers", headers=AS_ACME, json=offer)
    not_owed = await broker.client.post(
        "/offers",
        headers=AS_ACME,
        json=offer | {"obligation_id": theirs.data["obligations"][0]["obligation_id"]},
    )
    as_vcfse = await broker.client.post("/offers", headers=AS_FOOD_BANK, json=offer)

    assert posted.status_code == 201, posted.text
    body = posted.json()
    # Without places, where the supplier registered; the contract comes with the obligation.
    assert (body["places"], body["contract_id"]) == (["Liverpool"], contract.data["contract_id"])
    assert not_owed.status_code == 422
    assert not_owed.json()["errors"][0]["field"] == "obligation_id"
    assert as_vcfse.status_code == 403
    url = f"/offers/{body['offer_id']}/withdrawal"
    assert (await broker.client.post(url, headers=AS_BOLT, json={})).status_code == 404
    withdrawn = await broker.ok("POST", url, AS_ACME, json={"reason": "team reassigned"})
    assert withdrawn["status"] == "withdrawn"
    assert await broker.get("/offers", AS_FOOD_BANK) == []
    assert [o["offer_id"] for o in await broker.get("/offers", AS_FOOD_BANK, status="withdrawn")]


# -- local needs ----------------------------------------------------------------------------


async def test_local_needs_are_published_and_replaced_from_the_version_read(broker: Broker) -> None:
    needs = {
        "title": "Liverpool local needs 2026",
        "needs": [
            {"place": "Liverpool", "outcome": "Food poverty reduced", "priority": "high"},
            {"place": "Sefton", "outcome": "Young people thrive", "priority": "medium"},
        ],
    }

    first = await broker.client.post("/local-needs", headers=AS_COUNCIL, json=needs)
    replaced = await broker.client.post(
        "/local-needs",
        headers={"If-Match": '"1"', **AS_COUNCIL},
        json=needs | {"needs": needs["needs"][:1]},
    )
    stale = await broker.client.post(
        "/local-needs", headers={"If-Match": '"1"', **AS_COUNCIL}, json=needs
    )
    by_cvs = await broker.client.post(
        "/local-needs",
        headers=AS_CVS,
        json={"title": "Sefton", "needs": [{"place": "Sefton", "outcome": "Isolation",
                                            "priority": "low"}]},
    )  # fmt: skip
    by_supplier = await broker.client.post("/local-needs", headers=AS_ACME, json=needs)

    assert first.status_code == 201, first.text
    assert first.headers["Location"] == f"/local-needs/{COUNCIL}"
    assert replaced.status_code == 201
    assert replaced.json()["version"] == 2
    assert stale.status_code == 412
    assert by_cvs.status_code == 201
    assert by_supplier.status_code == 403
    listed = await broker.get("/local-needs", AS_ACME)
    assert [(n["publisher"], n["place"], n["priority"]) for n in listed] == [
        (COUNCIL, "Liverpool", "high"),
        (CVS, "Sefton", "low"),
    ]
    assert await broker.get("/local-needs", AS_ACME, place="Sefton", priority="high") == []
    analysis = await broker.client.get(f"/local-needs/{COUNCIL}", headers=AS_FOOD_BANK)
    assert (analysis.headers["ETag"], len(analysis.json()["needs"])) == ('"2"', 1)


# -- matching -------------------------------------------------------------------------------


async def test_suppliers_for_an_ask_are_ranked_by_fit_and_shortfall_with_their_reasons(
    broker: Broker,
) -> None:
    await directory(broker)
    ask = await broker.ask(measures=["NT17", "NT29"], quantity="100")
    # Acme owes both measures; Bolt owes one but is far behind on it; Calm owes one, on track.
    await broker.awarded(ACME, volunteering("200"), obligation("NT29", "50", unit="hours"))
    bolt = await broker.awarded(BOLT, volunteering("200"))
    await broker.receive("measurement", alert_raised(bolt, ratio="0.1"))
    await broker.awarded("calm-ltd", volunteering("200"))

    suggestions = await broker.get(f"/asks/{ask['ask_id']}/suggestions", AS_FOOD_BANK)

    # Bolt works elsewhere, but is so far behind that it ranks above Calm.
    assert [(s["supplier"], s["score"]) for s in suggestions] == [
        (ACME, "75"),
        (BOLT, "48.5"),
        ("calm-ltd", "45"),
    ]
    acme, bolt_, calm = suggestions
    assert {r["factor"]: r["detail"] for r in acme["reasons"]} == {
        "measure": "fits 2 of the ask's 2 measures (NT17, NT29): owes NT17, NT29 under a contract",
        "place": "works in Liverpool",
        "capacity": "owes or offers 250 hours against 100 still needed",
        "shortfall": "not behind on these measures",
        "local_need": "no published need in Liverpool for it",
    }
    assert {r["factor"]: r["points"] for r in bolt_["reasons"]} == {
        "measure": "20",
        "place": "0",
        "capacity": "15",
        "shortfall": "13.5",
        "local_need": "0",
    }
    assert calm["measures"] == ["NT17"]
    assert {r["factor"]: r["detail"] for r in calm["reasons"]}["place"] == (
        "has not said where it works; Liverpool may fit"
    )


async def test_a_larger_shortfall_lifts_a_supplier_above_an_otherwise_equal_one(
    broker: Broker,
) -> None:
    await broker.register(AS_FOOD_BANK, **food_bank())
    ask = await broker.ask()
    acme = await broker.awarded(ACME, volunteering(), places=["Liverpool"])
    bolt = await broker.awarded(BOLT, volunteering(), places=["Liverpool"])
    await broker.receive("measurement", alert_raised(acme, ratio="0.8"))
    await broker.receive("measurement", alert_raised(bolt, ratio="0.2", kind="at_risk"))

    suggestions = await broker.get(f"/asks/{ask['ask_id']}/suggestions", AS_FOOD_BANK)

    assert [(s["supplier"], s["score"]) for s in suggestions] == [(BOLT, "87"), (ACME, "78")]
    shortfall = [next(r for r in s["reasons"] if r["factor"] == "shortfall") for s in suggestions]
    assert shortfall == [
        {
            "factor": "shortfall",
            "points": "12",
            "detail": "at risk on NT17: forecast short of its commitment (2026-27-Q1)",
        },
        {
            "factor": "shortfall",
            "points": "3",
            "detail": "behind on NT17 in 2026-27-Q1: delivered 80% of target to date",
        },
    ]


async def test_suggestions_for_another_organisations_ask_are_not_found(broker: Broker) -> None:
    await directory(broker)
    ask = await broker.ask()
    url = f"/asks/{ask['ask_id']}/suggestions"

    assert (await broker.client.get(url, headers=AS_YOUTH_CLUB)).status_code == 404
    assert (await broker.client.get(url, headers=AS_CVS)).status_code == 404
    assert (await broker.client.get(url, headers=AS_ACME)).status_code == 403


async def test_a_supplier_sees_the_asks_that_fit_it_best_first_weighted_by_local_need(
    broker: Broker,
) -> None:
    await directory(broker)
    await broker.awarded(ACME, volunteering(), places=["Liverpool", "Sefton"])
    in_liverpool = await broker.ask(title="Liverpool drive", outcomes=["Food poverty reduced"])
    in_sefton = await broker.ask(
        AS_YOUTH_CLUB, place="Sefton", title="Sefton drive", outcomes=["Young people thrive"]
    )
    await broker.ask(measures=["NT1"], title="Not owed")
    await broker.ok(
        "POST",
        "/local-needs",
        AS_COUNCIL,
        json={
            "title": "Needs",
            "needs": [
                {"place": "Sefton", "outcome": "young people thrive", "priority": "high"},
                {"place": "Liverpool", "outcome": "Food poverty reduced", "priority": "low"},
            ],
        },
    )

    found = await broker.get("/opportunities", AS_ACME)

    assert [o["ask"]["title"] for o in found] == ["Sefton drive", "Liverpool drive"]
    assert [o["ask"]["ask_id"] for o in found] == [in_sefton["ask_id"], in_liverpool["ask_id"]]
    sefton = {r["factor"]: (r["points"], r["detail"]) for r in found[0]["reasons"]}
    assert sefton["local_need"] == (
        "10",
        f"high need in Sefton for 'young people thrive' (published by {COUNCIL})",
    )
    assert sefton["place"] == ("20", "works in Sefton")
    assert [o["score"] for o in found] == ["85", "78"]
    assert found[0]["obligation_id"] is not None
    assert await broker.get("/opportunities", AS_BOLT) == []
    assert (await broker.client.get("/opportunities", headers=AS_FOOD_BANK)).status_code == 403
