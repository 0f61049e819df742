"""Accountability alerts: raised when social value is overdue or under-delivered."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from svledger.aggregate import Aggregate
from svledger.envelope import NewEvent

ALERT_RAISED = "AlertRaised"
UNDER_DELIVERY = "under_delivery"


class Alert(Aggregate):
    """One alert about one obligation (or return) in one period, until someone resolves it."""

    stream_prefix = "alert"

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, Any] = {}
        self.status = "open"

    @staticmethod
    def raise_under_delivery(
        *,
        alert_id: str,
        contract_id: str,
        obligation_id: str,
        measure: str,
        period: str,
        severity: str,
        buyer: str,
        supplier: str,
        ratio: Decimal | None,
        raised_on: date,
    ) -> NewEvent:
        """Decide ``AlertRaised`` for an obligation delivering below its threshold."""
        return NewEvent(
            ALERT_RAISED,
            {
                "alert_id": alert_id,
                "contract_id": contract_id,
                "obligation_id": obligation_id,
                "measure": measure,
                "period": period,
                "kind": UNDER_DELIVERY,
                "severity": severity,
                "buyer": buyer,
                "supplier": supplier,
                "ratio": None if ratio is None else str(ratio),
                "raised_on": raised_on.isoformat(),
            },
        )

    def when(self, event_type: str, data: dict[str, Any]) -> None:
        """Fold one event into the alert."""
        if event_type == ALERT_RAISED:
            self.data = dict(data)
            self.status = "open"

    def visible_to(self, organisation: str) -> bool:
        """The buyer and the supplier of the contract see its alerts."""
        return organisation in (self.data.get("buyer"), self.data.get("supplier"))
