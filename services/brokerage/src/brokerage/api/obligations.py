"""Obligation routes: what suppliers owe under the caller's contracts."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, Field
from svledger.quantities import figure

from brokerage.api.dependencies import PartyDep, ServiceDep
from brokerage.application.obligations import list_obligations
from brokerage.domain.obligations import SupplierObligation

router = APIRouter(prefix="/obligations", tags=["obligations"])


class ObligationOut(BaseModel):
    """One measure a supplier owes under one contract."""

    obligation_id: uuid.UUID
    contract_id: uuid.UUID
    supplier: str
    buyer: str
    measure: str
    theme: str
    outcome: str
    unit: str
    total_committed: str = Field(
        description="the total committed over the contract, in the unit, as an exact decimal",
        examples=["16"],
    )
    contract_ends_on: date

    @classmethod
    def of(cls, obligation: SupplierObligation) -> ObligationOut:
        """From the recorded obligation."""
        return cls(
            obligation_id=obligation.obligation_id,
            contract_id=obligation.contract_id,
            supplier=obligation.supplier,
            buyer=obligation.buyer,
            measure=obligation.measure,
            theme=obligation.theme,
            outcome=obligation.outcome,
            unit=obligation.unit,
            total_committed=figure(obligation.total_committed),
            contract_ends_on=obligation.contract_ends_on,
        )


@router.get("", summary="What suppliers owe under your contracts")
async def read_obligations(party: PartyDep, service: ServiceDep) -> list[ObligationOut]:
    """Obligations under contracts your organisation is party to, as supplier or buyer."""
    obligations = await list_obligations(service.database, party)
    return [ObligationOut.of(o) for o in obligations]
