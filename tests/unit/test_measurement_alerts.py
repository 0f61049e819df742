"""The alert lifecycle: raised, acknowledged, resolved; escalation while nobody acknowledges."""

from datetime import date

import pytest
from measurement.domain.alert import (
    Alert,
    AlertFacts,
    AlertStatus,
    Resolution,
    ResolutionKind,
    alert_id_for,
)
from svledger.errors import Conflict, ValidationFailed

RAISED_ON = date(2026, 7, 10)


def raised() -> Alert:
    alert = Alert()
    event = Alert.raise_alert(
        AlertFacts(
            alert_id=alert_id_for("c-1", "ob-1", "under_delivery", "2026-27-Q1"),
            contract_id="c-1",
            obligation_id="ob-1",
            measure="NT1",
            period="2026-27-Q1",
            kind="under_delivery",
            severity="high",
            buyer="council",
            supplier="acme",
            ratio=None,
            raised_on=RAISED_ON,
        )
    )
    alert.when(event.type, event.data)
    alert.version = 1
    return alert


def test_the_same_fact_always_gets_the_same_alert_id() -> None:
    about = ("c-1", "ob-1", "under_delivery", "2026-27-Q1")
    assert alert_id_for(*about) == alert_id_for(*about)
    assert alert_id_for(*about) != alert_id_for("c-1", "ob-1", "under_delivery", "2026-27-Q2")


def test_an_unacknowledged_alert_escalates_a_level_every_seven_days_up_to_the_board() -> None:
    alert = raised()

    assert alert.escalations_due(date(2026, 7, 16), 7) == []
    jumped = alert.escalations_due(date(2026, 8, 30), 7)

    assert [(e.data["level"], e.data["escalated_to"], e.data["escalated_on"]) for e in jumped] == [
        (2, "head_of_procurement", "2026-07-17"),
        (3, "board", "2026-07-24"),
    ]
    assert alert.escalations_due(date(2026, 12, 1), 7) == []


def test_an_acknowledged_alert_stops_escalating() -> None:
    alert = raised()
    alert.acknowledge("cm", date(2026, 7, 12), "on it")

    assert alert.escalations_due(date(2026, 9, 1), 7) == []
    with pytest.raises(Conflict):
        alert.acknowledge("cm", date(2026, 7, 13), "again")


def test_a_person_resolves_only_an_acknowledged_alert_and_only_once() -> None:
    alert = raised()
    waiver = Resolution(ResolutionKind.WAIVED, reason="Site closed by flood")

    with pytest.raises(Conflict):
        alert.resolve(waiver, "cm", date(2026, 7, 12))
    alert.acknowledge("cm", date(2026, 7, 12), "")
    event = alert.resolve(waiver, "cm", date(2026, 7, 13))

    assert (event.data["resolution"], event.data["reason"]) == ("waived", "Site closed by flood")
    assert alert.status is AlertStatus.RESOLVED
    with pytest.raises(Conflict):
        alert.resolve(waiver, "cm", date(2026, 7, 14))


def test_the_system_resolves_an_open_alert_as_recovered() -> None:
    alert = raised()

    event = alert.resolve(
        Resolution(ResolutionKind.RECOVERED), "measurement", date(2026, 10, 1), automatic=True
    )

    assert (event.data["resolution"], event.data["automatic"]) == ("recovered", True)


@pytest.mark.parametrize(
    ("resolution", "fields"),
    [
        (Resolution(ResolutionKind.REMEDIATION_PLAN_AGREED), ["plan", "agreed_on"]),
        (Resolution(ResolutionKind.REMEDIATION_PLAN_AGREED, plan="Hire two"), ["agreed_on"]),
        (Resolution(ResolutionKind.WAIVED, reason=" "), ["reason"]),
    ],
)
def test_a_resolution_must_carry_what_its_kind_needs(
    resolution: Resolution, fields: list[str]
) -> None:
    alert = raised()
    alert.acknowledge("cm", date(2026, 7, 12), "")

    with pytest.raises(ValidationFailed) as refused:
        alert.resolve(resolution, "cm", date(2026, 7, 13))

    assert [e.field for e in refused.value.errors] == fields


def test_the_contract_manager_escalates_by_hand_up_to_the_board_and_no_further() -> None:
    alert = raised()

    first = alert.escalate("cm@council", date(2026, 7, 11), "  two meetings missed ")
    second = alert.escalate("cm@council", date(2026, 7, 12), "no plan yet")

    assert first.data | {"alert_id": "-"} == {
        "alert_id": "-",
        "contract_id": "c-1",
        "from_level": 1,
        "level": 2,
        "escalated_to": "head_of_procurement",
        "escalated_on": "2026-07-11",
        "by": "cm@council",
        "automatic": False,
        "reason": "two meetings missed",
    }
    assert (second.data["level"], alert.level) == (3, 3)
    with pytest.raises(Conflict) as top:
        alert.escalate("cm@council", date(2026, 7, 13), "higher")
    assert top.value.errors[0].field == "level"
    # Already at the board by hand: the scheduler has nothing left to do.
    assert alert.escalations_due(date(2026, 9, 1), 7) == []


def test_escalating_by_hand_needs_a_reason_and_an_unresolved_alert() -> None:
    alert = raised()
    for reason in ("", "   ", "x" * 2_001):
        with pytest.raises(ValidationFailed) as refused:
            alert.escalate("cm", date(2026, 7, 11), reason)
        assert refused.value.errors[0].field == "reason"
    alert.acknowledge("cm", date(2026, 7, 11), "")
    assert alert.escalate("cm", date(2026, 7, 12), "still late").data["level"] == 2
    alert.resolve(Resolution(ResolutionKind.WAIVED, reason="agreed"), "cm", date(2026, 7, 13))
    with pytest.raises(Conflict):
        alert.escalate("cm", date(2026, 7, 14), "too late")


def test_a_manual_escalation_moves_the_alert_ahead_of_the_schedule_it_keeps() -> None:
    alert = raised()
    alert.escalate("cm", date(2026, 7, 11), "urgent")

    assert alert.escalations_due(date(2026, 7, 17), 7) == []
    [automatic] = alert.escalations_due(date(2026, 7, 24), 7)

    assert (automatic.data["level"], automatic.data["by"], automatic.data["automatic"]) == (
        3,
        "automatic",
        True,
    )
    assert automatic.data["reason"] == "not acknowledged within 14 days"
    assert [(e["level"], e["by"]) for e in alert.escalations] == [(2, "cm"), (3, "automatic")]


def test_an_escalation_recorded_before_the_reason_existed_reads_as_automatic() -> None:
    alert = raised()
    alert.when(
        "AlertEscalated",
        {
            "alert_id": "a-1",
            "contract_id": "c-1",
            "from_level": 1,
            "level": 2,
            "escalated_to": "head_of_procurement",
            "escalated_on": "2026-07-17",
        },
    )

    [escalation] = alert.escalations
    assert (escalation["by"], escalation["automatic"], escalation["reason"]) == (
        "automatic",
        True,
        "",
    )
    assert alert.history[-1]["by"] == "automatic"
