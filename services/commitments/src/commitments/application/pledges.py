"""Command handlers and queries for Partner VCFSE pledges."""

from __future__ import annotations

from typing import Any

from svledger.auth import Principal, Role
from svledger.errors import Forbidden, NotFound
from svledger.paging import Page

from commitments.application.context import Context, expect_version
from commitments.domain.pledge import Pledge, PledgeTerms

# Who may read every organisation's pledge, not just their own.
OVERSEERS = (Role.ADMIN, Role.AUDITOR)


async def record_pledge(
    ctx: Context,
    actor: Principal,
    organisation: str,
    terms: PledgeTerms,
    *,
    reason: str,
    if_match: int | None,
) -> tuple[Pledge, bool]:
    """Make the caller's pledge, or revise it (with a reason); True when it is the first."""
    if organisation != actor.organisation:
        raise Forbidden("an organisation makes only its own Partner VCFSE pledge")
    framework = await ctx.frameworks.pinned(ctx.load, None, "framework_version")
    async with ctx.work(actor) as work:
        stream = Pledge.stream_id(organisation)
        current = Pledge.rehydrate(await work.load(stream))
        expect_version(0 if current is None else current.version, if_match, "the pledge")
        if current is None:
            pledge = Pledge()
            event = pledge.record(Pledge.record_new(organisation, terms, framework, ctx.today()))
        else:
            pledge = current
            event = pledge.revise(terms, reason, framework, ctx.today())
        await work.save(pledge, stream, [event])
    return pledge, current is None


async def get_pledge(ctx: Context, reader: Principal, organisation: str) -> Pledge:
    """An organisation's pledge with its history: its own, or any to an admin or auditor."""
    pledge = None
    if organisation == reader.organisation or reader.has(*OVERSEERS):
        pledge = Pledge.rehydrate(await ctx.load(Pledge.stream_id(organisation)))
    if pledge is None:
        raise NotFound(f"no Partner VCFSE pledge of {organisation} was found")
    return pledge


async def list_pledges(ctx: Context, reader: Principal, page: Page) -> list[dict[str, Any]]:
    """The caller's pledge; every pledge for an admin or auditor."""
    scope = None if reader.has(*OVERSEERS) else reader.organisation
    return await ctx.read_models.pledges(scope, page)
