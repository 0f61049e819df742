"""Routes for a contract's return schedule and the quarterly returns against it."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response, status
from pydantic import BaseModel, ConfigDict, Field
from svledger.auth import Principal, Role
from svledger.web import CurrentPrincipal, require_roles

from measurement.api.dependencies import ServiceDep
from measurement.application.returns import load_schedule, submit_return
from measurement.domain.schedule import ReturnLine, Schedule

router = APIRouter(prefix="/contracts/{contract_id}", tags=["returns"])

SupplierDep = Annotated[Principal, Depends(require_roles(Role.SUPPLIER))]


class ReturnLineIn(BaseModel):
    """The quantity delivered against one obligation in the period (0 for a nil line)."""

    model_config = ConfigDict(extra="forbid")

    obligation_id: uuid.UUID
    quantity: Decimal = Field(ge=0, max_digits=18, decimal_places=4)
    narrative: str = Field(default="", max_length=10_000)


class ReturnIn(BaseModel):
    """A quarterly return: one line per obligation reported on."""

    model_config = ConfigDict(extra="forbid")

    period: str = Field(pattern=r"^\d{4}-\d{2}-Q[1-4]$", examples=["2026-27-Q1"])
    narrative: str = Field(default="", max_length=20_000)
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=500)


class AssessmentOut(BaseModel):
    """An obligation measured against its targets, cumulatively to the period."""

    obligation_id: uuid.UUID
    measure: str
    unit: str
    period: str
    target: str
    delivered: str
    cumulative_target: str
    cumulative_delivered: str
    ratio: str | None
    status: str
    forecast: str
    alert_id: uuid.UUID | None


class ReturnReceiptOut(BaseModel):
    """The return as recorded, with the assessments and any alerts it raised."""

    contract_id: uuid.UUID
    period: str
    late: bool
    assessments: list[AssessmentOut]
    alerts: list[uuid.UUID]


class PeriodOut(BaseModel):
    """One reporting period of the contract."""

    period: str
    due_on: date
    status: str


class ObligationScheduleOut(BaseModel):
    """One obligation's targets and its latest assessment."""

    obligation_id: uuid.UUID
    measure: str
    unit: str
    targets: dict[str, str]
    latest: AssessmentOut | None


class ScheduleOut(BaseModel):
    """What is due when, and how the contract stands."""

    contract_id: uuid.UUID
    buyer: str
    supplier: str
    periods: list[PeriodOut]
    obligations: list[ObligationScheduleOut]

    @classmethod
    def of(cls, schedule: Schedule, today: date) -> ScheduleOut:
        """From the schedule aggregate."""
        obligations: list[dict[str, Any]] = []
        for ob in schedule.obligations.values():
            assessed = schedule.assessments[ob.obligation_id]
            obligations.append(
                {
                    "obligation_id": ob.obligation_id,
                    "measure": ob.measure,
                    "unit": ob.unit,
                    "targets": {p: str(v) for p, v in ob.targets.items()},
                    "latest": assessed[max(assessed)] if assessed else None,
                }
            )
        return cls.model_validate(
            {
                "contract_id": schedule.contract_id,
                "buyer": schedule.buyer,
                "supplier": schedule.supplier,
                "periods": [
                    {"period": p, "due_on": due, "status": schedule.period_status(p, today)}
                    for p, due in schedule.periods.items()
                ],
                "obligations": obligations,
            }
        )


@router.post("/returns", status_code=status.HTTP_201_CREATED, summary="Submit a quarterly return")
async def post_return(
    contract_id: uuid.UUID,
    body: ReturnIn,
    supplier: SupplierDep,
    service: ServiceDep,
    response: Response,
) -> ReturnReceiptOut:
    """Report what was delivered in a period; it is assessed at once and shortfalls alerted."""
    receipt = await submit_return(
        service.store,
        service.clock,
        service.thresholds,
        supplier,
        contract_id,
        period=body.period,
        lines=[ReturnLine(str(x.obligation_id), x.quantity, x.narrative) for x in body.lines],
        narrative=body.narrative,
    )
    response.headers["ETag"] = f'"{receipt.version}"'
    return ReturnReceiptOut.model_validate(receipt, from_attributes=True)


@router.get("/schedule", summary="A contract's reporting periods and standing")
async def get_schedule(
    contract_id: uuid.UUID, reader: CurrentPrincipal, service: ServiceDep, response: Response
) -> ScheduleOut:
    """Every period with its due date and status, and each obligation's latest assessment."""
    schedule = await load_schedule(service.store, reader, contract_id)
    response.headers["ETag"] = f'"{schedule.version}"'
    return ScheduleOut.of(schedule, service.clock().date())
