"""The relay and the consumer runner against a real nats-server with JetStream."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from sqlalchemy import select
from svledger.bus import ConsumerSpec, connect, provision, service_stream
from svledger.consumers import (
    Consumer,
    ConsumerRunner,
    Handler,
    Outcome,
    PositionMoved,
    apply_batch,
    apply_once,
)
from svledger.envelope import EventEnvelope, NewEvent
from svledger.eventstore import EventStore, StoreTransaction
from svledger.relay import Relay
from svledger.schema import dead_letters

from tests.conftest import POSTGRES_ONLY
from tests.harness import ACTOR, NatsServer, eventually

STREAM = service_stream("commitments").name


@dataclass
class Bus:
    nc: NATS
    js: JetStreamContext


@pytest.fixture
async def bus(fresh_nats: NatsServer) -> AsyncIterator[Bus]:
    nc = await connect(fresh_nats.url, name="test")
    await provision(nc.jetstream())
    yield Bus(nc, nc.jetstream())
    await nc.close()


async def published(js: JetStreamContext) -> list[EventEnvelope]:
    """Every message in the commitments stream, in stream order."""
    info = await js.stream_info(STREAM)
    envelopes = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        if info.state.messages == 0:
            break
        msg = await js.get_msg(STREAM, seq)
        assert msg.data is not None
        envelopes.append(EventEnvelope.from_json(json.loads(msg.data)))
    return envelopes


async def stream_count(js: JetStreamContext) -> int:
    return int((await js.stream_info(STREAM)).state.messages)


async def test_relay_publishes_each_committed_event_once_with_its_id(
    store: EventStore, bus: Bus
) -> None:
    recorded = await store.append("contract-1", 0, [NewEvent("ContractAwarded", {"n": 1})], ACTOR)
    relay = Relay(store, bus.js, "commitments")

    assert await eventually(relay.publish_pending, what="the event to be published") == 1
    assert await relay.publish_pending() == 0

    [message] = await published(bus.js)
    assert message.event_id == recorded[0].event_id
    assert message.type == "ContractAwarded"
    raw = await bus.js.get_msg(STREAM, 1)
    assert raw.headers is not None
    assert raw.headers["Nats-Msg-Id"] == str(recorded[0].event_id)
    assert raw.subject == "svl.commitments.contract.ContractAwarded"


async def test_a_relay_that_lost_its_checkpoint_republishes_without_duplicates(
    store: EventStore, bus: Bus
) -> None:
    await store.append("contract-1", 0, [NewEvent("Happened", {"n": i}) for i in range(5)], ACTOR)
    await eventually(Relay(store, bus.js, "commitments").publish_pending, what="publishing")
    async with store.database.writer.begin() as conn:
        await conn.exec_driver_sql("DELETE FROM relay_checkpoints")

    relay, sent = Relay(store, bus.js, "commitments"), 0

    async def publish() -> int:
        nonlocal sent
        sent += await relay.publish_pending()
        return sent

    assert await eventually(publish, until=lambda n: n >= 5) == 5
    assert await stream_count(bus.js) == 5


async def test_a_replica_taking_the_lease_over_goes_on_from_the_last_holders_checkpoint(
    store: EventStore, bus: Bus
) -> None:
    first, second = Relay(store, bus.js, "commitments"), Relay(store, bus.js, "commitments")
    await store.append("contract-1", 0, [NewEvent("Happened", {"n": i}) for i in range(2)], ACTOR)
    assert await first.lease.acquire()
    assert await eventually(first.publish_pending, what="the first holder publishing") == 2
    await first.lease.release()

    assert await second.lease.acquire()
    await store.append("contract-1", 2, [NewEvent("Happened", {"n": i}) for i in (2, 3)], ACTOR)
    assert await eventually(second.publish_pending, what="the second holder publishing") == 2
    await second.lease.release()

    assert await first.lease.acquire()
    await store.append("contract-1", 4, [NewEvent("Happened", {"n": 4})], ACTOR)
    # only the new event: the first holder reads the checkpoint the second one left
    assert await eventually(first.publish_pending, what="the first holder again") == 1
    assert (await first.status()).published == 5
    assert [e.data["n"] for e in await published(bus.js)] == [0, 1, 2, 3, 4]


@POSTGRES_ONLY
async def test_relay_lag_counts_unpublished_events_whatever_order_positions_were_taken_in(
    store: EventStore, bus: Bus
) -> None:
    relay = Relay(store, bus.js, "commitments")
    async with store.transaction() as earlier:
        await earlier.conn.exec_driver_sql("SELECT pg_current_xact_id()")  # its id, taken now
        # a later transaction inserts first and commits, so it holds the lower position
        await store.append("contract-b", 0, [NewEvent("Happened", {"n": 1})], ACTOR)
        await earlier.append("contract-a", 0, [NewEvent("Happened", {"n": 2})], ACTOR)
    assert (await relay.status()).behind == 2

    await eventually(relay.publish_pending, until=lambda n: n == 2, what="both published")

    # last in commit order is the later transaction's event, below the highest position
    assert [e.data["n"] for e in await published(bus.js)] == [2, 1]
    assert (await relay.status()).behind == 0


async def test_relay_publishes_concurrent_writers_in_commit_order_skipping_nothing(
    store: EventStore, bus: Bus
) -> None:
    writers, per_writer = 8, 130
    relay = Relay(store, bus.js, "commitments", idle_poll_s=0.01)
    relaying = asyncio.create_task(relay.run())

    async def writer(w: int) -> None:
        version = 0
        while version < per_writer:
            batch = min(random.randint(1, 3), per_writer - version)
            async with store.transaction() as tx:
                await tx.append(
                    f"writer-{w}",
                    version,
                    [NewEvent("Happened", {"w": w}) for _ in range(batch)],
                    ACTOR,
                )
                # Held open after the insert: the window in which a careless reader skips.
                await asyncio.sleep(random.uniform(0, 0.004))
            version += batch

    await asyncio.gather(*(writer(w) for w in range(writers)))
    total = writers * per_writer
    await eventually(
        lambda: stream_count(bus.js), until=lambda n: n >= total, what="all events published"
    )
    await relay.stop()
    relaying.cancel()

    events = await published(bus.js)
    ids = [e.event_id for e in events]
    assert len(ids) == total
    assert len(set(ids)) == total, "an event was published twice"
    for w in range(writers):
        versions = [e.stream_version for e in events if e.stream_id == f"writer-{w}"]
        assert versions == list(range(1, per_writer + 1)), f"writer-{w} out of order or skipped"


async def test_events_wait_out_a_killed_nats_and_arrive_once(
    store: EventStore, fresh_nats: NatsServer
) -> None:
    nc = await connect(fresh_nats.url, name="test-relay")
    await provision(nc.jetstream())
    relay = Relay(store, nc.jetstream(), "commitments", idle_poll_s=0.02)
    relaying = asyncio.create_task(relay.run())
    await store.append("contract-1", 0, [NewEvent("Happened", {"n": i}) for i in range(20)], ACTOR)
    await eventually(lambda: stream_count(nc.jetstream()), until=lambda n: n == 20)

    fresh_nats.kill()
    for i in range(30):  # written while NATS is down: they must wait, not vanish
        await store.append(f"contract-{i + 2}", 0, [NewEvent("Happened", {"n": i})], ACTOR)
    fresh_nats.start()

    await eventually(
        lambda: stream_count(nc.jetstream()),
        until=lambda n: n >= 50,
        timeout_s=30,
        what="the events written during the outage",
    )
    await relay.stop()
    relaying.cancel()
    events = await published(nc.jetstream())
    await nc.close()
    assert len(events) == 50
    assert len({e.event_id for e in events}) == 50


# --- consumers -------------------------------------------------------------------------------


def awarded(stream_id: str, version: int, n: int) -> EventEnvelope:
    from datetime import UTC, datetime

    return EventEnvelope(
        event_id=uuid.uuid4(),
        stream_id=stream_id,
        stream_version=version,
        type="Happened",
        schema_version=1,
        data={"n": n},
        metadata=ACTOR,
        recorded_at=datetime.now(UTC),
    )


def counting_consumer(name: str, *, fail_on: int | None = None) -> Consumer:
    """A consumer whose effect is an event in its own store, so effects can be counted."""

    async def count(tx: StoreTransaction, event: EventEnvelope) -> None:
        if event.data["n"] == fail_on:
            raise RuntimeError("cannot handle this one")
        stream = f"seen-{event.stream_id}-{event.stream_version}"
        await tx.append(stream, 0, [NewEvent("Seen", {"n": event.data["n"]})], ACTOR)

    spec = ConsumerSpec(
        name=name,
        stream=STREAM,
        subjects=("svl.commitments.contract.>",),
        max_deliver=3,
        backoff_s=(0.05, 0.05),
    )
    return Consumer(spec, {"Happened": count})


async def test_a_redelivered_event_is_applied_once(store: EventStore) -> None:
    consumer = counting_consumer("test-once")
    first = awarded("contract-7", 1, 1)

    assert await apply_once(store, consumer, first) is Outcome.APPLIED
    assert await apply_once(store, consumer, first) is Outcome.DUPLICATE
    assert await apply_once(store, consumer, awarded("contract-7", 3, 3)) is Outcome.EARLY
    assert await apply_once(store, consumer, awarded("contract-7", 2, 2)) is Outcome.APPLIED

    assert await store.count() == 2


async def test_a_batch_moves_each_stream_once_and_replays_as_duplicates(store: EventStore) -> None:
    consumer = counting_consumer("test-batch")
    batch = [awarded("contract-1", 1, 1), awarded("contract-2", 1, 2), awarded("contract-1", 2, 3)]
    batch += [awarded("contract-1", 4, 4)]  # version 3 never came

    assert await apply_batch(store, consumer, batch) == [
        Outcome.APPLIED,
        Outcome.APPLIED,
        Outcome.APPLIED,
        Outcome.EARLY,
    ]
    assert await apply_batch(store, consumer, batch[:3]) == [Outcome.DUPLICATE] * 3
    assert await apply_once(store, consumer, awarded("contract-1", 3, 5)) is Outcome.APPLIED
    assert await store.count() == 4


@POSTGRES_ONLY
async def test_a_batch_whose_stream_another_replica_moved_first_applies_nothing(
    store: EventStore,
) -> None:
    spec = counting_consumer("test-race").spec

    def replica(tag: str) -> Handler:
        async def count(tx: StoreTransaction, event: EventEnvelope) -> None:
            stream = f"{tag}-{event.stream_id}-{event.stream_version}"
            await tx.append(stream, 0, [NewEvent("Seen", {"n": event.data["n"]})], ACTOR)

        return count

    theirs = Consumer(spec, {"Happened": replica("theirs")})
    ours = [awarded("contract-a", 2, 3), awarded("contract-b", 2, 4)]

    async def count_then_lose_the_race(tx: StoreTransaction, event: EventEnvelope) -> None:
        await replica("ours")(tx, event)
        if event.data["n"] == 4:
            # Meanwhile the other replica applies contract-a's version 2, and commits.
            assert await apply_once(store, theirs, ours[0]) is Outcome.APPLIED

    racing = Consumer(spec, {"Happened": count_then_lose_the_race})
    first = [awarded("contract-a", 1, 1), awarded("contract-b", 1, 2)]
    assert await apply_batch(store, theirs, first) == [Outcome.APPLIED] * 2

    with pytest.raises(PositionMoved):
        await apply_batch(store, racing, ours)

    # Their effect stands; ours, on both streams, rolled back: b's version 2 is still to do.
    assert await store.count() == 3
    assert await apply_batch(store, theirs, ours) == [Outcome.DUPLICATE, Outcome.APPLIED]
    assert await store.count() == 4


async def publish_envelope(js: JetStreamContext, envelope: EventEnvelope) -> None:
    await js.publish(
        f"svl.commitments.contract.{envelope.type}", json.dumps(envelope.as_json()).encode()
    )


async def test_runner_applies_out_of_order_and_duplicate_deliveries_exactly_once(
    store: EventStore, bus: Bus
) -> None:
    consumer = counting_consumer("test-runner")
    await provision(bus.js, consumers=[consumer.spec])
    e1, e2, e3 = (awarded("contract-9", v, v) for v in (1, 2, 3))
    for envelope in (e2, e1, e1, e3, e2):  # early, then duplicates
        await publish_envelope(bus.js, envelope)
    runner = ConsumerRunner(store, bus.nc, consumer, fetch_timeout_s=0.2)
    running = asyncio.create_task(runner.run())

    await eventually(store.count, until=lambda n: n == 3, what="three effects")
    info = await eventually(
        lambda: bus.js.consumer_info(STREAM, consumer.name),
        until=lambda i: i.num_pending == 0 and i.num_ack_pending == 0,
        what="every delivery settled",
    )
    runner.stop()
    running.cancel()
    assert await store.count() == 3
    assert info.delivered.stream_seq == 5


async def test_an_event_on_a_quiet_stream_is_applied_without_waiting_for_a_full_batch(
    store: EventStore, bus: Bus
) -> None:
    consumer = counting_consumer("test-quiet")
    await provision(bus.js, consumers=[consumer.spec])
    # A fetch waits up to a minute for messages; each event must not wait that long for
    # the other 99 of a batch that will never come.
    runner = ConsumerRunner(store, bus.nc, consumer, fetch_timeout_s=60)
    running = asyncio.create_task(runner.run())

    await publish_envelope(bus.js, awarded("contract-4", 1, 1))
    await eventually(store.count, until=lambda n: n == 1, timeout_s=10, what="the first effect")
    await publish_envelope(bus.js, awarded("contract-4", 2, 2))  # now the runner is waiting
    await eventually(store.count, until=lambda n: n == 2, timeout_s=10, what="the second effect")
    runner.stop()
    running.cancel()


async def test_a_poison_event_is_dead_lettered_and_signalled_after_bounded_attempts(
    store: EventStore, bus: Bus
) -> None:
    consumer = counting_consumer("test-poison", fail_on=1)
    await provision(bus.js, consumers=[consumer.spec])
    signals: list[dict[str, object]] = []

    async def on_signal(msg: object) -> None:
        signals.append(json.loads(msg.data))  # type: ignore[attr-defined]

    await bus.nc.subscribe("svl.ops.deadletter.>", cb=on_signal)
    poison = awarded("contract-3", 1, 1)
    await publish_envelope(bus.js, poison)
    runner = ConsumerRunner(store, bus.nc, consumer, fetch_timeout_s=0.2)
    running = asyncio.create_task(runner.run())

    async def letters() -> list[str]:
        async with store.database.reader.connect() as conn:
            rows = await conn.execute(select(dead_letters.c.event_id, dead_letters.c.deliveries))
            return [f"{r.event_id}:{r.deliveries}" for r in rows]

    recorded = await eventually(letters, what="a dead letter")
    await eventually(lambda: _length(signals), what="the operational signal")
    runner.stop()
    running.cancel()
    assert recorded == [f"{poison.event_id}:3"]
    assert signals[0]["consumer"] == "test-poison"
    assert "cannot handle this one" in str(signals[0]["error"])
    assert await store.count() == 0


async def test_a_poison_event_in_a_batch_holds_back_nothing_behind_it(
    store: EventStore, bus: Bus
) -> None:
    consumer = counting_consumer("test-poison-batch", fail_on=3)
    await provision(bus.js, consumers=[consumer.spec])
    events = [awarded(f"contract-{n}", 1, n) for n in range(1, 7)]
    for envelope in events:  # all waiting before the runner starts: one fetch, one batch
        await publish_envelope(bus.js, envelope)
    runner = ConsumerRunner(store, bus.nc, consumer, fetch_timeout_s=0.2)
    running = asyncio.create_task(runner.run())

    await eventually(store.count, until=lambda n: n == 5, what="the five good events applied")
    await eventually(
        lambda: bus.js.consumer_info(STREAM, consumer.name),
        until=lambda i: i.num_pending == 0 and i.num_ack_pending == 0,
        what="the poison event dead-lettered and every delivery settled",
    )
    runner.stop()
    running.cancel()
    assert await store.count() == 5
    assert runner.applied == 5
    assert runner.dead_lettered == 1


async def _length(items: list[dict[str, object]]) -> int:
    return len(items)


async def test_only_the_replica_holding_the_lease_relays(store: EventStore, bus: Bus) -> None:
    first = Relay(store, bus.js, "commitments")
    second = Relay(store, bus.js, "commitments")

    assert await first.lease.acquire() is True
    assert await second.lease.acquire() is False
    assert await first.lease.acquire() is True  # renewing its own lease

    await first.lease.release()
    assert await second.lease.acquire() is True
