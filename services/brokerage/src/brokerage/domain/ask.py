"""Asks: what a VCFSE organisation needs from suppliers, mapped to the measures it counts in.

An ask opens when posted, fills partly or fully as deliveries against it are confirmed by the
VCFSE (only those in the ask's own unit count), and closes when the VCFSE says so. A filled
ask stays visible until closed, but is no longer offered to suppliers.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from svledger.aggregate import Aggregate
from svledger.envelope import NewEvent
from svledger.errors import Conflict, FieldProblem
from svledger.quantities import figure

from brokerage.domain.matching import AskFacts
from brokerage.domain.rules import (
    measure_problems,
    place_problem,
    positive,
    refuse,
    said,
    same_unit,
)

ASK_POSTED = "AskPosted"
ASK_UPDATED = "AskUpdated"
ASK_FILLED = "AskFilled"
ASK_CLOSED = "AskClosed"


class AskKind(enum.StrEnum):
    """The kinds of support the roadmap lists VCFSE groups asking for."""

    VOLUNTEERING = "volunteering"
    EXPERT_BUSINESS_ADVICE = "expert_business_advice"
    EQUIPMENT_OR_RESOURCES = "equipment_or_resources"
    FUNDING = "funding"
    WORK_PLACEMENTS = "work_placements"
    SUPPLY_CHAIN_OPPORTUNITY = "supply_chain_opportunity"


# The TOM measures each kind of support usually counts in, when the ask names none.
USUAL_MEASURES: dict[AskKind, tuple[str, ...]] = {
    AskKind.VOLUNTEERING: ("NT17", "NT29"),
    AskKind.EXPERT_BUSINESS_ADVICE: ("NT15",),
    AskKind.EQUIPMENT_OR_RESOURCES: ("NT16", "NT28"),
    AskKind.FUNDING: ("NT28",),
    AskKind.WORK_PLACEMENTS: ("NT9", "NT10"),
    AskKind.SUPPLY_CHAIN_OPPORTUNITY: ("NT14",),
}


class AskStatus(enum.StrEnum):
    """Where an ask stands."""

    OPEN = "open"
    PARTLY_FILLED = "partly_filled"
    FILLED = "filled"
    CLOSED = "closed"

    @property
    def matchable(self) -> bool:
        """Suppliers are offered open and partly filled asks only."""
        return self in (AskStatus.OPEN, AskStatus.PARTLY_FILLED)


class CloseReason(enum.StrEnum):
    """Why a VCFSE closed its ask."""

    FILLED = "filled"
    NO_LONGER_NEEDED = "no_longer_needed"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True)
class AskTerms:
    """What is asked for."""

    kind: AskKind
    measures: tuple[str, ...]
    quantity: Decimal
    unit: str
    place: str
    needed_by: date
    title: str
    description: str
    outcomes: tuple[str, ...] = ()

    def problems(self, known_places: tuple[str, ...], today: date) -> list[FieldProblem]:
        """What is wrong with the terms."""
        problems = measure_problems(self.measures, "measures")
        problems += positive(self.quantity, "quantity")
        problems += said(self.unit, "unit", "give the unit the quantity is in, like hours")
        problems += place_problem(self.place, known_places, "place")
        problems += said(self.title, "title", "give the ask a title")
        problems += said(self.description, "description", "describe what is needed")
        if self.needed_by < today:
            problems.append(FieldProblem("needed_by", "the date needed by has passed"))
        return problems

    def as_json(self) -> dict[str, Any]:
        """As event data."""
        return {
            "kind": self.kind.value,
            "title": self.title.strip(),
            "description": self.description.strip(),
            "measures": list(self.measures),
            "quantity": figure(self.quantity),
            "unit": self.unit.strip(),
            "place": self.place,
            "outcomes": [o.strip() for o in self.outcomes if o.strip()],
            "needed_by": self.needed_by.isoformat(),
        }

    @classmethod
    def of(cls, data: dict[str, Any]) -> AskTerms:
        """From event data."""
        return cls(
            kind=AskKind(data["kind"]),
            measures=tuple(data["measures"]),
            quantity=Decimal(data["quantity"]),
            unit=data["unit"],
            place=data["place"],
            needed_by=date.fromisoformat(data["needed_by"]),
            title=data["title"],
            description=data["description"],
            outcomes=tuple(data["outcomes"]),
        )


class Ask(Aggregate):
    """One VCFSE organisation's ask for support."""

    stream_prefix = "ask"

    def __init__(self) -> None:
        super().__init__()
        self.ask_id = ""
        self.vcfse = ""
        self.posted_by = ""
        self.posted_on = date.min
        self.terms: AskTerms | None = None
        self.filled = Decimal(0)
        self.status = AskStatus.OPEN
        self.closed: dict[str, Any] | None = None

    @staticmethod
    def post(
        ask_id: str,
        vcfse: str,
        terms: AskTerms,
        *,
        posted_by: str,
        today: date,
        known_places: tuple[str, ...],
    ) -> NewEvent:
        """Decide ``AskPosted``; without measures, the usual ones for its kind are assumed."""
        if not terms.measures:
            terms = replace(terms, measures=USUAL_MEASURES[terms.kind])
        refuse(terms.problems(known_places, today), "ask")
        return NewEvent(
            ASK_POSTED,
            {
                "ask_id": ask_id,
                "vcfse": vcfse,
                "posted_by": posted_by,
                "posted_on": today.isoformat(),
                **terms.as_json(),
            },
        )

    @property
    def current(self) -> AskTerms:
        """The terms as they stand."""
        if self.terms is None:
            raise RuntimeError("an ask without terms was loaded")
        return self.terms

    @property
    def remaining(self) -> Decimal:
        """How much is still needed."""
        return max(self.current.quantity - self.filled, Decimal(0))

    def facts(self) -> AskFacts:
        """What matching needs to know about the ask."""
        terms = self.current
        return AskFacts(
            ask_id=self.ask_id,
            vcfse=self.vcfse,
            measures=terms.measures,
            place=terms.place,
            outcomes=terms.outcomes,
            remaining=self.remaining,
            unit=terms.unit,
            needed_by=terms.needed_by,
        )

    def update(self, terms: AskTerms, *, today: date, known_places: tuple[str, ...]) -> NewEvent:
        """Decide ``AskUpdated``: the ask's terms as they now stand."""
        self._require_not_closed("updated")
        problems = terms.problems(known_places, today)
        if terms == self.terms:
            problems.append(FieldProblem("ask", "nothing would change"))
        if terms.quantity < self.filled:
            problems.append(
                FieldProblem(
                    "quantity", f"{figure(self.filled)} {self.current.unit} are filled already"
                )
            )
        refuse(problems, "ask")
        status = _status(self.filled, terms.quantity)
        return self.record(
            NewEvent(
                ASK_UPDATED,
                {
                    "ask_id": self.ask_id,
                    "vcfse": self.vcfse,
                    "updated_on": today.isoformat(),
                    "status": status.value,
                    **terms.as_json(),
                },
            )
        )

    def fill(
        self, match_id: str, delivery_id: str, quantity: Decimal, unit: str
    ) -> NewEvent | None:
        """Decide ``AskFilled`` for a confirmed delivery; None when it cannot count towards the
        ask (another unit, or the ask is closed)."""
        if self.status is AskStatus.CLOSED or not same_unit(unit, self.current.unit):
            return None
        filled = self.filled + quantity
        return self.record(
            NewEvent(
                ASK_FILLED,
                {
                    "ask_id": self.ask_id,
                    "vcfse": self.vcfse,
                    "match_id": match_id,
                    "delivery_id": delivery_id,
                    "quantity": figure(quantity),
                    "unit": self.current.unit,
                    "filled": figure(filled),
                    "remaining": figure(max(self.current.quantity - filled, Decimal(0))),
                    "status": _status(filled, self.current.quantity).value,
                },
            )
        )

    def close(self, reason: CloseReason, note: str, today: date) -> NewEvent:
        """Decide ``AskClosed``."""
        self._require_not_closed("closed")
        return self.record(
            NewEvent(
                ASK_CLOSED,
                {
                    "ask_id": self.ask_id,
                    "vcfse": self.vcfse,
                    "reason": reason.value,
                    "note": note.strip(),
                    "closed_on": today.isoformat(),
                    "filled": figure(self.filled),
                },
            )
        )

    def _require_not_closed(self, action: str) -> None:
        if self.status is AskStatus.CLOSED:
            raise Conflict(f"ask {self.ask_id} is closed; it cannot be {action}", field="status")

    def when(self, event_type: str, data: dict[str, Any]) -> None:
        """Fold one event into the ask."""
        if event_type == ASK_POSTED:
            self.ask_id = data["ask_id"]
            self.vcfse = data["vcfse"]
            self.posted_by = data["posted_by"]
            self.posted_on = date.fromisoformat(data["posted_on"])
            self.terms = AskTerms.of(data)
        elif event_type == ASK_UPDATED:
            self.terms = AskTerms.of(data)
            self.status = AskStatus(data["status"])
        elif event_type == ASK_FILLED:
            self.filled = Decimal(data["filled"])
            self.status = AskStatus(data["status"])
        elif event_type == ASK_CLOSED:
            self.status = AskStatus.CLOSED
            self.closed = dict(data)

    def view(self) -> dict[str, Any]:
        """The ask as it stands."""
        return {
            "ask_id": self.ask_id,
            "vcfse": self.vcfse,
            "posted_by": self.posted_by,
            "posted_on": self.posted_on.isoformat(),
            **self.current.as_json(),
            "filled": figure(self.filled),
            "remaining": figure(self.remaining),
            "status": self.status.value,
            "closed_on": None if self.closed is None else self.closed["closed_on"],
            "close_reason": None if self.closed is None else self.closed["reason"],
            "version": self.version,
        }


def _status(filled: Decimal, quantity: Decimal) -> AskStatus:
    if filled <= 0:
        return AskStatus.OPEN
    return AskStatus.FILLED if filled >= quantity else AskStatus.PARTLY_FILLED
