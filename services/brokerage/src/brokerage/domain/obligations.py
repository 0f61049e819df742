"""What suppliers owe: the obligations of awarded contracts, as the brokerage records them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from svledger.quantities import exact_decimal

CONTRACT_AWARDED = "ContractAwarded"
CONTRACT_COMPLETED = "ContractCompleted"
CONTRACT_TERMINATED = "ContractTerminated"


@dataclass(frozen=True, slots=True)
class SupplierObligation:
    """One measure a supplier must deliver under one contract, and the total it committed."""

    obligation_id: uuid.UUID
    contract_id: uuid.UUID
    supplier: str
    buyer: str
    measure: str
    theme: str
    outcome: str
    unit: str
    total_committed: Decimal
    contract_ends_on: date
    place: str | None = None  # where it is delivered, when the contract says


@dataclass(frozen=True, slots=True)
class SupplierContract:
    """A contract as matching needs it: its parties, places, and whether it is still running."""

    contract_id: uuid.UUID
    reference: str
    buyer: str
    supplier: str
    places: tuple[str, ...]
    ends_on: date
    status: str = "active"  # active, completed or terminated

    @property
    def is_open(self) -> bool:
        """A completed or terminated contract gets no more proposals."""
        return self.status == "active"


def contract_awarded(contract: Mapping[str, Any]) -> SupplierContract:
    """The contract a ``ContractAwarded`` event records (``places`` may be absent)."""
    return SupplierContract(
        contract_id=uuid.UUID(str(contract["contract_id"])),
        reference=str(contract.get("reference") or ""),
        buyer=str(contract["buyer"]),
        supplier=str(contract["supplier"]),
        places=tuple(str(p) for p in contract.get("places") or ()),
        ends_on=date.fromisoformat(str(contract["ends_on"])),
    )


def obligations_awarded(contract: Mapping[str, Any]) -> list[SupplierObligation]:
    """The obligations a ``ContractAwarded`` event places on the contract's supplier."""
    contract_id = uuid.UUID(str(contract["contract_id"]))
    ends_on = date.fromisoformat(str(contract["ends_on"]))
    return [
        SupplierObligation(
            obligation_id=uuid.UUID(str(ob["obligation_id"])),
            contract_id=contract_id,
            supplier=str(contract["supplier"]),
            buyer=str(contract["buyer"]),
            measure=str(ob["measure"]),
            theme=str(ob["theme"]),
            outcome=str(ob["outcome"]),
            unit=str(ob["unit"]),
            total_committed=exact_decimal(ob["total"], f"obligations.{i}.total"),
            contract_ends_on=ends_on,
            place=None if ob.get("place") is None else str(ob["place"]),
        )
        for i, ob in enumerate(contract["obligations"])
    ]
