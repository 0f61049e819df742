"""Alert routes: the accountability alerts on your organisation's contracts."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from svledger.quantities import optional_figure

from reporting.api.dependencies import PartyDep, ServiceDep
from reporting.application.progress import list_alerts
from reporting.domain.progress import Alert, AlertStatus

router = APIRouter(prefix="/alerts", tags=["alerts"])


class AlertOut(BaseModel):
    """An accountability alert on one obligation of a contract."""

    alert_id: str
    contract_id: str
    obligation_id: str
    measure: str = Field(examples=["NT1"])
    period: str = Field(examples=["2026-27-Q1"])
    kind: str = Field(examples=["under_delivery"])
    severity: str = Field(examples=["high", "medium"])
    status: AlertStatus
    buyer: str
    supplier: str
    ratio: str | None = Field(description="delivered over committed when raised, e.g. 0.5")
    raised_on: date

    @classmethod
    def of(cls, alert: Alert) -> AlertOut:
        """From the read model."""
        return cls(
            alert_id=alert.alert_id,
            contract_id=alert.contract_id,
            obligation_id=alert.obligation_id,
            measure=alert.measure,
            period=alert.period,
            kind=alert.kind,
            severity=alert.severity,
            status=alert.status,
            buyer=alert.buyer,
            supplier=alert.supplier,
            ratio=optional_figure(alert.ratio),
            raised_on=alert.raised_on,
        )


class AlertsOut(BaseModel):
    """Alerts, oldest first."""

    alerts: list[AlertOut]


@router.get("", summary="Alerts on your organisation's contracts")
async def read_alerts(
    party: PartyDep,
    service: ServiceDep,
    status: Annotated[AlertStatus | None, Query(description="only alerts in this status")] = None,
) -> AlertsOut:
    """Alerts on contracts your organisation let or delivers, optionally only the open ones."""
    found = await list_alerts(service.read_models, party, status)
    return AlertsOut(alerts=[AlertOut.of(a) for a in found])
