"""Return routes: late and overdue returns, and the stories returns tell."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from svledger.web import PageDep

from reporting.api import tables
from reporting.api.dependencies import Export, ExportDep, PartyDep, ServiceDep
from reporting.api.rendering import EXPORTS, respond
from reporting.api.schemas import LateReturnsOut, StoriesOut
from reporting.application.reports import late_returns_report, stories_report
from reporting.domain import returns as return_rules

router = APIRouter(tags=["returns"])


@router.get(
    "/returns/late",
    summary="Late and overdue returns on your contracts (?format=csv|xlsx to export)",
    description=return_rules.__doc__,
    response_model=LateReturnsOut,
    responses=EXPORTS,
)
async def read_late_returns(
    party: PartyDep, service: ServiceDep, export: ExportDep = Export.JSON
) -> LateReturnsOut | Response:
    """Quarters overdue without a return (most overdue first), then returns that came in late."""
    report = await late_returns_report(service, party)
    return await respond(export, report, LateReturnsOut.of, tables.late_returns)


@router.get(
    "/stories",
    summary="The stories and case studies from returns, a page at a time"
    " (?format=csv|xlsx exports them all)",
    response_model=StoriesOut,
    responses=EXPORTS,
)
async def read_stories(
    *,
    party: PartyDep,
    service: ServiceDep,
    page: PageDep,
    contract_id: Annotated[uuid.UUID | None, Query(description="one contract only")] = None,
    measure: Annotated[str | None, Query(description="one measure only, e.g. NT1")] = None,
    accepted_only: Annotated[bool, Query(description="only from accepted returns")] = False,
    export: ExportDep = Export.JSON,
) -> StoriesOut | Response:
    """Narratives, case studies, beneficiaries and places, newest quarter first: ``limit``
    of them after ``offset`` as JSON, every one as a CSV or XLSX file."""
    report = await stories_report(
        service,
        party,
        contract_id=contract_id,
        measure=measure,
        accepted_only=accepted_only,
        page=page if export is Export.JSON else None,
    )
    return await respond(export, report, StoriesOut.of, tables.stories)
