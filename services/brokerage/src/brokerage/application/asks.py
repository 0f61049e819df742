"""Command handlers and queries for asks."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from svledger.auth import Principal
from svledger.errors import Conflict, Forbidden, NotFound
from svledger.paging import Page

from brokerage.adapters.asks import search_asks
from brokerage.adapters.directory import organisation_row
from brokerage.adapters.unit_of_work import UnitOfWork
from brokerage.application.context import Context, expect_version
from brokerage.application.parties import speaks_for
from brokerage.domain.ask import Ask, AskTerms, CloseReason


async def post_ask(ctx: Context, caller: Principal, vcfse: str | None, terms: AskTerms) -> Ask:
    """Post an ask for the caller's VCFSE, or (for a CVS) for a group it registered.

    Without outcomes, the ask serves the outcomes the VCFSE registered.
    """
    vcfse = vcfse or caller.organisation
    ask_id = str(uuid.uuid4())
    async with ctx.work(caller) as work:
        conn = work.tx.conn
        if not await speaks_for(conn, caller, vcfse):
            raise Forbidden("post asks for your own VCFSE, or as a CVS for a group you registered")
        organisation = await organisation_row(conn, vcfse)
        if organisation is None or organisation["kind"] != "vcfse":
            raise Conflict(f"register {vcfse} in the directory as a VCFSE before posting asks")
        if not terms.outcomes:
            terms = replace(terms, outcomes=tuple(organisation["outcomes"]))
        event = Ask.post(
            ask_id,
            vcfse,
            terms,
            posted_by=caller.organisation,
            today=ctx.today(),
            known_places=ctx.places,
        )
        recorded = await work.append(Ask.stream_id(ask_id), 0, [event])
    return Ask.require(recorded, f"ask {ask_id}")


async def update_ask(
    ctx: Context,
    caller: Principal,
    ask_id: uuid.UUID,
    changes: dict[str, Any],
    if_match: int | None,
) -> Ask:
    """Change an ask's terms: only what is given changes."""
    async with ctx.work(caller) as work:
        ask = await _own_ask(work, caller, ask_id)
        expect_version(ask.version, if_match, f"ask {ask_id}")
        terms = replace(ask.current, **changes)
        event = ask.update(terms, today=ctx.today(), known_places=ctx.places)
        await work.save(ask, Ask.stream_id(str(ask_id)), [event])
    return ask


async def close_ask(
    ctx: Context,
    caller: Principal,
    ask_id: uuid.UUID,
    *,
    reason: CloseReason,
    note: str,
    if_match: int | None,
) -> Ask:
    """Close an ask: it is no longer offered to suppliers."""
    async with ctx.work(caller) as work:
        ask = await _own_ask(work, caller, ask_id)
        expect_version(ask.version, if_match, f"ask {ask_id}")
        event = ask.close(reason, note, ctx.today())
        await work.save(ask, Ask.stream_id(str(ask_id)), [event])
    return ask


async def get_ask(ctx: Context, ask_id: uuid.UUID) -> Ask:
    """One ask; asks are posted to be found, so anyone signed in may read one."""
    ask = Ask.rehydrate(await ctx.load(Ask.stream_id(str(ask_id))))
    if ask is None:
        raise NotFound(f"ask {ask_id} was not found")
    return ask


async def find_asks(
    ctx: Context,
    *,
    place: str | None,
    measure: str | None,
    kind: str | None,
    status: str | None,
    page: Page,
) -> list[dict[str, Any]]:
    """Asks by place, measure, kind and status."""
    async with ctx.reading() as conn:
        return await search_asks(
            conn, place=place, measure=measure, kind=kind, status=status, page=page
        )


async def _own_ask(work: UnitOfWork, caller: Principal, ask_id: uuid.UUID) -> Ask:
    ask = Ask.rehydrate(await work.load(Ask.stream_id(str(ask_id))))
    if ask is None or not await speaks_for(work.tx.conn, caller, ask.vcfse):
        raise NotFound(f"ask {ask_id} was not found among the asks you speak for")
    return ask
