"""Partner VCFSE pledge routes: an organisation makes and revises its own pledge."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from svledger.quantities import figure
from svledger.web import CurrentPrincipal, IfMatch, PageDep, etag

from commitments.api.dependencies import ContextDep, PledgerDep
from commitments.api.schemas import Quantity, RuleWarningOut
from commitments.application.pledges import get_pledge, list_pledges, record_pledge
from commitments.domain.pledge import Pledge, PledgeTerms

router = APIRouter(prefix="/pledges", tags=["pledges"])


class PledgeIn(BaseModel):
    """A baseline per key measure (NT14 to NT17) for a base year, and targets for later years."""

    model_config = ConfigDict(extra="forbid")

    base_year: str = Field(examples=["2025-26"])
    baseline: dict[str, Quantity] = Field(examples=[{"NT14": "120000", "NT17": "800"}])
    targets: dict[str, dict[str, Quantity]] = Field(
        examples=[{"2026-27": {"NT14": "150000"}, "2027-28": {"NT14": "180000"}}]
    )
    reason: str = Field(default="", max_length=2000, description="why, when revising")

    def terms(self) -> PledgeTerms:
        """The domain's view."""
        return PledgeTerms(self.base_year, dict(self.baseline), dict(self.targets))


class PledgeRevisionOut(BaseModel):
    """The pledge as made or revised on one occasion."""

    base_year: str
    baseline: dict[str, str]
    targets: dict[str, dict[str, str]]
    recorded_on: date
    reason: str | None = None
    warnings: list[RuleWarningOut]


class PledgeOut(PledgeRevisionOut):
    """A pledge as it stands, with its history; ``version`` is also the ETag."""

    organisation: str
    version: int
    revision: int
    framework_version: str
    history: list[PledgeRevisionOut]

    @classmethod
    def of(cls, pledge: Pledge) -> PledgeOut:
        """From the pledge's state."""
        return cls.model_validate({**pledge.view(), "history": pledge.revisions})


class PledgeListedOut(BaseModel):
    """A pledge in a list."""

    organisation: str
    version: int
    revision: int
    base_year: str
    recorded_on: date
    baseline: dict[str, str]
    targets: dict[str, dict[str, str]]

    @classmethod
    def of(cls, row: dict[str, Any]) -> PledgeListedOut:
        """From a read-model row."""
        return cls.model_validate(
            {
                **row,
                "baseline": {m: figure(v) for m, v in row["baseline"].items()},
                "targets": {
                    y: {m: figure(v) for m, v in t.items()} for y, t in row["targets"].items()
                },
            }
        )


def _response(pledge: Pledge, code: int = 200) -> JSONResponse:
    body = PledgeOut.of(pledge).model_dump(mode="json")
    return JSONResponse(body, status_code=code, headers=etag(pledge.version))


@router.put("/{organisation}", response_model=PledgeOut, summary="Make or revise your pledge")
async def put_pledge(
    organisation: str, body: PledgeIn, actor: PledgerDep, ctx: ContextDep, version: IfMatch
) -> JSONResponse:
    """Make (201) or revise (200, with a reason) your organisation's Partner VCFSE pledge."""
    pledge, created = await record_pledge(
        ctx, actor, organisation, body.terms(), reason=body.reason, if_match=version
    )
    return _response(pledge, 201 if created else 200)


@router.get("", summary="List pledges")
async def read_pledges(
    reader: CurrentPrincipal, ctx: ContextDep, page: PageDep
) -> list[PledgeListedOut]:
    """Your organisation's pledge; every organisation's for an admin or auditor."""
    return [PledgeListedOut.of(r) for r in await list_pledges(ctx, reader, page)]


@router.get("/{organisation}", response_model=PledgeOut, summary="Read a pledge")
async def read_pledge(organisation: str, reader: CurrentPrincipal, ctx: ContextDep) -> JSONResponse:
    """A pledge with its history: your own, or any for an admin or auditor."""
    return _response(await get_pledge(ctx, reader, organisation))
