"""Progress routes: committed against delivered social value on one contract."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field
from svledger.quantities import optional_figure

from reporting.api import tables
from reporting.api.alerts import AlertOut
from reporting.api.dependencies import Export, ExportDep, PartyDep, ServiceDep
from reporting.api.rendering import EXPORTS, respond
from reporting.api.schemas import FreshnessOut
from reporting.application.reports import Reported, progress_report
from reporting.domain.progress import ContractProgress, ObligationProgress, SubmittedReturn

router = APIRouter(prefix="/contracts", tags=["progress"])


class ObligationProgressOut(BaseModel):
    """One obligation: what was committed, what is due by now, what was delivered."""

    obligation_id: str
    measure: str = Field(examples=["NT1"])
    theme: str | None
    outcome: str | None
    unit: str | None
    description: str | None
    is_kpi: bool | None
    committed_total: str | None = Field(description="the target over the whole contract")
    committed_to_date: str | None = Field(
        description="the target up to the last period assessed; null until assessed"
    )
    delivered_to_date: str | None = Field(description="delivered up to the last period assessed")
    ratio: str | None = Field(description="delivered over committed to date, e.g. 0.5")
    status: str | None = Field(examples=["green", "amber", "red"])
    last_period_assessed: str | None = Field(examples=["2026-27-Q1"])

    @classmethod
    def of(cls, ob: ObligationProgress) -> ObligationProgressOut:
        """From the read model."""
        return cls(
            obligation_id=ob.obligation_id,
            measure=ob.measure,
            theme=ob.theme,
            outcome=ob.outcome,
            unit=ob.unit,
            description=ob.description,
            is_kpi=ob.is_kpi,
            committed_total=optional_figure(ob.committed_total),
            committed_to_date=optional_figure(ob.committed_to_date),
            delivered_to_date=optional_figure(ob.delivered_to_date),
            ratio=optional_figure(ob.ratio),
            status=ob.status,
            last_period_assessed=ob.last_period_assessed,
        )


class ReturnOut(BaseModel):
    """A quarterly return that came in."""

    period: str = Field(examples=["2026-27-Q1"])
    late: bool
    submitted_at: datetime

    @classmethod
    def of(cls, submitted: SubmittedReturn) -> ReturnOut:
        """From the read model."""
        return cls(
            period=submitted.period, late=submitted.late, submitted_at=submitted.submitted_at
        )


class ContractProgressOut(BaseModel):
    """A contract's social value progress, as its buyer and supplier see it."""

    contract_id: str
    reference: str
    title: str
    buyer: str
    supplier: str
    starts_on: date
    ends_on: date
    value_gbp: str | None
    obligations: list[ObligationProgressOut]
    returns: list[ReturnOut] = Field(description="returns submitted so far, by period")
    open_alerts: list[AlertOut] = Field(
        description="open alerts on the contract's obligations (under-delivered, at risk)"
    )
    open_return_alerts: list[AlertOut] = Field(
        description="open alerts on the contract's returns (overdue)"
    )
    as_of: date
    freshness: FreshnessOut

    @classmethod
    def of(cls, report: Reported[ContractProgress]) -> ContractProgressOut:
        """From the read model."""
        progress = report.content
        contract = progress.contract
        return cls(
            contract_id=contract.contract_id,
            reference=contract.reference,
            title=contract.title,
            buyer=contract.buyer,
            supplier=contract.supplier,
            starts_on=contract.starts_on,
            ends_on=contract.ends_on,
            value_gbp=optional_figure(contract.value_gbp),
            obligations=[ObligationProgressOut.of(ob) for ob in progress.obligations],
            returns=[ReturnOut.of(r) for r in progress.returns],
            open_alerts=[AlertOut.of(a, report.as_of) for a in progress.open_alerts],
            open_return_alerts=[AlertOut.of(a, report.as_of) for a in progress.open_return_alerts],
            as_of=report.as_of,
            freshness=FreshnessOut.of(report.freshness),
        )


@router.get(
    "/{contract_id}/progress",
    summary="A contract's social value progress as measurement assessed it "
    "(?format=csv|xlsx to export)",
    response_model=ContractProgressOut,
    responses=EXPORTS,
)
async def read_contract_progress(
    contract_id: uuid.UUID, party: PartyDep, service: ServiceDep, export: ExportDep = Export.JSON
) -> ContractProgressOut | Response:
    """Committed against delivered on each obligation of your contract, with its open alerts."""
    report = await progress_report(service, party, contract_id)
    return await respond(export, report, ContractProgressOut.of, tables.progress)
