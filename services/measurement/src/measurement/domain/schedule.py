"""The return schedule of one contract: its periods, the returns for each and their assessment.

The schedule is opened when measurement learns of a contract. A return for a period is measured
against every obligation it reports on, and re-measured (with every later period) when it is
amended or corrected. A shortfall raises an alert once per (obligation, kind, period); a period
past its due date without a return raises ``ReturnOverdue`` and an alert once per period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from svledger.aggregate import Aggregate
from svledger.envelope import NewEvent
from svledger.errors import Conflict, FieldProblem, ValidationFailed
from svledger.periods import Quarter, quarters_between

from measurement.domain.alert import (
    AT_RISK,
    OVERDUE_RETURN,
    UNDER_DELIVERY,
    Alert,
    AlertFacts,
    ResolutionKind,
    alert_id_for,
)
from measurement.domain.assessment import Assessment, Rag, Thresholds, assess

SCHEDULE_OPENED = "ScheduleOpened"
SCHEDULE_VARIED = "ScheduleVaried"
SCHEDULE_CLOSED = "ScheduleClosed"
RETURN_SUBMITTED = "ReturnSubmitted"
RETURN_AMENDED = "ReturnAmended"
RETURN_CORRECTED = "ReturnCorrected"
RETURN_ACCEPTED = "ReturnAccepted"
RETURN_QUERIED = "ReturnQueried"
RETURN_OVERDUE = "ReturnOverdue"
OBLIGATION_ASSESSED = "ObligationAssessed"

RETURN_VERSIONS = (RETURN_SUBMITTED, RETURN_AMENDED, RETURN_CORRECTED)

# Review states of a return that is in.
SUBMITTED = "submitted"
QUERIED = "queried"
ACCEPTED = "accepted"


def period_status_of(
    *,
    period: str,
    due_on: date,
    today: date,
    review: str | None,
    late: bool,
    cancelled: bool,
) -> str:
    """upcoming, due, overdue, submitted, late, queried, accepted, or cancelled."""
    if review == ACCEPTED:
        return ACCEPTED
    if review == QUERIED:
        return QUERIED
    if review == SUBMITTED:
        return "late" if late else SUBMITTED
    if cancelled:
        return "cancelled"
    if Quarter.parse(period).ends >= today:
        return "upcoming"
    return "overdue" if today > due_on else "due"


@dataclass(frozen=True, slots=True)
class Obligation:
    """What the supplier owes on one measure, per period."""

    obligation_id: str
    measure: str
    unit: str
    targets: dict[str, Decimal]

    @property
    def total(self) -> Decimal:
        """The whole commitment over the contract."""
        return sum(self.targets.values(), Decimal(0))


@dataclass(frozen=True, slots=True)
class ReturnLine:
    """One line of a return: the quantity delivered against one obligation, and its story."""

    obligation_id: str
    quantity: Decimal
    narrative: str = ""
    case_study: str = ""
    beneficiaries: int | None = None
    places: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The line as event data, the quantity as an exact decimal string."""
        return {
            "obligation_id": self.obligation_id,
            "quantity": str(self.quantity),
            "narrative": self.narrative,
            "case_study": self.case_study,
            "beneficiaries": self.beneficiaries,
            "places": list(self.places),
            "evidence": list(self.evidence),
        }


@dataclass(slots=True)
class SubmittedReturn:
    """The current version of one period's return and how its review stands."""

    period: str
    version: int
    lines: list[dict[str, Any]]
    narrative: str
    late: bool
    submitted_on: date
    review: str
    accepted: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class Decision:
    """What a command decided: events for the schedule, alerts to raise, alerts to resolve."""

    schedule_events: list[NewEvent] = field(default_factory=list)
    alerts: list[tuple[str, NewEvent]] = field(default_factory=list)
    resolve: list[tuple[str, ResolutionKind]] = field(default_factory=list)


Submission = Decision


class Schedule(Aggregate):
    """A contract's reporting periods and what was returned for each."""

    stream_prefix = "schedule"

    def __init__(self) -> None:
        super().__init__()
        self.contract_id = ""
        self.reference = ""
        self.title = ""
        self.buyer = ""
        self.supplier = ""
        self.periods: dict[str, date] = {}
        self.cancelled: set[str] = set()
        self.closed: str | None = None
        self.obligations: dict[str, Obligation] = {}
        self.returns: dict[str, SubmittedReturn] = {}
        self.delivered: dict[str, dict[str, Decimal]] = {}
        self.assessments: dict[str, dict[str, dict[str, Any]]] = {}
        self.alerts: dict[tuple[str, str, str], str] = {}
        self.overdue: set[str] = set()

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
                "reference": contract.get("reference", ""),
                "title": contract.get("title", ""),
                "buyer": contract["buyer"],
                "supplier": contract["supplier"],
                "starts_on": contract["starts_on"],
                "ends_on": contract["ends_on"],
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

    def period_status(self, period: str, today: date) -> str:
        """Where one period stands today."""
        submitted = self.returns.get(period)
        return period_status_of(
            period=period,
            due_on=self.periods[period],
            today=today,
            review=None if submitted is None else submitted.review,
            late=False if submitted is None else submitted.late,
            cancelled=period in self.cancelled,
        )

    # -- returns -------------------------------------------------------------------------

    def submit_return(
        self,
        period: str,
        lines: list[ReturnLine],
        narrative: str,
        today: date,
        thresholds: Thresholds,
        *,
        by: str = "",
    ) -> Decision:
        """Accept a return for ``period``, assess each obligation it reports on, raise alerts."""
        self._check_period(period, today)
        if period in self.returns:
            raise Conflict(
                f"a return for {period} was already submitted; amend it instead",
                extra={"period": period},
            )
        self._check_lines(lines)
        due_on = self.periods[period]
        decision = Decision()
        self._decide(
            decision,
            NewEvent(
                RETURN_SUBMITTED,
                {
                    "contract_id": self.contract_id,
                    "period": period,
                    "version": 1,
                    "submitted_on": today.isoformat(),
                    "due_on": due_on.isoformat(),
                    "late": today > due_on,
                    "narrative": narrative,
                    "lines": [line.as_json() for line in lines],
                    "by": by,
                },
            ),
        )
        if period in self.overdue:
            decision.resolve.append(
                (
                    alert_id_for(self.contract_id, "-", OVERDUE_RETURN, period),
                    ResolutionKind.RECOVERED,
                )
            )
        self._reassess(
            decision,
            [line.obligation_id for line in lines],
            period,
            today=today,
            thresholds=thresholds,
        )
        return decision

    def amend_return(
        self,
        period: str,
        lines: list[ReturnLine],
        *,
        narrative: str,
        reason: str,
        today: date,
        thresholds: Thresholds,
        by: str = "",
    ) -> Decision:
        """Replace a return not yet accepted with a new version (answering a query, say)."""
        current = self._require_return(period)
        if current.accepted:
            raise Conflict(
                f"the return for {period} was accepted; send a correction with a reason",
                extra={"period": period},
            )
        return self._revise(
            RETURN_AMENDED,
            current,
            lines=lines,
            narrative=narrative,
            reason=reason,
            today=today,
            thresholds=thresholds,
            by=by,
        )

    def correct_return(
        self,
        period: str,
        lines: list[ReturnLine],
        *,
        narrative: str,
        reason: str,
        today: date,
        thresholds: Thresholds,
        by: str = "",
    ) -> Decision:
        """Correct an accepted return: a new version that must say why."""
        current = self._require_return(period)
        if not current.accepted:
            raise Conflict(
                f"the return for {period} is not accepted yet; amend it instead",
                extra={"period": period},
            )
        if not reason.strip():
            raise ValidationFailed("a correction must give its reason", field="reason")
        return self._revise(
            RETURN_CORRECTED,
            current,
            lines=lines,
            narrative=narrative,
            reason=reason,
            today=today,
            thresholds=thresholds,
            by=by,
        )

    def _revise(
        self,
        event_type: str,
        current: SubmittedReturn,
        *,
        lines: list[ReturnLine],
        narrative: str,
        reason: str,
        today: date,
        thresholds: Thresholds,
        by: str,
    ) -> Decision:
        self._check_lines(lines)
        reported = {line.obligation_id for line in lines}
        dropped = [line["obligation_id"] for line in current.lines]
        decision = Decision()
        self._decide(
            decision,
            NewEvent(
                event_type,
                {
                    "contract_id": self.contract_id,
                    "period": current.period,
                    "version": current.version + 1,
                    "revised_on": today.isoformat(),
                    "late": current.late,
                    "narrative": narrative,
                    "reason": reason,
                    "lines": [line.as_json() for line in lines],
                    "by": by,
                },
            ),
        )
        touched = [*reported, *(ob for ob in dropped if ob not in reported)]
        self._reassess(decision, touched, current.period, today=today, thresholds=thresholds)
        return decision

    def accept_return(self, period: str, today: date, by: str) -> NewEvent:
        """The contract manager accepts the current version of a return."""
        current = self._require_return(period)
        if current.review != SUBMITTED:
            raise Conflict(
                f"the return for {period} is {current.review}; only a return awaiting review "
                "can be accepted",
                extra={"period": period},
            )
        return self.record(
            NewEvent(
                RETURN_ACCEPTED,
                {
                    "contract_id": self.contract_id,
                    "period": period,
                    "version": current.version,
                    "accepted_on": today.isoformat(),
                    "by": by,
                },
            )
        )

    def query_return(self, period: str, comment: str, today: date, by: str) -> NewEvent:
        """The contract manager asks about a return; the supplier answers by amending it."""
        current = self._require_return(period)
        if current.review != SUBMITTED:
            raise Conflict(
                f"the return for {period} is {current.review}; only a return awaiting review "
                "can be queried",
                extra={"period": period},
            )
        if not comment.strip():
            raise ValidationFailed("say what the query is about", field="comment")
        return self.record(
            NewEvent(
                RETURN_QUERIED,
                {
                    "contract_id": self.contract_id,
                    "period": period,
                    "version": current.version,
                    "comment": comment,
                    "queried_on": today.isoformat(),
                    "by": by,
                },
            )
        )

    # -- overdue returns, variations, closing ----------------------------------------------

    def detect_overdue(self, today: date) -> Decision:
        """``ReturnOverdue`` and an alert for each period past due without a return, once."""
        decision = Decision()
        for period, due_on in self.periods.items():
            if period in self.returns or period in self.overdue or period in self.cancelled:
                continue
            if today <= due_on:
                continue
            alert_id = alert_id_for(self.contract_id, "-", OVERDUE_RETURN, period)
            decision.alerts.append(
                (
                    alert_id,
                    Alert.raise_alert(
                        AlertFacts(
                            alert_id=alert_id,
                            contract_id=self.contract_id,
                            obligation_id=None,
                            measure=None,
                            period=period,
                            kind=OVERDUE_RETURN,
                            severity="medium",
                            buyer=self.buyer,
                            supplier=self.supplier,
                            ratio=None,
                            raised_on=today,
                            detail=f"the return for {period} was due on {due_on.isoformat()}",
                        )
                    ),
                )
            )
            self._decide(
                decision,
                NewEvent(
                    RETURN_OVERDUE,
                    {
                        "contract_id": self.contract_id,
                        "period": period,
                        "due_on": due_on.isoformat(),
                        "detected_on": today.isoformat(),
                        "days_overdue": (today - due_on).days,
                        "alert_id": alert_id,
                    },
                ),
            )
        return decision

    def vary(self, varied: dict[str, Any], today: date, thresholds: Thresholds) -> Decision:
        """New targets for an obligation by agreement; it is reassessed at once."""
        obligation_id = str(varied["obligation_id"])
        if obligation_id not in self.obligations:
            raise ValidationFailed(
                f"{obligation_id} is not an obligation of this contract", field="obligation_id"
            )
        decision = Decision()
        self._decide(
            decision,
            NewEvent(
                SCHEDULE_VARIED,
                {
                    "contract_id": self.contract_id,
                    "obligation_id": obligation_id,
                    "targets": {p: str(v) for p, v in varied["targets"].items()},
                    "previous_targets": {
                        p: str(v) for p, v in self.obligations[obligation_id].targets.items()
                    },
                    "reason": varied.get("reason", ""),
                    "agreed_on": varied.get("agreed_on"),
                },
            ),
        )
        assessed = self.assessments[obligation_id]
        if assessed:
            self._reassess(
                decision,
                [obligation_id],
                min(assessed),
                today=today,
                thresholds=thresholds,
                recovery=ResolutionKind.OBLIGATION_VARIED,
            )
        return decision

    def close(self, reason: str, closed_on: date, cancelled_periods: list[str]) -> NewEvent:
        """The contract completed or was terminated: later periods need no return."""
        after_close = [p for p in self.periods if Quarter.parse(p).starts > closed_on]
        cancelled = sorted(
            {p for p in [*cancelled_periods, *after_close] if p in self.periods} - set(self.returns)
        )
        return self.record(
            NewEvent(
                SCHEDULE_CLOSED,
                {
                    "contract_id": self.contract_id,
                    "reason": reason,
                    "closed_on": closed_on.isoformat(),
                    "cancelled_periods": cancelled,
                },
            )
        )

    # -- assessment ------------------------------------------------------------------------

    def _reassess(
        self,
        decision: Decision,
        obligation_ids: list[str],
        from_period: str,
        *,
        today: date,
        thresholds: Thresholds,
        recovery: ResolutionKind = ResolutionKind.RECOVERED,
    ) -> None:
        """Assess each obligation at ``from_period`` and every later period assessed before.

        Alerts are raised only for the latest period, where the obligation stands now; when it
        stands clear, its earlier alerts of that kind resolve themselves.
        """
        for obligation_id in obligation_ids:
            obligation = self.obligations[obligation_id]
            periods = sorted(
                {from_period} | {p for p in self.assessments[obligation_id] if p > from_period}
            )
            for period in periods:
                result = assess(
                    obligation.targets, self.delivered[obligation_id], period, thresholds
                )
                raised: tuple[str | None, str | None] = (None, None)
                if period == periods[-1]:
                    raised = self._alert_on(decision, obligation, result, thresholds, today)
                self._decide(
                    decision,
                    NewEvent(
                        OBLIGATION_ASSESSED,
                        {
                            "contract_id": self.contract_id,
                            "obligation_id": obligation_id,
                            "measure": obligation.measure,
                            "unit": obligation.unit,
                            **result.as_json(),
                            "total": str(obligation.total),
                            "alert_id": raised[0],
                            "alert_kind": raised[1],
                        },
                    ),
                )
            latest = assess(
                obligation.targets,
                self.delivered[obligation_id],
                max(self.assessments[obligation_id]),
                thresholds,
            )
            if _under_delivery(latest, thresholds) is None:
                self._resolve_all(decision, obligation_id, UNDER_DELIVERY, recovery)
            if latest.forecast >= obligation.total:
                self._resolve_all(decision, obligation_id, AT_RISK, recovery)

    def _alert_on(
        self,
        decision: Decision,
        obligation: Obligation,
        result: Assessment,
        thresholds: Thresholds,
        today: date,
    ) -> tuple[str | None, str | None]:
        """Raise under-delivery, or failing that at-risk, unless already raised for the period."""
        severity = _under_delivery(result, thresholds)
        kind = UNDER_DELIVERY
        if severity is None and result.forecast < obligation.total:
            kind, severity = AT_RISK, "low"
        if severity is None or (obligation.obligation_id, kind, result.period) in self.alerts:
            return None, None
        alert_id = alert_id_for(self.contract_id, obligation.obligation_id, kind, result.period)
        detail = (
            f"delivered {result.cumulative_delivered} of {result.cumulative_target} "
            f"{obligation.unit} to date"
            if kind == UNDER_DELIVERY
            else f"forecast {result.forecast} of {obligation.total} {obligation.unit}"
        )
        decision.alerts.append(
            (
                alert_id,
                Alert.raise_alert(
                    AlertFacts(
                        alert_id=alert_id,
                        contract_id=self.contract_id,
                        obligation_id=obligation.obligation_id,
                        measure=obligation.measure,
                        period=result.period,
                        kind=kind,
                        severity=severity,
                        buyer=self.buyer,
                        supplier=self.supplier,
                        ratio=result.ratio,
                        raised_on=today,
                        detail=detail,
                    )
                ),
            )
        )
        return alert_id, kind

    def _resolve_all(
        self, decision: Decision, obligation_id: str, kind: str, resolution: ResolutionKind
    ) -> None:
        raised_now = {alert_id for alert_id, _ in decision.alerts}
        for (ob, k, _period), alert_id in sorted(self.alerts.items()):
            if ob == obligation_id and k == kind and alert_id not in raised_now:
                decision.resolve.append((alert_id, resolution))

    # -- checks ----------------------------------------------------------------------------

    def _decide(self, decision: Decision, event: NewEvent) -> None:
        decision.schedule_events.append(self.record(event))

    def _check_period(self, period: str, today: date) -> None:
        if period not in self.periods:
            raise ValidationFailed(
                f"{period} is not a reporting period of this contract ({', '.join(self.periods)})",
                field="period",
            )
        if period in self.cancelled:
            raise ValidationFailed(
                f"{period} was cancelled when the contract closed", field="period"
            )
        if Quarter.parse(period).starts > today:
            raise ValidationFailed(f"{period} has not started yet", field="period")

    def _require_return(self, period: str) -> SubmittedReturn:
        if period not in self.periods:
            raise ValidationFailed(
                f"{period} is not a reporting period of this contract", field="period"
            )
        current = self.returns.get(period)
        if current is None:
            raise Conflict(f"no return for {period} has been submitted", extra={"period": period})
        return current

    def _check_lines(self, lines: list[ReturnLine]) -> None:
        problems: list[FieldProblem] = []
        seen: set[str] = set()
        if not lines:
            problems.append(FieldProblem("lines", "a return needs at least one line"))
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
            if line.quantity < 0:
                problems.append(
                    FieldProblem(f"lines.{i}.quantity", "a quantity cannot be negative")
                )
            seen.add(line.obligation_id)
        if problems:
            raise ValidationFailed("the return has invalid lines", errors=problems)

    # -- folding events --------------------------------------------------------------------

    def when(self, event_type: str, data: dict[str, Any]) -> None:
        """Fold one event into the schedule."""
        if event_type == SCHEDULE_OPENED:
            self._opened(data)
        elif event_type in RETURN_VERSIONS:
            self._returned(event_type, data)
        elif event_type in (RETURN_ACCEPTED, RETURN_QUERIED):
            current = self.returns[data["period"]]
            current.review = ACCEPTED if event_type == RETURN_ACCEPTED else QUERIED
            current.accepted = current.accepted or event_type == RETURN_ACCEPTED
            current.history.append({"type": event_type, **data})
        elif event_type == OBLIGATION_ASSESSED:
            self.assessments[data["obligation_id"]][data["period"]] = data
            if data.get("alert_id"):
                kind = data.get("alert_kind") or UNDER_DELIVERY
                self.alerts[(data["obligation_id"], kind, data["period"])] = data["alert_id"]
        elif event_type == RETURN_OVERDUE:
            self.overdue.add(data["period"])
        elif event_type == SCHEDULE_VARIED:
            old = self.obligations[data["obligation_id"]]
            targets = {p: Decimal(v) for p, v in data["targets"].items()}
            self.obligations[old.obligation_id] = Obligation(
                old.obligation_id, old.measure, old.unit, targets
            )
        elif event_type == SCHEDULE_CLOSED:
            self.closed = data["reason"]
            self.cancelled.update(data["cancelled_periods"])

    def _opened(self, data: dict[str, Any]) -> None:
        self.contract_id = data["contract_id"]
        self.reference = data.get("reference", "")
        self.title = data.get("title", "")
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

    def _returned(self, event_type: str, data: dict[str, Any]) -> None:
        period = data["period"]
        previous = self.returns.get(period)
        if previous is not None:
            for line in previous.lines:
                self.delivered[line["obligation_id"]].pop(period, None)
        for line in data["lines"]:
            self.delivered[line["obligation_id"]][period] = Decimal(line["quantity"])
        accepted = previous is not None and previous.accepted
        self.returns[period] = SubmittedReturn(
            period=period,
            version=int(data.get("version", 1)),
            lines=list(data["lines"]),
            narrative=data.get("narrative", ""),
            late=bool(data["late"]),
            submitted_on=date.fromisoformat(
                data.get("submitted_on") or data.get("revised_on") or "1970-01-01"
            ),
            review=ACCEPTED if event_type == RETURN_CORRECTED and accepted else SUBMITTED,
            accepted=accepted,
            history=[*(previous.history if previous else []), {"type": event_type, **data}],
        )
        if previous is not None:
            self.returns[period].submitted_on = previous.submitted_on


def _under_delivery(result: Assessment, thresholds: Thresholds) -> str | None:
    """The severity of a shortfall, cumulative or in the period alone; None when there is none."""
    if result.status is Rag.RED:
        return "high"
    if result.status is Rag.AMBER:
        return "medium"
    if result.target > 0 and result.delivered / result.target < thresholds.amber:
        return "low"
    return None
