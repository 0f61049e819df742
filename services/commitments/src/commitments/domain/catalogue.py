"""The catalogue of every event the commitments service records: version, fields, meaning.

Other services build on these shapes, so the tests check every event the service emits
against this catalogue (:func:`problems_with`). Quantities and money are exact decimal strings,
never floats; dates are ISO 8601; periods are financial-year quarters like ``2026-27-Q1``.
Subjects are ``svl.commitments.<aggregate>.<EventType>``, the aggregate being the stream
prefix named here. ``CONSUMED`` lists the other services' events commitments reads (for
suppliers' track records) and the fields it relies on.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from svledger.catalogue import ConsumedSpec, consumed
from svledger.errors import ValidationFailed
from svledger.periods import Quarter

from commitments.domain.rules import financial_year


class Kind(enum.Enum):
    """What a field holds."""

    TEXT = "text"
    UUID = "uuid"
    DATE = "date (ISO 8601)"
    DECIMAL = "exact decimal string"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    PERIOD_MAP = "object: financial-year quarter (2026-27-Q1) to decimal string"
    MEASURE_MAP = "object: measure code to decimal string"
    YEAR_TARGETS = "object: financial year (2026-27) to {measure code: decimal string}"
    TEXT_LIST = "list of text"
    OBJECT = "object"
    OBJECT_LIST = "list of objects"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of an event: its kind, whether it may be null, and what it means."""

    kind: Kind
    meaning: str
    nullable: bool = False
    members: Mapping[str, FieldSpec] | None = None  # for OBJECT and OBJECT_LIST
    optional: bool = False  # added later: absent from events recorded before


@dataclass(frozen=True, slots=True)
class EventSpec:
    """One event type."""

    type: str
    version: int
    aggregate: str
    meaning: str
    fields: Mapping[str, FieldSpec] = field(default_factory=dict)


def _f(
    kind: Kind,
    meaning: str,
    *,
    nullable: bool = False,
    optional: bool = False,
    **members: FieldSpec,
) -> FieldSpec:
    return FieldSpec(kind, meaning, nullable, members or None, optional)


WARNINGS = _f(
    Kind.OBJECT_LIST,
    "rules of good practice the input bends: recorded, not refused",
    code=_f(Kind.TEXT, "machine-readable rule, e.g. short-vcfse-tender"),
    field=_f(Kind.TEXT, "the field concerned"),
    message=_f(Kind.TEXT, "the explanation shown to people"),
)
MEASURE = _f(
    Kind.OBJECT_LIST,
    "the version's measures",
    code=_f(Kind.TEXT, "TOM System reference, e.g. NT1"),
    theme=_f(Kind.TEXT, "Jobs, Growth, Social, Environment, ..."),
    outcome=_f(Kind.TEXT, "the outcome the measure serves"),
    wording=_f(Kind.TEXT, "the measure's wording"),
    unit=_f(Kind.TEXT, "the unit a return counts in"),
    partner_vcfse_key=_f(Kind.BOOLEAN, "a key measure of the Partner VCFSE commitment"),
)
PROFILE = FieldSpec(
    Kind.OBJECT,
    "delivery profile: even (by days), annual (weight per year) or quarterly (per quarter)",
    members={
        "kind": _f(Kind.TEXT, "even, annual or quarterly"),
        "weights": _f(Kind.OBJECT, "weight per financial year or quarter (empty for even)"),
    },
)
TENDER_TERMS: dict[str, FieldSpec] = {
    "title": _f(Kind.TEXT, "the tender's title"),
    "description": _f(Kind.TEXT, "what is being procured"),
    "estimated_value_gbp": _f(Kind.DECIMAL, "estimated contract value, GBP"),
    "contract_starts_on": _f(Kind.DATE, "planned contract start"),
    "contract_ends_on": _f(Kind.DATE, "planned contract end"),
    "social_value_weighting": _f(Kind.DECIMAL, "social value's share of the award score, %"),
    "qualitative_weight": _f(Kind.DECIMAL, "qualitative share of the social value score, %"),
    "quantitative_weight": _f(Kind.DECIMAL, "quantitative share of the social value score, %"),
    "relevant_measures": _f(Kind.TEXT_LIST, "measures bidders may commit to"),
    "places": _f(Kind.TEXT_LIST, "places the contract serves"),
    "vcfse_relevant": _f(Kind.BOOLEAN, "relevant to VCFSE bidders (six-week minimum applies)"),
    "closes_on": _f(Kind.DATE, "last day bids are accepted"),
}
BID_SUMMARY: dict[str, FieldSpec] = {
    "bid_id": _f(Kind.UUID, "the bid"),
    "supplier": _f(Kind.TEXT, "the bidding organisation"),
    "revision": _f(Kind.INTEGER, "the bid's revision, 1 for the first offer"),
    "total_proxy_value_gbp": _f(Kind.DECIMAL, "offer's proxy value, GBP", nullable=True),
    "fully_proxied": _f(Kind.BOOLEAN, "every commitment has a proxy value"),
    "quantities": _f(Kind.MEASURE_MAP, "units committed per measure"),
}
OFFER: dict[str, FieldSpec] = {
    "bid_id": _f(Kind.UUID, "the bid"),
    "tender_id": _f(Kind.UUID, "the tender bid on"),
    "supplier": _f(Kind.TEXT, "the bidding organisation"),
    "buyer": _f(Kind.TEXT, "the tendering organisation"),
    "revision": _f(Kind.INTEGER, "1 for the first offer, then 2, 3, ..."),
    "framework_version": _f(Kind.TEXT, "the framework the commitments are counted in"),
    "commitments": _f(
        Kind.OBJECT_LIST,
        "the social value commitments",
        commitment_id=_f(Kind.UUID, "the commitment (becomes an obligation at award)"),
        measure=_f(Kind.TEXT, "measure code"),
        theme=_f(Kind.TEXT, "the measure's theme"),
        outcome=_f(Kind.TEXT, "the measure's outcome"),
        unit=_f(Kind.TEXT, "the measure's unit"),
        quantity=_f(Kind.DECIMAL, "total committed over the contract"),
        profile=PROFILE,
        targets=_f(Kind.PERIOD_MAP, "quarterly targets the profile gives"),
        place=_f(Kind.TEXT, "where it will be delivered"),
        vcfse_partner=_f(Kind.TEXT, "VCFSE organisation delivering with", nullable=True),
        narrative=_f(Kind.TEXT, "how it will be delivered"),
        proxy_value_gbp_per_unit=_f(Kind.DECIMAL, "proxy value, GBP per unit", nullable=True),
        proxy_value_gbp=_f(Kind.DECIMAL, "quantity x proxy value, GBP", nullable=True),
    ),
    "method_statement": _f(Kind.TEXT, "the supplier's method statement"),
    "additionality_declared": _f(Kind.BOOLEAN, "commitments are additional to the core contract"),
    "total_proxy_value_gbp": _f(Kind.DECIMAL, "sum of proxy values, GBP", nullable=True),
    "fully_proxied": _f(Kind.BOOLEAN, "every commitment has a proxy value"),
    "proxy_value_share": _f(Kind.DECIMAL, "proxy value / contract value", nullable=True),
    "warnings": WARNINGS,
    "submitted_on": _f(Kind.DATE, "the day the offer (revision) was made"),
}
OBLIGATION = _f(
    Kind.OBJECT_LIST,
    "one obligation per commitment",
    obligation_id=_f(Kind.UUID, "the obligation"),
    measure=_f(Kind.TEXT, "measure code"),
    theme=_f(Kind.TEXT, "the measure's theme"),
    outcome=_f(Kind.TEXT, "the measure's outcome"),
    unit=_f(Kind.TEXT, "the unit returns count in"),
    description=_f(Kind.TEXT, "what is to be delivered"),
    is_kpi=_f(Kind.BOOLEAN, "a Procurement Act 2023 KPI"),
    targets=_f(Kind.PERIOD_MAP, "target per financial-year quarter"),
    total=_f(Kind.DECIMAL, "sum of the targets"),
    place=_f(Kind.TEXT, "where it is to be delivered", nullable=True, optional=True),
    vcfse_partner=_f(Kind.TEXT, "VCFSE organisation delivering with", nullable=True, optional=True),
    commitment_id=_f(Kind.UUID, "the bid commitment it came from", nullable=True, optional=True),
    proxy_value_gbp_per_unit=_f(
        Kind.DECIMAL, "proxy value, GBP per unit, as at award", nullable=True, optional=True
    ),
)
PLEDGE: dict[str, FieldSpec] = {
    "organisation": _f(Kind.TEXT, "the pledging organisation"),
    "base_year": _f(Kind.TEXT, "the baseline's financial year, e.g. 2025-26"),
    "baseline": _f(Kind.MEASURE_MAP, "baseline per key measure (NT14 to NT17)"),
    "targets": _f(Kind.YEAR_TARGETS, "targets per following financial year"),
    "framework_version": _f(Kind.TEXT, "the framework the measures belong to"),
    "recorded_on": _f(Kind.DATE, "the day it was recorded"),
    "warnings": WARNINGS,
}
POLICY: dict[str, FieldSpec] = {
    "organisation": _f(Kind.TEXT, "the organisation"),
    "statement": _f(Kind.TEXT, "why social value matters to it"),
    "priority_outcomes": _f(Kind.TEXT_LIST, "outcomes it puts first"),
    "priority_measures": _f(Kind.TEXT_LIST, "measures it puts first (new tenders start here)"),
    "framework_version": _f(Kind.TEXT, "the framework they belong to"),
    "recorded_on": _f(Kind.DATE, "the day it was recorded"),
}

_EVENTS = [
    EventSpec(
        "FrameworkPublished",
        1,
        "framework",
        "An administrator published a new framework version.",
        {
            "version": _f(Kind.TEXT, "the version id, e.g. national-toms-2026"),
            "title": _f(Kind.TEXT, "its title"),
            "published_on": _f(Kind.DATE, "the day it was published"),
            "measures": MEASURE,
        },
    ),
    EventSpec(
        "MeasureUnitCorrected",
        1,
        "framework",
        "An administrator corrected the unit a measure is counted in.",
        {
            "version": _f(Kind.TEXT, "the framework version"),
            "code": _f(Kind.TEXT, "the measure"),
            "unit": _f(Kind.TEXT, "the unit from now on"),
            "previous_unit": _f(Kind.TEXT, "the unit before"),
            "reason": _f(Kind.TEXT, "why"),
        },
    ),
    EventSpec(
        "ProxyValuesLoaded",
        1,
        "framework",
        "An administrator loaded a proxy-value table for a version; it replaces any before.",
        {
            "version": _f(Kind.TEXT, "the framework version"),
            "loaded_on": _f(Kind.DATE, "the day it was loaded"),
            "proxy_values": _f(
                Kind.OBJECT_LIST,
                "GBP of social value per unit, per measure",
                code=_f(Kind.TEXT, "the measure"),
                unit=_f(Kind.TEXT, "the measure's unit"),
                gbp_per_unit=_f(Kind.DECIMAL, "GBP per unit"),
                source=_f(Kind.TEXT, "where the figure comes from"),
                year=_f(Kind.TEXT, "the year it applies to"),
            ),
        },
    ),
    EventSpec(
        "SocialValuePolicyRecorded",
        1,
        "policy",
        "An organisation recorded its social value policy.",
        POLICY,
    ),
    EventSpec(
        "SocialValuePolicyRevised",
        1,
        "policy",
        "An organisation revised its social value policy (the whole policy as it now stands).",
        POLICY,
    ),
    EventSpec(
        "TenderDrafted",
        1,
        "tender",
        "A buyer drafted a tender (visible to the buyer only).",
        {
            "tender_id": _f(Kind.UUID, "the tender"),
            "buyer": _f(Kind.TEXT, "the buying organisation"),
            "framework_version": _f(Kind.TEXT, "the framework commitments are counted in"),
            **TENDER_TERMS,
            "warnings": WARNINGS,
        },
    ),
    EventSpec(
        "TenderRevised",
        1,
        "tender",
        "A buyer changed a draft tender's terms (all terms as they now stand).",
        {"tender_id": _f(Kind.UUID, "the tender"), **TENDER_TERMS, "warnings": WARNINGS},
    ),
    EventSpec(
        "TenderPublished",
        1,
        "tender",
        "A buyer published a tender: open to bids until its closing date.",
        {
            "tender_id": _f(Kind.UUID, "the tender"),
            "published_on": _f(Kind.DATE, "the day it opened"),
            "closes_on": _f(Kind.DATE, "last day bids are accepted"),
            "warnings": WARNINGS,
        },
    ),
    EventSpec(
        "BidReceived",
        1,
        "tender",
        "The tender received a bid or a bid's revision (sealed until closing).",
        {"tender_id": _f(Kind.UUID, "the tender"), **BID_SUMMARY},
    ),
    EventSpec(
        "BidWithdrawalReceived",
        1,
        "tender",
        "A bid on the tender was withdrawn before closing.",
        {"tender_id": _f(Kind.UUID, "the tender"), "bid_id": _f(Kind.UUID, "the bid")},
    ),
    EventSpec(
        "TenderClosed",
        1,
        "tender",
        "The tender closed; the bids are final and their quantitative scores are set.",
        {
            "tender_id": _f(Kind.UUID, "the tender"),
            "closed_on": _f(Kind.DATE, "the day it closed"),
            "bids": _f(Kind.TEXT_LIST, "the live bids"),
            "basis": _f(Kind.TEXT, "proxy_value or units: what the quantitative score compares"),
            "quantitative_scores": _f(Kind.OBJECT, "bid id to score (0 to 100)"),
        },
    ),
    EventSpec(
        "BidEvaluated",
        1,
        "tender",
        "The buyer scored a bid: qualitative score and the weighted social value result.",
        {
            "tender_id": _f(Kind.UUID, "the tender"),
            "bid_id": _f(Kind.UUID, "the bid"),
            "supplier": _f(Kind.TEXT, "the bidder"),
            "qualitative_score": _f(Kind.DECIMAL, "0 to 100, the evaluator's"),
            "rationale": _f(Kind.TEXT, "why"),
            "quantitative_score": _f(Kind.DECIMAL, "0 to 100, computed at closing"),
            "basis": _f(Kind.TEXT, "proxy_value or units"),
            "weighted_score": _f(Kind.DECIMAL, "social value score, 0 to 100"),
            "award_contribution": _f(Kind.DECIMAL, "points of the total award score"),
            "evaluator": _f(Kind.TEXT, "who scored it"),
            "evaluated_on": _f(Kind.DATE, "when"),
        },
    ),
    EventSpec(
        "TenderAwarded",
        1,
        "tender",
        "The buyer awarded the tender to a bid; the contract is awarded in the same step.",
        {
            "tender_id": _f(Kind.UUID, "the tender"),
            "bid_id": _f(Kind.UUID, "the winning bid"),
            "supplier": _f(Kind.TEXT, "the winning supplier"),
            "contract_id": _f(Kind.UUID, "the contract awarded"),
            "awarded_on": _f(Kind.DATE, "when"),
        },
    ),
    EventSpec(
        "TenderCancelled",
        1,
        "tender",
        "The buyer cancelled the tender before award.",
        {
            "tender_id": _f(Kind.UUID, "the tender"),
            "reason": _f(Kind.TEXT, "why"),
            "cancelled_on": _f(Kind.DATE, "when"),
            "previous_status": _f(Kind.TEXT, "draft, published or closed"),
        },
    ),
    EventSpec(
        "BidSubmitted",
        1,
        "bid",
        "A supplier made a social value offer to a published tender.",
        OFFER,
    ),
    EventSpec(
        "BidRevised",
        1,
        "bid",
        "A supplier replaced its offer before closing (the whole offer as it now stands).",
        OFFER,
    ),
    EventSpec(
        "BidWithdrawn",
        1,
        "bid",
        "A supplier withdrew its bid before closing.",
        {
            "bid_id": _f(Kind.UUID, "the bid"),
            "tender_id": _f(Kind.UUID, "the tender"),
            "reason": _f(Kind.TEXT, "why (may be empty)"),
            "withdrawn_on": _f(Kind.DATE, "when"),
        },
    ),
    EventSpec(
        "ContractAwarded",
        1,
        "contract",
        "A contract was awarded from a tender, or an existing contract was registered.",
        {
            "contract_id": _f(Kind.UUID, "the contract"),
            "reference": _f(Kind.TEXT, "the buyer's reference"),
            "title": _f(Kind.TEXT, "the contract's title"),
            "buyer": _f(Kind.TEXT, "the buying organisation"),
            "supplier": _f(Kind.TEXT, "the supplying organisation"),
            "starts_on": _f(Kind.DATE, "contract start"),
            "ends_on": _f(Kind.DATE, "contract end"),
            "value_gbp": _f(Kind.DECIMAL, "contract value, GBP", nullable=True),
            "return_due_days": _f(Kind.INTEGER, "days after a quarter ends a return is due"),
            "framework_version": _f(Kind.TEXT, "the framework obligations are counted in"),
            "obligations": OBLIGATION,
            "places": _f(
                Kind.TEXT_LIST, "places the contract serves (may be empty)", optional=True
            ),
            "tender_id": _f(
                Kind.UUID, "the tender; null if registered directly", nullable=True, optional=True
            ),
            "bid_id": _f(
                Kind.UUID,
                "the winning bid; null if registered directly",
                nullable=True,
                optional=True,
            ),
            "warnings": replace(WARNINGS, optional=True),
        },
    ),
    EventSpec(
        "ObligationVaried",
        1,
        "contract",
        "Buyer and supplier agreed new targets for one obligation.",
        {
            "contract_id": _f(Kind.UUID, "the contract"),
            "obligation_id": _f(Kind.UUID, "the obligation"),
            "targets": _f(Kind.PERIOD_MAP, "the full new target map"),
            "previous_targets": _f(Kind.PERIOD_MAP, "the targets it replaces"),
            "total": _f(Kind.DECIMAL, "sum of the new targets"),
            "previous_total": _f(Kind.DECIMAL, "sum of the previous targets"),
            "reason": _f(Kind.TEXT, "why"),
            "agreed_on": _f(Kind.DATE, "when it was agreed"),
        },
    ),
    EventSpec(
        "ContractCompleted",
        1,
        "contract",
        "The contract ran its course.",
        {
            "contract_id": _f(Kind.UUID, "the contract"),
            "completed_on": _f(Kind.DATE, "when"),
        },
    ),
    EventSpec(
        "ContractTerminated",
        1,
        "contract",
        "The contract ended early; targets of quarters starting after that day are cancelled.",
        {
            "contract_id": _f(Kind.UUID, "the contract"),
            "terminated_on": _f(Kind.DATE, "its last day"),
            "reason": _f(Kind.TEXT, "why"),
            "cancelled_periods": _f(Kind.TEXT_LIST, "quarters whose targets are cancelled"),
            "obligations": _f(
                Kind.OBJECT_LIST,
                "each obligation's remaining targets",
                obligation_id=_f(Kind.UUID, "the obligation"),
                targets=_f(Kind.PERIOD_MAP, "targets still due"),
                total=_f(Kind.DECIMAL, "their sum"),
            ),
        },
    ),
    EventSpec(
        "PledgeRecorded",
        1,
        "pledge",
        "An organisation made its Partner VCFSE pledge: baseline and yearly targets.",
        PLEDGE,
    ),
    EventSpec(
        "PledgeRevised",
        1,
        "pledge",
        "An organisation revised its Partner VCFSE pledge (the whole pledge as it now stands).",
        {
            **PLEDGE,
            "reason": _f(Kind.TEXT, "why"),
            "revision": _f(Kind.INTEGER, "1 for the first revision, then 2, 3, ..."),
        },
    ),
]

CATALOGUE: dict[str, EventSpec] = {spec.type: spec for spec in _EVENTS}


_SCHEDULE = "svl.measurement.schedule.>"
_ALERT = "svl.measurement.alert.>"

# Suppliers' track records (commitments.consumers.track_record). Every event on these subjects
# moves the supplier's as-of mark; these are the ones whose fields are read.
CONSUMED: dict[str, ConsumedSpec] = {
    spec.type: spec
    for spec in (
        consumed(
            "ScheduleOpened",
            _SCHEDULE,
            "contract_id reference buyer supplier return_due_days periods obligations",
            "the supplier's contract: its quarters, due dates, obligations and targets",
        ),
        consumed(
            "ScheduleVaried",
            _SCHEDULE,
            "contract_id obligation_id targets",
            "an obligation's targets, varied by agreement",
        ),
        consumed(
            "ScheduleClosed",
            _SCHEDULE,
            "contract_id cancelled_periods",
            "cancelled quarters need no return and commit nothing",
        ),
        consumed(
            "ReturnSubmitted",
            _SCHEDULE,
            "contract_id period submitted_on late lines",
            "a return came in, on time or late; its lines (obligation_id, quantity)",
        ),
        consumed(
            "ReturnAmended",
            _SCHEDULE,
            "contract_id period late lines",
            "a return under review replaced: its lines replace the last version's",
        ),
        consumed(
            "ReturnCorrected",
            _SCHEDULE,
            "contract_id period late lines",
            "an accepted return corrected: its lines replace the last version's",
        ),
        consumed(
            "ReturnAccepted",
            _SCHEDULE,
            "contract_id period",
            "the return's current lines count as delivered",
        ),
        consumed(
            "AlertRaised",
            _ALERT,
            "alert_id contract_id kind supplier raised_on",
            "an open alert on a contract (pledge alerts, without a contract, are left out)",
        ),
        consumed("AlertAcknowledged", _ALERT, "alert_id", "owned; still open"),
        consumed("AlertResolved", _ALERT, "alert_id resolved_on", "closed"),
    )
}


def problems_with(
    event_type: str, schema_version: int, stream_id: str, data: Mapping[str, Any]
) -> list[str]:
    """What is wrong with an event against the catalogue; empty when it matches."""
    spec = CATALOGUE.get(event_type)
    if spec is None:
        return [f"{event_type} is not in the catalogue"]
    problems = []
    if schema_version != spec.version:
        problems.append(f"{event_type} is version {spec.version}, not {schema_version}")
    if stream_id.split("-", 1)[0] != spec.aggregate:
        problems.append(f"{event_type} belongs in a {spec.aggregate} stream, not {stream_id}")
    return problems + _object_problems(event_type, spec.fields, data)


def _object_problems(where: str, fields: Mapping[str, FieldSpec], data: Any) -> list[str]:
    if not isinstance(data, Mapping):
        return [f"{where} is not an object"]
    problems = [f"{where}.{name} is not in the catalogue" for name in data if name not in fields]
    for name, spec in fields.items():
        if name not in data:
            if not spec.optional:
                problems.append(f"{where}.{name} is missing")
            continue
        value = data[name]
        if value is None:
            if not spec.nullable:
                problems.append(f"{where}.{name} is null")
            continue
        problems.extend(_value_problems(f"{where}.{name}", spec, value))
    return problems


def _value_problems(where: str, spec: FieldSpec, value: Any) -> list[str]:  # noqa: PLR0911
    kind = spec.kind
    if kind is Kind.OBJECT and spec.members:
        return _object_problems(where, spec.members, value)
    if kind is Kind.OBJECT_LIST:
        if not isinstance(value, list):
            return [f"{where} is not a list"]
        return [
            p
            for i, item in enumerate(value)
            for p in _object_problems(f"{where}.{i}", spec.members or {}, item)
        ]
    if kind is Kind.TEXT_LIST:
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        return [] if ok else [f"{where} is not a list of text"]
    if kind is Kind.PERIOD_MAP:
        return _map_problems(where, value, _is_quarter, _is_decimal)
    if kind is Kind.MEASURE_MAP:
        return _map_problems(where, value, _is_text, _is_decimal)
    if kind is Kind.YEAR_TARGETS:
        if not isinstance(value, Mapping):
            return [f"{where} is not an object"]
        return [
            p
            for year, targets in value.items()
            for p in (
                ([] if _is_year(year) else [f"{where}.{year} is not a financial year"])
                + _map_problems(f"{where}.{year}", targets, _is_text, _is_decimal)
            )
        ]
    checks: dict[Kind, Callable[[Any], bool]] = {
        Kind.TEXT: lambda v: isinstance(v, str),
        Kind.UUID: _is_uuid,
        Kind.DATE: _is_date,
        Kind.DECIMAL: _is_decimal,
        Kind.INTEGER: lambda v: isinstance(v, int) and not isinstance(v, bool),
        Kind.BOOLEAN: lambda v: isinstance(v, bool),
        Kind.OBJECT: lambda v: isinstance(v, Mapping),
    }
    return [] if checks[kind](value) else [f"{where} is not {kind.value}: {value!r}"]


def _map_problems(
    where: str, value: Any, key_ok: Callable[[Any], bool], value_ok: Callable[[Any], bool]
) -> list[str]:
    if not isinstance(value, Mapping):
        return [f"{where} is not an object"]
    return [
        f"{where}.{k} is not valid: {v!r}"
        for k, v in value.items()
        if not (key_ok(k) and value_ok(v))
    ]


def _is_decimal(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return Decimal(value).is_finite()
    except InvalidOperation:
        return False


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


def _is_date(value: Any) -> bool:
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


def _is_quarter(value: Any) -> bool:
    try:
        Quarter.parse(str(value))
    except ValidationFailed:
        return False
    return True


def _is_year(value: Any) -> bool:
    try:
        financial_year(str(value), "year")
    except ValidationFailed:
        return False
    return True


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value)
