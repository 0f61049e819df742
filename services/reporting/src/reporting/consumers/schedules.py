"""Return schedules in measurement: returns submitted and each obligation's assessment."""

from __future__ import annotations

from svledger.bus import ConsumerSpec, service_stream
from svledger.consumers import Consumer
from svledger.envelope import EventEnvelope
from svledger.eventstore import StoreTransaction

from reporting.adapters.projections import record_assessment, record_return
from reporting.consumers.event_data import period, quantity
from reporting.domain.progress import Assessment, SubmittedReturn

RETURN_SUBMITTED = "ReturnSubmitted"
OBLIGATION_ASSESSED = "ObligationAssessed"


async def return_submitted(tx: StoreTransaction, event: EventEnvelope) -> None:
    """Note which period's return came in, and whether it was late."""
    data = event.data
    await record_return(
        tx.conn,
        SubmittedReturn(
            contract_id=str(data["contract_id"]),
            period=period(data),
            late=bool(data.get("late", False)),
            submitted_at=event.recorded_at,
        ),
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
            ratio=quantity(data, "ratio"),
            status=data["status"],
            assessed_at=event.recorded_at,
        ),
    )


# ScheduleOpened has no handler yet: the runner records it as seen, keeping versions in step.
SCHEDULES = Consumer(
    ConsumerSpec(
        name="reporting-schedules",
        stream=service_stream("measurement").name,
        subjects=("svl.measurement.schedule.>",),
    ),
    handlers={RETURN_SUBMITTED: return_submitted, OBLIGATION_ASSESSED: obligation_assessed},
)
