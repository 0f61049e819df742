"""Consumer runner: durable pull consumers whose effects happen exactly once.

Each consumer keeps, per source stream, the last version it applied (``consumer_positions``),
written in the same transaction as its effect. An event at or below that version is a
redelivery and is acknowledged without effect; one beyond the next version arrived before its
predecessor (another replica has it, or it failed) and is put back with a delay. A handler that
raises makes the message redeliver with back-off; after ``max_deliver`` attempts it is recorded
in ``dead_letters``, published on ``svl.ops.deadletter.<consumer>`` and terminated. Nothing is
logged-and-skipped.
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from opentelemetry.trace import SpanKind
from sqlalchemy import select, text, update

from svledger.bus import OPS_SUBJECT_PREFIX, ConsumerSpec
from svledger.columns import write_behind
from svledger.envelope import EventEnvelope
from svledger.eventstore import EventStore, Replay, StoreTransaction
from svledger.schema import consumer_positions, dead_letters
from svledger.telemetry import span

log = logging.getLogger(__name__)

Handler = Callable[[StoreTransaction, EventEnvelope], Awaitable[None]]
CONSUMER = SpanKind.CONSUMER


class Outcome(enum.Enum):
    """What became of one delivered event."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    EARLY = "early"


class PositionMoved(Exception):
    """Another replica applied the same stream position first; retry the message."""


@dataclass(frozen=True)
class Consumer:
    """A named consumer: the subjects it reads and a handler per event type it cares about.

    Subscribe to whole aggregates (``svl.commitments.contract.>``), not single event types, so
    a stream's versions arrive without gaps; types without a handler are recorded as seen.
    """

    spec: ConsumerSpec
    handlers: Mapping[str, Handler] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The durable consumer's name."""
        return self.spec.name


async def apply_once(store: EventStore, consumer: Consumer, envelope: EventEnvelope) -> Outcome:
    """Apply ``envelope`` unless it was applied before; effect and position commit together."""
    outcomes = await apply_batch(store, consumer, [envelope])
    return outcomes[0]


async def apply_batch(
    store: EventStore,
    consumer: Consumer,
    envelopes: Sequence[EventEnvelope],
    *,
    traced: bool = True,
    replay: Replay | None = None,
) -> list[Outcome]:
    """Apply several events in one transaction: all of them commit, or none does.

    The handlers' upserts are held back and sent in runs (:func:`svledger.columns.write_behind`).
    Each event's handling is a span of the trace that caused it, unless not ``traced`` (a
    rebuild replaying history is not part of those traces). Work the handlers may leave for
    the end of a ``replay`` is gathered there.
    """
    async with store.transaction(replay) as tx:
        positions = Positions(tx, consumer)
        await positions.load({e.stream_id for e in envelopes})
        outcomes = []
        async with write_behind(tx.conn):
            for envelope in envelopes:
                with (
                    span(
                        f"{consumer.name} {envelope.type}", envelope.metadata.traceparent, CONSUMER
                    )
                    if traced
                    else nullcontext()
                ):
                    outcomes.append(await positions.apply(envelope))
        await positions.save()
        return outcomes


class Positions:
    """A consumer's applied stream versions, read and moved inside one transaction.

    Moves are kept in memory and written by :meth:`save`, once per stream however many of
    its events the transaction applied.
    """

    def __init__(self, tx: StoreTransaction, consumer: Consumer) -> None:
        self.tx = tx
        self.consumer = consumer
        self._stored: dict[str, int | None] = {}  # as read from the table
        self._known: dict[str, int] = {}  # as moved by this transaction

    async def load(self, stream_ids: Collection[str]) -> None:
        """Read the positions of several streams at once (a batch's streams)."""
        wanted = [s for s in stream_ids if s not in self._stored]
        if not wanted:
            return
        rows = await self.tx.conn.execute(
            select(consumer_positions.c.stream_id, consumer_positions.c.version).where(
                consumer_positions.c.consumer == self.consumer.name,
                consumer_positions.c.stream_id.in_(wanted),
            )
        )
        found = {row.stream_id: int(row.version) for row in rows}
        self._stored.update({s: found.get(s) for s in wanted})

    async def _last(self, stream_id: str) -> int:
        if stream_id in self._known:
            return self._known[stream_id]
        if stream_id not in self._stored:
            row = (
                await self.tx.conn.execute(
                    select(consumer_positions.c.version).where(
                        consumer_positions.c.consumer == self.consumer.name,
                        consumer_positions.c.stream_id == stream_id,
                    )
                )
            ).first()
            self._stored[stream_id] = None if row is None else int(row.version)
        return self._stored[stream_id] or 0

    async def apply(self, envelope: EventEnvelope) -> Outcome:
        """Run the handler if ``envelope`` is the stream's next version, and note the move."""
        last = await self._last(envelope.stream_id)
        if envelope.stream_version <= last:
            return Outcome.DUPLICATE
        if envelope.stream_version != last + 1:
            return Outcome.EARLY
        handler = self.consumer.handlers.get(envelope.type)
        if handler is not None:
            await handler(self.tx, envelope)
        self._known[envelope.stream_id] = envelope.stream_version
        return Outcome.APPLIED

    async def save(self) -> None:
        """Write the moved positions; another replica having moved one first fails the lot."""
        name = self.consumer.name
        new = [(s, v) for s, v in self._known.items() if self._stored[s] is None]
        if new:
            await self.tx.conn.execute(
                consumer_positions.insert(),
                [{"consumer": name, "stream_id": s, "version": v} for s, v in new],
            )
        moved = {
            stream_id: (before, version)
            for stream_id, version in self._known.items()
            if (before := self._stored[stream_id]) is not None
        }
        if len(moved) > 1 and self.tx.conn.dialect.name == "postgresql":
            await self._move_together(moved)
        else:
            for stream_id, (before, version) in moved.items():
                await self._move(stream_id, before, version)
        self._stored.update(new)
        self._stored.update({s: v for s, (_, v) in moved.items()})

    async def _move(self, stream_id: str, before: int, version: int) -> None:
        moved = await self.tx.conn.execute(
            update(consumer_positions)
            .where(
                consumer_positions.c.consumer == self.consumer.name,
                consumer_positions.c.stream_id == stream_id,
                consumer_positions.c.version == before,
            )
            .values(version=version)
        )
        if moved.rowcount != 1:
            raise PositionMoved(stream_id)

    async def _move_together(self, moved: Mapping[str, tuple[int, int]]) -> None:
        """Move several streams' positions in one statement (PostgreSQL), each only from the
        version this transaction read; the streams it did not move say who moved first."""
        streams = sorted(moved)
        rows = await self.tx.conn.execute(
            _MOVE_TOGETHER,
            {
                "consumer": self.consumer.name,
                "streams": streams,
                "befores": [moved[s][0] for s in streams],
                "versions": [moved[s][1] for s in streams],
            },
        )
        missed = set(streams) - set(rows.scalars())
        if missed:
            raise PositionMoved(min(missed))


_MOVE_TOGETHER = text(
    "UPDATE consumer_positions AS p SET version = m.version"
    " FROM unnest(CAST(:streams AS VARCHAR[]), CAST(:befores AS INTEGER[]),"
    " CAST(:versions AS INTEGER[])) AS m(stream_id, before, version)"
    " WHERE p.consumer = :consumer AND p.stream_id = m.stream_id AND p.version = m.before"
    " RETURNING p.stream_id"
)


class ConsumerRunner:
    """Fetches from one durable pull consumer and applies each event exactly once."""

    def __init__(
        self,
        store: EventStore,
        nc: NATS,
        consumer: Consumer,
        *,
        batch: int = 100,
        transaction_size: int = 50,
        fetch_timeout_s: float = 0.2,
    ) -> None:
        self.store = store
        self.nc = nc
        self.js: JetStreamContext = nc.jetstream()
        self.consumer = consumer
        self.batch = min(batch, consumer.spec.max_ack_pending)
        self.transaction_size = max(1, transaction_size)
        self.fetch_timeout_s = fetch_timeout_s
        self.applied = 0
        self.dead_lettered = 0
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Fetch and apply until stopped; a lost connection means fetching again, not stopping."""
        spec = self.consumer.spec
        subscription = None
        failures = 0
        while not self._stopping.is_set():
            try:
                if subscription is None:
                    subscription = await self.js.pull_subscribe_bind(
                        durable=spec.name, stream=spec.stream
                    )
                try:
                    messages = await subscription.fetch(self.batch, timeout=self.fetch_timeout_s)
                except (NatsTimeoutError, TimeoutError):
                    messages = []
                for start in range(0, len(messages), self.transaction_size):
                    await self.process_batch(messages[start : start + self.transaction_size])
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                log.warning("consumer %s could not fetch, will retry: %s", spec.name, exc)
                await asyncio.sleep(min(0.2 * 2**failures, 5.0))

    async def process_batch(self, msgs: Sequence[Msg]) -> list[Outcome | None]:
        """Apply fetched messages in one transaction, then settle each with the server.

        Should anything in the batch fail, the transaction rolls back and each message is
        applied on its own, so one poison message is isolated and the rest still apply.
        """
        if len(msgs) == 1:
            return [await self.process(msgs[0])]
        try:
            envelopes = [EventEnvelope.from_json(json.loads(msg.data)) for msg in msgs]
            outcomes = await apply_batch(self.store, self.consumer, envelopes)
        except Exception as exc:
            log.info("consumer %s applies a batch one by one after: %r", self.consumer.name, exc)
            return [await self.process(msg) for msg in msgs]
        settled = [
            await self._settle(msg, outcome) for msg, outcome in zip(msgs, outcomes, strict=True)
        ]
        await self.nc.flush()
        return settled

    async def process(self, msg: Msg) -> Outcome | None:
        """Apply one message and settle it with the server (ack, nak with delay, or term)."""
        spec = self.consumer.spec
        delivered = msg.metadata.num_delivered
        try:
            envelope = EventEnvelope.from_json(json.loads(msg.data))
            outcome = await apply_once(self.store, self.consumer, envelope)
        except Exception as exc:
            if delivered >= spec.max_deliver:
                await self._dead_letter(msg, repr(exc))
                return None
            log.warning(
                "consumer %s failed on %s (attempt %d of %d): %r",
                spec.name,
                msg.subject,
                delivered,
                spec.max_deliver,
                exc,
            )
            await msg.nak(delay=self._backoff(delivered))
            return None
        settled = await self._settle(msg, outcome)
        await self.nc.flush()
        return settled

    async def _settle(self, msg: Msg, outcome: Outcome) -> Outcome | None:
        """Acknowledge an applied or duplicate event; put back one that came too early.

        Acknowledgements are not awaited one by one (the caller flushes): one that is lost
        only brings a redelivery, which the positions recognise as a duplicate.
        """
        delivered = msg.metadata.num_delivered
        if outcome is Outcome.EARLY:
            if delivered >= self.consumer.spec.max_deliver:
                await self._dead_letter(msg, "its predecessor in the stream was never applied")
                return None
            await msg.nak(delay=self._backoff(delivered))
            return outcome
        await msg.ack()
        if outcome is Outcome.APPLIED:
            self.applied += 1
        return outcome

    def _backoff(self, delivered: int) -> float:
        steps = self.consumer.spec.backoff_s or (1.0,)
        return steps[min(delivered - 1, len(steps) - 1)]

    async def _dead_letter(self, msg: Msg, error: str) -> None:
        """Record the poison message, raise the operational signal, and stop redelivery."""
        spec = self.consumer.spec
        payload = msg.data.decode("utf-8", errors="replace")
        try:
            event_id = str(json.loads(payload).get("event_id"))
        except (ValueError, AttributeError):
            event_id = None
        async with self.store.database.writer.begin() as conn:
            await conn.execute(
                dead_letters.insert().values(
                    consumer=spec.name,
                    subject=msg.subject,
                    event_id=event_id,
                    deliveries=msg.metadata.num_delivered,
                    error=error,
                    payload=payload,
                    recorded_at=self.store.clock(),
                )
            )
        log.error(
            "dead letter: consumer %s gave up on %s after %d deliveries: %s",
            spec.name,
            msg.subject,
            msg.metadata.num_delivered,
            error,
        )
        alert = {
            "consumer": spec.name,
            "subject": msg.subject,
            "event_id": event_id,
            "deliveries": msg.metadata.num_delivered,
            "error": error,
        }
        await self.nc.publish(
            f"{OPS_SUBJECT_PREFIX}.deadletter.{spec.name}", json.dumps(alert).encode()
        )
        await msg.term()
        self.dead_lettered += 1

    def stop(self) -> None:
        """Finish the current batch and stop."""
        self._stopping.set()
