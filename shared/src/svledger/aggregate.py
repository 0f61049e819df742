"""What every event-sourced aggregate shares: rebuilt from its events, it records new ones."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Self

from svledger.envelope import EventEnvelope, NewEvent
from svledger.errors import NotFound


class Aggregate:
    """Base for aggregates: ``when`` folds one recorded event into the state.

    Subclasses take no constructor arguments: their state comes only from events.
    """

    stream_prefix: str = "aggregate"

    def __init__(self) -> None:
        self.version = 0

    @classmethod
    def stream_id(cls, key: str) -> str:
        """The stream an aggregate with this key lives in: ``<prefix>-<key>``."""
        return f"{cls.stream_prefix}-{key}"

    @classmethod
    def rehydrate(cls, events: Iterable[EventEnvelope]) -> Self | None:
        """Rebuild from recorded events; None when there are none."""
        aggregate: Self | None = None
        for event in events:
            if aggregate is None:
                aggregate = cls()
            aggregate.when(event.type, event.data)
            aggregate.version = event.stream_version
        return aggregate

    @classmethod
    def require(cls, events: Iterable[EventEnvelope], what: str) -> Self:
        """Rebuild, or raise :class:`NotFound` naming ``what``."""
        aggregate = cls.rehydrate(events)
        if aggregate is None:
            raise NotFound(f"{what} was not found")
        return aggregate

    def when(self, event_type: str, data: dict[str, object]) -> None:
        """Fold one event into the state; subclasses handle their own types."""
        raise NotImplementedError

    def record(self, event: NewEvent) -> NewEvent:
        """Apply a new event to this instance (so further decisions see it) and return it."""
        self.when(event.type, event.data)
        return event
