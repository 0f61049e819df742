"""The benchmark's watch on reporting's read model: a followed return and its alerts are seen
once reporting's tables hold them, each at its own moment, and not before."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, date, datetime

from svledger.database import Database

from bench.run import ReadModelWatch
from tests.conftest import DatabaseFactory


async def _insert(url: str, table: str, row: dict[str, object]) -> None:
    from reporting.adapters import tables

    database = Database(url)
    try:
        async with database.writer.begin() as conn:
            await conn.execute(getattr(tables, table).insert(), [row])
    finally:
        await database.dispose()


async def test_a_return_and_its_alert_are_seen_when_reporting_holds_each(
    make_database: DatabaseFactory,
) -> None:
    url = await make_database("reporting")
    watch = ReadModelWatch(url, interval_s=0.01)
    watching = asyncio.create_task(watch.run())
    try:
        returned, raised = watch.seen("C-1", "2025-Q1", {"A-1"})
        other_period, *_ = watch.seen("C-1", "2025-Q2", set())

        await _insert(
            url,
            "returns",
            {
                "contract_id": "C-1",
                "period": "2025-Q1",
                "late": False,
                "submitted_at": datetime(2025, 4, 2, tzinfo=UTC),
            },
        )
        at_return = await asyncio.wait_for(returned, 10)
        assert not raised.done()  # the alert is not in reporting yet
        assert not other_period.done()  # nor a return for another quarter of the contract

        await _insert(
            url,
            "alerts",
            {
                "alert_id": "A-1",
                "contract_id": "C-1",
                "period": "2025-Q1",
                "kind": "under_delivery",
                "severity": "amber",
                "status": "open",
                "buyer": "buyer-1",
                "supplier": "supplier-1",
                "raised_on": date(2025, 4, 2),
            },
        )
        at_alert = await asyncio.wait_for(raised, 10)
        assert at_alert > at_return
        assert not other_period.done()
    finally:
        watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching
