"""Existing contracts over HTTP: direct registration with profiles and KPIs, files of many
contracts, lists, variations, completion and early termination."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook

from tests.conftest import ClientFactory
from tests.integration.test_commitments_api import (
    BUYER,
    STRANGER,
    SUPPLIER,
    Ledger,
    contract,
    fields,
    open_ledger,
)

CSV_HEADER = (
    "reference,title,supplier,starts_on,ends_on,value_gbp,measure,total,target_per_quarter,"
    "profile,is_kpi,place\n"
)


@pytest.fixture
async def ledger(service_client: ClientFactory) -> AsyncIterator[Ledger]:
    async with open_ledger(service_client) as opened:
        yield opened


async def registered(ledger: Ledger, **overrides: Any) -> dict[str, Any]:
    created = await ledger.client.post("/contracts", json=contract(**overrides), headers=BUYER)
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


def upload(text: str, name: str = "contracts.csv") -> dict[str, tuple[str, bytes]]:
    return {"file": (name, text.encode())}


async def test_a_total_spread_evenly_gives_partial_first_and_last_quarters_a_part_share(
    ledger: Ledger,
) -> None:
    body = await registered(
        ledger,
        starts_on="2026-05-15",
        ends_on="2027-08-14",
        places=["Liverpool", "Wirral"],
        obligations=[
            {
                "measure": "NT15",
                "total": "457",
                "place": "Wirral",
                "vcfse_partner": "wirral-cvs",
            }
        ],
    )

    [obligation] = body["obligations"]
    assert obligation["targets"] == {
        "2026-27-Q1": "47",
        "2026-27-Q2": "92",
        "2026-27-Q3": "92",
        "2026-27-Q4": "90",
        "2027-28-Q1": "91",
        "2027-28-Q2": "45",
    }
    assert (obligation["total"], obligation["unit"]) == ("457", "hours")
    assert (obligation["place"], obligation["vcfse_partner"]) == ("Wirral", "wirral-cvs")
    assert obligation["proxy_value_gbp_per_unit"] is None  # no proxy values: units only
    assert body["places"] == ["Liverpool", "Wirral"]


async def test_an_annual_profile_splits_the_total_by_financial_year(ledger: Ledger) -> None:
    body = await registered(
        ledger,
        starts_on="2026-04-01",
        ends_on="2028-03-31",
        obligations=[
            {
                "measure": "NT10",
                "total": "100",
                "profile": {"kind": "annual", "weights": {"2026-27": "1", "2027-28": "3"}},
            }
        ],
    )

    targets = body["obligations"][0]["targets"]
    assert [targets[f"2026-27-Q{n}"] for n in range(1, 5)] == ["6.23", "6.3", "6.3", "6.17"]
    assert sum(Decimal(v) for v in targets.values()) == 100


async def test_a_contract_over_five_million_with_fewer_than_three_kpis_gets_a_warning(
    ledger: Ledger,
) -> None:
    kpi = {"measure": "NT1", "target_per_quarter": "1", "is_kpi": True}
    two_kpis = await registered(
        ledger, reference="BIG-1", value_gbp="6000000", obligations=[kpi, kpi]
    )
    three_kpis = await registered(
        ledger, reference="BIG-2", value_gbp="6000000", obligations=[kpi, kpi, kpi]
    )
    small = await registered(ledger, reference="SMALL-1", value_gbp="5000000")

    assert [w["code"] for w in two_kpis["warnings"]] == ["too-few-kpis"]
    assert two_kpis["warnings"][0]["field"] == "obligations"
    assert "2 of its obligations" in two_kpis["warnings"][0]["message"]
    assert three_kpis["warnings"] == []
    assert small["warnings"] == []


async def test_obligation_rules_are_refused_naming_the_field(ledger: Ledger) -> None:
    client = ledger.client
    elsewhere = contract(
        places=["Liverpool"],
        obligations=[{"measure": "NT1", "target_per_quarter": "1", "place": "Leeds"}],
    )
    two_ways = contract(obligations=[{"measure": "NT1", "total": "4", "target_per_quarter": "1"}])
    profile_alone = contract(
        obligations=[{"measure": "NT1", "targets": {}, "profile": {"kind": "even"}}]
    )
    bad_weights = contract(
        obligations=[
            {"measure": "NT1", "total": "4", "profile": {"kind": "quarterly", "weights": {}}}
        ]
    )
    self_supply = contract(supplier="council-a")
    backwards = contract(starts_on="2027-04-01", ends_on="2026-04-01")

    responses = [
        await client.post("/contracts", json=body, headers=BUYER)
        for body in (elsewhere, two_ways, profile_alone, bad_weights, self_supply, backwards)
    ]

    assert [r.status_code for r in responses] == [422] * 6
    assert [fields(r) for r in responses] == [
        ["obligations.0.place"],
        ["obligations.0"],
        ["obligations.0"],
        ["obligations.0.profile.weights"],
        ["supplier"],
        ["ends_on"],
    ]


async def test_a_buyer_registers_a_reference_once_but_another_buyer_may_reuse_it(
    ledger: Ledger,
) -> None:
    await registered(ledger)

    again = await ledger.client.post("/contracts", json=contract(), headers=BUYER)
    other = await ledger.client.post("/contracts", json=contract(), headers=STRANGER)

    assert (again.status_code, fields(again)) == (422, ["reference"])
    assert other.status_code == 201


async def test_a_contract_that_started_years_ago_is_registered_with_all_its_quarters(
    ledger: Ledger,
) -> None:
    body = await registered(ledger, starts_on="2024-04-01", ends_on="2027-03-31")

    targets = body["obligations"][0]["targets"]
    assert (min(targets), max(targets), len(targets)) == ("2024-25-Q1", "2026-27-Q4", 12)


async def test_each_party_lists_its_contracts_with_obligations_and_targets(
    ledger: Ledger,
) -> None:
    first = await registered(ledger, reference="A")
    await registered(
        ledger,
        reference="B",
        supplier="bolt-ltd",
        obligations=[{"measure": "NT10", "targets": {"2026-27-Q2": "3"}}],
    )

    mine = await ledger.client.get("/contracts", headers=BUYER)
    supplied = await ledger.client.get("/contracts", headers=SUPPLIER)
    apprenticeships = await ledger.client.get(
        "/contracts", params={"measure": "NT10"}, headers=BUYER
    )
    outsider = await ledger.client.get("/contracts", headers=STRANGER)

    assert [c["reference"] for c in mine.json()] == ["A", "B"]
    [only] = supplied.json()
    assert only["contract_id"] == first["contract_id"]
    assert only["obligations"][0]["targets"] == first["obligations"][0]["targets"]
    assert only["obligations"][0]["total"] == "16"
    assert only["value_gbp"] == "2500000"
    assert [c["reference"] for c in apprenticeships.json()] == ["B"]
    assert outsider.json() == []


async def test_a_csv_of_existing_contracts_registers_every_contract_in_it(
    ledger: Ledger,
) -> None:
    text = CSV_HEADER + (
        "CW-1,Highways,acme-ltd,2025-04-01,2027-03-31,6000000,NT1,,2,,yes,Liverpool\n"
        "CW-1,Highways,acme-ltd,2025-04-01,2027-03-31,6000000,NT10,80,,"
        "annual: 2025-26=1; 2026-27=1,no,\n"
        "\n"
        "CW-2,Cleaning,bolt-ltd,2026-04-01,2027-03-31,,NT17,40,,even,,\n"
    )

    response = await ledger.client.post("/contracts/imports", files=upload(text), headers=BUYER)

    assert response.status_code == 201, response.text
    first, second = response.json()["contracts"]
    assert (first["reference"], second["reference"]) == ("CW-1", "CW-2")
    assert [(o["measure"], o["total"], o["is_kpi"]) for o in first["obligations"]] == [
        ("NT1", "16", True),
        ("NT10", "80", False),
    ]
    assert first["obligations"][1]["targets"]["2025-26-Q1"] == "9.97"
    assert [w["code"] for w in first["warnings"]] == ["too-few-kpis"]
    assert second["supplier"] == "bolt-ltd"
    listed = await ledger.client.get("/contracts", headers=BUYER)
    assert [c["reference"] for c in listed.json()] == ["CW-1", "CW-2"]


async def test_an_xlsx_of_existing_contracts_registers_them_with_spreadsheet_dates(
    ledger: Ledger,
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Reference", "Title", "Supplier", "Starts_on", "Ends_on", "Measure", "Total"])
    sheet.append(["X-1", "Catering", "acme-ltd", date(2026, 4, 1), date(2027, 3, 31), "NT1", 2.5])
    content = io.BytesIO()
    workbook.save(content)

    response = await ledger.client.post(
        "/contracts/imports",
        files={"file": ("contracts.xlsx", content.getvalue())},
        headers=BUYER,
    )

    assert response.status_code == 201, response.text
    [registered_contract] = response.json()["contracts"]
    assert registered_contract["starts_on"] == "2026-04-01"
    assert registered_contract["obligations"][0]["total"] == "2.5"


async def test_a_contracts_file_with_any_bad_row_registers_nothing_and_names_every_row(
    ledger: Ledger,
) -> None:
    await registered(ledger, reference="TAKEN")
    text = CSV_HEADER + (
        "OK-1,Fine,acme-ltd,2026-04-01,2027-03-31,,NT1,,1,,,\n"
        "BAD-1,Bad,acme-ltd,2026-04-01,2027-03-31,,NT999,,1,,,\n"
        "BAD-2,Bad,acme-ltd,1 April 2026,2027-03-31,,NT1,,1,,,\n"
        "BAD-3,Bad,acme-ltd,2026-04-01,2027-03-31,,NT1,4,1,,,\n"
        "BAD-3,Other title,acme-ltd,2026-04-01,2027-03-31,,NT1,,1,,,\n"
        "TAKEN,Again,acme-ltd,2026-04-01,2027-03-31,,NT1,,1,,,\n"
        "BAD-4,Self,council-a,2026-04-01,2027-03-31,,NT1,,1,,maybe,\n"
        "BAD-5,Profile,acme-ltd,2026-04-01,2027-03-31,,NT1,4,,weekly,,\n"
    )

    response = await ledger.client.post("/contracts/imports", files=upload(text), headers=BUYER)

    assert response.status_code == 422
    assert fields(response) == [
        "rows.3.measure",
        "rows.4.starts_on",
        "rows.5.total",
        "rows.6.title",
        "rows.7.reference",
        "rows.8.is_kpi",
        "rows.8.supplier",
        "rows.9.profile",
    ]
    assert response.json()["detail"] == "rows 3, 4, 5, 6, 7, 8, 9 have problems; nothing was stored"
    assert all(
        e["message"].startswith(f"row {e['field'].split('.')[1]}: ")
        for e in response.json()["errors"]
    )
    listed = await ledger.client.get("/contracts", headers=BUYER)
    assert [c["reference"] for c in listed.json()] == ["TAKEN"]


async def test_the_same_contracts_file_with_the_same_idempotency_key_registers_once(
    ledger: Ledger,
) -> None:
    text = CSV_HEADER + "K-1,Fine,acme-ltd,2026-04-01,2027-03-31,,NT1,,1,,,\n"
    headers = {**BUYER, "Idempotency-Key": "nightly-import-2026-05-01"}

    first = await ledger.client.post("/contracts/imports", files=upload(text), headers=headers)
    again = await ledger.client.post("/contracts/imports", files=upload(text), headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert len((await ledger.client.get("/contracts", headers=BUYER)).json()) == 1


async def test_varying_an_obligation_replaces_its_targets_and_keeps_the_history(
    ledger: Ledger,
) -> None:
    body = await registered(ledger)
    url = f"/contracts/{body['contract_id']}/obligations/{body['obligations'][0]['obligation_id']}"
    new_targets = {"2026-27-Q1": "4", "2026-27-Q2": "2", "2026-27-Q3": "2", "2026-27-Q4": "4"}

    varied = await ledger.client.post(
        f"{url}/variations",
        json={
            "targets": new_targets,
            "reason": "site closed for resurfacing",
            "agreed_on": "2026-04-20",
        },
        headers={**BUYER, "If-Match": '"1"'},
    )

    assert varied.status_code == 200, varied.text
    assert varied.headers["ETag"] == '"2"'
    [obligation] = varied.json()["obligations"]
    assert (obligation["targets"], obligation["total"]) == (new_targets, "12")
    [variation] = obligation["variations"]
    assert variation["previous_targets"] == {f"2026-27-Q{n}": "4" for n in range(1, 5)}
    assert (variation["reason"], variation["agreed_on"]) == (
        "site closed for resurfacing",
        "2026-04-20",
    )
    listed = await ledger.client.get("/contracts", headers=SUPPLIER)
    assert listed.json()[0]["obligations"][0]["targets"] == new_targets
    [event] = [e for e in await ledger.events() if e.type == "ObligationVaried"]
    assert event.data["targets"] == new_targets
    assert event.metadata.actor == "cm@council-a"


async def test_variation_rules_are_refused_naming_the_field(ledger: Ledger) -> None:
    body = await registered(ledger)
    contract_url = f"/contracts/{body['contract_id']}"
    url = f"{contract_url}/obligations/{body['obligations'][0]['obligation_id']}/variations"
    agreed = {"reason": "agreed", "agreed_on": "2026-04-20"}
    client = ledger.client

    outside = await client.post(url, json={"targets": {"2027-28-Q1": "1"}, **agreed}, headers=BUYER)
    unchanged = await client.post(url, json={"target_per_quarter": "4", **agreed}, headers=BUYER)
    future = await client.post(
        url,
        json={"total": "10", "reason": "agreed", "agreed_on": "2026-06-01"},
        headers=BUYER,
    )
    blank = await client.post(
        url, json={"total": "10", "reason": "   ", "agreed_on": "2026-04-20"}, headers=BUYER
    )
    stale = await client.post(
        url, json={"total": "10", **agreed}, headers={**BUYER, "If-Match": '"7"'}
    )
    garbled = await client.post(
        url, json={"total": "10", **agreed}, headers={**BUYER, "If-Match": "yesterday"}
    )
    as_supplier = await client.post(url, json={"total": "10", **agreed}, headers=SUPPLIER)
    other_buyer = await client.post(url, json={"total": "10", **agreed}, headers=STRANGER)
    no_obligation = await client.post(
        f"{contract_url}/obligations/{body['contract_id']}/variations",
        json={"total": "10", **agreed},
        headers=BUYER,
    )

    assert (outside.status_code, fields(outside)) == (422, ["targets"])
    assert (unchanged.status_code, fields(unchanged)) == (422, ["targets"])
    assert (future.status_code, fields(future)) == (422, ["agreed_on"])
    assert (blank.status_code, fields(blank)) == (422, ["reason"])
    assert (stale.status_code, fields(stale)) == (412, ["If-Match"])
    assert (garbled.status_code, fields(garbled)) == (422, ["If-Match"])
    assert as_supplier.status_code == 403
    assert other_buyer.status_code == 404
    assert no_obligation.status_code == 404


async def test_terminating_early_cancels_the_targets_of_later_quarters(ledger: Ledger) -> None:
    body = await registered(ledger)
    url = f"/contracts/{body['contract_id']}"

    ended = await ledger.client.post(
        f"{url}/termination",
        json={"terminated_on": "2026-08-15", "reason": "supplier entered administration"},
        headers={**BUYER, "If-Match": '"1"'},
    )

    assert ended.status_code == 200, ended.text
    result = ended.json()
    assert (result["status"], result["terminated_on"]) == ("terminated", "2026-08-15")
    assert result["cancelled_periods"] == ["2026-27-Q3", "2026-27-Q4"]
    [obligation] = result["obligations"]
    assert obligation["targets"] == {"2026-27-Q1": "4", "2026-27-Q2": "4"}
    assert obligation["cancelled_targets"] == {"2026-27-Q3": "4", "2026-27-Q4": "4"}
    assert obligation["total"] == "8"
    [listed] = (
        await ledger.client.get("/contracts", params={"status": "terminated"}, headers=SUPPLIER)
    ).json()
    assert listed["obligations"][0]["cancelled_targets"] == {"2026-27-Q3": "4", "2026-27-Q4": "4"}
    assert listed["obligations"][0]["total"] == "8"
    [event] = [e for e in await ledger.events() if e.type == "ContractTerminated"]
    assert event.data["cancelled_periods"] == ["2026-27-Q3", "2026-27-Q4"]
    later = await ledger.client.post(
        f"{url}/obligations/{obligation['obligation_id']}/variations",
        json={"total": "2", "reason": "x", "agreed_on": "2026-04-20"},
        headers=BUYER,
    )
    assert later.status_code == 409


async def test_a_termination_date_outside_the_contract_is_refused(ledger: Ledger) -> None:
    body = await registered(ledger)
    url = f"/contracts/{body['contract_id']}/termination"

    before = await ledger.client.post(
        url, json={"terminated_on": "2026-03-31", "reason": "x"}, headers=BUYER
    )
    at_end = await ledger.client.post(
        url, json={"terminated_on": "2027-03-31", "reason": "x"}, headers=BUYER
    )
    no_reason = await ledger.client.post(
        url, json={"terminated_on": "2026-06-30", "reason": ""}, headers=BUYER
    )

    assert (before.status_code, fields(before)) == (422, ["terminated_on"])
    assert (at_end.status_code, fields(at_end)) == (422, ["terminated_on"])
    assert (no_reason.status_code, fields(no_reason)) == (422, ["reason"])


async def test_a_contract_completes_once_its_end_date_has_passed(ledger: Ledger) -> None:
    ended = await registered(ledger, reference="OLD", starts_on="2025-04-01", ends_on="2026-03-31")
    running = await registered(ledger, reference="NOW")

    early = await ledger.client.post(
        f"/contracts/{running['contract_id']}/completion",
        json={"completed_on": "2026-04-30"},
        headers=BUYER,
    )
    future = await ledger.client.post(
        f"/contracts/{ended['contract_id']}/completion",
        json={"completed_on": "2026-06-01"},
        headers=BUYER,
    )
    done = await ledger.client.post(
        f"/contracts/{ended['contract_id']}/completion",
        json={"completed_on": "2026-03-31"},
        headers=BUYER,
    )
    again = await ledger.client.post(
        f"/contracts/{ended['contract_id']}/completion",
        json={"completed_on": "2026-03-31"},
        headers=BUYER,
    )

    assert (early.status_code, fields(early)) == (422, ["completed_on"])
    assert "terminate it" in early.json()["errors"][0]["message"]
    assert (future.status_code, fields(future)) == (422, ["completed_on"])
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["completed_on"]) == ("completed", "2026-03-31")
    assert again.status_code == 409
    completed = await ledger.client.get("/contracts", params={"status": "completed"}, headers=BUYER)
    assert [c["reference"] for c in completed.json()] == ["OLD"]
