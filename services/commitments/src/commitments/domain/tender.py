"""The tender aggregate: a buyer's call for social value offers, from draft to award.

Lifecycle: draft, published, closed, then awarded; or cancelled at any point before award.
Rules from PPN 002 and the roadmap: the social value weighting is at least 10% of the total
score (refused below); evaluation is at least 60:40 qualitative to quantitative (allowed below,
with a warning); a tender relevant to VCFSE bidders is open at least six weeks (warning).

The tender's stream also notes every bid received or withdrawn (``BidReceived``,
``BidWithdrawalReceived``) and every evaluation, so that closing, evaluating and awarding see
exactly the bids that arrived before the tender closed: a bid and the closing cannot both
append to the tender at the same version.

Quantitative scores are worked out when the tender closes, once the set of bids is final:

- proxy-value basis, when every commitment of every bid has a proxy value: a bid scores
  100 x its total proxy value / the best bid's total proxy value;
- units basis otherwise: on each measure any bid commits to, a bid scores its committed units
  / the most units any bid commits to on it (0 when it commits none); its score is 100 x the
  mean of those shares over the measures.

Scores are rounded half up to two places.
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
from svledger.errors import Conflict, FieldProblem, NotFound, ValidationFailed
from svledger.quantities import figure

from commitments.domain.framework import Framework
from commitments.domain.rules import (
    MIN_QUALITATIVE_WEIGHT,
    MIN_SOCIAL_VALUE_WEIGHTING,
    VCFSE_MIN_OPEN_DAYS,
    RuleWarning,
    refuse,
    warnings_json,
)

TENDER_DRAFTED = "TenderDrafted"
TENDER_REVISED = "TenderRevised"
TENDER_PUBLISHED = "TenderPublished"
TENDER_CLOSED = "TenderClosed"
TENDER_CANCELLED = "TenderCancelled"
TENDER_AWARDED = "TenderAwarded"
BID_RECEIVED = "BidReceived"
BID_WITHDRAWAL_RECEIVED = "BidWithdrawalReceived"
BID_EVALUATED = "BidEvaluated"

HUNDRED = Decimal(100)
SCORE_PLACES = Decimal("0.01")

# The nine Cheshire and Merseyside boroughs: a tender's places unless the buyer says otherwise.
CHESHIRE_AND_MERSEYSIDE = (
    "Cheshire East",
    "Cheshire West and Chester",
    "Halton",
    "Knowsley",
    "Liverpool",
    "Sefton",
    "St Helens",
    "Warrington",
    "Wirral",
)


class TenderStatus(enum.StrEnum):
    """Where a tender is in its life."""

    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"
    AWARDED = "awarded"
    CANCELLED = "cancelled"


class ScoreBasis(enum.StrEnum):
    """What the quantitative score compares."""

    PROXY_VALUE = "proxy_value"
    UNITS = "units"


@dataclass(frozen=True, slots=True)
class TenderTerms:
    """What a buyer asks for and how offers will be weighed."""

    title: str
    description: str
    estimated_value_gbp: Decimal
    contract_starts_on: date
    contract_ends_on: date
    social_value_weighting: Decimal
    qualitative_weight: Decimal
    quantitative_weight: Decimal
    relevant_measures: list[str]
    places: list[str]
    vcfse_relevant: bool
    closes_on: date

    def as_json(self) -> dict[str, Any]:
        """The form events carry."""
        return {
            "title": self.title,
            "description": self.description,
            "estimated_value_gbp": figure(self.estimated_value_gbp),
            "contract_starts_on": self.contract_starts_on.isoformat(),
            "contract_ends_on": self.contract_ends_on.isoformat(),
            "social_value_weighting": figure(self.social_value_weighting),
            "qualitative_weight": figure(self.qualitative_weight),
            "quantitative_weight": figure(self.quantitative_weight),
            "relevant_measures": list(self.relevant_measures),
            "places": list(self.places),
            "vcfse_relevant": self.vcfse_relevant,
            "closes_on": self.closes_on.isoformat(),
        }

    @classmethod
    def of(cls, data: dict[str, Any]) -> TenderTerms:
        """Read back :meth:`as_json`."""
        return cls(
            title=data["title"],
            description=data["description"],
            estimated_value_gbp=Decimal(data["estimated_value_gbp"]),
            contract_starts_on=date.fromisoformat(data["contract_starts_on"]),
            contract_ends_on=date.fromisoformat(data["contract_ends_on"]),
            social_value_weighting=Decimal(data["social_value_weighting"]),
            qualitative_weight=Decimal(data["qualitative_weight"]),
            quantitative_weight=Decimal(data["quantitative_weight"]),
            relevant_measures=list(data["relevant_measures"]),
            places=list(data["places"]),
            vcfse_relevant=bool(data["vcfse_relevant"]),
            closes_on=date.fromisoformat(data["closes_on"]),
        )


@dataclass(frozen=True, slots=True)
class BidSummary:
    """What the tender keeps of a bid: enough to score it against the others."""

    bid_id: str
    supplier: str
    revision: int
    total_proxy_value_gbp: Decimal | None
    fully_proxied: bool
    quantities: dict[str, Decimal]

    def as_json(self) -> dict[str, Any]:
        """The form events carry."""
        return {
            "bid_id": self.bid_id,
            "supplier": self.supplier,
            "revision": self.revision,
            "total_proxy_value_gbp": (
                None if self.total_proxy_value_gbp is None else figure(self.total_proxy_value_gbp)
            ),
            "fully_proxied": self.fully_proxied,
            "quantities": {m: figure(q) for m, q in self.quantities.items()},
        }

    @classmethod
    def of(cls, data: dict[str, Any]) -> BidSummary:
        """Read back :meth:`as_json`."""
        total = data["total_proxy_value_gbp"]
        return cls(
            bid_id=data["bid_id"],
            supplier=data["supplier"],
            revision=int(data["revision"]),
            total_proxy_value_gbp=None if total is None else Decimal(total),
            fully_proxied=bool(data["fully_proxied"]),
            quantities={m: Decimal(q) for m, q in data["quantities"].items()},
        )


class Tender(Aggregate):
    """A buyer's tender and the social value offers made to it."""

    stream_prefix = "tender"

    def __init__(self) -> None:
        super().__init__()
        self.tender_id = ""
        self.buyer = ""
        self.framework_version = ""
        self.status = TenderStatus.DRAFT
        self.terms: TenderTerms | None = None
        self.warnings: list[dict[str, str]] = []
        self.published_on: str | None = None
        self.closed_on: str | None = None
        self.cancelled: dict[str, Any] | None = None
        self.award: dict[str, Any] | None = None
        self.bids: dict[str, BidSummary] = {}
        self.withdrawn: set[str] = set()
        self.basis: str | None = None
        self.quantitative_scores: dict[str, str] = {}
        self.evaluations: dict[str, dict[str, Any]] = {}

    # -- deciding ---------------------------------------------------------------------------

    @classmethod
    def draft(
        cls, tender_id: uuid.UUID, buyer: str, terms: TenderTerms, framework: Framework, today: date
    ) -> NewEvent:
        """Decide ``TenderDrafted``."""
        _check_terms(terms, framework)
        return NewEvent(
            TENDER_DRAFTED,
            {
                "tender_id": str(tender_id),
                "buyer": buyer,
                "framework_version": framework.version,
                **terms.as_json(),
                "warnings": warnings_json(_warnings(terms, today)),
            },
        )

    def revise(self, terms: TenderTerms, framework: Framework, today: date) -> NewEvent:
        """Decide ``TenderRevised``: only a draft's terms change."""
        self._require(TenderStatus.DRAFT, "revised")
        _check_terms(terms, framework)
        return self.record(
            NewEvent(
                TENDER_REVISED,
                {
                    "tender_id": self.tender_id,
                    **terms.as_json(),
                    "warnings": warnings_json(_warnings(terms, today)),
                },
            )
        )

    def publish(self, today: date) -> NewEvent:
        """Decide ``TenderPublished``: open to bids until the closing date."""
        self._require(TenderStatus.DRAFT, "published")
        terms = self._terms
        if terms.closes_on <= today:
            raise ValidationFailed(
                f"the closing date {terms.closes_on} has passed; revise it before publishing",
                field="closes_on",
            )
        return self.record(
            NewEvent(
                TENDER_PUBLISHED,
                {
                    "tender_id": self.tender_id,
                    "published_on": today.isoformat(),
                    "closes_on": terms.closes_on.isoformat(),
                    "warnings": warnings_json(_warnings(terms, today)),
                },
            )
        )

    def receive_bid(self, summary: BidSummary, today: date) -> NewEvent:
        """Decide ``BidReceived``: a new bid or a revision arrives while the tender is open."""
        self.require_open_for_bids(today)
        if summary.supplier == self.buyer:
            raise Conflict("a buyer cannot bid on its own tender")
        if summary.bid_id not in self.bids:
            for other in self.active_bids:
                if other.supplier == summary.supplier:
                    raise Conflict(
                        f"you already have bid {other.bid_id} on this tender; revise it instead"
                    )
        return self.record(
            NewEvent(BID_RECEIVED, {"tender_id": self.tender_id, **summary.as_json()})
        )

    def receive_withdrawal(self, bid_id: str, today: date) -> NewEvent:
        """Decide ``BidWithdrawalReceived``: a bid is withdrawn before the tender closes."""
        self.require_open_for_bids(today)
        return self.record(
            NewEvent(BID_WITHDRAWAL_RECEIVED, {"tender_id": self.tender_id, "bid_id": bid_id})
        )

    def close(self, today: date) -> NewEvent:
        """Decide ``TenderClosed``: the bids are final, so the quantitative scores are set."""
        self._require(TenderStatus.PUBLISHED, "closed")
        terms = self._terms
        if today <= terms.closes_on:
            raise Conflict(
                f"bids may arrive until the end of {terms.closes_on}; close the tender after that"
            )
        basis, scores = quantitative_scores(self.active_bids)
        return self.record(
            NewEvent(
                TENDER_CLOSED,
                {
                    "tender_id": self.tender_id,
                    "closed_on": today.isoformat(),
                    "bids": [b.bid_id for b in self.active_bids],
                    "basis": basis.value,
                    "quantitative_scores": {b: figure(s) for b, s in scores.items()},
                },
            )
        )

    def evaluate(
        self, bid_id: str, qualitative_score: Decimal, rationale: str, evaluator: str, today: date
    ) -> NewEvent:
        """Decide ``BidEvaluated``: the buyer's qualitative score, and the weighted result."""
        self._require(TenderStatus.CLOSED, "evaluated")
        bid = self._active_bid(bid_id)
        if not rationale.strip():
            raise ValidationFailed(
                "give the rationale for the qualitative score", field="rationale"
            )
        terms = self._terms
        quantitative = Decimal(self.quantitative_scores[bid_id])
        weighted = _score(
            (
                qualitative_score * terms.qualitative_weight
                + quantitative * terms.quantitative_weight
            )
            / HUNDRED
        )
        contribution = _score(weighted * terms.social_value_weighting / HUNDRED)
        return self.record(
            NewEvent(
                BID_EVALUATED,
                {
                    "tender_id": self.tender_id,
                    "bid_id": bid_id,
                    "supplier": bid.supplier,
                    "qualitative_score": figure(qualitative_score),
                    "rationale": rationale.strip(),
                    "quantitative_score": figure(quantitative),
                    "basis": self.basis,
                    "weighted_score": figure(weighted),
                    "award_contribution": figure(contribution),
                    "evaluator": evaluator,
                    "evaluated_on": today.isoformat(),
                },
            )
        )

    def award_to(self, bid_id: str, contract_id: uuid.UUID, today: date) -> NewEvent:
        """Decide ``TenderAwarded``: every bid is evaluated, and one wins."""
        self._require(TenderStatus.CLOSED, "awarded")
        bid = self._active_bid(bid_id)
        pending = [b.bid_id for b in self.active_bids if b.bid_id not in self.evaluations]
        if pending:
            raise Conflict(
                f"evaluate every bid before the award; not yet evaluated: {', '.join(pending)}"
            )
        return self.record(
            NewEvent(
                TENDER_AWARDED,
                {
                    "tender_id": self.tender_id,
                    "bid_id": bid_id,
                    "supplier": bid.supplier,
                    "contract_id": str(contract_id),
                    "awarded_on": today.isoformat(),
                },
            )
        )

    def cancel(self, reason: str, today: date) -> NewEvent:
        """Decide ``TenderCancelled``: any time before the award."""
        if self.status in (TenderStatus.AWARDED, TenderStatus.CANCELLED):
            raise Conflict(f"tender {self.tender_id} is {self.status}; it cannot be cancelled")
        if not reason.strip():
            raise ValidationFailed("say why the tender is cancelled", field="reason")
        return self.record(
            NewEvent(
                TENDER_CANCELLED,
                {
                    "tender_id": self.tender_id,
                    "reason": reason.strip(),
                    "cancelled_on": today.isoformat(),
                    "previous_status": self.status.value,
                },
            )
        )

    # -- reading ----------------------------------------------------------------------------

    @property
    def _terms(self) -> TenderTerms:
        assert self.terms is not None, "a tender has terms from its first event"
        return self.terms

    @property
    def active_bids(self) -> list[BidSummary]:
        """Bids received and not withdrawn, in the order they first arrived."""
        return [b for b in self.bids.values() if b.bid_id not in self.withdrawn]

    @property
    def bids_are_open(self) -> bool:
        """True once the tender has closed: the buyer may read the bids."""
        return self.closed_on is not None

    def require_open_for_bids(self, today: date) -> None:
        """Refuse unless the tender is published and its closing date has not passed."""
        if self.status is not TenderStatus.PUBLISHED:
            raise Conflict(f"tender {self.tender_id} is {self.status}, not open for bids")
        if today > self._terms.closes_on:
            raise Conflict(f"tender {self.tender_id} closed to bids on {self._terms.closes_on}")

    def visible_to(self, organisation: str) -> bool:
        """A draft is the buyer's alone; once published, everyone may read the tender."""
        return organisation == self.buyer or self.published_on is not None

    def _active_bid(self, bid_id: str) -> BidSummary:
        bid = self.bids.get(bid_id)
        if bid is None or bid_id in self.withdrawn:
            raise NotFound(f"bid {bid_id} is not a live bid on tender {self.tender_id}")
        return bid

    def _require(self, status: TenderStatus, action: str) -> None:
        if self.status is not status:
            raise Conflict(
                f"tender {self.tender_id} is {self.status}; only a {status} tender can be {action}"
            )

    def view(self) -> dict[str, Any]:
        """The tender as it stands."""
        return {
            "tender_id": self.tender_id,
            "version": self.version,
            "buyer": self.buyer,
            "status": self.status.value,
            "framework_version": self.framework_version,
            **self._terms.as_json(),
            "warnings": list(self.warnings),
            "published_on": self.published_on,
            "closed_on": self.closed_on,
            "cancellation": self.cancelled,
            "award": self.award,
        }

    # -- folding ----------------------------------------------------------------------------

    def when(self, event_type: str, data: dict[str, Any]) -> None:
        """Fold one event into the tender."""
        if event_type == TENDER_DRAFTED:
            self.tender_id = data["tender_id"]
            self.buyer = data["buyer"]
            self.framework_version = data["framework_version"]
            self.terms = TenderTerms.of(data)
            self.warnings = list(data["warnings"])
        elif event_type == TENDER_REVISED:
            self.terms = TenderTerms.of(data)
            self.warnings = list(data["warnings"])
        elif event_type == TENDER_PUBLISHED:
            self.status = TenderStatus.PUBLISHED
            self.published_on = data["published_on"]
            self.warnings = list(data["warnings"])
        elif event_type == BID_RECEIVED:
            summary = BidSummary.of(data)
            self.bids[summary.bid_id] = summary
        elif event_type == BID_WITHDRAWAL_RECEIVED:
            self.withdrawn.add(data["bid_id"])
        elif event_type == TENDER_CLOSED:
            self.status = TenderStatus.CLOSED
            self.closed_on = data["closed_on"]
            self.basis = data["basis"]
            self.quantitative_scores = dict(data["quantitative_scores"])
        elif event_type == BID_EVALUATED:
            self.evaluations[data["bid_id"]] = dict(data)
        elif event_type == TENDER_AWARDED:
            self.status = TenderStatus.AWARDED
            self.award = {
                "bid_id": data["bid_id"],
                "supplier": data["supplier"],
                "contract_id": data["contract_id"],
                "awarded_on": data["awarded_on"],
            }
        elif event_type == TENDER_CANCELLED:
            self.status = TenderStatus.CANCELLED
            self.cancelled = {"reason": data["reason"], "cancelled_on": data["cancelled_on"]}


def quantitative_scores(bids: list[BidSummary]) -> tuple[ScoreBasis, dict[str, Decimal]]:
    """Each bid's quantitative score (0 to 100) against the best bid; see the module notes."""
    if bids and all(b.fully_proxied for b in bids):
        best = max(b.total_proxy_value_gbp or Decimal(0) for b in bids)
        return ScoreBasis.PROXY_VALUE, {
            b.bid_id: _score(HUNDRED * (b.total_proxy_value_gbp or Decimal(0)) / best)
            if best > 0
            else Decimal(0)
            for b in bids
        }
    measures = sorted({m for b in bids for m in b.quantities})
    most = {m: max(b.quantities.get(m, Decimal(0)) for b in bids) for m in measures}
    scores = {}
    for b in bids:
        shares = [
            b.quantities.get(m, Decimal(0)) / most[m] if most[m] > 0 else Decimal(0)
            for m in measures
        ]
        scores[b.bid_id] = (
            _score(HUNDRED * sum(shares, Decimal(0)) / len(shares)) if shares else Decimal(0)
        )
    return ScoreBasis.UNITS, scores


def _score(value: Decimal) -> Decimal:
    return value.quantize(SCORE_PLACES, rounding=ROUND_HALF_UP)


def _check_terms(terms: TenderTerms, framework: Framework) -> None:
    problems: list[FieldProblem] = []
    if terms.social_value_weighting < MIN_SOCIAL_VALUE_WEIGHTING:
        problems.append(
            FieldProblem(
                "social_value_weighting",
                f"social value must carry at least {figure(MIN_SOCIAL_VALUE_WEIGHTING)}% of the "
                f"total award score (PPN 002); {figure(terms.social_value_weighting)}% is too low",
            )
        )
    if terms.qualitative_weight + terms.quantitative_weight != HUNDRED:
        problems.append(
            FieldProblem(
                "quantitative_weight",
                "the qualitative and quantitative weights add up to 100 "
                f"(given {figure(terms.qualitative_weight)} and "
                f"{figure(terms.quantitative_weight)})",
            )
        )
    if terms.contract_ends_on < terms.contract_starts_on:
        problems.append(FieldProblem("contract_ends_on", "the contract ends before it starts"))
    if terms.closes_on >= terms.contract_starts_on:
        problems.append(FieldProblem("closes_on", "the tender closes before the contract starts"))
    if not terms.relevant_measures:
        problems.append(
            FieldProblem(
                "relevant_measures",
                "name the measures relevant to this contract (or record a social value policy "
                "with priority measures to start from)",
            )
        )
    for i, code in enumerate(terms.relevant_measures):
        if code not in framework.measures:
            problems.append(
                FieldProblem(
                    f"relevant_measures.{i}",
                    f"'{code}' is not a measure of framework {framework.version}",
                )
            )
    if not terms.places:
        problems.append(FieldProblem("places", "name at least one place the contract serves"))
    for i, place in enumerate(terms.places):
        if not place.strip():
            problems.append(FieldProblem(f"places.{i}", "a place has a name"))
    refuse(problems, "tender")


def _warnings(terms: TenderTerms, opens_on: date) -> list[RuleWarning]:
    warnings = []
    if terms.qualitative_weight < MIN_QUALITATIVE_WEIGHT:
        warnings.append(
            RuleWarning(
                "qualitative-weight-below-60",
                "qualitative_weight",
                f"the roadmap asks for at least {figure(MIN_QUALITATIVE_WEIGHT)}:"
                f"{figure(HUNDRED - MIN_QUALITATIVE_WEIGHT)} qualitative to quantitative; "
                f"this tender weighs {figure(terms.qualitative_weight)}:"
                f"{figure(terms.quantitative_weight)}",
            )
        )
    open_days = (terms.closes_on - opens_on).days
    if terms.vcfse_relevant and open_days < VCFSE_MIN_OPEN_DAYS:
        warnings.append(
            RuleWarning(
                "short-vcfse-tender",
                "closes_on",
                f"a tender relevant to VCFSE organisations should be open at least six weeks; "
                f"this one is open {open_days} days (from {opens_on} to {terms.closes_on})",
            )
        )
    return warnings
