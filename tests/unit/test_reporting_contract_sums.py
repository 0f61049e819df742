"""A contract's sums kept for each stretch between its due days give, on any day, what summing
its obligations on that day gives."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

from reporting.domain.cells import ObligationCells
from reporting.domain.contract_sums import (
    GBP_COLUMNS,
    SUMS_COLUMNS,
    Stretch,
    fingerprint,
    from_row,
    stretches,
)
from reporting.domain.portfolio import (
    ContractFacts,
    ContractSums,
    LineFacts,
    ObligationFacts,
    Portfolio,
    place_of,
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
    places=("Sefton",),
)


def obligation(
    n: int, measure: str, targets: list[str], rate: str | None = None, place: str | None = None
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
        place=place,
    )


OBLIGATIONS = [
    obligation(1, "NT1", ["10", "10", "10", "10"]),
    obligation(2, "NT1", ["4", "0", "6", "2.5"], rate="12.50"),
    obligation(3, "NT10", ["1", "0", "0", "1"], place="Wirral"),  # nothing due in Q2 or Q3
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
        places={ob.obligation_id: place_of(ob.place, CONTRACT.places) for ob in OBLIGATIONS},
        targets=[(ob.obligation_id, q, t) for ob in OBLIGATIONS for q, t in ob.targets.items()],
        lines=[(line.obligation_id, line.period, line.quantity) for line in LINES],
        accepted_periods={line.period for line in LINES if line.accepted},
    )


def summed_on(day: date) -> ContractSums:
    portfolio = Portfolio([CONTRACT], OBLIGATIONS, LINES, proxy_values={}, as_of=day)
    return ContractSums.of(
        (ob.measure, ob.unit, ob.proxy_gbp_per_unit, portfolio.place_of(ob), portfolio.figures(ob))
        for ob in OBLIGATIONS
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


def test_a_stretch_comes_back_from_its_row_as_it_was_and_valued_as_it_would_be() -> None:
    rates = {"NT1": D("1000.5"), "NT10": D("0.0001")}
    for stretch in kept():
        row = stretch.row("c1", rates, fingerprint(rates))
        sums = [row[name] for name in SUMS_COLUMNS]
        assert from_row(sums, measures=row["measures"]) == stretch.sums
        assert (row["starts_on"], row["ends_before"]) == (stretch.starts_on, stretch.ends_before)
        valued = from_row(sums, [row[name] for name in GBP_COLUMNS]).gbp
        assert valued == stretch.sums.valued(rates.get)
        assert fingerprint(rates) != fingerprint({**rates, "NT14": D(1)})
        assert fingerprint(rates) != fingerprint({**rates, "NT1": D("1000.51")})


def test_gbp_is_valued_at_a_pinned_rate_else_the_frameworks_and_counts_what_is_valued() -> None:
    (first, *_) = kept()
    # Before Q2 is due, Q1 and Q3 (both accepted) are: ob1's 10 + 10 at the framework's rate
    # for NT1, ob2's 4 + 6 at the 12.50 pinned at award; NT10 has no proxy value.
    valued = first.sums.valued({"NT1": D(2)}.get)
    assert (valued.obligations, valued.valued) == (3, 2)
    assert valued.gbp.due == (10 + 10) * D(2) + (4 + 6) * D("12.50")


def test_each_measure_is_summed_in_the_place_it_is_delivered() -> None:
    (first, *_) = kept()
    assert [(m.measure, m.place, m.obligations) for m in first.sums.measures] == [
        ("NT1", "Sefton", 1),  # the contract's only place
        ("NT1", "Sefton", 1),  # ob2, pinned at its own rate
        ("NT10", "Wirral", 1),  # its own
    ]
