"""Freshness: every event a consumer applies moves its mark, handled or not.

The runner looks a handler up by event type (``handlers.get(type)``) and records an event
without one as seen. :class:`Tracked` answers that lookup for *every* type with a handler
that runs the projection (if the type has one) and then moves the consumer's mark, in the same
transaction, so reports can state the newest event they reflect. The mark is written once
per transaction, for the newest event in it, however many events a batch applies.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from svledger.bus import ConsumerSpec
from svledger.consumers import Consumer, Handler
from svledger.envelope import EventEnvelope
from svledger.eventstore import StoreTransaction

from reporting.adapters.projections import record_mark


class Tracked(Mapping[str, Handler]):
    """A consumer's handlers, each followed by moving the consumer's mark."""

    def __init__(self, spec: ConsumerSpec, handlers: Mapping[str, Handler]) -> None:
        self._spec = spec
        self._handlers = dict(handlers)

    def __getitem__(self, event_type: str) -> Handler:
        project = self._handlers.get(event_type)
        spec = self._spec

        async def handle(tx: StoreTransaction, event: EventEnvelope) -> None:
            if project is not None:
                await project(tx, event)
            key = ("mark", spec.name)
            newest: EventEnvelope | None = tx.memo.get(key)
            if newest is None or event.position > newest.position:
                tx.memo[key] = newest = event
                tx.at_end(key, lambda: _mark(tx, spec, newest))

        return handle

    def __iter__(self) -> Iterator[str]:
        return iter(self._handlers)

    def __len__(self) -> int:
        return len(self._handlers)


def tracked(spec: ConsumerSpec, handlers: Mapping[str, Handler]) -> Consumer:
    """A consumer whose every applied event moves its mark."""
    return Consumer(spec, Tracked(spec, handlers))


async def _mark(tx: StoreTransaction, spec: ConsumerSpec, newest: EventEnvelope) -> None:
    await record_mark(tx.conn, spec.name, spec.stream, newest.position, newest.recorded_at)
