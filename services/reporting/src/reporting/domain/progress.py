"""What reporting knows about a contract's progress, as read from other services' events.

Reporting owns no aggregates: these are facts recorded elsewhere (commitments, measurement),
kept here in the shape a contract manager reads them. No I/O, no framework.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


class AlertStatus(enum.StrEnum):
    """Where an accountability alert stands."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


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
    return_due_days: int = 30
    tender_id: str | None = None
    places: tuple[str, ...] = ()

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
    targets: dict[str, Decimal] = field(default_factory=dict)
    place: str | None = None
    vcfse_partner: str | None = None
    proxy_gbp_per_unit: Decimal | None = None


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
    ratio: Decimal | None
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
    """An accountability alert, as a contract manager sees it.

    Overdue-return alerts concern a whole return (no obligation or measure); pledge-behind
    alerts concern an organisation's Partner VCFSE pledge (no contract either).
    """

    alert_id: str
    contract_id: str | None
    obligation_id: str | None
    measure: str | None
    period: str
    kind: str
    severity: str
    status: AlertStatus
    buyer: str
    supplier: str
    ratio: Decimal | None
    raised_on: date
    level: int | None = None
    escalated_to: str | None = None
    detail: str | None = None
    acknowledged_on: date | None = None
    resolved_on: date | None = None
    resolution: str | None = None

    def age_days(self, today: date) -> int:
        """Days since it was raised: to today while unresolved, else to its resolution."""
        until = self.resolved_on if self.resolved_on is not None else today
        return max((until - self.raised_on).days, 0)


@dataclass(frozen=True, slots=True)
class AlertList:
    """Alerts, oldest first (a page of them, or all), and how many match in all."""

    alerts: list[Alert]
    total: int


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
    open_alerts: list[Alert]  # on its obligations: under-delivered, at risk
    open_return_alerts: list[Alert] = field(default_factory=list)  # returns overdue
