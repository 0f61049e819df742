"""Partner VCFSE pledges and social value policies over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.conftest import ClientFactory, bearer
from tests.integration.test_commitments_api import (
    BUYER,
    SUPPLIER,
    Ledger,
    fields,
    open_ledger,
)

AUDITOR = bearer("audit-office", "auditor")
VCFSE = bearer("wirral-cvs", "vcfse")


@pytest.fixture
async def ledger(service_client: ClientFactory) -> AsyncIterator[Ledger]:
    async with open_ledger(service_client) as opened:
        yield opened


def pledge(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "base_year": "2025-26",
        "baseline": {"NT14": "120000", "NT15": "300", "NT16": "5000", "NT17": "800"},
        "targets": {
            "2026-27": {"NT14": "150000", "NT17": "1000"},
            "2027-28": {"NT14": "180000", "NT17": "1200"},
        },
    }
    body.update(overrides)
    return body


async def test_an_organisation_pledges_a_baseline_and_yearly_targets(ledger: Ledger) -> None:
    made = await ledger.client.put("/pledges/acme-ltd", json=pledge(), headers=SUPPLIER)
    read = await ledger.client.get("/pledges/acme-ltd", headers=SUPPLIER)

    assert made.status_code == 201, made.text
    assert made.headers["ETag"] == '"1"'
    body = read.json()
    assert (body["organisation"], body["base_year"], body["revision"]) == ("acme-ltd", "2025-26", 0)
    assert body["baseline"] == {"NT14": "120000", "NT15": "300", "NT16": "5000", "NT17": "800"}
    assert body["targets"]["2027-28"] == {"NT14": "180000", "NT17": "1200"}
    assert body["warnings"] == []
    [event] = [e for e in await ledger.events() if e.type == "PledgeRecorded"]
    assert event.stream_id == "pledge-acme-ltd"


async def test_a_revision_needs_a_reason_and_keeps_the_history(ledger: Ledger) -> None:
    await ledger.client.put("/pledges/acme-ltd", json=pledge(), headers=SUPPLIER)
    bigger = pledge(targets={"2026-27": {"NT14": "200000"}})

    no_reason = await ledger.client.put("/pledges/acme-ltd", json=bigger, headers=SUPPLIER)
    stale = await ledger.client.put(
        "/pledges/acme-ltd",
        json={**bigger, "reason": "board approved"},
        headers={**SUPPLIER, "If-Match": '"0"'},
    )
    revised = await ledger.client.put(
        "/pledges/acme-ltd",
        json={**bigger, "reason": "board approved a bigger target"},
        headers={**SUPPLIER, "If-Match": '"1"'},
    )

    assert (no_reason.status_code, fields(no_reason)) == (422, ["reason"])
    assert (stale.status_code, fields(stale)) == (412, ["If-Match"])
    assert revised.status_code == 200, revised.text
    body = revised.json()
    assert (body["revision"], body["reason"], body["version"]) == (
        1,
        "board approved a bigger target",
        2,
    )
    assert body["targets"] == {"2026-27": {"NT14": "200000"}}
    assert [h["targets"]["2026-27"]["NT14"] for h in body["history"]] == ["150000", "200000"]
    listed = await ledger.client.get("/pledges", headers=SUPPLIER)
    assert listed.json()[0]["targets"] == {"2026-27": {"NT14": "200000"}}
    assert listed.json()[0]["revision"] == 1


async def test_targets_that_fall_from_the_year_before_are_kept_with_a_warning(
    ledger: Ledger,
) -> None:
    falling = pledge(
        targets={"2027-28": {"NT14": "100000"}, "2026-27": {"NT14": "130000"}},
    )

    made = await ledger.client.put("/pledges/acme-ltd", json=falling, headers=SUPPLIER)

    assert made.status_code == 201, made.text
    assert list(made.json()["targets"]) == ["2026-27", "2027-28"]
    assert [(w["code"], w["field"]) for w in made.json()["warnings"]] == [
        ("target-below-previous-year", "targets.2027-28.NT14")
    ]
    assert "falls from 130000 in 2026-27 to 100000" in made.json()["warnings"][0]["message"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"base_year": "2025"}, "base_year"),
        ({"baseline": {"NT1": "4"}, "targets": {"2026-27": {}}}, "baseline.NT1"),
        ({"baseline": {}, "targets": {"2026-27": {}}}, "baseline"),
        ({"targets": {}}, "targets"),
        ({"targets": {"2025-26": {"NT14": "1"}}}, "targets.2025-26"),
        ({"targets": {"2026/27": {"NT14": "1"}}}, "targets.2026/27"),
        (
            {"baseline": {"NT14": "1"}, "targets": {"2026-27": {"NT15": "1"}}},
            "targets.2026-27.NT15",
        ),
        ({"baseline": {"NT14": "-5"}}, "baseline.NT14"),
    ],
)
async def test_pledge_rules_are_refused_naming_the_field(
    ledger: Ledger, overrides: dict[str, Any], field: str
) -> None:
    response = await ledger.client.put(
        "/pledges/acme-ltd", json=pledge(**overrides), headers=SUPPLIER
    )

    assert response.status_code == 422
    assert fields(response) == [field]


async def test_a_pledge_is_read_by_its_organisation_and_by_overseers_only(ledger: Ledger) -> None:
    await ledger.client.put("/pledges/acme-ltd", json=pledge(), headers=SUPPLIER)
    await ledger.client.put("/pledges/wirral-cvs", json=pledge(), headers=VCFSE)

    other = await ledger.client.get("/pledges/acme-ltd", headers=VCFSE)
    audited = await ledger.client.get("/pledges/acme-ltd", headers=AUDITOR)
    own_list = await ledger.client.get("/pledges", headers=VCFSE)
    all_list = await ledger.client.get("/pledges", headers=AUDITOR)
    for_someone_else = await ledger.client.put("/pledges/acme-ltd", json=pledge(), headers=BUYER)

    assert other.status_code == 404
    assert audited.status_code == 200
    assert [p["organisation"] for p in own_list.json()] == ["wirral-cvs"]
    assert [p["organisation"] for p in all_list.json()] == ["acme-ltd", "wirral-cvs"]
    assert all_list.json()[0]["baseline"]["NT14"] == "120000"
    assert for_someone_else.status_code == 403


async def test_a_policy_is_recorded_revised_and_readable_by_everyone(ledger: Ledger) -> None:
    policy = {
        "statement": "Keep the value where it was generated.",
        "priority_outcomes": ["More local people in employment"],
        "priority_measures": ["NT1"],
    }

    recorded = await ledger.client.put("/policies/council-a", json=policy, headers=BUYER)
    revised = await ledger.client.put(
        "/policies/council-a",
        json={**policy, "priority_measures": ["NT1", "NT14"]},
        headers={**BUYER, "If-Match": '"1"'},
    )
    stale = await ledger.client.put(
        "/policies/council-a", json=policy, headers={**BUYER, "If-Match": '"1"'}
    )
    read = await ledger.client.get("/policies/council-a", headers=VCFSE)
    someone_elses = await ledger.client.put("/policies/council-a", json=policy, headers=SUPPLIER)
    missing = await ledger.client.get("/policies/acme-ltd", headers=BUYER)

    assert (recorded.status_code, revised.status_code) == (201, 200)
    assert stale.status_code == 412
    assert read.json()["priority_measures"] == ["NT1", "NT14"]
    assert read.headers["ETag"] == '"2"'
    assert someone_elses.status_code == 403
    assert missing.status_code == 404
    types = [e.type for e in await ledger.events()]
    assert types == ["SocialValuePolicyRecorded", "SocialValuePolicyRevised"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"statement": "x", "priority_outcomes": ["World peace"]}, "priority_outcomes.0"),
        ({"statement": "x", "priority_measures": ["NT1", "NT999"]}, "priority_measures.1"),
        ({"statement": "x"}, "priority_measures"),
        ({"statement": "  ", "priority_measures": ["NT1"]}, "statement"),
        (
            {"statement": "x", "priority_measures": ["NT1"], "framework_version": "x"},
            "framework_version",
        ),
    ],
)
async def test_policy_rules_are_refused_naming_the_field(
    ledger: Ledger, body: dict[str, Any], field: str
) -> None:
    response = await ledger.client.put("/policies/council-a", json=body, headers=BUYER)

    assert response.status_code == 422
    assert fields(response) == [field]
