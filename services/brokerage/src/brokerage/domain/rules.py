"""Checks several brokerage aggregates share: places, measure codes, quantities, free text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from svledger.errors import FieldProblem, ValidationFailed

# The nine Cheshire and Merseyside boroughs: the places served unless configured otherwise.
CHESHIRE_AND_MERSEYSIDE = (
    "Cheshire East",
    "Cheshire West and Chester",
    "Halton",
    "Knowsley",
    "Liverpool",
    "Sefton",
    "St Helens",
    "Warrington",
    "Wirral",
)

# TOM codes: NT1, NT1b, NT29a, C19-18 ... The brokerage has no framework of its own, so it
# checks the shape only; matching compares codes as given.
_MEASURE = re.compile(r"^[A-Z]{1,5}[0-9]{1,3}[A-Za-z0-9-]{0,8}$")


def refuse(problems: Sequence[FieldProblem], what: str) -> None:
    """Raise one :class:`ValidationFailed` naming every problem, if there are any."""
    if problems:
        raise ValidationFailed(f"the {what} has invalid fields", errors=list(problems))


def measure_problems(measures: Sequence[str], field: str) -> list[FieldProblem]:
    """What is wrong with a list of measure codes: none, malformed, or repeated."""
    if not measures:
        return [FieldProblem(field, "name at least one measure, like NT17")]
    problems = [
        FieldProblem(f"{field}.{i}", f"'{m}' is not a measure code like NT17 or NT29a")
        for i, m in enumerate(measures)
        if not _MEASURE.match(m)
    ]
    if len(set(measures)) != len(measures):
        problems.append(FieldProblem(field, "a measure is listed more than once"))
    return problems


def place_problem(place: str, known: Sequence[str], field: str) -> list[FieldProblem]:
    """A place that must be one of the known places."""
    if place in known:
        return []
    return [FieldProblem(field, f"'{place}' is not a known place: {', '.join(known)}")]


def place_problems(
    places: Sequence[str], known: Sequence[str], field: str, *, required: bool = True
) -> list[FieldProblem]:
    """What is wrong with a list of places: none when some are needed, unknown, or repeated."""
    if required and not places:
        return [FieldProblem(field, "name at least one place served")]
    problems = [q for i, p in enumerate(places) for q in place_problem(p, known, f"{field}.{i}")]
    if len(set(places)) != len(places):
        problems.append(FieldProblem(field, "a place is listed more than once"))
    return problems


def positive(value: Decimal, field: str) -> list[FieldProblem]:
    """A quantity that must be more than nothing."""
    return [] if value > 0 else [FieldProblem(field, "must be more than zero")]


def said(text: str, field: str, what: str) -> list[FieldProblem]:
    """Free text that must say something."""
    return [] if text.strip() else [FieldProblem(field, what)]


def same_unit(a: str | None, b: str | None) -> bool:
    """Units compare without regard to case or surrounding space ('Hours' is 'hours')."""
    return a is not None and b is not None and a.strip().lower() == b.strip().lower()
