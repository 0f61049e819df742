"""The contract aggregate: a let contract and the social value obligations it carries.

A contract is awarded from a tender's winning bid or registered directly (most live contracts
were let before this system existed). Either way each obligation gets a target per UK
financial-year quarter. Later a buyer may vary an obligation's targets by agreement, and the
contract completes, or is terminated early, which cancels the targets of the quarters that
start after the termination date (the quarter it falls in keeps its target).
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from svledger.aggregate import Aggregate
from svledger.envelope import NewEvent
from svledger.errors import Conflict, FieldProblem, NotFound, ValidationFailed
from svledger.periods import Quarter, quarters_between
from svledger.quantities import figure

from commitments.domain.framework import Framework
from commitments.domain.profile import DeliveryProfile, quarterly_targets
from commitments.domain.rules import (
    KPI_CONTRACT_VALUE_GBP,
    MIN_KPIS,
    RuleWarning,
    refuse,
    warnings_json,
)

CONTRACT_AWARDED = "ContractAwarded"
OBLIGATION_VARIED = "ObligationVaried"
CONTRACT_COMPLETED = "ContractCompleted"
CONTRACT_TERMINATED = "ContractTerminated"


class ContractStatus(enum.StrEnum):
    """Where a contract is in its life."""

    ACTIVE = "active"
    COMPLETED = "completed"
    TERMINATED = "terminated"


@dataclass(frozen=True, slots=True)
class TargetsGiven:
    """How targets were given: one per quarter for all, a map per quarter, or a profiled total.

    Exactly one of the three is set.
    """

    per_quarter: Decimal | None = None
    targets: dict[str, Decimal] | None = None
    total: Decimal | None = None
    profile: DeliveryProfile = field(default_factory=DeliveryProfile)

    def resolve(
        self, starts_on: date, ends_on: date, where: str
    ) -> tuple[dict[Quarter, Decimal], list[FieldProblem]]:
        """The target per quarter, and the problems with what was given."""
        quarters = quarters_between(starts_on, ends_on)
        if self.total is not None:
            try:
                return (
                    quarterly_targets(
                        self.total, starts_on, ends_on, self.profile, f"{where}.profile"
                    ),
                    [],
                )
            except ValidationFailed as exc:
                return {}, exc.errors
        if self.targets is not None:
            problems: list[FieldProblem] = []
            targets: dict[Quarter, Decimal] = {}
            for label, value in self.targets.items():
                try:
                    targets[Quarter.parse(label, field=f"{where}.targets.{label}")] = value
                except ValidationFailed as exc:
                    problems.extend(exc.errors)
            outside = sorted(q.label for q in targets if q not in quarters)
            if outside:
                problems.append(
                    FieldProblem(
                        f"{where}.targets",
                        f"quarters {', '.join(outside)} fall outside the contract "
                        f"({starts_on} to {ends_on})",
                    )
                )
            if any(v < 0 for v in targets.values()):
                problems.append(FieldProblem(f"{where}.targets", "targets cannot be negative"))
            return targets, problems
        return {q: self.per_quarter or Decimal(0) for q in quarters}, []


@dataclass(frozen=True, slots=True)
class ObligationTerms:
    """What a supplier must deliver on one measure, and how its quarterly targets are set."""

    measure: str
    given: TargetsGiven
    description: str = ""
    is_kpi: bool = False
    place: str | None = None
    vcfse_partner: str | None = None
    commitment_id: str | None = None
    proxy_value_gbp_per_unit: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ContractTerms:
    """Everything needed to award or register a contract."""

    reference: str
    title: str
    buyer: str
    supplier: str
    starts_on: date
    ends_on: date
    value_gbp: Decimal | None
    return_due_days: int
    obligations: list[ObligationTerms]
    places: list[str] = field(default_factory=list)
    tender_id: str | None = None
    bid_id: str | None = None


class Contract(Aggregate):
    """A contract between a buyer and a supplier, with its social value obligations."""

    stream_prefix = "contract"

    def __init__(self) -> None:
        super().__init__()
        self.contract_id = ""
        self.buyer = ""
        self.supplier = ""
        self.reference = ""
        self.starts_on = date.min
        self.ends_on = date.min
        self.status = ContractStatus.ACTIVE
        self.data: dict[str, Any] = {}
        self.obligations: dict[str, dict[str, Any]] = {}
        self.completed_on: str | None = None
        self.terminated_on: str | None = None
        self.termination_reason: str | None = None
        self.cancelled_periods: list[str] = []

    @classmethod
    def award(cls, contract_id: uuid.UUID, terms: ContractTerms, framework: Framework) -> NewEvent:
        """Decide ``ContractAwarded`` after checking every obligation against the framework."""
        problems: list[FieldProblem] = []
        if terms.ends_on < terms.starts_on:
            raise ValidationFailed("the contract ends before it starts", field="ends_on")
        obligations = []
        for i, ob in enumerate(terms.obligations):
            where = f"obligations.{i}"
            try:
                measure = framework.measure(ob.measure, field=f"{where}.measure")
            except ValidationFailed as exc:
                problems.extend(exc.errors)
                continue
            targets, wrong = ob.given.resolve(terms.starts_on, terms.ends_on, where)
            problems.extend(wrong)
            if terms.places and ob.place is not None and ob.place not in terms.places:
                problems.append(
                    FieldProblem(
                        f"{where}.place",
                        f"'{ob.place}' is not one of the contract's places: "
                        f"{', '.join(terms.places)}",
                    )
                )
            proxy = ob.proxy_value_gbp_per_unit
            if proxy is None:
                proxy = framework.proxy_value(measure.code)
            obligations.append(
                {
                    "obligation_id": str(uuid.uuid4()),
                    "measure": measure.code,
                    "theme": measure.theme,
                    "outcome": measure.outcome,
                    "unit": measure.unit,
                    "description": ob.description or measure.wording,
                    "is_kpi": ob.is_kpi,
                    "targets": _targets_json(targets),
                    "total": figure(sum(targets.values(), Decimal(0))),
                    "place": ob.place,
                    "vcfse_partner": ob.vcfse_partner,
                    "commitment_id": ob.commitment_id,
                    "proxy_value_gbp_per_unit": None if proxy is None else figure(proxy),
                }
            )
        if not terms.obligations:
            problems.append(FieldProblem("obligations", "a contract needs at least one obligation"))
        if terms.buyer == terms.supplier:
            problems.append(FieldProblem("supplier", "the supplier cannot be the buyer itself"))
        refuse(problems, "contract")
        return NewEvent(
            CONTRACT_AWARDED,
            {
                "contract_id": str(contract_id),
                "reference": terms.reference,
                "title": terms.title,
                "buyer": terms.buyer,
                "supplier": terms.supplier,
                "starts_on": terms.starts_on.isoformat(),
                "ends_on": terms.ends_on.isoformat(),
                "value_gbp": None if terms.value_gbp is None else figure(terms.value_gbp),
                "return_due_days": terms.return_due_days,
                "framework_version": framework.version,
                "obligations": obligations,
                "places": list(terms.places),
                "tender_id": terms.tender_id,
                "bid_id": terms.bid_id,
                "warnings": warnings_json(_kpi_warnings(terms)),
            },
        )

    def vary(
        self,
        obligation_id: str,
        given: TargetsGiven,
        reason: str,
        agreed_on: date,
        today: date,
    ) -> NewEvent:
        """Decide ``ObligationVaried``: new targets for one obligation, agreed with the supplier."""
        self._require_active("varied")
        obligation = self.obligations.get(obligation_id)
        if obligation is None:
            raise NotFound(f"obligation {obligation_id} is not part of contract {self.contract_id}")
        targets, problems = given.resolve(self.starts_on, self.ends_on, "")
        problems = [FieldProblem(p.field.lstrip("."), p.message) for p in problems]
        new_targets = _targets_json(targets)
        if not problems and new_targets == obligation["targets"]:
            problems.append(FieldProblem("targets", "these are the obligation's targets already"))
        if not reason.strip():
            problems.append(FieldProblem("reason", "say why the targets are varied"))
        if agreed_on > today:
            problems.append(
                FieldProblem("agreed_on", "a variation is recorded once agreed, not in advance")
            )
        refuse(problems, "variation")
        return self.record(
            NewEvent(
                OBLIGATION_VARIED,
                {
                    "contract_id": self.contract_id,
                    "obligation_id": obligation_id,
                    "targets": new_targets,
                    "previous_targets": dict(obligation["targets"]),
                    "total": figure(sum(targets.values(), Decimal(0))),
                    "previous_total": obligation["total"],
                    "reason": reason.strip(),
                    "agreed_on": agreed_on.isoformat(),
                },
            )
        )

    def complete(self, completed_on: date, today: date) -> NewEvent:
        """Decide ``ContractCompleted``: the contract ran its course."""
        self._require_active("completed")
        problems = []
        if completed_on < self.ends_on:
            problems.append(
                FieldProblem(
                    "completed_on",
                    f"the contract runs to {self.ends_on}; to end it earlier, terminate it",
                )
            )
        if completed_on > today:
            problems.append(
                FieldProblem("completed_on", "a contract is completed once it has ended")
            )
        refuse(problems, "completion")
        return self.record(
            NewEvent(
                CONTRACT_COMPLETED,
                {"contract_id": self.contract_id, "completed_on": completed_on.isoformat()},
            )
        )

    def terminate(self, terminated_on: date, reason: str) -> NewEvent:
        """Decide ``ContractTerminated``: the targets of quarters starting later are cancelled."""
        self._require_active("terminated")
        problems = []
        if not self.starts_on <= terminated_on < self.ends_on:
            problems.append(
                FieldProblem(
                    "terminated_on",
                    f"an early termination falls on or after the start ({self.starts_on}) "
                    f"and before the end ({self.ends_on})",
                )
            )
        if not reason.strip():
            problems.append(FieldProblem("reason", "say why the contract is terminated"))
        refuse(problems, "termination")
        cancelled = [
            q.label
            for q in quarters_between(self.starts_on, self.ends_on)
            if q.starts > terminated_on
        ]
        remaining = []
        for ob in self.obligations.values():
            kept = {p: t for p, t in ob["targets"].items() if p not in cancelled}
            total = sum((Decimal(t) for t in kept.values()), Decimal(0))
            remaining.append(
                {"obligation_id": ob["obligation_id"], "targets": kept, "total": figure(total)}
            )
        return self.record(
            NewEvent(
                CONTRACT_TERMINATED,
                {
                    "contract_id": self.contract_id,
                    "terminated_on": terminated_on.isoformat(),
                    "reason": reason.strip(),
                    "cancelled_periods": cancelled,
                    "obligations": remaining,
                },
            )
        )

    def _require_active(self, action: str) -> None:
        if self.status is not ContractStatus.ACTIVE:
            raise Conflict(f"contract {self.contract_id} is {self.status}; it cannot be {action}")

    def when(self, event_type: str, data: dict[str, Any]) -> None:
        """Fold one event into the contract."""
        if event_type == CONTRACT_AWARDED:
            self.contract_id = data["contract_id"]
            self.buyer = data["buyer"]
            self.supplier = data["supplier"]
            self.reference = data["reference"]
            self.starts_on = date.fromisoformat(data["starts_on"])
            self.ends_on = date.fromisoformat(data["ends_on"])
            self.data = dict(data)
            self.obligations = {
                ob["obligation_id"]: {
                    **ob,
                    "targets": dict(ob["targets"]),
                    "cancelled_targets": {},
                    "variations": [],
                }
                for ob in data["obligations"]
            }
        elif event_type == OBLIGATION_VARIED:
            ob = self.obligations[data["obligation_id"]]
            ob["targets"] = dict(data["targets"])
            ob["total"] = data["total"]
            ob["variations"].append(
                {
                    "targets": dict(data["targets"]),
                    "previous_targets": dict(data["previous_targets"]),
                    "reason": data["reason"],
                    "agreed_on": data["agreed_on"],
                }
            )
        elif event_type == CONTRACT_COMPLETED:
            self.status = ContractStatus.COMPLETED
            self.completed_on = data["completed_on"]
        elif event_type == CONTRACT_TERMINATED:
            self.status = ContractStatus.TERMINATED
            self.terminated_on = data["terminated_on"]
            self.termination_reason = data["reason"]
            self.cancelled_periods = list(data["cancelled_periods"])
            for ob in self.obligations.values():
                cancelled = {p: t for p, t in ob["targets"].items() if p in self.cancelled_periods}
                ob["cancelled_targets"] = cancelled
                ob["targets"] = {p: t for p, t in ob["targets"].items() if p not in cancelled}
                ob["total"] = figure(sum((Decimal(t) for t in ob["targets"].values()), Decimal(0)))

    def visible_to(self, organisation: str) -> bool:
        """Only the two parties see a contract."""
        return organisation in (self.buyer, self.supplier)

    def view(self) -> dict[str, Any]:
        """The contract as it stands, for responses and read models."""
        return {
            **self.data,
            "version": self.version,
            "status": self.status.value,
            "completed_on": self.completed_on,
            "terminated_on": self.terminated_on,
            "termination_reason": self.termination_reason,
            "cancelled_periods": list(self.cancelled_periods),
            "obligations": [dict(ob) for ob in self.obligations.values()],
        }


def _targets_json(targets: dict[Quarter, Decimal]) -> dict[str, str]:
    return {q.label: figure(v) for q, v in sorted(targets.items())}


def _kpi_warnings(terms: ContractTerms) -> list[RuleWarning]:
    kpis = sum(ob.is_kpi for ob in terms.obligations)
    if terms.value_gbp is not None and terms.value_gbp > KPI_CONTRACT_VALUE_GBP and kpis < MIN_KPIS:
        return [
            RuleWarning(
                "too-few-kpis",
                "obligations",
                f"a contract worth over GBP 5m needs at least {MIN_KPIS} KPIs under the "
                f"Procurement Act 2023; {kpis} of its obligations are marked as KPIs",
            )
        ]
    return []
