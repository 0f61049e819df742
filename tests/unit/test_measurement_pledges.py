"""Partner VCFSE pledges measured year to date against a pro-rata share of the year's target."""

from datetime import date
from decimal import Decimal

from measurement.domain.assessment import Thresholds
from measurement.domain.pledge import last_quarter_due, pledges_behind
from svledger.periods import Quarter


def test_the_quarter_measured_is_the_last_whose_returns_are_due() -> None:
    assert last_quarter_due(date(2026, 7, 30)) == Quarter(2025, 4)
    assert last_quarter_due(date(2026, 7, 31)) == Quarter(2026, 1)
    assert last_quarter_due(date(2027, 1, 15)) == Quarter(2026, 2)


def test_a_measure_below_80_percent_of_its_share_to_date_is_behind() -> None:
    targets = {"2026-27": {"NT14": Decimal(12000), "NT17": Decimal(400)}}
    delivered = {
        "NT14": {"2026-27-Q1": Decimal(3000), "2026-27-Q2": Decimal(1000)},
        "NT17": {"2026-27-Q1": Decimal(100), "2026-27-Q2": Decimal(100)},
    }

    behind = pledges_behind(targets, delivered, Quarter(2026, 2), Thresholds())

    assert [(b.measure, b.expected, b.delivered, b.ratio) for b in behind] == [
        ("NT14", Decimal(6000), Decimal(4000), Decimal("0.6667"))
    ]
