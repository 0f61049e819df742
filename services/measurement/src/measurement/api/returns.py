"""Routes for a contract's return schedule and the quarterly returns against it."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from svledger.web import CurrentPrincipal, IdempotencyKey, IfMatch, etag, replayable

from measurement.adapters.uploads import read_sheet
from measurement.api.dependencies import BuyerDep, ServiceDep, SupplierDep
from measurement.application.corroborations import contract_corroborations
from measurement.application.returns import (
    ReturnDraft,
    ReturnRead,
    ReturnReceipt,
    load_return,
    review_return,
    revise_return,
    submit_return,
    upload_return,
)
from measurement.application.schedules import due_for, load_schedule, obligation_progress
from measurement.domain.schedule import ReturnLine, Schedule

router = APIRouter(tags=["returns"])

PERIOD = r"^\d{4}-\d{2}-Q[1-4]$"
Period = Annotated[str, Field(pattern=PERIOD, examples=["2026-27-Q1"])]


class ReturnLineIn(BaseModel):
    """The quantity delivered against one obligation in the period (0 for a nil line)."""

    model_config = ConfigDict(extra="forbid")

    obligation_id: uuid.UUID
    quantity: Decimal = Field(ge=0, max_digits=18, decimal_places=4)
    narrative: str = Field(default="", max_length=10_000)
    case_study: str = Field(default="", max_length=20_000)
    beneficiaries: int | None = Field(default=None, ge=0)
    places: list[Annotated[str, Field(max_length=200)]] = Field(default=[], max_length=50)
    evidence: list[Annotated[str, Field(max_length=500)]] = Field(
        default=[], max_length=50, description="references to evidence held elsewhere"
    )

    def line(self) -> ReturnLine:
        """The domain's view of the line."""
        return ReturnLine(
            str(self.obligation_id),
            self.quantity,
            self.narrative,
            self.case_study,
            self.beneficiaries,
            tuple(self.places),
            tuple(self.evidence),
        )


class ReturnIn(BaseModel):
    """A quarterly return: one line per obligation reported on."""

    model_config = ConfigDict(extra="forbid")

    period: Period
    narrative: str = Field(default="", max_length=20_000)
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=500)

    def draft(self) -> ReturnDraft:
        """The domain's view of the return."""
        return ReturnDraft(self.period, [x.line() for x in self.lines], self.narrative)


class RevisionIn(BaseModel):
    """A new version of a return: the full set of lines, replacing the previous version."""

    model_config = ConfigDict(extra="forbid")

    narrative: str = Field(default="", max_length=20_000)
    reason: str = Field(default="", max_length=5_000)
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=500)

    def draft(self, period: str) -> ReturnDraft:
        """The domain's view of the revision."""
        return ReturnDraft(period, [x.line() for x in self.lines], self.narrative, self.reason)


class CorrectionIn(RevisionIn):
    """A correction of an accepted return: it must say why."""

    reason: str = Field(min_length=1, max_length=5_000)


class QueryIn(BaseModel):
    """What the contract manager asks about a return."""

    model_config = ConfigDict(extra="forbid")

    comment: str = Field(min_length=1, max_length=5_000)


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
    total: str | None = None
    alert_id: uuid.UUID | None
    alert_kind: str | None = None


class ReturnReceiptOut(BaseModel):
    """The return as recorded, with the assessments, alerts raised and alerts it resolved."""

    contract_id: uuid.UUID
    period: str
    version: int
    late: bool
    assessments: list[AssessmentOut]
    alerts: list[uuid.UUID]
    resolved_alerts: list[uuid.UUID]

    @classmethod
    def of(cls, receipt: ReturnReceipt) -> dict[str, Any]:
        """The JSON body for a receipt."""
        return cls.model_validate(receipt, from_attributes=True).model_dump(mode="json")


class CorroborationOut(BaseModel):
    """A delivery the VCFSE partner confirmed in brokerage: corroborated evidence."""

    delivery_id: uuid.UUID
    match_id: uuid.UUID
    partner: str = Field(description="the VCFSE organisation that received the support")
    quantity: str
    unit: str
    delivered_on: date
    confirmed_by: str = Field(description="the organisation that confirmed (VCFSE or its CVS)")
    confirmed_on: date


class ReturnLineOut(BaseModel):
    """One line of a return as recorded, with the partner-confirmed deliveries behind it."""

    obligation_id: uuid.UUID
    quantity: str
    narrative: str = ""
    case_study: str = ""
    beneficiaries: int | None = None
    places: list[str] = []
    evidence: list[str] = []
    corroborations: list[CorroborationOut] = []
    corroborated_quantity: str = Field(
        default="0",
        description="the confirmed deliveries in the quarter added up, in the obligation's unit",
    )


class ReturnOut(BaseModel):
    """A period's return: its current version, review status and every version before it."""

    contract_id: uuid.UUID
    period: str
    version: int
    status: str
    late: bool
    submitted_on: date
    due_on: date
    narrative: str
    lines: list[ReturnLineOut]
    history: list[dict[str, Any]]

    @classmethod
    def of(cls, read: ReturnRead, today: date) -> ReturnOut:
        """From the schedule aggregate and the return's corroborated evidence."""
        schedule, submitted = read.schedule, read.submitted
        return cls.model_validate(
            {
                "contract_id": schedule.contract_id,
                "period": submitted.period,
                "version": submitted.version,
                "status": schedule.period_status(submitted.period, today),
                "late": submitted.late,
                "submitted_on": submitted.submitted_on,
                "due_on": schedule.periods[submitted.period],
                "narrative": submitted.narrative,
                "lines": read.lines,
                "history": submitted.history,
            }
        )


class PeriodOut(BaseModel):
    """One reporting period of the contract."""

    period: str
    due_on: date
    status: str
    return_version: int | None


class ObligationScheduleOut(BaseModel):
    """One obligation's targets and its latest assessment."""

    obligation_id: uuid.UUID
    measure: str
    unit: str
    targets: dict[str, str]
    total: str
    latest: AssessmentOut | None


class ScheduleOut(BaseModel):
    """What is due when, and how the contract stands."""

    contract_id: uuid.UUID
    reference: str
    buyer: str
    supplier: str
    closed: str | None
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
                    "total": str(ob.total),
                    "latest": assessed[max(assessed)] if assessed else None,
                }
            )
        periods = [
            {
                "period": p,
                "due_on": due,
                "status": schedule.period_status(p, today),
                "return_version": r.version if (r := schedule.returns.get(p)) else None,
            }
            for p, due in schedule.periods.items()
        ]
        return cls.model_validate(
            {
                "contract_id": schedule.contract_id,
                "reference": schedule.reference,
                "buyer": schedule.buyer,
                "supplier": schedule.supplier,
                "closed": schedule.closed,
                "periods": periods,
                "obligations": obligations,
            }
        )


class ProgressOut(BaseModel):
    """An obligation's assessments period by period: how it has gone over time."""

    contract_id: uuid.UUID
    obligation_id: uuid.UUID
    assessments: list[AssessmentOut]


class CorroboratedEvidenceOut(BaseModel):
    """An obligation's partner-confirmed deliveries in one quarter."""

    obligation_id: uuid.UUID
    measure: str
    unit: str
    period: str
    corroborated_quantity: str
    corroborations: list[CorroborationOut]


class DueOut(BaseModel):
    """A return the supplier still owes (or must amend after a query)."""

    contract_id: uuid.UUID
    reference: str
    buyer: str
    period: str
    due_on: date
    status: str


def _receipt_headers(contract_id: uuid.UUID, body: dict[str, Any], version: int) -> dict[str, str]:
    return {"Location": f"/contracts/{contract_id}/returns/{body['period']}", **etag(version)}


@router.post(
    "/contracts/{contract_id}/returns",
    status_code=status.HTTP_201_CREATED,
    response_model=ReturnReceiptOut,
    summary="Submit a quarterly return",
)
async def post_return(
    contract_id: uuid.UUID,
    *,
    body: ReturnIn,
    supplier: SupplierDep,
    service: ServiceDep,
    if_match: IfMatch,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Report what was delivered in a period; it is assessed at once and shortfalls alerted."""

    async def submit() -> tuple[int, dict[str, Any]]:
        receipt = await submit_return(
            service.store,
            service.clock,
            service.thresholds,
            supplier=supplier,
            contract_id=contract_id,
            draft=body.draft(),
            if_match=if_match,
        )
        return 201, {**ReturnReceiptOut.of(receipt), "_version": receipt.schedule_version}

    # The request is fingerprinted only to tell a retry from a reuse of an Idempotency-Key.
    request = (
        None if key is None else {"contract_id": str(contract_id), **body.model_dump(mode="json")}
    )
    outcome = await service.runtime.idempotency.run(supplier.organisation, key, request, submit)
    version = outcome.body.pop("_version")
    return replayable(outcome, _receipt_headers(contract_id, outcome.body, version))


@router.post(
    "/contracts/{contract_id}/returns/upload",
    status_code=status.HTTP_201_CREATED,
    response_model=ReturnReceiptOut,
    summary="Submit a quarterly return as a CSV or XLSX file",
)
async def post_return_file(
    contract_id: uuid.UUID,
    *,
    supplier: SupplierDep,
    service: ServiceDep,
    file: Annotated[
        UploadFile, File(description="CSV or XLSX: obligation_id or measure, quantity")
    ],
    period: Annotated[str, Form(pattern=PERIOD)],
    narrative: Annotated[str, Form(max_length=20_000)] = "",
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Every row valid and the return is stored; any invalid row and nothing is, each named."""
    data = await file.read()

    async def submit() -> tuple[int, dict[str, Any]]:
        sheet = read_sheet(file.filename or "", file.content_type, data)
        receipt = await upload_return(
            service.store,
            service.clock,
            service.thresholds,
            supplier=supplier,
            contract_id=contract_id,
            sheet=sheet,
            period=period,
            narrative=narrative,
        )
        return 201, {**ReturnReceiptOut.of(receipt), "_version": receipt.schedule_version}

    request = {
        "contract_id": str(contract_id),
        "period": period,
        "narrative": narrative,
        "file": hashlib.sha256(data).hexdigest(),
    }
    outcome = await service.runtime.idempotency.run(supplier.organisation, key, request, submit)
    version = outcome.body.pop("_version")
    return replayable(outcome, _receipt_headers(contract_id, outcome.body, version))


@router.get("/contracts/{contract_id}/returns/{period}", summary="Read a return and its history")
async def get_return(
    contract_id: uuid.UUID,
    *,
    period: str,
    reader: CurrentPrincipal,
    service: ServiceDep,
    response: Response,
) -> ReturnOut:
    """The current version of a period's return, its review status, and every version."""
    read = await load_return(service.store, reader, contract_id, period)
    response.headers.update(etag(read.schedule.version))
    return ReturnOut.of(read, service.clock().date())


@router.put("/contracts/{contract_id}/returns/{period}", summary="Amend a return under review")
async def put_return(
    contract_id: uuid.UUID,
    *,
    period: str,
    body: RevisionIn,
    supplier: SupplierDep,
    service: ServiceDep,
    if_match: IfMatch,
    response: Response,
) -> ReturnReceiptOut:
    """Replace a return not yet accepted (to answer a query, say); earlier versions are kept."""
    receipt = await revise_return(
        service.store,
        service.clock,
        service.thresholds,
        supplier=supplier,
        contract_id=contract_id,
        draft=body.draft(period),
        correction=False,
        if_match=if_match,
    )
    response.headers.update(etag(receipt.schedule_version))
    return ReturnReceiptOut.model_validate(receipt, from_attributes=True)


@router.post(
    "/contracts/{contract_id}/returns/{period}/corrections",
    summary="Correct an accepted return, with a reason",
)
async def post_correction(
    contract_id: uuid.UUID,
    *,
    period: str,
    body: CorrectionIn,
    supplier: SupplierDep,
    service: ServiceDep,
    if_match: IfMatch,
    response: Response,
) -> ReturnReceiptOut:
    """A new version of an accepted return; it stays accepted and the reason is kept."""
    receipt = await revise_return(
        service.store,
        service.clock,
        service.thresholds,
        supplier=supplier,
        contract_id=contract_id,
        draft=body.draft(period),
        correction=True,
        if_match=if_match,
    )
    response.headers.update(etag(receipt.schedule_version))
    return ReturnReceiptOut.model_validate(receipt, from_attributes=True)


@router.post("/contracts/{contract_id}/returns/{period}/acceptance", summary="Accept a return")
async def post_acceptance(
    contract_id: uuid.UUID,
    *,
    period: str,
    buyer: BuyerDep,
    service: ServiceDep,
    if_match: IfMatch,
    response: Response,
) -> ReturnOut:
    """The contract manager accepts the current version; later changes need a correction."""
    await review_return(
        service.store,
        service.clock,
        buyer,
        contract_id=contract_id,
        period=period,
        query=None,
        if_match=if_match,
    )
    return await get_return(
        contract_id, period=period, reader=buyer, service=service, response=response
    )


@router.post("/contracts/{contract_id}/returns/{period}/queries", summary="Query a return")
async def post_query(
    contract_id: uuid.UUID,
    *,
    period: str,
    body: QueryIn,
    buyer: BuyerDep,
    service: ServiceDep,
    if_match: IfMatch,
    response: Response,
) -> ReturnOut:
    """The contract manager asks about a return; the supplier answers by amending it."""
    await review_return(
        service.store,
        service.clock,
        buyer,
        contract_id=contract_id,
        period=period,
        query=body.comment,
        if_match=if_match,
    )
    return await get_return(
        contract_id, period=period, reader=buyer, service=service, response=response
    )


@router.get(
    "/contracts/{contract_id}/schedule", summary="A contract's reporting periods and standing"
)
async def get_schedule(
    contract_id: uuid.UUID, reader: CurrentPrincipal, service: ServiceDep, response: Response
) -> ScheduleOut:
    """Every period with its due date and status, and each obligation's latest assessment."""
    schedule = await load_schedule(service.store, reader, contract_id)
    response.headers.update(etag(schedule.version))
    return ScheduleOut.of(schedule, service.clock().date())


@router.get(
    "/contracts/{contract_id}/obligations/{obligation_id}/progress",
    summary="An obligation's progress over time",
)
async def get_progress(
    contract_id: uuid.UUID,
    obligation_id: uuid.UUID,
    reader: CurrentPrincipal,
    service: ServiceDep,
    response: Response,
) -> ProgressOut:
    """Each assessed period: target, delivered, cumulative figures, ratio, status, forecast."""
    schedule = await load_schedule(service.store, reader, contract_id)
    response.headers.update(etag(schedule.version))
    assessments = obligation_progress(schedule, obligation_id)
    return ProgressOut.model_validate(
        {"contract_id": contract_id, "obligation_id": obligation_id, "assessments": assessments}
    )


@router.get(
    "/contracts/{contract_id}/corroborations",
    summary="A contract's evidence corroborated by VCFSE partners",
)
async def get_corroborations(
    contract_id: uuid.UUID,
    reader: CurrentPrincipal,
    service: ServiceDep,
    period: Annotated[str | None, Query(pattern=PERIOD, examples=["2026-27-Q1"])] = None,
) -> list[CorroboratedEvidenceOut]:
    """Deliveries the VCFSE partner confirmed, by obligation and quarter (one quarter, if
    given); disputed or unconfirmed deliveries never appear."""
    found = await contract_corroborations(service.store, reader, contract_id, period)
    return [CorroboratedEvidenceOut.model_validate(g) for g in found]


@router.get("/due", summary="What your organisation owes, by due date")
async def get_due(
    supplier: SupplierDep,
    service: ServiceDep,
    within_days: Annotated[int | None, Query(ge=0, le=3660, description="due by then")] = None,
) -> list[DueOut]:
    """Every return not yet submitted (or queried and awaiting amendment), soonest first."""
    due = await due_for(service.runtime.database, supplier, service.clock().date(), within_days)
    return [DueOut.model_validate(d) for d in due]
