"""What every command handler and query of the service works with."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from svledger.auth import Principal
from svledger.clock import Clock
from svledger.context import metadata_for
from svledger.envelope import EventEnvelope
from svledger.errors import PreconditionFailed
from svledger.eventstore import EventStore

from commitments.adapters.frameworks import Frameworks
from commitments.adapters.read_models import ReadModels
from commitments.adapters.track_records import TrackRecords
from commitments.adapters.unit_of_work import UnitOfWork, unit_of_work


@dataclass(frozen=True, slots=True)
class Context:
    """The event store, framework versions, read models, clock and the service's settings."""

    store: EventStore
    frameworks: Frameworks
    read_models: ReadModels
    track_records: TrackRecords
    clock: Clock
    default_places: tuple[str, ...]
    proportionality_share: Decimal
    overpromise_multiple: Decimal

    def today(self) -> date:
        """Today, by the injected clock."""
        return self.clock().date()

    def work(self, actor: Principal) -> AbstractAsyncContextManager[UnitOfWork]:
        """A unit of work whose events record ``actor`` (and the request's correlation id)."""
        return unit_of_work(self.store, metadata_for(actor))

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
