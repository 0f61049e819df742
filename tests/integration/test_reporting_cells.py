"""Portfolio cells kept right when transactions change one organisation's contracts at once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from reporting.adapters.projections import record_contract, refresh_contracts
from reporting.adapters.read_models import ReadModels
from reporting.domain.portfolio import Dimension
from reporting.domain.progress import AwardedContract, Commitment
from sqlalchemy import text
from svledger.database import Database

from tests.conftest import POSTGRES_ONLY, DatabaseFactory
from tests.harness import eventually

BUYER = "org-wirral-council"
DAY = date(2026, 11, 29)


def awarded(supplier: str, target: str) -> tuple[AwardedContract, list[Commitment]]:
    contract_id = str(uuid.uuid4())
    contract = AwardedContract(
        contract_id=contract_id,
        reference=f"WC-{contract_id[:4]}",
        title="Highways",
        buyer=BUYER,
        supplier=supplier,
        starts_on=date(2026, 4, 1),
        ends_on=date(2027, 3, 31),
        value_gbp=None,
        framework_version="toms-2026",
        awarded_at=datetime(2026, 3, 20, tzinfo=UTC),
    )
    jobs = Commitment(
        contract_id=contract_id,
        obligation_id=str(uuid.uuid4()),
        sequence=0,
        measure="NT1",
        theme="Jobs",
        outcome="More local people in employment",
        unit="people",
        description="",
        is_kpi=True,
        committed_total=Decimal(target) * 4,
        targets={f"2026-27-Q{q}": Decimal(target) for q in range(1, 5)},
    )
    return contract, [jobs]


@pytest.fixture
async def database(make_database: DatabaseFactory) -> AsyncIterator[Database]:
    db = Database(await make_database("reporting"))
    yield db
    await db.dispose()


@POSTGRES_ONLY
async def test_two_transactions_adding_contracts_of_one_buyer_at_once_both_count(
    database: Database,
) -> None:
    """The second waits for the first to commit, then adds to the sums the first left: with
    neither waiting, the second would write the buyer's sums as it read them before the first
    committed, and the first contract's targets would be lost."""
    first, second = awarded("org-builders", "2"), awarded("org-carers", "3.5")

    async def award(given: tuple[AwardedContract, list[Commitment]]) -> None:
        async with database.writer.begin() as conn:
            await record_contract(conn, *given)
            await refresh_contracts(conn, {given[0].contract_id: None})

    async def waiting_on_a_lock() -> int:
        async with database.reader.connect() as conn:
            query = (
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            return int((await conn.execute(text(query))).scalar_one())

    async with database.writer.begin() as conn:
        await record_contract(conn, *first)
        await refresh_contracts(conn, {first[0].contract_id: None})
        meanwhile = asyncio.create_task(award(second))
        await eventually(waiting_on_a_lock, what="the second transaction to wait for the first")
    await meanwhile

    models = ReadModels(database)
    quarters = await models.portfolio(BUYER, DAY)
    by_quarter, totals = await models.breakdown_from_cells(BUYER, DAY, Dimension.QUARTER)
    assert by_quarter == quarters.breakdown(Dimension.QUARTER)
    assert totals == quarters.totals()
    assert [
        (g.key, g.measures[0].tally.units.committed, g.total.obligations) for g in by_quarter
    ] == [(f"2026-27-Q{q}", Decimal("5.5"), 2) for q in range(1, 5)]
