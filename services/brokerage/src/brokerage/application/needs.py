"""Command handlers and queries for local needs analyses."""

from __future__ import annotations

from typing import Any

from svledger.auth import Principal
from svledger.errors import NotFound
from svledger.paging import Page

from brokerage.adapters.needs import search_needs
from brokerage.application.context import Context, expect_version
from brokerage.domain.needs import LocalNeeds, Need


async def publish_needs(
    ctx: Context, publisher: Principal, title: str, needs: list[Need], if_match: int | None
) -> LocalNeeds:
    """Publish the caller's local needs analysis, replacing its previous one."""
    stream = LocalNeeds.stream_id(publisher.organisation)
    event = LocalNeeds.publish(
        publisher.organisation, title, needs, today=ctx.today(), known_places=ctx.places
    )
    async with ctx.work(publisher) as work:
        analysis = LocalNeeds.rehydrate(await work.load(stream)) or LocalNeeds()
        expect_version(analysis.version, if_match, f"the local needs of {publisher.organisation}")
        analysis.record(event)
        await work.save(analysis, stream, [event])
    return analysis


async def get_needs(ctx: Context, publisher: str) -> LocalNeeds:
    """One publisher's current analysis."""
    analysis = LocalNeeds.rehydrate(await ctx.load(LocalNeeds.stream_id(publisher)))
    if analysis is None:
        raise NotFound(f"{publisher} has published no local needs analysis")
    return analysis


async def list_needs(
    ctx: Context, place: str | None, priority: str | None, page: Page
) -> list[dict[str, Any]]:
    """Every publisher's current needs, by place and priority."""
    async with ctx.reading() as conn:
        return await search_needs(conn, place=place, priority=priority, page=page)
