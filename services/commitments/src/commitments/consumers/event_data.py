"""Reading the fields of measurement's events: decimals travel as strings, periods as labels.

A field that cannot be read raises, so the message is redelivered and, if it never reads,
dead-lettered: a malformed event is never half-applied or skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from svledger.errors import ValidationFailed
from svledger.periods import Quarter
from svledger.quantities import exact_decimal


def text(data: Mapping[str, Any], key: str) -> str:
    """A required string."""
    raw = data.get(key)
    if raw is None or raw == "":
        raise ValidationFailed(f"{key} is missing", field=key)
    return str(raw)


def optional_text(data: Mapping[str, Any], key: str) -> str | None:
    """A string, or None when absent, null or empty."""
    raw = data.get(key)
    return str(raw) if raw else None


def quantity(data: Mapping[str, Any], key: str) -> Decimal:
    """An exact decimal sent as a string (``"16"``, ``"0.5000"``)."""
    return exact_decimal(data.get(key), key)


def period(data: Mapping[str, Any], key: str = "period") -> str:
    """A financial-year quarter label, checked so labels sort in time order."""
    return Quarter.parse(text(data, key), field=key).label


def day(data: Mapping[str, Any], key: str) -> date:
    """An ISO date (a full timestamp is cut to its date)."""
    return datetime.fromisoformat(text(data, key)).date()


def items(data: Mapping[str, Any], key: str) -> list[Any]:
    """A list (absent or null is empty)."""
    raw = data.get(key) or []
    if not isinstance(raw, list):
        raise ValidationFailed(f"expected a list, got {type(raw).__name__}", field=key)
    return raw


def targets(data: Mapping[str, Any], key: str = "targets") -> dict[str, Decimal]:
    """A map of financial-year quarter to exact decimal."""
    raw = data.get(key) or {}
    if not isinstance(raw, Mapping):
        raise ValidationFailed(f"expected an object, got {type(raw).__name__}", field=key)
    return {
        Quarter.parse(str(p), field=key).label: exact_decimal(v, f"{key}.{p}")
        for p, v in raw.items()
    }
