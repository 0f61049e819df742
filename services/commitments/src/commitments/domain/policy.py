"""An organisation's social value policy (roadmap 8.2, "purpose-driven approach").

The policy names the outcomes and measures the organisation puts first. A buyer's new tender
starts from its priority measures, and reporting compares delivery against them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from svledger.aggregate import Aggregate
from svledger.envelope import NewEvent
from svledger.errors import FieldProblem

from commitments.domain.framework import Framework
from commitments.domain.rules import refuse

POLICY_RECORDED = "SocialValuePolicyRecorded"
POLICY_REVISED = "SocialValuePolicyRevised"


@dataclass(frozen=True, slots=True)
class PolicyTerms:
    """Why social value matters to the organisation, and what it puts first."""

    statement: str
    priority_outcomes: list[str]
    priority_measures: list[str]


class Policy(Aggregate):
    """One organisation's social value policy (stream ``policy-<organisation>``)."""

    stream_prefix = "policy"

    def __init__(self) -> None:
        super().__init__()
        self.organisation = ""
        self.current: dict[str, Any] = {}

    @classmethod
    def decide(
        cls,
        current: Policy | None,
        organisation: str,
        terms: PolicyTerms,
        framework: Framework,
        today: date,
    ) -> NewEvent:
        """Decide ``SocialValuePolicyRecorded`` for a first policy, else ``...Revised``."""
        problems: list[FieldProblem] = []
        if not terms.statement.strip():
            problems.append(
                FieldProblem("statement", "say why social value matters to the organisation")
            )
        outcomes = framework.outcomes
        for i, outcome in enumerate(terms.priority_outcomes):
            if outcome not in outcomes:
                problems.append(
                    FieldProblem(
                        f"priority_outcomes.{i}",
                        f"'{outcome}' is not an outcome of framework {framework.version}",
                    )
                )
        for i, code in enumerate(terms.priority_measures):
            if code not in framework.measures:
                problems.append(
                    FieldProblem(
                        f"priority_measures.{i}",
                        f"'{code}' is not a measure of framework {framework.version}",
                    )
                )
        if not terms.priority_outcomes and not terms.priority_measures:
            problems.append(
                FieldProblem("priority_measures", "name at least one priority outcome or measure")
            )
        refuse(problems, "policy")
        data = {
            "organisation": organisation,
            "statement": terms.statement.strip(),
            "priority_outcomes": list(dict.fromkeys(terms.priority_outcomes)),
            "priority_measures": list(dict.fromkeys(terms.priority_measures)),
            "framework_version": framework.version,
            "recorded_on": today.isoformat(),
        }
        if current is None:
            return NewEvent(POLICY_RECORDED, data)
        return current.record(NewEvent(POLICY_REVISED, data))

    def when(self, event_type: str, data: dict[str, Any]) -> None:
        """Fold one event into the policy."""
        if event_type in (POLICY_RECORDED, POLICY_REVISED):
            self.organisation = data["organisation"]
            self.current = dict(data)

    def view(self) -> dict[str, Any]:
        """The policy as it stands."""
        return {**self.current, "version": self.version}
