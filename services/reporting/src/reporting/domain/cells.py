"""Portfolio cells: the breakdowns by quarter, year, measure, theme and outcome, kept summed as
the log is applied.

A *cell* is one obligation in one quarter in which it has a target or a returned line (the
portfolio's rules, :mod:`reporting.domain.portfolio`). A breakdown by quarter, year or measure
(theme and outcome regroup measures) adds cells up by measure and unit; summing them on every
request grows with the portfolio (200,000 cells for a buyer of 1,000 contracts over five
years). So each contract's cells are summed once, when its targets, returns or reviews change,
into rows keyed by what a report needs to finish the sums on its own day:

- the quarter, measure and unit it groups by;
- the proxy value that turns units into GBP: a rate pinned at award, else the framework
  version's loaded table (read when the report is made, so a reloaded table counts at once);
- the day the quarter's return is due, since a target is due to date once that day has passed,
  or earlier when its return was accepted (``accepted`` keeps those targets apart).

Beside its quarters, a contract has rows for the whole contract (period :data:`WHOLE`) that
count each of its obligations once, with or without a target or line: the portfolio's GBP
totals say how many obligations are valued.

A contract's rows are added to each of its parties' (the buyer's and the supplier's); when the
contract changes, its previous rows are taken away and its new ones added.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from operator import attrgetter
from typing import Any, NamedTuple

from svledger.periods import Quarter

from reporting.domain.portfolio import (
    ZERO,
    Dimension,
    Figures,
    Group,
    Tally,
    financial_year,
    grouped,
)

FRAMEWORK_RATE = ""  # the rate key of obligations valued by their framework's table
WHOLE = ""  # the period of the rows that count a contract's obligations (figures left at zero)
_NO_DAY = date.min  # their due day: they have none


class CellKey(NamedTuple):
    """What a contract's cells are summed by, in the order they sort by.

    A tuple: summing a contract's cells again hashes and compares keys thousands of times,
    which a dataclass does in generated Python and a tuple in C.
    """

    period: str
    measure: str
    unit: str
    framework_version: str
    rate: str  # GBP per unit pinned at award, or FRAMEWORK_RATE
    due_on: date

    def row(self) -> dict[str, Any]:
        """As the key columns of a portfolio cell."""
        return self._asdict()


@dataclass(frozen=True, slots=True)
class CellSums:
    """Cells summed: targets (all, and those of accepted returns), lines (of accepted returns,
    and of returns awaiting review), and how many obligations they are (in the quarter, and
    counting each obligation in its financial year once)."""

    committed: Decimal = ZERO
    accepted: Decimal = ZERO
    delivered: Decimal = ZERO
    awaiting_review: Decimal = ZERO
    obligations: int = 0
    first_in_year: int = 0

    def __add__(self, other: CellSums) -> CellSums:
        return CellSums(
            self.committed + other.committed,
            self.accepted + other.accepted,
            self.delivered + other.delivered,
            self.awaiting_review + other.awaiting_review,
            self.obligations + other.obligations,
            self.first_in_year + other.first_in_year,
        )

    def __neg__(self) -> CellSums:
        return CellSums(
            -self.committed,
            -self.accepted,
            -self.delivered,
            -self.awaiting_review,
            -self.obligations,
            -self.first_in_year,
        )

    def row(self) -> dict[str, Any]:
        """As the figure columns of a portfolio cell."""
        return {
            "committed": self.committed,
            "accepted": self.accepted,
            "delivered": self.delivered,
            "awaiting_review": self.awaiting_review,
            "obligations": self.obligations,
            "first_in_year": self.first_in_year,
        }

    @property
    def empty(self) -> bool:
        """Nothing counted: no figure, no obligation."""
        return not (
            self.obligations
            or self.first_in_year
            or self.committed
            or self.accepted
            or self.delivered
            or self.awaiting_review
        )


@dataclass(frozen=True, slots=True)
class ObligationCells:
    """What a contract's cells need to know of one of its obligations."""

    obligation_id: str
    measure: str
    unit: str
    rate: Decimal | None  # pinned at award


def contract_cells(
    framework_version: str,
    return_due_days: int,
    *,
    obligations: Iterable[ObligationCells],
    targets: Iterable[tuple[str, str, Decimal]],
    lines: Iterable[tuple[str, str, Decimal]],
    accepted_periods: Iterable[str],
    whole: bool = True,
) -> dict[CellKey, CellSums]:
    """One contract's cells summed: ``targets`` and ``lines`` are (obligation, quarter,
    quantity); those of obligations not in ``obligations`` (not known from the contract yet)
    are not reported on. With ``whole``, also the rows counting its obligations."""
    known = {ob.obligation_id: ob for ob in obligations}
    accepted = set(accepted_periods)
    target: dict[tuple[str, str], Decimal] = {}
    line: dict[tuple[str, str], Decimal] = {}
    for into, given in ((target, targets), (line, lines)):
        for obligation_id, period, value in given:
            if obligation_id in known:
                into[(obligation_id, period)] = into.get((obligation_id, period), ZERO) + value
    found = sorted({*target, *line})
    year_of = {period: financial_year(period) for _, period in found}
    due_on = {period: Quarter.parse(period).due(return_due_days) for period in year_of}
    rate = {
        o: FRAMEWORK_RATE if ob.rate is None else format(ob.rate, "f") for o, ob in known.items()
    }
    seen: set[tuple[str, str]] = set()
    sums: dict[CellKey, list[Any]] = {}
    for obligation_id, period in found:  # in quarter order: an obligation's first comes first
        ob = known[obligation_id]
        key = CellKey(
            period, ob.measure, ob.unit, framework_version, rate[obligation_id], due_on[period]
        )
        row = sums.get(key)
        if row is None:
            sums[key] = row = [ZERO, ZERO, ZERO, ZERO, 0, 0]
        aimed = target.get((obligation_id, period), ZERO)
        came = line.get((obligation_id, period), ZERO)
        row[0] += aimed
        if period in accepted:
            row[1] += aimed
            row[2] += came
        else:
            row[3] += came
        row[4] += 1
        if (obligation_id, year_of[period]) not in seen:
            seen.add((obligation_id, year_of[period]))
            row[5] += 1
    if whole:
        for obligation_id, ob in known.items():
            key = CellKey(
                WHOLE, ob.measure, ob.unit, framework_version, rate[obligation_id], _NO_DAY
            )
            sums.setdefault(key, [ZERO, ZERO, ZERO, ZERO, 0, 0])[4] += 1
    return {key: CellSums(*row) for key, row in sums.items()}


def by_year(cells: Mapping[CellKey, CellSums]) -> dict[str, dict[CellKey, CellSums]]:
    """A contract's cells by financial year (each year's are summed on their own)."""
    years: dict[str, dict[CellKey, CellSums]] = defaultdict(dict)
    for key, sums in cells.items():
        years[WHOLE if key.period == WHOLE else financial_year(key.period)][key] = sums
    return dict(years)


def changes(
    parties_before: Sequence[str],
    before: Mapping[CellKey, CellSums],
    parties_after: Sequence[str],
    after: Mapping[CellKey, CellSums],
) -> dict[tuple[str, CellKey], CellSums]:
    """What to add to each party's rows, by (organisation, key), for a contract whose cells
    were ``before``, added to ``parties_before``, to count as ``after`` for ``parties_after``;
    rows left as they were are not named."""
    if list(parties_before) == list(parties_after):
        moved = {}
        for key in before.keys() | after.keys():
            was, now = before.get(key), after.get(key)
            if was == now:
                continue
            # a contract's first sums (and its last) move by themselves: no zero sums to add
            if was is None:
                change = now or CellSums()
            elif now is None:
                change = -was
            else:
                change = now + -was
            if not change.empty:
                moved[key] = change
        return {(o, key): change for o in parties_after for key, change in moved.items()}
    delta: dict[tuple[str, CellKey], CellSums] = defaultdict(CellSums)
    for o in parties_before:
        for key, sums in before.items():
            delta[(o, key)] += -sums
    for o in parties_after:
        for key, sums in after.items():
            delta[(o, key)] += sums
    return {k: v for k, v in delta.items() if not v.empty}


def portfolio_rows(summed: Mapping[tuple[str, CellKey], CellSums]) -> list[dict[str, Any]]:
    """Organisations' cells, by (organisation, key), as rows of their portfolio cells."""
    return [{"organisation": o, **key.row(), **sums.row()} for (o, key), sums in summed.items()]


def portfolio_columns(summed: Mapping[tuple[str, CellKey], CellSums]) -> dict[str, list[Any]]:
    """Organisations' cells, by (organisation, key), as the columns of their portfolio cells:
    one list per column, the rows in the same order in each."""
    keys = [key for _, key in summed]
    figures = list(summed.values())
    return {
        "organisation": [organisation for organisation, _ in summed],
        **{name: list(map(attrgetter(name), keys)) for name in _KEY_COLUMNS},
        **{name: list(map(attrgetter(name), figures)) for name in _SUM_COLUMNS},
    }


_KEY_COLUMNS = CellKey._fields
_SUM_COLUMNS = tuple(f.name for f in fields(CellSums))


def from_row(row: Any) -> tuple[CellKey, CellSums]:
    """A portfolio cell's row (with its columns as attributes) as its key and sums."""
    return (
        CellKey(row.period, row.measure, row.unit, row.framework_version, row.rate, row.due_on),
        CellSums(
            row.committed,
            row.accepted,
            row.delivered,
            row.awaiting_review,
            int(row.obligations),
            int(row.first_in_year),
        ),
    )


SUMMED_BY = frozenset(
    {Dimension.QUARTER, Dimension.YEAR, Dimension.MEASURE, Dimension.THEME, Dimension.OUTCOME}
)

# Where a framework version places each measure: (version, measure) -> (theme, outcome).
MeasurePlaces = Mapping[tuple[str, str], tuple[str, str]]


def breakdown(
    rows: Iterable[tuple[CellKey, CellSums]],
    dimension: Dimension,
    as_of: date,
    proxy_values: Mapping[tuple[str, str], Decimal],
    measure_places: MeasurePlaces | None = None,
) -> list[Group]:
    """An organisation's rows as the breakdown by quarter, year, measure, theme or outcome on
    ``as_of``; theme and outcome need ``measure_places`` for the rows' measures.

    By measure, theme and outcome, each obligation's figures are those of all its quarters,
    and it is counted once: by the rows for the whole contract, which count every obligation."""
    if dimension not in SUMMED_BY:
        raise ValueError(
            f"cells are summed by quarter, year, measure, theme and outcome, not by {dimension}"
        )
    places = measure_places or {}
    cells: dict[str, dict[tuple[str, str], Tally]] = defaultdict(dict)
    for key, sums in rows:
        if dimension.by_period:
            if key.period == WHOLE:
                continue
            if dimension is Dimension.YEAR:
                group, counted = financial_year(key.period), sums.first_in_year
            else:
                group, counted = key.period, sums.obligations
        else:
            # quarters carry the figures, the rows for the whole contract the count
            group = _whole_contract_group(dimension, key, places)
            counted = sums.obligations if key.period == WHOLE else 0
        units, gbp = _valued(key, sums, as_of, proxy_values)
        tally = Tally(
            units, Figures() if gbp is None else gbp, counted, 0 if gbp is None else counted
        )
        measures = cells[group]
        line = (key.measure, key.unit)
        # most lines are one row: a measure's obligations share a due day and a proxy value
        measures[line] = tally if line not in measures else measures[line] + tally
    return grouped(dimension, cells)


def _whole_contract_group(dimension: Dimension, key: CellKey, places: MeasurePlaces) -> str:
    if dimension is Dimension.MEASURE:
        return key.measure
    theme, outcome = places.get((key.framework_version, key.measure), ("", ""))
    return theme if dimension is Dimension.THEME else outcome


def totals(
    rows: Iterable[tuple[CellKey, CellSums]],
    as_of: date,
    proxy_values: Mapping[tuple[str, str], Decimal],
) -> Tally:
    """GBP over the whole portfolio on ``as_of``, and how many of its obligations are valued."""
    gbp = Figures()
    counted = valued = 0
    for key, sums in rows:
        in_gbp = _valued(key, sums, as_of, proxy_values)[1]
        if key.period == WHOLE:
            counted += sums.obligations
            valued += 0 if in_gbp is None else sums.obligations
        elif in_gbp is not None:
            gbp += in_gbp
    return Tally(Figures(), gbp, counted, valued)


def _valued(
    key: CellKey, sums: CellSums, as_of: date, proxy_values: Mapping[tuple[str, str], Decimal]
) -> tuple[Figures, Figures | None]:
    """A row's figures on ``as_of``, in units and in GBP (None without a proxy value)."""
    units = Figures(
        committed=sums.committed,
        due=sums.committed if key.due_on < as_of else sums.accepted,
        delivered=sums.delivered,
        awaiting_review=sums.awaiting_review,
    )
    rate = (
        proxy_values.get((key.framework_version, key.measure))
        if key.rate == FRAMEWORK_RATE
        else Decimal(key.rate)
    )
    return units, None if rate is None else units.times(rate)


def to_json(cells: Mapping[CellKey, CellSums]) -> list[list[Any]]:
    """A contract's cells as JSON (figures as exact decimal strings)."""
    return [
        [
            k.period,
            k.measure,
            k.unit,
            k.framework_version,
            k.rate,
            k.due_on.isoformat(),
            str(s.committed),
            str(s.accepted),
            str(s.delivered),
            str(s.awaiting_review),
            s.obligations,
            s.first_in_year,
        ]
        for k, s in sorted(cells.items())
    ]


def from_json(stored: Iterable[list[Any]]) -> dict[CellKey, CellSums]:
    """A contract's cells as :func:`to_json` wrote them."""
    return {
        CellKey(p, m, u, fv, rate, date.fromisoformat(due)): CellSums(
            Decimal(c), Decimal(a), Decimal(d), Decimal(w), int(n), int(f)
        )
        for p, m, u, fv, rate, due, c, a, d, w, n, f in stored
    }
