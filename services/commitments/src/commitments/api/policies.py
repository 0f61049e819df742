"""Social value policy routes: an organisation records its own; anyone signed in reads it."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from svledger.web import CurrentPrincipal, IfMatch, etag

from commitments.api.dependencies import ContextDep, PledgerDep
from commitments.application.policies import get_policy, record_policy
from commitments.domain.policy import Policy, PolicyTerms

router = APIRouter(prefix="/policies", tags=["policies"])


class PolicyIn(BaseModel):
    """Why social value matters to the organisation, and the outcomes and measures it puts first."""

    model_config = ConfigDict(extra="forbid")

    statement: str = Field(min_length=1, max_length=20_000)
    priority_outcomes: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(
        default_factory=list, max_length=50
    )
    priority_measures: list[Annotated[str, Field(min_length=1, max_length=20)]] = Field(
        default_factory=list, max_length=100
    )
    framework_version: str | None = None

    def terms(self) -> PolicyTerms:
        """The domain's view."""
        return PolicyTerms(self.statement, self.priority_outcomes, self.priority_measures)


class PolicyOut(BaseModel):
    """A policy as it stands; ``version`` is also the ETag."""

    organisation: str
    version: int
    statement: str
    priority_outcomes: list[str]
    priority_measures: list[str]
    framework_version: str
    recorded_on: date


def _response(policy: Policy, code: int = 200) -> JSONResponse:
    body: dict[str, Any] = PolicyOut.model_validate(policy.view()).model_dump(mode="json")
    return JSONResponse(body, status_code=code, headers=etag(policy.version))


@router.put("/{organisation}", response_model=PolicyOut, summary="Record your policy")
async def put_policy(
    organisation: str, body: PolicyIn, actor: PledgerDep, ctx: ContextDep, version: IfMatch
) -> JSONResponse:
    """Record (201) or revise (200) your organisation's social value policy."""
    policy, created = await record_policy(
        ctx,
        actor,
        organisation,
        body.terms(),
        framework_version=body.framework_version,
        if_match=version,
    )
    return _response(policy, 201 if created else 200)


@router.get("/{organisation}", response_model=PolicyOut, summary="Read a policy")
async def read_policy(
    organisation: str, _reader: CurrentPrincipal, ctx: ContextDep
) -> JSONResponse:
    """An organisation's public-facing social value policy."""
    return _response(await get_policy(ctx, organisation))
