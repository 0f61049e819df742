"""Contract and pledge events from commitments: schedules opened, varied and closed, exactly once;
overdue returns detected by the scheduler, once per contract and period."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from measurement.adapters.read_models import pledge_of
from svledger.clock import FixedClock
from svledger.consumers import Outcome, apply_once

from tests.conftest import ClientFactory
from tests.harness import NatsServer, eventually
from tests.integration.test_measurement_api import (
    BUYER,
    SUPPLIER,
    Commitments,
    commitments_feed,
    envelope,
    obligation_ids,
    quarterly,
    schedule_of,
)
from tests.integration.test_measurement_scenario import FAST_SCHEDULER, move, service_of


@pytest.fixture
async def commitments(nats_server: NatsServer) -> AsyncIterator[Commitments]:
    """Contract events published on the session's nats-server."""
    async with commitments_feed(nats_server.url) as feed:
        yield feed


async def alerts_of(client: Any, contract_id: str, query: str = "") -> list[dict[str, Any]]:
    response = await client.get(f"/alerts?contract_id={contract_id}{query}", headers=BUYER)
    body: list[dict[str, Any]] = response.json()
    return body


async def test_a_contract_that_started_in_the_past_shows_its_overdue_returns_at_once(
    service_client: ClientFactory, commitments: Commitments
) -> None:
    client = await service_client("measurement", clock=FixedClock.at(date(2026, 11, 28)))

    contract = await commitments.award(obligations=[("NT1", "FTE", quarterly("4"))])

    schedule = await schedule_of(client, contract["contract_id"])
    assert [p["status"] for p in schedule["periods"]] == [
        "overdue",
        "overdue",
        "upcoming",
        "upcoming",
    ]
    overdue = await alerts_of(client, contract["contract_id"])
    assert [(a["kind"], a["period"], a["measure"]) for a in overdue] == [
        ("overdue_return", "2026-27-Q1", None),
        ("overdue_return", "2026-27-Q2", None),
    ]


async def test_redelivered_events_raise_no_second_alert(
    service_client: ClientFactory, commitments: Commitments
) -> None:
    client = await service_client("measurement", clock=FixedClock.at(date(2026, 11, 28)))
    service = service_of(client)
    [contracts_consumer, *_] = service.runtime.consumers
    contract = await commitments.award(obligations=[("NT1", "FTE", quarterly("4"))])
    await schedule_of(client, contract["contract_id"])
    [awarded] = commitments.published

    # The same event again: through the consumer runner, and over JetStream once more.
    again = await apply_once(service.store, contracts_consumer, awarded)
    await commitments.republish(awarded)
    marker = await commitments.award(obligations=[("NT1", "FTE", quarterly("4"))])
    await schedule_of(client, marker["contract_id"])

    assert again is Outcome.DUPLICATE
    assert len(await alerts_of(client, contract["contract_id"])) == 2
    events = [e async for e in service.store.read_all()]
    assert sum(e.type == "ScheduleOpened" for e in events) == 2
    assert sum(e.type == "ReturnOverdue" for e in events) == 4


async def test_an_overdue_return_is_raised_once_as_the_clock_passes_the_due_date(
    service_client: ClientFactory, commitments: Commitments
) -> None:
    clock = FixedClock.at(date(2026, 7, 30))
    client = await service_client("measurement", clock=clock, **FAST_SCHEDULER)
    contract = await commitments.award(obligations=[("NT1", "FTE", quarterly("4"))])
    await schedule_of(client, contract["contract_id"])
    service = service_of(client)
    assert await service.check_schedules() == 0  # due today: not overdue yet

    move(clock, date(2026, 7, 31))
    [alert] = await eventually(
        lambda: alerts_of(client, contract["contract_id"]), what="the overdue Q1 return"
    )
    for _ in range(3):
        await service.check_schedules()

    assert (alert["kind"], alert["period"]) == ("overdue_return", "2026-27-Q1")
    assert len(await alerts_of(client, contract["contract_id"])) == 1
    events = [e async for e in service.store.read_all()]
    assert [e.data["period"] for e in events if e.type == "ReturnOverdue"] == ["2026-27-Q1"]
    schedule = await schedule_of(client, contract["contract_id"])
    assert schedule["periods"][0]["status"] == "overdue"


async def test_a_variation_reassesses_and_resolves_its_alert_as_obligation_varied(
    service_client: ClientFactory, commitments: Commitments
) -> None:
    client = await service_client("measurement", clock=FixedClock.at(date(2026, 7, 15)))
    contract = await commitments.award(obligations=[("NT1", "FTE", quarterly("4"))])
    await schedule_of(client, contract["contract_id"])
    [nt1] = obligation_ids(contract)
    submitted = await client.post(
        f"/contracts/{contract['contract_id']}/returns",
        json={"period": "2026-27-Q1", "lines": [{"obligation_id": nt1, "quantity": "2"}]},
        headers=SUPPLIER,
    )
    [alert_id] = submitted.json()["alerts"]

    await commitments.publish(
        f"contract-{contract['contract_id']}",
        "ObligationVaried",
        {
            "contract_id": contract["contract_id"],
            "obligation_id": nt1,
            "targets": {**quarterly("4"), "2026-27-Q1": "2"},
            "previous_targets": quarterly("4"),
            "reason": "Site closed for six weeks",
            "agreed_on": "2026-07-14",
        },
    )

    alert = await eventually(
        lambda: client.get(f"/alerts/{alert_id}", headers=BUYER),
        until=lambda r: r.json()["status"] == "resolved",
        what="the alert to resolve after the variation",
    )
    assert alert.json()["resolution"]["resolution"] == "obligation_varied"
    schedule = await schedule_of(client, contract["contract_id"])
    [obligation] = schedule["obligations"]
    assert obligation["targets"]["2026-27-Q1"] == "2"
    assert (obligation["latest"]["ratio"], obligation["latest"]["status"]) == ("1.0000", "green")


async def test_a_terminated_contract_expects_no_return_for_its_cancelled_periods(
    service_client: ClientFactory, commitments: Commitments
) -> None:
    clock = FixedClock.at(date(2026, 7, 15))
    client = await service_client("measurement", clock=clock)
    contract = await commitments.award(obligations=[("NT1", "FTE", quarterly("4"))])
    await schedule_of(client, contract["contract_id"])
    await commitments.publish(
        f"contract-{contract['contract_id']}",
        "ContractTerminated",
        {
            "contract_id": contract["contract_id"],
            "terminated_on": "2026-09-30",
            "reason": "Supplier entered administration",
            "cancelled_periods": ["2026-27-Q3", "2026-27-Q4"],
        },
    )
    closed = await eventually(
        lambda: schedule_of(client, contract["contract_id"]),
        until=lambda s: s["closed"] == "terminated",
        what="the schedule to close",
    )

    move(clock, date(2027, 6, 1))
    await service_of(client).check_schedules()

    assert [p["status"] for p in closed["periods"]][2:] == ["cancelled", "cancelled"]
    overdue = await alerts_of(client, contract["contract_id"])
    assert sorted(a["period"] for a in overdue) == ["2026-27-Q1", "2026-27-Q2"]
    due = (await client.get("/due", headers=SUPPLIER)).json()
    assert [d["period"] for d in due if d["contract_id"] == contract["contract_id"]] == [
        "2026-27-Q1",
        "2026-27-Q2",
    ]


async def test_a_partner_vcfse_pledge_is_kept_as_last_revised(
    service_client: ClientFactory, commitments: Commitments
) -> None:
    client = await service_client("measurement")
    service = service_of(client)
    pledge = {
        "organisation": "acme-ltd",
        "base_year": "2025-26",
        "baseline": {"NT14": "10000", "NT15": "0", "NT16": "0", "NT17": "120"},
        "targets": {"2026-27": {"NT14": "12000", "NT17": "150"}},
    }
    consumer = service.runtime.consumers[1]
    recorded = envelope("pledge-acme-ltd", 1, "PledgeRecorded", pledge)
    revised = envelope(
        "pledge-acme-ltd", 2, "PledgeRevised", {**pledge, "targets": {"2026-27": {"NT14": "15000"}}}
    )

    outcomes = [await apply_once(service.store, consumer, e) for e in (recorded, revised, recorded)]

    assert outcomes == [Outcome.APPLIED, Outcome.APPLIED, Outcome.DUPLICATE]
    kept = await pledge_of(service.runtime.database, "acme-ltd")
    assert kept is not None
    assert (kept["version"], kept["targets"]) == (2, '{"2026-27": {"NT14": "15000"}}')


async def test_a_pledge_behind_its_pro_rata_target_raises_one_pledge_behind_alert(
    service_client: ClientFactory, commitments: Commitments
) -> None:
    clock = FixedClock.at(date(2026, 7, 15))
    client = await service_client("measurement", clock=clock)
    service = service_of(client)
    contract = await commitments.award(obligations=[("NT14", "GBP", quarterly("3000"))])
    await schedule_of(client, contract["contract_id"])
    await commitments.publish(
        "pledge-acme-ltd",
        "PledgeRecorded",
        {
            "organisation": "acme-ltd",
            "base_year": "2025-26",
            "baseline": {"NT14": "8000", "NT15": "0", "NT16": "0", "NT17": "0"},
            "targets": {"2026-27": {"NT14": "12000"}},
        },
    )
    [nt14] = obligation_ids(contract)
    await client.post(
        f"/contracts/{contract['contract_id']}/returns",
        json={"period": "2026-27-Q1", "lines": [{"obligation_id": nt14, "quantity": "1000"}]},
        headers=SUPPLIER,
    )
    await eventually(
        lambda: pledge_of(service.runtime.database, "acme-ltd"), what="the pledge to arrive"
    )

    move(clock, date(2026, 8, 1))
    await service.check_schedules()
    await service.check_schedules()

    inbox = (await client.get("/alerts?kind=pledge_behind", headers=SUPPLIER)).json()
    assert [(a["measure"], a["period"], a["ratio"], a["contract_id"]) for a in inbox] == [
        ("NT14", "2026-27-Q1", "0.3333", None)
    ]
