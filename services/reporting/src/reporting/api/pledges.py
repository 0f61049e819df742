"""Partner VCFSE routes: your organisation's pledge against what it delivered."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from reporting.api import tables
from reporting.api.dependencies import Export, ExportDep, MemberDep, ServiceDep
from reporting.api.rendering import EXPORTS, respond
from reporting.api.schemas import PledgeProgressOut
from reporting.application.reports import pledge_progress
from reporting.domain import pledge as pledge_rules

router = APIRouter(prefix="/partner-vcfse", tags=["partner vcfse"])


@router.get(
    "",
    summary="Your Partner VCFSE pledge against its actuals (?format=csv|xlsx to export)",
    description=pledge_rules.__doc__,
    response_model=PledgeProgressOut,
    responses=EXPORTS,
)
async def read_pledge_progress(
    member: MemberDep, service: ServiceDep, export: ExportDep = Export.JSON
) -> PledgeProgressOut | Response:
    """Each year and measure: target, actual from accepted returns and confirmed deliveries."""
    report = await pledge_progress(service, member)
    return await respond(export, report, PledgeProgressOut.of, tables.pledge)
