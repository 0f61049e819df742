"""Shortfall routes: where suppliers fall short under the caller's contracts."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, Field
from svledger.quantities import optional_figure

from brokerage.api.dependencies import PartyDep, ServiceDep
from brokerage.application.shortfalls import list_shortfalls
from brokerage.domain.shortfalls import Shortfall

router = APIRouter(prefix="/shortfalls", tags=["shortfalls"])


class ShortfallOut(BaseModel):
    """Under-delivery (or its risk) on one obligation in one quarter."""

    alert_id: uuid.UUID
    contract_id: uuid.UUID
    obligation_id: uuid.UUID
    supplier: str
    buyer: str
    measure: str
    period: str = Field(examples=["2026-27-Q1"])
    severity: str = Field(examples=["high", "medium"])
    ratio: str | None = Field(
        description="delivery against target as the alert reported it, an exact decimal "
        "(null when the alert gave none)",
        examples=["0.5"],
    )
    raised_on: date
    kind: str = Field(examples=["under_delivery", "at_risk"])
    resolved_on: date | None = Field(description="when measurement resolved the alert")

    @classmethod
    def of(cls, shortfall: Shortfall) -> ShortfallOut:
        """From the recorded shortfall."""
        return cls(
            alert_id=shortfall.alert_id,
            contract_id=shortfall.contract_id,
            obligation_id=shortfall.obligation_id,
            supplier=shortfall.supplier,
            buyer=shortfall.buyer,
            measure=shortfall.measure,
            period=shortfall.period.label,
            severity=shortfall.severity,
            ratio=optional_figure(shortfall.ratio),
            raised_on=shortfall.raised_on,
            kind=shortfall.kind,
            resolved_on=shortfall.resolved_on,
        )


@router.get("", summary="Where suppliers fall short under your contracts")
async def read_shortfalls(party: PartyDep, service: ServiceDep) -> list[ShortfallOut]:
    """Shortfalls on contracts your organisation is party to, as supplier or buyer; newest first."""
    shortfalls = await list_shortfalls(service.database, party)
    return [ShortfallOut.of(s) for s in shortfalls]
