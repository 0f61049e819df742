"""A supplier's track record, and a bid's commitments read beside it. Pure rules.

The record is built from measurement's events (commitments consumes them; see
:mod:`commitments.consumers.track_record`). The rules a reader of the figures should know:

- **Delivered** is the sum of the lines of *accepted* returns, in their current version: a
  correction after acceptance counts as corrected, an amendment replaces what it amends, and
  lines of returns awaiting review (or queried) are not delivered yet. This is reporting's rule
  (``reporting.domain.portfolio``), so the two never disagree. It is also why the figures
  are worked out from returns and their review rather than taken from ``ObligationAssessed``,
  whose cumulative delivery counts returns the buyer has not accepted yet.
- **Committed to date** is the target of the quarters whose return was due before today
  (quarter end plus the contract's return days), and of any quarter whose return was accepted
  early; quarters cancelled when a contract closed are not committed at all. **Committed** is
  the whole target of the quarters not cancelled, as awarded or varied by agreement.
- **Delivery ratio** is delivered to date over committed to date, per measure (and unit):
  quantities of different measures (or of one measure in two units) are never added. The
  **overall delivery ratio** is the mean of the per-measure ratios, each capped at 1, so
  over-delivery on one measure cannot hide a shortfall on another.
- **Best delivered rate** on a measure is the most the supplier delivered of it on one
  contract in one quarter (the contract's obligations on that measure added together), over
  accepted quarters in which it had something of that measure to deliver or delivered some.
  One contract, because an offer is for one contract.
- **Returns on time**: of the quarters whose return came in or whose due date has passed
  (cancelled ones aside), the share whose return came in by its due date. A quarter past due
  without a return counts as missing.
- **Alerts** are those measurement raised on the supplier's contracts (pledge alerts concern an
  organisation's pledge, not a contract, and are left out); acknowledged ones are still open.
- **As of**: the recorded time of the newest measurement event reflected in the record.
- **Over-promise**: a bid's commitment is flagged when its busiest quarter's target is *more*
  than the multiple (default 1.5) times the supplier's best delivered rate on the measure;
  exactly the multiple is not flagged. A supplier with no contract on record is new: it is
  shown as such and never flagged. A measure the supplier has no accepted quarter on is not
  flagged either; one on which its best quarter delivered nothing is, for any offer above 0.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from svledger.periods import Quarter
from svledger.quantities import figure

ZERO = Decimal(0)
ONE = Fraction(1)

OPEN = "open"
ACKNOWLEDGED = "acknowledged"
RESOLVED = "resolved"


def rounded(value: Fraction | None) -> Decimal | None:
    """An exact ratio to four places, half up, for display; rules compare the exact value."""
    if value is None:
        return None
    return Decimal(math.floor(value * 10_000 + Fraction(1, 2))).scaleb(-4)


def natural_key(code: str) -> tuple[object, ...]:
    """Sort key putting NT2 before NT10."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", code))


# -- facts, as the consumers recorded them ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContractFacts:
    """A contract of the supplier, as measurement scheduled it."""

    contract_id: str
    reference: str
    buyer: str
    return_due_days: int = 30


@dataclass(frozen=True, slots=True)
class ObligationFacts:
    """One obligation: its measure, unit and quarterly targets (as varied)."""

    contract_id: str
    obligation_id: str
    measure: str
    unit: str
    targets: Mapping[str, Decimal]


@dataclass(frozen=True, slots=True)
class PeriodFacts:
    """One reporting quarter of a contract and how its return stands."""

    contract_id: str
    period: str
    due_on: date
    cancelled: bool = False
    submitted_on: date | None = None
    late: bool = False
    accepted: bool = False


@dataclass(frozen=True, slots=True)
class LineFacts:
    """The current version's quantity for one obligation in one quarter."""

    contract_id: str
    obligation_id: str
    period: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class AlertFacts:
    """An accountability alert on one of the supplier's contracts."""

    alert_id: str
    contract_id: str
    kind: str
    status: str


@dataclass(frozen=True, slots=True)
class SupplierFacts:
    """Everything recorded about one supplier, and the newest event reflected."""

    supplier: str
    as_of: datetime | None = None
    contracts: Sequence[ContractFacts] = ()
    obligations: Sequence[ObligationFacts] = ()
    periods: Sequence[PeriodFacts] = ()
    lines: Sequence[LineFacts] = ()
    alerts: Sequence[AlertFacts] = ()


# -- the record --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BestQuarter:
    """The most delivered of a measure on one contract in one quarter."""

    delivered: Decimal
    period: str
    contract_id: str
    reference: str


@dataclass(frozen=True, slots=True)
class MeasureRecord:
    """The supplier's record on one measure (in one unit), across its contracts."""

    measure: str
    unit: str
    contracts: int
    committed: Decimal
    committed_to_date: Decimal
    delivered_to_date: Decimal
    best: BestQuarter | None

    @property
    def exact_ratio(self) -> Fraction | None:
        """Delivered to date over committed to date, exactly; None while nothing is due."""
        if self.committed_to_date <= 0:
            return None
        return Fraction(self.delivered_to_date) / Fraction(self.committed_to_date)

    @property
    def delivery_ratio(self) -> Decimal | None:
        """The ratio to four places."""
        return rounded(self.exact_ratio)


@dataclass(frozen=True, slots=True)
class ReturnsRecord:
    """Returns that came in or fell due, and how many were on time."""

    due: int = 0
    on_time: int = 0
    late: int = 0
    missing: int = 0

    @property
    def on_time_share(self) -> Decimal | None:
        """On time over due, to four places; None when nothing has fallen due."""
        return rounded(Fraction(self.on_time, self.due) if self.due else None)


@dataclass(frozen=True, slots=True)
class AlertsRecord:
    """Alerts on the supplier's contracts: open (acknowledged or not) and resolved."""

    open: int = 0
    resolved: int = 0


@dataclass(frozen=True, slots=True)
class TrackRecord:
    """A supplier's record across its contracts, current up to ``as_of``."""

    supplier: str
    as_of: datetime | None
    contracts: int
    measures: tuple[MeasureRecord, ...]
    returns: ReturnsRecord
    alerts: AlertsRecord

    @property
    def new_supplier(self) -> bool:
        """No contract of the supplier's is on record."""
        return self.contracts == 0

    @property
    def overall_delivery_ratio(self) -> Decimal | None:
        """The mean of the per-measure ratios, each capped at 1; None when nothing is due."""
        ratios = [min(r, ONE) for m in self.measures if (r := m.exact_ratio) is not None]
        if not ratios:
            return None
        return rounded(sum(ratios, Fraction(0)) / len(ratios))

    def on(self, measure: str, unit: str) -> MeasureRecord | None:
        """The record on one measure, in one unit."""
        return next((m for m in self.measures if (m.measure, m.unit) == (measure, unit)), None)


def track_record(facts: SupplierFacts, today: date) -> TrackRecord:
    """The supplier's record as of ``today`` (see the module's rules)."""
    book = _Book(facts, today)
    return TrackRecord(
        supplier=facts.supplier,
        as_of=facts.as_of,
        contracts=len(facts.contracts),
        measures=book.measures(),
        returns=book.returns(),
        alerts=AlertsRecord(
            open=sum(1 for a in facts.alerts if a.status != RESOLVED),
            resolved=sum(1 for a in facts.alerts if a.status == RESOLVED),
        ),
    )


class _Book:
    """The facts of one supplier, indexed for the rules."""

    def __init__(self, facts: SupplierFacts, today: date) -> None:
        self.today = today
        self.contracts = {c.contract_id: c for c in facts.contracts}
        self.obligations = [o for o in facts.obligations if o.contract_id in self.contracts]
        self.periods = {(p.contract_id, p.period): p for p in facts.periods}
        self.delivered: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(dict)
        for line in facts.lines:
            self.delivered[(line.contract_id, line.obligation_id)][line.period] = line.quantity

    def _period(self, contract_id: str, period: str) -> PeriodFacts:
        known = self.periods.get((contract_id, period))
        if known is not None:
            return known
        days = self.contracts[contract_id].return_due_days
        return PeriodFacts(contract_id, period, Quarter.parse(period).due(days))

    def _to_date(self, p: PeriodFacts) -> bool:
        return not p.cancelled and (p.due_on < self.today or p.accepted)

    def measures(self) -> tuple[MeasureRecord, ...]:
        """One record per measure and unit, NT2 before NT10."""
        by_measure: dict[tuple[str, str], list[ObligationFacts]] = defaultdict(list)
        for ob in self.obligations:
            by_measure[(ob.measure, ob.unit)].append(ob)
        return tuple(
            self._measure(measure, unit, obligations)
            for (measure, unit), obligations in sorted(
                by_measure.items(), key=lambda item: (natural_key(item[0][0]), item[0][1])
            )
        )

    def _measure(
        self, measure: str, unit: str, obligations: Sequence[ObligationFacts]
    ) -> MeasureRecord:
        committed = to_date = delivered = ZERO
        quarters: dict[tuple[str, str], _Quarter] = defaultdict(_Quarter)
        for ob in obligations:
            delivered_in = self.delivered.get((ob.contract_id, ob.obligation_id), {})
            for period in sorted({*ob.targets, *delivered_in}):
                p = self._period(ob.contract_id, period)
                target = ob.targets.get(period, ZERO)
                quantity = delivered_in.get(period, ZERO)
                if not p.cancelled:
                    committed += target
                if self._to_date(p):
                    to_date += target
                if p.accepted:
                    delivered += quantity
                    quarters[(ob.contract_id, period)].add(target, quantity)
        return MeasureRecord(
            measure=measure,
            unit=unit,
            contracts=len({ob.contract_id for ob in obligations}),
            committed=committed,
            committed_to_date=to_date,
            delivered_to_date=delivered,
            best=self._best(quarters),
        )

    def _best(self, quarters: Mapping[tuple[str, str], _Quarter]) -> BestQuarter | None:
        candidates = [
            BestQuarter(q.delivered, period, contract_id, self.contracts[contract_id].reference)
            for (contract_id, period), q in quarters.items()
            if q.counts
        ]
        if not candidates:
            return None
        return min(candidates, key=lambda b: (-b.delivered, b.period, b.reference, b.contract_id))

    def returns(self) -> ReturnsRecord:
        """Quarters whose return came in or fell due, cancelled ones aside."""
        counted = [
            p for p in self.periods.values() if p.contract_id in self.contracts and not p.cancelled
        ]
        came_in = [p for p in counted if p.submitted_on is not None]
        late = sum(1 for p in came_in if p.late)
        missing = sum(1 for p in counted if p.submitted_on is None and p.due_on < self.today)
        return ReturnsRecord(len(came_in) + missing, len(came_in) - late, late, missing)


@dataclass(slots=True)
class _Quarter:
    """What one contract had to deliver of a measure in one accepted quarter, and delivered."""

    target: Decimal = ZERO
    delivered: Decimal = ZERO

    def add(self, target: Decimal, delivered: Decimal) -> None:
        self.target += target
        self.delivered += delivered

    @property
    def counts(self) -> bool:
        """A quarter with nothing due and nothing delivered says nothing about capacity."""
        return self.target > 0 or self.delivered > 0


# -- a bid beside the record -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OfferedCommitment:
    """A bid's commitment: its measure, unit, total and quarterly targets."""

    commitment_id: str
    measure: str
    unit: str
    quantity: Decimal
    targets: Mapping[str, Decimal]

    @property
    def per_quarter(self) -> Decimal:
        """The busiest quarter's target: what the offer asks of the supplier at its peak."""
        return max(self.targets.values(), default=ZERO)


@dataclass(frozen=True, slots=True)
class CommitmentCheck:
    """One commitment beside the supplier's record on its measure."""

    commitment: OfferedCommitment
    record: MeasureRecord | None
    exact_ratio: Fraction | None
    overpromise: bool
    message: str

    @property
    def best(self) -> BestQuarter | None:
        """The supplier's best delivered quarter on the measure, if any."""
        return None if self.record is None else self.record.best

    @property
    def ratio(self) -> Decimal | None:
        """The offer per quarter over the best delivered rate, to four places."""
        return rounded(self.exact_ratio)


@dataclass(frozen=True, slots=True)
class BidCheck:
    """A bid's commitments beside its supplier's record."""

    record: TrackRecord
    multiple: Decimal
    commitments: tuple[CommitmentCheck, ...] = field(default_factory=tuple)

    @property
    def new_supplier(self) -> bool:
        """The supplier has no record: shown as new, never flagged."""
        return self.record.new_supplier


def check_bid(
    record: TrackRecord, commitments: Iterable[OfferedCommitment], multiple: Decimal
) -> BidCheck:
    """Each commitment beside the record; flagged when above ``multiple`` times the best rate."""
    return BidCheck(
        record=record,
        multiple=multiple,
        commitments=tuple(check_commitment(record, c, multiple) for c in commitments),
    )


def check_commitment(
    record: TrackRecord, offered: OfferedCommitment, multiple: Decimal
) -> CommitmentCheck:
    """One commitment beside the supplier's best delivered rate on its measure."""
    on_measure = record.on(offered.measure, offered.unit)
    best = None if on_measure is None else on_measure.best
    per_quarter = offered.per_quarter
    if record.new_supplier:
        return CommitmentCheck(
            offered, None, None, False, "a new supplier: no delivery on record to compare with"
        )
    if best is None:
        return CommitmentCheck(
            offered,
            on_measure,
            None,
            False,
            f"no delivery of {offered.measure} on record to compare with",
        )
    flagged = Fraction(per_quarter) > Fraction(multiple) * Fraction(best.delivered)
    if best.delivered == 0:
        message = (
            f"this offer is {figure(per_quarter)} {offered.unit} a quarter on "
            f"{offered.measure}, where your best delivered rate is 0"
        )
        return CommitmentCheck(offered, on_measure, None, flagged, message)
    exact = Fraction(per_quarter) / Fraction(best.delivered)
    message = (
        f"this offer is {_times(exact, multiple, flagged)} times your best delivered rate "
        f"on {offered.measure}"
    )
    return CommitmentCheck(offered, on_measure, exact, flagged, message)


def _times(exact: Fraction, multiple: Decimal, flagged: bool) -> str:
    """The ratio to one place; where that would blur the flag's boundary, said plainly."""
    short = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        Decimal("0.1"), ROUND_HALF_UP
    )
    if flagged and short <= multiple:
        return f"more than {figure(multiple)}"
    if not flagged and short > multiple:
        precise = rounded(exact)
        assert precise is not None
        return figure(precise)
    return figure(short)
