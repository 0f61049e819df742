"""Measurement frameworks: themes, outcomes and the TOM measures a commitment is counted in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from svledger.errors import ValidationFailed


@dataclass(frozen=True, slots=True)
class Measure:
    """One TOM measure: what is counted and in which unit."""

    code: str
    theme: str
    outcome: str
    wording: str
    unit: str
    partner_vcfse_key: bool


class Framework:
    """A version of a measurement framework (the Cheshire and Merseyside TOMs by default)."""

    def __init__(self, version: str, measures: Iterable[Measure]) -> None:
        self.version = version
        self.measures = {m.code: m for m in measures}

    def measure(self, code: str, field: str = "measure") -> Measure:
        """The measure with ``code``; a validation error naming ``field`` when unknown."""
        found = self.measures.get(code)
        if found is None:
            raise ValidationFailed(
                f"'{code}' is not a measure of framework {self.version}; "
                "see GET /frameworks/{version}/measures",
                field=field,
            )
        return found
