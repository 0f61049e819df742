"""Shortfalls: periods in which a supplier delivered less than it owed on an obligation."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from svledger.periods import Quarter
from svledger.quantities import exact_decimal

ALERT_RAISED = "AlertRaised"
UNDER_DELIVERY = "under_delivery"


@dataclass(frozen=True, slots=True)
class Shortfall:
    """Under-delivery on one obligation in one quarter, as an accountability alert reported it."""

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


def shortfall_raised(alert: Mapping[str, Any]) -> Shortfall | None:
    """The shortfall an ``AlertRaised`` event reports; None for alerts of other kinds."""
    # An overdue return says a return is missing, not that delivery fell short.
    if alert["kind"] != UNDER_DELIVERY:
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
    )
