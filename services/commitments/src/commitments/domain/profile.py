"""Delivery profiles: how a committed total is spread over a contract's financial-year quarters.

Three kinds:

- ``even``: in proportion to the contract's days in each quarter, so a first or last quarter
  the contract only partly covers gets a part share;
- ``annual``: a weight per financial year (``2026-27``), each year's share spread over its
  quarters in proportion to the contract's days in them;
- ``quarterly``: a weight per quarter (``2026-27-Q1``), taken as given.

Shares are worked out exactly (fractions) and then rounded to a quantum, 0.01 or the total's
own precision when finer (at most four places, what read models keep), by the largest
remainder method: every quarter gets its share rounded down, and the quanta left over go one
each to the quarters with the largest remainders (earlier quarter first on a tie). So the
quarterly targets always add up to exactly the committed total.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from svledger.errors import FieldProblem, ValidationFailed
from svledger.periods import Quarter, quarters_between
from svledger.quantities import figure

from commitments.domain.rules import financial_year, refuse, year_label

MAX_PLACES = 4
MIN_PLACES = 2


class ProfileKind(enum.StrEnum):
    """How a total is spread over quarters."""

    EVEN = "even"
    ANNUAL = "annual"
    QUARTERLY = "quarterly"


@dataclass(frozen=True, slots=True)
class DeliveryProfile:
    """A profile kind and, for ``annual`` and ``quarterly``, a weight per year or quarter."""

    kind: ProfileKind = ProfileKind.EVEN
    weights: dict[str, Decimal] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        """The form events carry."""
        return {"kind": self.kind.value, "weights": {k: figure(v) for k, v in self.weights.items()}}

    @classmethod
    def of(cls, data: dict[str, object]) -> DeliveryProfile:
        """Read back :meth:`as_json`."""
        raw = data.get("weights") or {}
        assert isinstance(raw, dict)
        return cls(ProfileKind(str(data["kind"])), {str(k): Decimal(v) for k, v in raw.items()})


def contract_days(quarter: Quarter, starts_on: date, ends_on: date) -> int:
    """How many of the contract's days fall in ``quarter``."""
    first, last = max(quarter.starts, starts_on), min(quarter.ends, ends_on)
    return max((last - first).days + 1, 0)


def quarterly_targets(
    total: Decimal, starts_on: date, ends_on: date, profile: DeliveryProfile, where: str
) -> dict[Quarter, Decimal]:
    """Spread ``total`` over the contract's quarters; the targets sum exactly to ``total``.

    Problems are named under ``where`` (``commitments.0.profile`` and the like).
    """
    quarters = quarters_between(starts_on, ends_on)
    weights = _weights(quarters, starts_on, ends_on, profile, where)
    return dict(zip(quarters, allocate(total, weights), strict=True))


def allocate(total: Decimal, weights: list[Fraction]) -> list[Decimal]:
    """Split ``total`` in proportion to ``weights`` (not all zero) by largest remainder."""
    places = max(MIN_PLACES, -int(total.as_tuple().exponent))
    if places > MAX_PLACES:
        raise ValueError(f"{total} has more than {MAX_PLACES} decimal places")
    quantum = Decimal(1).scaleb(-places)
    units = int(total / quantum)
    whole = sum(weights, Fraction(0))
    shares = [units * w / whole for w in weights]
    floors = [int(s) for s in shares]  # shares are never negative, so int() rounds down
    left = units - sum(floors)
    by_remainder = sorted(range(len(shares)), key=lambda i: (-(shares[i] - floors[i]), i))
    for i in by_remainder[:left]:
        floors[i] += 1
    return [quantum * n for n in floors]


def _weights(
    quarters: list[Quarter], starts_on: date, ends_on: date, profile: DeliveryProfile, where: str
) -> list[Fraction]:
    problems: list[FieldProblem] = []
    days = {q: contract_days(q, starts_on, ends_on) for q in quarters}
    if profile.kind is ProfileKind.EVEN:
        if profile.weights:
            problems.append(FieldProblem(f"{where}.weights", "an even profile takes no weights"))
        refuse(problems, "delivery profile")
        return [Fraction(days[q]) for q in quarters]
    for label, weight in profile.weights.items():
        if weight < 0:
            problems.append(FieldProblem(f"{where}.weights.{label}", "a weight cannot be negative"))
    if profile.kind is ProfileKind.QUARTERLY:
        labels = {q.label: q for q in quarters}
        for label in profile.weights:
            if label not in labels:
                problems.append(
                    FieldProblem(
                        f"{where}.weights.{label}",
                        f"'{label}' is not one of the contract's quarters "
                        f"({quarters[0].label} to {quarters[-1].label})",
                    )
                )
        weights = [Fraction(profile.weights.get(q.label, Decimal(0))) for q in quarters]
    else:
        years = {q.year for q in quarters}
        year_weights: dict[int, Fraction] = {}
        for label, weight in profile.weights.items():
            try:
                year = financial_year(label, f"{where}.weights.{label}")
            except ValidationFailed as exc:
                problems.extend(exc.errors)
                continue
            if year not in years:
                problems.append(
                    FieldProblem(
                        f"{where}.weights.{label}",
                        f"'{label}' is not a financial year of the contract "
                        f"({year_label(min(years))} to {year_label(max(years))})",
                    )
                )
            year_weights[year] = Fraction(weight)
        in_year = {y: sum(days[q] for q in quarters if q.year == y) for y in years}
        weights = [
            year_weights.get(q.year, Fraction(0)) * days[q] / in_year[q.year] for q in quarters
        ]
    if not problems and sum(weights, Fraction(0)) <= 0:
        problems.append(
            FieldProblem(f"{where}.weights", "give at least one positive weight to deliver in")
        )
    refuse(problems, "delivery profile")
    return weights
