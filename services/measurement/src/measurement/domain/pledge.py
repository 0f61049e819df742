"""Partner VCFSE pledges: an organisation's yearly targets on NT14-NT17, measured like any
obligation from what it delivers on its own contracts.

A pledge is behind when, at a quarter whose returns are due, the year's delivery to date is
below the amber threshold of the pro-rata share of the year's target.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from svledger.periods import Quarter

from measurement.domain.assessment import RATIO_PLACES, Thresholds

PLEDGE_MEASURES = ("NT14", "NT15", "NT16", "NT17")


@dataclass(frozen=True, slots=True)
class PledgeShortfall:
    """One pledged measure behind its pro-rata target in a quarter."""

    measure: str
    period: str
    expected: Decimal
    delivered: Decimal
    ratio: Decimal


def financial_year(quarter: Quarter) -> str:
    """``2026-27`` for any quarter of that year."""
    return f"{quarter.year}-{(quarter.year + 1) % 100:02d}"


def last_quarter_due(today: date, return_due_days: int = 30) -> Quarter:
    """The latest quarter whose returns were due before ``today``."""
    quarter = Quarter.containing(today - timedelta(days=return_due_days))
    previous = (
        Quarter(quarter.year - 1, 4)
        if quarter.number == 1
        else Quarter(quarter.year, quarter.number - 1)
    )
    return quarter if quarter.due(return_due_days) < today else previous


def pledges_behind(
    targets: dict[str, dict[str, Decimal]],
    delivered: dict[str, dict[str, Decimal]],
    quarter: Quarter,
    thresholds: Thresholds,
) -> list[PledgeShortfall]:
    """Each pledged measure of ``quarter``'s year that is behind, year to date."""
    year = financial_year(quarter)
    to_date = {Quarter(quarter.year, n).label for n in range(1, quarter.number + 1)}
    behind = []
    for measure, target in sorted(targets.get(year, {}).items()):
        expected = target * quarter.number / 4
        if expected <= 0:
            continue
        so_far = sum((q for p, q in delivered.get(measure, {}).items() if p in to_date), Decimal(0))
        ratio = (so_far / expected).quantize(RATIO_PLACES, ROUND_HALF_UP)
        if ratio < thresholds.amber:
            behind.append(PledgeShortfall(measure, quarter.label, expected, so_far, ratio))
    return behind
