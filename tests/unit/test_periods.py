"""Financial-year quarters: April to March, labelled like 2026-27-Q1."""

from datetime import date

import pytest
from svledger.errors import ValidationFailed
from svledger.periods import Quarter, quarters_between


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (date(2026, 4, 1), "2026-27-Q1"),
        (date(2026, 6, 30), "2026-27-Q1"),
        (date(2026, 7, 1), "2026-27-Q2"),
        (date(2026, 12, 31), "2026-27-Q3"),
        (date(2027, 1, 1), "2026-27-Q4"),
        (date(2027, 3, 31), "2026-27-Q4"),
        (date(1999, 4, 1), "1999-00-Q1"),
    ],
)
def test_a_date_falls_in_its_financial_year_quarter(day: date, label: str) -> None:
    assert Quarter.containing(day).label == label


def test_quarter_bounds_and_due_date() -> None:
    q4 = Quarter.parse("2026-27-Q4")
    assert (q4.starts, q4.ends) == (date(2027, 1, 1), date(2027, 3, 31))
    assert q4.due() == date(2027, 4, 30)
    assert q4.due(10) == date(2027, 4, 10)


def test_contract_quarters_include_partial_first_and_last() -> None:
    labels = [q.label for q in quarters_between(date(2026, 5, 15), date(2027, 4, 2))]
    assert labels == ["2026-27-Q1", "2026-27-Q2", "2026-27-Q3", "2026-27-Q4", "2027-28-Q1"]


@pytest.mark.parametrize("label", ["2026-28-Q1", "2026-27-Q5", "2026Q1", "FY26 Q1"])
def test_a_malformed_period_is_refused_naming_the_field(label: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        Quarter.parse(label, field="lines.0.period")
    assert refused.value.errors[0].field == "lines.0.period"


def test_labels_sort_in_time_order() -> None:
    quarters = quarters_between(date(2025, 1, 1), date(2027, 12, 31))
    assert sorted(q.label for q in quarters) == [q.label for q in quarters]
