"""A contract's sums kept for each stretch between its due days give, on any day, what summing
its obligations on that day gives."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

from reporting.domain.cells import ObligationCells
from reporting.domain.contract_sums import SUMS_COLUMNS, Stretch, from_row, stretches
from reporting.domain.portfolio import (
    ContractFacts,
    ContractSums,
    LineFacts,
    ObligationFacts,
    Portfolio,
)

Q = ["2026-27-Q1", "2026-27-Q2", "2026-27-Q3", "2026-27-Q4"]
# Returns due 30 days after each quarter: 30 July, 30 October, 30 January, 30 April.
DUE_DAYS = [date(2026, 7, 30), date(2026, 10, 30), date(2027, 1, 30), date(2027, 4, 30)]

CONTRACT = ContractFacts(
    contract_id="c1",
    reference="C1",
    title="Works",
    buyer="council",
    supplier="builder",
    starts_on=date(2026, 4, 1),
    ends_on=date(2027, 3, 31),
    value_gbp=D(100000),
    framework_version="toms",
    awarded_at=datetime(2026, 3, 1, tzinfo=UTC),
)


def obligation(
    n: int, measure: str, targets: list[str], rate: str | None = None
) -> ObligationFacts:
    return ObligationFacts(
        contract_id="c1",
        obligation_id=f"ob{n}",
        sequence=n,
        measure=measure,
        theme="",
        outcome="",
        unit="FTE",
        description="",
        is_kpi=False,
        targets={q: D(t) for q, t in zip(Q, targets, strict=True)},
        proxy_gbp_per_unit=None if rate is None else D(rate),
    )


OBLIGATIONS = [
    obligation(1, "NT1", ["10", "10", "10", "10"]),
    obligation(2, "NT1", ["4", "0", "6", "2.5"], rate="12.50"),
    obligation(3, "NT10", ["1", "0", "0", "1"]),  # nothing falls due in Q2 or Q3
]
LINES = [
    LineFacts("c1", "ob1", Q[0], D("9.5"), accepted=True),
    LineFacts("c1", "ob2", Q[0], D("5"), accepted=True),
    LineFacts("c1", "ob1", Q[1], D("3"), accepted=False),  # awaiting review
    LineFacts("c1", "ob1", Q[2], D("12"), accepted=True),  # Q3 accepted before it was due
    LineFacts("c1", "ob3", Q[2], D("1"), accepted=True),
]


def kept() -> list[Stretch]:
    return stretches(
        30,
        obligations=[
            ObligationCells(ob.obligation_id, ob.measure, ob.unit, ob.proxy_gbp_per_unit)
            for ob in OBLIGATIONS
        ],
        targets=[(ob.obligation_id, q, t) for ob in OBLIGATIONS for q, t in ob.targets.items()],
        lines=[(line.obligation_id, line.period, line.quantity) for line in LINES],
        accepted_periods={line.period for line in LINES if line.accepted},
    )


def summed_on(day: date) -> ContractSums:
    portfolio = Portfolio([CONTRACT], OBLIGATIONS, LINES, proxy_values={}, as_of=day)
    return ContractSums.of(
        (ob.measure, ob.unit, ob.proxy_gbp_per_unit, portfolio.figures(ob)) for ob in OBLIGATIONS
    )


def test_on_every_day_around_each_due_day_the_stretch_gives_the_sums_of_that_day() -> None:
    found = kept()
    days = [d + timedelta(days=k) for d in DUE_DAYS for k in (-1, 0, 1, 2)]
    for day in [date(2026, 4, 1), *days, date(2030, 1, 1)]:
        (covering,) = [s for s in found if s.starts_on <= day < s.ends_before]
        assert covering.sums == summed_on(day), day


def test_stretches_run_end_to_end_one_after_each_due_day_whose_target_is_not_yet_counted() -> None:
    # Q1 and Q3 were accepted, so their targets count from the start; Q2 and Q4 from the day
    # after their returns are due.
    assert [(s.starts_on, s.ends_before) for s in kept()] == [
        (date.min, date(2026, 10, 31)),
        (date(2026, 10, 31), date(2027, 5, 1)),
        (date(2027, 5, 1), date.max),
    ]


def test_a_stretch_comes_back_from_its_row_as_it_was() -> None:
    for stretch in kept():
        row = stretch.row("c1")
        assert from_row([row[name] for name in SUMS_COLUMNS]) == stretch.sums
        assert (row["starts_on"], row["ends_before"]) == (stretch.starts_on, stretch.ends_before)
