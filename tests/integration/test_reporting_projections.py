"""Reporting's read models, fed the events commitments and measurement publish, on every backend.

Events go in through the consumers (``apply_once``, as the runner applies them, or over a real
JetStream), figures come out through the HTTP API as a contract manager or supplier reads them.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from collections.abc import AsyncIterator, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi import FastAPI
from openpyxl import load_workbook
from reporting.adapters.tables import metadata as read_model_metadata
from reporting.bootstrap import Reporting
from reporting.consumers import CONSUMERS
from reporting.main import create_app
from reporting.settings import load_settings
from sqlalchemy import delete, event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import StatementError
from svledger.auth import issue_dev_token
from svledger.bus import connect, subject_for
from svledger.clock import FixedClock
from svledger.consumers import Consumer, Outcome, apply_batch, apply_once
from svledger.envelope import EventEnvelope, Metadata
from svledger.schema import consumer_positions

from tests.conftest import DatabaseFactory
from tests.harness import NatsServer, eventually
from tests.integration.test_reporting_migrations import overdue_return_raised

BUYER = "org-wirral-council"
SUPPLIER = "org-mersey-builders"
OTHER_BUYER = "org-another-council"
AWARDED_AT = datetime(2026, 3, 20, 10, tzinfo=UTC)
ASSESSED_AT = datetime(2026, 7, 21, 9, tzinfo=UTC)

PRODUCERS = {"contract": "commitments", "schedule": "measurement", "alert": "measurement"}
CONSUMER_OF = {
    "contract": "reporting-contracts",
    "schedule": "reporting-schedules",
    "alert": "reporting-alerts",
}


def consumer_for(event: EventEnvelope) -> Consumer:
    """The reporting consumer whose subjects carry this event."""
    return next(c for c in CONSUMERS if c.name == CONSUMER_OF[event.aggregate])


@dataclass
class Contract:
    """One awarded contract and the events that follow it, numbered per stream."""

    contract_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    jobs: str = field(default_factory=lambda: str(uuid.uuid4()))
    apprenticeships: str = field(default_factory=lambda: str(uuid.uuid4()))
    alert_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    versions: dict[str, int] = field(default_factory=dict)

    def event(
        self, stream_id: str, type_: str, data: dict[str, Any], at: datetime
    ) -> EventEnvelope:
        version = self.versions.get(stream_id, 0) + 1
        self.versions[stream_id] = version
        return EventEnvelope(
            event_id=uuid.uuid4(),
            stream_id=stream_id,
            stream_version=version,
            type=type_,
            schema_version=1,
            data=data,
            metadata=Metadata(actor="someone", organisation=BUYER),
            recorded_at=at,
        )

    def awarded(self) -> EventEnvelope:
        quarters = ["2026-27-Q1", "2026-27-Q2", "2026-27-Q3", "2026-27-Q4"]
        return self.event(
            f"contract-{self.contract_id}",
            "ContractAwarded",
            {
                "contract_id": self.contract_id,
                "reference": "WC-2026-014",
                "title": "Highways maintenance",
                "buyer": BUYER,
                "supplier": SUPPLIER,
                "starts_on": "2026-04-01",
                "ends_on": "2027-03-31",
                "value_gbp": "1250000.00",
                "return_due_days": 30,
                "framework_version": "cm-toms-2023",
                "obligations": [
                    {
                        "obligation_id": self.jobs,
                        "measure": "NT1",
                        "theme": "Jobs",
                        "outcome": "More local people in employment",
                        "unit": "FTE",
                        "description": "Local people employed on the contract",
                        "is_kpi": True,
                        "targets": dict.fromkeys(quarters, "4"),
                        "total": "16",
                    },
                    {
                        "obligation_id": self.apprenticeships,
                        "measure": "NT10",
                        "theme": "Skills",
                        "outcome": "More opportunities for disadvantaged people",
                        "unit": "weeks",
                        "description": "Apprenticeship weeks",
                        "is_kpi": False,
                        "targets": dict.fromkeys(quarters, "13"),
                        "total": "52",
                    },
                ],
            },
            AWARDED_AT,
        )

    def schedule(self, type_: str, data: dict[str, Any]) -> EventEnvelope:
        stream = f"schedule-{self.contract_id}"
        return self.event(stream, type_, {"contract_id": self.contract_id, **data}, ASSESSED_AT)

    def schedule_opened(self) -> EventEnvelope:
        return self.schedule("ScheduleOpened", {"periods": ["2026-27-Q1"]})

    def return_submitted(self, period: str = "2026-27-Q1", late: bool = False) -> EventEnvelope:
        lines = [{"obligation_id": self.jobs, "quantity": "2", "narrative": "two hires"}]
        return self.schedule(
            "ReturnSubmitted", {"period": period, "lines": lines, "narrative": "", "late": late}
        )

    def jobs_assessed(
        self,
        period: str = "2026-27-Q1",
        *,
        committed: str = "4",
        delivered: str = "2",
        ratio: str = "0.5000",
        status: str = "red",
    ) -> EventEnvelope:
        return self.schedule(
            "ObligationAssessed",
            {
                "obligation_id": self.jobs,
                "measure": "NT1",
                "unit": "FTE",
                "period": period,
                "target": "4",
                "delivered": delivered,
                "cumulative_target": committed,
                "cumulative_delivered": delivered,
                "ratio": ratio,
                "status": status,
                "forecast": "8",
                "alert_id": self.alert_id if status == "red" else None,
            },
        )

    def alert_raised(self) -> EventEnvelope:
        return self.event(
            f"alert-{self.alert_id}",
            "AlertRaised",
            {
                "alert_id": self.alert_id,
                "contract_id": self.contract_id,
                "obligation_id": self.jobs,
                "measure": "NT1",
                "period": "2026-27-Q1",
                "kind": "under_delivery",
                "severity": "high",
                "buyer": BUYER,
                "supplier": SUPPLIER,
                "ratio": "0.5000",
                "raised_on": "2026-07-21",
            },
            ASSESSED_AT,
        )

    def first_quarter_behind(self) -> list[EventEnvelope]:
        """Awarded; a Q1 return delivering 2 of 4 local jobs; assessed red; an alert raised."""
        return [
            self.awarded(),
            self.schedule_opened(),
            self.return_submitted(),
            self.jobs_assessed(),
            self.alert_raised(),
        ]


@pytest.fixture
async def app(make_database: DatabaseFactory, nats_server: NatsServer) -> AsyncIterator[FastAPI]:
    settings = load_settings(
        database_url=await make_database("reporting"),
        nats_url=nats_server.url,
        environment="test",
        run_relay=False,
        run_consumers=False,
    )
    app = create_app(settings, FixedClock.at(date(2026, 8, 1)))
    yield app
    await app.state.runtime.stop()


@pytest.fixture
def service(app: FastAPI) -> Reporting:
    reporting: Reporting = app.state.service
    return reporting


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://reporting") as client:
        yield client


def as_org(service: Reporting, organisation: str, role: str) -> dict[str, str]:
    token = issue_dev_token(
        service.runtime.settings,
        subject=f"user@{organisation}",
        organisation=organisation,
        roles=[role],
    )
    return {"Authorization": f"Bearer {token}"}


async def feed(service: Reporting, events: list[EventEnvelope]) -> list[Outcome]:
    return [await apply_once(service.store, consumer_for(e), e) for e in events]


async def progress(
    client: httpx.AsyncClient, service: Reporting, contract: Contract, org: str = BUYER
) -> httpx.Response:
    role = "supplier" if org == SUPPLIER else "buyer"
    return await client.get(
        f"/contracts/{contract.contract_id}/progress", headers=as_org(service, org, role)
    )


async def test_contract_manager_sees_committed_against_delivered_and_the_open_alert(
    client: httpx.AsyncClient, service: Reporting
) -> None:
    contract = Contract()
    assert set(await feed(service, contract.first_quarter_behind())) == {Outcome.APPLIED}

    response = await progress(client, service, contract)

    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == "WC-2026-014"
    assert (body["buyer"], body["supplier"]) == (BUYER, SUPPLIER)
    assert (body["starts_on"], body["ends_on"], body["value_gbp"]) == (
        "2026-04-01",
        "2027-03-31",
        "1250000",
    )
    jobs, apprenticeships = body["obligations"]
    assert jobs["obligation_id"] == contract.jobs
    assert (jobs["measure"], jobs["theme"], jobs["unit"]) == ("NT1", "Jobs", "FTE")
    assert jobs["committed_total"] == "16"
    assert jobs["committed_to_date"] == "4"
    assert jobs["delivered_to_date"] == "2"
    assert jobs["ratio"] == "0.5"
    assert jobs["status"] == "red"
    assert jobs["last_period_assessed"] == "2026-27-Q1"
    assert apprenticeships["committed_total"] == "52"
    assert apprenticeships["delivered_to_date"] is None  # not assessed yet: unknown, not zero
    assert apprenticeships["status"] is None
    assert [(r["period"], r["late"]) for r in body["returns"]] == [("2026-27-Q1", False)]
    [alert] = body["open_alerts"]
    assert alert["alert_id"] == contract.alert_id
    assert alert["obligation_id"] == contract.jobs
    assert (alert["kind"], alert["severity"], alert["status"]) == ("under_delivery", "high", "open")
    assert (alert["ratio"], alert["raised_on"]) == ("0.5", "2026-07-21")


async def test_the_supplier_sees_the_same_progress_as_the_buyer(
    client: httpx.AsyncClient, service: Reporting
) -> None:
    contract = Contract()
    await feed(service, contract.first_quarter_behind())

    as_buyer = await progress(client, service, contract, BUYER)
    as_supplier = await progress(client, service, contract, SUPPLIER)

    assert as_supplier.status_code == 200
    assert as_supplier.json() == as_buyer.json()


async def test_another_organisation_gets_not_found_never_forbidden(
    client: httpx.AsyncClient, service: Reporting
) -> None:
    contract = Contract()
    await feed(service, contract.first_quarter_behind())

    theirs = await progress(client, service, contract, OTHER_BUYER)
    unknown = await progress(client, service, Contract(), BUYER)

    assert theirs.status_code == 404
    assert theirs.headers["content-type"] == "application/problem+json"
    assert theirs.json()["type"].endswith("/not-found")
    assert "WC-2026-014" not in theirs.text  # nothing about the contract leaks
    assert unknown.status_code == 404  # the same answer as for a contract that does not exist
    assert theirs.json()["detail"] == f"contract {contract.contract_id} was not found"


async def test_open_alerts_are_listed_for_both_parties_and_nobody_else(
    client: httpx.AsyncClient, service: Reporting
) -> None:
    contract = Contract()
    await feed(service, contract.first_quarter_behind())

    async def open_alerts(org: str, role: str) -> list[dict[str, Any]]:
        response = await client.get(
            "/alerts", params={"status": "open"}, headers=as_org(service, org, role)
        )
        assert response.status_code == 200
        alerts: list[dict[str, Any]] = response.json()["alerts"]
        return alerts

    for_buyer = await open_alerts(BUYER, "buyer")
    for_supplier = await open_alerts(SUPPLIER, "supplier")

    assert [a["alert_id"] for a in for_buyer] == [contract.alert_id]
    assert for_supplier == for_buyer
    assert for_buyer[0]["contract_id"] == contract.contract_id
    assert await open_alerts(OTHER_BUYER, "buyer") == []


async def test_reading_needs_a_token_and_a_party_role(
    client: httpx.AsyncClient, service: Reporting
) -> None:
    anonymous = await client.get("/alerts")
    vcfse = await client.get("/alerts", headers=as_org(service, BUYER, "vcfse"))
    bad_status = await client.get(
        "/alerts", params={"status": "lost"}, headers=as_org(service, BUYER, "buyer")
    )

    assert anonymous.status_code == 401
    assert vcfse.status_code == 403
    assert bad_status.status_code == 422


async def test_redelivered_events_change_nothing(
    client: httpx.AsyncClient, service: Reporting
) -> None:
    contract = Contract()
    events = contract.first_quarter_behind()
    await feed(service, events)
    before = (await progress(client, service, contract)).json()

    again = await feed(service, events)

    assert set(again) == {Outcome.DUPLICATE}
    assert (await progress(client, service, contract)).json() == before


async def test_replaying_every_event_from_scratch_gives_the_same_figures(
    client: httpx.AsyncClient, service: Reporting
) -> None:
    contract = Contract()
    events = contract.first_quarter_behind()
    await feed(service, events)
    before = (await progress(client, service, contract)).json()

    # A rebuild forgets what was applied and replays the log over the existing rows.
    async with service.runtime.database.writer.begin() as conn:
        await conn.execute(delete(consumer_positions))
    replayed = await feed(service, events)

    assert set(replayed) == {Outcome.APPLIED}
    after = (await progress(client, service, contract)).json()
    assert after == before
    assert len(after["open_alerts"]) == 1
    assert after["obligations"][0]["delivered_to_date"] == "2"


async def test_measurement_events_arriving_before_the_contract_are_kept(
    client: httpx.AsyncClient, service: Reporting
) -> None:
    contract = Contract()
    awarded, *measured = contract.first_quarter_behind()

    await feed(service, measured)
    before_contract = await progress(client, service, contract)
    await feed(service, [awarded])
    after_contract = await progress(client, service, contract)

    assert before_contract.status_code == 404
    assert after_contract.status_code == 200
    jobs = after_contract.json()["obligations"][0]
    assert (jobs["theme"], jobs["committed_total"], jobs["delivered_to_date"]) == (
        "Jobs",
        "16",
        "2",
    )
    assert (jobs["ratio"], jobs["status"]) == ("0.5", "red")
    assert len(after_contract.json()["open_alerts"]) == 1


async def test_reassessing_an_earlier_quarter_does_not_replace_a_later_one(
    client: httpx.AsyncClient, service: Reporting
) -> None:
    contract = Contract()
    await feed(
        service,
        [
            contract.awarded(),
            contract.jobs_assessed("2026-27-Q1"),
            contract.jobs_assessed(
                "2026-27-Q2", committed="8", delivered="7", ratio="0.875", status="amber"
            ),
            contract.jobs_assessed(
                "2026-27-Q1", committed="4", delivered="3", ratio="0.75", status="amber"
            ),
        ],
    )

    jobs = (await progress(client, service, contract)).json()["obligations"][0]

    assert jobs["last_period_assessed"] == "2026-27-Q2"
    assert (jobs["committed_to_date"], jobs["delivered_to_date"], jobs["ratio"]) == (
        "8",
        "7",
        "0.875",
    )


async def test_a_figure_that_cannot_be_kept_exactly_is_refused_not_rounded(
    client: httpx.AsyncClient, service: Reporting
) -> None:
    contract = Contract()
    await feed(service, [contract.awarded()])
    too_precise = contract.jobs_assessed(ratio="0.333333")

    with pytest.raises(StatementError, match="more than 4 decimal places"):
        await apply_once(service.store, consumer_for(too_precise), too_precise)

    jobs = (await progress(client, service, contract)).json()["obligations"][0]
    assert jobs["ratio"] is None  # nothing half-applied; the runner will retry, then dead-letter


async def test_events_published_on_the_bus_reach_the_progress_view(
    client: httpx.AsyncClient, service: Reporting, nats_server: NatsServer
) -> None:
    contract = Contract()
    await service.runtime.start(relay=False, consumers=True)
    publisher = await connect(nats_server.url, name="test-publisher")
    try:
        js = publisher.jetstream()
        for event in contract.first_quarter_behind():
            await js.publish(
                subject_for(PRODUCERS[event.aggregate], event),
                json.dumps(event.as_json()).encode(),
                headers={"Nats-Msg-Id": str(event.event_id)},
            )

        async def probe() -> dict[str, Any]:
            response = await progress(client, service, contract)
            return response.json() if response.status_code == 200 else {}

        body = await eventually(
            probe,
            until=lambda b: (
                bool(b.get("open_alerts")) and b["obligations"][0]["status"] is not None
            ),
            what="the contract's progress to show its assessment and alert",
        )
    finally:
        await publisher.drain()

    jobs = body["obligations"][0]
    assert (jobs["committed_total"], jobs["delivered_to_date"], jobs["status"]) == (
        "16",
        "2",
        "red",
    )
    assert [a["alert_id"] for a in body["open_alerts"]] == [contract.alert_id]


async def test_migrations_create_the_read_models_the_code_writes(service: Reporting) -> None:
    def differences(conn: Connection) -> list[Any]:
        def ours(name: str | None, type_: str, parents: dict[str, str | None]) -> bool:
            if type_ == "schema":
                return True
            table = name if type_ == "table" else parents.get("table_name")
            return table in read_model_metadata.tables

        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": ours}
        )
        return list(compare_metadata(context, read_model_metadata))

    async with service.runtime.database.reader.connect() as conn:
        assert await conn.run_sync(differences) == []


async def test_an_assessment_with_nothing_due_yet_shows_no_ratio_rather_than_failing(
    client: httpx.AsyncClient, service: Reporting
) -> None:
    contract = Contract()
    nothing_due = contract.schedule(
        "ObligationAssessed",
        {
            "obligation_id": contract.jobs,
            "measure": "NT1",
            "unit": "FTE",
            "period": "2026-27-Q1",
            "target": "0",
            "delivered": "1",
            "cumulative_target": "0",
            "cumulative_delivered": "1",
            "ratio": None,
            "status": "green",
            "forecast": "4",
            "total": "16",
            "alert_id": None,
            "alert_kind": None,
        },
    )

    outcomes = await feed(service, [contract.awarded(), nothing_due])

    assert outcomes == [Outcome.APPLIED, Outcome.APPLIED]
    jobs = (await progress(client, service, contract)).json()["obligations"][0]
    assert (jobs["delivered_to_date"], jobs["ratio"], jobs["status"]) == ("1", None, "green")


async def test_an_overdue_return_alert_shows_with_the_returns_not_the_obligations(
    client: httpx.AsyncClient, service: Reporting
) -> None:
    contract = Contract()
    overdue_id = str(uuid.uuid4())
    overdue = contract.event(
        f"alert-{overdue_id}",
        "AlertRaised",
        {
            "alert_id": overdue_id,
            "contract_id": contract.contract_id,
            "obligation_id": None,
            "measure": None,
            "period": "2026-27-Q2",
            "kind": "overdue_return",
            "severity": "medium",
            "buyer": BUYER,
            "supplier": SUPPLIER,
            "ratio": None,
            "raised_on": "2026-10-31",
            "level": 1,
            "escalated_to": "contract_manager",
            "detail": "the return for 2026-27-Q2 was due on 2026-10-30",
        },
        ASSESSED_AT,
    )

    outcomes = await feed(service, [*contract.first_quarter_behind(), overdue])

    assert set(outcomes) == {Outcome.APPLIED}
    body = (await progress(client, service, contract)).json()
    assert [a["alert_id"] for a in body["open_alerts"]] == [contract.alert_id]
    [on_returns] = body["open_return_alerts"]
    assert (on_returns["alert_id"], on_returns["kind"]) == (overdue_id, "overdue_return")
    assert (on_returns["obligation_id"], on_returns["measure"]) == (None, None)
    listed = await client.get(
        "/alerts", params={"status": "open"}, headers=as_org(service, BUYER, "buyer")
    )
    assert {a["alert_id"] for a in listed.json()["alerts"]} == {contract.alert_id, overdue_id}


async def more_alerts_than_one_read(service: Reporting) -> list[str]:
    """5,003 alerts for BUYER (the file is written as they are read, 5,000 at a time) and 3
    for another buyer; BUYER's alert ids, oldest first."""

    def raised(n: int, buyer: str) -> EventEnvelope:
        return overdue_return_raised(
            str(uuid.uuid4()),
            buyer=buyer,
            supplier=SUPPLIER if buyer == BUYER else "org-someone-else",
            raised_on=f"2026-07-{1 + n % 28:02d}",
        )

    ours = [raised(n, BUYER) for n in range(5_003)]
    theirs = [raised(n, OTHER_BUYER) for n in range(3)]
    alerts = next(c for c in CONSUMERS if c.name == "reporting-alerts")
    events = [*ours, *theirs]
    for start in range(0, len(events), 500):
        await apply_batch(service.store, alerts, events[start : start + 500], traced=False)
    return [
        e.data["alert_id"] for e in sorted(ours, key=lambda e: (e.data["raised_on"], e.stream_id))
    ]


async def test_an_alert_list_longer_than_one_read_exports_whole_in_order_and_only_its_own(
    client: httpx.AsyncClient, service: Reporting
) -> None:
    oldest_first = await more_alerts_than_one_read(service)
    headers = as_org(service, BUYER, "buyer")

    as_csv = await client.get("/alerts", params={"format": "csv"}, headers=headers)
    as_xlsx = await client.get("/alerts", params={"format": "xlsx"}, headers=headers)
    listed = await client.get("/alerts", params={"limit": 1}, headers=headers)

    assert as_csv.status_code == 200, as_csv.text
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert [r["Alert id"] for r in rows] == oldest_first
    assert listed.json()["total"] == len(rows)
    assert as_xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(as_xlsx.content), read_only=True).worksheets[0]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == oldest_first


@pytest.mark.parametrize("export", ["csv", "xlsx"])
async def test_a_download_the_client_gives_up_part_way_gives_its_connection_back(
    app: FastAPI, service: Reporting, export: str
) -> None:
    await more_alerts_than_one_read(service)
    in_use = 0

    def checked_out(*_: object) -> None:
        nonlocal in_use
        in_use += 1

    def checked_in(*_: object) -> None:
        nonlocal in_use
        in_use -= 1

    pool = service.runtime.database.reader.sync_engine.pool
    event.listen(pool, "checkout", checked_out)
    event.listen(pool, "checkin", checked_in)
    token = as_org(service, BUYER, "buyer")["Authorization"].encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/alerts",
        "raw_path": b"/alerts",
        "root_path": "",
        "query_string": f"format={export}".encode(),
        "headers": [(b"host", b"reporting"), (b"authorization", token)],
        "client": ("127.0.0.1", 50000),
        "server": ("reporting", 80),
    }
    sent: list[MutableMapping[str, Any]] = []
    in_use_while_sending: list[int] = []
    gone = asyncio.Event()
    asked = False

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    # The first rows: a CSV's first line, or a workbook's first piece (its rows compressed).
    first_rows = b"\r\n" if export == "csv" else b"PK"

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and first_rows in message.get("body", b""):
            in_use_while_sending.append(in_use)
            gone.set()  # the client goes away after the first rows

    await asyncio.wait_for(app(scope, receive, send), timeout=30)

    assert sent[0]["status"] == 200
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    if export == "csv":
        assert 0 < body.count(b"\r\n") < 5_003  # it stopped part way
    else:
        assert body.startswith(b"PK")  # it stopped part way: the zip never got its end
        assert b"PK\x05\x06" not in body
    assert in_use_while_sending[0] == 1  # the file was being read as it was sent
    assert in_use == 0
