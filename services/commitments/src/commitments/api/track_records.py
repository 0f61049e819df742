"""Track-record routes: a supplier's record, and a bid's commitments read beside it.

Figures are exact decimal strings; ratios are to four places. The rules behind each figure are
in :mod:`commitments.domain.track_record`. Both answers carry an ETag of their content and
answer ``If-None-Match`` with 304 when nothing changed.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from svledger.quantities import figure, optional_figure
from svledger.web import CurrentPrincipal

from commitments.api.dependencies import ContextDep
from commitments.application.track_records import (
    BidTrackRecord,
    bid_track_record,
    supplier_track_record,
)
from commitments.domain.track_record import (
    BestQuarter,
    CommitmentCheck,
    MeasureRecord,
    TrackRecord,
)

router = APIRouter(tags=["track records"])


class BestQuarterOut(BaseModel):
    """The supplier's best delivered quarter on a measure: on one contract, accepted."""

    delivered: str
    period: str
    contract_id: str
    reference: str

    @classmethod
    def of(cls, best: BestQuarter | None) -> BestQuarterOut | None:
        """From the domain's figure."""
        if best is None:
            return None
        return cls(
            delivered=figure(best.delivered),
            period=best.period,
            contract_id=best.contract_id,
            reference=best.reference,
        )


class MeasureRecordOut(BaseModel):
    """The supplier's record on one measure, in its unit, across its contracts."""

    measure: str
    unit: str
    contracts: int
    committed: str = Field(description="the whole target of quarters not cancelled")
    committed_to_date: str = Field(description="target of quarters due, or accepted early")
    delivered_to_date: str = Field(description="lines of accepted returns, as last corrected")
    delivery_ratio: str | None = Field(description="delivered over committed to date")
    best_delivered_per_quarter: str | None = Field(
        description="the most delivered on one contract in one accepted quarter"
    )
    best_quarter: BestQuarterOut | None

    @classmethod
    def of(cls, m: MeasureRecord | None) -> MeasureRecordOut | None:
        """From the domain's record."""
        if m is None:
            return None
        return cls(
            measure=m.measure,
            unit=m.unit,
            contracts=m.contracts,
            committed=figure(m.committed),
            committed_to_date=figure(m.committed_to_date),
            delivered_to_date=figure(m.delivered_to_date),
            delivery_ratio=optional_figure(m.delivery_ratio),
            best_delivered_per_quarter=None if m.best is None else figure(m.best.delivered),
            best_quarter=BestQuarterOut.of(m.best),
        )


class ReturnsRecordOut(BaseModel):
    """Quarters whose return came in or fell due (cancelled ones aside)."""

    due: int
    on_time: int
    late: int
    missing: int = Field(description="past due without a return")
    on_time_share: str | None = Field(description="on time over due; null when none was due")


class AlertsRecordOut(BaseModel):
    """Alerts on the supplier's contracts."""

    open: int = Field(description="not resolved, acknowledged or not")
    resolved: int


class TrackRecordOut(BaseModel):
    """A supplier's track record, current up to ``as_of`` (the newest event reflected)."""

    supplier: str
    as_of: datetime | None
    new_supplier: bool = Field(description="no contract on record")
    contracts: int
    overall_delivery_ratio: str | None = Field(
        description="mean of the per-measure delivery ratios, each capped at 1"
    )
    measures: list[MeasureRecordOut]
    returns: ReturnsRecordOut
    alerts: AlertsRecordOut

    @classmethod
    def of(cls, record: TrackRecord) -> TrackRecordOut:
        """From the domain's record."""
        return cls(
            supplier=record.supplier,
            as_of=record.as_of,
            new_supplier=record.new_supplier,
            contracts=record.contracts,
            overall_delivery_ratio=optional_figure(record.overall_delivery_ratio),
            measures=[m for m in map(MeasureRecordOut.of, record.measures) if m is not None],
            returns=ReturnsRecordOut(
                due=record.returns.due,
                on_time=record.returns.on_time,
                late=record.returns.late,
                missing=record.returns.missing,
                on_time_share=optional_figure(record.returns.on_time_share),
            ),
            alerts=AlertsRecordOut(open=record.alerts.open, resolved=record.alerts.resolved),
        )


class CommitmentCheckOut(BaseModel):
    """One commitment of the bid beside the supplier's record on its measure."""

    commitment_id: str
    measure: str
    unit: str
    committed_total: str
    committed_per_quarter: str = Field(description="the busiest quarter's target")
    best_delivered_per_quarter: str | None
    best_quarter: BestQuarterOut | None
    ratio: str | None = Field(description="committed per quarter over best delivered per quarter")
    overpromise: bool = Field(description="more than the multiple times the best delivered rate")
    message: str
    record: MeasureRecordOut | None = Field(description="the supplier's record on the measure")

    @classmethod
    def of(cls, check: CommitmentCheck) -> CommitmentCheckOut:
        """From the domain's check."""
        offered = check.commitment
        return cls(
            commitment_id=offered.commitment_id,
            measure=offered.measure,
            unit=offered.unit,
            committed_total=figure(offered.quantity),
            committed_per_quarter=figure(offered.per_quarter),
            best_delivered_per_quarter=None if check.best is None else figure(check.best.delivered),
            best_quarter=BestQuarterOut.of(check.best),
            ratio=optional_figure(check.ratio),
            overpromise=check.overpromise,
            message=check.message,
            record=MeasureRecordOut.of(check.record),
        )


class BidTrackRecordOut(BaseModel):
    """A bid's current commitments beside its supplier's track record."""

    tender_id: str
    bid_id: str
    supplier: str
    revision: int
    new_supplier: bool = Field(description="no record: shown as new, never flagged")
    overpromise_multiple: str
    as_of: datetime | None
    commitments: list[CommitmentCheckOut]
    track_record: TrackRecordOut

    @classmethod
    def of(cls, found: BidTrackRecord) -> BidTrackRecordOut:
        """From the bid and its check."""
        bid, check = found.made.bid, found.check
        return cls(
            tender_id=bid.tender_id,
            bid_id=bid.bid_id,
            supplier=bid.supplier,
            revision=int(bid.current["revision"]),
            new_supplier=check.new_supplier,
            overpromise_multiple=figure(check.multiple),
            as_of=check.record.as_of,
            commitments=[CommitmentCheckOut.of(c) for c in check.commitments],
            track_record=TrackRecordOut.of(check.record),
        )


def content_tagged(request: Request, body: BaseModel) -> Response:
    """The body with an ETag of its content; 304 when the caller already holds it."""
    data: Any = body.model_dump(mode="json")
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:32]
    tag = f'"{digest}"'
    asked = request.headers.get("If-None-Match", "")
    held = {t.strip().removeprefix("W/") for t in asked.split(",")}
    if tag in held or "*" in held:
        return Response(status_code=304, headers={"ETag": tag})
    return JSONResponse(data, headers={"ETag": tag})


SupplierPath = Annotated[str, Path(min_length=1, max_length=200, description="organisation id")]


@router.get(
    "/suppliers/{supplier}/track-record",
    response_model=TrackRecordOut,
    summary="A supplier's track record",
)
async def read_supplier_track_record(
    supplier: SupplierPath, reader: CurrentPrincipal, ctx: ContextDep, request: Request
) -> Response:
    """Your own record; or, as a buyer, that of a supplier that bid on your closed tender."""
    record = await supplier_track_record(ctx, reader, supplier)
    return content_tagged(request, TrackRecordOut.of(record))


@router.get(
    "/tenders/{tender_id}/bids/{bid_id}/track-record",
    response_model=BidTrackRecordOut,
    summary="A bid beside its supplier's track record",
)
async def read_bid_track_record(
    tender_id: uuid.UUID,
    bid_id: uuid.UUID,
    reader: CurrentPrincipal,
    ctx: ContextDep,
    request: Request,
) -> Response:
    """Each commitment beside the supplier's best delivered rate, flagged when over-promised."""
    found = await bid_track_record(ctx, reader, tender_id, bid_id)
    return content_tagged(request, BidTrackRecordOut.of(found))
