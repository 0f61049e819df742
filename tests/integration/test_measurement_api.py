"""Quarterly returns over HTTP: measurement learns contracts from the bus and assesses returns."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from svledger.clock import FixedClock

from tests.conftest import ClientFactory, bearer
from tests.harness import eventually

BUYER = bearer("council-a", "buyer")
SUPPLIER = bearer("acme-ltd", "supplier")
OTHER_SUPPLIER = bearer("other-ltd", "supplier")

CONTRACT = {
    "reference": "CW-2026-002",
    "title": "Facilities management",
    "supplier": "acme-ltd",
    "starts_on": "2026-04-01",
    "ends_on": "2027-03-31",
    "obligations": [
        {"measure": "NT1", "target_per_quarter": "4"},
        {"measure": "NT10", "target_per_quarter": "10"},
    ],
}


async def contract_with_schedule(
    service_client: ClientFactory, today: date
) -> tuple[httpx.AsyncClient, dict[str, Any]]:
    commitments = await service_client("commitments")
    clock = FixedClock.at(today)
    measurement = await service_client("measurement", clock=clock)
    created = (await commitments.post("/contracts", json=CONTRACT, headers=BUYER)).json()

    async def schedule() -> int:
        url = f"/contracts/{created['contract_id']}/schedule"
        return (await measurement.get(url, headers=SUPPLIER)).status_code

    await eventually(schedule, until=lambda s: s == 200, what="measurement to learn the contract")
    return measurement, created


async def test_a_return_is_assessed_against_each_obligation_and_shortfalls_alerted(
    service_client: ClientFactory,
) -> None:
    measurement, contract = await contract_with_schedule(service_client, date(2026, 7, 15))
    nt1, nt10 = (ob["obligation_id"] for ob in contract["obligations"])
    body = {
        "period": "2026-27-Q1",
        "narrative": "Two local hires in June.",
        "lines": [
            {"obligation_id": nt1, "quantity": "2"},
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
    service_client: ClientFactory,
) -> None:
    measurement, contract = await contract_with_schedule(service_client, date(2026, 8, 15))
    url = f"/contracts/{contract['contract_id']}/returns"
    line = {"obligation_id": contract["obligations"][0]["obligation_id"], "quantity": "4"}
    body = {"period": "2026-27-Q1", "lines": [line]}

    first = await measurement.post(url, json=body, headers=SUPPLIER)
    second = await measurement.post(url, json=body, headers=SUPPLIER)

    assert first.status_code == 201
    assert first.json()["late"] is True
    assert second.status_code == 409
    assert second.headers["content-type"] == "application/problem+json"


async def test_another_supplier_cannot_submit_or_read(service_client: ClientFactory) -> None:
    measurement, contract = await contract_with_schedule(service_client, date(2026, 7, 15))
    line = {"obligation_id": contract["obligations"][0]["obligation_id"], "quantity": "4"}
    base = f"/contracts/{contract['contract_id']}"

    submit = await measurement.post(
        f"{base}/returns", json={"period": "2026-27-Q1", "lines": [line]}, headers=OTHER_SUPPLIER
    )
    read = await measurement.get(f"{base}/schedule", headers=OTHER_SUPPLIER)
    as_buyer = await measurement.post(
        f"{base}/returns", json={"period": "2026-27-Q1", "lines": [line]}, headers=BUYER
    )

    assert (submit.status_code, read.status_code, as_buyer.status_code) == (404, 404, 403)


async def test_a_bad_line_is_refused_naming_it(service_client: ClientFactory) -> None:
    measurement, contract = await contract_with_schedule(service_client, date(2026, 7, 15))
    body = {
        "period": "2026-27-Q1",
        "lines": [{"obligation_id": contract["obligations"][0]["obligation_id"], "quantity": "x"}],
    }

    response = await measurement.post(
        f"/contracts/{contract['contract_id']}/returns", json=body, headers=SUPPLIER
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "lines.0.quantity"
