"""One contract through all four services, over HTTP and real JetStream, as separate processes."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import bearer
from tests.e2e.conftest import System
from tests.harness import eventually

BUYER = bearer("council-a", "buyer", subject="cm@council-a")
SUPPLIER = bearer("acme-ltd", "supplier", subject="finance@acme")
STRANGER = bearer("council-b", "buyer")


async def get_json(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> Any:
    response = await client.get(url, headers=headers)
    return response.json() if response.status_code == 200 else None


async def test_an_under_delivered_return_reaches_alerts_reports_and_brokerage(
    system: System,
) -> None:
    async with (
        system.client("commitments") as commitments,
        system.client("measurement") as measurement,
        system.client("reporting") as reporting,
        system.client("brokerage") as brokerage,
    ):
        created = await commitments.post(
            "/contracts",
            headers=BUYER,
            json={
                "reference": "CW-2026-001",
                "title": "Highways maintenance",
                "supplier": "acme-ltd",
                "starts_on": "2026-04-01",
                "ends_on": "2027-03-31",
                "obligations": [{"measure": "NT1", "target_per_quarter": "4"}],
            },
        )
        assert created.status_code == 201, created.text
        contract_id = created.json()["contract_id"]
        obligation_id = created.json()["obligations"][0]["obligation_id"]

        schedule = await eventually(
            lambda: get_json(measurement, f"/contracts/{contract_id}/schedule", SUPPLIER),
            what="measurement to learn the contract",
        )
        assert [p["period"] for p in schedule["periods"]] == [f"2026-27-Q{n}" for n in range(1, 5)]

        submitted = await measurement.post(
            f"/contracts/{contract_id}/returns",
            headers=SUPPLIER,
            json={
                "period": "2026-27-Q1",
                "narrative": "Two apprentices started in June.",
                "lines": [{"obligation_id": obligation_id, "quantity": "2"}],
            },
        )
        assert submitted.status_code == 201, submitted.text
        [assessment] = submitted.json()["assessments"]
        assert (assessment["ratio"], assessment["status"]) == ("0.5000", "red")
        [alert_id] = submitted.json()["alerts"]

        progress = await eventually(
            lambda: get_json(reporting, f"/contracts/{contract_id}/progress", BUYER),
            until=lambda p: (
                p is not None
                and len(p["open_alerts"]) == 1
                and p["obligations"][0]["delivered_to_date"] is not None
            ),
            what="reporting to show the assessment and the alert",
        )
        [line] = progress["obligations"]
        assert line["measure"] == "NT1"
        assert (line["committed_total"], line["committed_to_date"]) == ("16", "4")
        assert (line["delivered_to_date"], line["ratio"], line["status"]) == ("2", "0.5", "red")
        assert progress["open_alerts"][0]["alert_id"] == alert_id
        assert progress["open_alerts"][0]["kind"] == "under_delivery"

        shortfalls = await eventually(
            lambda: get_json(brokerage, "/shortfalls", SUPPLIER),
            what="brokerage to record the shortfall",
        )
        assert [(s["alert_id"], s["measure"], s["ratio"]) for s in shortfalls] == [
            (alert_id, "NT1", "0.5")
        ]
        owed = await get_json(brokerage, "/obligations", SUPPLIER)
        assert [(o["obligation_id"], o["total_committed"]) for o in owed] == [(obligation_id, "16")]

        outsider = await reporting.get(f"/contracts/{contract_id}/progress", headers=STRANGER)
        assert outsider.status_code == 404
        assert await get_json(brokerage, "/shortfalls", STRANGER) == []
