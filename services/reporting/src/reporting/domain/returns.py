"""Returns as reporting shows them: late and overdue ones, and the stories they tell. Pure.

- **Late**: a return that came in after its due date (measurement marks it so); its days late
  are from the due date to the day it was submitted.
- **Overdue**: a quarter whose due date has passed, as of the report's day, with no return,
  and not cancelled by the contract ending; its days overdue run to the report's day.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from reporting.domain.portfolio import ContractFacts


class Lateness(enum.StrEnum):
    """Why a return is on the late-and-overdue report."""

    LATE = "late"
    OVERDUE = "overdue"


@dataclass(frozen=True, slots=True)
class SchedulePeriod:
    """One reporting period of a contract, as measurement scheduled it."""

    contract_id: str
    period: str
    due_on: date
    cancelled: bool


@dataclass(frozen=True, slots=True)
class ReturnIn:
    """A return that came in for a period."""

    contract_id: str
    period: str
    late: bool
    submitted_on: date
    review: str


@dataclass(frozen=True, slots=True)
class LateReturn:
    """A late or overdue return."""

    contract: ContractFacts
    period: str
    due_on: date
    state: Lateness
    submitted_on: date | None
    days: int  # late by, or overdue by


def late_and_overdue(
    contracts: Mapping[str, ContractFacts],
    periods: Sequence[SchedulePeriod],
    returns: Mapping[tuple[str, str], ReturnIn],
    as_of: date,
) -> list[LateReturn]:
    """Every late and every overdue return, most overdue first."""
    found = []
    for p in periods:
        contract = contracts.get(p.contract_id)
        if contract is None:
            continue
        came_in = returns.get((p.contract_id, p.period))
        if came_in is not None:
            if came_in.late:
                days = max((came_in.submitted_on - p.due_on).days, 0)
                found.append(
                    LateReturn(
                        contract, p.period, p.due_on, Lateness.LATE, came_in.submitted_on, days
                    )
                )
        elif not p.cancelled and as_of > p.due_on:
            found.append(
                LateReturn(
                    contract, p.period, p.due_on, Lateness.OVERDUE, None, (as_of - p.due_on).days
                )
            )
    found.sort(key=lambda r: (r.state is not Lateness.OVERDUE, -r.days, r.contract.reference))
    return found


@dataclass(frozen=True, slots=True)
class Story:
    """A return's narrative, or one line's story: what the figures meant for people."""

    contract: ContractFacts
    period: str
    obligation_id: str | None  # None for the narrative of the whole return
    measure: str | None
    narrative: str
    case_study: str
    beneficiaries: int | None
    places: tuple[str, ...]
    evidence: tuple[str, ...]
    review: str
    submitted_on: date | None

    @property
    def accepted(self) -> bool:
        """The buyer accepted the return the story came with."""
        return self.review == "accepted"


@dataclass(frozen=True, slots=True)
class StoryList:
    """Stories, newest quarter first (a page of them, or all), and how many there are in all."""

    stories: list[Story]
    total: int
