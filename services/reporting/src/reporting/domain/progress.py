"""What reporting knows about a contract's progress, as read from other services' events.

Reporting owns no aggregates: these are facts recorded elsewhere (commitments, measurement),
kept here in the shape a contract manager reads them. No I/O, no framework.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


class AlertStatus(enum.StrEnum):
    """Where an accountability alert stands (later issues add acknowledged, resolved...)."""

    OPEN = "open"


@dataclass(frozen=True, slots=True)
class AwardedContract:
    """A contract as awarded: who let it, who delivers it, and when it runs."""

    contract_id: str
    reference: str
    title: str
    buyer: str
    supplier: str
    starts_on: date
    ends_on: date
    value_gbp: Decimal | None
    framework_version: str
    awarded_at: datetime

    def visible_to(self, organisation: str) -> bool:
        """Only the two parties see a contract's progress."""
        return organisation in (self.buyer, self.supplier)


@dataclass(frozen=True, slots=True)
class Commitment:
    """One obligation as the contract committed it: a measure and its total target."""

    contract_id: str
    obligation_id: str
    sequence: int  # its place in the contract, so obligations read in the order they were let
    measure: str
    theme: str
    outcome: str
    unit: str
    description: str
    is_kpi: bool
    committed_total: Decimal


@dataclass(frozen=True, slots=True)
class Assessment:
    """Measurement's verdict on one obligation after a period's return, cumulative to date."""

    contract_id: str
    obligation_id: str
    measure: str
    unit: str
    period: str  # a financial-year quarter label, e.g. 2026-27-Q1
    committed_to_date: Decimal
    delivered_to_date: Decimal
    ratio: Decimal
    status: str
    assessed_at: datetime


@dataclass(frozen=True, slots=True)
class SubmittedReturn:
    """A supplier's quarterly return was submitted (on time or late)."""

    contract_id: str
    period: str
    late: bool
    submitted_at: datetime


@dataclass(frozen=True, slots=True)
class Alert:
    """An accountability alert on one obligation, as a contract manager sees it."""

    alert_id: str
    contract_id: str
    obligation_id: str
    measure: str
    period: str
    kind: str
    severity: str
    status: AlertStatus
    buyer: str
    supplier: str
    ratio: Decimal | None
    raised_on: date


@dataclass(frozen=True, slots=True)
class ObligationProgress:
    """Committed against delivered for one obligation; figures are None until assessed."""

    obligation_id: str
    measure: str
    theme: str | None
    outcome: str | None
    unit: str | None
    description: str | None
    is_kpi: bool | None
    committed_total: Decimal | None
    committed_to_date: Decimal | None
    delivered_to_date: Decimal | None
    ratio: Decimal | None
    status: str | None
    last_period_assessed: str | None


@dataclass(frozen=True, slots=True)
class ContractProgress:
    """Everything the progress view of one contract shows."""

    contract: AwardedContract
    obligations: list[ObligationProgress]
    returns: list[SubmittedReturn]
    open_alerts: list[Alert]
