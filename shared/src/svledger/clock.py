"""An injectable clock, so tests and demos can place contracts in the past."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real time, in UTC."""
    return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved: for tests and demos."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    @classmethod
    def at(cls, day: date) -> FixedClock:
        """A clock standing at midday UTC on ``day``."""
        return cls(datetime(day.year, day.month, day.day, 12, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward."""
        self.now += delta
