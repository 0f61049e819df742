"""Corroborated evidence: support a VCFSE partner confirmed it received from the supplier.

Brokerage records deliveries on a match and the VCFSE confirms or disputes each one; a
confirmed delivery tied to an obligation (``DeliveryConfirmed``) corroborates what the supplier
returns for that obligation in the quarter it was delivered. A disputed or unconfirmed delivery
never counts. A corroboration is evidence shown beside a return line, not a quantity added to
it: the supplier's return stays the figure assessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from svledger.periods import Quarter
from svledger.quantities import exact_decimal, figure


@dataclass(frozen=True, slots=True)
class Corroboration:
    """One delivery confirmed by the VCFSE partner, against one obligation in one quarter."""

    delivery_id: str
    match_id: str
    contract_id: str
    obligation_id: str
    measure: str
    supplier: str
    partner: str
    period: str
    quantity: Decimal
    unit: str
    delivered_on: date
    confirmed_by: str
    confirmed_on: date

    @classmethod
    def from_confirmed(cls, data: Mapping[str, Any]) -> Corroboration | None:
        """Read ``DeliveryConfirmed`` data; None when the match names no obligation (support
        about a measure only corroborates nothing a supplier returns)."""
        if not data.get("contract_id") or not data.get("obligation_id"):
            return None
        delivered_on = date.fromisoformat(str(data["delivered_on"]))
        period = data.get("period") or Quarter.containing(delivered_on).label
        return cls(
            delivery_id=str(data["delivery_id"]),
            match_id=str(data["match_id"]),
            contract_id=str(data["contract_id"]),
            obligation_id=str(data["obligation_id"]),
            measure=str(data["measure"]),
            supplier=str(data["supplier"]),
            partner=str(data["vcfse"]),
            period=Quarter.parse(str(period)).label,
            quantity=exact_decimal(data["quantity"], "quantity"),
            unit=str(data["unit"]),
            delivered_on=delivered_on,
            confirmed_by=str(data["confirmed_by"]),
            confirmed_on=date.fromisoformat(str(data["confirmed_on"])),
        )

    def as_json(self) -> dict[str, Any]:
        """The corroboration as a reader sees it: quantities as exact decimal strings."""
        return {
            "delivery_id": self.delivery_id,
            "match_id": self.match_id,
            "partner": self.partner,
            "quantity": figure(self.quantity),
            "unit": self.unit,
            "delivered_on": self.delivered_on,
            "confirmed_by": self.confirmed_by,
            "confirmed_on": self.confirmed_on,
        }


def same_unit(a: str, b: str) -> bool:
    """Units compared as people write them: ``Hours`` is ``hours``."""
    return a.strip().casefold() == b.strip().casefold()


def corroborated_quantity(corroborations: Iterable[Corroboration], unit: str) -> Decimal:
    """What the confirmed deliveries add up to in the obligation's ``unit``; deliveries in
    another unit are listed as evidence but cannot be added to it."""
    return sum((c.quantity for c in corroborations if same_unit(c.unit, unit)), start=Decimal(0))


def by_obligation_and_period(
    corroborations: Iterable[Corroboration],
) -> dict[tuple[str, str], list[Corroboration]]:
    """Corroborations grouped by (obligation, quarter), each group in delivery order."""
    grouped: dict[tuple[str, str], list[Corroboration]] = {}
    ordered = sorted(corroborations, key=lambda c: (c.delivered_on, c.delivery_id))
    for c in ordered:
        grouped.setdefault((c.obligation_id, c.period), []).append(c)
    return grouped
