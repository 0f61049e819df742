"""The return schedule of one contract: its periods, the returns submitted and their assessment.

The schedule is opened when measurement learns of a contract. A return for a period is measured
against every obligation it reports on; an obligation delivering below the green threshold
raises an under-delivery alert, once per (obligation, kind, period).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from svledger.aggregate import Aggregate
from svledger.envelope import NewEvent
from svledger.errors import Conflict, FieldProblem, ValidationFailed
from svledger.periods import Quarter, quarters_between

from measurement.domain.alert import UNDER_DELIVERY, Alert
from measurement.domain.assessment import Rag, Thresholds, assess

SCHEDULE_OPENED = "ScheduleOpened"
RETURN_SUBMITTED = "ReturnSubmitted"
OBLIGATION_ASSESSED = "ObligationAssessed"


@dataclass(frozen=True, slots=True)
class Obligation:
    """What the supplier owes on one measure, per period."""

    obligation_id: str
    measure: str
    unit: str
    targets: dict[str, Decimal]


@dataclass(frozen=True, slots=True)
class ReturnLine:
    """One line of a return: the quantity delivered against one obligation."""

    obligation_id: str
    quantity: Decimal
    narrative: str = ""


@dataclass(slots=True)
class Submission:
    """What submitting a return decided: events for the schedule, and alerts to raise."""

    schedule_events: list[NewEvent] = field(default_factory=list)
    alerts: list[tuple[str, NewEvent]] = field(default_factory=list)


class Schedule(Aggregate):
    """A contract's reporting periods and what was returned for each."""

    stream_prefix = "schedule"

    def __init__(self) -> None:
        super().__init__()
        self.contract_id = ""
        self.buyer = ""
        self.supplier = ""
        self.periods: dict[str, date] = {}
        self.obligations: dict[str, Obligation] = {}
        self.returns: dict[str, dict[str, Any]] = {}
        self.delivered: dict[str, dict[str, Decimal]] = {}
        self.assessments: dict[str, dict[str, dict[str, Any]]] = {}
        self.alerted: set[tuple[str, str, str]] = set()

    @staticmethod
    def open(contract: dict[str, Any]) -> NewEvent:
        """Decide ``ScheduleOpened`` from a ``ContractAwarded`` event's data."""
        days = int(contract.get("return_due_days", 30))
        quarters = quarters_between(
            date.fromisoformat(contract["starts_on"]), date.fromisoformat(contract["ends_on"])
        )
        return NewEvent(
            SCHEDULE_OPENED,
            {
                "contract_id": contract["contract_id"],
                "buyer": contract["buyer"],
                "supplier": contract["supplier"],
                "return_due_days": days,
                "periods": [
                    {"period": q.label, "due_on": q.due(days).isoformat()} for q in quarters
                ],
                "obligations": [
                    {
                        "obligation_id": ob["obligation_id"],
                        "measure": ob["measure"],
                        "unit": ob["unit"],
                        "targets": ob["targets"],
                    }
                    for ob in contract["obligations"]
                ],
            },
        )

    def visible_to(self, organisation: str) -> bool:
        """Only the buyer and the supplier see a schedule."""
        return organisation in (self.buyer, self.supplier)

    def submit_return(
        self,
        period: str,
        lines: list[ReturnLine],
        narrative: str,
        today: date,
        thresholds: Thresholds,
    ) -> Submission:
        """Accept a return for ``period``, assess each obligation it reports on, raise alerts."""
        self._check_return(period, lines, today)
        due_on = self.periods[period]
        submission = Submission()
        submission.schedule_events.append(
            self.record(
                NewEvent(
                    RETURN_SUBMITTED,
                    {
                        "contract_id": self.contract_id,
                        "period": period,
                        "submitted_on": today.isoformat(),
                        "due_on": due_on.isoformat(),
                        "late": today > due_on,
                        "narrative": narrative,
                        "lines": [
                            {
                                "obligation_id": line.obligation_id,
                                "quantity": str(line.quantity),
                                "narrative": line.narrative,
                            }
                            for line in lines
                        ],
                    },
                )
            )
        )
        for line in lines:
            obligation = self.obligations[line.obligation_id]
            result = assess(
                obligation.targets, self.delivered[obligation.obligation_id], period, thresholds
            )
            alert_id = None
            key = (obligation.obligation_id, UNDER_DELIVERY, period)
            if result.status is not Rag.GREEN and key not in self.alerted:
                alert_id = str(uuid.uuid4())
                submission.alerts.append(
                    (
                        alert_id,
                        Alert.raise_under_delivery(
                            alert_id=alert_id,
                            contract_id=self.contract_id,
                            obligation_id=obligation.obligation_id,
                            measure=obligation.measure,
                            period=period,
                            severity="high" if result.status is Rag.RED else "medium",
                            buyer=self.buyer,
                            supplier=self.supplier,
                            ratio=result.ratio,
                            raised_on=today,
                        ),
                    )
                )
            submission.schedule_events.append(
                self.record(
                    NewEvent(
                        OBLIGATION_ASSESSED,
                        {
                            "contract_id": self.contract_id,
                            "obligation_id": obligation.obligation_id,
                            "measure": obligation.measure,
                            "unit": obligation.unit,
                            **result.as_json(),
                            "alert_id": alert_id,
                        },
                    )
                )
            )
        return submission

    def _check_return(self, period: str, lines: list[ReturnLine], today: date) -> None:
        if period not in self.periods:
            raise ValidationFailed(
                f"{period} is not a reporting period of this contract ({', '.join(self.periods)})",
                field="period",
            )
        if Quarter.parse(period).starts > today:
            raise ValidationFailed(f"{period} has not started yet", field="period")
        if period in self.returns:
            raise Conflict(
                f"a return for {period} was already submitted",
                extra={"period": period},
            )
        problems: list[FieldProblem] = []
        seen: set[str] = set()
        for i, line in enumerate(lines):
            if line.obligation_id not in self.obligations:
                problems.append(
                    FieldProblem(
                        f"lines.{i}.obligation_id",
                        f"{line.obligation_id} is not an obligation of this contract",
                    )
                )
            elif line.obligation_id in seen:
                problems.append(
                    FieldProblem(f"lines.{i}.obligation_id", "this obligation appears twice")
                )
            seen.add(line.obligation_id)
        if problems:
            raise ValidationFailed("the return has invalid lines", errors=problems)

    def when(self, event_type: str, data: dict[str, Any]) -> None:
        """Fold one event into the schedule."""
        if event_type == SCHEDULE_OPENED:
            self.contract_id = data["contract_id"]
            self.buyer = data["buyer"]
            self.supplier = data["supplier"]
            self.periods = {p["period"]: date.fromisoformat(p["due_on"]) for p in data["periods"]}
            for ob in data["obligations"]:
                self.obligations[ob["obligation_id"]] = Obligation(
                    ob["obligation_id"],
                    ob["measure"],
                    ob["unit"],
                    {p: Decimal(v) for p, v in ob["targets"].items()},
                )
                self.delivered[ob["obligation_id"]] = {}
                self.assessments[ob["obligation_id"]] = {}
        elif event_type == RETURN_SUBMITTED:
            self.returns[data["period"]] = data
            for line in data["lines"]:
                self.delivered[line["obligation_id"]][data["period"]] = Decimal(line["quantity"])
        elif event_type == OBLIGATION_ASSESSED:
            self.assessments[data["obligation_id"]][data["period"]] = data
            if data.get("alert_id"):
                self.alerted.add((data["obligation_id"], UNDER_DELIVERY, data["period"]))

    def period_status(self, period: str, today: date) -> str:
        """upcoming, due, submitted, late (submitted after the due date) or overdue."""
        submitted = self.returns.get(period)
        if submitted is not None:
            return "late" if submitted["late"] else "submitted"
        if Quarter.parse(period).ends >= today:
            return "upcoming"
        return "overdue" if today > self.periods[period] else "due"
