"""Reading the fields of other services' events: decimals travel as strings, periods as labels.

A field that cannot be read raises, so the message is redelivered and, if it never reads,
dead-lettered: a malformed event is never half-applied or skipped.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from svledger.periods import Quarter
from svledger.quantities import exact_decimal


def quantity(data: dict[str, Any], key: str) -> Decimal:
    """An exact decimal sent as a string (``"16"``, ``"0.5000"``)."""
    return exact_decimal(data.get(key), key)


def optional_quantity(data: dict[str, Any], key: str) -> Decimal | None:
    """An exact decimal, or None when absent or null."""
    raw = data.get(key)
    return None if raw is None else exact_decimal(raw, key)


def period(data: dict[str, Any], key: str = "period") -> str:
    """A financial-year quarter label, checked so labels sort in time order."""
    return Quarter.parse(str(data[key]), field=key).label


def day(data: dict[str, Any], key: str) -> date:
    """An ISO date (a full timestamp is cut to its date)."""
    return datetime.fromisoformat(str(data[key])).date()
