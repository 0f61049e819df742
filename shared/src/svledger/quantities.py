"""Exact quantities: read from event data as decimal strings, written back as plain figures."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from svledger.errors import ValidationFailed


def exact_decimal(raw: object, field: str) -> Decimal:
    """Read a decimal string (or an integer) from event data; refuse floats and non-numbers."""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise ValidationFailed(
            f"expected an exact decimal string, got {type(raw).__name__}", field=field
        )
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise ValidationFailed(f"'{raw}' is not a decimal number", field=field) from exc
    if not value.is_finite():
        raise ValidationFailed(f"'{raw}' is not a finite number", field=field)
    return value


def figure(value: Decimal) -> str:
    """``16.0000`` as ``"16"``, ``0.5000`` as ``"0.5"``: exact, without padding or exponent."""
    return format(value.normalize(), "f")


def optional_figure(value: Decimal | None) -> str | None:
    """As :func:`figure`, keeping None (not assessed yet) as null."""
    return None if value is None else figure(value)
