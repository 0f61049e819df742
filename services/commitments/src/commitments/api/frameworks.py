"""Framework routes: read versions and measures (everyone); publish versions, correct units
and load proxy-value tables (administrators)."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from svledger.web import CurrentPrincipal, IdempotencyKey, IfMatch, etag, replayable

from commitments.adapters.spreadsheets import read_table
from commitments.api.dependencies import AdminDep, ContextDep, ServiceDep
from commitments.application.frameworks import (
    correct_unit,
    get_framework,
    list_frameworks,
    load_proxy_values,
    publish_framework,
    publish_framework_table,
)
from commitments.domain.framework import FrameworkVersion, Measure

router = APIRouter(prefix="/frameworks", tags=["frameworks"])

Text = Annotated[str, Field(min_length=1, max_length=300)]


class MeasureIn(BaseModel):
    """One measure of a framework version being published."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=20, examples=["NT1"])
    theme: Text
    outcome: Text
    measure: str = Field(min_length=1, max_length=2000, description="the measure's wording")
    unit: str = Field(min_length=1, max_length=100, examples=["FTE"])
    partner_vcfse_key: bool = False


class FrameworkIn(BaseModel):
    """A new framework version: its id, title and measures."""

    model_config = ConfigDict(extra="forbid")

    version: str = Field(min_length=1, max_length=60, examples=["national-toms-2026"])
    title: Text
    measures: list[MeasureIn] = Field(min_length=1, max_length=2000)

    def domain_measures(self) -> list[Measure]:
        """The domain's view."""
        return [
            Measure(m.code, m.theme, m.outcome, m.measure, m.unit, m.partner_vcfse_key)
            for m in self.measures
        ]


class UnitCorrectionIn(BaseModel):
    """The unit a measure is really counted in, and why it changes."""

    model_config = ConfigDict(extra="forbid")

    unit: str = Field(min_length=1, max_length=100)
    reason: str = Field(min_length=1, max_length=2000)


class ProxyValueOut(BaseModel):
    """GBP of social value per unit of a measure, with its source."""

    code: str
    unit: str
    gbp_per_unit: str
    source: str
    year: str


class MeasureOut(BaseModel):
    """A measure, with its proxy value where one is loaded."""

    code: str
    theme: str
    outcome: str
    wording: str
    unit: str
    partner_vcfse_key: bool
    proxy_value: ProxyValueOut | None


class OutcomeOut(BaseModel):
    """An outcome and the codes of its measures."""

    outcome: str
    measures: list[str]


class ThemeOut(BaseModel):
    """A theme and its outcomes."""

    theme: str
    outcomes: list[OutcomeOut]


class FrameworkSummaryOut(BaseModel):
    """A framework version in the list."""

    version: str
    title: str
    is_default: bool
    measure_count: int
    proxy_value_count: int
    stream_version: int


class FrameworkOut(FrameworkSummaryOut):
    """A framework version: themes, their outcomes, and the measures serving each."""

    themes: list[ThemeOut]

    @classmethod
    def of(cls, framework: FrameworkVersion, is_default: bool) -> FrameworkOut:
        """From the version's state."""
        f = framework.framework
        themes: dict[str, dict[str, list[str]]] = {}
        for m in f.measures.values():
            themes.setdefault(m.theme, {}).setdefault(m.outcome, []).append(m.code)
        return cls(
            **_summary(framework, is_default),
            themes=[
                ThemeOut(
                    theme=t,
                    outcomes=[OutcomeOut(outcome=o, measures=ms) for o, ms in outcomes.items()],
                )
                for t, outcomes in themes.items()
            ],
        )


def _summary(framework: FrameworkVersion, is_default: bool) -> dict[str, Any]:
    f = framework.framework
    return {
        "version": f.version,
        "title": f.title,
        "is_default": is_default,
        "measure_count": len(f.measures),
        "proxy_value_count": len(f.proxy_values),
        "stream_version": framework.version,
    }


def _measures(framework: FrameworkVersion) -> list[MeasureOut]:
    f = framework.framework
    return [
        MeasureOut(
            **m.as_json(),
            proxy_value=(
                None
                if m.code not in f.proxy_values
                else ProxyValueOut(**f.proxy_values[m.code].as_json())
            ),
        )
        for m in f.measures.values()
    ]


def _framework_response(
    ctx_default: str, framework: FrameworkVersion, code: int = 200
) -> JSONResponse:
    body = FrameworkOut.of(framework, framework.framework.version == ctx_default)
    return JSONResponse(
        body.model_dump(mode="json"), status_code=code, headers=etag(framework.version)
    )


@router.get("", summary="List framework versions")
async def read_frameworks(_reader: CurrentPrincipal, ctx: ContextDep) -> list[FrameworkSummaryOut]:
    """The default (Cheshire and Merseyside TOMs) first, then published versions."""
    listed = await list_frameworks(ctx)
    return [FrameworkSummaryOut(**_summary(f.version, f.is_default)) for f in listed]


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=FrameworkOut, summary="Publish"
)
async def post_framework(
    body: FrameworkIn, admin: AdminDep, service: ServiceDep, key: IdempotencyKey = None
) -> JSONResponse:
    """Publish a new framework version from its measures (JSON)."""
    ctx = service.context

    async def publish() -> tuple[int, dict[str, Any]]:
        published = await publish_framework(
            ctx, admin, body.version, body.title, body.domain_measures()
        )
        return 201, FrameworkOut.of(published, False).model_dump(mode="json")

    outcome = await service.runtime.idempotency.run(
        admin.organisation, key, body.model_dump(mode="json"), publish
    )
    return replayable(outcome, {"Location": f"/frameworks/{outcome.body['version']}"})


@router.post(
    "/uploads",
    status_code=status.HTTP_201_CREATED,
    response_model=FrameworkOut,
    summary="Publish a framework version from a CSV or XLSX table",
)
async def post_framework_table(
    *,
    version: Annotated[str, Form(min_length=1, max_length=60)],
    title: Annotated[str, Form(min_length=1, max_length=300)],
    file: Annotated[UploadFile, File(description="theme, outcome, code, measure, unit columns")],
    admin: AdminDep,
    service: ServiceDep,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Columns: theme, outcome, code, measure, unit (or suggested_unit), and optionally
    partner_vcfse_key_measure (yes/no). Any bad row stores nothing; each is named."""
    content = await file.read()

    async def publish() -> tuple[int, dict[str, Any]]:
        rows = read_table(file.filename or "", content)
        published = await publish_framework_table(service.context, admin, version, title, rows)
        return 201, FrameworkOut.of(published, False).model_dump(mode="json")

    fingerprint = {"version": version, "title": title, "file": hashlib.sha256(content).hexdigest()}
    outcome = await service.runtime.idempotency.run(admin.organisation, key, fingerprint, publish)
    return replayable(outcome, {"Location": f"/frameworks/{version}"})


@router.get("/{version}", summary="Read a framework version")
async def read_framework(version: str, _reader: CurrentPrincipal, ctx: ContextDep) -> JSONResponse:
    """Its themes, outcomes and measure codes; ETag is its stream version."""
    framework = await get_framework(ctx, version)
    return _framework_response(ctx.frameworks.default_version, framework)


@router.get("/{version}/measures", summary="List a version's measures")
async def read_measures(
    version: str,
    _reader: CurrentPrincipal,
    ctx: ContextDep,
    theme: Annotated[str | None, Query(description="only this theme")] = None,
    outcome: Annotated[str | None, Query(description="only this outcome")] = None,
) -> list[MeasureOut]:
    """Measures with units and any proxy values, filtered by theme and outcome."""
    measures = _measures(await get_framework(ctx, version))
    return [
        m
        for m in measures
        if (theme is None or m.theme == theme) and (outcome is None or m.outcome == outcome)
    ]


@router.patch("/{version}/measures/{code}", response_model=FrameworkOut, summary="Correct a unit")
async def patch_measure(
    version: str,
    code: str,
    body: UnitCorrectionIn,
    *,
    admin: AdminDep,
    ctx: ContextDep,
    expected: IfMatch,
) -> JSONResponse:
    """Correct the unit a measure is counted in (commitments already made keep theirs)."""
    framework = await correct_unit(
        ctx, admin, version, code, unit=body.unit, reason=body.reason, if_match=expected
    )
    return _framework_response(ctx.frameworks.default_version, framework)


@router.get("/{version}/proxy-values", summary="Read a version's proxy values")
async def read_proxy_values(
    version: str, _reader: CurrentPrincipal, ctx: ContextDep
) -> list[ProxyValueOut]:
    """GBP per unit per measure; empty where none are loaded (everything reports in units)."""
    framework = await get_framework(ctx, version)
    return [ProxyValueOut(**p.as_json()) for p in framework.framework.proxy_values.values()]


@router.put("/{version}/proxy-values", response_model=FrameworkOut, summary="Load proxy values")
async def put_proxy_values(
    version: str,
    file: Annotated[UploadFile, File(description="code, unit, gbp_per_unit, source, year")],
    admin: AdminDep,
    ctx: ContextDep,
    expected: IfMatch,
) -> JSONResponse:
    """Replace the version's proxy-value table; any bad row stores nothing, each is named."""
    rows = read_table(file.filename or "", await file.read())
    framework = await load_proxy_values(ctx, admin, version, rows, expected)
    return _framework_response(ctx.frameworks.default_version, framework)
