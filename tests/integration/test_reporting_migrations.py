"""Reporting's migrations on a database that already holds read models, on every backend."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from reporting.adapters.read_models import ReadModels
from reporting.adapters.tables import (
    alerts,
    contracts,
    obligation_targets,
    obligations,
    return_lines,
    returns,
)
from reporting.consumers.alerts import ALERTS
from reporting.domain.portfolio import Dimension, Figures
from sqlalchemy import insert, select, text
from svledger.consumers import Outcome, apply_once
from svledger.database import Database
from svledger.envelope import EventEnvelope, Metadata
from svledger.eventstore import EventStore
from svledger.migrate import alembic_config, upgrade

from tests.conftest import POSTGRES_ONLY
from tests.harness import create_postgres_database, drop_postgres_database, postgres_admin_url

UrlAt = Callable[[str], Awaitable[str]]


def figures(*values: str) -> Figures:
    return Figures(*(Decimal(v) for v in values))


@pytest.fixture
async def url_at(backend: str, tmp_path: Path) -> AsyncIterator[UrlAt]:
    """Creates an empty reporting database migrated only as far as the given revision."""
    made: list[str] = []
    admin = postgres_admin_url()

    async def factory(revision: str) -> str:
        if backend == "postgresql":
            assert admin is not None
            url = await create_postgres_database(admin, "svl_test_reporting_migrations")
        else:
            url = f"sqlite+aiosqlite:///{tmp_path / f'reporting-{revision}.db'}"
        made.append(url)
        upgrade("reporting", url, revision)
        return url

    yield factory
    if backend == "postgresql" and admin is not None:
        for url in made:
            await drop_postgres_database(admin, url)


def overdue_return_raised(
    alert_id: str,
    *,
    buyer: str = "council",
    supplier: str = "builder",
    raised_on: str = "2026-07-31",
) -> EventEnvelope:
    """Measurement's alert on a quarter without a return."""
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
            "buyer": buyer,
            "supplier": supplier,
            "ratio": None,
            "raised_on": raised_on,
            "level": 1,
            "escalated_to": "contract_manager",
            "detail": "the return for 2026-27-Q1 was due on 2026-07-30",
        },
        metadata=Metadata(actor="measurement"),
        recorded_at=datetime(2026, 7, 31, tzinfo=UTC),
    )


async def test_existing_rows_survive_the_upgrade_and_alerts_without_an_obligation_apply(
    url_at: UrlAt,
) -> None:
    url = await url_at("0002")
    database = Database(url)
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

        upgrade("reporting", url)
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


async def test_the_upgrade_can_be_undone(url_at: UrlAt) -> None:
    url = await url_at("0002")
    upgrade("reporting", url)
    database = Database(url)
    try:
        await apply_once(EventStore(database), ALERTS, overdue_return_raised("a1"))
        await database.dispose()

        command.downgrade(alembic_config("reporting", url), "0002")

        async with database.reader.connect() as conn:
            # The alert could not be kept under NOT NULL; nothing else stops the downgrade.
            assert (await conn.execute(select(alerts.c.alert_id))).all() == []
    finally:
        await database.dispose()


@POSTGRES_ONLY
async def test_the_rewritten_tables_keep_room_on_their_pages_until_downgraded(
    url_at: UrlAt,
) -> None:
    url = await url_at("head")
    database = Database(url)

    async def fill_factors() -> dict[str, list[str] | None]:
        async with database.reader.connect() as conn:
            found = await conn.execute(
                text(
                    "SELECT relname, reloptions FROM pg_class WHERE relname IN "
                    "('obligations', 'portfolio_cells', 'contract_cells', 'contracts')"
                )
            )
            return {r.relname: r.reloptions for r in found}

    try:
        upgraded = await fill_factors()
        await database.dispose()
        command.downgrade(alembic_config("reporting", url), "0006")
        downgraded = await fill_factors()
    finally:
        await database.dispose()

    rewritten = {"obligations", "portfolio_cells", "contract_cells"}
    assert upgraded == {
        **{table: ["fillfactor=70"] for table in rewritten},
        "contracts": None,
    }
    assert downgraded == dict.fromkeys((*rewritten, "contracts"))


async def test_running_totals_portfolio_cells_and_measures_are_filled_in_for_rows_before(
    url_at: UrlAt,
) -> None:
    url = await url_at("0003")  # the last revision before the running totals
    database = Database(url)
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
                    {
                        "contract_id": "c1",
                        "obligation_id": o,
                        "sequence": i,
                        "measure": m,
                        "theme": theme,
                        "outcome": "More local people in employment",
                    }
                    for i, (o, m, theme) in enumerate(
                        [("jobs", "NT1", "Jobs"), ("weeks", "NT10", "Skills")]
                    )
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

        upgrade("reporting", url)

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

        async def by(party: str, dimension: Dimension) -> list[tuple[str, list[Any]]]:
            groups, _ = await ReadModels(database).breakdown_from_cells(
                party, date(2026, 12, 1), dimension
            )
            return [
                (g.key, [(m.measure, m.tally.units, m.tally.obligations) for m in g.measures])
                for g in groups
            ]

        for party in ("council", "builder"):
            assert await by(party, Dimension.QUARTER) == [
                ("2026-27-Q1", [("NT1", figures("1.25", "1.25", "1.0001", "0"), 1)]),
                ("2026-27-Q2", [("NT1", figures("2.5", "2.5", "0", "3"), 1)]),
            ], party
            assert await by(party, Dimension.THEME) == [
                ("Jobs", [("NT1", figures("3.75", "3.75", "1.0001", "3"), 1)]),
                ("Skills", [("NT10", figures("0", "0", "0", "0"), 1)]),
            ], party

        command.downgrade(alembic_config("reporting", url), "0003")
        upgrade("reporting", url)
    finally:
        await database.dispose()
