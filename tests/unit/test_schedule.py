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


def test_a_return_amended_before_review_is_a_new_version_and_reassessed() -> None:
    schedule = opened()
    schedule.submit_return(
        "2026-27-Q1", [ReturnLine("ob-1", Decimal(2))], "", date(2026, 7, 1), Thresholds()
    )

    amended = schedule.amend_return(
        "2026-27-Q1",
        [ReturnLine("ob-1", Decimal(4))],
        narrative="payroll rerun",
        reason="",
        today=date(2026, 7, 3),
        thresholds=Thresholds(),
    )

    head, assessed = amended.schedule_events
    assert (head.type, head.data["version"]) == ("ReturnAmended", 2)
    assert (assessed.data["status"], assessed.data["ratio"]) == ("green", "1.0000")
    assert [kind for _, kind in amended.resolve] == ["recovered"]
    assert [h["type"] for h in schedule.returns["2026-27-Q1"].history] == [
        "ReturnSubmitted",
        "ReturnAmended",
    ]


def test_after_acceptance_a_return_is_only_corrected_and_with_a_reason() -> None:
    schedule = opened()
    schedule.submit_return(
        "2026-27-Q1", [ReturnLine("ob-1", Decimal(4))], "", date(2026, 7, 1), Thresholds()
    )
    schedule.accept_return("2026-27-Q1", date(2026, 7, 2), "cm")
    lines = [ReturnLine("ob-1", Decimal(5))]

    with pytest.raises(Conflict):
        schedule.amend_return(
            "2026-27-Q1", lines, narrative="", reason="x", today=date(2026, 7, 3),
            thresholds=Thresholds(),
        )  # fmt: skip
    with pytest.raises(ValidationFailed):
        schedule.correct_return(
            "2026-27-Q1", lines, narrative="", reason=" ", today=date(2026, 7, 3),
            thresholds=Thresholds(),
        )  # fmt: skip
    corrected = schedule.correct_return(
        "2026-27-Q1", lines, narrative="", reason="a hire was missed", today=date(2026, 7, 3),
        thresholds=Thresholds(),
    )  # fmt: skip

    assert corrected.schedule_events[0].type == "ReturnCorrected"
    assert schedule.period_status("2026-27-Q1", date(2026, 7, 3)) == "accepted"


def test_a_queried_return_cannot_be_accepted_until_amended() -> None:
    schedule = opened()
    schedule.submit_return(
        "2026-27-Q1", [ReturnLine("ob-1", Decimal(4))], "", date(2026, 7, 1), Thresholds()
    )
    schedule.query_return("2026-27-Q1", "which sites?", date(2026, 7, 2), "cm")
    assert schedule.period_status("2026-27-Q1", date(2026, 7, 2)) == "queried"

    with pytest.raises(Conflict):
        schedule.accept_return("2026-27-Q1", date(2026, 7, 3), "cm")
    schedule.amend_return(
        "2026-27-Q1", [ReturnLine("ob-1", Decimal(4))], narrative="sites listed", reason="",
        today=date(2026, 7, 3), thresholds=Thresholds(),
    )  # fmt: skip
    schedule.accept_return("2026-27-Q1", date(2026, 7, 4), "cm")

    assert schedule.period_status("2026-27-Q1", date(2026, 7, 4)) == "accepted"


def test_an_overdue_return_is_decided_once_per_period() -> None:
    schedule = opened()

    first = schedule.detect_overdue(date(2026, 10, 31))
    second = schedule.detect_overdue(date(2026, 11, 5))

    assert [(e.type, e.data["period"]) for e in first.schedule_events] == [
        ("ReturnOverdue", "2026-27-Q1"),
        ("ReturnOverdue", "2026-27-Q2"),
    ]
    assert [a.data["kind"] for _, a in first.alerts] == ["overdue_return"] * 2
    assert second.schedule_events == []
    assert second.alerts == []


def test_a_late_return_resolves_its_overdue_alert() -> None:
    schedule = opened()
    [(overdue_alert, _)] = schedule.detect_overdue(date(2026, 8, 1)).alerts

    decided = schedule.submit_return(
        "2026-27-Q1", [ReturnLine("ob-1", Decimal(4))], "", date(2026, 8, 2), Thresholds()
    )

    assert decided.resolve[0] == (overdue_alert, "recovered")
    assert schedule.period_status("2026-27-Q1", date(2026, 8, 2)) == "late"


def test_cancelled_periods_are_never_overdue() -> None:
    schedule = opened()
    schedule.close("terminated", date(2026, 9, 30), ["2026-27-Q3", "2026-27-Q4"])

    decided = schedule.detect_overdue(date(2027, 6, 1))

    assert [e.data["period"] for e in decided.schedule_events] == ["2026-27-Q1", "2026-27-Q2"]
    assert schedule.period_status("2026-27-Q4", date(2027, 6, 1)) == "cancelled"


def test_green_delivery_short_of_the_total_forecast_is_at_risk() -> None:
    decided = opened().submit_return(
        "2026-27-Q1", [ReturnLine("ob-1", Decimal("3.9"))], "", date(2026, 7, 1), Thresholds()
    )

    assessed = decided.schedule_events[1].data
    [(_, raised)] = decided.alerts
    assert (assessed["status"], assessed["forecast"]) == ("green", "15.6")
    assert (raised.data["kind"], raised.data["severity"]) == ("at_risk", "low")


def test_a_shortfall_is_alerted_once_per_period_however_often_it_is_reassessed() -> None:
    schedule = opened()
    first = schedule.submit_return(
        "2026-27-Q1", [ReturnLine("ob-1", Decimal(2))], "", date(2026, 7, 1), Thresholds()
    )
    again = schedule.amend_return(
        "2026-27-Q1", [ReturnLine("ob-1", Decimal(1))], narrative="", reason="",
        today=date(2026, 7, 2), thresholds=Thresholds(),
    )  # fmt: skip

    assert len(first.alerts) == 1
    assert again.alerts == []
    assert again.resolve == []
