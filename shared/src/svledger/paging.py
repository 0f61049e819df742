"""Which slice of a list a query returns."""

from __future__ import annotations

from dataclasses import dataclass

# Far beyond any real list, and inside the 64-bit OFFSET the databases take: a larger number
# is refused (422 naming the field), never a database overflow.
MAX_OFFSET = 1_000_000_000
MAX_LIMIT = 500


@dataclass(frozen=True, slots=True)
class Page:
    """At most ``limit`` rows, after skipping ``offset``."""

    limit: int = 100
    offset: int = 0
