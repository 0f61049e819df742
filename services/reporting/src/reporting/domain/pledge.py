"""Partner VCFSE progress: an organisation's pledge against what it actually delivered. Pure.

The rule:

- **Actual** for a measure (NT14 to NT17) in a financial year counts two sources, both where
  the organisation is the supplier: the lines of its *accepted* returns on obligations of that
  measure, and the deliveries its VCFSE partners *confirmed* in the brokerage (a disputed or
  unconfirmed delivery never counts). A confirmed delivery made against an obligation is the
  partner's corroboration of what the supplier returns for that obligation and quarter, so the
  two are not added: that obligation and quarter count the larger of the two. A confirmed
  delivery not tied to an obligation adds to the actual.
- **Expected to date** is the year's target times the share of its quarters whose returns were
  due (30 days after the quarter ends) before the day of the report.
- **Status**: ``not_started`` before any quarter of the year is due; ``on_track`` when actual
  is at least 95% of expected to date, ``at_risk`` from 80% (below which measurement raises a
  pledge_behind alert), ``behind`` below that. A year without a target has no status.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from svledger.periods import Quarter

from reporting.domain.portfolio import ZERO, exact_ratio, financial_year, natural_key, rounded

PLEDGE_MEASURES = ("NT14", "NT15", "NT16", "NT17")
RETURN_DUE_DAYS = 30
ON_TRACK = Decimal("0.95")
AT_RISK = Decimal("0.80")


@dataclass(frozen=True, slots=True)
class Pledge:
    """An organisation's Partner VCFSE pledge as last recorded or revised."""

    organisation: str
    base_year: str
    baseline: Mapping[str, Decimal]
    targets: Mapping[str, Mapping[str, Decimal]]  # year -> measure -> quantity
    framework_version: str
    recorded_on: date
    revision: int


@dataclass(frozen=True, slots=True)
class ReturnedQuantity:
    """An accepted return line of the organisation, as supplier, on a pledged measure."""

    contract_id: str
    obligation_id: str
    measure: str
    period: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class ConfirmedDelivery:
    """A delivery a VCFSE partner confirmed to the organisation."""

    delivery_id: str
    contract_id: str | None
    obligation_id: str | None
    measure: str
    period: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class YearProgress:
    """One measure in one financial year."""

    year: str
    measure: str
    baseline: Decimal | None
    target: Decimal | None
    from_returns: Decimal
    from_deliveries: Decimal
    actual: Decimal
    quarters_due: int
    expected_to_date: Decimal | None
    ratio: Decimal | None
    status: str | None

    @property
    def on_track(self) -> bool | None:
        """True on track, False at risk or behind, None when there is nothing to judge yet."""
        if self.status in (None, "not_started"):
            return None
        return self.status == "on_track"


@dataclass(frozen=True, slots=True)
class PledgeProgress:
    """An organisation's pledge and its progress, year by year."""

    pledge: Pledge
    years: tuple[YearProgress, ...]


def quarters_due(year: str, as_of: date) -> int:
    """How many quarters of financial year ``year`` (``2026-27``) had returns due by ``as_of``."""
    start = int(year[:4])
    return sum(1 for n in range(1, 5) if Quarter(start, n).due(RETURN_DUE_DAYS) < as_of)


def status_of(ratio_to_date: Fraction | None, due: int) -> str | None:
    """not_started, on_track, at_risk or behind (see the module's rule), on the exact ratio."""
    if due == 0:
        return "not_started"
    if ratio_to_date is None:
        return None
    if ratio_to_date >= Fraction(ON_TRACK):
        return "on_track"
    return "at_risk" if ratio_to_date >= Fraction(AT_RISK) else "behind"


def progress(
    pledge: Pledge,
    returned: Sequence[ReturnedQuantity],
    confirmed: Sequence[ConfirmedDelivery],
    as_of: date,
) -> PledgeProgress:
    """The pledge's progress in its base year and each year it sets targets for."""
    # (year, measure) -> (contract, obligation, period) or delivery id -> quantity
    from_returns: dict[tuple[str, str], dict[tuple[str, ...], Decimal]] = defaultdict(dict)
    from_deliveries: dict[tuple[str, str], dict[tuple[str, ...], Decimal]] = defaultdict(dict)
    for line in returned:
        key = (financial_year(line.period), line.measure)
        line_cell = (line.contract_id, line.obligation_id, line.period)
        from_returns[key][line_cell] = from_returns[key].get(line_cell, ZERO) + line.quantity
    for delivery in confirmed:
        key = (financial_year(delivery.period), delivery.measure)
        cell: tuple[str, ...] = (
            (delivery.contract_id, delivery.obligation_id, delivery.period)
            if delivery.contract_id is not None and delivery.obligation_id is not None
            else ("untied", delivery.delivery_id)
        )
        from_deliveries[key][cell] = from_deliveries[key].get(cell, ZERO) + delivery.quantity

    years = sorted({pledge.base_year, *pledge.targets})
    measures = sorted(
        {*pledge.baseline, *(m for t in pledge.targets.values() for m in t)}, key=natural_key
    )
    rows = []
    for year in years:
        for measure in measures:
            returns_by_cell = from_returns.get((year, measure), {})
            deliveries_by_cell = from_deliveries.get((year, measure), {})
            actual = sum(
                (
                    max(returns_by_cell.get(c, ZERO), deliveries_by_cell.get(c, ZERO))
                    for c in {*returns_by_cell, *deliveries_by_cell}
                ),
                ZERO,
            )
            target = pledge.targets.get(year, {}).get(measure)
            due = quarters_due(year, as_of)
            expected = None if target is None else target * due / 4
            found = None if expected is None else exact_ratio(actual, expected)
            rows.append(
                YearProgress(
                    year=year,
                    measure=measure,
                    baseline=pledge.baseline.get(measure) if year == pledge.base_year else None,
                    target=target,
                    from_returns=sum(returns_by_cell.values(), ZERO),
                    from_deliveries=sum(deliveries_by_cell.values(), ZERO),
                    actual=actual,
                    quarters_due=due,
                    expected_to_date=expected,
                    ratio=rounded(found),
                    status=None if target is None else status_of(found, due),
                )
            )
    return PledgeProgress(pledge, tuple(rows))
