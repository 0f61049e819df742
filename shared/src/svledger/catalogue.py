"""What a service says about the events it reads from others: each event type, the subject it
arrives on, the fields it relies on and what it does with them. Tests check the fields against
the producer's own catalogue, so a payload cannot drift without a failing test."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ConsumedSpec:
    """An event of another service that this one reads."""

    type: str
    subject: str
    fields: frozenset[str]
    use: str


def consumed(type_: str, subject: str, fields: str, use: str) -> ConsumedSpec:
    """A :class:`ConsumedSpec` with its fields given as one space-separated string."""
    return ConsumedSpec(type_, subject, frozenset(fields.split()), use)
