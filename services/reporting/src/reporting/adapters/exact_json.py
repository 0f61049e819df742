"""JSON whose numbers are exact decimals written as they are, never through a float.

OCDS wants amounts as JSON numbers; Python's json module would have to go through float to
write a Decimal as one. This writer spells each Decimal out digit for digit instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from svledger.quantities import figure


def dumps(value: Any) -> str:
    """Serialise ``value``; Decimals become exact JSON numbers, dates ISO 8601 strings."""
    if value is None or isinstance(value, bool | int | str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} cannot be written as a JSON number")
        return figure(value)
    if isinstance(value, datetime | date):
        return json.dumps(value.isoformat())
    if isinstance(value, Mapping):
        members = (f"{json.dumps(str(k), ensure_ascii=False)}:{dumps(v)}" for k, v in value.items())
        return "{" + ",".join(members) + "}"
    if isinstance(value, Sequence):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    raise TypeError(f"{type(value).__name__} cannot be written as JSON")
