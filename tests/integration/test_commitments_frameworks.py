"""Measurement frameworks over HTTP: the default C&M TOMs, published versions, unit
corrections and proxy-value tables."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from openpyxl import Workbook

from tests.conftest import ClientFactory
from tests.integration.test_commitments_api import (
    ADMIN,
    BUYER,
    SUPPLIER,
    Ledger,
    contract,
    fields,
    open_ledger,
)

PROXY_HEADER = b"code,unit,gbp_per_unit,source,year\n"


@pytest.fixture
async def ledger(service_client: ClientFactory) -> AsyncIterator[Ledger]:
    async with open_ledger(service_client) as opened:
        yield opened


def new_version(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "version": "national-toms-2026",
        "title": "National TOMs 2026 (illustrative)",
        "measures": [
            {
                "code": "NT1",
                "theme": "Jobs",
                "outcome": "More local people in employment",
                "measure": "Local FTE employed on the contract",
                "unit": "FTE",
            },
            {
                "code": "NT14",
                "theme": "Growth",
                "outcome": "More opportunities for local MSMEs and VCSEs",
                "measure": "Spend with VCSEs",
                "unit": "GBP",
                "partner_vcfse_key": True,
            },
        ],
    }
    body.update(overrides)
    return body


def csv_file(text: str, name: str = "table.csv") -> dict[str, tuple[str, bytes]]:
    return {"file": (name, text.encode())}


async def test_the_default_framework_holds_the_cheshire_and_merseyside_toms(
    ledger: Ledger,
) -> None:
    listed = await ledger.client.get("/frameworks", headers=SUPPLIER)
    read = await ledger.client.get("/frameworks/cm-toms-2023", headers=SUPPLIER)

    assert [(f["version"], f["is_default"], f["measure_count"]) for f in listed.json()] == [
        ("cm-toms-2023", True, 52)
    ]
    body = read.json()
    assert [t["theme"] for t in body["themes"]] == ["Jobs", "Growth", "Social", "Environment"]
    assert sum(len(t["outcomes"]) for t in body["themes"]) == 16
    assert body["proxy_value_count"] == 0
    assert read.headers["ETag"] == '"0"'


async def test_measures_are_filtered_by_theme_and_outcome(ledger: Ledger) -> None:
    growth = await ledger.client.get(
        "/frameworks/cm-toms-2023/measures", params={"theme": "Growth"}, headers=BUYER
    )
    vcse = await ledger.client.get(
        "/frameworks/cm-toms-2023/measures",
        params={"outcome": "More opportunities for local MSMEs and VCSEs"},
        headers=BUYER,
    )

    assert {m["theme"] for m in growth.json()} == {"Growth"}
    assert [m["code"] for m in vcse.json()] == ["NT14", "NT15", "NT16", "NT17", "NT18", "NT19"]
    assert [m["code"] for m in vcse.json() if m["partner_vcfse_key"]] == [
        "NT14",
        "NT15",
        "NT16",
        "NT17",
    ]
    assert all(m["proxy_value"] is None for m in vcse.json())


async def test_an_unknown_framework_version_is_not_found(ledger: Ledger) -> None:
    response = await ledger.client.get("/frameworks/no-such-version/measures", headers=BUYER)

    assert response.status_code == 404


async def test_an_administrator_publishes_a_version_and_new_contracts_can_pin_it(
    ledger: Ledger,
) -> None:
    published = await ledger.client.post("/frameworks", json=new_version(), headers=ADMIN)
    pinned = await ledger.client.post(
        "/contracts",
        json=contract(framework_version="national-toms-2026"),
        headers=BUYER,
    )
    unknown = await ledger.client.post(
        "/contracts", json=contract(framework_version="made-up-2099"), headers=BUYER
    )

    assert published.status_code == 201, published.text
    assert published.headers["Location"] == "/frameworks/national-toms-2026"
    listed = await ledger.client.get("/frameworks", headers=BUYER)
    assert [f["version"] for f in listed.json()] == ["cm-toms-2023", "national-toms-2026"]
    assert pinned.status_code == 201, pinned.text
    assert pinned.json()["framework_version"] == "national-toms-2026"
    assert unknown.status_code == 422
    assert fields(unknown) == ["framework_version"]


async def test_a_version_is_published_once_and_the_default_cannot_be_replaced(
    ledger: Ledger,
) -> None:
    first = await ledger.client.post("/frameworks", json=new_version(), headers=ADMIN)
    again = await ledger.client.post("/frameworks", json=new_version(), headers=ADMIN)
    default = await ledger.client.post(
        "/frameworks", json=new_version(version="cm-toms-2023"), headers=ADMIN
    )

    assert first.status_code == 201
    assert (again.status_code, fields(again)) == (409, ["version"])
    assert (default.status_code, fields(default)) == (409, ["version"])


async def test_a_bad_version_id_and_duplicate_codes_are_refused_naming_each_field(
    ledger: Ledger,
) -> None:
    measures = new_version()["measures"]
    body = new_version(version="National TOMs!", measures=[measures[0], measures[0]])

    response = await ledger.client.post("/frameworks", json=body, headers=ADMIN)

    assert response.status_code == 422
    assert fields(response) == ["version", "measures.1.code"]


async def test_only_administrators_change_frameworks(ledger: Ledger) -> None:
    publish = await ledger.client.post("/frameworks", json=new_version(), headers=BUYER)
    correct = await ledger.client.patch(
        "/frameworks/cm-toms-2023/measures/NT2",
        json={"unit": "FTE", "reason": "x"},
        headers=SUPPLIER,
    )
    proxies = await ledger.client.put(
        "/frameworks/cm-toms-2023/proxy-values", files=csv_file("code\n"), headers=BUYER
    )

    assert (publish.status_code, correct.status_code, proxies.status_code) == (403, 403, 403)


async def test_a_version_is_published_from_a_csv_table(ledger: Ledger) -> None:
    table = (
        "theme,outcome,code,measure,unit,partner_vcfse_key_measure\n"
        "Jobs,Local jobs,NT1,Local FTE,FTE,no\n"
        "Growth,VCSE spend,NT14,Spend with VCSEs,GBP,yes\n"
    )

    response = await ledger.client.post(
        "/frameworks/uploads",
        data={"version": "ppn-002-2025", "title": "PPN 002 metrics"},
        files=csv_file(table),
        headers=ADMIN,
    )

    assert response.status_code == 201, response.text
    measures = await ledger.client.get("/frameworks/ppn-002-2025/measures", headers=BUYER)
    assert [(m["code"], m["unit"], m["partner_vcfse_key"]) for m in measures.json()] == [
        ("NT1", "FTE", False),
        ("NT14", "GBP", True),
    ]


async def test_a_framework_table_with_bad_rows_stores_nothing_and_names_every_row(
    ledger: Ledger,
) -> None:
    table = (
        "theme,outcome,code,measure,unit\n"
        "Jobs,Local jobs,NT1,Local FTE,FTE\n"
        "Jobs,Local jobs,,No code,FTE\n"
        "Jobs,Local jobs,NT2,No unit,\n"
        "Jobs,Local jobs,NT1,Repeated,FTE\n"
    )

    response = await ledger.client.post(
        "/frameworks/uploads",
        data={"version": "broken-2026", "title": "Broken"},
        files=csv_file(table),
        headers=ADMIN,
    )

    assert response.status_code == 422
    assert fields(response) == ["rows.3.code", "rows.4.unit", "rows.5.code"]
    assert "rows 3, 4, 5" in response.json()["detail"]
    assert (await ledger.client.get("/frameworks/broken-2026", headers=ADMIN)).status_code == 404


async def test_correcting_a_unit_applies_to_commitments_made_afterwards(ledger: Ledger) -> None:
    nt2 = [{"measure": "NT2", "target_per_quarter": "50"}]
    before = await ledger.client.post(
        "/contracts", json=contract(reference="B-1", obligations=nt2), headers=BUYER
    )

    corrected = await ledger.client.patch(
        "/frameworks/cm-toms-2023/measures/NT2",
        json={"unit": "FTE", "reason": "returns count heads, not a percentage"},
        headers={**ADMIN, "If-Match": '"0"'},
    )
    after = await ledger.client.post(
        "/contracts", json=contract(reference="A-1", obligations=nt2), headers=BUYER
    )

    assert corrected.status_code == 200, corrected.text
    assert corrected.headers["ETag"] == '"1"'
    assert before.json()["obligations"][0]["unit"] == "percent"
    assert after.json()["obligations"][0]["unit"] == "FTE"
    reread = await ledger.client.get(before.headers["Location"], headers=BUYER)
    assert reread.json()["obligations"][0]["unit"] == "percent"


async def test_unit_corrections_are_checked_naming_the_field(ledger: Ledger) -> None:
    url = "/frameworks/cm-toms-2023/measures"
    same = await ledger.client.patch(
        f"{url}/NT1", json={"unit": "FTE", "reason": "x"}, headers=ADMIN
    )
    unknown = await ledger.client.patch(
        f"{url}/NT999", json={"unit": "FTE", "reason": "x"}, headers=ADMIN
    )
    blank = await ledger.client.patch(
        f"{url}/NT1", json={"unit": "hours", "reason": "  "}, headers=ADMIN
    )
    stale = await ledger.client.patch(
        f"{url}/NT2",
        json={"unit": "FTE", "reason": "x"},
        headers={**ADMIN, "If-Match": '"4"'},
    )

    assert (same.status_code, fields(same)) == (422, ["unit"])
    assert (unknown.status_code, fields(unknown)) == (422, ["code"])
    assert (blank.status_code, fields(blank)) == (422, ["reason"])
    assert (stale.status_code, fields(stale)) == (412, ["If-Match"])
    assert stale.json()["current_version"] == 0


async def test_proxy_values_load_from_a_csv_and_show_with_their_measures(ledger: Ledger) -> None:
    table = (
        PROXY_HEADER + b"NT1,FTE,28500.50,Illustrative demo values,2025-26\nNT14,GBP,1,demo,2025\n"
    )

    loaded = await ledger.client.put(
        "/frameworks/cm-toms-2023/proxy-values",
        files={"file": ("proxies.csv", table)},
        headers=ADMIN,
    )

    assert loaded.status_code == 200, loaded.text
    assert loaded.json()["proxy_value_count"] == 2
    proxies = await ledger.client.get("/frameworks/cm-toms-2023/proxy-values", headers=SUPPLIER)
    assert proxies.json()[0] == {
        "code": "NT1",
        "unit": "FTE",
        "gbp_per_unit": "28500.5",
        "source": "Illustrative demo values",
        "year": "2025-26",
    }
    jobs = await ledger.client.get(
        "/frameworks/cm-toms-2023/measures", params={"theme": "Jobs"}, headers=BUYER
    )
    assert jobs.json()[0]["proxy_value"]["gbp_per_unit"] == "28500.5"


async def test_proxy_values_load_from_an_xlsx_workbook(ledger: Ledger) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["code", "unit", "gbp_per_unit", "source", "year"])
    sheet.append(["NT10", "weeks", 250.75, "Illustrative", 2026])
    content = io.BytesIO()
    workbook.save(content)

    loaded = await ledger.client.put(
        "/frameworks/cm-toms-2023/proxy-values",
        files={"file": ("proxies.xlsx", content.getvalue())},
        headers=ADMIN,
    )

    assert loaded.status_code == 200, loaded.text
    proxies = await ledger.client.get("/frameworks/cm-toms-2023/proxy-values", headers=ADMIN)
    assert [(p["code"], p["gbp_per_unit"], p["year"]) for p in proxies.json()] == [
        ("NT10", "250.75", "2026")
    ]


async def test_a_proxy_table_with_bad_rows_stores_nothing_and_names_every_row(
    ledger: Ledger,
) -> None:
    table = PROXY_HEADER + (
        b"NT1,FTE,100,demo,2025\n"
        b"NT999,FTE,100,demo,2025\n"
        b"NT10,hours,100,demo,2025\n"
        b"NT14,GBP,-1,demo,2025\n"
        b"NT15,hours,ten,demo,2025\n"
        b"NT16,GBP,1,,2025\n"
        b"NT17,hours,1,demo,last year\n"
        b"NT1,FTE,200,demo,2025\n"
    )

    response = await ledger.client.put(
        "/frameworks/cm-toms-2023/proxy-values",
        files={"file": ("proxies.csv", table)},
        headers=ADMIN,
    )

    assert response.status_code == 422
    assert fields(response) == [
        "rows.3.code",
        "rows.4.unit",
        "rows.5.gbp_per_unit",
        "rows.6.gbp_per_unit",
        "rows.7.source",
        "rows.8.year",
        "rows.9.code",
    ]
    assert response.json()["detail"] == "rows 3, 4, 5, 6, 7, 8, 9 have problems; nothing was stored"
    assert [e["message"] for e in response.json()["errors"]][:2] == [
        "row 3: 'NT999' is not a measure of framework cm-toms-2023",
        "row 4: NT10 is counted in weeks, not hours",
    ]
    proxies = await ledger.client.get("/frameworks/cm-toms-2023/proxy-values", headers=ADMIN)
    assert proxies.json() == []


async def test_a_file_that_is_not_a_table_is_refused_naming_the_file(ledger: Ledger) -> None:
    response = await ledger.client.put(
        "/frameworks/cm-toms-2023/proxy-values",
        files={"file": ("proxies.xlsx", b"PK\x03\x04 not really a workbook")},
        headers=ADMIN,
    )

    assert (response.status_code, fields(response)) == (422, ["file"])
