"""Assessing delivery against targets: ratios, RAG status, forecast."""

from decimal import Decimal

import pytest
from measurement.domain.assessment import Rag, Thresholds, assess

TARGETS = {f"2026-27-Q{n}": Decimal(4) for n in range(1, 5)}


def test_half_delivered_in_the_first_quarter_is_red_with_a_half_forecast() -> None:
    result = assess(TARGETS, {"2026-27-Q1": Decimal(2)}, "2026-27-Q1", Thresholds())
    assert result.ratio == Decimal("0.5000")
    assert result.status is Rag.RED
    assert result.cumulative_target == Decimal(4)
    assert result.forecast == Decimal(8)


def test_cumulative_delivery_can_recover_an_earlier_shortfall() -> None:
    delivered = {"2026-27-Q1": Decimal(2), "2026-27-Q2": Decimal(6)}
    result = assess(TARGETS, delivered, "2026-27-Q2", Thresholds())
    assert (result.cumulative_delivered, result.ratio) == (Decimal(8), Decimal("1.0000"))
    assert result.status is Rag.GREEN


@pytest.mark.parametrize(
    ("delivered", "status"),
    [("3.80", Rag.GREEN), ("3.79", Rag.AMBER), ("3.20", Rag.AMBER), ("3.19", Rag.RED)],
)
def test_rag_boundaries_are_inclusive_at_95_and_80_percent(delivered: str, status: Rag) -> None:
    result = assess(TARGETS, {"2026-27-Q1": Decimal(delivered)}, "2026-27-Q1", Thresholds())
    assert result.status is status


def test_no_target_to_date_is_green_without_a_ratio() -> None:
    targets = {"2026-27-Q1": Decimal(0), "2026-27-Q2": Decimal(10)}
    result = assess(targets, {}, "2026-27-Q1", Thresholds())
    assert result.ratio is None
    assert result.status is Rag.GREEN
