"""Delivery profiles: a committed total spread over financial-year quarters, summing exactly."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from commitments.domain.profile import DeliveryProfile, ProfileKind, quarterly_targets
from hypothesis import given, settings
from hypothesis import strategies as st
from svledger.errors import ValidationFailed
from svledger.periods import Quarter, quarters_between
from svledger.quantities import figure

EVEN = DeliveryProfile()


def labelled(targets: dict[Quarter, Decimal]) -> dict[str, str]:
    return {q.label: figure(v) for q, v in targets.items()}


@st.composite
def contracts(draw: st.DrawFn) -> tuple[date, date]:
    """A contract of one day to five years, starting on any day (mostly mid-quarter)."""
    starts = draw(st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)))
    return starts, starts + timedelta(days=draw(st.integers(0, 5 * 366)))


totals = st.decimals(min_value=0, max_value=Decimal("1e12"), places=4, allow_nan=False)


@st.composite
def profiles(draw: st.DrawFn, starts: date, ends: date) -> DeliveryProfile:
    quarters = quarters_between(starts, ends)
    kind = draw(st.sampled_from(list(ProfileKind)))
    weight = st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False)
    if kind is ProfileKind.QUARTERLY:
        chosen = draw(st.lists(st.sampled_from(quarters), min_size=1, unique=True))
        weights = {q.label: draw(weight) for q in chosen}
        weights[chosen[0].label] += 1  # at least one positive weight
        return DeliveryProfile(kind, weights)
    if kind is ProfileKind.ANNUAL:
        years = sorted({q.year for q in quarters})
        chosen_years = draw(st.lists(st.sampled_from(years), min_size=1, unique=True))
        weights = {f"{y}-{(y + 1) % 100:02d}": draw(weight) for y in chosen_years}
        first = f"{chosen_years[0]}-{(chosen_years[0] + 1) % 100:02d}"
        weights[first] += 1
        return DeliveryProfile(kind, weights)
    return EVEN


# No per-example deadline: on a loaded machine exact fraction arithmetic can pass 200 ms.
@settings(deadline=None)
@given(data=st.data(), contract=contracts(), total=totals)
def test_quarterly_targets_always_sum_to_the_committed_total(
    data: st.DataObject, contract: tuple[date, date], total: Decimal
) -> None:
    starts, ends = contract
    profile = data.draw(profiles(starts, ends))

    targets = quarterly_targets(total, starts, ends, profile, "profile")

    assert sum(targets.values(), Decimal(0)) == total
    assert list(targets) == quarters_between(starts, ends)
    assert all(v >= 0 for v in targets.values())
    # Every target fits the four decimal places read models keep.
    assert all(v == v.quantize(Decimal("0.0001")) for v in targets.values())
    if profile.kind is ProfileKind.QUARTERLY:
        unweighted = [q for q in targets if profile.weights.get(q.label, Decimal(0)) == 0]
        assert all(targets[q] == 0 for q in unweighted)


def test_an_even_profile_gives_partial_first_and_last_quarters_a_part_share() -> None:
    # 15 May 2026 to 14 Aug 2027: Q1 2026-27 has 47 of the 457 days, Q2 2027-28 has 45.
    targets = quarterly_targets(Decimal(457), date(2026, 5, 15), date(2027, 8, 14), EVEN, "p")

    assert labelled(targets) == {
        "2026-27-Q1": "47",
        "2026-27-Q2": "92",
        "2026-27-Q3": "92",
        "2026-27-Q4": "90",
        "2027-28-Q1": "91",
        "2027-28-Q2": "45",
    }


def test_rounding_leftovers_go_to_the_largest_remainders_so_the_total_is_exact() -> None:
    targets = quarterly_targets(Decimal(10), date(2026, 4, 1), date(2027, 3, 31), EVEN, "p")

    # 91, 92, 92, 90 days: exact shares 2.493..., 2.520..., 2.520..., 2.465...
    assert labelled(targets) == {
        "2026-27-Q1": "2.49",
        "2026-27-Q2": "2.52",
        "2026-27-Q3": "2.52",
        "2026-27-Q4": "2.47",
    }


def test_an_annual_profile_spreads_each_year_over_its_own_quarters() -> None:
    profile = DeliveryProfile(ProfileKind.ANNUAL, {"2026-27": Decimal(1), "2027-28": Decimal(3)})

    targets = quarterly_targets(Decimal(400), date(2026, 4, 1), date(2028, 3, 31), profile, "p")

    first_year = sum(v for q, v in targets.items() if q.year == 2026)
    second_year = sum(v for q, v in targets.items() if q.year == 2027)
    assert (first_year, second_year) == (Decimal(100), Decimal(300))


def test_a_quarterly_profile_takes_its_weights_as_given() -> None:
    profile = DeliveryProfile(
        ProfileKind.QUARTERLY, {"2026-27-Q3": Decimal(1), "2026-27-Q4": Decimal(1)}
    )

    targets = quarterly_targets(Decimal(8), date(2026, 4, 1), date(2027, 3, 31), profile, "p")

    assert labelled(targets) == {
        "2026-27-Q1": "0",
        "2026-27-Q2": "0",
        "2026-27-Q3": "4",
        "2026-27-Q4": "4",
    }


@pytest.mark.parametrize(
    ("profile", "field"),
    [
        (
            DeliveryProfile(ProfileKind.QUARTERLY, {"2031-32-Q1": Decimal(1)}),
            "p.weights.2031-32-Q1",
        ),
        (DeliveryProfile(ProfileKind.ANNUAL, {"2026-28": Decimal(1)}), "p.weights.2026-28"),
        (DeliveryProfile(ProfileKind.ANNUAL, {"2029-30": Decimal(1)}), "p.weights.2029-30"),
        (DeliveryProfile(ProfileKind.QUARTERLY, {"2026-27-Q1": Decimal(0)}), "p.weights"),
        (DeliveryProfile(ProfileKind.EVEN, {"2026-27": Decimal(1)}), "p.weights"),
    ],
)
def test_profile_weights_outside_the_contract_or_all_zero_are_refused_naming_the_weight(
    profile: DeliveryProfile, field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        quarterly_targets(Decimal(8), date(2026, 4, 1), date(2027, 3, 31), profile, "p")

    assert [e.field for e in refused.value.errors] == [field]
