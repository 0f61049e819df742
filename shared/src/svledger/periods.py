"""UK public-sector financial years (April to March) and their quarters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from svledger.errors import ValidationFailed

_PERIOD = re.compile(r"^(\d{4})-(\d{2})-Q([1-4])$")


@dataclass(frozen=True, order=True, slots=True)
class Quarter:
    """A financial-year quarter: ``2026-27-Q1`` is April to June 2026."""

    year: int  # the calendar year the financial year starts in
    number: int  # 1..4

    @classmethod
    def parse(cls, label: str, field: str = "period") -> Quarter:
        """Read ``YYYY-YY-QN``; a bad label is a validation error naming ``field``."""
        quarter = _parse(label)
        if quarter is None:
            raise ValidationFailed(
                f"'{label}' is not a financial-year quarter like 2026-27-Q1", field=field
            )
        return quarter

    @classmethod
    def containing(cls, day: date) -> Quarter:
        """The quarter a date falls in."""
        year = day.year if day.month >= 4 else day.year - 1
        return cls(year, (day.month - 4) % 12 // 3 + 1)

    @property
    def label(self) -> str:
        """``2026-27-Q1``."""
        return f"{self.year}-{(self.year + 1) % 100:02d}-Q{self.number}"

    @property
    def starts(self) -> date:
        """The first day of the quarter."""
        month = 4 + 3 * (self.number - 1)
        return date(self.year + (month > 12), (month - 1) % 12 + 1, 1)

    @property
    def ends(self) -> date:
        """The last day of the quarter."""
        return self.next().starts - timedelta(days=1)

    def next(self) -> Quarter:
        """The quarter after this one."""
        return (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )

    def previous(self) -> Quarter:
        """The quarter before this one."""
        return (
            Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)
        )

    @classmethod
    def last_due_before(cls, day: date, days_after_end: int = 30) -> Quarter:
        """The latest quarter whose return (due ``days_after_end`` after it ends) was due
        before ``day``."""
        cutoff = day - timedelta(days=days_after_end + 1)  # the latest quarter end that was due
        quarter = cls.containing(cutoff)
        return quarter if quarter.ends == cutoff else quarter.previous()

    def due(self, days_after_end: int = 30) -> date:
        """When a return for this quarter is due."""
        return _due(self, days_after_end)

    def __str__(self) -> str:
        return self.label


# Consumers parse the same few dozen labels, and ask the same due dates, for every event.
@lru_cache(maxsize=4096)
def _parse(label: str) -> Quarter | None:
    match = _PERIOD.match(label)
    if not match or int(match.group(2)) != (int(match.group(1)) + 1) % 100:
        return None
    return Quarter(int(match.group(1)), int(match.group(3)))


@lru_cache(maxsize=4096)
def _due(quarter: Quarter, days_after_end: int) -> date:
    return quarter.ends + timedelta(days=days_after_end)


def quarters_between(start: date, end: date) -> list[Quarter]:
    """Every quarter that overlaps ``start``..``end`` inclusive."""
    if end < start:
        raise ValidationFailed("the end date is before the start date", field="ends_on")
    quarters, quarter = [], Quarter.containing(start)
    last = Quarter.containing(end)
    while quarter <= last:
        quarters.append(quarter)
        quarter = quarter.next()
    return quarters
