"""JSON whose numbers are exact decimals written as they are, never through a float.

OCDS wants amounts as JSON numbers; Python's json module would have to go through float to
write a Decimal as one. This writer spells each Decimal out digit for digit instead.

A portfolio's OCDS package runs to megabytes, so the document is written by the json module's
C encoder, each Decimal standing in as a string ``"<token><n>"``, then each stand-in is
replaced by the Decimal's digits. The token is drawn afresh for every document, so no text in
it can pass for a stand-in.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import AsyncIterable, AsyncIterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from svledger.quantities import figure


def dumps(value: Any) -> str:
    """Serialise ``value``; Decimals become exact JSON numbers, dates ISO 8601 strings."""
    token = secrets.token_hex(16)
    numbers: list[str] = []

    def stand_in(item: Any) -> Any:
        if isinstance(item, Decimal):
            if not item.is_finite():
                raise ValueError(f"{item} cannot be written as a JSON number")
            numbers.append(figure(item))
            return f"{token}{len(numbers) - 1}"
        if isinstance(item, datetime | date):
            return item.isoformat()
        if isinstance(item, Mapping):
            return dict(item)
        if isinstance(item, Sequence) and not isinstance(item, bytes | bytearray):
            return list(item)
        raise TypeError(f"{type(item).__name__} cannot be written as JSON")

    text = json.dumps(
        value,
        default=stand_in,
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
    )
    if not numbers:
        return text
    return re.sub(f'"{token}([0-9]+)"', lambda m: numbers[int(m.group(1))], text)


async def dumps_in_pieces(
    document: Mapping[str, Any], key: str, items: AsyncIterable[Any]
) -> AsyncIterator[str]:
    """:func:`dumps` of ``document`` with ``items`` as the array under ``key`` (its last
    member), a piece at a time: each item is taken from ``items`` (made, or read, then) only
    when the writer reaches it, so a document of many large items is never whole in memory."""
    head = dumps({**{k: v for k, v in document.items() if k != key}, key: []})
    yield head[: -len("]}")]
    first = True
    async for item in items:
        yield dumps(item) if first else f",{dumps(item)}"
        first = False
    yield "]}"
