"""The event store: append with an expected version, load a stream, read in commit order.

Commit order on PostgreSQL uses the visibility horizon rather than a table lock, so concurrent
writers proceed in parallel: each row records the id of the transaction that inserted it, and a
reader takes only rows whose transaction id is below the oldest transaction still running
(``pg_snapshot_xmin(pg_current_snapshot())``), walking them by ``(txid, position)``. A
transaction's id is assigned at its first write, and :meth:`StoreTransaction.append` is always
the first write of a transaction (command handlers and consumers append before anything else),
so one stream's events also come out in version order: the writer of version n+1 loaded the
stream after version n committed, hence got a larger transaction id.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, func, literal_column, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from svledger.clock import Clock, system_clock
from svledger.database import Database
from svledger.envelope import JSON, EventEnvelope, Metadata, NewEvent
from svledger.errors import ConcurrencyError
from svledger.schema import events

Upcaster = Callable[[JSON], JSON]


class Upcasters:
    """Registered ``upcast_vN_vN+1`` functions that bring old event shapes up to date on read."""

    def __init__(self) -> None:
        self._steps: dict[tuple[str, int], Upcaster] = {}

    def register(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Decorate a function that turns version ``from_version`` data into the next version."""

        def decorate(fn: Upcaster) -> Upcaster:
            self._steps[(event_type, from_version)] = fn
            return fn

        return decorate

    def upcast(self, envelope: EventEnvelope) -> EventEnvelope:
        """Apply every step from the stored version up to the newest known."""
        data, version = envelope.data, envelope.schema_version
        while (step := self._steps.get((envelope.type, version))) is not None:
            data, version = step(data), version + 1
        if version == envelope.schema_version:
            return envelope
        return EventEnvelope(
            event_id=envelope.event_id,
            stream_id=envelope.stream_id,
            stream_version=envelope.stream_version,
            type=envelope.type,
            schema_version=version,
            data=data,
            metadata=envelope.metadata,
            recorded_at=envelope.recorded_at,
            position=envelope.position,
        )


@dataclass(frozen=True, order=True, slots=True)
class Cursor:
    """A place in the store's commit order: ``(txid, position)``; txid is 0 on SQLite."""

    txid: int = 0
    position: int = 0


_COLUMNS = (
    events.c.position,
    events.c.txid,
    events.c.stream_id,
    events.c.stream_version,
    events.c.event_id,
    events.c.type,
    events.c.schema_version,
    events.c.data,
    events.c.metadata,
    events.c.recorded_at,
)


class StoreTransaction:
    """One database transaction: appends and loads share it with the caller's other writes."""

    def __init__(self, store: EventStore, conn: AsyncConnection) -> None:
        self.store = store
        self.conn = conn
        self.appended: list[EventEnvelope] = []
        self._at_end: dict[Hashable, Callable[[], Awaitable[None]]] = {}
        # Caches that live as long as the transaction: what one event's projection read, for
        # the next event in the same transaction.
        self.memo: dict[Hashable, Any] = {}

    def at_end(self, key: Hashable, write: Callable[[], Awaitable[None]]) -> None:
        """Run ``write`` just before the transaction commits, once per ``key``: a later call
        with the same key replaces the earlier one. For a write only the last of many events
        in a transaction needs, such as a consumer's freshness mark."""
        self._at_end[key] = write

    async def finish(self) -> None:
        """Run the writes left for the end (the store calls this before committing)."""
        while self._at_end:
            _, write = self._at_end.popitem()
            await write()

    async def append(
        self,
        stream_id: str,
        expected_version: int,
        new_events: Sequence[NewEvent],
        metadata: Metadata,
    ) -> list[EventEnvelope]:
        """Append after ``expected_version`` (0 for a new stream); a clash raises
        :class:`ConcurrencyError` and the transaction is rolled back by its owner."""
        if not new_events:
            return []
        now = self.store.clock()
        meta = metadata.as_json()
        envelopes = [
            EventEnvelope(
                event_id=e.event_id,
                stream_id=stream_id,
                stream_version=expected_version + i,
                type=e.type,
                schema_version=e.schema_version,
                data=e.data,
                metadata=metadata,
                recorded_at=now,
            )
            for i, e in enumerate(new_events, start=1)
        ]
        rows = [
            {
                "stream_id": stream_id,
                "stream_version": env.stream_version,
                "event_id": env.event_id,
                "type": env.type,
                "schema_version": env.schema_version,
                "data": env.data,
                "metadata": meta,
                "recorded_at": now,
            }
            for env in envelopes
        ]
        try:
            # One row goes through a plain execute; executemany only pays off for batches.
            await self.conn.execute(events.insert(), rows[0] if len(rows) == 1 else rows)
        except IntegrityError as exc:
            raise ConcurrencyError(
                f"stream {stream_id} has moved past version {expected_version}; "
                "reload it and try again",
                extra={"stream_id": stream_id, "expected_version": expected_version},
            ) from exc
        self.appended.extend(envelopes)
        return envelopes

    async def load(self, stream_id: str) -> list[EventEnvelope]:
        """Every event of one stream, in version order, upcast to current shapes."""
        return await self.store.load(stream_id, conn=self.conn)


class EventStore:
    """Append-only event log of one service, on SQLite or PostgreSQL."""

    def __init__(
        self,
        database: Database,
        *,
        upcasters: Upcasters | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self.database = database
        self.upcasters = upcasters or Upcasters()
        self.clock = clock
        self._listeners: list[Callable[[], None]] = []

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after a transaction that appended events commits (wakes the relay)."""
        self._listeners.append(listener)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[StoreTransaction]:
        """A unit of work: everything in it commits together or not at all."""
        async with self.database.writer.begin() as conn:
            tx = StoreTransaction(self, conn)
            yield tx
            await tx.finish()
        if tx.appended:
            for listener in self._listeners:
                listener()

    async def append(
        self,
        stream_id: str,
        expected_version: int,
        new_events: Sequence[NewEvent],
        metadata: Metadata,
    ) -> list[EventEnvelope]:
        """Append in a transaction of its own."""
        async with self.transaction() as tx:
            return await tx.append(stream_id, expected_version, new_events, metadata)

    async def load(
        self, stream_id: str, *, conn: AsyncConnection | None = None
    ) -> list[EventEnvelope]:
        """Every event of one stream in version order."""
        query = (
            select(*_COLUMNS)
            .where(events.c.stream_id == stream_id)
            .order_by(events.c.stream_version)
        )
        if conn is not None:
            rows = (await conn.execute(query)).all()
        else:
            async with self.database.reader.connect() as own:
                rows = (await own.execute(query)).all()
        return [self._envelope(row) for row in rows]

    async def read_committed(
        self, after: Cursor, limit: int = 500
    ) -> list[tuple[Cursor, EventEnvelope]]:
        """The next events in commit order after ``after``, each with its own cursor.

        Never returns an event while an earlier-committing one could still appear before it.
        """
        query = (
            select(*_COLUMNS)
            .where(tuple_(events.c.txid, events.c.position) > tuple_(after.txid, after.position))
            .order_by(events.c.txid, events.c.position)
            .limit(limit)
        )
        if self.database.is_postgres:
            horizon: Any = literal_column("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
            query = query.where(events.c.txid < horizon)
        async with self.database.reader.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [(Cursor(int(r.txid), int(r.position)), self._envelope(r)) for r in rows]

    async def read_all(self, batch: int = 1000) -> AsyncIterator[EventEnvelope]:
        """Every event committed so far, in position order: for audits and checks.

        Not for tailing: unlike :meth:`read_committed` it does not wait for the visibility
        horizon, so a later call may find events with lower positions than it saw before.
        """
        after = 0
        while True:
            query = (
                select(*_COLUMNS)
                .where(events.c.position > after)
                .order_by(events.c.position)
                .limit(batch)
            )
            async with self.database.reader.connect() as conn:
                rows = (await conn.execute(query)).all()
            if not rows:
                return
            for row in rows:
                yield self._envelope(row)
            after = int(rows[-1].position)

    async def head(self) -> Cursor:
        """The cursor of the newest event (committed or not) - for lag reports."""
        query = select(events.c.txid, events.c.position).order_by(events.c.position.desc()).limit(1)
        async with self.database.reader.connect() as conn:
            row = (await conn.execute(query)).first()
        return Cursor(int(row.txid), int(row.position)) if row else Cursor()

    async def count(self) -> int:
        """How many events the store holds."""
        async with self.database.reader.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(events))).scalar_one())

    def _envelope(self, row: Row[Any, *tuple[Any, ...]]) -> EventEnvelope:
        event_id = (
            row.event_id if isinstance(row.event_id, uuid.UUID) else uuid.UUID(str(row.event_id))
        )
        recorded_at: datetime = row.recorded_at
        if recorded_at.tzinfo is None:  # SQLite keeps no zone; the store writes UTC
            recorded_at = recorded_at.replace(tzinfo=UTC)
        envelope = EventEnvelope(
            event_id=event_id,
            stream_id=row.stream_id,
            stream_version=int(row.stream_version),
            type=row.type,
            schema_version=int(row.schema_version),
            data=dict(row.data),
            metadata=Metadata.from_json(dict(row.metadata)),
            recorded_at=recorded_at,
            position=int(row.position),
        )
        return self.upcasters.upcast(envelope)
