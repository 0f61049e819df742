"""The reporting rules in the pure domain: what counts as delivered and due, GBP values,
places, the league table, Partner VCFSE progress, late and overdue returns."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from decimal import Decimal as D
from fractions import Fraction

import pytest
from reporting.domain.pledge import ConfirmedDelivery, Pledge, ReturnedQuantity, progress
from reporting.domain.portfolio import (
    ContractFacts,
    Dimension,
    LineFacts,
    ObligationFacts,
    Portfolio,
    exact_ratio,
    ratio,
    rounded,
)
from reporting.domain.progress import Alert, AlertStatus
from reporting.domain.returns import Lateness, ReturnIn, SchedulePeriod, late_and_overdue

Q = ["2026-27-Q1", "2026-27-Q2", "2026-27-Q3", "2026-27-Q4"]


def contract(contract_id: str = "c1", supplier: str = "builder", **extra: object) -> ContractFacts:
    values: dict[str, object] = {
        "contract_id": contract_id,
        "reference": contract_id.upper(),
        "title": "Works",
        "buyer": "council",
        "supplier": supplier,
        "starts_on": date(2026, 4, 1),
        "ends_on": date(2027, 3, 31),
        "value_gbp": Decimal(100000),
        "framework_version": "toms",
        "awarded_at": datetime(2026, 3, 1, tzinfo=UTC),
    }
    return ContractFacts(**(values | extra))  # type: ignore[arg-type]


def obligation(
    n: int, contract_id: str = "c1", measure: str = "NT1", per_quarter: str = "10", **extra: object
) -> ObligationFacts:
    values: dict[str, object] = {
        "contract_id": contract_id,
        "obligation_id": f"{contract_id}-ob{n}",
        "sequence": n,
        "measure": measure,
        "theme": "Jobs",
        "outcome": "Local jobs",
        "unit": "FTE",
        "description": "",
        "is_kpi": False,
        "targets": dict.fromkeys(Q, Decimal(per_quarter)),
    }
    return ObligationFacts(**(values | extra))  # type: ignore[arg-type]


def accepted(ob: ObligationFacts, period: str, quantity: str, yes: bool = True) -> LineFacts:
    return LineFacts(ob.contract_id, ob.obligation_id, period, Decimal(quantity), yes)


def portfolio(
    contracts: list[ContractFacts],
    obligations: list[ObligationFacts],
    lines: list[LineFacts],
    as_of: date = date(2026, 11, 15),  # Q1 and Q2 are due
    proxy: dict[tuple[str, str], Decimal] | None = None,
) -> Portfolio:
    return Portfolio(contracts, obligations, lines, proxy_values=proxy or {}, as_of=as_of)


def test_only_accepted_lines_are_delivered_the_rest_awaits_review() -> None:
    ob = obligation(1)
    p = portfolio([contract()], [ob], [accepted(ob, Q[0], "7"), accepted(ob, Q[1], "9", False)])

    figures = p.figures(ob)

    assert (figures.committed, figures.due, figures.delivered) == (D(40), D(20), D(7))
    assert figures.awaiting_review == 9
    assert figures.ratio == Decimal("0.35")


def test_a_quarter_is_due_after_its_return_date_or_once_its_return_is_accepted() -> None:
    ob = obligation(1)
    on_due_day = portfolio([contract()], [ob], [], as_of=date(2026, 7, 30))
    day_after = portfolio([contract()], [ob], [], as_of=date(2026, 7, 31))
    early = portfolio([contract()], [ob], [accepted(ob, Q[2], "10")], as_of=date(2026, 7, 31))

    assert on_due_day.figures(ob).due == 0
    assert on_due_day.figures(ob).ratio is None  # nothing due yet: no ratio, not zero
    assert day_after.figures(ob).due == 10
    assert early.figures(ob).due == 20  # Q1 due, Q3 accepted early


def test_gbp_uses_the_value_pinned_at_award_before_the_frameworks_table() -> None:
    pinned = obligation(1, proxy_gbp_per_unit=Decimal("2.5"))
    from_table = obligation(2, measure="NT10")
    unvalued = obligation(3, measure="NT99")
    proxy = {("toms", "NT1"): Decimal(100), ("toms", "NT10"): Decimal("0.1")}
    lines = [accepted(ob, Q[0], "10") for ob in (pinned, from_table, unvalued)]
    p = portfolio([contract()], [pinned, from_table, unvalued], lines, proxy=proxy)

    totals = p.totals()

    assert p.rate(pinned) == Decimal("2.5")
    assert p.rate(from_table) == Decimal("0.1")
    assert p.rate(unvalued) is None
    assert totals.gbp.delivered == Decimal("26")  # 25 + 1; the unvalued one is left out
    assert (totals.obligations, totals.valued, totals.fully_valued) == (3, 2, False)


@pytest.mark.parametrize(
    ("obligation_place", "contract_places", "place"),
    [
        ("Halton", ("Wirral",), "Halton"),
        (None, ("Wirral",), "Wirral"),
        (None, ("Wirral", "Sefton"), "not stated"),
        (None, (), "not stated"),
    ],
)
def test_an_obligations_place_is_its_own_else_its_contracts_only_place(
    obligation_place: str | None, contract_places: tuple[str, ...], place: str
) -> None:
    ob = obligation(1, place=obligation_place)
    p = portfolio([contract(places=contract_places)], [ob], [])
    assert p.place_of(ob) == place


def test_units_of_different_measures_are_never_added_together() -> None:
    jobs = obligation(1, measure="NT1")
    weeks = obligation(2, measure="NT10", unit="weeks")
    p = portfolio(
        [contract()], [jobs, weeks], [accepted(jobs, Q[0], "3"), accepted(weeks, Q[0], "5")]
    )

    [group] = p.breakdown(Dimension.THEME)

    assert [(m.measure, m.unit, m.tally.units.delivered) for m in group.measures] == [
        ("NT1", "FTE", D(3)),
        ("NT10", "weeks", D(5)),
    ]


def test_measures_sort_naturally_and_each_quarter_counts_an_obligation_once() -> None:
    obs = [
        obligation(1, measure="NT10"),
        obligation(2, measure="NT2"),
        obligation(3, measure="NT1"),
    ]
    p = portfolio([contract()], obs, [])

    assert [g.key for g in p.breakdown(Dimension.MEASURE)] == ["NT1", "NT2", "NT10"]
    [year] = p.breakdown(Dimension.YEAR)
    assert [m.tally.obligations for m in year.measures] == [1, 1, 1]
    assert [m.tally.units.committed for m in year.measures] == [40, 40, 40]


@pytest.mark.parametrize(
    ("delivered", "due", "expected"),
    [
        ("0", "3", Fraction(0)),
        ("1.0001", "3", Fraction(10001, 30000)),
        ("2.5", "0.5000", Fraction(5)),
        ("99999999999999.9999", "0.0001", Fraction(999999999999999999)),
        ("1E+3", "7.25", Fraction(4000, 29)),
        ("5", "0", None),
        ("5", "-1", None),
    ],
)
def test_a_ratio_is_exact_and_none_while_nothing_is_due(
    delivered: str, due: str, expected: Fraction | None
) -> None:
    assert exact_ratio(D(delivered), D(due)) == expected


@pytest.mark.parametrize(
    ("delivered", "due", "shown"),
    [
        ("0.12345", "1", "0.1235"),  # half way rounds up
        ("0.123449999", "1", "0.1234"),
        ("1", "3", "0.3333"),
        ("2", "3", "0.6667"),
        ("0.949995", "1", "0.9500"),
        ("1E+3", "7.25", "137.9310"),
        ("12345678901234567890.123", "0.0007", "17636684144620811271604.2857"),
        ("5", "0", None),
    ],
)
def test_a_ratio_shown_is_the_exact_ratio_to_four_places_half_up(
    delivered: str, due: str, shown: str | None
) -> None:
    assert ratio(D(delivered), D(due)) == (None if shown is None else D(shown))
    exact = exact_ratio(D(delivered), D(due))
    assert rounded(exact) == ratio(D(delivered), D(due))


def test_the_league_table_ranks_by_capped_mean_ratio_ties_share_a_rank() -> None:
    contracts = [contract("a", "alpha"), contract("b", "beta"), contract("c", "gamma")]
    over = obligation(1, "a")  # 300% on one obligation...
    short = obligation(2, "a")  # ...cannot hide 0% on another: (1 + 0) / 2
    half = obligation(1, "b")
    also_half = obligation(1, "c")
    lines = [
        accepted(over, Q[0], "30"),
        accepted(over, Q[1], "30"),
        accepted(half, Q[0], "10"),
        accepted(also_half, Q[0], "10"),
    ]
    p = portfolio(contracts, [over, short, half, also_half], lines)

    table = p.league_table()

    assert [(s.rank, s.supplier, s.delivery_ratio) for s in table] == [
        (1, "alpha", Decimal("0.5")),
        (1, "beta", Decimal("0.5")),
        (1, "gamma", Decimal("0.5")),
    ]
    p2 = portfolio(contracts, [over, half, also_half], lines)
    assert [(s.rank, s.supplier) for s in p2.league_table()] == [
        (1, "alpha"),
        (2, "beta"),
        (2, "gamma"),
    ]


def test_on_track_is_at_least_095_exactly_and_each_ratio_is_capped_at_1_in_the_mean() -> None:
    obs = [obligation(n) for n in range(1, 5)]
    not_due = replace(obligation(5), targets={"2026-27-Q4": Decimal(5)})
    # 20 due on each (Q1 and Q2): 0.95; 0.949995, which shows as 0.95; 2.0; and 0.
    lines = [
        accepted(ob, Q[0], quantity)
        for ob, quantity in zip(obs, ["19", "18.9999", "40", "0"], strict=True)
    ]
    p = portfolio([contract()], [*obs, not_due], lines)

    (summary,) = p.summaries({})
    (standing,) = p.league_table()

    # (0.95 + 0.949995 + 1 + 0) / 4 = 0.72499875
    assert (summary.obligations, summary.assessed, summary.on_track) == (5, 4, 2)
    assert summary.delivery_ratio == Decimal("0.7250")
    assert (standing.assessed, standing.on_track, standing.delivery_ratio) == (
        4,
        2,
        Decimal("0.7250"),
    )


def test_a_supplier_with_nothing_due_yet_ranks_last_without_a_ratio() -> None:
    contracts = [contract("a", "alpha"), contract("b", "beta")]
    due = obligation(1, "a")
    later = replace(obligation(1, "b"), targets={"2026-27-Q4": Decimal(5)})
    p = portfolio(contracts, [due, later], [])

    assert [(s.rank, s.supplier, s.delivery_ratio) for s in p.league_table()] == [
        (1, "alpha", Decimal(0)),
        (2, "beta", None),
    ]


# -- Partner VCFSE -------------------------------------------------------------------------


def pledge(targets: dict[str, str]) -> Pledge:
    return Pledge(
        organisation="builder",
        base_year="2025-26",
        baseline={"NT14": Decimal(1000)},
        targets={"2026-27": {m: Decimal(v) for m, v in targets.items()}},
        framework_version="toms",
        recorded_on=date(2026, 4, 1),
        revision=0,
    )


def test_a_confirmed_delivery_corroborating_a_return_line_is_not_counted_twice() -> None:
    returned = [ReturnedQuantity("c1", "ob1", "NT14", Q[0], Decimal(300))]
    confirmed = [
        ConfirmedDelivery("d1", "c1", "ob1", "NT14", Q[0], Decimal(200)),  # within the line
        ConfirmedDelivery("d2", "c1", "ob1", "NT14", Q[1], Decimal(150)),  # no line yet
        ConfirmedDelivery("d3", None, None, "NT14", Q[1], Decimal(50)),  # not tied to a contract
    ]

    result = progress(pledge({"NT14": "4000"}), returned, confirmed, date(2026, 11, 15))

    row = next(y for y in result.years if y.year == "2026-27")
    assert (row.from_returns, row.from_deliveries, row.actual) == (D(300), D(400), D(500))


@pytest.mark.parametrize(
    ("actual", "status"),
    [
        ("1900", "on_track"),  # 0.95 of 2000 expected after two quarters
        ("1899.99", "at_risk"),
        ("1600", "at_risk"),  # 0.8
        ("1599.99", "behind"),
    ],
)
def test_pledge_status_at_each_boundary(actual: str, status: str) -> None:
    returned = [ReturnedQuantity("c1", "ob1", "NT14", Q[0], Decimal(actual))]

    result = progress(pledge({"NT14": "4000"}), returned, [], date(2026, 11, 15))

    row = next(y for y in result.years if y.year == "2026-27")
    assert row.expected_to_date == 2000
    assert row.status == status
    assert row.on_track is (status == "on_track")


def test_a_year_with_no_quarter_due_has_not_started() -> None:
    result = progress(pledge({"NT14": "4000"}), [], [], date(2026, 7, 30))

    row = next(y for y in result.years if y.year == "2026-27")
    assert (row.quarters_due, row.status, row.on_track) == (0, "not_started", None)
    base = next(y for y in result.years if y.year == "2025-26")
    assert (base.baseline, base.target, base.status) == (D(1000), None, None)


# -- late and overdue returns, alerts' age -----------------------------------------------------


def test_overdue_means_past_due_without_a_return_and_not_cancelled() -> None:
    c = contract()
    due = date(2026, 7, 30)
    periods = [
        SchedulePeriod("c1", Q[0], due, False),
        SchedulePeriod("c1", Q[1], date(2026, 10, 30), False),
        SchedulePeriod("c1", Q[2], date(2027, 1, 30), True),
        SchedulePeriod("c1", Q[3], date(2027, 4, 30), False),
    ]
    came_in = {("c1", Q[1]): ReturnIn("c1", Q[1], True, date(2026, 11, 2), "submitted")}

    found = late_and_overdue({"c1": c}, periods, came_in, date(2027, 2, 1))

    assert [(r.period, r.state, r.days) for r in found] == [
        (Q[0], Lateness.OVERDUE, 186),
        (Q[1], Lateness.LATE, 3),
    ]
    assert late_and_overdue({"c1": c}, periods[:1], {}, due) == []  # due today is not overdue


def test_an_alerts_age_runs_to_today_or_to_its_resolution() -> None:
    raised = Alert(
        alert_id="a",
        contract_id=None,
        obligation_id=None,
        measure=None,
        period=Q[0],
        kind="pledge_behind",
        severity="medium",
        status=AlertStatus.OPEN,
        buyer="x",
        supplier="x",
        ratio=None,
        raised_on=date(2026, 8, 1),
    )
    resolved = replace(raised, status=AlertStatus.RESOLVED, resolved_on=date(2026, 8, 11))

    assert raised.age_days(date(2026, 8, 31)) == 30
    assert resolved.age_days(date(2026, 8, 31)) == 10
