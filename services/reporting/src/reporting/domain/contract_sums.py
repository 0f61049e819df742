"""Each contract's obligations summed for the reports over whole contracts, kept as the log is
applied.

The portfolio, the league table, a supplier's standing and the breakdowns by supplier, buyer
and place need each contract's obligations summed over every quarter
(:class:`~reporting.domain.portfolio.ContractSums`). Reading and summing a national buyer's
ten thousand obligations on every request made /portfolio take a third of a second; so each
contract is summed when its targets, returns or reviews change, as its cells are
(:mod:`reporting.domain.cells`).

What is due to date depends on the report's day, but only through which of the contract's
due days have passed: between two of them, the sums stay the same. A contract is therefore
summed once for each *stretch* of days, from the day after one of its due days up to the next
one, and a report takes the stretch its day falls in: at most one stretch per quarter, plus
one before the first is due.

Each stretch is also kept valued in GBP, with the proxy values its framework version has when
it is written (:func:`fingerprint` names them): a report that reads other proxy values (a
table loaded again since) values the stretch's measures itself.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from svledger.periods import Quarter

from reporting.domain.cells import ObligationCells
from reporting.domain.portfolio import ZERO, ContractSums, Figures, MeasureSums, Tally

_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Stretch:
    """A contract's sums on every day from ``starts_on`` up to (not including)
    ``ends_before``."""

    starts_on: date
    ends_before: date
    sums: ContractSums

    def row(
        self, contract_id: str, rates: Mapping[str, Decimal], valued_with: str
    ) -> dict[str, Any]:
        """As a row of the contract's sums, valued in GBP with ``rates`` (its framework
        version's proxy values, by measure), whose :func:`fingerprint` is ``valued_with``."""
        sums = self.sums
        capped = sums.capped_ratios
        gbp = sums.valued(rates.get)
        return {
            "contract_id": contract_id,
            "starts_on": self.starts_on,
            "ends_before": self.ends_before,
            "obligations": sums.obligations,
            "assessed": sums.assessed,
            "on_track": sums.on_track,
            "capped_ratios": f"{capped.numerator}/{capped.denominator}",
            "valued_with": valued_with,
            "valued": gbp.valued,
            "gbp_committed": str(gbp.gbp.committed),
            "gbp_due": str(gbp.gbp.due),
            "gbp_delivered": str(gbp.gbp.delivered),
            "gbp_awaiting_review": str(gbp.gbp.awaiting_review),
            "measures": [
                [
                    m.measure,
                    m.unit,
                    None if m.rate is None else str(m.rate),
                    m.place,
                    str(m.figures.committed),
                    str(m.figures.due),
                    str(m.figures.delivered),
                    str(m.figures.awaiting_review),
                    m.obligations,
                ]
                for m in sums.measures
            ],
        }


def fingerprint(rates: Mapping[str, Decimal]) -> str:
    """Which proxy values a stretch was valued with: a framework version's, as a digest that
    changes whenever one of its measures' figures does."""
    text = ";".join(f"{measure}={rate}" for measure, rate in sorted(rates.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# The columns :func:`from_row` reads, in its order: the sums, then their GBP value.
SUMS_COLUMNS = ("obligations", "assessed", "on_track", "capped_ratios")
GBP_COLUMNS = ("valued", "gbp_committed", "gbp_due", "gbp_delivered", "gbp_awaiting_review")


def from_row(
    sums: Sequence[Any], gbp: Sequence[Any] | None = None, measures: Sequence[Any] = ()
) -> ContractSums:
    """A contract's sums from the :data:`SUMS_COLUMNS` of a stretch's row, by position; with
    its :data:`GBP_COLUMNS` when they were valued with the proxy values the report reads, and
    its measures when the report needs them (a breakdown, or GBP to value again)."""
    obligations, assessed, on_track, capped = sums
    top, _, bottom = capped.partition("/")
    valued = None
    if gbp is not None:
        count, committed, due, delivered, awaiting = gbp
        valued = Tally(
            Figures(),
            Figures(Decimal(committed), Decimal(due), Decimal(delivered), Decimal(awaiting)),
            int(obligations),
            int(count),
        )
    return ContractSums(
        int(obligations),
        int(assessed),
        int(on_track),
        Fraction(int(top), int(bottom)),
        tuple(
            MeasureSums(
                measure,
                unit,
                None if rate is None else Decimal(rate),
                place,
                Figures(Decimal(c), Decimal(d), Decimal(delivered), Decimal(w)),
                int(n),
            )
            for measure, unit, rate, place, c, d, delivered, w, n in measures
        ),
        valued,
    )


def stretches(
    return_due_days: int,
    *,
    obligations: Iterable[ObligationCells],
    places: Mapping[str, str],
    targets: Iterable[tuple[str, str, Decimal]],
    lines: Iterable[tuple[str, str, Decimal]],
    accepted_periods: Iterable[str],
) -> list[Stretch]:
    """A contract's sums in each stretch between its due days, by the portfolio's rules
    (:mod:`reporting.domain.portfolio`): ``places`` are where each obligation is delivered (by
    the rules), ``targets`` (obligation, quarter, target) and ``lines`` (obligation, quarter,
    quantity); those of obligations not in ``obligations`` (not known from the contract yet)
    are not reported on.

    A target is due to date from the day after its quarter's return is due, or at once when
    that return was accepted; delivered counts the lines of accepted returns, awaiting review
    the others'. Stretches whose sums are the same are one stretch."""
    known = {ob.obligation_id: ob for ob in obligations}
    accepted = set(accepted_periods)
    committed: dict[str, Decimal] = dict.fromkeys(known, ZERO)
    due: dict[str, Decimal] = dict.fromkeys(known, ZERO)
    delivered: dict[str, Decimal] = dict.fromkeys(known, ZERO)
    awaiting: dict[str, Decimal] = dict.fromkeys(known, ZERO)
    falls_due: dict[date, list[tuple[str, Decimal]]] = defaultdict(list)
    due_on: dict[str, date] = {}
    for obligation_id, period, target in targets:
        if obligation_id not in known:
            continue
        committed[obligation_id] += target
        if period in accepted:
            due[obligation_id] += target
            continue
        day = due_on.get(period)
        if day is None:
            due_on[period] = day = Quarter.parse(period).due(return_due_days)
        falls_due[day].append((obligation_id, target))
    for obligation_id, period, quantity in lines:
        if obligation_id in known:
            into = delivered if period in accepted else awaiting
            into[obligation_id] += quantity

    def summed() -> ContractSums:
        return ContractSums.of(
            (
                ob.measure,
                ob.unit,
                ob.rate,
                places[o],
                Figures(committed[o], due[o], delivered[o], awaiting[o]),
            )
            for o, ob in known.items()
        )

    found = [Stretch(date.min, date.max, summed())]
    for day in sorted(falls_due):
        for obligation_id, target in falls_due[day]:
            due[obligation_id] += target
        sums = summed()
        last = found[-1]
        if sums == last.sums:
            continue
        found[-1] = Stretch(last.starts_on, day + _DAY, last.sums)
        found.append(Stretch(day + _DAY, date.max, sums))
    return found
