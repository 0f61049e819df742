"""Reporting's migrations on a database that already holds read models, on every backend."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from reporting.adapters.tables import (
    alerts,
    contracts,
    obligation_targets,
    obligations,
    return_lines,
    returns,
)
from reporting.consumers.alerts import ALERTS
from sqlalchemy import insert, select
from svledger.consumers import Outcome, apply_once
from svledger.database import Database
from svledger.envelope import EventEnvelope, Metadata
from svledger.eventstore import EventStore
from svledger.migrate import alembic_config, upgrade

from tests.harness import create_postgres_database, drop_postgres_database, postgres_admin_url


@pytest.fixture
async def url_at_0002(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """An empty reporting database migrated only as far as revision 0002."""
    admin = postgres_admin_url()
    if backend == "postgresql":
        assert admin is not None
        url = await create_postgres_database(admin, "svl_test_reporting_migrations")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'reporting.db'}"
    upgrade("reporting", url, "0002")
    yield url
    if backend == "postgresql" and admin is not None:
        await drop_postgres_database(admin, url)


def overdue_return_raised(alert_id: str) -> EventEnvelope:
    return EventEnvelope(
        event_id=uuid.uuid4(),
        stream_id=f"alert-{alert_id}",
        stream_version=1,
        type="AlertRaised",
        schema_version=1,
        data={
            "alert_id": alert_id,
            "contract_id": str(uuid.uuid4()),
            "obligation_id": None,
            "measure": None,
            "period": "2026-27-Q1",
            "kind": "overdue_return",
            "severity": "medium",
            "buyer": "council",
            "supplier": "builder",
            "ratio": None,
            "raised_on": "2026-07-31",
            "level": 1,
            "escalated_to": "contract_manager",
            "detail": "the return for 2026-27-Q1 was due on 2026-07-30",
        },
        metadata=Metadata(actor="measurement"),
        recorded_at=datetime(2026, 7, 31, tzinfo=UTC),
    )


async def test_existing_rows_survive_the_upgrade_and_alerts_without_an_obligation_apply(
    url_at_0002: str,
) -> None:
    database = Database(url_at_0002)
    try:
        async with database.writer.begin() as conn:
            await conn.execute(
                insert(contracts).values(
                    contract_id="c1",
                    reference="WC-001",
                    title="Works",
                    buyer="council",
                    supplier="builder",
                    starts_on=date(2026, 4, 1),
                    ends_on=date(2027, 3, 31),
                    value_gbp=None,
                    framework_version="toms",
                    awarded_at=datetime(2026, 3, 1, tzinfo=UTC),
                )
            )
            await conn.execute(
                insert(returns).values(
                    contract_id="c1",
                    period="2026-27-Q1",
                    late=False,
                    submitted_at=datetime(2026, 7, 1, tzinfo=UTC),
                )
            )
        await database.dispose()

        upgrade("reporting", url_at_0002)
        outcome = await apply_once(EventStore(database), ALERTS, overdue_return_raised("a1"))

        assert outcome is Outcome.APPLIED
        async with database.reader.connect() as conn:
            contract = (await conn.execute(select(contracts))).one()
            submitted = (await conn.execute(select(returns))).one()
            alert = (await conn.execute(select(alerts))).one()
        assert (contract.status, contract.return_due_days, contract.ended_on) == (
            "active",
            30,
            None,
        )
        assert (submitted.review, submitted.accepted, submitted.version) == ("submitted", False, 1)
        assert (alert.kind, alert.obligation_id, alert.measure) == ("overdue_return", None, None)
    finally:
        await database.dispose()


async def test_the_upgrade_can_be_undone(url_at_0002: str) -> None:
    upgrade("reporting", url_at_0002)
    database = Database(url_at_0002)
    try:
        await apply_once(EventStore(database), ALERTS, overdue_return_raised("a1"))
        await database.dispose()

        command.downgrade(alembic_config("reporting", url_at_0002), "0002")

        async with database.reader.connect() as conn:
            # The alert could not be kept under NOT NULL; nothing else stops the downgrade.
            assert (await conn.execute(select(alerts.c.alert_id))).all() == []
    finally:
        await database.dispose()


@pytest.fixture
async def url_at_0003(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A reporting database migrated as far as revision 0003 (before the running totals)."""
    admin = postgres_admin_url()
    if backend == "postgresql":
        assert admin is not None
        url = await create_postgres_database(admin, "svl_test_reporting_migrations")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'reporting.db'}"
    upgrade("reporting", url, "0003")
    yield url
    if backend == "postgresql" and admin is not None:
        await drop_postgres_database(admin, url)


async def test_the_running_totals_are_filled_in_for_rows_projected_before_them(
    url_at_0003: str,
) -> None:
    database = Database(url_at_0003)
    try:
        async with database.writer.begin() as conn:
            await conn.execute(
                insert(contracts).values(
                    contract_id="c1",
                    reference="WC-001",
                    title="Works",
                    buyer="council",
                    supplier="builder",
                    starts_on=date(2026, 4, 1),
                    ends_on=date(2027, 3, 31),
                    value_gbp=None,
                    framework_version="toms",
                    awarded_at=datetime(2026, 3, 1, tzinfo=UTC),
                    return_due_days=45,
                )
            )
            await conn.execute(
                insert(obligations),
                [
                    {"contract_id": "c1", "obligation_id": o, "sequence": i, "measure": m}
                    for i, (o, m) in enumerate([("jobs", "NT1"), ("weeks", "NT10")])
                ],
            )
            await conn.execute(
                insert(obligation_targets),
                [
                    {"contract_id": "c1", "obligation_id": "jobs", "period": p, "target": t}
                    for p, t in [("2026-27-Q2", Decimal("2.5")), ("2026-27-Q1", Decimal("1.25"))]
                ],
            )
            await conn.execute(
                insert(returns),
                [
                    {
                        "contract_id": "c1",
                        "period": p,
                        "late": False,
                        "submitted_at": datetime(2026, 7, 1, tzinfo=UTC),
                        "accepted": accepted,
                    }
                    for p, accepted in [("2026-27-Q1", True), ("2026-27-Q2", False)]
                ],
            )
            await conn.execute(
                insert(return_lines),
                [
                    {
                        "contract_id": "c1",
                        "period": p,
                        "obligation_id": "jobs",
                        "quantity": q,
                        "narrative": "",
                        "case_study": "",
                        "places": [],
                        "evidence": [],
                    }
                    for p, q in [("2026-27-Q1", Decimal("1.0001")), ("2026-27-Q2", Decimal("3"))]
                ],
            )
        await database.dispose()

        upgrade("reporting", url_at_0003)

        async with database.reader.connect() as conn:
            targets = (
                await conn.execute(select(obligation_targets).order_by(obligation_targets.c.period))
            ).all()
            totals = {
                r.obligation_id: (r.delivered, r.awaiting_review)
                for r in (await conn.execute(select(obligations))).all()
            }
        assert [(t.period, t.due_on, t.cumulative) for t in targets] == [
            ("2026-27-Q1", date(2026, 8, 14), Decimal("1.25")),
            ("2026-27-Q2", date(2026, 11, 14), Decimal("3.75")),
        ]
        assert totals == {"jobs": (Decimal("1.0001"), Decimal("3")), "weeks": (0, 0)}

        command.downgrade(alembic_config("reporting", url_at_0003), "0003")
        upgrade("reporting", url_at_0003)
    finally:
        await database.dispose()
