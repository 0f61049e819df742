"""Which slice of a list a query returns."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Page:
    """At most ``limit`` rows, after skipping ``offset``."""

    limit: int = 100
    offset: int = 0
