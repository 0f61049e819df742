"""Four quarters of one contract, three obligations, mixed delivery, the clock moving on.

Every RAG state, and every alert raised, escalated, acknowledged, resolved by hand and resolved
by itself, is asserted by name; then every event the service recorded is checked against its
catalogue.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any, cast

import httpx
import pytest
from measurement.bootstrap import Measurement
from measurement.domain.catalogue import mismatches
from svledger.clock import FixedClock

from tests.conftest import ClientFactory
from tests.harness import NatsServer, eventually
from tests.integration.test_measurement_api import (
    BUYER,
    SUPPLIER,
    Commitments,
    commitments_feed,
    obligation_ids,
    quarterly,
    schedule_of,
)

FAST_SCHEDULER = {"scheduler_interval_s": 0.05, "escalate_after_days": 7}


@pytest.fixture
async def commitments(nats_server: NatsServer) -> AsyncIterator[Commitments]:
    """Contract events published on the session's nats-server."""
    async with commitments_feed(nats_server.url) as feed:
        yield feed


def service_of(client: httpx.AsyncClient) -> Measurement:
    """The wired service behind an in-process client."""
    transport = cast(httpx.ASGITransport, client._transport)
    app: Any = transport.app
    return cast(Measurement, app.state.service)


def move(clock: FixedClock, day: date) -> None:
    """Set the service's clock to midday on ``day``."""
    clock.now = datetime(day.year, day.month, day.day, 12, tzinfo=clock.now.tzinfo)


class Contract:
    """The scenario's contract, seen through the measurement API."""

    def __init__(self, client: httpx.AsyncClient, contract: dict[str, Any]) -> None:
        self.client = client
        self.id = contract["contract_id"]
        self.nt1, self.nt10, self.nt17 = obligation_ids(contract)

    async def submit(self, period: str, nt1: str, nt10: str, nt17: str) -> dict[str, Any]:
        lines = [
            {"obligation_id": ob, "quantity": q}
            for ob, q in ((self.nt1, nt1), (self.nt10, nt10), (self.nt17, nt17))
        ]
        response = await self.client.post(
            f"/contracts/{self.id}/returns",
            json={"period": period, "lines": lines},
            headers=SUPPLIER,
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def alert(self, alert_id: str) -> dict[str, Any]:
        body: dict[str, Any] = (await self.client.get(f"/alerts/{alert_id}", headers=BUYER)).json()
        return body

    async def inbox(self, query: str = "") -> list[dict[str, Any]]:
        response = await self.client.get(f"/alerts?contract_id={self.id}{query}", headers=BUYER)
        body: list[dict[str, Any]] = response.json()
        return body

    async def level_of(self, alert_id: str, level: int) -> None:
        await eventually(
            lambda: self.alert(alert_id),
            until=lambda a: a["level"] == level,
            what=f"alert {alert_id} to reach level {level}",
        )


def by_measure(receipt: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {a["measure"]: (a["status"], a["alert_kind"] or "") for a in receipt["assessments"]}


async def test_four_quarters_of_mixed_delivery_raise_escalate_and_resolve_alerts(
    service_client: ClientFactory, commitments: Commitments
) -> None:
    clock = FixedClock.at(date(2026, 7, 10))
    client = await service_client("measurement", clock=clock, **FAST_SCHEDULER)
    awarded = await commitments.award(
        obligations=[
            ("NT1", "FTE", quarterly("4")),
            ("NT10", "weeks", quarterly("10")),
            ("NT17", "hours", quarterly("25")),
        ]
    )
    await schedule_of(client, awarded["contract_id"])
    contract = Contract(client, awarded)

    # Q1: NT1 half delivered (red), NT10 90% (amber), NT17 96% (green, but at risk).
    q1 = await contract.submit("2026-27-Q1", nt1="2", nt10="9", nt17="24")
    assert by_measure(q1) == {
        "NT1": ("red", "under_delivery"),
        "NT10": ("amber", "under_delivery"),
        "NT17": ("green", "at_risk"),
    }
    nt1_short, nt10_short, nt17_risk = q1["alerts"]
    raised = {
        a["alert_id"]: (a["kind"], a["severity"], a["measure"]) for a in await contract.inbox()
    }
    assert raised == {
        nt1_short: ("under_delivery", "high", "NT1"),
        nt10_short: ("under_delivery", "medium", "NT10"),
        nt17_risk: ("at_risk", "low", "NT17"),
    }
    acknowledged = await client.post(
        f"/alerts/{nt1_short}/acknowledgement", json={"note": "Calling them"}, headers=BUYER
    )
    assert acknowledged.json()["status"] == "acknowledged"
    assert (await client.post(f"/contracts/{contract.id}/returns/2026-27-Q1/acceptance",
                              headers=BUYER)).status_code == 200  # fmt: skip

    # A week on, nobody has acknowledged NT10's or NT17's alerts: head of procurement.
    move(clock, date(2026, 7, 17))
    await contract.level_of(nt10_short, 2)
    await contract.level_of(nt17_risk, 2)
    # Another week: the board.
    move(clock, date(2026, 7, 24))
    await contract.level_of(nt10_short, 3)
    await contract.level_of(nt17_risk, 3)
    nt10_alert = await contract.alert(nt10_short)
    assert [h["escalated_to"] for h in nt10_alert["history"] if h["type"] == "AlertEscalated"] == [
        "head_of_procurement",
        "board",
    ]
    assert (await contract.alert(nt1_short))["level"] == 1  # acknowledged: never escalated

    # Q2: NT1 catches up (green again), NT17 back on course, NT10 still amber.
    move(clock, date(2026, 10, 10))
    q2 = await contract.submit("2026-27-Q2", nt1="6", nt10="9", nt17="26")
    assert by_measure(q2) == {
        "NT1": ("green", ""),
        "NT10": ("amber", "under_delivery"),
        "NT17": ("green", ""),
    }
    [nt10_q2_short] = q2["alerts"]
    assert sorted(q2["resolved_alerts"]) == sorted([nt1_short, nt17_risk])
    for alert_id in (nt1_short, nt17_risk):
        alert = await contract.alert(alert_id)
        assert (alert["status"], alert["resolution"]["resolution"]) == ("resolved", "recovered")
        assert alert["resolution"]["automatic"] is True

    # The contract manager agrees a remediation plan for NT10's second shortfall.
    await client.post(f"/alerts/{nt10_q2_short}/acknowledgement", json={}, headers=BUYER)
    waived_without_reason = await client.post(
        f"/alerts/{nt10_q2_short}/resolution", json={"resolution": "waived"}, headers=BUYER
    )
    assert waived_without_reason.status_code == 422
    planned = await client.post(
        f"/alerts/{nt10_q2_short}/resolution",
        json={
            "resolution": "remediation_plan_agreed",
            "plan": "Two extra apprentices from January",
            "agreed_on": "2026-10-20",
        },
        headers=BUYER,
    )
    assert planned.json()["resolution"]["plan"] == "Two extra apprentices from January"

    # Q3: NT10 recovers; its first alert, still open at board level, resolves itself.
    move(clock, date(2027, 1, 10))
    q3 = await contract.submit("2026-27-Q3", nt1="4", nt10="12", nt17="25")
    assert by_measure(q3) == {"NT1": ("green", ""), "NT10": ("green", ""), "NT17": ("green", "")}
    assert q3["resolved_alerts"] == [nt10_short]
    await client.post(
        f"/contracts/{contract.id}/returns/2026-27-Q3/queries",
        json={"comment": "Please attach the apprenticeship records"},
        headers=BUYER,
    )

    # Q4 is not in by its due date (30 April): overdue, once, however often the scheduler runs.
    move(clock, date(2027, 5, 1))
    overdue = await eventually(
        lambda: contract.inbox("&kind=overdue_return"), what="the overdue Q4 return"
    )
    await service_of(client).check_schedules()
    assert [(a["period"], a["obligation_id"]) for a in await contract.inbox("&kind=overdue_return")
            ] == [("2026-27-Q4", None)]  # fmt: skip

    move(clock, date(2027, 5, 5))
    q4 = await contract.submit("2026-27-Q4", nt1="4", nt10="10", nt17="25")
    assert q4["late"] is True
    assert q4["resolved_alerts"] == [overdue[0]["alert_id"]]

    schedule = (await client.get(f"/contracts/{contract.id}/schedule", headers=BUYER)).json()
    assert [p["status"] for p in schedule["periods"]] == [
        "accepted",
        "submitted",
        "queried",
        "late",
    ]
    everything = {a["alert_id"]: a for a in await contract.inbox()}
    assert {k: (a["status"], a["resolution"], a["level"]) for k, a in everything.items()} == {
        nt1_short: ("resolved", "recovered", 1),
        nt10_short: ("resolved", "recovered", 3),
        nt17_risk: ("resolved", "recovered", 3),
        nt10_q2_short: ("resolved", "remediation_plan_agreed", 1),
        overdue[0]["alert_id"]: ("resolved", "recovered", 1),
    }
    assert await contract.inbox("&status=open") == []

    recorded = [e async for e in service_of(client).store.read_all()]
    assert {e.type for e in recorded} >= {
        "ScheduleOpened",
        "ReturnSubmitted",
        "ReturnAccepted",
        "ReturnQueried",
        "ReturnOverdue",
        "ObligationAssessed",
        "AlertRaised",
        "AlertAcknowledged",
        "AlertEscalated",
        "AlertResolved",
    }
    assert [p for e in recorded for p in mismatches(e.type, e.data)] == []
    overdue_events = [e for e in recorded if e.type == "ReturnOverdue"]
    assert [e.data["period"] for e in overdue_events] == ["2026-27-Q4"]
