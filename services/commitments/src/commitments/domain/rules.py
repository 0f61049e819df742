"""The roadmap's rules of thumb, and the warnings recorded when an input bends one of them.

A warning is part of an aggregate's state (it travels in the event that decided it), so a
contract manager sees it in the API and an auditor finds it in the log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from svledger.errors import FieldProblem, ValidationFailed

# PPN 002 (2025): social value is at least 10% of the total award score.
MIN_SOCIAL_VALUE_WEIGHTING = Decimal(10)
# Roadmap 7.4 and 8.2: at least 60:40 qualitative to quantitative evaluation.
MIN_QUALITATIVE_WEIGHT = Decimal(60)
# Roadmap 8.2: a tender relevant to VCFSE organisations is open at least six weeks.
VCFSE_MIN_OPEN_DAYS = 42
# Procurement Act 2023: contracts over GBP 5m need at least three KPIs.
KPI_CONTRACT_VALUE_GBP = Decimal(5_000_000)
MIN_KPIS = 3

_YEAR = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, slots=True)
class RuleWarning:
    """A rule of good practice that an input bends without breaking: recorded, not refused."""

    code: str
    field: str
    message: str

    def as_json(self) -> dict[str, str]:
        """The form events and responses carry."""
        return {"code": self.code, "field": self.field, "message": self.message}


def warnings_json(warnings: list[RuleWarning]) -> list[dict[str, str]]:
    """Serialise warnings for event data."""
    return [w.as_json() for w in warnings]


def financial_year(label: str, field: str) -> int:
    """The start year of a financial year written ``2025-26``; a validation error otherwise."""
    match = _YEAR.match(label)
    if not match or int(match.group(2)) != (int(match.group(1)) + 1) % 100:
        raise ValidationFailed(f"'{label}' is not a financial year like 2025-26", field=field)
    return int(match.group(1))


def year_label(year: int) -> str:
    """``2025`` as ``2025-26``."""
    return f"{year}-{(year + 1) % 100:02d}"


def refuse(problems: list[FieldProblem], what: str) -> None:
    """Raise one :class:`ValidationFailed` naming every problem, if there are any."""
    if problems:
        raise ValidationFailed(f"the {what} has invalid fields", errors=problems)
