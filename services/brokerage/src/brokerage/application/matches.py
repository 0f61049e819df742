"""Command handlers and queries for matches: propose, accept, decline, record deliveries, and
confirm or dispute them."""

from __future__ import annotations

import uuid
from dataclasses import replace
from decimal import Decimal
from typing import Any

from svledger.auth import Principal, Role
from svledger.errors import Conflict, Forbidden, NotFound, ValidationFailed
from svledger.paging import Page

from brokerage.adapters.asks import search_asks
from brokerage.adapters.capabilities import market
from brokerage.adapters.directory import groups_registered_by
from brokerage.adapters.matches import asks_in_live_matches, matches_of
from brokerage.adapters.obligations import obligation_of
from brokerage.adapters.unit_of_work import UnitOfWork
from brokerage.application.context import Context, expect_version
from brokerage.application.parties import speaks_for
from brokerage.domain.ask import Ask
from brokerage.domain.match import Delivery, Match, Side
from brokerage.domain.matching import assess
from brokerage.domain.offer import Offer, OfferStatus


async def propose_match(
    ctx: Context,
    caller: Principal,
    ask_id: uuid.UUID,
    *,
    supplier: str | None,
    offer_id: uuid.UUID | None,
    obligation_id: uuid.UUID | None,
) -> Match:
    """Propose a supplier for an ask: a supplier proposes itself, the VCFSE (or its CVS) a
    supplier of its choosing. The proposing side has accepted by proposing."""
    match_id = str(uuid.uuid4())
    async with ctx.work(caller) as work:
        conn = work.tx.conn
        ask = Ask.require(await work.load(Ask.stream_id(str(ask_id))), f"ask {ask_id}")
        if not ask.status.matchable:
            raise Conflict(f"ask {ask_id} is {ask.status.value}; it takes no more matches")
        offer = None
        if offer_id is not None:
            offer = Offer.rehydrate(await work.load(Offer.stream_id(str(offer_id))))
        side, supplier = await _proposer(work, caller, ask, supplier, offer)
        if offer_id is not None and (
            offer is None or offer.supplier != supplier or offer.status is not OfferStatus.OPEN
        ):
            raise ValidationFailed(f"not an open offer of {supplier}", field="offer_id")
        if obligation_id is not None and await obligation_of(conn, supplier, obligation_id) is None:
            raise ValidationFailed(f"not an obligation of {supplier}", field="obligation_id")
        if str(ask_id) in await asks_in_live_matches(conn, supplier):
            raise Conflict(f"{supplier} is already proposed for or matched with this ask")
        found = await market(conn, ctx.today(), supplier=supplier)
        suggestion = assess(
            ask.facts(),
            supplier,
            found.capabilities,
            found.behind,
            found.needs,
            registered_places=found.places_of(supplier),
            obligation_id=None if obligation_id is None else str(obligation_id),
        )
        if offer_id is not None:
            suggestion = replace(suggestion, offer_id=str(offer_id))
        match = Match()
        events = [
            match.record(
                Match.propose(
                    match_id, suggestion, proposed_by=caller.organisation, today=ctx.today()
                )
            ),
            match.accept(side, caller.organisation, ctx.today()),
        ]
        await work.save(match, Match.stream_id(match_id), events)
    return match


async def _proposer(
    work: UnitOfWork, caller: Principal, ask: Ask, supplier: str | None, offer: Offer | None
) -> tuple[Side, str]:
    """The side proposing, and the supplier proposed."""
    if await speaks_for(work.tx.conn, caller, ask.vcfse):
        named = supplier or (offer.supplier if offer else None)
        if named is None:
            raise ValidationFailed("name the supplier you propose", field="supplier")
        return Side.VCFSE, named
    if caller.has(Role.SUPPLIER):
        if supplier not in (None, caller.organisation):
            raise Forbidden("a supplier proposes matches for its own organisation only")
        return Side.SUPPLIER, caller.organisation
    raise Forbidden("only the ask's VCFSE (or its CVS) or a supplier proposes a match")


async def accept_match(
    ctx: Context, caller: Principal, match_id: uuid.UUID, if_match: int | None
) -> Match:
    """Accept a match for the caller's side."""
    async with ctx.work(caller) as work:
        match, side = await _party(work, caller, match_id, "accepts", if_match)
        event = match.accept(side, caller.organisation, ctx.today())
        await work.save(match, Match.stream_id(str(match_id)), [event])
    return match


async def decline_match(
    ctx: Context, caller: Principal, match_id: uuid.UUID, reason: str, if_match: int | None
) -> Match:
    """Decline a match for the caller's side, saying why."""
    async with ctx.work(caller) as work:
        match, side = await _party(work, caller, match_id, "declines", if_match)
        event = match.decline(side, caller.organisation, reason, ctx.today())
        await work.save(match, Match.stream_id(str(match_id)), [event])
    return match


async def record_delivery(
    ctx: Context,
    supplier: Principal,
    match_id: uuid.UUID,
    delivery: Delivery,
    if_match: int | None,
) -> tuple[Match, str]:
    """The supplier records support it delivered through an accepted match."""
    delivery_id = str(uuid.uuid4())
    async with ctx.work(supplier) as work:
        match = await _as_side(work, supplier, match_id, Side.SUPPLIER, if_match)
        event = match.record_delivery(delivery_id, delivery, ctx.today())
        await work.save(match, Match.stream_id(str(match_id)), [event])
    return match, delivery_id


async def confirm_delivery(
    ctx: Context,
    vcfse: Principal,
    match_id: uuid.UUID,
    delivery_id: uuid.UUID,
    if_match: int | None,
) -> Match:
    """The VCFSE confirms a delivery: corroborated evidence for measurement, and the ask it
    answers fills by as much (when in the ask's unit)."""
    async with ctx.work(vcfse) as work:
        match = await _as_side(work, vcfse, match_id, Side.VCFSE, if_match)
        event = match.confirm_delivery(str(delivery_id), vcfse.organisation, ctx.today())
        await work.save(match, Match.stream_id(str(match_id)), [event])
        ask_id = match.data.get("ask_id")
        if ask_id is not None:
            ask_stream = Ask.stream_id(ask_id)
            ask = Ask.rehydrate(await work.load(ask_stream))
            quantity = Decimal(event.data["quantity"])
            fill = (
                None
                if ask is None
                else ask.fill(str(match_id), str(delivery_id), quantity, event.data["unit"])
            )
            if ask is not None and fill is not None:
                await work.save(ask, ask_stream, [fill])
    return match


async def dispute_delivery(
    ctx: Context,
    vcfse: Principal,
    match_id: uuid.UUID,
    delivery_id: uuid.UUID,
    *,
    reason: str,
    if_match: int | None,
) -> Match:
    """The VCFSE disputes a delivery: it never counts as corroborated."""
    async with ctx.work(vcfse) as work:
        match = await _as_side(work, vcfse, match_id, Side.VCFSE, if_match)
        event = match.dispute_delivery(str(delivery_id), reason, vcfse.organisation, ctx.today())
        await work.save(match, Match.stream_id(str(match_id)), [event])
    return match


async def get_match(ctx: Context, reader: Principal, match_id: uuid.UUID) -> Match:
    """A match the caller is party to (supplier, VCFSE or its CVS, or the contract's buyer)."""
    match = Match.rehydrate(await ctx.load(Match.stream_id(str(match_id))))
    async with ctx.reading() as conn:
        visible = match is not None and (
            reader.organisation in (match.supplier, match.buyer)
            or await speaks_for(conn, reader, match.vcfse)
        )
    if match is None or not visible:
        raise NotFound(f"match {match_id} was not found among your matches")
    return match


async def list_matches(
    ctx: Context, reader: Principal, status: str | None, page: Page
) -> list[dict[str, Any]]:
    """Matches the caller's organisation is party to, and those of groups its CVS speaks for."""
    async with ctx.reading() as conn:
        parties = [reader.organisation]
        if reader.has(Role.CVS):
            parties += await groups_registered_by(conn, reader.organisation)
        return await matches_of(conn, parties, status=status, page=page)


async def board(ctx: Context, reader: Principal, vcfse: str | None) -> dict[str, Any]:
    """A VCFSE's board: its asks (soonest needed first) and its matches with deliveries."""
    vcfse = vcfse or reader.organisation
    async with ctx.reading() as conn:
        if not await speaks_for(conn, reader, vcfse):
            raise NotFound(f"{vcfse} was not found among the organisations you speak for")
        return {
            "organisation": vcfse,
            "asks": await search_asks(conn, vcfse=vcfse),
            "matches": await matches_of(conn, [vcfse]),
        }


async def _party(
    work: UnitOfWork, caller: Principal, match_id: uuid.UUID, action: str, if_match: int | None
) -> tuple[Match, Side]:
    """The match and the caller's side of it: 404 to outsiders, 403 to the buyer."""
    match = Match.rehydrate(await work.load(Match.stream_id(str(match_id))))
    side = None if match is None else await _side(work, caller, match)
    if match is None or (side is None and caller.organisation != match.buyer):
        raise NotFound(f"match {match_id} was not found among your matches")
    if side is None:
        raise Forbidden(f"only the supplier or the VCFSE {action} a match")
    expect_version(match.version, if_match, f"match {match_id}")
    return match, side


async def _as_side(
    work: UnitOfWork, caller: Principal, match_id: uuid.UUID, wanted: Side, if_match: int | None
) -> Match:
    match, side = await _party(work, caller, match_id, f"acts as the {wanted.value} on", if_match)
    if side is not wanted:
        raise Forbidden(f"only the {wanted.value} of the match does this")
    return match


async def _side(work: UnitOfWork, caller: Principal, match: Match) -> Side | None:
    if caller.organisation == match.supplier and caller.has(Role.SUPPLIER):
        return Side.SUPPLIER
    if await speaks_for(work.tx.conn, caller, match.vcfse):
        return Side.VCFSE
    return None
