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
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from opentelemetry.trace import SpanKind
from sqlalchemy import select, update

from svledger.bus import OPS_SUBJECT_PREFIX, ConsumerSpec
from svledger.envelope import EventEnvelope
from svledger.eventstore import EventStore, StoreTransaction
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
    async with store.transaction() as tx:
        return await Positions(tx, consumer).apply(envelope)


async def apply_batch(
    store: EventStore, consumer: Consumer, envelopes: Sequence[EventEnvelope]
) -> list[Outcome]:
    """Apply several events in one transaction (rebuilds): all or none of them commit."""
    async with store.transaction() as tx:
        positions = Positions(tx, consumer)
        return [await positions.apply(envelope) for envelope in envelopes]


class Positions:
    """A consumer's applied stream versions, read and moved inside one transaction."""

    def __init__(self, tx: StoreTransaction, consumer: Consumer) -> None:
        self.tx = tx
        self.consumer = consumer
        self._known: dict[str, int | None] = {}

    async def _last(self, stream_id: str) -> int | None:
        if stream_id not in self._known:
            row = (
                await self.tx.conn.execute(
                    select(consumer_positions.c.version).where(
                        consumer_positions.c.consumer == self.consumer.name,
                        consumer_positions.c.stream_id == stream_id,
                    )
                )
            ).first()
            self._known[stream_id] = None if row is None else int(row.version)
        return self._known[stream_id]

    async def apply(self, envelope: EventEnvelope) -> Outcome:
        """Run the handler if ``envelope`` is the stream's next version, and record it."""
        stored = await self._last(envelope.stream_id)
        last = stored or 0
        if envelope.stream_version <= last:
            return Outcome.DUPLICATE
        if envelope.stream_version != last + 1:
            return Outcome.EARLY
        handler = self.consumer.handlers.get(envelope.type)
        if handler is not None:
            await handler(self.tx, envelope)
        if stored is None:
            await self.tx.conn.execute(
                consumer_positions.insert().values(
                    consumer=self.consumer.name,
                    stream_id=envelope.stream_id,
                    version=envelope.stream_version,
                )
            )
        else:
            moved = await self.tx.conn.execute(
                update(consumer_positions)
                .where(
                    consumer_positions.c.consumer == self.consumer.name,
                    consumer_positions.c.stream_id == envelope.stream_id,
                    consumer_positions.c.version == last,
                )
                .values(version=envelope.stream_version)
            )
            if moved.rowcount != 1:
                raise PositionMoved(envelope.stream_id)
        self._known[envelope.stream_id] = envelope.stream_version
        return Outcome.APPLIED


class ConsumerRunner:
    """Fetches from one durable pull consumer and applies each event exactly once."""

    def __init__(
        self,
        store: EventStore,
        nc: NATS,
        consumer: Consumer,
        *,
        batch: int = 100,
        fetch_timeout_s: float = 1.0,
    ) -> None:
        self.store = store
        self.nc = nc
        self.js: JetStreamContext = nc.jetstream()
        self.consumer = consumer
        self.batch = min(batch, consumer.spec.max_ack_pending)
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
                for msg in messages:
                    await self.process(msg)
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                log.warning("consumer %s could not fetch, will retry: %s", spec.name, exc)
                await asyncio.sleep(min(0.2 * 2**failures, 5.0))

    async def process(self, msg: Msg) -> Outcome | None:
        """Apply one message and settle it with the server (ack, nak with delay, or term)."""
        spec = self.consumer.spec
        delivered = msg.metadata.num_delivered
        try:
            envelope = EventEnvelope.from_json(json.loads(msg.data))
            with span(f"{spec.name} {envelope.type}", envelope.metadata.traceparent, CONSUMER):
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
        if outcome is Outcome.EARLY:
            if delivered >= spec.max_deliver:
                await self._dead_letter(msg, "its predecessor in the stream was never applied")
                return None
            await msg.nak(delay=self._backoff(delivered))
            return outcome
        await msg.ack_sync()
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
