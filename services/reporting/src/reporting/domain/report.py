"""Reports as tables: the one shape every report can be exported in (CSV, XLSX).

A report is its title, its columns (each with a kind, so a figure stays a figure and text stays
text when exported) and rows of plain values. Figures are exact decimals, never floats.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

Cell = str | int | bool | Decimal | date | datetime | None


class Kind(enum.Enum):
    """What a column holds; exports treat text (which may hold anything) with care."""

    TEXT = "text"
    FIGURE = "figure"
    INTEGER = "integer"
    DATE = "date"
    BOOLEAN = "boolean"


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its key in each row, its heading, and its kind."""

    key: str
    heading: str
    kind: Kind = Kind.TEXT


def text(key: str, heading: str) -> Column:
    """A text column."""
    return Column(key, heading, Kind.TEXT)


def figure(key: str, heading: str) -> Column:
    """An exact decimal column."""
    return Column(key, heading, Kind.FIGURE)


def integer(key: str, heading: str) -> Column:
    """A whole-number column."""
    return Column(key, heading, Kind.INTEGER)


def day(key: str, heading: str) -> Column:
    """A date column."""
    return Column(key, heading, Kind.DATE)


def flag(key: str, heading: str) -> Column:
    """A yes/no column."""
    return Column(key, heading, Kind.BOOLEAN)


@dataclass(frozen=True, slots=True)
class Mark:
    """How far one consumer has read: the newest event its read models reflect."""

    consumer: str
    stream: str
    position: int
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class Freshness:
    """When a report was made, and up to which events (per source) it reflects."""

    as_of: datetime
    marks: tuple[Mark, ...] = ()

    def lines(self) -> list[str]:
        """One line per source, for an export's notes."""
        return [
            f"{m.consumer}: {m.stream} up to position {m.position}, "
            f"recorded {m.recorded_at.isoformat()}"
            for m in self.marks
        ]


@dataclass(frozen=True, slots=True)
class Tabular:
    """A report as a table, ready to export."""

    name: str  # a file name stem, e.g. portfolio-by-measure
    title: str
    columns: Sequence[Column]
    rows: Iterable[dict[str, Cell]]  # gone through once, as the file is written
    freshness: Freshness
    notes: Sequence[str] = field(default_factory=tuple)
