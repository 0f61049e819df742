"""Returns uploaded as CSV or XLSX: all rows or none, every bad row named by its number."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
from openpyxl import Workbook

from tests.conftest import ClientFactory
from tests.harness import NatsServer
from tests.integration.test_measurement_api import (
    SUPPLIER,
    Commitments,
    commitments_feed,
    contract_with_schedule,
    obligation_ids,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
async def commitments(nats_server: NatsServer) -> AsyncIterator[Commitments]:
    """Contract events published on the session's nats-server."""
    async with commitments_feed(nats_server.url) as feed:
        yield feed


def csv_file(rows: list[list[str]]) -> bytes:
    return "\n".join(",".join(row) for row in rows).encode()


def xlsx_file(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


async def upload(
    client: httpx.AsyncClient, contract_id: str, name: str, content: bytes, kind: str
) -> httpx.Response:
    return await client.post(
        f"/contracts/{contract_id}/returns/upload",
        data={"period": "2026-27-Q1", "narrative": "From our payroll system"},
        files={"file": (name, content, kind)},
        headers=SUPPLIER,
    )


async def test_a_csv_with_one_bad_row_stores_nothing_and_the_fixed_file_is_accepted(
    service_client: ClientFactory, commitments: Commitments
) -> None:
    client, contract = await contract_with_schedule(service_client, commitments, date(2026, 7, 15))
    nt1, nt10 = obligation_ids(contract)
    header = ["obligation_id", "quantity", "narrative", "places"]
    bad = csv_file([header, [nt1, "2", "Two hires", "Wirral;Sefton"], [nt10, "ten", "", ""]])
    fixed = csv_file([header, [nt1, "2", "Two hires", "Wirral;Sefton"], [nt10, "10", "", ""]])

    refused = await upload(client, contract["contract_id"], "q1.csv", bad, "text/csv")
    nothing = await client.get(
        f"/contracts/{contract['contract_id']}/returns/2026-27-Q1", headers=SUPPLIER
    )
    accepted = await upload(client, contract["contract_id"], "q1.csv", fixed, "text/csv")

    assert refused.status_code == 422
    assert refused.json()["invalid_rows"] == [
        {"row": 3, "column": "quantity", "message": "'ten' is not a number"}
    ]
    assert nothing.status_code == 404
    assert accepted.status_code == 201, accepted.text
    stored = (
        await client.get(
            f"/contracts/{contract['contract_id']}/returns/2026-27-Q1", headers=SUPPLIER
        )
    ).json()
    assert [(ln["quantity"], ln["places"]) for ln in stored["lines"]] == [
        ("2", ["Wirral", "Sefton"]),
        ("10", []),
    ]
    assert stored["narrative"] == "From our payroll system"


async def test_an_xlsx_with_one_bad_row_stores_nothing_and_the_fixed_file_is_accepted(
    service_client: ClientFactory, commitments: Commitments
) -> None:
    client, contract = await contract_with_schedule(service_client, commitments, date(2026, 7, 15))
    header = ["Measure", "Quantity", "Beneficiaries"]
    bad = xlsx_file([header, ["NT1", 2.5, 3], ["NT99", 10, None], ["NT10", -1, None]])
    fixed = xlsx_file([header, ["NT1", 2.5, 3], ["NT10", 10, None]])

    refused = await upload(client, contract["contract_id"], "q1.xlsx", bad, XLSX)
    accepted = await upload(client, contract["contract_id"], "q1.xlsx", fixed, XLSX)

    assert refused.status_code == 422
    assert [(r["row"], r["column"]) for r in refused.json()["invalid_rows"]] == [
        (3, "measure"),
        (4, "quantity"),
    ]
    assert accepted.status_code == 201, accepted.text
    by_measure = {a["measure"]: a for a in accepted.json()["assessments"]}
    assert (by_measure["NT1"]["delivered"], by_measure["NT10"]["delivered"]) == ("2.5", "10")
