"""Procurement Act 2023 KPI ratings and the data of a contract performance notice. Pure rules.

The Act asks a contracting authority to assess a contract over GBP 5m against at least three
KPIs at least every twelve months and publish the result, rating each KPI Good, Approaching
target, Requires improvement, Inadequate or Other. Social value obligations marked as KPIs are
rated here, by this rule (every threshold configurable through :class:`KpiRule`):

1. **Period assessed**: the last four quarters of the contract whose returns were due before
   the day of the assessment (twelve months, or fewer for a contract younger than that).
   With no quarter due yet, every rating is Other.
2. **Each KPI** is rated on its delivery ratio over that period: accepted delivery over the
   target of those quarters. Ratio at or above ``kpi.good`` is Good, at or above
   ``kpi.approaching`` Approaching target, at or above ``kpi.requires_improvement`` Requires
   improvement, and below that Inadequate. A KPI with no target in the period is Other and is
   left out of the contract's rating.
3. **The contract**, in two variants:

   - *target-based*: the share of its rated KPIs that are Good (on track), against
     ``target_based`` bands (default: Good when every KPI is on track, Approaching target from
     75%, Requires improvement from 50%, else Inadequate);
   - *value-based*: delivered against committed over the period, against ``value_based``
     bands (default 95%, 80%, 50%). In GBP proxy value when every rated KPI has one, so value
     delivered on one KPI offsets another; otherwise in units, as the mean of each KPI's ratio
     capped at 1, since units of different measures cannot be added.

   A contract with no KPIs, or none with a target in the period, is Other.

Scores are compared exactly (as fractions) and shown to four places, so a ratio of 0.949995 shows
as 0.95 yet is not Good; a score exactly on a threshold takes the higher band.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from svledger.errors import ValidationFailed
from svledger.periods import Quarter

from reporting.domain.portfolio import (
    ONE,
    ZERO,
    ContractFacts,
    ObligationFacts,
    Portfolio,
    exact_ratio,
    rounded,
)

NOTICE_THRESHOLD_GBP = Decimal(5_000_000)
MINIMUM_KPIS = 3


class Rating(enum.StrEnum):
    """The ratings a contract performance notice uses."""

    GOOD = "Good"
    APPROACHING_TARGET = "Approaching target"
    REQUIRES_IMPROVEMENT = "Requires improvement"
    INADEQUATE = "Inadequate"
    OTHER = "Other"


class Basis(enum.StrEnum):
    """The two variants of the contract's rating."""

    TARGET = "target"
    VALUE = "value"


@dataclass(frozen=True, slots=True)
class Bands:
    """The lowest score of Good, Approaching target and Requires improvement."""

    good: Decimal
    approaching: Decimal
    requires_improvement: Decimal

    def __post_init__(self) -> None:
        if not self.good >= self.approaching >= self.requires_improvement >= ZERO:
            raise ValidationFailed(
                "rating thresholds must not rise from Good to Requires improvement, "
                f"nor fall below zero: {self.good}, {self.approaching}, "
                f"{self.requires_improvement}",
                field="thresholds",
            )

    def rate(self, score: Fraction | None) -> Rating:
        """The band an exact score falls in; a score on a threshold takes the higher band."""
        if score is None:
            return Rating.OTHER
        if score >= Fraction(self.good):
            return Rating.GOOD
        if score >= Fraction(self.approaching):
            return Rating.APPROACHING_TARGET
        if score >= Fraction(self.requires_improvement):
            return Rating.REQUIRES_IMPROVEMENT
        return Rating.INADEQUATE


@dataclass(frozen=True, slots=True)
class KpiRule:
    """The rule's thresholds, the period it looks back over, and which variant a notice uses."""

    kpi: Bands = field(
        default_factory=lambda: Bands(Decimal("0.95"), Decimal("0.80"), Decimal("0.50"))
    )
    target_based: Bands = field(
        default_factory=lambda: Bands(Decimal("1"), Decimal("0.75"), Decimal("0.50"))
    )
    value_based: Bands = field(
        default_factory=lambda: Bands(Decimal("0.95"), Decimal("0.80"), Decimal("0.50"))
    )
    quarters: int = 4
    basis: Basis = Basis.TARGET

    def window(self, contract: ContractFacts, as_of: date) -> list[Quarter]:
        """The quarters assessed: the last ``quarters`` whose returns were due before ``as_of``."""
        first = Quarter.containing(contract.starts_on)
        last_day = max(contract.ended_on or contract.ends_on, contract.starts_on)
        quarter = min(
            Quarter.containing(last_day),
            Quarter.last_due_before(as_of, contract.return_due_days),
        )
        found: list[Quarter] = []
        while quarter >= first and len(found) < self.quarters:
            found.append(quarter)
            quarter = quarter.previous()
        return found[::-1]


@dataclass(frozen=True, slots=True)
class KpiResult:
    """One KPI over the period assessed."""

    obligation: ObligationFacts
    target: Decimal
    delivered: Decimal
    exact: Fraction | None  # delivered over target; None without a target in the period
    rating: Rating
    gbp_per_unit: Decimal | None

    @property
    def ratio(self) -> Decimal | None:
        """The delivery ratio to four places."""
        return rounded(self.exact)


@dataclass(frozen=True, slots=True)
class Verdict:
    """One variant of the contract's rating: its score, its rating, and how it was reached."""

    basis: Basis
    score: Decimal | None
    rating: Rating
    measured_in: str  # "share of KPIs", "GBP" or "units"
    explanation: str


@dataclass(frozen=True, slots=True)
class ContractRating:
    """A contract's KPIs rated over the period assessed, in both variants."""

    contract: ContractFacts
    assessed_on: date
    period_start: date | None
    period_end: date | None
    periods: tuple[str, ...]
    kpis: tuple[KpiResult, ...]
    target_based: Verdict
    value_based: Verdict
    basis: Basis

    @property
    def rating(self) -> Rating:
        """The rating a performance notice carries (the rule's chosen variant)."""
        chosen = self.target_based if self.basis is Basis.TARGET else self.value_based
        return chosen.rating

    @property
    def notice_required(self) -> bool:
        """Contracts over GBP 5m must publish a performance notice."""
        value = self.contract.value_gbp
        return value is not None and value > NOTICE_THRESHOLD_GBP

    @property
    def warnings(self) -> list[str]:
        """What the Act expects that this contract lacks."""
        found = []
        if self.notice_required and len(self.kpis) < MINIMUM_KPIS:
            found.append(
                f"a contract over GBP 5m needs at least {MINIMUM_KPIS} KPIs; "
                f"this one has {len(self.kpis)}"
            )
        if not self.periods:
            found.append("no quarter's return has been due yet: nothing to assess")
        return found


def rate_contract(portfolio: Portfolio, contract: ContractFacts, rule: KpiRule) -> ContractRating:
    """Rate ``contract``'s KPIs and the contract itself, as of the portfolio's day."""
    window = rule.window(contract, portfolio.as_of)
    periods = tuple(q.label for q in window)
    kpis = tuple(
        _rate_kpi(portfolio, ob, periods, rule)
        for ob in sorted(portfolio.obligations_of(contract.contract_id), key=lambda o: o.sequence)
        if ob.is_kpi
    )
    rated = [k for k in kpis if k.rating is not Rating.OTHER]
    return ContractRating(
        contract=contract,
        assessed_on=portfolio.as_of,
        period_start=max(window[0].starts, contract.starts_on) if window else None,
        period_end=min(window[-1].ends, contract.ended_on or contract.ends_on) if window else None,
        periods=periods,
        kpis=kpis,
        target_based=_target_based(kpis, rated, periods, rule),
        value_based=_value_based(kpis, rated, periods, rule),
        basis=rule.basis,
    )


def _rate_kpi(
    portfolio: Portfolio, ob: ObligationFacts, periods: Sequence[str], rule: KpiRule
) -> KpiResult:
    target = sum((ob.targets.get(p, ZERO) for p in periods), ZERO)
    delivered = sum((portfolio.delivered(ob).get(p, ZERO) for p in periods), ZERO)
    found = exact_ratio(delivered, target)
    return KpiResult(ob, target, delivered, found, rule.kpi.rate(found), portfolio.rate(ob))


def _other(basis: Basis, kpis: Sequence[KpiResult], periods: Sequence[str]) -> Verdict | None:
    if not kpis:
        return Verdict(basis, None, Rating.OTHER, "", "the contract has no KPIs")
    if not periods:
        return Verdict(basis, None, Rating.OTHER, "", "no quarter's return has been due yet")
    return None


def _target_based(
    kpis: Sequence[KpiResult], rated: Sequence[KpiResult], periods: Sequence[str], rule: KpiRule
) -> Verdict:
    other = _other(Basis.TARGET, kpis, periods)
    if other is not None:
        return other
    if not rated:
        return Verdict(
            Basis.TARGET, None, Rating.OTHER, "", "no KPI has a target in the period assessed"
        )
    good = sum(1 for k in rated if k.rating is Rating.GOOD)
    score = Fraction(good, len(rated))
    return Verdict(
        Basis.TARGET,
        rounded(score),
        rule.target_based.rate(score),
        "share of KPIs",
        f"{good} of {len(rated)} KPIs on track",
    )


def _value_based(
    kpis: Sequence[KpiResult], rated: Sequence[KpiResult], periods: Sequence[str], rule: KpiRule
) -> Verdict:
    other = _other(Basis.VALUE, kpis, periods)
    if other is not None:
        return other
    if not rated:
        return Verdict(
            Basis.VALUE, None, Rating.OTHER, "", "no KPI has a target in the period assessed"
        )
    if all(k.gbp_per_unit is not None for k in rated):
        delivered = sum((k.delivered * (k.gbp_per_unit or ZERO) for k in rated), ZERO)
        committed = sum((k.target * (k.gbp_per_unit or ZERO) for k in rated), ZERO)
        score = exact_ratio(delivered, committed)
        return Verdict(
            Basis.VALUE,
            rounded(score),
            rule.value_based.rate(score),
            "GBP",
            f"GBP {_plain(delivered)} delivered of GBP {_plain(committed)} committed",
        )
    capped = [min(k.exact, ONE) for k in rated if k.exact is not None]
    mean = sum(capped, Fraction(0)) / len(capped)
    return Verdict(
        Basis.VALUE,
        rounded(mean),
        rule.value_based.rate(mean),
        "units",
        f"mean delivery ratio of {len(capped)} KPIs, each capped at 1 (not every KPI has a "
        "proxy value)",
    )


def _plain(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01"), ROUND_HALF_UP), "f")
