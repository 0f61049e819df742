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


def test_previous_steps_back_across_financial_years() -> None:
    quarters = quarters_between(date(2024, 1, 1), date(2027, 12, 31))
    assert [q.previous() for q in quarters[1:]] == quarters[:-1]
    assert Quarter.parse("2026-27-Q1").previous().label == "2025-26-Q4"


@pytest.mark.parametrize(
    ("day", "days_after_end", "label"),
    [
        (date(2026, 7, 31), 30, "2026-27-Q1"),  # Q1's return was due on 30 July
        (date(2026, 7, 30), 30, "2025-26-Q4"),  # ... and is due today, not before
        (date(2026, 7, 1), 0, "2026-27-Q1"),  # due on its last day, 30 June
        (date(2026, 6, 30), 0, "2025-26-Q4"),
    ],
)
def test_the_last_quarter_due_before_a_day(day: date, days_after_end: int, label: str) -> None:
    assert Quarter.last_due_before(day, days_after_end).label == label
