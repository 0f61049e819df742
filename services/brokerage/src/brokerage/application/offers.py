"""Command handlers and queries for suppliers' offers."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from svledger.auth import Principal
from svledger.errors import NotFound, ValidationFailed
from svledger.paging import Page

from brokerage.adapters.directory import registered_places
from brokerage.adapters.obligations import obligation_of
from brokerage.adapters.offers import search_offers
from brokerage.application.context import Context, expect_version
from brokerage.domain.offer import Offer, OfferTerms


async def post_offer(ctx: Context, supplier: Principal, terms: OfferTerms) -> Offer:
    """Post what the caller's organisation can give; without places, where it registered."""
    offer_id = str(uuid.uuid4())
    async with ctx.work(supplier) as work:
        conn = work.tx.conn
        if terms.obligation_id is not None:
            owed = await obligation_of(conn, supplier.organisation, uuid.UUID(terms.obligation_id))
            if owed is None:
                raise ValidationFailed(
                    f"obligation {terms.obligation_id} is not one of yours",
                    field="obligation_id",
                )
            terms = replace(terms, contract_id=str(owed.contract_id))
        if not terms.places:
            known = await registered_places(conn, [supplier.organisation])
            places = sorted(known.get(supplier.organisation, frozenset()))
            terms = replace(terms, places=tuple(places))
        event = Offer.post(
            offer_id,
            supplier.organisation,
            terms,
            today=ctx.today(),
            known_places=ctx.places,
        )
        recorded = await work.append(Offer.stream_id(offer_id), 0, [event])
    return Offer.require(recorded, f"offer {offer_id}")


async def withdraw_offer(
    ctx: Context, supplier: Principal, offer_id: uuid.UUID, reason: str, if_match: int | None
) -> Offer:
    """Withdraw one of the caller's offers."""
    stream = Offer.stream_id(str(offer_id))
    async with ctx.work(supplier) as work:
        offer = Offer.rehydrate(await work.load(stream))
        if offer is None or offer.supplier != supplier.organisation:
            raise NotFound(f"offer {offer_id} was not found among your offers")
        expect_version(offer.version, if_match, f"offer {offer_id}")
        event = offer.withdraw(reason, ctx.today())
        await work.save(offer, stream, [event])
    return offer


async def get_offer(ctx: Context, offer_id: uuid.UUID) -> Offer:
    """One offer; offers are posted to be found, so anyone signed in may read one."""
    offer = Offer.rehydrate(await ctx.load(Offer.stream_id(str(offer_id))))
    if offer is None:
        raise NotFound(f"offer {offer_id} was not found")
    return offer


async def find_offers(
    ctx: Context,
    *,
    supplier: str | None,
    measure: str | None,
    place: str | None,
    status: str | None,
    page: Page,
) -> list[dict[str, Any]]:
    """Offers by supplier, measure, place and status."""
    async with ctx.reading() as conn:
        return await search_offers(
            conn,
            supplier=supplier,
            measure=measure,
            place=place,
            status=status,
            today=ctx.today(),
            page=page,
        )
