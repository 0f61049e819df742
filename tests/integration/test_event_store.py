"""The event-store contract, run against every backend the machine has."""

from __future__ import annotations

import asyncio
import random
import uuid

import pytest
from svledger.database import Database
from svledger.envelope import NewEvent
from svledger.errors import ConcurrencyError
from svledger.eventstore import Cursor, EventStore, Upcasters

from tests.conftest import DatabaseFactory
from tests.harness import ACTOR, happened


async def test_appended_events_load_back_in_version_order_with_metadata(store: EventStore) -> None:
    await store.append("thing-1", 0, happened(3), ACTOR)
    await store.append("thing-1", 3, happened(2), ACTOR)

    loaded = await store.load("thing-1")

    assert [e.stream_version for e in loaded] == [1, 2, 3, 4, 5]
    assert [e.data["n"] for e in loaded] == [0, 1, 2, 0, 1]
    assert loaded[0].metadata == ACTOR
    assert loaded[0].recorded_at.tzinfo is not None
    assert await store.load("thing-2") == []


async def test_appending_at_a_stale_version_is_refused_and_writes_nothing(
    store: EventStore,
) -> None:
    await store.append("thing-1", 0, happened(2), ACTOR)

    with pytest.raises(ConcurrencyError):
        await store.append("thing-1", 1, happened(3), ACTOR)

    assert len(await store.load("thing-1")) == 2


async def test_many_writers_at_one_expected_version_exactly_one_wins(store: EventStore) -> None:
    await store.append("contested-1", 0, happened(1), ACTOR)

    async def write(i: int) -> str:
        try:
            await store.append("contested-1", 1, [NewEvent("Claimed", {"by": i})], ACTOR)
        except ConcurrencyError:
            return "refused"
        return "won"

    results = await asyncio.gather(*(write(i) for i in range(12)))

    assert results.count("won") == 1
    assert results.count("refused") == 11
    assert [e.type for e in await store.load("contested-1")] == ["Happened", "Claimed"]


async def test_old_event_shapes_are_upcast_on_read(make_database: DatabaseFactory) -> None:
    database = Database(await make_database("commitments"))
    upcasters = Upcasters()

    @upcasters.register("Measured", from_version=1)
    def upcast_v1_v2(data: dict[str, object]) -> dict[str, object]:
        return {"quantity": data["qty"], "unit": "FTE"}

    await EventStore(database).append("m-1", 0, [NewEvent("Measured", {"qty": "4"})], ACTOR)
    loaded = await EventStore(database, upcasters=upcasters).load("m-1")
    await database.dispose()

    assert loaded[0].schema_version == 2
    assert loaded[0].data == {"quantity": "4", "unit": "FTE"}


async def test_reading_in_commit_order_under_concurrent_writers_skips_nothing(
    store: EventStore,
) -> None:
    writers, per_writer = 8, 130
    done = asyncio.Event()

    async def writer(w: int) -> None:
        stream, version = f"writer-{w}", 0
        while version < per_writer:
            async with store.transaction() as tx:
                batch = random.randint(1, 3)
                batch = min(batch, per_writer - version)
                await tx.append(stream, version, happened(batch), ACTOR)
                # Hold the transaction open after inserting: a careless reader skips here.
                await asyncio.sleep(random.uniform(0, 0.004))
            version += batch

    seen: list[tuple[str, int]] = []

    async def reader() -> None:
        # Tails the store as the relay does. On a PostgreSQL server that other sessions share,
        # the horizon may lag behind the last commit for a while: the reader waits it out.
        cursor = Cursor()
        deadline = None
        while len(seen) < writers * per_writer:
            page = await store.read_committed(cursor, 97)
            seen.extend((e.stream_id, e.stream_version) for _, e in page)
            if page:
                cursor = page[-1][0]
                continue
            if done.is_set():
                deadline = deadline or asyncio.get_running_loop().time() + 30
                assert asyncio.get_running_loop().time() < deadline, "events never became visible"
            await asyncio.sleep(0.002)  # poll interval of a tailing reader

    reading = asyncio.create_task(reader())
    await asyncio.gather(*(writer(w) for w in range(writers)))
    done.set()
    await reading

    assert len(seen) == writers * per_writer
    assert len(set(seen)) == len(seen), "an event was read twice"
    for w in range(writers):
        versions = [v for s, v in seen if s == f"writer-{w}"]
        assert versions == list(range(1, per_writer + 1)), f"writer-{w} out of order or skipped"


async def test_event_ids_are_kept_as_given(store: EventStore) -> None:
    event = NewEvent("Happened", {"n": 1}, event_id=uuid.uuid4())
    await store.append("thing-9", 0, [event], ACTOR)
    assert (await store.load("thing-9"))[0].event_id == event.event_id


async def test_several_streams_append_together_or_not_at_all(store: EventStore) -> None:
    await store.append("alert-taken", 0, happened(1), ACTOR)

    async with store.transaction() as tx:
        appended = await tx.append_streams(
            [("alert-a", 0, happened(1)), ("thing-3", 0, happened(2)), ("alert-b", 0, [])],
            ACTOR,
        )
    with pytest.raises(ConcurrencyError, match="one of 2 streams") as refused:
        async with store.transaction() as tx:
            await tx.append_streams(
                [("alert-c", 0, happened(1)), ("alert-taken", 0, happened(1))], ACTOR
            )

    assert [[(e.stream_id, e.stream_version) for e in some] for some in appended] == [
        [("alert-a", 1)],
        [("thing-3", 1), ("thing-3", 2)],
        [],
    ]
    assert [e.data["n"] for e in await store.load("thing-3")] == [0, 1]
    assert refused.value.extra["expected_versions"] == {"alert-c": 0, "alert-taken": 0}
    assert await store.load("alert-c") == []  # the clash on one stream kept the other out
