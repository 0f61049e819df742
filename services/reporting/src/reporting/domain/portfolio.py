"""Committed against delivered social value across a portfolio of contracts. Pure rules.

The rules a reader of any report here should know:

- **Delivered** is the sum of the lines of *accepted* returns (their current version, so a
  correction after acceptance counts as corrected). Lines of returns not yet accepted are shown
  apart, as *awaiting review*, and never counted as delivered.
- **Committed** is an obligation's whole target (every quarter), as awarded, varied by
  agreement, or cut by termination. **Due to date** is the target of the quarters whose
  return was due before the report's day (quarter end plus the contract's return days), and of
  any quarter whose return was accepted early.
- **Delivery ratio** is delivered over due to date. Across several obligations it is the mean
  of each obligation's ratio capped at 1, so over-delivery on one measure cannot hide a
  shortfall on another; units of different measures are never added together.
- **GBP proxy value** of an obligation is its units times the GBP-per-unit figure the award
  pinned, or else the figure the contract's framework version has loaded for the measure.
  Without either, the obligation reports in units only; GBP totals cover the valued
  obligations and say whether that is all of them.
- **Place** is where the obligation is to be delivered; failing that, the contract's place
  when it names exactly one; failing that, "not stated".
"""

from __future__ import annotations

import enum
import functools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from svledger.periods import Quarter

ZERO = Decimal(0)
ONE = Fraction(1)
# An obligation is on track when it has delivered at least this share of what is due to date
# (measurement's green threshold).
ON_TRACK = Decimal("0.95")
_ON_TRACK = Fraction(ON_TRACK)
PLACE_NOT_STATED = "not stated"


def exact_ratio(numerator: Decimal, denominator: Decimal) -> Fraction | None:
    """numerator / denominator exactly; None when nothing is due."""
    if denominator <= 0:
        return None
    return _fraction(numerator, denominator)


def _fraction(numerator: Decimal, denominator: Decimal) -> Fraction:
    """numerator / denominator (> 0) exactly."""
    return Fraction(*_in_integers(numerator, denominator))


def _in_integers(numerator: Decimal, denominator: Decimal) -> tuple[int, int]:
    """numerator / denominator as a ratio of two integers, from each figure's integer ratio: a
    report works out one per obligation, and making a Fraction of each Decimal, then
    dividing, took two and a half times as long."""
    top, top_scale = numerator.as_integer_ratio()
    bottom, bottom_scale = denominator.as_integer_ratio()
    return top * bottom_scale, top_scale * bottom


def rounded(value: Fraction | None) -> Decimal | None:
    """An exact ratio to four places, half up, for display (quantities are never negative).

    Rules compare the exact value: 0.949995 shows as 0.95 but is not on track.
    """
    if value is None:
        return None
    return _four_places(value.numerator, value.denominator)


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """numerator / denominator to four places (half up); None when nothing is due."""
    if denominator <= 0:
        return None
    # In integers throughout: a breakdown shows one ratio per line, thousands for a national
    # buyer, and going through a Fraction took four times as long.
    return _four_places(*_in_integers(numerator, denominator))


def _four_places(top: int, bottom: int) -> Decimal:
    """top / bottom (bottom > 0) to four places, half up: floor(top / bottom * 10^4 + 1/2)."""
    return Decimal((20_000 * top + bottom) // (2 * bottom)).scaleb(-4)


@functools.lru_cache(maxsize=1024)
def financial_year(period: str) -> str:
    """``2026-27`` for any quarter of that financial year (a few dozen quarters are asked for
    again and again: a contract's cells ask once for each of their keys)."""
    quarter = Quarter.parse(period)
    return f"{quarter.year}-{(quarter.year + 1) % 100:02d}"


def place_of(place: str | None, contract_places: Sequence[str]) -> str:
    """Where an obligation is delivered (see the module's rules): its own place, else its
    contract's only place, else not stated."""
    if place:
        return place
    return contract_places[0] if len(contract_places) == 1 else PLACE_NOT_STATED


@functools.lru_cache(maxsize=1024)
def natural_key(code: str) -> tuple[object, ...]:
    """Sort key putting NT2 before NT10 (a framework has a few hundred codes, and a breakdown
    by supplier sorts each supplier's measures: thousands of lines for a national buyer)."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", code))


@dataclass(frozen=True, slots=True)
class ContractFacts:
    """A contract as awarded, and how it ended if it has."""

    contract_id: str
    reference: str
    title: str
    buyer: str
    supplier: str
    starts_on: date
    ends_on: date
    value_gbp: Decimal | None
    framework_version: str
    awarded_at: datetime
    status: str = "active"
    ended_on: date | None = None
    return_due_days: int = 30
    tender_id: str | None = None
    places: tuple[str, ...] = ()

    def due_on(self, period: str) -> date:
        """When the return for ``period`` is due."""
        return Quarter.parse(period).due(self.return_due_days)

    def visible_to(self, organisation: str) -> bool:
        """Only the two parties see a contract."""
        return organisation in (self.buyer, self.supplier)


@dataclass(frozen=True, slots=True)
class ObligationFacts:
    """One obligation: its measure and where it sits in the TOMs, and its quarterly targets."""

    contract_id: str
    obligation_id: str
    sequence: int
    measure: str
    theme: str
    outcome: str
    unit: str
    description: str
    is_kpi: bool
    targets: Mapping[str, Decimal]
    place: str | None = None
    proxy_gbp_per_unit: Decimal | None = None

    @property
    def committed(self) -> Decimal:
        """The whole target over the contract."""
        return sum(self.targets.values(), ZERO)


@dataclass(frozen=True, slots=True)
class LineFacts:
    """One line of a return's current version: a quantity against one obligation."""

    contract_id: str
    obligation_id: str
    period: str
    quantity: Decimal
    accepted: bool


@dataclass(frozen=True, slots=True)
class Figures:
    """Committed, due to date, delivered and awaiting review, in one unit (or in GBP)."""

    committed: Decimal = ZERO
    due: Decimal = ZERO
    delivered: Decimal = ZERO
    awaiting_review: Decimal = ZERO

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            self.committed + other.committed,
            self.due + other.due,
            self.delivered + other.delivered,
            self.awaiting_review + other.awaiting_review,
        )

    def times(self, rate: Decimal) -> Figures:
        """The same figures valued at ``rate`` per unit."""
        return Figures(
            self.committed * rate,
            self.due * rate,
            self.delivered * rate,
            self.awaiting_review * rate,
        )

    @property
    def ratio(self) -> Decimal | None:
        """Delivered over due to date, to four places; None while nothing is due."""
        return ratio(self.delivered, self.due)


@dataclass(frozen=True, slots=True)
class Tally:
    """Figures over some obligations: in their unit, and in GBP over those that are valued."""

    units: Figures = field(default_factory=Figures)
    gbp: Figures = field(default_factory=Figures)
    obligations: int = 0
    valued: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.units + other.units,
            self.gbp + other.gbp,
            self.obligations + other.obligations,
            self.valued + other.valued,
        )

    @property
    def fully_valued(self) -> bool:
        """Every obligation counted has a proxy value, so the GBP figures are complete."""
        return self.valued == self.obligations


@dataclass(frozen=True, slots=True)
class MeasureLine:
    """One measure (in one unit) within a group of a breakdown."""

    measure: str
    unit: str
    tally: Tally


@dataclass(frozen=True, slots=True)
class Group:
    """One group of a breakdown (a theme, a supplier, a quarter...): its measures, and its GBP
    figures in ``total`` (units are per measure: they are never added across)."""

    key: str
    measures: tuple[MeasureLine, ...]
    total: Tally

    @classmethod
    def of(cls, key: str, measures: tuple[MeasureLine, ...]) -> Group:
        """The group of ``measures``, with their GBP totalled once: a breakdown's totals and
        its body both read it."""
        tallies = [line.tally for line in measures]
        return cls(
            key,
            measures,
            Tally(
                Figures(),
                Figures(
                    sum((t.gbp.committed for t in tallies), ZERO),
                    sum((t.gbp.due for t in tallies), ZERO),
                    sum((t.gbp.delivered for t in tallies), ZERO),
                    sum((t.gbp.awaiting_review for t in tallies), ZERO),
                ),
                sum(t.obligations for t in tallies),
                sum(t.valued for t in tallies),
            ),
        )


class Dimension(enum.StrEnum):
    """What a breakdown groups by."""

    MEASURE = "measure"
    OUTCOME = "outcome"
    THEME = "theme"
    SUPPLIER = "supplier"
    BUYER = "buyer"
    PLACE = "place"
    YEAR = "year"
    QUARTER = "quarter"

    @property
    def by_period(self) -> bool:
        """Grouped by time: each quarter's target and delivery stand on their own."""
        return self in (Dimension.YEAR, Dimension.QUARTER)


class Portfolio:
    """An organisation's contracts with everything needed to report on them, as of a day: each
    obligation's targets by quarter and each return line. The reports over whole contracts
    read each contract summed instead (:class:`WholeContracts`), by the same rules.
    """

    def __init__(
        self,
        contracts: Sequence[ContractFacts],
        obligations: Sequence[ObligationFacts],
        lines: Sequence[LineFacts],
        *,
        proxy_values: Mapping[tuple[str, str], Decimal],
        as_of: date,
    ) -> None:
        self.contracts = list(contracts)
        self._contracts = {c.contract_id: c for c in self.contracts}
        # Obligations of contracts the portfolio does not hold are not reported on.
        self.obligations = [ob for ob in obligations if ob.contract_id in self._contracts]
        self._of_contract: dict[str, list[ObligationFacts]] = defaultdict(list)
        for ob in self.obligations:
            self._of_contract[ob.contract_id].append(ob)
        self.proxy_values = proxy_values
        self.as_of = as_of
        self._delivered: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(dict)
        self._pending: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(dict)
        self._accepted_periods: dict[str, set[str]] = defaultdict(set)
        for line in lines:
            into = self._delivered if line.accepted else self._pending
            key = (line.contract_id, line.obligation_id)
            into[key][line.period] = into[key].get(line.period, ZERO) + line.quantity
            if line.accepted:
                self._accepted_periods[line.contract_id].add(line.period)

    def contract(self, contract_id: str) -> ContractFacts:
        """One contract of the portfolio."""
        return self._contracts[contract_id]

    def obligations_of(self, contract_id: str) -> Sequence[ObligationFacts]:
        """One contract's obligations, in the portfolio's order."""
        return self._of_contract.get(contract_id, [])

    def to_date(self, contract: ContractFacts, period: str) -> bool:
        """Whether ``period``'s target is due by the report's day (see the module's rules)."""
        return (
            contract.due_on(period) < self.as_of
            or period in self._accepted_periods[contract.contract_id]
        )

    def rate(self, ob: ObligationFacts) -> Decimal | None:
        """GBP per unit for an obligation: pinned at award, else the framework's loaded table."""
        if ob.proxy_gbp_per_unit is not None:
            return ob.proxy_gbp_per_unit
        return self.proxy_values.get((self.contract(ob.contract_id).framework_version, ob.measure))

    def delivered(self, ob: ObligationFacts) -> Mapping[str, Decimal]:
        """Accepted quantities by period."""
        return self._delivered.get((ob.contract_id, ob.obligation_id), {})

    def pending(self, ob: ObligationFacts) -> Mapping[str, Decimal]:
        """Quantities of returns awaiting review, by period."""
        return self._pending.get((ob.contract_id, ob.obligation_id), {})

    def periods_of(self, ob: ObligationFacts) -> list[str]:
        """Every quarter with a target or a returned line."""
        return sorted({*ob.targets, *self.delivered(ob), *self.pending(ob)})

    def in_period(self, ob: ObligationFacts, period: str) -> Figures:
        """One obligation's figures for one quarter alone."""
        target = ob.targets.get(period, ZERO)
        due = target if self.to_date(self.contract(ob.contract_id), period) else ZERO
        return Figures(
            target, due, self.delivered(ob).get(period, ZERO), self.pending(ob).get(period, ZERO)
        )

    def figures(self, ob: ObligationFacts, periods: Iterable[str] | None = None) -> Figures:
        """One obligation's figures over ``periods`` (every quarter by default)."""
        total = Figures()
        for period in self.periods_of(ob) if periods is None else periods:
            total += self.in_period(ob, period)
        return total

    def place_of(self, ob: ObligationFacts) -> str:
        """Where the obligation is delivered (see the module's rules)."""
        return place_of(ob.place, self.contract(ob.contract_id).places)

    def breakdown(self, dimension: Dimension) -> list[Group]:
        """Committed against delivered grouped by ``dimension``, each group by measure."""
        cells: dict[str, dict[tuple[str, str], _Cell]] = defaultdict(lambda: defaultdict(_Cell))
        group_of = None if dimension.by_period else self._group_of(dimension)
        for ob in self.obligations:
            if group_of is None:
                for period in self.periods_of(ob):
                    key = period if dimension is Dimension.QUARTER else financial_year(period)
                    cells[key][(ob.measure, ob.unit)].add(self, ob, self.in_period(ob, period))
            else:
                cells[group_of(ob)][(ob.measure, ob.unit)].add(self, ob, self.figures(ob))
        return grouped(
            dimension,
            {
                key: {measure: cell.tally() for measure, cell in measures.items()}
                for key, measures in cells.items()
            },
        )

    def _group_of(self, dimension: Dimension) -> Callable[[ObligationFacts], str]:
        """The group an obligation falls in, by a dimension other than time."""
        keys: dict[Dimension, Callable[[ObligationFacts], str]] = {
            Dimension.MEASURE: lambda o: o.measure,
            Dimension.OUTCOME: lambda o: o.outcome,
            Dimension.THEME: lambda o: o.theme,
            Dimension.SUPPLIER: lambda o: self.contract(o.contract_id).supplier,
            Dimension.BUYER: lambda o: self.contract(o.contract_id).buyer,
            Dimension.PLACE: self.place_of,
        }
        return keys[dimension]

    def valued(self, obligations: Iterable[ObligationFacts]) -> Tally:
        """GBP over ``obligations``, and how many of them are valued (units are not added)."""
        gbp = _Sum()
        counted = valued = 0
        for ob in obligations:
            counted += 1
            rate = self.rate(ob)
            if rate is not None:
                gbp.add(self.figures(ob), rate)
                valued += 1
        return Tally(Figures(), gbp.figures(), counted, valued)

    def totals(self) -> Tally:
        """GBP over the whole portfolio."""
        return self.valued(self.obligations)

    def delivered_total(self) -> Decimal:
        """Every accepted unit in the portfolio, whatever its measure (for reconciliation)."""
        return sum((self.figures(ob).delivered for ob in self.obligations), ZERO)

    def whole_contracts(self) -> WholeContracts:
        """Each contract's obligations summed over every quarter, for the reports over whole
        contracts."""
        return WholeContracts(
            self.contracts,
            {
                c.contract_id: ContractSums.of_facts(
                    c, self.obligations_of(c.contract_id), self.figures
                )
                for c in self.contracts
            },
            self.proxy_values,
        )

    def summaries(self, open_alerts: Mapping[str, int]) -> list[ContractSummary]:
        """One summary per contract, in reference order, with its alerts not yet resolved
        (``open_alerts``, by contract)."""
        return self.whole_contracts().summaries(open_alerts)

    def league_table(self) -> list[Standing]:
        """Suppliers ranked by delivery ratio (ties share a rank; no ratio ranks last)."""
        return self.whole_contracts().league_table()


class _Sum:
    """Figures summed in place. A report sums thousands of obligations, and a new
    :class:`Figures` at each step cost it more than the sums themselves."""

    __slots__ = ("awaiting_review", "committed", "delivered", "due")

    def __init__(self) -> None:
        self.committed = self.due = self.delivered = self.awaiting_review = ZERO

    def add(self, figures: Figures, rate: Decimal | None = None) -> None:
        """Add ``figures``, valued at ``rate`` per unit when one is given."""
        if rate is None:
            self.committed += figures.committed
            self.due += figures.due
            self.delivered += figures.delivered
            self.awaiting_review += figures.awaiting_review
        else:
            self.committed += figures.committed * rate
            self.due += figures.due * rate
            self.delivered += figures.delivered * rate
            self.awaiting_review += figures.awaiting_review * rate

    def figures(self) -> Figures:
        return Figures(self.committed, self.due, self.delivered, self.awaiting_review)


class _Cell:
    """Accumulates one measure's figures in one group, counting each obligation once."""

    def __init__(self) -> None:
        self.units = _Sum()
        self.gbp = _Sum()
        self.obligations: set[tuple[str, str]] = set()
        self.valued: set[tuple[str, str]] = set()

    def add(self, portfolio: Portfolio, ob: ObligationFacts, figures: Figures) -> None:
        """Add one obligation's figures (for the whole contract, or for one quarter)."""
        key = (ob.contract_id, ob.obligation_id)
        self.units.add(figures)
        self.obligations.add(key)
        rate = portfolio.rate(ob)
        if rate is not None:
            self.gbp.add(figures, rate)
            self.valued.add(key)

    def tally(self) -> Tally:
        return Tally(
            self.units.figures(), self.gbp.figures(), len(self.obligations), len(self.valued)
        )


def grouped(
    dimension: Dimension, cells: Mapping[str, Mapping[tuple[str, str], Tally]]
) -> list[Group]:
    """Groups in the breakdown's order, each with its (measure, unit) lines in code order."""
    return [
        Group.of(
            key,
            tuple(
                MeasureLine(measure, unit, tally)
                for (measure, unit), tally in sorted(
                    measures.items(), key=lambda item: (natural_key(item[0][0]), item[0][1])
                )
            ),
        )
        for key, measures in sorted(
            cells.items(), key=lambda item: _group_order(dimension, item[0])
        )
    ]


def _group_order(dimension: Dimension, key: str) -> tuple[object, ...]:
    if dimension is Dimension.MEASURE:
        return natural_key(key)
    if dimension is Dimension.PLACE:
        return (key == PLACE_NOT_STATED, key)
    return (key,)


@dataclass(frozen=True, slots=True)
class MeasureSums:
    """A contract's obligations of one measure, in one unit, at one pinned proxy value (None:
    the framework's table), in one place, summed."""

    measure: str
    unit: str
    rate: Decimal | None
    place: str
    figures: Figures
    obligations: int


@dataclass(frozen=True, slots=True)
class ContractSums:
    """A contract's obligations summed on a day: everything the reports over whole contracts
    need of it, in a few figures per measure (in one order) rather than a row per obligation.

    The delivery ratio is a mean of each obligation's ratio capped at 1, which cannot be
    worked out again from sums: ``capped_ratios`` keeps that sum exactly, over the
    ``assessed`` obligations that have something due, so that a supplier's standing adds its
    contracts' up."""

    obligations: int = 0
    assessed: int = 0
    on_track: int = 0
    capped_ratios: Fraction = Fraction(0)
    measures: tuple[MeasureSums, ...] = ()
    # GBP as :meth:`valued` worked it out with the proxy values a report reads, when that was
    # done beforehand (None: value the measures).
    gbp: Tally | None = None

    @classmethod
    def of(
        cls, obligations: Iterable[tuple[str, str, Decimal | None, str, Figures]]
    ) -> ContractSums:
        """Sum (measure, unit, pinned rate, place, figures) of each of a contract's obligations.

        On track and the cap at 1 compare an obligation's figures themselves: decimals of at
        most eighteen digits, whose products with the threshold's 19 and 20 stay exact within
        Decimal's 28. Only a ratio below 1 becomes a Fraction: making one for every obligation
        cost more than the rest of the pass."""
        good_top, good_bottom = _ON_TRACK.numerator, _ON_TRACK.denominator
        counted = assessed = good = capped = 0
        below_one = Fraction(0)
        by_measure: dict[tuple[str, str, Decimal | None, str], tuple[_Sum, list[int]]] = {}
        for measure, unit, rate, place, figures in obligations:
            counted += 1
            key = (measure, unit, rate, place)
            found = by_measure.get(key)
            if found is None:
                by_measure[key] = found = (_Sum(), [0])
            found[0].add(figures)
            found[1][0] += 1
            due, delivered = figures.due, figures.delivered
            if due <= 0:
                continue
            assessed += 1
            if delivered * good_bottom >= due * good_top:
                good += 1
            if delivered >= due:
                capped += 1
            else:
                below_one += _fraction(delivered, due)
        return cls(
            counted,
            assessed,
            good,
            below_one + capped,
            tuple(
                MeasureSums(measure, unit, rate, place, sums.figures(), n)
                for (measure, unit, rate, place), (sums, (n,)) in sorted(
                    by_measure.items(), key=_measure_order
                )
            ),
        )

    @classmethod
    def of_facts(
        cls,
        contract: ContractFacts,
        obligations: Iterable[ObligationFacts],
        figures: Callable[[ObligationFacts], Figures],
    ) -> ContractSums:
        """Sum a contract's ``obligations``, each with its ``figures``."""
        return cls.of(
            (
                ob.measure,
                ob.unit,
                ob.proxy_gbp_per_unit,
                place_of(ob.place, contract.places),
                figures(ob),
            )
            for ob in obligations
        )

    def valued(self, rate_of: Callable[[str], Decimal | None]) -> Tally:
        """GBP over the contract, each measure at its pinned rate or else ``rate_of`` it, and
        how many of its obligations are valued (units are not added across measures)."""
        gbp = _Sum()
        valued = 0
        for m in self.measures:
            rate = m.rate if m.rate is not None else rate_of(m.measure)
            if rate is not None:
                gbp.add(m.figures, rate)
                valued += m.obligations
        return Tally(Figures(), gbp.figures(), self.obligations, valued)


def _measure_order(
    item: tuple[tuple[str, str, Decimal | None, str], object],
) -> tuple[object, ...]:
    """A contract's measures in one order, whatever the order its obligations came in."""
    measure, unit, rate, place = item[0]
    return (measure, unit, rate is not None, rate or ZERO, place)


def _mean_capped(sums: Iterable[ContractSums]) -> tuple[int, int, int, Decimal | None]:
    """Obligations, assessed, on track and delivery ratio (the mean of each ratio capped at
    1; None when nothing is due) over several contracts' sums."""
    obligations = assessed = on_track = 0
    capped = Fraction(0)
    for s in sums:
        obligations += s.obligations
        assessed += s.assessed
        on_track += s.on_track
        capped += s.capped_ratios
    return obligations, assessed, on_track, rounded(capped / assessed) if assessed else None


@dataclass(frozen=True, slots=True)
class ContractSummary:
    """One contract's line in a portfolio."""

    contract: ContractFacts
    obligations: int
    assessed: int  # obligations with something due to date
    on_track: int
    delivery_ratio: Decimal | None
    gbp: Tally
    open_alerts: int


@dataclass(frozen=True, slots=True)
class Standing:
    """A supplier's line in the league table."""

    supplier: str
    contracts: int
    obligations: int
    assessed: int
    on_track: int
    delivery_ratio: Decimal | None
    gbp: Tally
    rank: int = 0

    def ranked(self, rank: int) -> Standing:
        """The same standing at ``rank``."""
        return Standing(
            self.supplier,
            self.contracts,
            self.obligations,
            self.assessed,
            self.on_track,
            self.delivery_ratio,
            self.gbp,
            rank,
        )


class WholeContracts:
    """An organisation's contracts, each summed on a day (:class:`ContractSums`): the
    portfolio line by line, the league table, and the breakdowns by supplier, buyer and
    place."""

    def __init__(
        self,
        contracts: Sequence[ContractFacts],
        sums: Mapping[str, ContractSums],
        proxy_values: Mapping[tuple[str, str], Decimal],
    ) -> None:
        self.contracts = sorted(contracts, key=lambda c: (c.reference, c.contract_id))
        self._sums = {c.contract_id: sums.get(c.contract_id, _NO_SUMS) for c in self.contracts}
        self._proxy_values = proxy_values
        self._gbp = {c.contract_id: self._valued(c) for c in self.contracts}

    def _valued(self, contract: ContractFacts) -> Tally:
        sums = self._sums[contract.contract_id]
        if sums.gbp is not None:
            return sums.gbp
        version = contract.framework_version
        return sums.valued(lambda measure: self._proxy_values.get((version, measure)))

    def summaries(self, open_alerts: Mapping[str, int]) -> list[ContractSummary]:
        """One summary per contract, in reference order, with its alerts not yet resolved
        (``open_alerts``, by contract)."""
        found = []
        for contract in self.contracts:
            sums = self._sums[contract.contract_id]
            obligations, assessed, on_track, ratio = _mean_capped([sums])
            found.append(
                ContractSummary(
                    contract=contract,
                    obligations=obligations,
                    assessed=assessed,
                    on_track=on_track,
                    delivery_ratio=ratio,
                    gbp=self._gbp[contract.contract_id],
                    open_alerts=open_alerts.get(contract.contract_id, 0),
                )
            )
        return found

    def league_table(self) -> list[Standing]:
        """Suppliers ranked by delivery ratio (ties share a rank; no ratio ranks last)."""
        by_supplier: dict[str, list[ContractFacts]] = defaultdict(list)
        for contract in self.contracts:
            by_supplier[contract.supplier].append(contract)
        standings = []
        for supplier, theirs in by_supplier.items():
            obligations, assessed, on_track, ratio = _mean_capped(
                self._sums[c.contract_id] for c in theirs
            )
            standings.append(
                Standing(
                    supplier=supplier,
                    contracts=len(theirs),
                    obligations=obligations,
                    assessed=assessed,
                    on_track=on_track,
                    delivery_ratio=ratio,
                    gbp=sum((self._gbp[c.contract_id] for c in theirs), Tally()),
                )
            )
        standings.sort(
            key=lambda s: (s.delivery_ratio is None, -(s.delivery_ratio or ZERO), s.supplier)
        )
        ranked: list[Standing] = []
        for i, standing in enumerate(standings):
            tied = bool(ranked) and ranked[-1].delivery_ratio == standing.delivery_ratio
            ranked.append(standing.ranked(ranked[-1].rank if tied else i + 1))
        return ranked

    def summed_measures(self, dimension: Dimension) -> Iterator[SummedMeasure]:
        """Each contract's measures, grouped by supplier, buyer or place, for
        :func:`breakdown_of_sums`."""
        _check_summed_by(dimension)
        for contract in self.contracts:
            party = contract.supplier if dimension is Dimension.SUPPLIER else contract.buyer
            version = contract.framework_version
            for m in self._sums[contract.contract_id].measures:
                group = m.place if dimension is Dimension.PLACE else party
                yield group, version, m.measure, m.unit, m.rate, m.figures, m.obligations


# One measure's figures within one group of a breakdown by supplier, buyer or place, at one
# pinned proxy value (None: the framework version's): (group, framework version, measure,
# unit, rate, figures, obligations). Rows of the same group and measure add up.
SummedMeasure = tuple[str, str, str, str, Decimal | None, Figures, int]


def breakdown_of_sums(
    dimension: Dimension,
    summed: Iterable[SummedMeasure],
    proxy_values: Mapping[tuple[str, str], Decimal],
) -> list[Group]:
    """Committed against delivered by supplier, buyer or place, each group by measure: from
    contracts' measures summed (:meth:`WholeContracts.summed_measures`, or read already summed
    by group), valued with the rate pinned at award, else ``proxy_values``."""
    _check_summed_by(dimension)
    groups: dict[str, dict[tuple[str, str], Tally]] = defaultdict(dict)
    for group, version, measure, unit, pinned, figures, obligations in summed:
        rate = proxy_values.get((version, measure)) if pinned is None else pinned
        tally = Tally(
            figures,
            Figures() if rate is None else figures.times(rate),
            obligations,
            0 if rate is None else obligations,
        )
        lines = groups[group]
        line = (measure, unit)
        # read summed by group, most lines are one row: a tally each, not an accumulator
        lines[line] = tally if line not in lines else lines[line] + tally
    return grouped(dimension, groups)


def _check_summed_by(dimension: Dimension) -> None:
    if dimension not in BY_CONTRACTS_SUMMED:
        raise ValueError(
            f"contracts summed are grouped by supplier, buyer or place, not {dimension}"
        )


_NO_SUMS = ContractSums()
# The breakdowns that whole contracts summed answer.
BY_CONTRACTS_SUMMED = frozenset({Dimension.SUPPLIER, Dimension.BUYER, Dimension.PLACE})
