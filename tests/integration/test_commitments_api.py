"""Registering contracts over HTTP: obligations, targets, validation and visibility."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import ClientFactory, bearer

BUYER = bearer("council-a", "buyer")
SUPPLIER = bearer("acme-ltd", "supplier")
STRANGER = bearer("council-b", "buyer")


def contract(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "reference": "CW-2026-001",
        "title": "Highways maintenance",
        "supplier": "acme-ltd",
        "starts_on": "2026-04-01",
        "ends_on": "2027-03-31",
        "value_gbp": "2500000.00",
        "obligations": [{"measure": "NT1", "target_per_quarter": "4"}],
    }
    body.update(overrides)
    return body


async def commitments(service_client: ClientFactory) -> httpx.AsyncClient:
    return await service_client("commitments")


async def test_a_registered_contract_carries_quarterly_targets(
    service_client: ClientFactory,
) -> None:
    client = await commitments(service_client)

    created = await client.post("/contracts", json=contract(), headers=BUYER)

    assert created.status_code == 201, created.text
    body = created.json()
    [obligation] = body["obligations"]
    assert obligation["targets"] == {f"2026-27-Q{n}": "4" for n in range(1, 5)}
    assert obligation["total"] == "16"
    assert (obligation["unit"], obligation["theme"]) == ("FTE", "Jobs")
    assert body["buyer"] == "council-a"
    assert created.headers["ETag"] == '"1"'
    read = await client.get(created.headers["Location"], headers=SUPPLIER)
    assert read.status_code == 200
    assert read.json() == body


async def test_another_organisation_cannot_see_the_contract(service_client: ClientFactory) -> None:
    client = await commitments(service_client)
    created = await client.post("/contracts", json=contract(), headers=BUYER)

    response = await client.get(created.headers["Location"], headers=STRANGER)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_an_unknown_measure_is_refused_naming_the_field(
    service_client: ClientFactory,
) -> None:
    client = await commitments(service_client)
    body = contract(
        obligations=[
            {"measure": "NT1", "target_per_quarter": "4"},
            {"measure": "NT999", "target_per_quarter": "1"},
        ]
    )

    response = await client.post("/contracts", json=body, headers=BUYER)

    assert response.status_code == 422
    problem = response.json()
    assert problem["type"].endswith("/validation-failed")
    assert [e["field"] for e in problem["errors"]] == ["obligations.1.measure"]
    assert "NT999" in problem["errors"][0]["message"]


async def test_targets_outside_the_contract_and_malformed_bodies_are_refused(
    service_client: ClientFactory,
) -> None:
    client = await commitments(service_client)
    outside = contract(obligations=[{"measure": "NT1", "targets": {"2028-29-Q1": "2"}}])
    negative = contract(obligations=[{"measure": "NT1", "target_per_quarter": "-1"}])

    r1 = await client.post("/contracts", json=outside, headers=BUYER)
    r2 = await client.post("/contracts", json=negative, headers=BUYER)
    r3 = await client.post("/contracts", content=b"{not json", headers=BUYER)

    assert r1.status_code == 422
    assert r1.json()["errors"][0]["field"] == "obligations.0.targets"
    assert r2.status_code == 422
    assert r2.json()["errors"][0]["field"] == "obligations.0.target_per_quarter"
    assert r3.status_code == 422


async def test_only_buyers_register_contracts_and_tokens_are_required(
    service_client: ClientFactory,
) -> None:
    client = await commitments(service_client)

    as_supplier = await client.post("/contracts", json=contract(), headers=SUPPLIER)
    anonymous = await client.post("/contracts", json=contract())
    forged = await client.post(
        "/contracts", json=contract(), headers={"Authorization": "Bearer not.a.token"}
    )

    assert as_supplier.status_code == 403
    assert anonymous.status_code == 401
    assert forged.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"


async def test_the_same_idempotency_key_and_body_registers_one_contract(
    service_client: ClientFactory,
) -> None:
    client = await commitments(service_client)
    headers = {**BUYER, "Idempotency-Key": "import-2026-11-28-001"}

    first = await client.post("/contracts", json=contract(), headers=headers)
    again = await client.post("/contracts", json=contract(), headers=headers)
    changed = await client.post("/contracts", json=contract(title="Other"), headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert changed.status_code == 409
    assert changed.json()["errors"][0]["field"] == "Idempotency-Key"
    other_org = await client.post(
        "/contracts",
        json=contract(),
        headers={**STRANGER, "Idempotency-Key": "import-2026-11-28-001"},
    )
    assert other_org.status_code == 201
    assert other_org.json()["contract_id"] != first.json()["contract_id"]
