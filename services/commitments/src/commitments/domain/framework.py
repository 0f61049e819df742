"""Measurement frameworks: themes, outcomes and the TOM measures a commitment is counted in.

A framework version is an aggregate (stream ``framework-<version>``). The Cheshire and
Merseyside TOMs ship with the service and are the starting state of their stream; versions an
administrator publishes start with ``FrameworkPublished``. Either kind can then have a measure's
unit corrected and a proxy-value table loaded (each load replaces the previous table; the log
keeps them all). Proxy values are optional: without them everything reports in units.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any, Self

from svledger.aggregate import Aggregate
from svledger.envelope import EventEnvelope, NewEvent
from svledger.errors import Conflict, FieldProblem, ValidationFailed
from svledger.quantities import figure

from commitments.domain.rules import refuse

FRAMEWORK_PUBLISHED = "FrameworkPublished"
MEASURE_UNIT_CORRECTED = "MeasureUnitCorrected"
PROXY_VALUES_LOADED = "ProxyValuesLoaded"

VERSION_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.-]{1,59}$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,19}$")
_PROXY_YEAR = re.compile(r"^\d{4}(-\d{2})?$")

Locate = Callable[[int, str], str]


@dataclass(frozen=True, slots=True)
class Measure:
    """One TOM measure: what is counted and in which unit."""

    code: str
    theme: str
    outcome: str
    wording: str
    unit: str
    partner_vcfse_key: bool = False

    def as_json(self) -> dict[str, Any]:
        """The form events carry."""
        return {
            "code": self.code,
            "theme": self.theme,
            "outcome": self.outcome,
            "wording": self.wording,
            "unit": self.unit,
            "partner_vcfse_key": self.partner_vcfse_key,
        }

    @classmethod
    def of(cls, data: dict[str, Any]) -> Measure:
        """Read back :meth:`as_json`."""
        return cls(
            code=data["code"],
            theme=data["theme"],
            outcome=data["outcome"],
            wording=data["wording"],
            unit=data["unit"],
            partner_vcfse_key=bool(data.get("partner_vcfse_key", False)),
        )


@dataclass(frozen=True, slots=True)
class ProxyValue:
    """GBP of social value per unit of a measure, with where the figure comes from."""

    code: str
    unit: str
    gbp_per_unit: Decimal
    source: str
    year: str

    def as_json(self) -> dict[str, str]:
        """The form events carry."""
        return {
            "code": self.code,
            "unit": self.unit,
            "gbp_per_unit": figure(self.gbp_per_unit),
            "source": self.source,
            "year": self.year,
        }

    @classmethod
    def of(cls, data: dict[str, Any]) -> ProxyValue:
        """Read back :meth:`as_json`."""
        return cls(
            code=data["code"],
            unit=data["unit"],
            gbp_per_unit=Decimal(data["gbp_per_unit"]),
            source=data["source"],
            year=data["year"],
        )


class Framework:
    """A version of a measurement framework as it stands: measures and any proxy values."""

    def __init__(
        self,
        version: str,
        measures: Iterable[Measure],
        *,
        title: str = "",
        proxy_values: Iterable[ProxyValue] = (),
    ) -> None:
        self.version = version
        self.title = title or version
        self.measures = {m.code: m for m in measures}
        self.proxy_values = {p.code: p for p in proxy_values}

    def measure(self, code: str, field: str = "measure") -> Measure:
        """The measure with ``code``; a validation error naming ``field`` when unknown."""
        found = self.measures.get(code)
        if found is None:
            raise ValidationFailed(
                f"'{code}' is not a measure of framework {self.version}; "
                f"see GET /frameworks/{self.version}/measures",
                field=field,
            )
        return found

    def proxy_value(self, code: str) -> Decimal | None:
        """GBP per unit of ``code``, or None where no proxy value is loaded."""
        found = self.proxy_values.get(code)
        return None if found is None else found.gbp_per_unit

    @property
    def outcomes(self) -> set[str]:
        """Every outcome the framework's measures serve."""
        return {m.outcome for m in self.measures.values()}

    @property
    def partner_vcfse_measures(self) -> list[str]:
        """The key measures of the Partner VCFSE commitment (NT14 to NT17 in the C&M TOMs)."""
        return [m.code for m in self.measures.values() if m.partner_vcfse_key]


class FrameworkVersion(Aggregate):
    """One framework version's history: published (or built in), units corrected, proxies."""

    stream_prefix = "framework"

    def __init__(self) -> None:
        super().__init__()
        self.framework = Framework("", ())
        self.built_in = False
        self.published_on: str | None = None

    @classmethod
    def load(cls, events: Sequence[EventEnvelope], built_in: Framework | None) -> Self | None:
        """Rebuild from the stream, starting from ``built_in`` for a version that ships."""
        if built_in is None:
            return cls.rehydrate(events)
        version = cls()
        version.framework = built_in
        version.built_in = True
        for event in events:
            version.when(event.type, event.data)
            version.version = event.stream_version
        return version

    @staticmethod
    def publish(
        version: str, title: str, measures: Sequence[Measure], today: date, locate: Locate
    ) -> NewEvent:
        """Decide ``FrameworkPublished`` after checking every measure."""
        problems: list[FieldProblem] = []
        if not VERSION_PATTERN.match(version):
            problems.append(
                FieldProblem(
                    "version",
                    "a version is 2 to 60 lower-case letters, digits, dots and hyphens, "
                    "like national-toms-2026",
                )
            )
        if not title.strip():
            problems.append(FieldProblem("title", "give the framework a title"))
        problems.extend(_measure_problems(measures, locate))
        if not measures:
            problems.append(FieldProblem("measures", "a framework needs at least one measure"))
        refuse(problems, "framework")
        return NewEvent(
            FRAMEWORK_PUBLISHED,
            {
                "version": version,
                "title": title.strip(),
                "published_on": today.isoformat(),
                "measures": [m.as_json() for m in measures],
            },
        )

    def correct_unit(self, code: str, unit: str, reason: str) -> NewEvent:
        """Decide ``MeasureUnitCorrected``: an administrator fixes the unit a measure counts in."""
        measure = self.framework.measure(code, field="code")
        problems = []
        if not unit.strip():
            problems.append(FieldProblem("unit", "give the unit the measure is counted in"))
        elif unit.strip() == measure.unit:
            problems.append(FieldProblem("unit", f"{code} is already counted in {measure.unit}"))
        if not reason.strip():
            problems.append(FieldProblem("reason", "say why the unit is corrected"))
        refuse(problems, "correction")
        return self.record(
            NewEvent(
                MEASURE_UNIT_CORRECTED,
                {
                    "version": self.framework.version,
                    "code": code,
                    "unit": unit.strip(),
                    "previous_unit": measure.unit,
                    "reason": reason.strip(),
                },
            )
        )

    def load_proxy_values(
        self, values: Sequence[ProxyValue], locate: Locate, loaded_on: date
    ) -> NewEvent:
        """Decide ``ProxyValuesLoaded``: the table replaces any loaded before."""
        problems: list[FieldProblem] = []
        seen: dict[str, int] = {}
        for i, value in enumerate(values):
            measure = self.framework.measures.get(value.code)
            if measure is None:
                problems.append(
                    FieldProblem(
                        locate(i, "code"),
                        f"'{value.code}' is not a measure of framework {self.framework.version}",
                    )
                )
            elif value.unit != measure.unit:
                problems.append(
                    FieldProblem(
                        locate(i, "unit"),
                        f"{value.code} is counted in {measure.unit}, not {value.unit}",
                    )
                )
            if value.code in seen:
                problems.append(
                    FieldProblem(
                        locate(i, "code"),
                        f"{value.code} already has a proxy value at "
                        f"{locate(seen[value.code], 'code')}",
                    )
                )
            seen.setdefault(value.code, i)
            if value.gbp_per_unit < 0:
                problems.append(
                    FieldProblem(locate(i, "gbp_per_unit"), "a proxy value cannot be negative")
                )
            if not value.source.strip():
                problems.append(
                    FieldProblem(locate(i, "source"), "say where the proxy value comes from")
                )
            if not _PROXY_YEAR.match(value.year):
                problems.append(
                    FieldProblem(
                        locate(i, "year"), f"'{value.year}' is not a year like 2025 or 2025-26"
                    )
                )
        if not values:
            problems.append(FieldProblem("file", "the table has no proxy values"))
        refuse(problems, "proxy-value table")
        return self.record(
            NewEvent(
                PROXY_VALUES_LOADED,
                {
                    "version": self.framework.version,
                    "loaded_on": loaded_on.isoformat(),
                    "proxy_values": [v.as_json() for v in values],
                },
            )
        )

    def refuse_republishing(self) -> None:
        """A version is published once; its measures then only change by correction."""
        raise Conflict(
            f"framework {self.framework.version} already exists; publish a new version",
            field="version",
        )

    def when(self, event_type: str, data: dict[str, Any]) -> None:
        """Fold one event into the version."""
        current = self.framework
        if event_type == FRAMEWORK_PUBLISHED:
            self.framework = Framework(
                data["version"],
                (Measure.of(m) for m in data["measures"]),
                title=data["title"],
            )
            self.published_on = data["published_on"]
        elif event_type == MEASURE_UNIT_CORRECTED:
            measures = dict(current.measures)
            measures[data["code"]] = replace(measures[data["code"]], unit=data["unit"])
            self.framework = Framework(
                current.version,
                measures.values(),
                title=current.title,
                proxy_values=current.proxy_values.values(),
            )
        elif event_type == PROXY_VALUES_LOADED:
            self.framework = Framework(
                current.version,
                current.measures.values(),
                title=current.title,
                proxy_values=(ProxyValue.of(p) for p in data["proxy_values"]),
            )


def _measure_problems(measures: Sequence[Measure], locate: Locate) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    seen: dict[str, int] = {}
    for i, m in enumerate(measures):
        if not _CODE.match(m.code):
            problems.append(
                FieldProblem(
                    locate(i, "code"), f"'{m.code}' is not a measure code like NT1 or C19-18"
                )
            )
        elif m.code in seen:
            problems.append(
                FieldProblem(
                    locate(i, "code"), f"{m.code} also appears at {locate(seen[m.code], 'code')}"
                )
            )
        seen.setdefault(m.code, i)
        for column, value in (
            ("theme", m.theme),
            ("outcome", m.outcome),
            ("measure", m.wording),
            ("unit", m.unit),
        ):
            if not value.strip():
                problems.append(FieldProblem(locate(i, column), f"give the measure's {column}"))
    return problems
