"""Correlation ids and trace context travel from a request into the events it causes."""

from __future__ import annotations

from tests.conftest import ClientFactory, bearer

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


async def test_a_request_correlation_id_and_traceparent_reach_the_event_metadata(
    service_client: ClientFactory,
) -> None:
    client = await service_client("commitments")
    headers = {
        **bearer("council-a", "buyer", subject="cm@council-a"),
        "X-Correlation-ID": "import-batch-7",
        "traceparent": TRACEPARENT,
    }
    body = {
        "reference": "CW-1",
        "title": "Catering",
        "supplier": "acme-ltd",
        "starts_on": "2026-04-01",
        "ends_on": "2027-03-31",
        "obligations": [{"measure": "NT1", "target_per_quarter": "1"}],
    }

    created = await client.post("/contracts", json=body, headers=headers)

    assert created.status_code == 201
    assert created.headers["X-Correlation-ID"] == "import-batch-7"
    store = client._transport.app.state.runtime.store  # type: ignore[attr-defined]
    [event] = await store.load(f"contract-{created.json()['contract_id']}")
    assert event.metadata.actor == "cm@council-a"
    assert event.metadata.organisation == "council-a"
    assert event.metadata.correlation_id == "import-batch-7"
    assert event.metadata.traceparent is not None
    assert event.metadata.traceparent.split("-")[1] == TRACEPARENT.split("-")[1]


async def test_a_request_without_a_correlation_id_gets_one(service_client: ClientFactory) -> None:
    client = await service_client("commitments")
    response = await client.get("/healthz")
    assert len(response.headers["X-Correlation-ID"]) == 36
