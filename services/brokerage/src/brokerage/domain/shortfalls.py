"""Shortfalls: periods in which a supplier delivered less than it owed on an obligation, or is
forecast to, and the brokerage's referral of each to VCFSE partners who could help recover."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from svledger.aggregate import Aggregate
from svledger.envelope import NewEvent
from svledger.periods import Quarter
from svledger.quantities import exact_decimal

ALERT_RAISED = "AlertRaised"
ALERT_RESOLVED = "AlertResolved"
UNDER_DELIVERY = "under_delivery"
AT_RISK = "at_risk"
# Alerts that say delivery falls short (or will): partners can help a supplier recover.
SHORTFALL_KINDS = (UNDER_DELIVERY, AT_RISK)
SHORTFALL_REFERRED = "ShortfallReferred"


@dataclass(frozen=True, slots=True)
class Shortfall:
    """Under-delivery (or its risk) on one obligation in one quarter, as an alert reported it."""

    alert_id: uuid.UUID
    contract_id: uuid.UUID
    obligation_id: uuid.UUID
    supplier: str
    buyer: str
    measure: str
    period: Quarter
    severity: str
    ratio: Decimal | None  # delivery against target, as the alert reported it
    raised_on: date
    kind: str = UNDER_DELIVERY
    resolved_on: date | None = None

    @property
    def is_open(self) -> bool:
        """Until measurement resolves the alert."""
        return self.resolved_on is None


def shortfall_raised(alert: Mapping[str, Any]) -> Shortfall | None:
    """The shortfall an ``AlertRaised`` event reports; None for alerts of other kinds."""
    # An overdue return says a return is missing, not that delivery fell short; a pledge
    # behind belongs to no contract.
    if alert["kind"] not in SHORTFALL_KINDS or alert.get("obligation_id") is None:
        return None
    return Shortfall(
        alert_id=uuid.UUID(str(alert["alert_id"])),
        contract_id=uuid.UUID(str(alert["contract_id"])),
        obligation_id=uuid.UUID(str(alert["obligation_id"])),
        supplier=str(alert["supplier"]),
        buyer=str(alert["buyer"]),
        measure=str(alert["measure"]),
        period=Quarter.parse(str(alert["period"])),
        severity=str(alert["severity"]),
        ratio=None if alert.get("ratio") is None else exact_decimal(alert["ratio"], "ratio"),
        raised_on=date.fromisoformat(str(alert["raised_on"])),
        kind=str(alert["kind"]),
    )


class Referral(Aggregate):
    """The brokerage's answer to one shortfall alert: the matches it proposed (maybe none).

    Recorded once per alert, so a redelivered or replayed alert never proposes again.
    """

    stream_prefix = "referral"

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, Any] = {}

    @staticmethod
    def refer(shortfall: Shortfall, match_ids: list[str], today: date) -> NewEvent:
        """Decide ``ShortfallReferred``."""
        return NewEvent(
            SHORTFALL_REFERRED,
            {
                "alert_id": str(shortfall.alert_id),
                "contract_id": str(shortfall.contract_id),
                "obligation_id": str(shortfall.obligation_id),
                "supplier": shortfall.supplier,
                "buyer": shortfall.buyer,
                "measure": shortfall.measure,
                "kind": shortfall.kind,
                "period": shortfall.period.label,
                "match_ids": list(match_ids),
                "referred_on": today.isoformat(),
            },
        )

    def when(self, event_type: str, data: dict[str, Any]) -> None:
        """Fold one event into the referral."""
        if event_type == SHORTFALL_REFERRED:
            self.data = dict(data)
