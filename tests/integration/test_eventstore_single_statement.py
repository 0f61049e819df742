"""The event store's fast paths keep its contract: an append of its own is one statement that
commits alone, reads skip SQLAlchemy, listeners hear only what committed. Run on every backend
the machine has (the fast paths are PostgreSQL's; SQLite must behave the same)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from svledger.database import Database
from svledger.envelope import Metadata, NewEvent
from svledger.errors import ConcurrencyError
from svledger.eventstore import Cursor, EventStore

from tests.conftest import DatabaseFactory

ACTOR = Metadata(actor="tester", organisation="org-a", correlation_id="c-1")


@pytest.fixture
async def store(make_database: DatabaseFactory) -> AsyncIterator[EventStore]:
    database = Database(await make_database("commitments"))
    yield EventStore(database)
    await database.dispose()


def happened(n: int) -> list[NewEvent]:
    return [NewEvent("Happened", {"n": i}) for i in range(n)]


class Abandoned(Exception):
    """A unit of work given up part way."""


async def test_a_batch_with_one_clashing_event_writes_none_of_its_events(
    store: EventStore,
) -> None:
    taken = NewEvent("Happened", {"n": 0})
    await store.append("first-1", 0, [taken], ACTOR)
    # The right version, but the third event reuses an event id: the whole batch is refused.
    batch = [*happened(2), NewEvent("Happened", {"n": 2}, event_id=taken.event_id), *happened(1)]

    with pytest.raises(ConcurrencyError):
        await store.append("second-1", 0, batch, ACTOR)

    assert await store.load("second-1") == []
    await store.append("second-1", 0, happened(4), ACTOR)  # the store is still usable
    assert [e.stream_version for e in await store.load("second-1")] == [1, 2, 3, 4]


async def test_appends_of_their_own_come_back_in_commit_order_to_a_tailing_reader(
    store: EventStore,
) -> None:
    writers, per_writer = 16, 60

    async def writer(w: int) -> None:
        version = 0
        while version < per_writer:
            batch = min(1 + (version + w) % 3, per_writer - version)
            await store.append(f"solo-{w}", version, happened(batch), ACTOR)
            version += batch

    seen: list[tuple[str, int]] = []
    writing = asyncio.gather(*(writer(w) for w in range(writers)))
    cursor = Cursor()
    deadline = asyncio.get_running_loop().time() + 60
    while len(seen) < writers * per_writer:
        assert asyncio.get_running_loop().time() < deadline, "events never became visible"
        page = await store.read_committed(cursor, 101)
        seen.extend((e.stream_id, e.stream_version) for _, e in page)
        if page:
            cursor = page[-1][0]
        else:
            await asyncio.sleep(0.002)  # poll interval of a tailing reader
    await writing

    assert len(set(seen)) == len(seen) == writers * per_writer
    for w in range(writers):
        versions = [v for s, v in seen if s == f"solo-{w}"]
        assert versions == list(range(1, per_writer + 1)), f"solo-{w} out of order or skipped"


async def test_a_load_in_a_transaction_sees_what_the_transaction_appended(
    store: EventStore,
) -> None:
    await store.append("thing-1", 0, happened(1), ACTOR)

    async with store.transaction() as tx:
        await tx.append("thing-1", 1, happened(2), ACTOR)
        inside = [e.stream_version for e in await tx.load("thing-1")]
        outside = [e.stream_version for e in await store.load("thing-1")]

    assert inside == [1, 2, 3]
    assert outside == [1]  # not committed yet when read from elsewhere
    assert [e.stream_version for e in await store.load("thing-1")] == [1, 2, 3]


async def test_a_load_before_any_write_in_a_transaction_then_a_rollback_leaves_nothing(
    store: EventStore,
) -> None:
    seen_inside: list[int] = []

    async def abandoned() -> None:
        async with store.transaction() as tx:
            seen_inside.extend(e.stream_version for e in await tx.load("thing-2"))
            await tx.append("thing-2", 0, happened(2), ACTOR)
            raise Abandoned

    with pytest.raises(Abandoned):
        await abandoned()

    assert seen_inside == []
    assert await store.load("thing-2") == []


async def test_signal_listeners_hear_only_committed_transactions_that_raised_the_signal(
    store: EventStore,
) -> None:
    heard: list[str] = []
    store.on_commit(lambda: heard.append("any append"))
    store.on_commit(lambda: heard.append("queued"), signal="queued")

    async with store.transaction() as tx:
        await tx.append("quiet-1", 0, happened(1), ACTOR)
    assert heard == ["any append"]

    async def rolled_back() -> None:
        async with store.transaction() as tx:
            await tx.append("loud-1", 0, happened(1), ACTOR)
            tx.signal("queued")
            raise Abandoned

    heard.clear()
    with pytest.raises(Abandoned):
        await rolled_back()
    assert heard == []

    async with store.transaction() as tx:
        await tx.append("loud-1", 0, happened(1), ACTOR)
        tx.signal("queued")
        tx.signal("queued")
    assert sorted(heard) == ["any append", "queued"]


async def test_a_cancelled_append_leaves_the_store_working(store: EventStore) -> None:
    async def append_forever(w: int) -> None:
        version = 0
        while True:
            await store.append(f"cancelled-{w}", version, happened(1), ACTOR)
            version += 1

    tasks = [asyncio.create_task(append_forever(w)) for w in range(20)]
    await asyncio.sleep(0.3)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    # Every stream holds whole versions from 1 up, and appending and reading still work.
    for w in range(20):
        versions = [e.stream_version for e in await store.load(f"cancelled-{w}")]
        assert versions == list(range(1, len(versions) + 1))
        await store.append(f"cancelled-{w}", len(versions), happened(1), ACTOR)
    assert len(await store.load("cancelled-0")) >= 1


async def test_many_writers_stay_within_the_connection_ceiling(store: EventStore) -> None:
    database = store.database
    if not database.is_postgres:
        pytest.skip("SQLite has one writer connection")
    ceiling = Database.POOL_SIZE + Database.POOL_OVERFLOW + Database.DRIVER_CONNECTIONS
    peak = 0
    done = asyncio.Event()

    async def watch() -> None:
        nonlocal peak
        admin = make_url(database.url.render_as_string(hide_password=False))
        conn = await asyncpg.connect(
            admin.set(drivername="postgresql").render_as_string(hide_password=False)
        )
        try:
            while not done.is_set():
                opened = await conn.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> "
                    "pg_backend_pid()",
                    database.url.database,
                )
                peak = max(peak, int(opened))
                await asyncio.sleep(0.01)
        finally:
            await conn.close()

    async def writer(w: int) -> None:
        stream = f"crowd-{uuid.uuid4()}"
        for version in range(15):
            if w % 2:
                await store.append(stream, version, happened(1), ACTOR)
            else:
                async with store.transaction() as tx:
                    await tx.load(stream)
                    await tx.append(stream, version, happened(1), ACTOR)

    watching = asyncio.create_task(watch())
    await asyncio.gather(*(writer(w) for w in range(100)))
    done.set()
    await watching

    assert 0 < peak <= ceiling
