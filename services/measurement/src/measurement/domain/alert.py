"""Accountability alerts: raised when social value is overdue, under-delivered or at risk.

An alert is raised, then acknowledged by the contract manager, then resolved with a
resolution. One that nobody acknowledges escalates a level every ``after_days`` days:
contract manager, head of procurement, board; the contract manager may also escalate it by
hand, saying why. Under-delivery and at-risk alerts resolve themselves as recovered when a
later assessment shows the obligation back on track.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from svledger.aggregate import Aggregate
from svledger.envelope import NewEvent
from svledger.errors import Conflict, FieldProblem, ValidationFailed

ALERT_RAISED = "AlertRaised"
ALERT_ACKNOWLEDGED = "AlertAcknowledged"
ALERT_ESCALATED = "AlertEscalated"
ALERT_RESOLVED = "AlertResolved"

OVERDUE_RETURN = "overdue_return"
UNDER_DELIVERY = "under_delivery"
AT_RISK = "at_risk"
PLEDGE_BEHIND = "pledge_behind"
KINDS = (OVERDUE_RETURN, UNDER_DELIVERY, AT_RISK, PLEDGE_BEHIND)
SEVERITIES = ("low", "medium", "high")

# Who an unacknowledged alert is in front of, by escalation level.
LEVELS = {1: "contract_manager", 2: "head_of_procurement", 3: "board"}
TOP_LEVEL = max(LEVELS)

# Who escalated: a person's subject, or this for the scheduler's escalations.
AUTOMATIC = "automatic"
ESCALATION_REASON_MAX = 2_000
# ``AlertEscalated`` recorded before escalation by hand existed carries none of these: every
# escalation then was the scheduler's, and it gave no reason.
_ESCALATION_DEFAULTS: dict[str, Any] = {"by": AUTOMATIC, "automatic": True, "reason": ""}

# Alert ids are derived from what the alert is about, so the same fact can never be alerted
# twice: a second raise would append version 1 of an existing stream and clash.
_ALERT_NAMESPACE = uuid.UUID("5b0c3f2e-8d7a-4f8e-9c61-3a2d7f0e4b19")


def alert_id_for(*about: str) -> str:
    """The one alert id for (contract, obligation or '-', kind, period)."""
    return str(uuid.uuid5(_ALERT_NAMESPACE, "/".join(about)))


class AlertStatus(enum.StrEnum):
    """Where an alert stands."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class ResolutionKind(enum.StrEnum):
    """How an alert was closed."""

    RECOVERED = "recovered"
    REMEDIATION_PLAN_AGREED = "remediation_plan_agreed"
    OBLIGATION_VARIED = "obligation_varied"
    WAIVED = "waived"


@dataclass(frozen=True, slots=True)
class Resolution:
    """A resolution and what it must carry: a plan with its date, or a reason for a waiver."""

    kind: ResolutionKind
    plan: str | None = None
    agreed_on: date | None = None
    reason: str | None = None

    def check(self) -> None:
        """Refuse a resolution that lacks what its kind needs."""
        problems: list[FieldProblem] = []
        if self.kind is ResolutionKind.REMEDIATION_PLAN_AGREED:
            if not (self.plan or "").strip():
                problems.append(FieldProblem("plan", "a remediation plan needs its text"))
            if self.agreed_on is None:
                problems.append(FieldProblem("agreed_on", "a remediation plan needs its date"))
        if self.kind is ResolutionKind.WAIVED and not (self.reason or "").strip():
            problems.append(FieldProblem("reason", "a waiver needs a reason"))
        if problems:
            raise ValidationFailed("the resolution is incomplete", errors=problems)

    def as_json(self) -> dict[str, Any]:
        """The resolution's members as event data."""
        return {
            "resolution": self.kind.value,
            "plan": self.plan,
            "agreed_on": None if self.agreed_on is None else self.agreed_on.isoformat(),
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class AlertFacts:
    """What an alert is about, as ``AlertRaised`` records it."""

    alert_id: str
    contract_id: str | None
    obligation_id: str | None
    measure: str | None
    period: str
    kind: str
    severity: str
    buyer: str
    supplier: str
    ratio: Decimal | None
    raised_on: date
    detail: str = ""


class Alert(Aggregate):
    """One alert about one obligation (or return, or pledge) in one period."""

    stream_prefix = "alert"

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, Any] = {}
        self.status = AlertStatus.OPEN
        self.level = 1
        self.acknowledged: dict[str, Any] | None = None
        self.resolution: dict[str, Any] | None = None
        self.history: list[dict[str, Any]] = []
        self.escalations: list[dict[str, Any]] = []

    @staticmethod
    def raise_alert(facts: AlertFacts) -> NewEvent:
        """Decide ``AlertRaised``."""
        return NewEvent(
            ALERT_RAISED,
            {
                "alert_id": facts.alert_id,
                "contract_id": facts.contract_id,
                "obligation_id": facts.obligation_id,
                "measure": facts.measure,
                "period": facts.period,
                "kind": facts.kind,
                "severity": facts.severity,
                "buyer": facts.buyer,
                "supplier": facts.supplier,
                "ratio": None if facts.ratio is None else str(facts.ratio),
                "raised_on": facts.raised_on.isoformat(),
                "level": 1,
                "escalated_to": LEVELS[1],
                "detail": facts.detail,
            },
        )

    @property
    def raised_on(self) -> date:
        """The day the alert was raised."""
        return date.fromisoformat(self.data["raised_on"])

    def _base(self) -> dict[str, Any]:
        return {"alert_id": self.data["alert_id"], "contract_id": self.data["contract_id"]}

    def acknowledge(self, by: str, today: date, note: str) -> NewEvent:
        """The contract manager has seen the alert and owns it; it stops escalating."""
        if self.status is not AlertStatus.OPEN:
            raise Conflict(f"the alert is already {self.status.value}", field="status")
        return self.record(
            NewEvent(
                ALERT_ACKNOWLEDGED,
                {**self._base(), "acknowledged_on": today.isoformat(), "by": by, "note": note},
            )
        )

    def resolve(
        self, resolution: Resolution, by: str, today: date, *, automatic: bool = False
    ) -> NewEvent:
        """Close the alert; a person must acknowledge it first, the system need not."""
        resolution.check()
        if self.status is AlertStatus.RESOLVED:
            raise Conflict("the alert is already resolved", field="status")
        if not automatic and self.status is not AlertStatus.ACKNOWLEDGED:
            raise Conflict("acknowledge the alert before resolving it", field="status")
        return self.record(
            NewEvent(
                ALERT_RESOLVED,
                {
                    **self._base(),
                    **resolution.as_json(),
                    "resolved_on": today.isoformat(),
                    "by": by,
                    "automatic": automatic,
                },
            )
        )

    def escalate(self, by: str, today: date, reason: str) -> NewEvent:
        """The contract manager moves the alert up one level by hand, saying why."""
        said = reason.strip()
        if not said or len(said) > ESCALATION_REASON_MAX:
            raise ValidationFailed(
                f"say why the alert needs escalating, in 1 to {ESCALATION_REASON_MAX} characters",
                field="reason",
            )
        if self.status is AlertStatus.RESOLVED:
            raise Conflict("the alert is resolved; there is nothing to escalate", field="status")
        if self.level >= TOP_LEVEL:
            raise Conflict(
                f"the alert is already with the {LEVELS[TOP_LEVEL]}, the top level", field="level"
            )
        return self.record(
            self._escalated(self.level + 1, today, by=by, reason=said, automatic=False)
        )

    def escalations_due(self, today: date, after_days: int) -> list[NewEvent]:
        """One ``AlertEscalated`` per level passed while nobody acknowledged the alert."""
        if self.status is not AlertStatus.OPEN or after_days <= 0:
            return []
        reached = min(TOP_LEVEL, 1 + (today - self.raised_on).days // after_days)
        return [
            self.record(
                self._escalated(
                    level,
                    self.raised_on + timedelta(days=(level - 1) * after_days),
                    by=AUTOMATIC,
                    reason=f"not acknowledged within {(level - 1) * after_days} days",
                    automatic=True,
                )
            )
            for level in range(self.level + 1, reached + 1)
        ]

    def _escalated(
        self, level: int, on: date, *, by: str, reason: str, automatic: bool
    ) -> NewEvent:
        return NewEvent(
            ALERT_ESCALATED,
            {
                **self._base(),
                "from_level": level - 1,
                "level": level,
                "escalated_to": LEVELS[level],
                "escalated_on": on.isoformat(),
                "by": by,
                "automatic": automatic,
                "reason": reason,
            },
        )

    def when(self, event_type: str, data: dict[str, Any]) -> None:
        """Fold one event into the alert."""
        if event_type == ALERT_ESCALATED:
            data = {**_ESCALATION_DEFAULTS, **data}
        self.history.append({"type": event_type, **data})
        if event_type == ALERT_RAISED:
            self.data = dict(data)
            self.status = AlertStatus.OPEN
            self.level = int(data.get("level", 1))
        elif event_type == ALERT_ACKNOWLEDGED:
            self.status = AlertStatus.ACKNOWLEDGED
            self.acknowledged = dict(data)
        elif event_type == ALERT_ESCALATED:
            self.level = int(data["level"])
            self.escalations.append(dict(data))
        elif event_type == ALERT_RESOLVED:
            self.status = AlertStatus.RESOLVED
            self.resolution = dict(data)

    def visible_to(self, organisation: str) -> bool:
        """The buyer and the supplier of the contract see its alerts."""
        return organisation in (self.data.get("buyer"), self.data.get("supplier"))
