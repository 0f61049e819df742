"""The bid aggregate: a supplier's social value offer to a tender, with its revisions.

Each commitment names a measure the tender marks relevant, a total in the measure's unit, a
delivery profile across the contract's quarters (the quarterly targets it implies are worked
out at once and kept with the bid, so the award turns them into obligations unchanged), a
place the tender serves, an optional VCFSE partner and a delivery narrative. Where the pinned
framework has proxy values the offer's total proxy value is set against the contract value,
and an offer above the proportionality share (default 50%) is recorded with a warning.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from svledger.aggregate import Aggregate
from svledger.envelope import NewEvent
from svledger.errors import Conflict, FieldProblem, ValidationFailed
from svledger.quantities import figure

from commitments.domain.framework import Framework
from commitments.domain.profile import DeliveryProfile, quarterly_targets
from commitments.domain.rules import RuleWarning, refuse, warnings_json
from commitments.domain.tender import BidSummary, Tender, TenderTerms

BID_SUBMITTED = "BidSubmitted"
BID_REVISED = "BidRevised"
BID_WITHDRAWN = "BidWithdrawn"

PENNY = Decimal("0.01")
SHARE_PLACES = Decimal("0.0001")


class BidStatus(enum.StrEnum):
    """Where a bid stands on its own; the tender's outcome is added when reading."""

    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True)
class CommitmentTerms:
    """One social value commitment of an offer."""

    measure: str
    quantity: Decimal
    profile: DeliveryProfile
    place: str
    narrative: str
    vcfse_partner: str | None = None


@dataclass(frozen=True, slots=True)
class OfferTerms:
    """A social value offer: commitments, a method statement and the additionality declaration."""

    commitments: list[CommitmentTerms]
    method_statement: str
    additionality_declared: bool


class Bid(Aggregate):
    """A supplier's bid on one tender (stream ``bid-<uuid>``)."""

    stream_prefix = "bid"

    def __init__(self) -> None:
        super().__init__()
        self.bid_id = ""
        self.tender_id = ""
        self.supplier = ""
        self.buyer = ""
        self.status = BidStatus.SUBMITTED
        self.current: dict[str, Any] = {}
        self.revisions: list[dict[str, Any]] = []
        self.withdrawal: dict[str, Any] | None = None

    @classmethod
    def submit(
        cls,
        bid_id: uuid.UUID,
        tender: Tender,
        supplier: str,
        offer: OfferTerms,
        *,
        framework: Framework,
        share_limit: Decimal,
        today: date,
    ) -> NewEvent:
        """Decide ``BidSubmitted``: the first version of an offer."""
        data = _offer(
            str(bid_id),
            tender,
            supplier,
            offer,
            rules=_Rules(framework, share_limit, today),
            revision=1,
        )
        return NewEvent(BID_SUBMITTED, data)

    def revise(
        self,
        tender: Tender,
        offer: OfferTerms,
        *,
        framework: Framework,
        share_limit: Decimal,
        today: date,
    ) -> NewEvent:
        """Decide ``BidRevised``: a new version of the offer; earlier ones stay in the history."""
        self._require_live("revised")
        rules = _Rules(framework, share_limit, today)
        data = _offer(
            self.bid_id, tender, self.supplier, offer, rules=rules, revision=len(self.revisions) + 1
        )
        return self.record(NewEvent(BID_REVISED, data))

    def withdraw(self, reason: str, today: date) -> NewEvent:
        """Decide ``BidWithdrawn``."""
        self._require_live("withdrawn")
        return self.record(
            NewEvent(
                BID_WITHDRAWN,
                {
                    "bid_id": self.bid_id,
                    "tender_id": self.tender_id,
                    "reason": reason.strip(),
                    "withdrawn_on": today.isoformat(),
                },
            )
        )

    def summary(self) -> BidSummary:
        """What the tender keeps of the current offer."""
        commitments = self.current["commitments"]
        quantities: dict[str, Decimal] = {}
        for c in commitments:
            quantities[c["measure"]] = quantities.get(c["measure"], Decimal(0)) + Decimal(
                c["quantity"]
            )
        total = self.current["total_proxy_value_gbp"]
        return BidSummary(
            bid_id=self.bid_id,
            supplier=self.supplier,
            revision=int(self.current["revision"]),
            total_proxy_value_gbp=None if total is None else Decimal(total),
            fully_proxied=bool(self.current["fully_proxied"]),
            quantities=quantities,
        )

    def _require_live(self, action: str) -> None:
        if self.status is BidStatus.WITHDRAWN:
            raise Conflict(f"bid {self.bid_id} was withdrawn; it cannot be {action}")

    def when(self, event_type: str, data: dict[str, Any]) -> None:
        """Fold one event into the bid."""
        if event_type in (BID_SUBMITTED, BID_REVISED):
            self.bid_id = data["bid_id"]
            self.tender_id = data["tender_id"]
            self.supplier = data["supplier"]
            self.buyer = data["buyer"]
            self.current = dict(data)
            self.revisions.append(dict(data))
        elif event_type == BID_WITHDRAWN:
            self.status = BidStatus.WITHDRAWN
            self.withdrawal = {"reason": data["reason"], "withdrawn_on": data["withdrawn_on"]}

    def view(self) -> dict[str, Any]:
        """The bid as it stands."""
        return {
            **self.current,
            "version": self.version,
            "status": self.status.value,
            "withdrawal": self.withdrawal,
        }


@dataclass(frozen=True, slots=True)
class _Rules:
    """What an offer is checked against besides the tender: the framework, the
    proportionality threshold and the day."""

    framework: Framework
    share_limit: Decimal
    today: date


def _offer(
    bid_id: str,
    tender: Tender,
    supplier: str,
    offer: OfferTerms,
    *,
    rules: _Rules,
    revision: int,
) -> dict[str, Any]:
    terms = tender.terms
    assert terms is not None
    problems: list[FieldProblem] = []
    commitments = [
        made
        for i, c in enumerate(offer.commitments)
        if (made := _commitment(f"commitments.{i}", c, terms, rules.framework, problems))
    ]
    if not offer.commitments:
        problems.append(FieldProblem("commitments", "an offer makes at least one commitment"))
    if not offer.method_statement.strip():
        problems.append(
            FieldProblem("method_statement", "describe how the commitments will be delivered")
        )
    if not offer.additionality_declared:
        problems.append(
            FieldProblem(
                "additionality_declared",
                "declare that the commitments are additional to the core contract requirements",
            )
        )
    refuse(problems, "bid")
    values = [Decimal(c["proxy_value_gbp"]) for c in commitments if c["proxy_value_gbp"]]
    total = sum(values, Decimal(0)) if values else None
    share = None
    warnings: list[RuleWarning] = []
    if total is not None and terms.estimated_value_gbp > 0:
        share = (total / terms.estimated_value_gbp).quantize(SHARE_PLACES, ROUND_HALF_UP)
        if share > rules.share_limit:
            warnings.append(
                RuleWarning(
                    "out-of-proportion",
                    "commitments",
                    f"the offer's proxy value (GBP {figure(total)}) is "
                    f"{figure(share * 100)}% of the contract value "
                    f"(GBP {figure(terms.estimated_value_gbp)}), above the "
                    f"{figure(rules.share_limit * 100)}% proportionality threshold",
                )
            )
    return {
        "bid_id": bid_id,
        "tender_id": tender.tender_id,
        "supplier": supplier,
        "buyer": tender.buyer,
        "revision": revision,
        "framework_version": rules.framework.version,
        "commitments": commitments,
        "method_statement": offer.method_statement.strip(),
        "additionality_declared": offer.additionality_declared,
        "total_proxy_value_gbp": None if total is None else figure(total),
        "fully_proxied": len(values) == len(commitments) > 0,
        "proxy_value_share": None if share is None else figure(share),
        "warnings": warnings_json(warnings),
        "submitted_on": rules.today.isoformat(),
    }


def _commitment(
    where: str,
    c: CommitmentTerms,
    terms: TenderTerms,
    framework: Framework,
    problems: list[FieldProblem],
) -> dict[str, Any] | None:
    """A commitment as recorded, or None (with its problems noted) when its measure is wrong."""
    if c.measure not in terms.relevant_measures:
        problems.append(
            FieldProblem(
                f"{where}.measure",
                f"{c.measure} is not one of the measures this tender marks relevant "
                f"({', '.join(terms.relevant_measures)})",
            )
        )
        return None
    measure = framework.measure(c.measure, field=f"{where}.measure")
    if c.quantity <= 0:
        problems.append(FieldProblem(f"{where}.quantity", "commit to more than nothing"))
    if c.place not in terms.places:
        problems.append(
            FieldProblem(
                f"{where}.place",
                f"'{c.place}' is not one of the tender's places: {', '.join(terms.places)}",
            )
        )
    if not c.narrative.strip():
        problems.append(
            FieldProblem(f"{where}.narrative", "say how the commitment will be delivered")
        )
    try:
        targets = quarterly_targets(
            c.quantity,
            terms.contract_starts_on,
            terms.contract_ends_on,
            c.profile,
            f"{where}.profile",
        )
    except ValidationFailed as exc:
        problems.extend(exc.errors)
        targets = {}
    per_unit = framework.proxy_value(measure.code)
    value = None if per_unit is None else (c.quantity * per_unit).quantize(PENNY, ROUND_HALF_UP)
    return {
        "commitment_id": str(uuid.uuid4()),
        "measure": measure.code,
        "theme": measure.theme,
        "outcome": measure.outcome,
        "unit": measure.unit,
        "quantity": figure(c.quantity),
        "profile": c.profile.as_json(),
        "targets": {q.label: figure(v) for q, v in sorted(targets.items())},
        "place": c.place,
        "vcfse_partner": c.vcfse_partner,
        "narrative": c.narrative.strip(),
        "proxy_value_gbp_per_unit": None if per_unit is None else figure(per_unit),
        "proxy_value_gbp": None if value is None else figure(value),
    }
