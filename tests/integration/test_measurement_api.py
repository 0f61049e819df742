"""Quarterly returns over HTTP: measurement learns contracts from the bus and assesses returns.

Contract events are published on the real JetStream as commitments would publish them, so
these tests do not depend on the commitments service's state of work. The helpers here are
shared by the other ``test_measurement_*`` modules.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from nats.aio.client import Client as NATS
from svledger.bus import connect
from svledger.clock import FixedClock
from svledger.envelope import EventEnvelope, Metadata

from tests.conftest import ClientFactory, bearer
from tests.harness import NatsServer, eventually

BUYER = bearer("council-a", "buyer", subject="cm@council-a")
SUPPLIER = bearer("acme-ltd", "supplier", subject="finance@acme")
OTHER_SUPPLIER = bearer("other-ltd", "supplier")
OTHER_BUYER = bearer("council-b", "buyer")


def envelope(stream_id: str, version: int, event_type: str, data: dict[str, Any]) -> EventEnvelope:
    """An event as the commitments service records and publishes it."""
    return EventEnvelope(
        event_id=uuid.uuid4(),
        stream_id=stream_id,
        stream_version=version,
        type=event_type,
        schema_version=1,
        data=data,
        metadata=Metadata(actor="cm@council-a", organisation="council-a"),
        recorded_at=datetime.now(UTC),
    )


def awarded_data(
    *,
    obligations: list[tuple[str, str, dict[str, str]]],
    starts_on: str = "2026-04-01",
    ends_on: str = "2027-03-31",
    buyer: str = "council-a",
    supplier: str = "acme-ltd",
    return_due_days: int = 30,
) -> dict[str, Any]:
    """``ContractAwarded`` data: obligations as (measure, unit, targets by period)."""
    return {
        "contract_id": str(uuid.uuid4()),
        "reference": "CW-2026-002",
        "title": "Facilities management",
        "buyer": buyer,
        "supplier": supplier,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "value_gbp": "1000000.00",
        "return_due_days": return_due_days,
        "framework_version": "cm-toms-2024",
        "obligations": [
            {
                "obligation_id": str(uuid.uuid4()),
                "measure": measure,
                "theme": "Jobs",
                "outcome": "More local people in employment",
                "unit": unit,
                "description": "",
                "is_kpi": True,
                "targets": targets,
                "total": str(sum(int(v) for v in targets.values())),
            }
            for measure, unit, targets in obligations
        ],
    }


def quarterly(target: str, year: int = 2026) -> dict[str, str]:
    """The same target in each quarter of a financial year."""
    return {f"{year}-{(year + 1) % 100:02d}-Q{n}": target for n in range(1, 5)}


@dataclass
class Commitments:
    """Publishes contract events on JetStream, numbering each contract's stream versions."""

    nc: NATS
    versions: dict[str, int] = field(default_factory=dict)
    published: list[EventEnvelope] = field(default_factory=list)

    async def publish(self, stream_id: str, event_type: str, data: dict[str, Any]) -> EventEnvelope:
        """Record the next version of ``stream_id`` and publish it."""
        version = self.versions.get(stream_id, 0) + 1
        self.versions[stream_id] = version
        event = envelope(stream_id, version, event_type, data)
        await self.republish(event)
        self.published.append(event)
        return event

    async def republish(self, event: EventEnvelope) -> None:
        """Publish an already recorded event again (a relay that restarted, say)."""
        aggregate = event.stream_id.split("-", 1)[0]
        await self.nc.jetstream().publish(
            f"svl.commitments.{aggregate}.{event.type}",
            json.dumps(event.as_json()).encode(),
            headers={"Nats-Msg-Id": f"{event.event_id}-{uuid.uuid4()}"},
        )

    async def award(self, **terms: Any) -> dict[str, Any]:
        """A ``ContractAwarded`` event; returns its data."""
        data = awarded_data(**terms)
        await self.publish(f"contract-{data['contract_id']}", "ContractAwarded", data)
        return data


@contextlib.asynccontextmanager
async def commitments_feed(nats_url: str) -> AsyncIterator[Commitments]:
    """A stand-in for the commitments service's relay."""
    nc = await connect(nats_url, name="test-commitments")
    try:
        yield Commitments(nc)
    finally:
        await nc.drain()


@pytest.fixture
async def commitments(nats_server: NatsServer) -> AsyncIterator[Commitments]:
    """Contract events published on the session's nats-server."""
    async with commitments_feed(nats_server.url) as feed:
        yield feed


async def schedule_of(
    measurement: httpx.AsyncClient, contract_id: str, headers: dict[str, str] = SUPPLIER
) -> dict[str, Any]:
    """The contract's schedule, once measurement has learnt of the contract."""

    async def read() -> httpx.Response:
        return await measurement.get(f"/contracts/{contract_id}/schedule", headers=headers)

    found = await eventually(
        read, until=lambda r: r.status_code == 200, what="measurement to learn the contract"
    )
    body: dict[str, Any] = found.json()
    return body


async def contract_with_schedule(
    service_client: ClientFactory,
    commitments: Commitments,
    today: date,
    **settings: Any,
) -> tuple[httpx.AsyncClient, dict[str, Any]]:
    """A measurement service at ``today`` that has opened the schedule of a new contract."""
    measurement = await service_client("measurement", clock=FixedClock.at(today), **settings)
    contract = await commitments.award(
        obligations=[("NT1", "FTE", quarterly("4")), ("NT10", "weeks", quarterly("10"))]
    )
    await schedule_of(measurement, contract["contract_id"])
    return measurement, contract


def obligation_ids(contract: dict[str, Any]) -> list[str]:
    """The contract's obligation ids, in order."""
    return [ob["obligation_id"] for ob in contract["obligations"]]


async def test_a_return_is_assessed_against_each_obligation_and_shortfalls_alerted(
    service_client: ClientFactory, commitments: Commitments
) -> None:
    measurement, contract = await contract_with_schedule(
        service_client, commitments, date(2026, 7, 15)
    )
    nt1, nt10 = obligation_ids(contract)
    body = {
        "period": "2026-27-Q1",
        "narrative": "Two local hires in June.",
        "lines": [
            {"obligation_id": nt1, "quantity": "2", "places": ["Wirral"], "beneficiaries": 2},
            {"obligation_id": nt10, "quantity": "10"},
        ],
    }

    receipt = await measurement.post(
        f"/contracts/{contract['contract_id']}/returns", json=body, headers=SUPPLIER
    )

    assert receipt.status_code == 201, receipt.text
    result = receipt.json()
    assert result["late"] is False
    by_measure = {a["measure"]: a for a in result["assessments"]}
    assert (by_measure["NT1"]["ratio"], by_measure["NT1"]["status"]) == ("0.5000", "red")
    assert (by_measure["NT10"]["ratio"], by_measure["NT10"]["status"]) == ("1.0000", "green")
    [alert_id] = result["alerts"]
    alert = (await measurement.get(f"/alerts/{alert_id}", headers=BUYER)).json()
    assert (alert["kind"], alert["severity"], alert["status"]) == ("under_delivery", "high", "open")
    assert alert["measure"] == "NT1"

    schedule = (
        await measurement.get(f"/contracts/{contract['contract_id']}/schedule", headers=BUYER)
    ).json()
    assert [p["status"] for p in schedule["periods"]] == [
        "submitted",
        "upcoming",
        "upcoming",
        "upcoming",
    ]


async def test_a_second_return_for_a_period_conflicts_and_changes_nothing(
    service_client: ClientFactory, commitments: Commitments
) -> None:
    measurement, contract = await contract_with_schedule(
        service_client, commitments, date(2026, 8, 15)
    )
    url = f"/contracts/{contract['contract_id']}/returns"
    line = {"obligation_id": obligation_ids(contract)[0], "quantity": "4"}
    body = {"period": "2026-27-Q1", "lines": [line]}

    first = await measurement.post(url, json=body, headers=SUPPLIER)
    second = await measurement.post(url, json=body, headers=SUPPLIER)

    assert first.status_code == 201
    assert first.json()["late"] is True
    assert second.status_code == 409
    assert second.headers["content-type"] == "application/problem+json"


async def test_a_supplier_cannot_submit_or_read_returns_for_another_suppliers_contract(
    service_client: ClientFactory, commitments: Commitments
) -> None:
    measurement, contract = await contract_with_schedule(
        service_client, commitments, date(2026, 7, 15)
    )
    line = {"obligation_id": obligation_ids(contract)[0], "quantity": "4"}
    base = f"/contracts/{contract['contract_id']}"
    body = {"period": "2026-27-Q1", "lines": [line]}
    assert (await measurement.post(f"{base}/returns", json=body, headers=SUPPLIER)).is_success

    submit = await measurement.post(f"{base}/returns", json=body, headers=OTHER_SUPPLIER)
    amend = await measurement.put(
        f"{base}/returns/2026-27-Q1", json={"lines": [line]}, headers=OTHER_SUPPLIER
    )
    read_schedule = await measurement.get(f"{base}/schedule", headers=OTHER_SUPPLIER)
    read_return = await measurement.get(f"{base}/returns/2026-27-Q1", headers=OTHER_SUPPLIER)
    as_buyer = await measurement.post(f"{base}/returns", json=body, headers=BUYER)

    assert [r.status_code for r in (submit, amend, read_schedule, read_return)] == [404] * 4
    assert as_buyer.status_code == 403


async def test_a_bad_line_is_refused_naming_it(
    service_client: ClientFactory, commitments: Commitments
) -> None:
    measurement, contract = await contract_with_schedule(
        service_client, commitments, date(2026, 7, 15)
    )
    body = {
        "period": "2026-27-Q1",
        "lines": [{"obligation_id": obligation_ids(contract)[0], "quantity": "x"}],
    }

    response = await measurement.post(
        f"/contracts/{contract['contract_id']}/returns", json=body, headers=SUPPLIER
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "lines.0.quantity"


async def test_the_same_idempotency_key_and_body_returns_the_same_receipt_once(
    service_client: ClientFactory, commitments: Commitments
) -> None:
    measurement, contract = await contract_with_schedule(
        service_client, commitments, date(2026, 7, 15)
    )
    url = f"/contracts/{contract['contract_id']}/returns"
    nt1, _ = obligation_ids(contract)
    body = {"period": "2026-27-Q1", "lines": [{"obligation_id": nt1, "quantity": "2"}]}
    key = {"Idempotency-Key": "acme-2026-27-Q1-return"}

    first = await measurement.post(url, json=body, headers={**SUPPLIER, **key})
    again = await measurement.post(url, json=body, headers={**SUPPLIER, **key})
    changed = {**body, "lines": [{"obligation_id": nt1, "quantity": "3"}]}
    reused = await measurement.post(url, json=changed, headers={**SUPPLIER, **key})

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["ETag"] == first.headers["ETag"]
    assert reused.status_code == 409
    assert reused.json()["errors"][0]["field"] == "Idempotency-Key"
    stored = (await measurement.get(f"{url}/2026-27-Q1", headers=SUPPLIER)).json()
    assert (stored["version"], stored["lines"][0]["quantity"]) == (1, "2")


async def test_a_return_is_queried_amended_accepted_then_only_corrected_with_history(
    service_client: ClientFactory, commitments: Commitments
) -> None:
    measurement, contract = await contract_with_schedule(
        service_client, commitments, date(2026, 7, 15)
    )
    base = f"/contracts/{contract['contract_id']}/returns"
    nt1, nt10 = obligation_ids(contract)
    submitted = await measurement.post(
        base,
        json={"period": "2026-27-Q1", "lines": [{"obligation_id": nt1, "quantity": "2"}]},
        headers=SUPPLIER,
    )
    [alert_id] = submitted.json()["alerts"]
    url = f"{base}/2026-27-Q1"

    queried = await measurement.post(
        f"{url}/queries", json={"comment": "Where is NT10?"}, headers=BUYER
    )
    amended = await measurement.put(
        url,
        json={
            "narrative": "Added the apprenticeship weeks; two more hires counted.",
            "lines": [
                {"obligation_id": nt1, "quantity": "4"},
                {"obligation_id": nt10, "quantity": "10"},
            ],
        },
        headers={**SUPPLIER, "If-Match": queried.headers["ETag"]},
    )
    accepted = await measurement.post(f"{url}/acceptance", headers=BUYER)
    amend_after = await measurement.put(
        url, json={"lines": [{"obligation_id": nt1, "quantity": "5"}]}, headers=SUPPLIER
    )
    no_reason = await measurement.post(
        f"{url}/corrections", json={"lines": [{"obligation_id": nt1, "quantity": "5"}]},
        headers=SUPPLIER,
    )  # fmt: skip
    corrected = await measurement.post(
        f"{url}/corrections",
        json={"reason": "Payroll found a fifth hire", "lines": [
            {"obligation_id": nt1, "quantity": "5"}, {"obligation_id": nt10, "quantity": "10"}
        ]},
        headers=SUPPLIER,
    )  # fmt: skip

    assert queried.json()["status"] == "queried"
    assert amended.status_code == 200, amended.text
    assert amended.json()["version"] == 2
    assert amended.json()["resolved_alerts"] == [alert_id]
    assert accepted.json()["status"] == "accepted"
    assert (amend_after.status_code, no_reason.status_code) == (409, 422)
    assert corrected.status_code == 200, corrected.text
    final = (await measurement.get(url, headers=BUYER)).json()
    assert (final["status"], final["version"], final["lines"][0]["quantity"]) == (
        "accepted",
        3,
        "5",
    )
    assert [h["type"] for h in final["history"]] == [
        "ReturnSubmitted",
        "ReturnQueried",
        "ReturnAmended",
        "ReturnAccepted",
        "ReturnCorrected",
    ]
    assert final["history"][-1]["reason"] == "Payroll found a fifth hire"
    alert = (await measurement.get(f"/alerts/{alert_id}", headers=BUYER)).json()
    assert (alert["status"], alert["resolution"]["resolution"]) == ("resolved", "recovered")


async def test_a_write_against_a_stale_etag_is_refused_with_412(
    service_client: ClientFactory, commitments: Commitments
) -> None:
    measurement, contract = await contract_with_schedule(
        service_client, commitments, date(2026, 7, 15)
    )
    base = f"/contracts/{contract['contract_id']}"
    before = await measurement.get(f"{base}/schedule", headers=SUPPLIER)
    line = {"obligation_id": obligation_ids(contract)[0], "quantity": "4"}
    await measurement.post(
        f"{base}/returns", json={"period": "2026-27-Q1", "lines": [line]}, headers=SUPPLIER
    )

    stale = await measurement.post(
        f"{base}/returns/2026-27-Q1/acceptance",
        headers={**BUYER, "If-Match": before.headers["ETag"]},
    )

    assert stale.status_code == 412
    current = await measurement.get(f"{base}/returns/2026-27-Q1", headers=BUYER)
    assert current.json()["status"] == "submitted"
    fresh = await measurement.post(
        f"{base}/returns/2026-27-Q1/acceptance",
        headers={**BUYER, "If-Match": current.headers["ETag"]},
    )
    assert fresh.status_code == 200


async def test_an_obligations_progress_shows_each_quarter_in_order(
    service_client: ClientFactory, commitments: Commitments
) -> None:
    measurement, contract = await contract_with_schedule(
        service_client, commitments, date(2026, 10, 15)
    )
    base = f"/contracts/{contract['contract_id']}"
    nt1, _ = obligation_ids(contract)
    for period, quantity in (("2026-27-Q1", "2"), ("2026-27-Q2", "6")):
        await measurement.post(
            f"{base}/returns",
            json={"period": period, "lines": [{"obligation_id": nt1, "quantity": quantity}]},
            headers=SUPPLIER,
        )

    progress = await measurement.get(f"{base}/obligations/{nt1}/progress", headers=BUYER)

    assert [
        (a["period"], a["cumulative_delivered"], a["ratio"], a["status"])
        for a in progress.json()["assessments"]
    ] == [("2026-27-Q1", "2", "0.5000", "red"), ("2026-27-Q2", "8", "1.0000", "green")]


async def test_a_supplier_sees_what_is_due_when_across_its_contracts(
    service_client: ClientFactory, commitments: Commitments
) -> None:
    measurement, contract = await contract_with_schedule(
        service_client, commitments, date(2026, 10, 15)
    )
    other = await commitments.award(
        obligations=[("NT17", "hours", quarterly("20"))], supplier="other-ltd"
    )
    await schedule_of(measurement, other["contract_id"], OTHER_SUPPLIER)
    nt1, _ = obligation_ids(contract)
    await measurement.post(
        f"/contracts/{contract['contract_id']}/returns",
        json={"period": "2026-27-Q1", "lines": [{"obligation_id": nt1, "quantity": "4"}]},
        headers=SUPPLIER,
    )

    due = (await measurement.get("/due", headers=SUPPLIER)).json()
    soon = (await measurement.get("/due?within_days=30", headers=SUPPLIER)).json()

    assert [(d["period"], d["due_on"], d["status"]) for d in due] == [
        ("2026-27-Q2", "2026-10-30", "due"),
        ("2026-27-Q3", "2027-01-30", "upcoming"),
        ("2026-27-Q4", "2027-04-30", "upcoming"),
    ]
    assert {d["contract_id"] for d in due} == {contract["contract_id"]}
    assert [d["period"] for d in soon] == ["2026-27-Q2"]
