"""JSON whose numbers are exact decimals written as they are, never through a float.

OCDS wants amounts as JSON numbers; Python's json module would have to go through float to
write a Decimal as one. Here each Decimal is written digit for digit, as a fragment of JSON
that orjson puts in the document as it is.

A portfolio's OCDS package runs to tens of megabytes: orjson writes it about nine times
faster than the json module's C encoder did (0.08 against 0.72 s for a national buyer's).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import orjson
from svledger.quantities import figure


def dumps(value: Any) -> bytes:
    """Serialise ``value`` as UTF-8 JSON; Decimals become exact JSON numbers, dates and times
    ISO 8601 strings."""
    return orjson.dumps(value, default=_exact)


def _exact(item: Any) -> Any:
    if isinstance(item, Decimal):
        if not item.is_finite():
            raise ValueError(f"{item} cannot be written as a JSON number")
        return orjson.Fragment(figure(item))
    if isinstance(item, Mapping):
        return dict(item)
    if isinstance(item, Sequence) and not isinstance(item, bytes | bytearray):
        return list(item)
    raise TypeError(f"{type(item).__name__} cannot be written as JSON")


async def dumps_in_pieces(
    document: Mapping[str, Any], key: str, items: AsyncIterable[Any]
) -> AsyncIterator[bytes]:
    """:func:`dumps` of ``document`` with ``items`` as the array under ``key`` (its last
    member), a piece at a time: each item is taken from ``items`` (made, or read, then) only
    when the writer reaches it, so a document of many large items is never whole in memory."""
    head = dumps({**{k: v for k, v in document.items() if k != key}, key: []})
    yield head[: -len(b"]}")]
    first = True
    async for item in items:
        yield dumps(item) if first else b"," + dumps(item)
        first = False
    yield b"]}"
