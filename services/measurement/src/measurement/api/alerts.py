"""Routes for accountability alerts: the inbox, one alert, acknowledging, escalating and
resolving."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field
from svledger.paging import MAX_LIMIT, MAX_OFFSET
from svledger.web import CurrentPrincipal, IfMatch, etag

from measurement.adapters.read_models import AlertFilter
from measurement.api.dependencies import BuyerDep, ServiceDep
from measurement.application.alerts import (
    acknowledge_alert,
    alerts_inbox,
    escalate_alert,
    load_alert,
    resolve_alert,
)
from measurement.domain.alert import (
    ESCALATION_REASON_MAX,
    LEVELS,
    Alert,
    Resolution,
    ResolutionKind,
)

# Query bounds far beyond real use, so an absurd number is a 422 naming the field rather
# than an overflow in date arithmetic or the database.
MAX_AGE_DAYS = 36_600

router = APIRouter(prefix="/alerts", tags=["alerts"])

Kind = Literal["overdue_return", "under_delivery", "at_risk", "pledge_behind"]
Severity = Literal["low", "medium", "high"]
Status = Literal["open", "acknowledged", "resolved"]


class EscalationOut(BaseModel):
    """One move up a level: when, to whom, by whom ('automatic' for the scheduler), and why."""

    from_level: int
    level: int
    escalated_to: str
    escalated_on: date
    by: str
    automatic: bool
    reason: str


class AlertOut(BaseModel):
    """An accountability alert and where it stands."""

    alert_id: uuid.UUID
    contract_id: uuid.UUID | None
    obligation_id: uuid.UUID | None
    measure: str | None
    period: str
    kind: str
    severity: str
    status: str
    level: int
    escalated_to: str
    buyer: str
    supplier: str
    ratio: str | None
    raised_on: date
    detail: str
    acknowledged: dict[str, Any] | None
    resolution: dict[str, Any] | None
    escalations: list[EscalationOut]
    history: list[dict[str, Any]]

    @classmethod
    def of(cls, alert: Alert) -> AlertOut:
        """From the alert aggregate."""
        return cls.model_validate(
            {
                **alert.data,
                "status": alert.status.value,
                "level": alert.level,
                "escalated_to": LEVELS[alert.level],
                "detail": alert.data.get("detail", ""),
                "acknowledged": alert.acknowledged,
                "resolution": alert.resolution,
                "escalations": alert.escalations,
                "history": alert.history,
            }
        )


class InboxAlertOut(BaseModel):
    """One line of the alerts inbox."""

    alert_id: uuid.UUID
    contract_id: uuid.UUID | None
    obligation_id: uuid.UUID | None
    measure: str | None
    period: str
    kind: str
    severity: str
    status: str
    level: int
    buyer: str
    supplier: str
    ratio: str | None
    raised_on: date
    age_days: int
    acknowledged_on: date | None
    resolved_on: date | None
    resolution: str | None


class AcknowledgeIn(BaseModel):
    """Taking an alert on."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=5_000)


class EscalateIn(BaseModel):
    """Why the alert must go up a level now."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=ESCALATION_REASON_MAX)


class ResolveIn(BaseModel):
    """How the alert was resolved: a remediation plan needs its text and date, a waiver a reason."""

    model_config = ConfigDict(extra="forbid")

    resolution: ResolutionKind
    plan: str | None = Field(default=None, max_length=20_000)
    agreed_on: date | None = None
    reason: str | None = Field(default=None, max_length=5_000)

    def domain(self) -> Resolution:
        """The domain's view of the resolution."""
        return Resolution(self.resolution, self.plan, self.agreed_on, self.reason)


class InboxQuery(BaseModel):
    """Filters for the alerts inbox."""

    status: Status | None = None
    kind: Kind | None = None
    severity: Severity | None = None
    contract_id: uuid.UUID | None = None
    supplier: str | None = None
    level: int | None = Field(default=None, ge=1, le=3)
    min_age_days: int | None = Field(
        default=None, ge=0, le=MAX_AGE_DAYS, description="raised at least this long ago"
    )
    max_age_days: int | None = Field(
        default=None, ge=0, le=MAX_AGE_DAYS, description="raised at most this long ago"
    )
    limit: int = Field(default=100, ge=1, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)

    def filter(self) -> AlertFilter:
        """As the read model's filter."""
        values = self.model_dump()
        values["contract_id"] = None if self.contract_id is None else str(self.contract_id)
        return AlertFilter(**values)


@router.get("", summary="The alerts inbox")
async def get_inbox(
    reader: CurrentPrincipal,
    service: ServiceDep,
    which: Annotated[InboxQuery, Depends()],
) -> list[InboxAlertOut]:
    """Alerts on contracts your organisation let or delivers, oldest first, filtered."""
    found = await alerts_inbox(
        service.runtime.database, reader, service.clock().date(), which.filter()
    )
    return [InboxAlertOut.model_validate(a) for a in found]


@router.get("/{alert_id}", summary="Read an alert")
async def get_alert(
    alert_id: uuid.UUID, reader: CurrentPrincipal, service: ServiceDep, response: Response
) -> AlertOut:
    """An alert on a contract your organisation is party to, with its history."""
    alert = await load_alert(service.store, reader, alert_id)
    response.headers.update(etag(alert.version))
    return AlertOut.of(alert)


@router.post("/{alert_id}/acknowledgement", summary="Acknowledge an alert")
async def post_acknowledgement(
    alert_id: uuid.UUID,
    *,
    body: AcknowledgeIn,
    buyer: BuyerDep,
    service: ServiceDep,
    if_match: IfMatch,
    response: Response,
) -> AlertOut:
    """The contract manager takes the alert on; it stops escalating."""
    alert = await acknowledge_alert(
        service.store, service.clock, buyer, alert_id, note=body.note, if_match=if_match
    )
    response.headers.update(etag(alert.version))
    return AlertOut.of(alert)


@router.post("/{alert_id}/escalation", summary="Escalate an alert by hand")
async def post_escalation(
    alert_id: uuid.UUID,
    *,
    body: EscalateIn,
    buyer: BuyerDep,
    service: ServiceDep,
    if_match: IfMatch,
    response: Response,
) -> AlertOut:
    """The contract manager moves the alert to the next level now, saying why (409 when it is
    resolved or already with the board)."""
    alert = await escalate_alert(
        service.store, service.clock, buyer, alert_id, reason=body.reason, if_match=if_match
    )
    response.headers.update(etag(alert.version))
    return AlertOut.of(alert)


@router.post("/{alert_id}/resolution", summary="Resolve an alert")
async def post_resolution(
    alert_id: uuid.UUID,
    *,
    body: ResolveIn,
    buyer: BuyerDep,
    service: ServiceDep,
    if_match: IfMatch,
    response: Response,
) -> AlertOut:
    """Close an acknowledged alert: recovered, remediation plan, obligation varied, waived."""
    alert = await resolve_alert(
        service.store,
        service.clock,
        buyer,
        alert_id,
        resolution=body.domain(),
        if_match=if_match,
    )
    response.headers.update(etag(alert.version))
    return AlertOut.of(alert)
