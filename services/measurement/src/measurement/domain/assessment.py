"""Assessing an obligation: how much of what was promised to date has been delivered."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

RATIO_PLACES = Decimal("0.0001")


class Rag(enum.StrEnum):
    """Red, amber, green: the delivery status a contract manager reads first."""

    GREEN = "green"
    AMBER = "amber"
    RED = "red"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Cumulative delivery ratios at which an obligation turns green or amber."""

    green: Decimal = Decimal("0.95")
    amber: Decimal = Decimal("0.80")

    def rag(self, ratio: Decimal | None) -> Rag:
        """The status for a cumulative delivery ratio (no target to date counts as green)."""
        if ratio is None or ratio >= self.green:
            return Rag.GREEN
        return Rag.AMBER if ratio >= self.amber else Rag.RED


@dataclass(frozen=True, slots=True)
class Assessment:
    """One obligation in one period, measured against its targets."""

    period: str
    target: Decimal
    delivered: Decimal
    cumulative_target: Decimal
    cumulative_delivered: Decimal
    ratio: Decimal | None
    status: Rag
    forecast: Decimal

    def as_json(self) -> dict[str, str | None]:
        """The figures as exact decimal strings."""
        return {
            "period": self.period,
            "target": str(self.target),
            "delivered": str(self.delivered),
            "cumulative_target": str(self.cumulative_target),
            "cumulative_delivered": str(self.cumulative_delivered),
            "ratio": None if self.ratio is None else str(self.ratio),
            "status": self.status.value,
            "forecast": str(self.forecast),
        }


def assess(
    targets: dict[str, Decimal],
    delivered: dict[str, Decimal],
    period: str,
    thresholds: Thresholds,
) -> Assessment:
    """Cumulative delivery to ``period`` against cumulative target, and a run-rate forecast.

    Periods are financial-year quarter labels, which sort in time order.
    """
    to_date = [p for p in sorted(targets) if p <= period]
    cumulative_target = sum((targets[p] for p in to_date), Decimal(0))
    cumulative_delivered = sum((delivered.get(p, Decimal(0)) for p in to_date), Decimal(0))
    ratio = (
        (cumulative_delivered / cumulative_target).quantize(RATIO_PLACES, ROUND_HALF_UP)
        if cumulative_target > 0
        else None
    )
    run_rate = cumulative_delivered / len(to_date) if to_date else Decimal(0)
    forecast = (run_rate * len(targets)).quantize(RATIO_PLACES, ROUND_HALF_UP).normalize()
    return Assessment(
        period=period,
        target=targets.get(period, Decimal(0)),
        delivered=delivered.get(period, Decimal(0)),
        cumulative_target=cumulative_target,
        cumulative_delivered=cumulative_delivered,
        ratio=ratio,
        status=thresholds.rag(ratio),
        forecast=forecast,
    )
