"""The contract aggregate: a let contract and the social value obligations it carries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from svledger.aggregate import Aggregate
from svledger.envelope import NewEvent
from svledger.errors import FieldProblem, ValidationFailed
from svledger.periods import Quarter, quarters_between

from commitments.domain.framework import Framework

CONTRACT_AWARDED = "ContractAwarded"


@dataclass(frozen=True, slots=True)
class ObligationTerms:
    """What a supplier must deliver on one measure: a target per financial-year quarter."""

    measure: str
    targets: dict[Quarter, Decimal]
    description: str = ""
    is_kpi: bool = False


@dataclass(frozen=True, slots=True)
class ContractTerms:
    """Everything needed to register a contract that was awarded."""

    reference: str
    title: str
    buyer: str
    supplier: str
    starts_on: date
    ends_on: date
    value_gbp: Decimal | None
    return_due_days: int
    obligations: list[ObligationTerms]


class Contract(Aggregate):
    """A contract between a buyer and a supplier, with its social value obligations."""

    stream_prefix = "contract"

    def __init__(self) -> None:
        super().__init__()
        self.contract_id = ""
        self.buyer = ""
        self.supplier = ""
        self.data: dict[str, Any] = {}

    @classmethod
    def award(cls, contract_id: uuid.UUID, terms: ContractTerms, framework: Framework) -> NewEvent:
        """Decide ``ContractAwarded`` after checking every obligation against the framework."""
        problems: list[FieldProblem] = []
        quarters = quarters_between(terms.starts_on, terms.ends_on)
        obligations = []
        for i, ob in enumerate(terms.obligations):
            where = f"obligations.{i}"
            try:
                measure = framework.measure(ob.measure, field=f"{where}.measure")
            except ValidationFailed as exc:
                problems.extend(exc.errors)
                continue
            outside = [q.label for q in ob.targets if q not in quarters]
            if outside:
                problems.append(
                    FieldProblem(
                        f"{where}.targets",
                        f"quarters {', '.join(outside)} fall outside the contract "
                        f"({terms.starts_on} to {terms.ends_on})",
                    )
                )
            if any(v < 0 for v in ob.targets.values()):
                problems.append(FieldProblem(f"{where}.targets", "targets cannot be negative"))
            obligations.append(
                {
                    "obligation_id": str(uuid.uuid4()),
                    "measure": measure.code,
                    "theme": measure.theme,
                    "outcome": measure.outcome,
                    "unit": measure.unit,
                    "description": ob.description or measure.wording,
                    "is_kpi": ob.is_kpi,
                    "targets": {q.label: str(v) for q, v in sorted(ob.targets.items())},
                    "total": str(sum(ob.targets.values(), Decimal(0))),
                }
            )
        if not terms.obligations:
            problems.append(FieldProblem("obligations", "a contract needs at least one obligation"))
        if terms.buyer == terms.supplier:
            problems.append(FieldProblem("supplier", "the supplier cannot be the buyer itself"))
        if problems:
            raise ValidationFailed("the contract has invalid fields", errors=problems)
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
                "value_gbp": None if terms.value_gbp is None else str(terms.value_gbp),
                "return_due_days": terms.return_due_days,
                "framework_version": framework.version,
                "obligations": obligations,
            },
        )

    def when(self, event_type: str, data: dict[str, Any]) -> None:
        """Fold one event into the contract."""
        if event_type == CONTRACT_AWARDED:
            self.contract_id = data["contract_id"]
            self.buyer = data["buyer"]
            self.supplier = data["supplier"]
            self.data = dict(data)

    def visible_to(self, organisation: str) -> bool:
        """Only the two parties see a contract."""
        return organisation in (self.buyer, self.supplier)
