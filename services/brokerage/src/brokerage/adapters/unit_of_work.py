"""One transaction of the brokerage: load streams, append events, and bring the read models up
to date with what was appended, all committing together or not at all."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from svledger.aggregate import Aggregate
from svledger.envelope import EventEnvelope, Metadata, NewEvent
from svledger.eventstore import EventStore, StoreTransaction

from brokerage.adapters.projections import project


class UnitOfWork:
    """Appends made through it are projected into the read models before the commit."""

    def __init__(self, tx: StoreTransaction, metadata: Metadata) -> None:
        self.tx = tx
        self.metadata = metadata
        self.recorded: list[EventEnvelope] = []

    async def load(self, stream_id: str) -> list[EventEnvelope]:
        """A stream's events, read inside this transaction."""
        return await self.tx.load(stream_id)

    async def append(
        self, stream_id: str, expected_version: int, events: Sequence[NewEvent]
    ) -> list[EventEnvelope]:
        """Append after ``expected_version``; a clash is a 409 and nothing commits."""
        recorded = await self.tx.append(stream_id, expected_version, events, self.metadata)
        self.recorded.extend(recorded)
        return recorded

    async def save(
        self, aggregate: Aggregate, stream_id: str, events: Sequence[NewEvent]
    ) -> list[EventEnvelope]:
        """Append events ``aggregate`` decided (and already applied) after the version it was
        loaded at, and bring its version up to date."""
        recorded = await self.append(stream_id, aggregate.version, events)
        if recorded:
            aggregate.version = recorded[-1].stream_version
        return recorded


@asynccontextmanager
async def unit_of_work(store: EventStore, metadata: Metadata) -> AsyncIterator[UnitOfWork]:
    """A unit of work; the read models are written after every append, just before commit.

    Every read-model write follows the appends (the event store's commit-order rule: the event
    insert is the transaction's first write).
    """
    async with store.transaction() as tx:
        work = UnitOfWork(tx, metadata)
        yield work
        await project(tx.conn, work.recorded)
