"""Queries for suppliers' track records, and for a bid's commitments read beside its supplier's.

A supplier reads its own record. A buyer reads the record of a supplier that bid on one of its
tenders once the bids on that tender may be read (the tender has closed), and each such bid's
commitments beside it; before then the bids are sealed, so even who bid is not disclosed.
Anyone else is told the record was not found.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from svledger.auth import Principal
from svledger.errors import NotFound

from commitments.application.bids import BidOnTender, get_bid
from commitments.application.context import Context
from commitments.domain.bid import Bid
from commitments.domain.tender import Tender
from commitments.domain.track_record import (
    BidCheck,
    OfferedCommitment,
    TrackRecord,
    check_bid,
    track_record,
)


@dataclass(frozen=True, slots=True)
class BidTrackRecord:
    """A bid, its tender, and its commitments beside its supplier's record."""

    made: BidOnTender
    check: BidCheck


async def supplier_track_record(ctx: Context, reader: Principal, supplier: str) -> TrackRecord:
    """The supplier's record, to the supplier itself or a buyer it bid to (see the module)."""
    if not await _may_read(ctx, reader, supplier):
        raise NotFound(f"no track record of {supplier} was found")
    return await _record(ctx, supplier)


async def bid_track_record(
    ctx: Context, reader: Principal, tender_id: uuid.UUID, bid_id: uuid.UUID
) -> BidTrackRecord:
    """A bid's current commitments beside its supplier's record, to whoever may read the bid."""
    made = await get_bid(ctx, reader, bid_id)
    if made.bid.tender_id != str(tender_id):
        raise NotFound(f"bid {bid_id} was not found on tender {tender_id}")
    record = await _record(ctx, made.bid.supplier)
    return BidTrackRecord(made, check_bid(record, offered(made.bid), ctx.overpromise_multiple))


def offered(bid: Bid) -> list[OfferedCommitment]:
    """The commitments of the bid's current revision."""
    return [
        OfferedCommitment(
            commitment_id=str(c["commitment_id"]),
            measure=str(c["measure"]),
            unit=str(c["unit"]),
            quantity=Decimal(c["quantity"]),
            targets={str(p): Decimal(v) for p, v in c["targets"].items()},
        )
        for c in bid.current["commitments"]
    ]


async def _record(ctx: Context, supplier: str) -> TrackRecord:
    return track_record(await ctx.track_records.facts_of(supplier), ctx.today())


async def _may_read(ctx: Context, reader: Principal, supplier: str) -> bool:
    """The supplier itself, or the buyer of a tender whose bids (one of them its) are open."""
    if reader.organisation == supplier:
        return True
    for tender_id in await ctx.read_models.tenders_bid_on(supplier, reader.organisation):
        tender = Tender.rehydrate(await ctx.load(Tender.stream_id(tender_id)))
        if tender is not None and tender.buyer == reader.organisation and tender.bids_are_open:
            return True
    return False
