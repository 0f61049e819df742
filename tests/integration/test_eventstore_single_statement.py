"""The event store's fast paths keep its contract: an append of its own is one statement that
commits alone, reads skip SQLAlchemy, listeners hear only what committed. Run on every backend
the machine has (the fast paths are PostgreSQL's; SQLite must behave the same)."""

from __future__ import annotations

import asyncio
import random
import uuid
from contextlib import AsyncExitStack
from functools import partial

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from svledger.database import Database
from svledger.envelope import NewEvent
from svledger.errors import ConcurrencyError
from svledger.eventstore import Cursor, EventStore

from tests.conftest import POSTGRES_ONLY
from tests.harness import ACTOR, eventually, happened


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
    appended = [0] * 20

    async def append_forever(w: int) -> None:
        while True:
            await store.append(f"cancelled-{w}", appended[w], happened(1), ACTOR)
            appended[w] += 1

    async def fewest_appended() -> int:
        return min(appended)

    tasks = [asyncio.create_task(append_forever(w)) for w in range(20)]
    # Cancelled once every writer is under way, most of them in the middle of an append.
    await eventually(
        fewest_appended, until=lambda n: n >= 3, interval_s=0.005, what="3 appends per writer"
    )
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    # Every stream holds whole versions from 1 up, nothing a cancelled append sent lands later
    # (the next version is free), and appending and reading still work.
    for w in range(20):
        versions = [e.stream_version for e in await store.load(f"cancelled-{w}")]
        assert versions == list(range(1, len(versions) + 1))
        assert len(versions) >= 3
        await store.append(f"cancelled-{w}", len(versions), happened(1), ACTOR)


@POSTGRES_ONLY
async def test_many_writers_stay_within_the_connection_ceiling(store: EventStore) -> None:
    database = store.database
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
                await asyncio.sleep(0.01)  # sampling the count until the writers are done
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


@POSTGRES_ONLY
async def test_an_append_cancelled_mid_statement_is_settled_on_the_server_when_it_ends(
    store: EventStore,
) -> None:
    """Cancelling an append the server is still running cancels it there before the task ends:
    nothing commits behind the caller's back, and the server never holds more connections
    than the set's."""
    database = store.database
    n = Database.DRIVER_CONNECTIONS
    admin = await _admin(database)
    try:
        # Appends wait in a trigger for a lock the test holds: mid-statement until cancelled.
        await admin.execute(
            "CREATE FUNCTION held() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN PERFORM pg_advisory_xact_lock_shared(7); RETURN NULL; END $$; "
            "CREATE TRIGGER held BEFORE INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION held()"
        )
        await admin.execute("SELECT pg_advisory_lock(7)")
        tasks = [
            asyncio.create_task(store.append(f"held-{w}", 0, happened(1), ACTOR)) for w in range(n)
        ]
        await eventually(
            lambda: _running_appends(admin, database),
            until=lambda running: running == n,
            what="every append waiting in the trigger",
        )
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)

        assert all(isinstance(r, asyncio.CancelledError) for r in results)
        assert await _running_appends(admin, database) == 0
        await admin.execute("SELECT pg_advisory_unlock(7)")
        async with AsyncExitStack() as leases:
            for _ in range(n):
                await leases.enter_async_context(database.driver_connection())
            assert await _server_connections(admin, database) == n
        for w in range(n):
            assert await store.load(f"held-{w}") == []
            await store.append(f"held-{w}", 0, happened(1), ACTOR)
    finally:
        await admin.close()


@POSTGRES_ONLY
async def test_appends_cancelled_at_any_point_give_back_every_driver_connection(
    store: EventStore,
) -> None:
    """Cancelled while waiting for a connection, while one opens, mid-statement or just after:
    each round, once the writers have ended the server runs none of their appends, all the
    set's connections can be leased at once, the server holds exactly those, and every stream
    can take its next version."""
    database = store.database
    n = Database.DRIVER_CONNECTIONS
    rng = random.Random(20_260_511)  # fixed points to cancel at; the interleavings still vary

    async def append_forever(stream: str) -> None:
        version = 0
        while True:
            await store.append(stream, version, happened(1), ACTOR)
            version += 1

    admin = await _admin(database)
    try:
        for round_ in range(30):
            if round_ % 2 == 0:
                # Closing the idle connections makes the writers open new ones: cancelled at
                # the start of a round, they are cancelled while connecting.
                await database.dispose()

            streams = [f"round-{round_}-{w}" for w in range(2 * n)]
            tasks = [asyncio.create_task(append_forever(stream)) for stream in streams]
            loop = asyncio.get_running_loop()
            for task in tasks:
                loop.call_later(rng.uniform(0, rng.choice((0.002, 0.01, 0.03))), task.cancel)
            await asyncio.gather(*tasks, return_exceptions=True)

            assert await _running_appends(admin, database) == 0, f"round {round_}"
            async with asyncio.timeout(10), AsyncExitStack() as leases:
                for _ in range(n):
                    await leases.enter_async_context(database.driver_connection())
                # A connect cancelled half-way may leave its server process a moment longer
                # than its slot; a leaked connection never goes.
                await eventually(
                    partial(_server_connections, admin, database),
                    until=lambda held: held == n,
                    timeout_s=5,
                    what=f"the server to hold the {n} leased connections only (round {round_})",
                )
            for stream in streams:
                versions = [e.stream_version for e in await store.load(stream)]
                assert versions == list(range(1, len(versions) + 1))
                await store.append(stream, len(versions), happened(1), ACTOR)
    finally:
        await admin.close()


async def _admin(database: Database) -> asyncpg.Connection:
    """A connection of the test's own to the database, outside the store's."""
    return await asyncpg.connect(
        database.url.set(drivername="postgresql").render_as_string(hide_password=False)
    )


async def _server_connections(admin: asyncpg.Connection, database: Database) -> int:
    """How many connections the server holds to the database, besides ``admin``."""
    return int(
        await admin.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            database.url.database,
        )
    )


async def _running_appends(admin: asyncpg.Connection, database: Database) -> int:
    """How many appends the server is running on the database right now."""
    return int(
        await admin.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND state = 'active' "
            "AND query LIKE 'INSERT INTO events%'",
            database.url.database,
        )
    )
