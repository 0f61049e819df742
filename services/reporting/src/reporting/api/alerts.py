"""Alert routes: the accountability alerts on your organisation's contracts, and their age."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from svledger.quantities import optional_figure
from svledger.web import PageDep

from reporting.api import tables
from reporting.api.dependencies import Export, ExportDep, PartyDep, ServiceDep
from reporting.api.rendering import EXPORTS, as_it_is_read, write_file
from reporting.api.schemas import FreshnessOut
from reporting.application.reports import Reported, alerts_report, every_alert
from reporting.domain.progress import Alert, AlertList, AlertStatus

router = APIRouter(prefix="/alerts", tags=["alerts"])


class AlertOut(BaseModel):
    """An accountability alert: on an obligation, a whole return, or a pledge."""

    alert_id: str
    contract_id: str | None = Field(description="null for a Partner VCFSE pledge behind")
    obligation_id: str | None = Field(description="null for an overdue return or a pledge")
    measure: str | None = Field(examples=["NT1"])
    period: str = Field(examples=["2026-27-Q1"])
    kind: str = Field(examples=["under_delivery", "overdue_return", "at_risk", "pledge_behind"])
    severity: str = Field(examples=["high", "medium"])
    status: AlertStatus
    buyer: str
    supplier: str
    ratio: str | None = Field(description="delivered over committed when raised, e.g. 0.5")
    raised_on: date
    age_days: int = Field(description="days since raised: to today, or to its resolution")
    level: int | None = Field(description="escalation level, 1 to 3")
    escalated_to: str | None = Field(examples=["contract_manager", "board"])
    detail: str | None
    acknowledged_on: date | None
    resolved_on: date | None
    resolution: str | None = Field(examples=["recovered", "waived"])

    @classmethod
    def of(cls, alert: Alert, today: date) -> AlertOut:
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
            age_days=alert.age_days(today),
            level=alert.level,
            escalated_to=alert.escalated_to,
            detail=alert.detail,
            acknowledged_on=alert.acknowledged_on,
            resolved_on=alert.resolved_on,
            resolution=alert.resolution,
        )


class AlertsOut(BaseModel):
    """A page of alerts, oldest first."""

    as_of: date
    freshness: FreshnessOut
    total: int = Field(description="alerts in this status (or all), on every page")
    alerts: list[AlertOut]

    @classmethod
    def of(cls, report: Reported[AlertList]) -> AlertsOut:
        """From the report."""
        return cls(
            as_of=report.as_of,
            freshness=FreshnessOut.of(report.freshness),
            total=report.content.total,
            alerts=[AlertOut.of(a, report.as_of) for a in report.content.alerts],
        )


@router.get(
    "",
    summary="Alerts on your organisation's contracts, with their age, a page at a time"
    " (?format=csv|xlsx exports them all)",
    response_model=AlertsOut,
    responses=EXPORTS,
)
async def read_alerts(
    party: PartyDep,
    service: ServiceDep,
    page: PageDep,
    status: Annotated[AlertStatus | None, Query(description="only alerts in this status")] = None,
    export: ExportDep = Export.JSON,
) -> AlertsOut | Response:
    """Alerts on contracts your organisation let or delivers (and on its pledge), oldest first:
    ``limit`` of them after ``offset`` as JSON, every one as a CSV or XLSX file."""
    if export is Export.JSON:
        return AlertsOut.of(await alerts_report(service, party, status, page))
    return await write_file(
        export, as_it_is_read(every_alert(service, party, status)), tables.alerts
    )
