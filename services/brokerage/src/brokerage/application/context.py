"""What every command handler and query of the brokerage works with."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncConnection
from svledger.auth import Principal
from svledger.clock import Clock
from svledger.context import metadata_for
from svledger.database import Database
from svledger.envelope import EventEnvelope
from svledger.errors import PreconditionFailed
from svledger.eventstore import EventStore

from brokerage.adapters.unit_of_work import UnitOfWork, unit_of_work


@dataclass(frozen=True, slots=True)
class Context:
    """The event store (and its database, where the read models live), the clock, and the
    places organisations may serve."""

    store: EventStore
    clock: Clock
    places: tuple[str, ...]

    @property
    def database(self) -> Database:
        """The service's database."""
        return self.store.database

    def today(self) -> date:
        """Today, by the injected clock."""
        return self.clock().date()

    def work(self, actor: Principal) -> AbstractAsyncContextManager[UnitOfWork]:
        """A unit of work whose events record ``actor`` (and the request's correlation id)."""
        return unit_of_work(self.store, metadata_for(actor))

    def reading(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A connection for queries, outside any write transaction."""
        return self.database.reader.connect()

    async def load(self, stream_id: str) -> list[EventEnvelope]:
        """A stream's events, outside any transaction (for reads)."""
        return await self.store.load(stream_id)


def expect_version(current: int, if_match: int | None, what: str) -> None:
    """Honour ``If-Match``: refuse with 412 when the caller read an older version."""
    if if_match is not None and if_match != current:
        raise PreconditionFailed(
            f"{what} is at version {current}, not {if_match}; read it again and retry",
            field="If-Match",
            extra={"current_version": current},
        )
