"""The Partner VCFSE pledge (roadmap section 8.1): an organisation's baseline and targets.

An organisation baselines its VCFSE spend and support on the key measures (NT14 to NT17 in
the Cheshire and Merseyside TOMs) for a base year, and sets targets for the following years.
Targets should rise year on year from the baseline; one that does not is recorded with a
warning rather than refused, since a pledge is the organisation's own. Revisions keep history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from svledger.aggregate import Aggregate
from svledger.envelope import NewEvent
from svledger.errors import FieldProblem, ValidationFailed
from svledger.quantities import figure

from commitments.domain.framework import Framework
from commitments.domain.rules import RuleWarning, financial_year, refuse, warnings_json

PLEDGE_RECORDED = "PledgeRecorded"
PLEDGE_REVISED = "PledgeRevised"


@dataclass(frozen=True, slots=True)
class PledgeTerms:
    """A baseline per key measure for the base year, and targets per later year."""

    base_year: str
    baseline: dict[str, Decimal]
    targets: dict[str, dict[str, Decimal]]


class Pledge(Aggregate):
    """One organisation's Partner VCFSE pledge (stream ``pledge-<organisation>``)."""

    stream_prefix = "pledge"

    def __init__(self) -> None:
        super().__init__()
        self.organisation = ""
        self.current: dict[str, Any] = {}
        self.revisions: list[dict[str, Any]] = []

    @classmethod
    def record_new(
        cls, organisation: str, terms: PledgeTerms, framework: Framework, today: date
    ) -> NewEvent:
        """Decide ``PledgeRecorded``: the organisation's first pledge."""
        return NewEvent(PLEDGE_RECORDED, _data(organisation, terms, framework, today))

    def revise(
        self, terms: PledgeTerms, reason: str, framework: Framework, today: date
    ) -> NewEvent:
        """Decide ``PledgeRevised``: new figures, the old ones kept in the history."""
        data = _data(self.organisation, terms, framework, today)
        if not reason.strip():
            raise ValidationFailed("say why the pledge is revised", field="reason")
        return self.record(
            NewEvent(
                PLEDGE_REVISED,
                {**data, "reason": reason.strip(), "revision": len(self.revisions)},
            )
        )

    def when(self, event_type: str, data: dict[str, Any]) -> None:
        """Fold one event into the pledge."""
        if event_type in (PLEDGE_RECORDED, PLEDGE_REVISED):
            self.organisation = data["organisation"]
            self.current = dict(data)
            self.revisions.append(dict(data))

    def view(self) -> dict[str, Any]:
        """The pledge as it stands."""
        return {
            **self.current,
            "revision": len(self.revisions) - 1,
            "version": self.version,
            "reason": self.current.get("reason"),
        }


def _data(
    organisation: str, terms: PledgeTerms, framework: Framework, today: date
) -> dict[str, Any]:
    problems: list[FieldProblem] = []
    key = framework.partner_vcfse_measures
    try:
        base = financial_year(terms.base_year, "base_year")
    except ValidationFailed as exc:
        problems.extend(exc.errors)
        base = None
    for code in terms.baseline:
        if code not in key:
            problems.append(
                FieldProblem(
                    f"baseline.{code}",
                    f"'{code}' is not a Partner VCFSE key measure ({', '.join(key)})",
                )
            )
    if not terms.baseline:
        problems.append(
            FieldProblem("baseline", f"baseline at least one key measure ({', '.join(key)})")
        )
    if not terms.targets:
        problems.append(FieldProblem("targets", "set targets for at least one following year"))
    years: dict[str, int] = {}
    for label, targets in terms.targets.items():
        try:
            year = financial_year(label, f"targets.{label}")
        except ValidationFailed as exc:
            problems.extend(exc.errors)
            continue
        years[label] = year
        if base is not None and year <= base:
            problems.append(
                FieldProblem(
                    f"targets.{label}",
                    f"targets are for years after the base year {terms.base_year}",
                )
            )
        for code in targets:
            if code not in terms.baseline:
                problems.append(
                    FieldProblem(
                        f"targets.{label}.{code}",
                        f"{code} has no baseline to measure progress from; baseline it first",
                    )
                )
    refuse(problems, "pledge")
    ordered = sorted(terms.targets, key=years.__getitem__)
    return {
        "organisation": organisation,
        "base_year": terms.base_year,
        "baseline": {c: figure(v) for c, v in terms.baseline.items()},
        "targets": {y: {c: figure(v) for c, v in terms.targets[y].items()} for y in ordered},
        "framework_version": framework.version,
        "recorded_on": today.isoformat(),
        "warnings": warnings_json(_falling_targets(terms, ordered)),
    }


def _falling_targets(terms: PledgeTerms, ordered: list[str]) -> list[RuleWarning]:
    warnings = []
    previous = dict(terms.baseline)
    before = dict.fromkeys(previous, terms.base_year)
    for year in ordered:
        for code, target in terms.targets[year].items():
            if code in previous and target < previous[code]:
                warnings.append(
                    RuleWarning(
                        "target-below-previous-year",
                        f"targets.{year}.{code}",
                        f"{code} falls from {figure(previous[code])} in {before[code]} to "
                        f"{figure(target)}; Partner VCFSE targets rise year on year",
                    )
                )
            previous[code], before[code] = target, year
    return warnings
