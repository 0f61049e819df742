"""Routes for accountability alerts."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Response
from pydantic import BaseModel
from svledger.web import CurrentPrincipal

from measurement.api.dependencies import ServiceDep
from measurement.application.returns import load_alert

router = APIRouter(prefix="/alerts", tags=["alerts"])


class AlertOut(BaseModel):
    """An accountability alert and where it stands."""

    alert_id: uuid.UUID
    contract_id: uuid.UUID
    obligation_id: uuid.UUID
    measure: str
    period: str
    kind: str
    severity: str
    status: str
    buyer: str
    supplier: str
    ratio: str | None
    raised_on: date


@router.get("/{alert_id}", summary="Read an alert")
async def get_alert(
    alert_id: uuid.UUID, reader: CurrentPrincipal, service: ServiceDep, response: Response
) -> AlertOut:
    """An alert on a contract your organisation is party to."""
    alert = await load_alert(service.store, reader, alert_id)
    response.headers["ETag"] = f'"{alert.version}"'
    return AlertOut.model_validate({**alert.data, "status": alert.status})
