"""Escalating an alert by hand: the contract manager moves it up a level, saying why; the
alert shows every escalation, by hand or automatic, with who and why."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
from measurement.domain.alert import Alert
from svledger.clock import FixedClock
from svledger.envelope import Metadata, NewEvent

from tests.conftest import ClientFactory
from tests.harness import NatsServer
from tests.integration.test_measurement_api import (
    BUYER,
    OTHER_BUYER,
    SUPPLIER,
    Commitments,
    commitments_feed,
    obligation_ids,
    quarterly,
    schedule_of,
)
from tests.integration.test_measurement_scenario import move, service_of

QUIET = {"run_scheduler": False, "run_webhooks": False}


@pytest.fixture
async def commitments(nats_server: NatsServer) -> AsyncIterator[Commitments]:
    """Contract events published on the session's nats-server."""
    async with commitments_feed(nats_server.url) as feed:
        yield feed


async def shortfall(
    service_client: ClientFactory, commitments: Commitments, clock: FixedClock
) -> tuple[httpx.AsyncClient, str]:
    """A measurement service and the under-delivery alert a short Q1 return raised."""
    client = await service_client("measurement", clock=clock, **QUIET)
    contract = await commitments.award(obligations=[("NT1", "FTE", quarterly("4"))])
    await schedule_of(client, contract["contract_id"])
    [nt1] = obligation_ids(contract)
    submitted = await client.post(
        f"/contracts/{contract['contract_id']}/returns",
        json={"period": "2026-27-Q1", "lines": [{"obligation_id": nt1, "quantity": "2"}]},
        headers=SUPPLIER,
    )
    [alert_id] = submitted.json()["alerts"]
    return client, alert_id


async def escalate(
    client: httpx.AsyncClient, alert_id: str, reason: Any, **headers: str
) -> httpx.Response:
    return await client.post(
        f"/alerts/{alert_id}/escalation", json={"reason": reason}, headers={**BUYER, **headers}
    )


async def test_the_contract_manager_escalates_an_alert_to_the_board_saying_why(
    service_client: ClientFactory, commitments: Commitments
) -> None:
    client, alert_id = await shortfall(
        service_client, commitments, FixedClock.at(date(2026, 7, 15))
    )
    read = await client.get(f"/alerts/{alert_id}", headers=BUYER)

    first = await escalate(
        client, alert_id, "Supplier has missed two meetings", **{"If-Match": read.headers["ETag"]}
    )
    second = await escalate(client, alert_id, "  Still no recovery plan  ")
    beyond = await escalate(client, alert_id, "Anyone above the board?")

    assert first.status_code == 200, first.text
    assert (first.json()["level"], first.json()["escalated_to"]) == (2, "head_of_procurement")
    assert first.headers["ETag"] == '"2"'
    assert second.json()["level"] == 3
    assert [
        (e["from_level"], e["level"], e["escalated_to"], e["escalated_on"], e["by"],
         e["automatic"], e["reason"])
        for e in second.json()["escalations"]
    ] == [
        (1, 2, "head_of_procurement", "2026-07-15", "cm@council-a", False,
         "Supplier has missed two meetings"),
        (2, 3, "board", "2026-07-15", "cm@council-a", False, "Still no recovery plan"),
    ]  # fmt: skip
    assert beyond.status_code == 409
    assert beyond.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in beyond.json()["errors"]] == ["level"]
    alert = (await client.get(f"/alerts/{alert_id}", headers=SUPPLIER)).json()
    assert (alert["level"], alert["escalated_to"], len(alert["escalations"])) == (3, "board", 2)
    assert [h["reason"] for h in alert["history"] if h["type"] == "AlertEscalated"] == [
        "Supplier has missed two meetings",
        "Still no recovery plan",
    ]
    inbox = (await client.get("/alerts?level=3", headers=BUYER)).json()
    assert [a["alert_id"] for a in inbox] == [alert_id]


async def test_escalation_is_refused_when_resolved_stale_or_without_a_reason(
    service_client: ClientFactory, commitments: Commitments
) -> None:
    client, alert_id = await shortfall(
        service_client, commitments, FixedClock.at(date(2026, 7, 15))
    )
    stale = (await client.get(f"/alerts/{alert_id}", headers=BUYER)).headers["ETag"]
    await client.post(f"/alerts/{alert_id}/acknowledgement", json={}, headers=BUYER)

    refusals = {
        "stale": await escalate(client, alert_id, "Why not", **{"If-Match": stale}),
        "no reason": await client.post(f"/alerts/{alert_id}/escalation", json={}, headers=BUYER),
        "blank": await escalate(client, alert_id, "   "),
        "too long": await escalate(client, alert_id, "x" * 2_001),
        "not text": await escalate(client, alert_id, 42),
        "unknown field": await client.post(
            f"/alerts/{alert_id}/escalation",
            json={"reason": "Late again", "level": 3},
            headers=BUYER,
        ),
    }
    acknowledged_still_escalates = await escalate(client, alert_id, "Acknowledged, still late")
    await client.post(
        f"/alerts/{alert_id}/resolution", json={"resolution": "waived", "reason": "Agreed"},
        headers=BUYER,
    )  # fmt: skip
    resolved = await escalate(client, alert_id, "Too late now")

    assert {what: r.status_code for what, r in refusals.items()} == {
        "stale": 412,
        "no reason": 422,
        "blank": 422,
        "too long": 422,
        "not text": 422,
        "unknown field": 422,
    }
    for what in ("no reason", "blank", "too long", "not text"):
        assert [e["field"] for e in refusals[what].json()["errors"]] == ["reason"], what
    assert acknowledged_still_escalates.status_code == 200
    assert acknowledged_still_escalates.json()["status"] == "acknowledged"
    assert resolved.status_code == 409
    assert [e["field"] for e in resolved.json()["errors"]] == ["status"]
    alert = (await client.get(f"/alerts/{alert_id}", headers=BUYER)).json()
    assert [e["reason"] for e in alert["escalations"]] == ["Acknowledged, still late"]


async def test_only_the_contracts_buyer_escalates_its_alerts(
    service_client: ClientFactory, commitments: Commitments
) -> None:
    client, alert_id = await shortfall(
        service_client, commitments, FixedClock.at(date(2026, 7, 15))
    )

    as_supplier = await client.post(
        f"/alerts/{alert_id}/escalation", json={"reason": "Escalate me"}, headers=SUPPLIER
    )
    as_other_buyer = await client.post(
        f"/alerts/{alert_id}/escalation", json={"reason": "Not mine"}, headers=OTHER_BUYER
    )
    unknown = await escalate(client, str(uuid.uuid4()), "No such alert")
    anonymous = await client.post(f"/alerts/{alert_id}/escalation", json={"reason": "Who?"})

    assert (as_supplier.status_code, as_other_buyer.status_code) == (403, 404)
    assert (unknown.status_code, anonymous.status_code) == (404, 401)
    alert = (await client.get(f"/alerts/{alert_id}", headers=BUYER)).json()
    assert (alert["level"], alert["escalations"]) == (1, [])


async def test_automatic_and_manual_escalations_read_alike_and_old_events_stay_readable(
    service_client: ClientFactory, commitments: Commitments
) -> None:
    clock = FixedClock.at(date(2026, 7, 15))
    client, alert_id = await shortfall(service_client, commitments, clock)
    service = service_of(client)

    move(clock, date(2026, 7, 22))
    assert await service.check_schedules() >= 1
    by_hand = await escalate(client, alert_id, "Board must know before the budget meeting")
    assert by_hand.status_code == 200, by_hand.text

    assert [
        (e["level"], e["escalated_on"], e["by"], e["automatic"], e["reason"])
        for e in by_hand.json()["escalations"]
    ] == [
        (2, "2026-07-22", "automatic", True, "not acknowledged within 7 days"),
        (3, "2026-07-22", "cm@council-a", False, "Board must know before the budget meeting"),
    ]
    # An AlertEscalated recorded before escalation by hand existed has no by, automatic or
    # reason: it reads as the scheduler's.
    old = await _alert_with_an_escalation_in_its_first_shape(service.store)
    read = await client.get(f"/alerts/{old}", headers=BUYER)
    assert read.status_code == 200, read.text
    [escalation] = read.json()["escalations"]
    assert (escalation["by"], escalation["automatic"], escalation["reason"]) == (
        "automatic",
        True,
        "",
    )


async def _alert_with_an_escalation_in_its_first_shape(store: Any) -> str:
    alert_id = str(uuid.uuid4())
    base = {"alert_id": alert_id, "contract_id": None}
    raised = {
        **base,
        "obligation_id": None,
        "measure": "NT14",
        "period": "2026-27-Q1",
        "kind": "pledge_behind",
        "severity": "medium",
        "buyer": "council-a",
        "supplier": "council-a",
        "ratio": "0.5",
        "raised_on": "2026-07-01",
        "level": 1,
        "escalated_to": "contract_manager",
        "detail": "",
    }
    escalated = {
        **base,
        "from_level": 1,
        "level": 2,
        "escalated_to": "head_of_procurement",
        "escalated_on": "2026-07-08",
    }
    async with store.transaction() as tx:
        await tx.append(
            Alert.stream_id(alert_id),
            0,
            [NewEvent("AlertRaised", raised), NewEvent("AlertEscalated", escalated)],
            Metadata(actor="measurement-escalation"),
        )
    return alert_id
