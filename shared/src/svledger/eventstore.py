"""The event store: append with an expected version, load a stream, read in commit order.

Commit order on PostgreSQL uses the visibility horizon rather than a table lock, so concurrent
writers proceed in parallel: each row records the id of the transaction that inserted it, and a
reader takes only rows whose transaction id is below the oldest transaction still running
(``pg_snapshot_xmin(pg_current_snapshot())``), walking them by ``(txid, position)``. A
transaction's id is assigned at its first write, and :meth:`StoreTransaction.append` is always
the first write of a transaction (command handlers and consumers append before anything else),
so one stream's events also come out in version order: the writer of version n+1 loaded the
stream after version n committed, hence got a larger transaction id.

On PostgreSQL the hot statements skip SQLAlchemy's statement building and go to asyncpg: an
append is one multi-row insert with the JSON encoded once here, and loads and commit-order
reads are plain prepared queries. An append in a transaction of its own
(:meth:`EventStore.append`) is that single insert on one of the database's driver connections
(:meth:`Database.driver_connection`), committing by itself: one round trip instead of begin,
insert and commit. One statement is atomic, and as its transaction's only write it still sets
``txid``. Measured on the 2-core machine: about 4x the appends per second of the SQLAlchemy
path with one writer, 6x with 64.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, TypeVar

import asyncpg
from sqlalchemy import bindparam, func, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from svledger.clock import Clock, system_clock
from svledger.database import Database, driver_of
from svledger.envelope import JSON, EventEnvelope, Metadata, NewEvent
from svledger.errors import ConcurrencyError
from svledger.schema import events

T = TypeVar("T")

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


# One stream's part of a multi-stream append: (stream id, expected version, new events).
Append = tuple[str, int, Sequence[NewEvent]]


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


_INSERT = events.insert()
_LOAD = (
    select(*_COLUMNS)
    .where(events.c.stream_id == bindparam("stream_id"))
    .order_by(events.c.stream_version)
)

# PostgreSQL reads go straight to the driver: one round trip, no statement building. The
# columns are those of _COLUMNS, in that order (rows are read by position).
_PG_SELECT = (
    "SELECT position, txid, stream_id, stream_version, event_id, type, schema_version, data, "
    "metadata, recorded_at FROM events "
)
_PG_LOAD = _PG_SELECT + "WHERE stream_id = $1 ORDER BY stream_version"
_PG_READ_COMMITTED = (
    _PG_SELECT + "WHERE (txid, position) > ($1, $2) "
    "AND txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint "
    "ORDER BY txid, position LIMIT $3"
)

# The PostgreSQL insert: the metadata and time once ($1-$2), then six parameters an event.
# PostgreSQL takes at most 32,767 parameters a statement; larger batches go through
# SQLAlchemy's executemany instead.
_PG_SHARED, _PG_PER_EVENT = 2, 6
_PG_MAX_EVENTS = (32_767 - _PG_SHARED) // _PG_PER_EVENT


@lru_cache(maxsize=64)
def _pg_insert(n: int) -> str:
    """The insert of ``n`` events, in the order given (positions follow it)."""
    rows = ", ".join(
        "(" + ", ".join(f"${_PG_SHARED + _PG_PER_EVENT * i + k}" for k in range(1, 7)) + ", $1, $2)"
        for i in range(n)
    )
    columns = (
        "stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at"
    )
    return f"INSERT INTO events ({columns}) VALUES {rows}"  # noqa: S608 (placeholders only)


def _pg_parameters(envelopes: Sequence[EventEnvelope], meta: JSON, now: datetime) -> list[Any]:
    """The parameters of :func:`_pg_insert`; JSON goes as text, as SQLAlchemy's codec takes it."""
    params: list[Any] = [json.dumps(meta), now]
    for env in envelopes:
        params += (
            env.stream_id,
            env.stream_version,
            env.event_id,
            env.type,
            env.schema_version,
            json.dumps(env.data),
        )
    return params


def _envelopes(
    stream_id: str,
    expected_version: int,
    new_events: Sequence[NewEvent],
    metadata: Metadata,
    now: datetime,
) -> list[EventEnvelope]:
    return [
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


def _conflict(appends: Sequence[Append]) -> ConcurrencyError:
    if len(appends) == 1:
        stream_id, expected_version, _ = appends[0]
        return ConcurrencyError(
            f"stream {stream_id} has moved past version {expected_version}; "
            "reload it and try again",
            extra={"stream_id": stream_id, "expected_version": expected_version},
        )
    return ConcurrencyError(
        f"one of {len(appends)} streams has moved past the version it was appended after; "
        "reload them and try again",
        extra={"expected_versions": {stream_id: version for stream_id, version, _ in appends}},
    )


class Replay:
    """Work that the transactions of a replay leave until its last event is applied.

    A projection that sums figures again from its rows at the end of every transaction can,
    while history is replayed (a rebuild, with no reader waiting on the figures in between),
    gather what each transaction changed and sum each thing once at the end: a contract whose
    events fall in fifty batches is summed once instead of fifty times.
    """

    def __init__(self) -> None:
        # key -> (what is gathered under it, the work it is for)
        self._pending: dict[Hashable, tuple[Any, Callable[[EventStore, Any], Awaitable[None]]]] = {}

    def gather(
        self,
        key: Hashable,
        empty: Callable[[], T],
        work: Callable[[EventStore, T], Awaitable[None]],
    ) -> T:
        """What is gathered under ``key`` so far (``empty()`` the first time), for the caller
        to add to; :meth:`finish` hands it to ``work``."""
        if key not in self._pending:
            self._pending[key] = (empty(), work)
        gathered: T = self._pending[key][0]
        return gathered

    async def finish(self, store: EventStore) -> bool:
        """Run each key's work over what was gathered, in the order the keys first came;
        say whether there was any."""
        pending, self._pending = self._pending, {}
        for gathered, work in pending.values():
            await work(store, gathered)
        return bool(pending)


class StoreTransaction:
    """One database transaction: appends and loads share it with the caller's other writes."""

    def __init__(
        self, store: EventStore, conn: AsyncConnection, replay: Replay | None = None
    ) -> None:
        self.store = store
        self.conn = conn
        # Set while history is replayed: work a projection may leave for the replay's end.
        self.replay = replay
        self.appended: list[EventEnvelope] = []
        self._at_end: dict[Hashable, Callable[[], Awaitable[None]]] = {}
        # Caches that live as long as the transaction: what one event's projection read, for
        # the next event in the same transaction.
        self.memo: dict[Hashable, Any] = {}
        self.signals: set[Hashable] = set()

    def signal(self, topic: Hashable) -> None:
        """Once this transaction commits, call the listeners registered for ``topic`` with
        :meth:`EventStore.on_commit` (say, to wake a dispatcher for what it wrote)."""
        self.signals.add(topic)

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
        [appended] = await self.append_streams(
            [(stream_id, expected_version, new_events)], metadata
        )
        return appended

    async def append_streams(
        self, appends: Sequence[Append], metadata: Metadata
    ) -> list[list[EventEnvelope]]:
        """Append to several streams in one statement, each ``(stream_id, expected_version,
        events)`` as :meth:`append` would; what was appended to each, in the order given. A
        clash on any of them raises :class:`ConcurrencyError` naming them all."""
        now = self.store.clock()
        meta = metadata.as_json()
        appended = [_envelopes(s, v, events, metadata, now) for s, v, events in appends]
        envelopes = [env for some in appended for env in some]
        if not envelopes:
            return appended
        try:
            if self.store.database.is_postgres and len(envelopes) <= _PG_MAX_EVENTS:
                params = _pg_parameters(envelopes, meta, now)
                await self.conn.exec_driver_sql(_pg_insert(len(envelopes)), tuple(params))
            else:
                rows = [
                    {
                        "stream_id": env.stream_id,
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
                # One row goes through a plain execute; executemany only pays off for batches.
                await self.conn.execute(_INSERT, rows[0] if len(rows) == 1 else rows)
        except IntegrityError as exc:
            raise _conflict(appends) from exc
        self.appended.extend(envelopes)
        return appended

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
        self._signalled: dict[Hashable, list[Callable[[], None]]] = {}

    def on_commit(self, listener: Callable[[], None], *, signal: Hashable | None = None) -> None:
        """Call ``listener`` after a transaction that appended events commits (wakes the relay);
        with ``signal``, only after one that raised it (:meth:`StoreTransaction.signal`)."""
        if signal is None:
            self._listeners.append(listener)
        else:
            self._signalled.setdefault(signal, []).append(listener)

    @asynccontextmanager
    async def transaction(self, replay: Replay | None = None) -> AsyncIterator[StoreTransaction]:
        """A unit of work: everything in it commits together or not at all (part of
        ``replay`` when given)."""
        async with self.database.writer.begin() as conn:
            tx = StoreTransaction(self, conn, replay)
            yield tx
            await tx.finish()
        if tx.appended:
            for listener in self._listeners:
                listener()
        for topic in tx.signals:
            for listener in self._signalled.get(topic, ()):
                listener()

    async def append(
        self,
        stream_id: str,
        expected_version: int,
        new_events: Sequence[NewEvent],
        metadata: Metadata,
    ) -> list[EventEnvelope]:
        """Append in a transaction of its own."""
        if not (self.database.is_postgres and 0 < len(new_events) <= _PG_MAX_EVENTS):
            async with self.transaction() as tx:
                return await tx.append(stream_id, expected_version, new_events, metadata)
        now = self.clock()
        envelopes = _envelopes(stream_id, expected_version, new_events, metadata, now)
        params = _pg_parameters(envelopes, metadata.as_json(), now)
        refused: asyncpg.IntegrityConstraintViolationError | None = None
        async with self.database.driver_connection() as conn:
            try:
                await conn.execute(_pg_insert(len(envelopes)), *params)
            except asyncpg.IntegrityConstraintViolationError as exc:
                refused = exc
        if refused is not None:
            raise _conflict([(stream_id, expected_version, new_events)]) from refused
        for listener in self._listeners:
            listener()
        return envelopes

    async def load(
        self, stream_id: str, *, conn: AsyncConnection | None = None
    ) -> list[EventEnvelope]:
        """Every event of one stream in version order."""
        rows: Sequence[Sequence[Any]]
        if self.database.is_postgres:
            # A plain read: under READ COMMITTED each statement takes its own snapshot, so a
            # read on the transaction's driver connection sees what it would inside SQLAlchemy.
            if conn is not None:
                rows = await (await driver_of(conn)).fetch(_PG_LOAD, stream_id)
            else:
                async with self.database.driver_connection() as driver:
                    rows = await driver.fetch(_PG_LOAD, stream_id)
        elif conn is not None:
            rows = (await conn.execute(_LOAD, {"stream_id": stream_id})).all()
        else:
            async with self.database.reader.connect() as own:
                rows = (await own.execute(_LOAD, {"stream_id": stream_id})).all()
        return [self._envelope(row) for row in rows]

    async def read_committed(
        self, after: Cursor, limit: int = 500
    ) -> list[tuple[Cursor, EventEnvelope]]:
        """The next events in commit order after ``after``, each with its own cursor.

        Never returns an event while an earlier-committing one could still appear before it.
        """
        rows: Sequence[Sequence[Any]]
        if self.database.is_postgres:
            async with self.database.driver_connection() as driver:
                rows = await driver.fetch(_PG_READ_COMMITTED, after.txid, after.position, limit)
        else:
            query = (
                select(*_COLUMNS)
                .where(
                    tuple_(events.c.txid, events.c.position) > tuple_(after.txid, after.position)
                )
                .order_by(events.c.txid, events.c.position)
                .limit(limit)
            )
            async with self.database.reader.connect() as conn:
                rows = (await conn.execute(query)).all()
        return [(Cursor(int(r[1]), int(r[0])), self._envelope(r)) for r in rows]

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

    async def count_after(self, after: Cursor) -> int:
        """How many committed events come after ``after`` in commit order: a relay's lag.

        Not the difference of positions: positions are taken as events are inserted, so a
        transaction that committed last may hold lower positions than one before it.
        """
        query = (
            select(func.count())
            .select_from(events)
            .where(tuple_(events.c.txid, events.c.position) > tuple_(after.txid, after.position))
        )
        async with self.database.reader.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def count(self) -> int:
        """How many events the store holds."""
        async with self.database.reader.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(events))).scalar_one())

    def _envelope(self, row: Sequence[Any]) -> EventEnvelope:
        """An envelope from a row of :data:`_COLUMNS`, read by position (a SQLAlchemy row
        or an asyncpg record)."""
        position, _txid, stream_id, stream_version, event_id, type_, schema_version = row[:7]
        data, metadata, recorded_at = row[7:]
        if not isinstance(event_id, uuid.UUID):
            event_id = uuid.UUID(str(event_id))
        if recorded_at.tzinfo is None:  # SQLite keeps no zone; the store writes UTC
            recorded_at = recorded_at.replace(tzinfo=UTC)
        envelope = EventEnvelope(
            event_id=event_id,
            stream_id=stream_id,
            stream_version=int(stream_version),
            type=type_,
            schema_version=int(schema_version),
            data=dict(data),
            metadata=Metadata.from_json(dict(metadata)),
            recorded_at=recorded_at,
            position=int(position),
        )
        return self.upcasters.upcast(envelope)
