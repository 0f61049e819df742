"""The Procurement Act 2023 KPI rating rule, at every boundary of every band, both variants."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from reporting.domain.kpi import Bands, Basis, ContractRating, KpiRule, Rating, rate_contract
from reporting.domain.portfolio import ContractFacts, LineFacts, ObligationFacts, Portfolio
from reporting.settings import load_settings
from svledger.errors import ValidationFailed
from svledger.periods import quarters_between

QUARTERS = ["2026-27-Q1", "2026-27-Q2", "2026-27-Q3", "2026-27-Q4"]
AFTER_THE_YEAR = date(2027, 6, 1)  # every quarter of 2026-27 is due


def contract(
    value: str | None = "6000000",
    starts_on: date = date(2026, 4, 1),
    ends_on: date = date(2027, 3, 31),
    ended_on: date | None = None,
) -> ContractFacts:
    return ContractFacts(
        contract_id="c1",
        reference="WC-001",
        title="Highways",
        buyer="council",
        supplier="builder",
        starts_on=starts_on,
        ends_on=ends_on,
        value_gbp=None if value is None else Decimal(value),
        framework_version="toms",
        awarded_at=datetime(2026, 3, 1, tzinfo=UTC),
        status="active" if ended_on is None else "terminated",
        ended_on=ended_on,
    )


def kpi(
    n: int,
    target: str = "100",
    *,
    is_kpi: bool = True,
    proxy: str | None = None,
    quarters: Sequence[str] = QUARTERS,
) -> ObligationFacts:
    return ObligationFacts(
        contract_id="c1",
        obligation_id=f"ob{n}",
        sequence=n,
        measure=f"NT{n}",
        theme="Jobs",
        outcome="Local jobs",
        unit="FTE",
        description=f"KPI {n}",
        is_kpi=is_kpi,
        targets=dict.fromkeys(quarters, Decimal(target)),
        proxy_gbp_per_unit=None if proxy is None else Decimal(proxy),
    )


def delivered(
    ob: ObligationFacts, per_quarter: str, quarters: Sequence[str] = QUARTERS
) -> list[LineFacts]:
    return [LineFacts("c1", ob.obligation_id, q, Decimal(per_quarter), True) for q in quarters]


def rate(
    obligations: list[ObligationFacts],
    lines: list[LineFacts],
    *,
    as_of: date = AFTER_THE_YEAR,
    rule: KpiRule | None = None,
    facts: ContractFacts | None = None,
) -> ContractRating:
    c = facts or contract()
    portfolio = Portfolio([c], obligations, lines, proxy_values={}, as_of=as_of)
    return rate_contract(portfolio, c, rule or KpiRule())


# -- one KPI: its delivery ratio over the period ---------------------------------------------


@pytest.mark.parametrize(
    ("per_quarter", "ratio", "rating"),
    [
        ("120", "1.2", Rating.GOOD),
        ("100", "1", Rating.GOOD),
        ("95", "0.95", Rating.GOOD),
        ("94.99", "0.9499", Rating.APPROACHING_TARGET),
        ("80", "0.8", Rating.APPROACHING_TARGET),
        ("79.99", "0.7999", Rating.REQUIRES_IMPROVEMENT),
        ("50", "0.5", Rating.REQUIRES_IMPROVEMENT),
        ("49.99", "0.4999", Rating.INADEQUATE),
        ("0", "0", Rating.INADEQUATE),
    ],
)
def test_a_kpi_is_rated_on_its_delivery_ratio_with_each_threshold_in_the_higher_band(
    per_quarter: str, ratio: str, rating: Rating
) -> None:
    ob = kpi(1)
    result = rate([ob], delivered(ob, per_quarter))

    [k] = result.kpis
    assert k.ratio == Decimal(ratio)
    assert k.rating is rating


def test_a_kpi_with_no_target_in_the_period_is_other_and_left_out_of_the_contracts_rating() -> None:
    nothing_due = kpi(1, "0")
    on_track = kpi(2)
    result = rate([nothing_due, on_track], delivered(on_track, "100"))

    assert [k.rating for k in result.kpis] == [Rating.OTHER, Rating.GOOD]
    assert result.target_based.explanation == "1 of 1 KPIs on track"
    assert result.rating is Rating.GOOD


# -- the contract, target-based: the share of KPIs on track ----------------------------------


@pytest.mark.parametrize(
    ("per_quarter", "share", "rating"),
    [
        (["100", "100", "100", "100"], "1", Rating.GOOD),
        (["95", "95", "95", "95"], "1", Rating.GOOD),  # exactly on track counts as on track
        (["100", "100", "100", "94.99"], "0.75", Rating.APPROACHING_TARGET),
        (["100", "100", "94.99", "94.99"], "0.5", Rating.REQUIRES_IMPROVEMENT),
        (["100", "94.99", "94.99", "94.99"], "0.25", Rating.INADEQUATE),
        (["0", "0", "0", "0"], "0", Rating.INADEQUATE),
    ],
)
def test_target_based_rating_is_the_share_of_kpis_on_track_at_every_boundary(
    per_quarter: list[str], share: str, rating: Rating
) -> None:
    obligations = [kpi(n) for n in range(1, 5)]
    lines = [
        line for ob, q in zip(obligations, per_quarter, strict=True) for line in delivered(ob, q)
    ]

    result = rate(obligations, lines)

    assert result.target_based.score == Decimal(share)
    assert result.target_based.rating is rating
    assert result.rating is rating  # target-based is the default basis


def test_scores_are_compared_exactly_not_as_shown() -> None:
    obligations = [kpi(n) for n in range(1, 4)]
    two_of_three = delivered(obligations[0], "100") + delivered(obligations[1], "100")
    at_two_thirds = KpiRule(target_based=Bands(Decimal(1), Decimal("0.6666"), Decimal("0.3333")))
    above_two_thirds = KpiRule(target_based=Bands(Decimal(1), Decimal("0.6667"), Decimal("0.5")))

    reached = rate(obligations, two_of_three, rule=at_two_thirds)
    missed = rate(obligations, two_of_three, rule=above_two_thirds)

    assert reached.target_based.score == missed.target_based.score == Decimal("0.6667")
    assert reached.rating is Rating.APPROACHING_TARGET
    assert missed.rating is Rating.REQUIRES_IMPROVEMENT  # 2/3 shows as 0.6667 but is below it


def test_a_kpi_ratio_that_rounds_up_to_a_threshold_stays_below_it() -> None:
    ob = kpi(1, "2000")
    result = rate([ob], delivered(ob, "1899.99"))  # 0.949995

    assert result.kpis[0].ratio == Decimal("0.95")
    assert result.kpis[0].rating is Rating.APPROACHING_TARGET


# -- the contract, value-based: delivered against committed ------------------------------------


@pytest.mark.parametrize(
    ("score", "rating"),
    [
        ("0.95", Rating.GOOD),
        ("0.9499", Rating.APPROACHING_TARGET),
        ("0.8", Rating.APPROACHING_TARGET),
        ("0.7999", Rating.REQUIRES_IMPROVEMENT),
        ("0.5", Rating.REQUIRES_IMPROVEMENT),
        ("0.4999", Rating.INADEQUATE),
    ],
)
def test_value_based_rating_in_gbp_at_every_boundary(score: str, rating: Rating) -> None:
    cheap = kpi(1, "10", proxy="1")
    dear = kpi(2, "100", proxy="10")
    # GBP 40 of 40 on the cheap KPI; the dear one brings the score to the boundary.
    dear_delivered = (Decimal(score) * 4040 - 40) / 40
    lines = delivered(cheap, "10") + delivered(dear, str(dear_delivered))

    result = rate([cheap, dear], lines, rule=KpiRule(basis=Basis.VALUE))

    assert result.value_based.measured_in == "GBP"
    assert result.value_based.score == Decimal(score)
    assert result.value_based.rating is rating
    assert result.rating is rating  # the value-based basis chosen


def test_value_in_gbp_lets_one_kpi_make_up_for_another() -> None:
    over = kpi(1, "100", proxy="10")
    under = kpi(2, "100", proxy="10")
    lines = delivered(over, "150") + delivered(under, "50")

    result = rate([over, under], lines)

    assert result.value_based.score == Decimal("1")
    assert result.value_based.rating is Rating.GOOD
    assert result.target_based.rating is Rating.REQUIRES_IMPROVEMENT  # one of two on track


def test_without_a_proxy_value_for_every_kpi_value_is_the_mean_of_capped_unit_ratios() -> None:
    over = kpi(1, "100", proxy="10")
    unvalued = kpi(2, "100")
    lines = delivered(over, "150") + delivered(unvalued, "50")

    result = rate([over, unvalued], lines)

    assert result.value_based.measured_in == "units"
    assert result.value_based.score == Decimal("0.75")  # (min(1.5, 1) + 0.5) / 2
    assert result.value_based.rating is Rating.REQUIRES_IMPROVEMENT


# -- Other, and the period assessed --------------------------------------------------------


def test_a_contract_without_kpis_or_without_a_quarter_due_is_rated_other() -> None:
    no_kpis = rate([kpi(1, is_kpi=False)], [])
    too_soon = rate([kpi(1)], [], as_of=date(2026, 7, 30))  # Q1 is due that day, not before

    for result in (no_kpis, too_soon):
        assert result.target_based.rating is Rating.OTHER
        assert result.value_based.rating is Rating.OTHER
        assert result.target_based.score is None
    assert no_kpis.target_based.explanation == "the contract has no KPIs"
    assert too_soon.periods == ()
    assert too_soon.period_start is None
    assert "no quarter's return has been due yet: nothing to assess" in too_soon.warnings


def test_the_period_assessed_is_the_last_four_quarters_due() -> None:
    quarters = [f"{y}-{(y + 1) % 100:02d}-Q{n}" for y in (2025, 2026) for n in range(1, 5)]
    ob = kpi(1, quarters=quarters)
    facts = contract(starts_on=date(2025, 4, 1), ends_on=date(2027, 3, 31))
    # The first year delivered nothing; the last four quarters delivered in full.
    lines = delivered(ob, "100", quarters[3:7])

    result = rate([ob], lines, as_of=date(2027, 1, 31), facts=facts)  # 2026-27 Q3 due 30 Jan

    assert result.periods == ("2025-26-Q4", "2026-27-Q1", "2026-27-Q2", "2026-27-Q3")
    assert (result.period_start, result.period_end) == (date(2026, 1, 1), date(2026, 12, 31))
    assert result.kpis[0].ratio == Decimal(1)
    assert result.rating is Rating.GOOD


def test_a_contract_younger_than_a_year_is_assessed_over_the_quarters_it_has_had() -> None:
    ob = kpi(1)
    result = rate([ob], delivered(ob, "100", QUARTERS[:1]), as_of=date(2026, 8, 1))

    assert result.periods == ("2026-27-Q1",)
    assert result.kpis[0].target == Decimal(100)
    assert result.rating is Rating.GOOD


def test_a_terminated_contract_is_assessed_over_its_last_quarters() -> None:
    ob = kpi(1, quarters=QUARTERS[:2])
    facts = contract(ended_on=date(2026, 8, 15))
    result = rate([ob], delivered(ob, "100", QUARTERS[:2]), facts=facts)

    assert result.periods == ("2026-27-Q1", "2026-27-Q2")
    assert result.period_end == date(2026, 8, 15)


# -- the notice, and configuring the rule -----------------------------------------------------


@pytest.mark.parametrize(
    ("value", "required"),
    [("5000000", False), ("5000000.01", True), (None, False)],
)
def test_a_performance_notice_is_required_over_five_million(
    value: str | None, required: bool
) -> None:
    result = rate([kpi(1)], [], facts=contract(value=value))
    assert result.notice_required is required


def test_a_contract_over_five_million_with_fewer_than_three_kpis_is_warned_about() -> None:
    two = rate([kpi(1), kpi(2)], [])
    three = rate([kpi(1), kpi(2), kpi(3)], [])

    assert two.warnings == ["a contract over GBP 5m needs at least 3 KPIs; this one has 2"]
    assert three.warnings == []


def test_the_rule_is_configured_from_settings() -> None:
    settings = load_settings(
        kpi_good="0.9",
        kpi_approaching="0.7",
        kpi_requires_improvement="0.4",
        kpi_basis="value",
        kpi_quarters=2,
    )
    ob = kpi(1)

    result = rate([ob], delivered(ob, "90"), rule=settings.kpi_rule())

    assert result.kpis[0].rating is Rating.GOOD  # 0.9 is Good under this configuration
    assert result.basis is Basis.VALUE
    assert result.periods == ("2026-27-Q3", "2026-27-Q4")


def test_thresholds_that_rise_towards_worse_bands_are_refused() -> None:
    with pytest.raises(ValidationFailed, match="must not rise"):
        Bands(Decimal("0.8"), Decimal("0.9"), Decimal("0.5"))
    with pytest.raises(ValidationFailed):
        load_settings(kpi_approaching="0.99").kpi_rule()


@pytest.mark.parametrize("due_days", [0, 1, 30, 45, 91])
@pytest.mark.parametrize(
    ("starts_on", "ends_on", "ended_on"),
    [
        (date(2025, 4, 1), date(2028, 3, 31), None),  # whole quarters
        (date(2025, 5, 17), date(2027, 2, 3), None),  # part quarters at both ends
        (date(2025, 6, 30), date(2025, 7, 1), None),  # two days across a quarter's end
        (date(2025, 8, 1), date(2029, 3, 31), date(2026, 11, 30)),  # terminated early
        (date(2026, 1, 1), date(2025, 12, 1), None),  # ends before it starts
    ],
)
def test_the_window_is_the_last_quarters_of_the_contract_whose_returns_were_due(
    starts_on: date, ends_on: date, ended_on: date | None, due_days: int
) -> None:
    """Worked out directly; checked here against the definition, every day for five years."""
    facts = replace(
        contract(starts_on=starts_on, ends_on=ends_on, ended_on=ended_on),
        return_due_days=due_days,
    )
    last_day = max(ended_on or ends_on, starts_on)
    quarters = quarters_between(starts_on, last_day)
    rule = KpiRule(quarters=3)
    day = date(2025, 1, 1)
    while day < date(2030, 1, 1):
        due = [q for q in quarters if q.due(due_days) < day]
        assert rule.window(facts, day) == due[-3:], day
        day += timedelta(days=1)
