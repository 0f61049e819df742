"""An Idempotency-Key whose request died with its process is not stuck for ever.

The chaos test found it: a service SIGKILLed mid-request leaves the key's claim pending, and
every retry with that key was told "still being processed", for ever. Now a claim older than
``ABANDONED_AFTER`` is taken over by the next retry, which runs the command again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from svledger.clock import FixedClock
from svledger.database import Database
from svledger.errors import Conflict
from svledger.idempotency import ABANDONED_AFTER, PENDING, IdempotencyKeys, fingerprint
from svledger.schema import idempotency_keys

from tests.conftest import DatabaseFactory

BODY = {"period": "2026-27-Q1"}


@pytest.fixture
async def database(make_database: DatabaseFactory) -> AsyncIterator[Database]:
    opened = Database(await make_database("measurement"))
    yield opened
    await opened.dispose()


async def left_pending(database: Database, clock: FixedClock) -> None:
    """What a process killed mid-request leaves behind: a claim nobody will finish."""
    async with database.writer.begin() as conn:
        await conn.execute(
            idempotency_keys.insert().values(
                organisation="supplier-a",
                key="k-1",
                request_hash=fingerprint(BODY),
                status=PENDING,
                response={},
                recorded_at=clock(),
            )
        )


async def test_a_claim_left_by_a_dead_request_is_taken_over_once_abandoned(
    database: Database,
) -> None:
    clock = FixedClock.at(date(2026, 8, 3))
    keys = IdempotencyKeys(database, clock)
    runs: list[int] = []

    async def submit() -> tuple[int, Any]:
        runs.append(1)
        return 201, {"period": "2026-27-Q1"}

    await left_pending(database, clock)
    with pytest.raises(Conflict, match="still being processed"):
        await keys.run("supplier-a", "k-1", BODY, submit)
    clock.advance(ABANDONED_AFTER)
    taken_over = await keys.run("supplier-a", "k-1", BODY, submit)
    replayed = await keys.run("supplier-a", "k-1", BODY, submit)

    assert runs == [1]
    assert (taken_over.status, taken_over.replayed) == (201, False)
    assert (replayed.status, replayed.replayed, replayed.body) == (201, True, BODY)


async def test_of_two_retries_racing_for_an_abandoned_claim_one_runs(database: Database) -> None:
    clock = FixedClock.at(date(2026, 8, 3))
    keys = IdempotencyKeys(database, clock)
    await left_pending(database, clock)
    clock.advance(ABANDONED_AFTER * 2)
    started, release = asyncio.Event(), asyncio.Event()
    runs: list[int] = []

    async def submit() -> tuple[int, Any]:
        runs.append(1)
        started.set()
        await release.wait()
        return 201, BODY

    first = asyncio.create_task(keys.run("supplier-a", "k-1", BODY, submit))
    await asyncio.wait_for(started.wait(), 10)  # the first retry holds the claim, running
    with pytest.raises(Conflict, match="still being processed"):
        await keys.run("supplier-a", "k-1", BODY, submit)
    release.set()

    assert (await first).status == 201
    assert runs == [1]


async def test_a_fresh_claim_is_never_taken_over(database: Database) -> None:
    clock = FixedClock.at(date(2026, 8, 3))
    keys = IdempotencyKeys(database, clock)
    await left_pending(database, clock)
    clock.advance(ABANDONED_AFTER / 2)

    async def submit() -> tuple[int, Any]:
        raise AssertionError("a claim still within its time must not run again")

    with pytest.raises(Conflict, match="still being processed"):
        await keys.run("supplier-a", "k-1", BODY, submit)
