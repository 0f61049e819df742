"""Explainable matching of asks and suppliers: every suggestion carries its reasons and score.

A supplier fits an ask through its capabilities: the obligations it owes under open contracts
and the offers it has posted, each on one measure. The score is the sum of five reasons, each
worth a stated number of points, so anyone can see why one suggestion ranks above another:

- measure fit (up to 40): the share of the ask's measures the supplier owes or offers;
- place fit (20): the supplier works in the ask's place (10 when it has not said where);
- capacity (up to 15): how much of what is still needed it owes or offers, in the ask's unit;
- shortfall (up to 15): how far behind it is on those measures (1 - delivered/target), so
  suppliers that need partners to recover come first;
- local need (10, 6 or 3): the priority published local needs analyses give the ask's place
  and outcomes, so asks where need is greatest come first.

Pure functions: the caller gathers the facts from the read models.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from svledger.quantities import figure

from brokerage.domain.needs import Need, Priority
from brokerage.domain.rules import same_unit

MEASURE_POINTS = Decimal(40)
PLACE_POINTS = Decimal(20)
CAPACITY_POINTS = Decimal(15)
SHORTFALL_POINTS = Decimal(15)
NEED_POINTS = {Priority.HIGH: Decimal(10), Priority.MEDIUM: Decimal(6), Priority.LOW: Decimal(3)}
_CENT = Decimal("0.01")
# Without a ratio, how far behind an alert's severity suggests a supplier is.
_SEVERITY_GAP = {"high": Decimal("0.75"), "medium": Decimal("0.5"), "low": Decimal("0.25")}


@dataclass(frozen=True, slots=True)
class AskFacts:
    """What matching needs to know about an ask."""

    ask_id: str
    vcfse: str
    measures: tuple[str, ...]
    place: str
    outcomes: tuple[str, ...]
    remaining: Decimal
    unit: str
    needed_by: date


@dataclass(frozen=True, slots=True)
class Capability:
    """Something a supplier owes (an obligation) or offers (an offer), on one measure."""

    supplier: str
    measure: str
    places: frozenset[str] | None  # None: not stated
    quantity: Decimal | None
    unit: str | None
    obligation_id: str | None = None
    contract_id: str | None = None
    buyer: str | None = None
    offer_id: str | None = None


@dataclass(frozen=True, slots=True)
class Behind:
    """An open shortfall: a supplier under-delivering, or at risk of it, on one obligation."""

    supplier: str
    measure: str
    obligation_id: str
    kind: str
    severity: str
    ratio: Decimal | None
    period: str

    @property
    def gap(self) -> Decimal:
        """How far behind, from 0 (on track) to 1 (nothing delivered)."""
        if self.ratio is None:
            return _SEVERITY_GAP.get(self.severity, Decimal("0.5"))
        return min(max(Decimal(1) - self.ratio, Decimal(0)), Decimal(1))


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason a suggestion scores what it does."""

    factor: str
    points: Decimal
    detail: str

    def as_json(self) -> dict[str, Any]:
        """As event data and responses."""
        return {"factor": self.factor, "points": figure(self.points), "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A supplier suggested for an ask, the score, the reasons, and what would tie them."""

    ask_id: str
    vcfse: str
    supplier: str
    score: Decimal
    reasons: tuple[Reason, ...]
    measure: str
    measures: tuple[str, ...]  # the ask's measures the supplier owes or offers
    unit: str
    obligation_id: str | None = None
    contract_id: str | None = None
    buyer: str | None = None
    offer_id: str | None = None
    needed_by: date = date.max

    @property
    def fits(self) -> bool:
        """True when the supplier owes or offers at least one of the ask's measures."""
        return bool(self.measures)

    def points(self, factor: str) -> Decimal:
        """The points one factor earned."""
        return sum((r.points for r in self.reasons if r.factor == factor), Decimal(0))


def assess(
    ask: AskFacts,
    supplier: str,
    capabilities: Iterable[Capability],
    behind: Iterable[Behind],
    needs: Iterable[Need],
    *,
    registered_places: frozenset[str] = frozenset(),
    measure: str | None = None,
    obligation_id: str | None = None,
) -> Suggestion:
    """Score how well ``supplier`` fits ``ask``, with the reasons.

    ``measure`` and ``obligation_id`` pin what the match would be about (an alert names them).
    """
    own = [c for c in capabilities if c.supplier == supplier]
    shortfalls = [b for b in behind if b.supplier == supplier]
    covered = tuple(m for m in ask.measures if any(c.measure == m for c in own))
    relevant = [c for c in own if c.measure in covered]
    on_covered = [b for b in shortfalls if b.measure in covered]
    reasons = (
        _measure_fit(ask, covered, relevant),
        _place_fit(ask, relevant, registered_places),
        _capacity(ask, relevant),
        _shortfall(on_covered),
        _local_need(ask, needs),
    )
    primary = _primary_measure(ask, covered, on_covered, measure)
    obligation = _obligation_for(ask, primary, relevant, on_covered, obligation_id)
    offer = _offer_for(ask, primary, relevant, obligation)
    unit = next((c.unit for c in (obligation, offer) if c is not None and c.unit), ask.unit)
    return Suggestion(
        ask_id=ask.ask_id,
        vcfse=ask.vcfse,
        supplier=supplier,
        score=sum((r.points for r in reasons), Decimal(0)),
        reasons=reasons,
        measure=primary,
        measures=covered,
        unit=unit,
        obligation_id=obligation_id or (obligation.obligation_id if obligation else None),
        contract_id=obligation.contract_id if obligation else None,
        buyer=obligation.buyer if obligation else None,
        offer_id=offer.offer_id if offer else None,
        needed_by=ask.needed_by,
    )


def rank_suppliers(
    ask: AskFacts,
    capabilities: Sequence[Capability],
    behind: Sequence[Behind],
    needs: Sequence[Need],
    registered_places: Mapping[str, frozenset[str]],
) -> list[Suggestion]:
    """Suppliers that owe or offer any of the ask's measures, best fit first."""
    suppliers = sorted({c.supplier for c in capabilities if c.measure in ask.measures})
    suggestions = [
        assess(
            ask,
            s,
            capabilities,
            behind,
            needs,
            registered_places=registered_places.get(s, frozenset()),
        )
        for s in suppliers
    ]
    return sorted(
        (s for s in suggestions if s.fits),
        key=lambda s: (-s.score, -s.points("shortfall"), s.supplier),
    )


def rank_asks(
    supplier: str,
    asks: Sequence[AskFacts],
    capabilities: Sequence[Capability],
    behind: Sequence[Behind],
    needs: Sequence[Need],
    *,
    registered_places: frozenset[str] = frozenset(),
    measure: str | None = None,
    obligation_id: str | None = None,
) -> list[Suggestion]:
    """Asks that fit what ``supplier`` owes or offers, best fit first (earliest need on ties).

    With ``measure``, only asks counting in that measure, and the match is about it.
    """
    candidates = [a for a in asks if measure is None or measure in a.measures]
    suggestions = [
        assess(
            a,
            supplier,
            capabilities,
            behind,
            needs,
            registered_places=registered_places,
            measure=measure,
            obligation_id=obligation_id,
        )
        for a in candidates
    ]
    return sorted(
        (s for s in suggestions if s.fits or measure is not None),
        key=lambda s: (-s.score, s.needed_by, s.ask_id),
    )


def _points(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _measure_fit(ask: AskFacts, covered: tuple[str, ...], relevant: list[Capability]) -> Reason:
    asked = ", ".join(ask.measures)
    if not covered:
        return Reason("measure", Decimal("0.00"), f"owes and offers none of the ask's {asked}")
    points = _points(MEASURE_POINTS * len(covered) / len(ask.measures))
    owed = sorted({c.measure for c in relevant if c.obligation_id and not c.offer_id})
    offered = sorted({c.measure for c in relevant if c.offer_id})
    how = "; ".join(
        part
        for part in (
            f"owes {', '.join(owed)} under a contract" if owed else "",
            f"offers {', '.join(offered)}" if offered else "",
        )
        if part
    )
    return Reason(
        "measure",
        points,
        f"fits {len(covered)} of the ask's {len(ask.measures)} measures ({asked}): {how}",
    )


def _place_fit(ask: AskFacts, relevant: list[Capability], registered: frozenset[str]) -> Reason:
    stated = [c.places for c in relevant if c.places is not None]
    places = frozenset().union(*stated, registered)
    if ask.place in places:
        return Reason("place", _points(PLACE_POINTS), f"works in {ask.place}")
    if not places:
        return Reason(
            "place", _points(PLACE_POINTS / 2), f"has not said where it works; {ask.place} may fit"
        )
    return Reason(
        "place",
        Decimal("0.00"),
        f"works in {', '.join(sorted(places))}, not {ask.place}",
    )


def _capacity(ask: AskFacts, relevant: list[Capability]) -> Reason:
    amounts = [
        c.quantity for c in relevant if c.quantity is not None and same_unit(c.unit, ask.unit)
    ]
    if not amounts:
        return Reason("capacity", Decimal("0.00"), f"states no quantity in {ask.unit} to compare")
    capacity = sum(amounts, Decimal(0))
    share = Decimal(1) if ask.remaining <= 0 else min(capacity / ask.remaining, Decimal(1))
    return Reason(
        "capacity",
        _points(CAPACITY_POINTS * share),
        f"owes or offers {figure(capacity)} {ask.unit} against {figure(ask.remaining)} "
        "still needed",
    )


def _shortfall(on_covered: list[Behind]) -> Reason:
    if not on_covered:
        return Reason("shortfall", Decimal("0.00"), "not behind on these measures")
    worst = max(on_covered, key=lambda b: (b.gap, b.period))
    points = _points(SHORTFALL_POINTS * worst.gap)
    if worst.kind == "at_risk":
        detail = f"at risk on {worst.measure}: forecast short of its commitment ({worst.period})"
    elif worst.ratio is not None:
        delivered = _points(worst.ratio * 100).normalize()
        detail = (
            f"behind on {worst.measure} in {worst.period}: delivered {figure(delivered)}% "
            "of target to date"
        )
    else:
        detail = f"behind on {worst.measure} in {worst.period} ({worst.severity} severity)"
    return Reason("shortfall", points, detail)


def _local_need(ask: AskFacts, needs: Iterable[Need]) -> Reason:
    outcomes = {o.strip().lower() for o in ask.outcomes}
    # An ask that names no outcome (nor did its VCFSE) meets any need in its place.
    found = [
        n
        for n in needs
        if n.place == ask.place and (not outcomes or n.outcome.strip().lower() in outcomes)
    ]
    if not found:
        return Reason("local_need", Decimal("0.00"), f"no published need in {ask.place} for it")
    top = max(found, key=lambda n: (n.priority.rank, n.publisher))
    by = f" (published by {top.publisher})" if top.publisher else ""
    return Reason(
        "local_need",
        _points(NEED_POINTS[top.priority]),
        f"{top.priority.value} need in {ask.place} for '{top.outcome}'{by}",
    )


def _primary_measure(
    ask: AskFacts, covered: tuple[str, ...], on_covered: list[Behind], pinned: str | None
) -> str:
    if pinned is not None:
        return pinned
    if on_covered:
        worst = max(on_covered, key=lambda b: (b.gap, -ask.measures.index(b.measure)))
        return worst.measure
    return covered[0] if covered else ask.measures[0]


def _obligation_for(
    ask: AskFacts,
    measure: str,
    relevant: list[Capability],
    on_covered: list[Behind],
    pinned: str | None,
) -> Capability | None:
    owed = [c for c in relevant if c.measure == measure and c.obligation_id and not c.offer_id]
    if pinned is not None:
        return next((c for c in owed if c.obligation_id == pinned), None)
    behind = {b.obligation_id: b.gap for b in on_covered}

    def preference(c: Capability) -> tuple[Decimal, bool, str]:
        serves = c.places is not None and ask.place in c.places
        return (behind.get(c.obligation_id or "", Decimal(-1)), serves, c.obligation_id or "")

    return max(owed, key=preference, default=None)


def _offer_for(
    ask: AskFacts, measure: str, relevant: list[Capability], obligation: Capability | None
) -> Capability | None:
    offered = [c for c in relevant if c.measure == measure and c.offer_id]

    def preference(c: Capability) -> tuple[bool, bool, str]:
        tied = obligation is not None and c.obligation_id == obligation.obligation_id
        serves = c.places is not None and ask.place in c.places
        return (tied, serves, c.offer_id or "")

    return max(offered, key=preference, default=None)
