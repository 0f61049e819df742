"""One return, one trace across services; and the metrics operators watch for lag."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from svledger.bus import ConsumerSpec
from svledger.clock import FixedClock
from svledger.consumers import Consumer, Outcome, apply_batch
from svledger.database import Database
from svledger.envelope import EventEnvelope
from svledger.eventstore import EventStore

from tests.conftest import ClientFactory, DatabaseFactory
from tests.harness import ACTOR, NatsServer, eventually
from tests.integration.test_measurement_api import (
    BUYER,
    SUPPLIER,
    Commitments,
    commitments_feed,
    obligation_ids,
    quarterly,
    schedule_of,
)

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture(scope="session")
def exporter() -> InMemorySpanExporter:
    """Finished spans of every service started in this process."""
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    trace.set_tracer_provider(provider)
    return memory


@pytest.fixture
async def commitments(nats_server: NatsServer) -> AsyncIterator[Commitments]:
    async with commitments_feed(nats_server.url) as feed:
        yield feed


def in_trace(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return [
        s
        for s in exporter.get_finished_spans()
        if s.context is not None and format(s.context.trace_id, "032x") == TRACE_ID
    ]


async def test_a_submitted_return_is_one_trace_through_measurement_and_reporting(
    service_client: ClientFactory, commitments: Commitments, exporter: InMemorySpanExporter
) -> None:
    clock = FixedClock.at(date(2026, 7, 15))
    measurement = await service_client("measurement", clock=clock)
    reporting = await service_client("reporting", clock=clock)
    contract = await commitments.award(obligations=[("NT1", "FTE", quarterly("4"))])
    await schedule_of(measurement, contract["contract_id"])
    [obligation] = obligation_ids(contract)

    submitted = await measurement.post(
        f"/contracts/{contract['contract_id']}/returns",
        json={"period": "2026-27-Q1", "lines": [{"obligation_id": obligation, "quantity": "2"}]},
        headers={**SUPPLIER, "traceparent": TRACEPARENT},
    )
    assert submitted.status_code == 201, submitted.text

    async def progress() -> dict[str, Any]:
        url = f"/contracts/{contract['contract_id']}/progress"
        response = await reporting.get(url, headers=BUYER)
        return response.json() if response.status_code == 200 else {}

    await eventually(
        progress,
        until=lambda p: (
            bool(p.get("open_alerts")) and p["obligations"][0]["delivered_to_date"] is not None
        ),
        what="reporting to show the return's assessment and alert",
    )
    names = await eventually(
        lambda: _names(exporter),
        until=lambda n: (
            {"reporting-schedules ObligationAssessed", "reporting-alerts AlertRaised"} <= n
        ),
        what="reporting's consumer spans in the return's trace",
    )
    assert f"measurement POST /contracts/{contract['contract_id']}/returns" in names


async def _names(exporter: InMemorySpanExporter) -> set[str]:
    return {s.name for s in in_trace(exporter)}


async def test_a_rebuild_replays_history_without_adding_to_its_traces(
    make_database: DatabaseFactory, exporter: InMemorySpanExporter
) -> None:
    store = EventStore(Database(await make_database("reporting")))
    consumer = Consumer(ConsumerSpec(name="test-traced", stream="S", subjects=("svl.t.>",)))

    def delivered(stream_id: str) -> EventEnvelope:
        return EventEnvelope(
            event_id=uuid.uuid4(),
            stream_id=stream_id,
            stream_version=1,
            type="Happened",
            schema_version=1,
            data={},
            metadata=replace(ACTOR, traceparent=TRACEPARENT),
            recorded_at=datetime.now(UTC),
        )

    def spans() -> int:
        return sum(s.name == "test-traced Happened" for s in in_trace(exporter))

    before = spans()
    try:
        live = await apply_batch(store, consumer, [delivered("live-1")])
        after_live = spans()
        replayed = await apply_batch(store, consumer, [delivered("old-1")], traced=False)
    finally:
        await store.database.dispose()

    assert live == replayed == [Outcome.APPLIED]
    assert (after_live, spans()) == (before + 1, before + 1)


async def test_metrics_expose_relay_and_consumer_lag(
    service_client: ClientFactory, commitments: Commitments
) -> None:
    measurement = await service_client("measurement", clock=FixedClock.at(date(2026, 11, 28)))
    contract = await commitments.award(obligations=[("NT1", "FTE", quarterly("4"))])
    await schedule_of(measurement, contract["contract_id"])  # Q1 and Q2 returns are overdue

    await measurement.get(f"/contracts/{contract['contract_id']}/schedule", headers=BUYER)
    metrics = (await measurement.get("/metrics")).text

    assert 'svl_relay_lag_events{service="measurement"}' in metrics
    assert 'svl_relay_published_events{service="measurement"}' in metrics
    label = 'service="measurement",consumer="measurement-contracts"'
    assert f"svl_consumer_pending_messages{{{label}}} 0" in metrics
    applied = next(
        line
        for line in metrics.splitlines()
        if line.startswith(f"svl_consumer_applied_events{{{label}}}")
    )
    assert float(applied.split()[-1]) >= 1
    assert f"svl_consumer_redelivered_messages{{{label}}} 0" in metrics
    route = 'route="/contracts/{contract_id}/schedule"'
    assert (
        f'svl_http_requests_total{{service="measurement",method="GET",{route},status="200"}}'
        in metrics
    )
    assert 'svl_http_request_seconds_bucket{service="measurement",method="GET",' in metrics
    assert 'svl_open_alerts{kind="overdue_return"} 2' in metrics


async def test_log_lines_carry_the_trace_id_of_the_request(
    exporter: InMemorySpanExporter, capsys: pytest.CaptureFixture[str]
) -> None:
    import json
    import logging

    from svledger.logs import configure_logging
    from svledger.telemetry import span

    configure_logging("measurement")
    with span("measurement POST /x", TRACEPARENT, SpanKind.SERVER):
        logging.getLogger("measurement.test").info("return received")

    line = next(
        json.loads(raw) for raw in capsys.readouterr().out.splitlines() if "return received" in raw
    )
    assert (line["trace_id"], line["service"]) == (TRACE_ID, "measurement")
