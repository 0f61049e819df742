"""Offers: what a supplier can give VCFSE partners, optionally tied to one of its obligations."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from svledger.aggregate import Aggregate
from svledger.envelope import NewEvent
from svledger.errors import Conflict, FieldProblem
from svledger.quantities import figure

from brokerage.domain.ask import AskKind
from brokerage.domain.rules import measure_problems, place_problems, positive, refuse, said

OFFER_POSTED = "OfferPosted"
OFFER_WITHDRAWN = "OfferWithdrawn"


class OfferStatus(enum.StrEnum):
    """Where an offer stands."""

    OPEN = "open"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True)
class OfferTerms:
    """What is offered, where, and until when."""

    kind: AskKind
    measures: tuple[str, ...]
    places: tuple[str, ...]
    title: str
    description: str
    quantity: Decimal | None = None
    unit: str | None = None
    available_until: date | None = None
    obligation_id: str | None = None
    contract_id: str | None = None

    def problems(self, known_places: tuple[str, ...], today: date) -> list[FieldProblem]:
        """What is wrong with the terms."""
        problems = measure_problems(self.measures, "measures")
        problems += place_problems(self.places, known_places, "places")
        problems += said(self.title, "title", "give the offer a title")
        problems += said(self.description, "description", "describe what is offered")
        if (self.quantity is None) != (self.unit is None or not self.unit.strip()):
            problems.append(FieldProblem("unit", "give a quantity and its unit together"))
        if self.quantity is not None:
            problems += positive(self.quantity, "quantity")
        if self.available_until is not None and self.available_until < today:
            problems.append(FieldProblem("available_until", "that date has passed"))
        return problems


class Offer(Aggregate):
    """One supplier's offer of support."""

    stream_prefix = "offer"

    def __init__(self) -> None:
        super().__init__()
        self.offer_id = ""
        self.supplier = ""
        self.status = OfferStatus.OPEN
        self.data: dict[str, Any] = {}

    @staticmethod
    def post(
        offer_id: str,
        supplier: str,
        terms: OfferTerms,
        *,
        today: date,
        known_places: tuple[str, ...],
    ) -> NewEvent:
        """Decide ``OfferPosted``."""
        refuse(terms.problems(known_places, today), "offer")
        return NewEvent(
            OFFER_POSTED,
            {
                "offer_id": offer_id,
                "supplier": supplier,
                "kind": terms.kind.value,
                "title": terms.title.strip(),
                "description": terms.description.strip(),
                "measures": list(terms.measures),
                "places": list(terms.places),
                "quantity": None if terms.quantity is None else figure(terms.quantity),
                "unit": None if terms.unit is None else terms.unit.strip(),
                "available_until": (
                    None if terms.available_until is None else terms.available_until.isoformat()
                ),
                "obligation_id": terms.obligation_id,
                "contract_id": terms.contract_id,
                "posted_on": today.isoformat(),
            },
        )

    def withdraw(self, reason: str, today: date) -> NewEvent:
        """Decide ``OfferWithdrawn``."""
        if self.status is OfferStatus.WITHDRAWN:
            raise Conflict(f"offer {self.offer_id} is withdrawn already", field="status")
        return self.record(
            NewEvent(
                OFFER_WITHDRAWN,
                {
                    "offer_id": self.offer_id,
                    "supplier": self.supplier,
                    "reason": reason.strip(),
                    "withdrawn_on": today.isoformat(),
                },
            )
        )

    def when(self, event_type: str, data: dict[str, Any]) -> None:
        """Fold one event into the offer."""
        if event_type == OFFER_POSTED:
            self.offer_id = data["offer_id"]
            self.supplier = data["supplier"]
            self.data = dict(data)
        elif event_type == OFFER_WITHDRAWN:
            self.status = OfferStatus.WITHDRAWN
            self.data["withdrawn_on"] = data["withdrawn_on"]

    def view(self) -> dict[str, Any]:
        """The offer as it stands."""
        return {
            "withdrawn_on": None,
            **self.data,
            "status": self.status.value,
            "version": self.version,
        }
