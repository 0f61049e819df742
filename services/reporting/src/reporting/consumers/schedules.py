"""Return schedules in measurement: periods, returns and their review, assessments, overdue."""

from __future__ import annotations

from typing import Any

from svledger.bus import ConsumerSpec, service_stream
from svledger.envelope import EventEnvelope
from svledger.eventstore import StoreTransaction
from svledger.periods import Quarter

from reporting.adapters.projections import (
    ReturnVersion,
    contract_changed,
    record_assessment,
    record_overdue,
    record_periods_cancelled,
    record_return,
    record_review,
    record_schedule,
)
from reporting.consumers.event_data import (
    day,
    optional_day,
    optional_quantity,
    period,
    quantity,
    texts,
)
from reporting.consumers.tracking import tracked
from reporting.domain.progress import Assessment, SubmittedReturn

SCHEDULE_OPENED = "ScheduleOpened"
SCHEDULE_CLOSED = "ScheduleClosed"
RETURN_SUBMITTED = "ReturnSubmitted"
RETURN_AMENDED = "ReturnAmended"
RETURN_CORRECTED = "ReturnCorrected"
RETURN_ACCEPTED = "ReturnAccepted"
RETURN_QUERIED = "ReturnQueried"
RETURN_OVERDUE = "ReturnOverdue"
OBLIGATION_ASSESSED = "ObligationAssessed"


async def schedule_opened(tx: StoreTransaction, event: EventEnvelope) -> None:
    """The contract's reporting periods and when each return is due."""
    data = event.data
    periods = [
        (period(p), day(p, "due_on"))
        for p in data.get("periods") or []
        if isinstance(p, dict)  # early events listed labels only, without due dates
    ]
    await record_schedule(tx.conn, str(data["contract_id"]), periods)


async def schedule_closed(tx: StoreTransaction, event: EventEnvelope) -> None:
    """The contract closed: its cancelled periods need no return."""
    data = event.data
    cancelled = [
        Quarter.parse(p, "cancelled_periods").label for p in texts(data, "cancelled_periods")
    ]
    await record_periods_cancelled(tx.conn, str(data["contract_id"]), cancelled)


def _line(raw: dict[str, Any]) -> dict[str, Any]:
    beneficiaries = raw.get("beneficiaries")
    return {
        "obligation_id": str(raw["obligation_id"]),
        "quantity": quantity(raw, "quantity"),
        "narrative": str(raw.get("narrative") or ""),
        "case_study": str(raw.get("case_study") or ""),
        "beneficiaries": None if beneficiaries is None else int(beneficiaries),
        "places": list(texts(raw, "places")),
        "evidence": list(texts(raw, "evidence")),
    }


async def return_version(tx: StoreTransaction, event: EventEnvelope) -> None:
    """A return submitted, amended or corrected: its newest version and lines."""
    data = event.data
    first = event.type == RETURN_SUBMITTED
    await record_return(
        tx.conn,
        ReturnVersion(
            submitted=SubmittedReturn(
                contract_id=str(data["contract_id"]),
                period=period(data),
                late=bool(data.get("late", False)),
                submitted_at=event.recorded_at,
            ),
            version=int(data.get("version", 1)),
            submitted_on=(optional_day(data, "submitted_on") or event.recorded_at.date())
            if first
            else None,
            revised_on=None if first else day(data, "revised_on"),
            due_on=optional_day(data, "due_on"),
            narrative=str(data.get("narrative") or ""),
            lines=[_line(line) for line in data.get("lines") or []],
        ),
    )
    contract_changed(tx, str(data["contract_id"]), period(data))


async def return_reviewed(tx: StoreTransaction, event: EventEnvelope) -> None:
    """The buyer accepted (delivery now counts) or queried a return."""
    data = event.data
    accepted = event.type == RETURN_ACCEPTED
    await record_review(
        tx.conn,
        str(data["contract_id"]),
        period(data),
        accepted=accepted,
        on=day(data, "accepted_on" if accepted else "queried_on"),
    )
    contract_changed(tx, str(data["contract_id"]), period(data))


async def return_overdue(tx: StoreTransaction, event: EventEnvelope) -> None:
    """Measurement found a period past due without a return."""
    data = event.data
    await record_overdue(
        tx.conn,
        str(data["contract_id"]),
        period(data),
        day(data, "due_on"),
        day(data, "detected_on"),
    )


async def obligation_assessed(tx: StoreTransaction, event: EventEnvelope) -> None:
    """Show the obligation's cumulative figures and status as measurement assessed them."""
    data = event.data
    await record_assessment(
        tx.conn,
        Assessment(
            contract_id=str(data["contract_id"]),
            obligation_id=str(data["obligation_id"]),
            measure=data["measure"],
            unit=data["unit"],
            period=period(data),
            committed_to_date=quantity(data, "cumulative_target"),
            delivered_to_date=quantity(data, "cumulative_delivered"),
            ratio=optional_quantity(data, "ratio"),  # null while nothing was due
            status=data["status"],
            assessed_at=event.recorded_at,
        ),
    )


# ScheduleVaried repeats commitments' ObligationVaried, whose targets reporting already keeps.
SCHEDULES = tracked(
    ConsumerSpec(
        name="reporting-schedules",
        stream=service_stream("measurement").name,
        subjects=("svl.measurement.schedule.>",),
    ),
    {
        SCHEDULE_OPENED: schedule_opened,
        SCHEDULE_CLOSED: schedule_closed,
        RETURN_SUBMITTED: return_version,
        RETURN_AMENDED: return_version,
        RETURN_CORRECTED: return_version,
        RETURN_ACCEPTED: return_reviewed,
        RETURN_QUERIED: return_reviewed,
        RETURN_OVERDUE: return_overdue,
        OBLIGATION_ASSESSED: obligation_assessed,
    },
)
