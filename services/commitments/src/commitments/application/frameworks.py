"""Command handlers and queries for measurement frameworks and their proxy values."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from svledger.auth import Principal
from svledger.errors import FieldProblem, ValidationFailed

from commitments.adapters.spreadsheets import Row
from commitments.application.context import Context, expect_version
from commitments.application.rows import RowReader, refuse_rows
from commitments.domain.framework import FrameworkVersion, Locate, Measure, ProxyValue


@dataclass(frozen=True, slots=True)
class FrameworkListing:
    """A framework version in the list: whether it is the default, and what it holds."""

    version: FrameworkVersion
    is_default: bool


async def list_frameworks(ctx: Context) -> list[FrameworkListing]:
    """The built-in default first, then every published version."""
    listed = [ctx.frameworks.default_version]
    listed += [r["version"] for r in await ctx.read_models.framework_versions()]
    return [
        FrameworkListing(await ctx.frameworks.require(ctx.load, v), v == listed[0]) for v in listed
    ]


async def get_framework(ctx: Context, version: str) -> FrameworkVersion:
    """One framework version as it stands."""
    return await ctx.frameworks.require(ctx.load, version)


async def publish_framework(
    ctx: Context, admin: Principal, version: str, title: str, measures: list[Measure]
) -> FrameworkVersion:
    """Publish a new framework version from a JSON list of measures."""
    return await _publish(
        ctx, admin, version, title, measures, locate=lambda i, c: f"measures.{i}.{c}"
    )


async def publish_framework_table(
    ctx: Context, admin: Principal, version: str, title: str, rows: list[Row]
) -> FrameworkVersion:
    """Publish a new version from a table: theme, outcome, code, measure, unit columns."""
    problems: list[FieldProblem] = []
    measures = []
    for row in rows:
        cells = RowReader(row, problems)
        unit_column = "unit" if "unit" in row.cells else "suggested_unit"
        measures.append(
            Measure(
                code=cells.text("code", max_length=20),
                theme=cells.text("theme"),
                outcome=cells.text("outcome"),
                wording=cells.text("measure", max_length=2000),
                unit=cells.text(unit_column, max_length=100),
                partner_vcfse_key=cells.flag("partner_vcfse_key_measure"),
            )
        )
    numbers = [r.number for r in rows]
    try:
        FrameworkVersion.publish(
            version, title, measures, ctx.today(), lambda i, c: f"rows.{numbers[i]}.{c}"
        )
    except ValidationFailed as exc:
        refuse_rows(problems, exc.errors)
    refuse_rows(problems)
    return await _publish(
        ctx, admin, version, title, measures, locate=lambda i, c: f"rows.{numbers[i]}.{c}"
    )


async def _publish(
    ctx: Context,
    admin: Principal,
    version: str,
    title: str,
    measures: list[Measure],
    *,
    locate: Locate,
) -> FrameworkVersion:
    event = FrameworkVersion.publish(version, title, measures, ctx.today(), locate)
    async with ctx.work(admin) as work:
        existing = await ctx.frameworks.find(work.load, version)
        if existing is not None:
            existing.refuse_republishing()
        recorded = await work.append(FrameworkVersion.stream_id(version), 0, [event])
    published = FrameworkVersion.rehydrate(recorded)
    assert published is not None
    return published


async def correct_unit(
    ctx: Context,
    admin: Principal,
    version: str,
    code: str,
    *,
    unit: str,
    reason: str,
    if_match: int | None,
) -> FrameworkVersion:
    """Correct the unit a measure of ``version`` is counted in."""
    async with ctx.work(admin) as work:
        framework = await ctx.frameworks.require(work.load, version)
        if code not in framework.framework.measures:
            raise ValidationFailed(
                f"'{code}' is not a measure of framework {version}", field="code"
            )
        expect_version(framework.version, if_match, f"framework {version}")
        await work.save(
            framework,
            FrameworkVersion.stream_id(version),
            [framework.correct_unit(code, unit, reason)],
        )
    return framework


async def load_proxy_values(
    ctx: Context, admin: Principal, version: str, rows: list[Row], if_match: int | None
) -> FrameworkVersion:
    """Load a proxy-value table (code, unit, gbp_per_unit, source, year) for ``version``."""
    problems: list[FieldProblem] = []
    values = []
    for row in rows:
        cells = RowReader(row, problems)
        values.append(
            ProxyValue(
                code=cells.text("code", max_length=20),
                unit=cells.text("unit", max_length=100),
                gbp_per_unit=cells.quantity("gbp_per_unit") or Decimal(0),
                source=cells.text("source", max_length=500),
                year=cells.text("year", max_length=7),
            )
        )
    numbers = [r.number for r in rows]
    async with ctx.work(admin) as work:
        framework = await ctx.frameworks.require(work.load, version)
        expect_version(framework.version, if_match, f"framework {version}")
        try:
            event = framework.load_proxy_values(
                values, lambda i, c: f"rows.{numbers[i]}.{c}", ctx.today()
            )
        except ValidationFailed as exc:
            refuse_rows(problems, exc.errors)
            raise
        refuse_rows(problems)
        await work.save(framework, FrameworkVersion.stream_id(version), [event])
    return framework
