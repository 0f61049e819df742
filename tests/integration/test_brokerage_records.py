"""The brokerage records what suppliers owe and where they fall short, for the parties only.

Run against every backend the machine has: events go through the consumers exactly as the
runner applies them (``apply_once``), and once end to end over a real NATS server.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from brokerage.adapters import tables
from brokerage.adapters.schema import metadata
from brokerage.application.obligations import list_obligations
from brokerage.application.shortfalls import list_shortfalls
from brokerage.consumers import CONSUMERS
from brokerage.consumers.alerts import ALERTS
from brokerage.consumers.contracts import CONTRACTS
from brokerage.main import create_app
from brokerage.settings import load_settings
from sqlalchemy import MetaData, func, select
from sqlalchemy.engine import Connection
from svledger.auth import Principal, Role, issue_dev_token
from svledger.bus import connect, subject_for
from svledger.consumers import Outcome, apply_once
from svledger.database import Database
from svledger.envelope import EventEnvelope, Metadata
from svledger.errors import ValidationFailed
from svledger.eventstore import EventStore
from svledger.periods import Quarter
from svledger.settings import ServiceSettings

from tests.conftest import DatabaseFactory
from tests.harness import NatsServer, eventually

BUYER = "council-a"
SUPPLIER = "supplier-b"
OUTSIDER = "supplier-c"


@pytest.fixture
async def store(make_database: DatabaseFactory) -> AsyncIterator[EventStore]:
    database = Database(await make_database("brokerage"))
    yield EventStore(database)
    await database.dispose()


def recorded(stream_id: str, version: int, event_type: str, data: dict[str, Any]) -> EventEnvelope:
    """An event as another service's relay would publish it."""
    return EventEnvelope(
        event_id=uuid.uuid4(),
        stream_id=stream_id,
        stream_version=version,
        type=event_type,
        schema_version=1,
        data=data,
        metadata=Metadata(actor="someone", organisation=BUYER),
        recorded_at=datetime(2026, 11, 28, 12, tzinfo=UTC),
    )


def obligation(measure: str, total: str, **overrides: Any) -> dict[str, Any]:
    return {
        "obligation_id": str(uuid.uuid4()),
        "measure": measure,
        "theme": "Jobs",
        "outcome": "More local people in employment",
        "unit": "FTE",
        "description": "local jobs",
        "is_kpi": True,
        "targets": {"2026-27-Q1": total},
        "total": total,
    } | overrides


def contract_awarded(
    *obligations: dict[str, Any], buyer: str = BUYER, supplier: str = SUPPLIER
) -> EventEnvelope:
    contract_id = str(uuid.uuid4())
    return recorded(
        f"contract-{contract_id}",
        1,
        "ContractAwarded",
        {
            "contract_id": contract_id,
            "reference": "C-1",
            "title": "Highways maintenance",
            "buyer": buyer,
            "supplier": supplier,
            "starts_on": "2026-04-01",
            "ends_on": "2028-03-31",
            "value_gbp": "2500000.00",
            "return_due_days": 30,
            "framework_version": "cm-toms-2023",
            "obligations": list(obligations),
        },
    )


def alert_raised(contract: EventEnvelope, index: int = 0, **overrides: Any) -> EventEnvelope:
    ob = contract.data["obligations"][index]
    alert_id = str(uuid.uuid4())
    data = {
        "alert_id": alert_id,
        "contract_id": contract.data["contract_id"],
        "obligation_id": ob["obligation_id"],
        "measure": ob["measure"],
        "period": "2026-27-Q1",
        "kind": "under_delivery",
        "severity": "high",
        "buyer": contract.data["buyer"],
        "supplier": contract.data["supplier"],
        "ratio": "0.3333",
        "raised_on": "2026-08-01",
    } | overrides
    return recorded(f"alert-{alert_id}", 1, "AlertRaised", data)


def party(organisation: str, role: Role) -> Principal:
    return Principal(subject="someone", organisation=organisation, roles=frozenset({role}))


async def count(store: EventStore, table: str) -> int:
    async with store.database.reader.connect() as conn:
        rows = await conn.execute(select(func.count()).select_from(metadata.tables[table]))
        return int(rows.scalar_one())


async def test_migrations_create_the_read_model_tables_as_the_code_declares_them(
    store: EventStore,
) -> None:
    def differences(conn: Connection, declared: MetaData) -> list[Any]:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_name": lambda name, kind, _parents: (
                    kind != "table" or name in declared.tables
                ),
            },
        )
        return list(compare_metadata(context, declared))

    async with store.database.reader.connect() as conn:
        for declared in (metadata, tables.metadata):
            assert await conn.run_sync(differences, declared) == []


async def test_awarded_contract_records_what_its_supplier_owes_for_both_parties(
    store: EventStore,
) -> None:
    jobs = obligation("NT1", "16")
    vcfse_spend = obligation(
        "NT14", "12345678901234.5678", theme="Social", outcome="VCFSE spend", unit="GBP"
    )
    contract = contract_awarded(jobs, vcfse_spend)

    assert await apply_once(store, CONTRACTS, contract) is Outcome.APPLIED

    for reader in (party(SUPPLIER, Role.SUPPLIER), party(BUYER, Role.BUYER)):
        owed = await list_obligations(store.database, reader)
        assert {o.measure: o.total_committed for o in owed} == {
            "NT1": Decimal("16"),
            "NT14": Decimal("12345678901234.5678"),
        }
    nt14 = next(o for o in owed if o.measure == "NT14")
    assert str(nt14.obligation_id) == vcfse_spend["obligation_id"]
    assert str(nt14.contract_id) == contract.data["contract_id"]
    assert (nt14.supplier, nt14.buyer) == (SUPPLIER, BUYER)
    assert (nt14.theme, nt14.outcome, nt14.unit) == ("Social", "VCFSE spend", "GBP")
    assert nt14.contract_ends_on == date(2028, 3, 31)


async def test_under_delivery_alerts_are_recorded_as_shortfalls_newest_first(
    store: EventStore,
) -> None:
    contract = contract_awarded(obligation("NT1", "16"), obligation("NT10", "40"))
    earlier = alert_raised(contract, 0, severity="medium", ratio="0.7500", raised_on="2026-08-01")
    later = alert_raised(contract, 1, period="2026-27-Q2", ratio="0.1", raised_on="2026-11-01")
    await apply_once(store, CONTRACTS, contract)

    assert await apply_once(store, ALERTS, earlier) is Outcome.APPLIED
    assert await apply_once(store, ALERTS, later) is Outcome.APPLIED

    for reader in (party(SUPPLIER, Role.SUPPLIER), party(BUYER, Role.BUYER)):
        shortfalls = await list_shortfalls(store.database, reader)
        assert [str(s.alert_id) for s in shortfalls] == [
            later.data["alert_id"],
            earlier.data["alert_id"],
        ]
    newest = shortfalls[0]
    assert newest.measure == "NT10"
    assert str(newest.obligation_id) == contract.data["obligations"][1]["obligation_id"]
    assert newest.period == Quarter(2026, 2)
    assert newest.severity == "high"
    assert newest.ratio == Decimal("0.1")
    assert newest.raised_on == date(2026, 11, 1)
    assert shortfalls[1].ratio == Decimal("0.7500")


async def test_another_organisation_sees_no_obligations_and_no_shortfalls(
    store: EventStore,
) -> None:
    contract = contract_awarded(obligation("NT1", "16"))
    await apply_once(store, CONTRACTS, contract)
    await apply_once(store, ALERTS, alert_raised(contract))
    theirs = contract_awarded(obligation("NT17", "100"), buyer="council-z", supplier=OUTSIDER)
    await apply_once(store, CONTRACTS, theirs)

    outsider = party(OUTSIDER, Role.SUPPLIER)
    assert [o.measure for o in await list_obligations(store.database, outsider)] == ["NT17"]
    assert await list_shortfalls(store.database, outsider) == []
    for stranger in (party("council-z", Role.BUYER), party("nobody", Role.SUPPLIER)):
        assert await list_shortfalls(store.database, stranger) == []
    assert [
        o.measure for o in await list_obligations(store.database, party(BUYER, Role.BUYER))
    ] == ["NT1"]


async def test_redelivered_events_change_nothing(store: EventStore) -> None:
    contract = contract_awarded(obligation("NT1", "16"), obligation("NT10", "40"))
    alert = alert_raised(contract)
    await apply_once(store, CONTRACTS, contract)
    await apply_once(store, ALERTS, alert)
    supplier = party(SUPPLIER, Role.SUPPLIER)
    before = (
        await list_obligations(store.database, supplier),
        await list_shortfalls(store.database, supplier),
    )

    assert await apply_once(store, CONTRACTS, contract) is Outcome.DUPLICATE
    assert await apply_once(store, ALERTS, alert) is Outcome.DUPLICATE

    after = (
        await list_obligations(store.database, supplier),
        await list_shortfalls(store.database, supplier),
    )
    assert after == before
    assert await count(store, "supplier_obligations") == 2
    assert await count(store, "shortfalls") == 1


async def test_other_alert_events_and_kinds_are_seen_but_record_nothing(
    store: EventStore,
) -> None:
    contract = contract_awarded(obligation("NT1", "16"))
    await apply_once(store, CONTRACTS, contract)
    overdue = alert_raised(contract, kind="overdue_return", ratio=None)
    shortfall = alert_raised(contract)
    acknowledged = recorded(
        shortfall.stream_id, 2, "AlertAcknowledged", {"alert_id": shortfall.data["alert_id"]}
    )
    varied = recorded(contract.stream_id, 2, "ContractVaried", {"anything": "at all"})

    assert await apply_once(store, ALERTS, overdue) is Outcome.APPLIED
    assert await apply_once(store, ALERTS, shortfall) is Outcome.APPLIED
    assert await apply_once(store, ALERTS, acknowledged) is Outcome.APPLIED
    assert await apply_once(store, CONTRACTS, varied) is Outcome.APPLIED

    shortfalls = await list_shortfalls(store.database, party(SUPPLIER, Role.SUPPLIER))
    assert [str(s.alert_id) for s in shortfalls] == [shortfall.data["alert_id"]]
    assert await count(store, "supplier_obligations") == 1


async def test_a_quantity_sent_as_a_float_is_refused_and_records_nothing(
    store: EventStore,
) -> None:
    contract = contract_awarded(obligation("NT1", "16"), obligation("NT10", "0.1"))
    contract.data["obligations"][1]["total"] = 0.1

    with pytest.raises(ValidationFailed, match="exact decimal"):
        await apply_once(store, CONTRACTS, contract)

    assert await count(store, "supplier_obligations") == 0
    # Not marked as applied either: the runner will redeliver it, then dead-letter it.
    with pytest.raises(ValidationFailed):
        await apply_once(store, CONTRACTS, contract)


def bearer(settings: ServiceSettings, organisation: str, *roles: Role) -> dict[str, str]:
    token = issue_dev_token(
        settings, subject="someone", organisation=organisation, roles=[r.value for r in roles]
    )
    return {"Authorization": f"Bearer {token}"}


async def test_events_on_the_bus_reach_the_api_of_the_parties_only(
    make_database: DatabaseFactory, nats_server: NatsServer
) -> None:
    settings = load_settings(
        database_url=await make_database("brokerage"),
        nats_url=nats_server.url,
        environment="test",
        run_relay=False,
    )
    app = create_app(settings)
    runtime = app.state.service.runtime
    assert [c.spec for c in runtime.consumers] == [c.spec for c in CONSUMERS]
    # Organisations of this test only: the session's NATS server outlives each test.
    buyer, supplier = f"council-{uuid.uuid4().hex[:8]}", f"supplier-{uuid.uuid4().hex[:8]}"
    contract = contract_awarded(obligation("NT1", "16.50"), buyer=buyer, supplier=supplier)
    alert = alert_raised(contract, ratio="0.2500")
    acknowledged = recorded(alert.stream_id, 2, "AlertAcknowledged", {})

    await runtime.start()
    nc = await connect(nats_server.url, name="test-publisher")
    try:
        js = nc.jetstream()
        for service, event in (
            ("commitments", contract),
            ("measurement", alert),
            ("measurement", acknowledged),
        ):
            await js.publish(
                subject_for(service, event),
                json.dumps(event.as_json()).encode(),
                headers={"Nats-Msg-Id": str(event.event_id)},
            )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            as_supplier = bearer(settings, supplier, Role.SUPPLIER)

            async def shortfalls_seen() -> list[dict[str, Any]]:
                response = await client.get("/shortfalls", headers=as_supplier)
                assert response.status_code == 200
                body: list[dict[str, Any]] = response.json()
                return body

            shortfalls = await eventually(shortfalls_seen, what="the shortfall to be recorded")
            obligations = await client.get(
                "/obligations", headers=bearer(settings, buyer, Role.BUYER)
            )
            outsider = bearer(settings, OUTSIDER, Role.SUPPLIER, Role.BUYER)
            outsider_views = [
                (await client.get(path, headers=outsider)).json()
                for path in ("/shortfalls", "/obligations")
            ]
            as_vcfse = await client.get("/shortfalls", headers=bearer(settings, buyer, Role.VCFSE))
            anonymous = await client.get("/obligations")
    finally:
        await nc.drain()
        await runtime.stop()

    assert shortfalls == [
        {
            "alert_id": alert.data["alert_id"],
            "contract_id": contract.data["contract_id"],
            "obligation_id": contract.data["obligations"][0]["obligation_id"],
            "supplier": supplier,
            "buyer": buyer,
            "measure": "NT1",
            "period": "2026-27-Q1",
            "severity": "high",
            "ratio": "0.25",
            "raised_on": "2026-08-01",
            "kind": "under_delivery",
            "resolved_on": None,
        }
    ]
    assert obligations.status_code == 200
    assert obligations.json() == [
        {
            "obligation_id": contract.data["obligations"][0]["obligation_id"],
            "contract_id": contract.data["contract_id"],
            "supplier": supplier,
            "buyer": buyer,
            "measure": "NT1",
            "theme": "Jobs",
            "outcome": "More local people in employment",
            "unit": "FTE",
            "total_committed": "16.5",
            "contract_ends_on": "2028-03-31",
        }
    ]
    assert outsider_views == [[], []]
    assert as_vcfse.status_code == 403
    assert anonymous.status_code == 401
