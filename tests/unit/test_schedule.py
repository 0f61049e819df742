"""The return schedule decides returns, assessments and alerts without any I/O."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from measurement.domain.assessment import Thresholds
from measurement.domain.schedule import ReturnLine, Schedule
from svledger.errors import Conflict, ValidationFailed

CONTRACT: dict[str, Any] = {
    "contract_id": "c-1",
    "buyer": "council",
    "supplier": "acme",
    "starts_on": "2026-04-01",
    "ends_on": "2027-03-31",
    "return_due_days": 30,
    "obligations": [
        {
            "obligation_id": "ob-1",
            "measure": "NT1",
            "unit": "FTE",
            "targets": {f"2026-27-Q{n}": "4" for n in range(1, 5)},
        }
    ],
}


def opened() -> Schedule:
    schedule = Schedule()
    opening = Schedule.open(CONTRACT)
    schedule.when(opening.type, opening.data)
    schedule.version = 1
    return schedule


def test_opening_lists_every_quarter_with_its_due_date() -> None:
    schedule = opened()
    assert schedule.periods == {
        "2026-27-Q1": date(2026, 7, 30),
        "2026-27-Q2": date(2026, 10, 30),
        "2026-27-Q3": date(2027, 1, 30),
        "2026-27-Q4": date(2027, 4, 30),
    }


def test_under_delivery_is_assessed_and_raises_one_alert() -> None:
    schedule = opened()
    decided = schedule.submit_return(
        "2026-27-Q1", [ReturnLine("ob-1", Decimal(2))], "", date(2026, 7, 10), Thresholds()
    )
    types = [e.type for e in decided.schedule_events]
    assert types == ["ReturnSubmitted", "ObligationAssessed"]
    assessed = decided.schedule_events[1].data
    assert (assessed["ratio"], assessed["status"]) == ("0.5000", "red")
    [(alert_id, raised)] = decided.alerts
    assert assessed["alert_id"] == alert_id
    assert raised.data["kind"] == "under_delivery"
    assert raised.data["severity"] == "high"
    assert decided.schedule_events[0].data["late"] is False


def test_a_return_after_the_due_date_is_accepted_and_marked_late() -> None:
    decided = opened().submit_return(
        "2026-27-Q1", [ReturnLine("ob-1", Decimal(4))], "", date(2026, 8, 1), Thresholds()
    )
    assert decided.schedule_events[0].data["late"] is True
    assert decided.alerts == []


def test_a_second_return_for_the_same_period_is_refused() -> None:
    schedule = opened()
    schedule.submit_return(
        "2026-27-Q1", [ReturnLine("ob-1", Decimal(4))], "", date(2026, 7, 1), Thresholds()
    )
    with pytest.raises(Conflict):
        schedule.submit_return(
            "2026-27-Q1", [ReturnLine("ob-1", Decimal(1))], "", date(2026, 7, 2), Thresholds()
        )


def test_a_line_for_an_unknown_obligation_names_the_line() -> None:
    with pytest.raises(ValidationFailed) as refused:
        opened().submit_return(
            "2026-27-Q1",
            [ReturnLine("ob-1", Decimal(1)), ReturnLine("ob-9", Decimal(1))],
            "",
            date(2026, 7, 1),
            Thresholds(),
        )
    assert [e.field for e in refused.value.errors] == ["lines.1.obligation_id"]


@pytest.mark.parametrize(
    ("period", "today"), [("2025-26-Q4", "2026-07-01"), ("2026-27-Q3", "2026-07-01")]
)
def test_a_return_outside_the_contract_or_in_the_future_is_refused(period: str, today: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        opened().submit_return(
            period, [ReturnLine("ob-1", Decimal(1))], "", date.fromisoformat(today), Thresholds()
        )
    assert refused.value.errors[0].field == "period"


def test_period_status_moves_from_upcoming_to_due_to_overdue() -> None:
    schedule = opened()
    assert schedule.period_status("2026-27-Q2", date(2026, 9, 1)) == "upcoming"
    assert schedule.period_status("2026-27-Q2", date(2026, 10, 5)) == "due"
    assert schedule.period_status("2026-27-Q2", date(2026, 11, 1)) == "overdue"
