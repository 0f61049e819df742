"""Portfolio cells: a contract's quarters summed, and the breakdowns finished on the day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from reporting.domain.cells import (
    FRAMEWORK_RATE,
    WHOLE,
    CellKey,
    CellSums,
    ObligationCells,
    breakdown,
    by_year,
    changes,
    contract_cells,
    from_json,
    to_json,
    totals,
)
from reporting.domain.portfolio import Dimension, Figures, Tally

JOBS = ObligationCells("ob-jobs", "NT1", "people", None)
WEEKS = ObligationCells("ob-weeks", "NT10", "weeks", Decimal("12.5"))
Q4, Q1, Q2 = "2025-26-Q4", "2026-27-Q1", "2026-27-Q2"


def figures(*values: int | str) -> Figures:
    return Figures(*(Decimal(v) for v in values))


def cells_of_example() -> dict[CellKey, CellSums]:
    return contract_cells(
        "v2026",
        30,
        obligations=[JOBS, WEEKS],
        targets=[
            ("ob-jobs", Q4, Decimal("1")),
            ("ob-jobs", Q1, Decimal("2")),
            ("ob-jobs", Q2, Decimal("3")),
            ("ob-weeks", Q2, Decimal("4")),
            ("ob-unknown", Q1, Decimal("100")),  # not known from the contract: left out
        ],
        lines=[
            ("ob-jobs", Q1, Decimal("1.5")),
            ("ob-weeks", Q1, Decimal("2")),  # a line in a quarter without a target
            ("ob-jobs", Q2, Decimal("1")),
        ],
        accepted_periods=[Q1],
    )


def test_a_contracts_cells_sum_each_quarter_and_count_each_obligation_once_a_year() -> None:
    found = cells_of_example()

    def key(period: str, ob: ObligationCells) -> CellKey:
        rate = FRAMEWORK_RATE if ob.rate is None else "12.5"
        due = {Q4: date(2026, 4, 30), Q1: date(2026, 7, 30), Q2: date(2026, 10, 30)}[period]
        return CellKey(period, ob.measure, ob.unit, "v2026", rate, due)

    one = Decimal(1)
    whole = {k: v for k, v in found.items() if k.period == WHOLE}
    assert {k.measure: v.obligations for k, v in whole.items()} == {"NT1": 1, "NT10": 1}
    assert {k: v for k, v in found.items() if k.period != WHOLE} == {
        key(Q4, JOBS): CellSums(one, 0 * one, 0 * one, 0 * one, 1, 1),
        key(Q1, JOBS): CellSums(2 * one, 2 * one, Decimal("1.5"), 0 * one, 1, 1),
        key(Q2, JOBS): CellSums(3 * one, 0 * one, 0 * one, one, 1, 0),
        key(Q1, WEEKS): CellSums(0 * one, 0 * one, 2 * one, 0 * one, 1, 1),
        key(Q2, WEEKS): CellSums(4 * one, 0 * one, 0 * one, 0 * one, 1, 0),
    }
    assert from_json(to_json(found)) == found


def test_due_to_date_counts_a_quarter_after_its_due_day_or_once_its_return_is_accepted() -> None:
    rows = list(cells_of_example().items())
    proxies = {("v2026", "NT1"): Decimal("3")}

    def jobs_due(on: date) -> Decimal:
        [group] = [g for g in breakdown(rows, Dimension.YEAR, on, proxies) if g.key == "2026-27"]
        return next(m.tally.units.due for m in group.measures if m.measure == "NT1")

    assert jobs_due(date(2026, 7, 1)) == 2  # Q1 accepted before its due day
    assert jobs_due(date(2026, 10, 30)) == 2  # Q2's due day: not yet due
    assert jobs_due(date(2026, 10, 31)) == 5


def test_breakdowns_value_units_at_the_pinned_rate_else_the_frameworks_table() -> None:
    rows = list(cells_of_example().items())

    by_quarter = breakdown(rows, Dimension.QUARTER, date(2027, 1, 1), {})
    by_year = breakdown(rows, Dimension.YEAR, date(2027, 1, 1), {("v2026", "NT1"): Decimal(3)})

    assert [g.key for g in by_quarter] == [Q4, Q1, Q2]
    q2 = {m.measure: m.tally for m in by_quarter[2].measures}
    assert q2["NT1"] == Tally(figures(3, 3, 0, 1), Figures(), 1, 0)  # no proxy loaded
    assert q2["NT10"] == Tally(figures(4, 4, 0, 0), figures(50, 50, 0, 0), 1, 1)
    year = {m.measure: m.tally for m in by_year[1].measures}
    assert year["NT1"] == Tally(figures(5, 5, "1.5", 1), figures(15, 15, "4.5", 3), 1, 1)
    assert year["NT10"].obligations == 1  # two quarters, one obligation


def test_totals_value_every_row_and_count_every_obligation_even_without_cells() -> None:
    idle = ObligationCells("ob-idle", "NT99", "hours", None)  # no target, no line, no proxy
    rows = contract_cells(
        "v2026",
        30,
        obligations=[JOBS, WEEKS, idle],
        targets=[("ob-jobs", Q1, Decimal("2")), ("ob-weeks", Q2, Decimal("4"))],
        lines=[("ob-jobs", Q1, Decimal("1.5"))],
        accepted_periods=[Q1],
    ).items()

    found = totals(rows, date(2027, 1, 1), {("v2026", "NT1"): Decimal(3)})

    # NT1: 2 committed and due, 1.5 delivered, at 3; NT10: 4 committed and due at 12.5
    assert found == Tally(Figures(), figures(56, 56, "4.5", 0), 3, 2)
    assert [g.key for g in breakdown(rows, Dimension.QUARTER, date(2027, 1, 1), {})] == [Q1, Q2]


def test_changes_name_only_the_rows_that_moved_for_each_party() -> None:
    old = cells_of_example()
    new = dict(old)
    q1_jobs = next(k for k in old if k.period == Q1 and k.measure == "NT1")
    new[q1_jobs] = CellSums(Decimal(2), Decimal(0), Decimal(0), Decimal("1.5"), 1, 1)  # queried

    delta = changes(["buyer", "supplier"], old, ["buyer", "supplier"], new)

    moved = CellSums(Decimal(0), Decimal(-2), Decimal("-1.5"), Decimal("1.5"), 0, 0)
    assert delta == {("buyer", q1_jobs): moved, ("supplier", q1_jobs): moved}
    assert changes(["buyer"], old, ["buyer"], old) == {}


def test_a_contracts_first_cells_are_added_whole_and_its_last_taken_away_whole() -> None:
    cells = cells_of_example()
    parties = ["buyer", "supplier"]

    arrived = changes(parties, {}, parties, cells)
    left = changes(parties, cells, parties, {})

    assert arrived == {(o, key): sums for o in parties for key, sums in cells.items()}
    assert left == {(o, key): -sums for o in parties for key, sums in cells.items()}


def test_changes_move_a_share_between_parties_whole() -> None:
    old = cells_of_example()

    delta = changes(["buyer", "supplier"], old, ["buyer"], old)

    assert delta == {("supplier", key): -sums for key, sums in old.items()}


def test_a_contracts_cells_split_by_financial_year() -> None:
    years = by_year(cells_of_example())

    assert sorted(years) == [WHOLE, "2025-26", "2026-27"]
    assert {k.period for k in years["2026-27"]} == {Q1, Q2}


def test_by_theme_and_outcome_regroup_measures_as_their_framework_version_places_them() -> None:
    later = contract_cells(
        "v2027",
        30,
        obligations=[ObligationCells("ob-jobs-2", "NT1", "people", None)],
        targets=[("ob-jobs-2", Q2, Decimal("7"))],
        lines=[],
        accepted_periods=[],
    )
    rows = [*cells_of_example().items(), *later.items()]
    places = {
        ("v2026", "NT1"): ("Jobs", "Local employment"),
        ("v2026", "NT10"): ("Skills", "Local employment"),
        ("v2027", "NT1"): ("Work", "Local employment"),  # the later version moved it
    }
    on = date(2027, 1, 1)

    by_measure = {g.key: g for g in breakdown(rows, Dimension.MEASURE, on, {})}
    by_theme = breakdown(rows, Dimension.THEME, on, {}, places)
    [outcome] = breakdown(rows, Dimension.OUTCOME, on, {}, places)

    assert [g.key for g in by_theme] == ["Jobs", "Skills", "Work"]
    jobs, skills, work = (g.measures[0].tally for g in by_theme)
    assert jobs == Tally(figures(6, 6, "1.5", 1), Figures(), 1, 0)
    assert work == Tally(figures(7, 7, 0, 0), Figures(), 1, 0)
    assert skills == by_measure["NT10"].measures[0].tally
    # One outcome holds every obligation once: the lines by measure, whatever the version.
    assert outcome.key == "Local employment"
    assert outcome.measures == (*by_measure["NT1"].measures, *by_measure["NT10"].measures)
    assert outcome.measures[0].tally.obligations == 2


def test_cells_are_not_summed_by_the_contracts_parties_or_places() -> None:
    for dimension in (Dimension.SUPPLIER, Dimension.BUYER, Dimension.PLACE):
        with pytest.raises(ValueError, match=f"not by {dimension}"):
            breakdown([], dimension, date(2026, 1, 1), {})
