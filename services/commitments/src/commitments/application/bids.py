"""Command handlers and queries for bids: submit, revise, withdraw, and who may read them.

A supplier sees only its own bids; the buyer sees a tender's bids once the tender has closed.
Every change to a bid is also noted on its tender's stream, in the same transaction, so a bid
cannot slip in as the tender closes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from svledger.auth import Principal
from svledger.errors import Conflict, NotFound
from svledger.paging import Page

from commitments.application.context import Context, expect_version
from commitments.domain.bid import Bid, OfferTerms
from commitments.domain.tender import Tender, TenderStatus


@dataclass(frozen=True, slots=True)
class BidOnTender:
    """A bid with the tender it was made to (its outcome depends on the tender)."""

    bid: Bid
    tender: Tender

    @property
    def outcome(self) -> str:
        """submitted, withdrawn, awarded, unsuccessful or cancelled (the tender was)."""
        if self.bid.status.value == "withdrawn":
            return "withdrawn"
        if self.tender.status is TenderStatus.AWARDED:
            awarded = self.tender.award or {}
            return "awarded" if awarded.get("bid_id") == self.bid.bid_id else "unsuccessful"
        if self.tender.status is TenderStatus.CANCELLED:
            return "cancelled"
        return "submitted"

    @property
    def evaluation(self) -> dict[str, Any] | None:
        """The buyer's evaluation, once there is one."""
        return self.tender.evaluations.get(self.bid.bid_id)


async def submit_bid(
    ctx: Context, supplier: Principal, tender_id: uuid.UUID, offer: OfferTerms
) -> BidOnTender:
    """Make a social value offer to a published tender before it closes."""
    async with ctx.work(supplier) as work:
        tender = Tender.rehydrate(await work.load(Tender.stream_id(str(tender_id))))
        if tender is None or not tender.visible_to(supplier.organisation):
            raise NotFound(f"tender {tender_id} was not found")
        tender.require_open_for_bids(ctx.today())
        framework = await ctx.frameworks.pinned(work.load, tender.framework_version, "framework")
        bid_id = uuid.uuid4()
        submitted = Bid.submit(
            bid_id,
            tender,
            supplier.organisation,
            offer,
            framework=framework,
            share_limit=ctx.proportionality_share,
            today=ctx.today(),
        )
        bid = Bid()
        bid.record(submitted)
        received = tender.receive_bid(bid.summary(), ctx.today())
        await work.save(bid, Bid.stream_id(str(bid_id)), [submitted])
        await work.save(tender, Tender.stream_id(str(tender_id)), [received])
    return BidOnTender(bid, tender)


async def revise_bid(
    ctx: Context, supplier: Principal, bid_id: uuid.UUID, offer: OfferTerms, if_match: int | None
) -> BidOnTender:
    """Replace an offer with a new version while the tender is open."""
    async with ctx.work(supplier) as work:
        bid, tender = await _suppliers_bid(work.load, supplier, bid_id, if_match)
        framework = await ctx.frameworks.pinned(work.load, tender.framework_version, "framework")
        tender.require_open_for_bids(ctx.today())
        revised = bid.revise(
            tender,
            offer,
            framework=framework,
            share_limit=ctx.proportionality_share,
            today=ctx.today(),
        )
        received = tender.receive_bid(bid.summary(), ctx.today())
        await work.save(bid, Bid.stream_id(str(bid_id)), [revised])
        await work.save(tender, Tender.stream_id(tender.tender_id), [received])
    return BidOnTender(bid, tender)


async def withdraw_bid(
    ctx: Context, supplier: Principal, bid_id: uuid.UUID, reason: str, if_match: int | None
) -> BidOnTender:
    """Withdraw a bid while the tender is open."""
    async with ctx.work(supplier) as work:
        bid, tender = await _suppliers_bid(work.load, supplier, bid_id, if_match)
        tender.require_open_for_bids(ctx.today())
        withdrawn = bid.withdraw(reason, ctx.today())
        noted = tender.receive_withdrawal(bid.bid_id, ctx.today())
        await work.save(bid, Bid.stream_id(str(bid_id)), [withdrawn])
        await work.save(tender, Tender.stream_id(tender.tender_id), [noted])
    return BidOnTender(bid, tender)


async def get_bid(ctx: Context, reader: Principal, bid_id: uuid.UUID) -> BidOnTender:
    """The supplier's own bid; or, once the tender has closed, any bid to the tender's buyer."""
    bid = Bid.rehydrate(await ctx.load(Bid.stream_id(str(bid_id))))
    if bid is not None:
        tender = Tender.require(await ctx.load(Tender.stream_id(bid.tender_id)), "tender")
        if bid.supplier == reader.organisation or (
            tender.buyer == reader.organisation and tender.bids_are_open
        ):
            return BidOnTender(bid, tender)
    raise NotFound(f"bid {bid_id} was not found")


async def list_own_bids(
    ctx: Context, supplier: Principal, tender_id: uuid.UUID | None, page: Page
) -> list[dict[str, Any]]:
    """The caller's bids, optionally on one tender."""
    return await ctx.read_models.bids_of(
        supplier.organisation, None if tender_id is None else str(tender_id), page
    )


async def list_tender_bids(
    ctx: Context, reader: Principal, tender_id: uuid.UUID, page: Page
) -> list[dict[str, Any]]:
    """The buyer sees every bid once the tender closed; a bidder sees its own."""
    tender = Tender.rehydrate(await ctx.load(Tender.stream_id(str(tender_id))))
    if tender is None or not tender.visible_to(reader.organisation):
        raise NotFound(f"tender {tender_id} was not found")
    if tender.buyer != reader.organisation:
        return await ctx.read_models.bids_of(reader.organisation, str(tender_id), page)
    if not tender.bids_are_open:
        raise Conflict(
            f"bids on tender {tender_id} stay sealed until it closes "
            f"(bids are accepted until the end of {tender.view()['closes_on']})"
        )
    return await ctx.read_models.bids_on(str(tender_id), page)


async def _suppliers_bid(
    load: Any, supplier: Principal, bid_id: uuid.UUID, if_match: int | None
) -> tuple[Bid, Tender]:
    bid = Bid.rehydrate(await load(Bid.stream_id(str(bid_id))))
    if bid is None or bid.supplier != supplier.organisation:
        raise NotFound(f"bid {bid_id} was not found among your bids")
    expect_version(bid.version, if_match, f"bid {bid_id}")
    tender = Tender.require(await load(Tender.stream_id(bid.tender_id)), "tender")
    return bid, tender
