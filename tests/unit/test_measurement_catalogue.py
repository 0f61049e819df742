"""Every event the measurement domain decides matches the service's event catalogue."""

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from brokerage.domain import catalogue as brokerage
from commitments.domain import catalogue as commitments
from measurement.domain.alert import Resolution, ResolutionKind
from measurement.domain.assessment import Thresholds
from measurement.domain.catalogue import CATALOGUE, CONSUMED, mismatches
from measurement.domain.schedule import ReturnLine, Schedule
from svledger.envelope import NewEvent

from tests.unit.test_measurement_alerts import raised
from tests.unit.test_schedule import CONTRACT, opened


def test_every_decided_event_is_catalogued_with_exactly_its_fields() -> None:
    schedule = opened()
    decided: list[NewEvent] = [Schedule.open(CONTRACT)]
    lines = [ReturnLine("ob-1", Decimal(2), "two hires", "", 2, ("Wirral",), ("payroll",))]
    submitted = schedule.submit_return("2026-27-Q1", lines, "", date(2026, 7, 1), Thresholds())
    decided += submitted.schedule_events + [a for _, a in submitted.alerts]
    decided.append(schedule.query_return("2026-27-Q1", "which sites?", date(2026, 7, 2), "cm"))
    decided += schedule.amend_return(
        "2026-27-Q1", lines, narrative="", reason="", today=date(2026, 7, 3),
        thresholds=Thresholds(),
    ).schedule_events  # fmt: skip
    decided.append(schedule.accept_return("2026-27-Q1", date(2026, 7, 4), "cm"))
    decided += schedule.correct_return(
        "2026-27-Q1", lines, narrative="", reason="typo", today=date(2026, 7, 5),
        thresholds=Thresholds(),
    ).schedule_events  # fmt: skip
    decided += schedule.detect_overdue(date(2026, 11, 1)).schedule_events
    decided += schedule.vary(
        {"obligation_id": "ob-1", "targets": {"2026-27-Q1": "2"}, "reason": "agreed"},
        date(2026, 11, 2),
        Thresholds(),
    ).schedule_events
    decided.append(schedule.close("completed", date(2027, 3, 31), []))
    alert = raised()
    decided += alert.escalations_due(date(2026, 7, 20), 7)
    decided.append(alert.escalate("cm", date(2026, 7, 20), "the board must know"))
    decided.append(alert.acknowledge("cm", date(2026, 7, 21), ""))
    decided.append(alert.resolve(Resolution(ResolutionKind.RECOVERED), "cm", date(2026, 7, 22)))

    assert {e.type for e in decided} == set(CATALOGUE)
    assert [p for e in decided for p in mismatches(e.type, e.data)] == []


def test_every_field_measurement_reads_from_another_service_is_in_the_producers_catalogue() -> None:
    producers: dict[str, Mapping[str, Any]] = {
        "commitments": commitments.CATALOGUE,
        "brokerage": brokerage.CATALOGUE,
    }

    for spec in CONSUMED.values():
        producer = producers[spec.subject.split(".")[1]]
        assert spec.type in producer, f"{spec.type} is not an event of {spec.subject}"
        produced = producer[spec.type]
        assert spec.subject == f"svl.{spec.subject.split('.')[1]}.{produced.aggregate}.>"
        assert sorted(spec.fields - set(produced.fields)) == [], spec.type
