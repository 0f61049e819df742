"""Writes are limited per organisation: 429 with Retry-After, other organisations unaffected."""

from __future__ import annotations

from tests.conftest import ClientFactory, bearer

BODY = {
    "reference": "CW-9",
    "title": "Cleaning",
    "supplier": "acme-ltd",
    "starts_on": "2026-04-01",
    "ends_on": "2027-03-31",
    "obligations": [{"measure": "NT1", "target_per_quarter": "1"}],
}


def body(n: int) -> dict[str, object]:
    return {**BODY, "reference": f"CW-{n}"}


async def test_an_organisation_over_its_write_limit_is_told_when_to_retry(
    service_client: ClientFactory,
) -> None:
    client = await service_client("commitments", writes_per_minute=6, write_burst=3)
    busy, calm = bearer("council-a", "buyer"), bearer("council-b", "buyer")

    statuses = [
        (await client.post("/contracts", json=body(n), headers=busy)).status_code for n in range(3)
    ]
    refused = await client.post("/contracts", json=body(3), headers=busy)
    other = await client.post("/contracts", json=body(4), headers=calm)
    read = await client.get("/healthz", headers=busy)

    assert statuses == [201, 201, 201]
    assert refused.status_code == 429
    # Six a minute is one every 10 s; the wait is shorter by however long the posts took (the
    # exact figure, on a clock that stands still, is in tests/unit/test_ratelimit.py).
    assert 1 <= int(refused.headers["Retry-After"]) <= 10
    assert f"retry in {refused.headers['Retry-After']}s" in refused.json()["detail"]
    assert refused.json()["type"].endswith("/rate-limited")
    assert (other.status_code, read.status_code) == (201, 200)
