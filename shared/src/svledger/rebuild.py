"""Rebuild a service's read models by replaying its consumers' subjects from JetStream.

The read-model tables and the consumers' positions are emptied in one transaction, then each
consumer's subjects are replayed from the start of their stream through an ordered consumer
(a push consumer the server feeds as fast as the client reads, far faster than pull fetches),
and applied in batches of a few hundred events per transaction. Work the projections leave
for the end of a replay (:class:`svledger.eventstore.Replay`) runs once every consumer is
through. The service's durable consumers can keep running: anything they deliver that the
replay already applied is a duplicate and changes nothing.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy
from sqlalchemy import Table, delete

from svledger.collector import collecting_less_often
from svledger.consumers import Consumer, Outcome, apply_batch
from svledger.database import run_again_if_deadlocked
from svledger.envelope import EventEnvelope
from svledger.eventstore import EventStore, Replay
from svledger.schema import consumer_positions

Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class RebuildReport:
    """What a rebuild did."""

    consumers: int
    events_seen: int
    events_applied: int


async def reset(store: EventStore, consumers: Sequence[Consumer], tables: Sequence[Table]) -> None:
    """Empty the read models and forget what the consumers applied, atomically; again if the
    service's running consumers deadlock with it."""

    async def empty() -> None:
        async with store.database.writer.begin() as conn:
            for table in reversed(tables):
                await conn.execute(delete(table))
            await conn.execute(
                delete(consumer_positions).where(
                    consumer_positions.c.consumer.in_([c.name for c in consumers])
                )
            )

    await run_again_if_deadlocked(empty)


async def pending(js: JetStreamContext, consumer: Consumer) -> int:
    """How many messages a replay of ``consumer`` will read."""
    info = await js.stream_info(consumer.spec.stream, subjects_filter=">")
    subjects = info.state.subjects or {}
    return sum(
        count
        for subject, count in subjects.items()
        if any(_matches(pattern, subject) for pattern in consumer.spec.subjects)
    )


def _matches(pattern: str, subject: str) -> bool:
    want, have = pattern.split("."), subject.split(".")
    for i, token in enumerate(want):
        if token == ">":
            return len(have) > i
        if i >= len(have) or (token != "*" and token != have[i]):
            return False
    return len(want) == len(have)


async def replay(
    store: EventStore,
    js: JetStreamContext,
    consumer: Consumer,
    *,
    progress: Progress | None = None,
    batch: int = 500,
    deferred: Replay | None = None,
) -> tuple[int, int]:
    """Apply every message on ``consumer``'s subjects; return (seen, applied). Work the
    projections leave for the end is gathered in ``deferred`` for the caller to finish, or
    finished here without it."""
    finish_here = deferred is None
    if deferred is None:
        deferred = Replay()
    total = await pending(js, consumer)
    if total == 0:
        return 0, 0
    queue: asyncio.Queue[EventEnvelope] = asyncio.Queue(maxsize=batch * 4)

    async def on_message(msg: Msg) -> None:
        await queue.put(EventEnvelope.from_json(json.loads(msg.data)))

    subscriptions = [
        await js.subscribe(
            subject,
            stream=consumer.spec.stream,
            cb=on_message,
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.ALL,
        )
        for subject in consumer.spec.subjects
    ]
    seen = applied = 0
    try:
        while seen < total:
            envelopes = [await queue.get()]
            while len(envelopes) < batch and not queue.empty():
                envelopes.append(queue.get_nowait())
            outcomes = await run_again_if_deadlocked(
                partial(apply_batch, store, consumer, envelopes, traced=False, replay=deferred)
            )
            early = [e for e, o in zip(envelopes, outcomes, strict=True) if o is Outcome.EARLY]
            if early:
                raise RuntimeError(
                    f"replay of {consumer.name} met {early[0].stream_id} version "
                    f"{early[0].stream_version} before its predecessor: the stream is missing "
                    "events (were some purged?)"
                )
            seen += len(envelopes)
            applied += sum(o is Outcome.APPLIED for o in outcomes)
            if progress is not None:
                progress(len(envelopes))
    finally:
        for subscription in subscriptions:
            await subscription.unsubscribe()
    if finish_here:
        await deferred.finish(store)
    return seen, applied


async def rebuild(
    store: EventStore,
    js: JetStreamContext,
    consumers: Sequence[Consumer],
    tables: Sequence[Table],
    *,
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
) -> RebuildReport:
    """Reset the read models, replay every consumer from the start of its stream, finish
    what the projections left for the end, and refresh the planner's statistics of the tables
    filled (before that work, which reads them, and after)."""
    if on_total is not None:
        on_total(sum([await pending(js, c) for c in consumers]))
    await reset(store, consumers, tables)
    deferred = Replay()
    seen = applied = 0
    with collecting_less_often(_ALLOCATIONS_BETWEEN_COLLECTIONS):
        for consumer in consumers:
            s, a = await replay(store, js, consumer, progress=progress, deferred=deferred)
            seen, applied = seen + s, applied + a
        await store.database.analyze([*tables, consumer_positions])
        if await deferred.finish(store):
            await store.database.analyze(tables)
    return RebuildReport(len(consumers), seen, applied)


# Objects a replay allocates between two of the garbage collector's youngest passes (Python's
# default is 700). A replay makes millions of short-lived objects that reference counting
# frees; at the default, the collector's passes were about a tenth of a rebuild's CPU. Its
# peak memory is about 10 MB more for it.
_ALLOCATIONS_BETWEEN_COLLECTIONS = 100_000
