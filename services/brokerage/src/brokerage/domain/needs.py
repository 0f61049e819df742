"""Local needs analyses: where need is greatest, by place and outcome, as data.

A buyer or a CVS publishes its analysis (roadmap section 8.2: "publish up-to-date Local Needs
Analysis to direct activity towards areas of greatest need"). Each publication replaces the
publisher's previous one; matching weighs asks in the places and outcomes of higher need,
taking the highest priority any publisher gives.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from typing import Any

from svledger.aggregate import Aggregate
from svledger.envelope import NewEvent
from svledger.errors import FieldProblem

from brokerage.domain.rules import place_problem, refuse

LOCAL_NEEDS_PUBLISHED = "LocalNeedsPublished"


class Priority(enum.StrEnum):
    """How pressing a need is."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """3 for high, 2 for medium, 1 for low."""
        return {"high": 3, "medium": 2, "low": 1}[self.value]


@dataclass(frozen=True, slots=True)
class Need:
    """One place and outcome, and how pressing the need there is."""

    place: str
    outcome: str
    priority: Priority
    note: str = ""
    publisher: str = ""

    def as_json(self) -> dict[str, Any]:
        """As event data (the publisher is the stream's)."""
        return {
            "place": self.place,
            "outcome": self.outcome,
            "priority": self.priority.value,
            "note": self.note,
        }


class LocalNeeds(Aggregate):
    """One publisher's local needs analysis; each publication replaces the last."""

    stream_prefix = "needs"

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, Any] = {}

    @staticmethod
    def publish(
        publisher: str,
        title: str,
        needs: list[Need],
        *,
        today: date,
        known_places: tuple[str, ...],
    ) -> NewEvent:
        """Decide ``LocalNeedsPublished``."""
        problems: list[FieldProblem] = []
        if not title.strip():
            problems.append(FieldProblem("title", "give the analysis a title"))
        if not needs:
            problems.append(FieldProblem("needs", "an analysis names at least one need"))
        seen: set[tuple[str, str]] = set()
        for i, need in enumerate(needs):
            problems += place_problem(need.place, known_places, f"needs.{i}.place")
            outcome = need.outcome.strip().lower()
            if not outcome:
                problems.append(FieldProblem(f"needs.{i}.outcome", "name the outcome needed"))
            if (need.place, outcome) in seen:
                problems.append(
                    FieldProblem(f"needs.{i}", f"{need.place} and '{need.outcome}' appear twice")
                )
            seen.add((need.place, outcome))
        refuse(problems, "local needs analysis")
        return NewEvent(
            LOCAL_NEEDS_PUBLISHED,
            {
                "publisher": publisher,
                "title": title.strip(),
                "published_on": today.isoformat(),
                "needs": [
                    Need(n.place, n.outcome.strip(), n.priority, n.note.strip()).as_json()
                    for n in needs
                ],
            },
        )

    def when(self, event_type: str, data: dict[str, Any]) -> None:
        """Fold one event into the analysis."""
        if event_type == LOCAL_NEEDS_PUBLISHED:
            self.data = dict(data)

    def view(self) -> dict[str, Any]:
        """The analysis as it stands."""
        return {**self.data, "version": self.version}
