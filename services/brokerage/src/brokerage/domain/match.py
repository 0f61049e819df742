"""Matches: a supplier and a VCFSE partner brought together, from proposal to confirmed delivery.

A match is proposed (by the system when a supplier falls short, or by either side), accepted
by both sides or declined by either with a reason, and then the supplier records what it
delivered. Each delivery is confirmed or disputed by the VCFSE. Only a confirmed delivery
emits ``DeliveryConfirmed``, which measurement records as corroborated evidence against the
supplier's obligation; a disputed or unconfirmed one never counts.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from svledger.aggregate import Aggregate
from svledger.envelope import NewEvent
from svledger.errors import Conflict, FieldProblem, NotFound
from svledger.periods import Quarter
from svledger.quantities import figure

from brokerage.domain.matching import Suggestion
from brokerage.domain.rules import positive, refuse, said

MATCH_PROPOSED = "MatchProposed"
MATCH_ACCEPTED = "MatchAccepted"
MATCH_DECLINED = "MatchDeclined"
DELIVERY_RECORDED = "DeliveryRecorded"
DELIVERY_CONFIRMED = "DeliveryConfirmed"
DELIVERY_DISPUTED = "DeliveryDisputed"

SYSTEM = "system"

# Matches the system proposes for a shortfall get ids derived from the alert and the ask, so
# the same proposal can never be made twice (a second one would clash on version 1).
_PROPOSAL_NAMESPACE = uuid.UUID("0c8f7f4e-2b1d-4a5e-9d3c-6e1b2a7f9c40")


def proposal_id(alert_id: str, ask_id: str) -> str:
    """The one match id for the system's proposal of ``ask_id`` after ``alert_id``."""
    return str(uuid.uuid5(_PROPOSAL_NAMESPACE, f"{alert_id}/{ask_id}"))


class Side(enum.StrEnum):
    """The two sides of a match."""

    SUPPLIER = "supplier"
    VCFSE = "vcfse"


class MatchStatus(enum.StrEnum):
    """Where a match stands."""

    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    DECLINED = "declined"

    @property
    def live(self) -> bool:
        """Proposed or accepted: the pair should not be proposed again."""
        return self is not MatchStatus.DECLINED


class DeliveryStatus(enum.StrEnum):
    """Where a delivery stands with the VCFSE."""

    RECORDED = "recorded"
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"


@dataclass(frozen=True, slots=True)
class Delivery:
    """What the supplier says it delivered: how much, when, and a note."""

    quantity: Decimal
    delivered_on: date
    note: str = ""


class Match(Aggregate):
    """One supplier and one VCFSE partner, about one measure (and usually one ask)."""

    stream_prefix = "match"

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, Any] = {}
        self.accepted: set[Side] = set()
        self.declined: dict[str, Any] | None = None
        self.deliveries: dict[str, dict[str, Any]] = {}

    @property
    def match_id(self) -> str:
        """The match's id."""
        return str(self.data["match_id"])

    @property
    def supplier(self) -> str:
        """The supplier organisation."""
        return str(self.data["supplier"])

    @property
    def vcfse(self) -> str:
        """The VCFSE organisation."""
        return str(self.data["vcfse"])

    @property
    def buyer(self) -> str | None:
        """The buyer whose contract the match helps deliver, if any: it sees the match too."""
        buyer = self.data.get("buyer")
        return None if buyer is None else str(buyer)

    @property
    def status(self) -> MatchStatus:
        """Proposed until both sides accept; declined when either side declines."""
        if self.declined is not None:
            return MatchStatus.DECLINED
        if self.accepted == {Side.SUPPLIER, Side.VCFSE}:
            return MatchStatus.ACCEPTED
        return MatchStatus.PROPOSED

    @staticmethod
    def propose(
        match_id: str,
        suggestion: Suggestion,
        *,
        proposed_by: str,
        today: date,
        alert_id: str | None = None,
        contract_id: str | None = None,
        buyer: str | None = None,
    ) -> NewEvent:
        """Decide ``MatchProposed`` from a scored suggestion."""
        if suggestion.supplier == suggestion.vcfse:
            raise Conflict("a supplier cannot be its own VCFSE partner", field="supplier")
        return NewEvent(
            MATCH_PROPOSED,
            {
                "match_id": match_id,
                "ask_id": suggestion.ask_id,
                "offer_id": suggestion.offer_id,
                "supplier": suggestion.supplier,
                "vcfse": suggestion.vcfse,
                "buyer": buyer or suggestion.buyer,
                "measure": suggestion.measure,
                "unit": suggestion.unit,
                "obligation_id": suggestion.obligation_id,
                "contract_id": contract_id or suggestion.contract_id,
                "alert_id": alert_id,
                "score": figure(suggestion.score),
                "reasons": [r.as_json() for r in suggestion.reasons],
                "proposed_by": proposed_by,
                "proposed_on": today.isoformat(),
            },
        )

    def side_of(self, organisation: str) -> Side | None:
        """Which side ``organisation`` is on, if any."""
        if organisation == self.supplier:
            return Side.SUPPLIER
        if organisation == self.vcfse:
            return Side.VCFSE
        return None

    def accept(self, side: Side, organisation: str, today: date) -> NewEvent:
        """Decide ``MatchAccepted`` for one side; both must accept before delivery."""
        self._require_not_declined("accepted")
        if side in self.accepted:
            raise Conflict(f"the {side.value} has accepted this match already", field="status")
        accepted = {*self.accepted, side}
        status = MatchStatus.ACCEPTED if len(accepted) == 2 else MatchStatus.PROPOSED
        return self.record(
            NewEvent(
                MATCH_ACCEPTED,
                {
                    "match_id": self.match_id,
                    "side": side.value,
                    "organisation": organisation,
                    "accepted_on": today.isoformat(),
                    "status": status.value,
                },
            )
        )

    def decline(self, side: Side, organisation: str, reason: str, today: date) -> NewEvent:
        """Decide ``MatchDeclined``: either side may decline, with a reason, before delivery."""
        self._require_not_declined("declined")
        refuse(said(reason, "reason", "say why the match is declined"), "decline")
        if self.deliveries:
            raise Conflict("deliveries are recorded on this match; it cannot be declined now")
        return self.record(
            NewEvent(
                MATCH_DECLINED,
                {
                    "match_id": self.match_id,
                    "side": side.value,
                    "organisation": organisation,
                    "reason": reason.strip(),
                    "declined_on": today.isoformat(),
                },
            )
        )

    def record_delivery(self, delivery_id: str, delivery: Delivery, today: date) -> NewEvent:
        """Decide ``DeliveryRecorded``: the supplier says what it delivered."""
        if self.status is not MatchStatus.ACCEPTED:
            raise Conflict(
                f"the match is {self.status.value}; both sides accept it before delivery",
                field="status",
            )
        problems = positive(delivery.quantity, "quantity")
        if delivery.delivered_on > today:
            problems.append(FieldProblem("delivered_on", "a delivery is recorded once made"))
        refuse(problems, "delivery")
        return self.record(
            NewEvent(
                DELIVERY_RECORDED,
                {
                    "match_id": self.match_id,
                    "delivery_id": delivery_id,
                    "supplier": self.supplier,
                    "vcfse": self.vcfse,
                    "quantity": figure(delivery.quantity),
                    "unit": self.data["unit"],
                    "delivered_on": delivery.delivered_on.isoformat(),
                    "note": delivery.note.strip(),
                    "obligation_id": self.data["obligation_id"],
                    "contract_id": self.data["contract_id"],
                    "measure": self.data["measure"],
                    "recorded_on": today.isoformat(),
                },
            )
        )

    def confirm_delivery(self, delivery_id: str, confirmed_by: str, today: date) -> NewEvent:
        """Decide ``DeliveryConfirmed``: the VCFSE says the support arrived, as recorded."""
        delivery = self._pending(delivery_id, "confirmed")
        delivered_on = date.fromisoformat(delivery["delivered_on"])
        return self.record(
            NewEvent(
                DELIVERY_CONFIRMED,
                {
                    "match_id": self.match_id,
                    "delivery_id": delivery_id,
                    "supplier": self.supplier,
                    "vcfse": self.vcfse,
                    "contract_id": self.data["contract_id"],
                    "obligation_id": self.data["obligation_id"],
                    "measure": self.data["measure"],
                    "quantity": delivery["quantity"],
                    "unit": delivery["unit"],
                    "delivered_on": delivered_on.isoformat(),
                    "period": Quarter.containing(delivered_on).label,
                    "confirmed_by": confirmed_by,
                    "confirmed_on": today.isoformat(),
                },
            )
        )

    def dispute_delivery(
        self, delivery_id: str, reason: str, disputed_by: str, today: date
    ) -> NewEvent:
        """Decide ``DeliveryDisputed``: the VCFSE says the support did not arrive as recorded."""
        refuse(said(reason, "reason", "say what is wrong with the delivery"), "dispute")
        self._pending(delivery_id, "disputed")
        return self.record(
            NewEvent(
                DELIVERY_DISPUTED,
                {
                    "match_id": self.match_id,
                    "delivery_id": delivery_id,
                    "supplier": self.supplier,
                    "vcfse": self.vcfse,
                    "reason": reason.strip(),
                    "disputed_by": disputed_by,
                    "disputed_on": today.isoformat(),
                },
            )
        )

    def delivery(self, delivery_id: str) -> dict[str, Any]:
        """One recorded delivery; 404 when the match has none with that id."""
        delivery = self.deliveries.get(delivery_id)
        if delivery is None:
            raise NotFound(f"delivery {delivery_id} was not found on match {self.match_id}")
        return delivery

    def _pending(self, delivery_id: str, action: str) -> dict[str, Any]:
        delivery = self.delivery(delivery_id)
        if delivery["status"] != DeliveryStatus.RECORDED:
            raise Conflict(
                f"the delivery is {delivery['status']} already; it cannot be {action}",
                field="status",
            )
        return delivery

    def _require_not_declined(self, action: str) -> None:
        if self.declined is not None:
            raise Conflict(f"the match was declined; it cannot be {action}", field="status")

    def when(self, event_type: str, data: dict[str, Any]) -> None:
        """Fold one event into the match."""
        if event_type == MATCH_PROPOSED:
            self.data = dict(data)
        elif event_type == MATCH_ACCEPTED:
            self.accepted.add(Side(data["side"]))
        elif event_type == MATCH_DECLINED:
            self.declined = dict(data)
        elif event_type == DELIVERY_RECORDED:
            self.deliveries[data["delivery_id"]] = {
                "delivery_id": data["delivery_id"],
                "quantity": data["quantity"],
                "unit": data["unit"],
                "delivered_on": data["delivered_on"],
                "note": data["note"],
                "recorded_on": data["recorded_on"],
                "status": DeliveryStatus.RECORDED.value,
                "period": Quarter.containing(date.fromisoformat(data["delivered_on"])).label,
                "confirmed_by": None,
                "confirmed_on": None,
                "dispute_reason": None,
                "disputed_on": None,
            }
        elif event_type == DELIVERY_CONFIRMED:
            self.deliveries[data["delivery_id"]].update(
                status=DeliveryStatus.CONFIRMED.value,
                confirmed_by=data["confirmed_by"],
                confirmed_on=data["confirmed_on"],
            )
        elif event_type == DELIVERY_DISPUTED:
            self.deliveries[data["delivery_id"]].update(
                status=DeliveryStatus.DISPUTED.value,
                dispute_reason=data["reason"],
                disputed_on=data["disputed_on"],
            )

    def view(self) -> dict[str, Any]:
        """The match as it stands, with its deliveries in the order recorded."""
        return {
            **self.data,
            "status": self.status.value,
            "supplier_accepted": Side.SUPPLIER in self.accepted,
            "vcfse_accepted": Side.VCFSE in self.accepted,
            "declined_by": None if self.declined is None else self.declined["side"],
            "decline_reason": None if self.declined is None else self.declined["reason"],
            "deliveries": [dict(d) for d in self.deliveries.values()],
            "version": self.version,
        }
