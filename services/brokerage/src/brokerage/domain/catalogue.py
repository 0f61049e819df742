"""The catalogue of every event the brokerage service records: version, stream, fields, meaning.

Other services build on these shapes (measurement consumes ``DeliveryConfirmed``; reporting
reads them all), so a field is added, never renamed or removed, and tests check every event
the service emits against this catalogue (:func:`problems_with`). Quantities and scores are
exact decimal strings, never floats; dates are ISO 8601; periods are financial-year quarters
like ``2026-27-Q1``. Subjects are ``svl.brokerage.<aggregate>.<EventType>``, the aggregate
being the stream prefix named here.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from svledger.errors import ValidationFailed
from svledger.periods import Quarter


class Kind(enum.Enum):
    """What a field holds."""

    TEXT = "text"
    UUID = "uuid"
    DATE = "date (ISO 8601)"
    DECIMAL = "exact decimal string"
    PERIOD = "financial-year quarter like 2026-27-Q1"
    TEXT_LIST = "list of text"
    UUID_LIST = "list of uuids"
    OBJECT_LIST = "list of objects"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of an event: its kind, whether it may be null, and what it means."""

    kind: Kind
    meaning: str
    nullable: bool = False
    members: Mapping[str, FieldSpec] | None = None  # for OBJECT_LIST


@dataclass(frozen=True, slots=True)
class EventSpec:
    """One event type."""

    type: str
    version: int
    aggregate: str
    meaning: str
    fields: Mapping[str, FieldSpec] = field(default_factory=dict)


def _f(kind: Kind, meaning: str, *, nullable: bool = False, **members: FieldSpec) -> FieldSpec:
    return FieldSpec(kind, meaning, nullable, members or None)


def _text(meaning: str, *, nullable: bool = False) -> FieldSpec:
    return _f(Kind.TEXT, meaning, nullable=nullable)


def _day(meaning: str, *, nullable: bool = False) -> FieldSpec:
    return _f(Kind.DATE, meaning, nullable=nullable)


CONTACT = _f(
    Kind.OBJECT_LIST,
    "people to talk to",
    name=_text("their name"),
    email=_text("email address", nullable=True),
    phone=_text("telephone number", nullable=True),
    role=_text("their role", nullable=True),
)
NEED = _f(
    Kind.OBJECT_LIST,
    "needs by place and outcome",
    place=_text("the place"),
    outcome=_text("the outcome needed there"),
    priority=_text("high, medium or low"),
    note=_text("what the analysis says about it"),
)
REASON = _f(
    Kind.OBJECT_LIST,
    "why the match scores what it does; the points add up to the score",
    factor=_text("measure, place, capacity, shortfall or local_need"),
    points=_f(Kind.DECIMAL, "points this reason earned"),
    detail=_text("the reason in words"),
)
ASK_TERMS: dict[str, FieldSpec] = {
    "kind": _text(
        "volunteering, expert_business_advice, equipment_or_resources, funding, "
        "work_placements or supply_chain_opportunity"
    ),
    "title": _text("a short title"),
    "description": _text("what is needed"),
    "measures": _f(Kind.TEXT_LIST, "the TOM measures the support counts in, e.g. NT17"),
    "quantity": _f(Kind.DECIMAL, "how much is needed, in the unit"),
    "unit": _text("the unit, e.g. hours"),
    "place": _text("where it is needed"),
    "outcomes": _f(Kind.TEXT_LIST, "the outcomes it serves (may be empty)"),
    "needed_by": _day("the day it is needed by"),
}
MATCH_PARTIES: dict[str, FieldSpec] = {
    "match_id": _f(Kind.UUID, "the match"),
    "supplier": _text("the supplier organisation"),
    "vcfse": _text("the VCFSE organisation"),
}
MATCH_SUBJECT: dict[str, FieldSpec] = {
    "obligation_id": _f(Kind.UUID, "the supplier's obligation it counts towards", nullable=True),
    "contract_id": _f(Kind.UUID, "the contract of that obligation", nullable=True),
    "measure": _text("the measure it counts in"),
}


def _spec(
    type_: str, aggregate: str, meaning: str, fields: Mapping[str, FieldSpec], version: int = 1
) -> EventSpec:
    return EventSpec(type_, version, aggregate, meaning, fields)


CATALOGUE: dict[str, EventSpec] = {
    spec.type: spec
    for spec in (
        _spec(
            "OrganisationRegistered",
            "organisation",
            "An organisation joined the directory (itself, or a VCFSE group by its CVS).",
            {
                "organisation_id": _text("the id its people's tokens carry as org"),
                "name": _text("its name"),
                "kind": _text("vcfse, cvs, supplier or buyer"),
                "form": _text(
                    "a VCFSE's form: registered_charity, cic, social_enterprise, faith_group "
                    "or community_group",
                    nullable=True,
                ),
                "places": _f(Kind.TEXT_LIST, "the places it serves"),
                "outcomes": _f(Kind.TEXT_LIST, "the outcomes it works on"),
                "charity_number": _text("Charity Commission number", nullable=True),
                "company_number": _text("Companies House number", nullable=True),
                "contacts": CONTACT,
                "registered_by": _text("the organisation that registered it (itself or a CVS)"),
                "registered_on": _day("the day it registered"),
            },
        ),
        _spec(
            "OrganisationVouched",
            "organisation",
            "A CVS vouched for a VCFSE group.",
            {
                "organisation_id": _text("the group"),
                "cvs": _text("the CVS vouching for it"),
                "note": _text("what the CVS says (may be empty)"),
                "vouched_on": _day("the day"),
            },
        ),
        _spec(
            "LocalNeedsPublished",
            "needs",
            "A buyer or CVS published its local needs analysis, replacing its previous one.",
            {
                "publisher": _text("the publishing organisation"),
                "title": _text("the analysis's title"),
                "published_on": _day("the day published"),
                "needs": NEED,
            },
        ),
        _spec(
            "AskPosted",
            "ask",
            "A VCFSE (or its CVS) asked for support.",
            {
                "ask_id": _f(Kind.UUID, "the ask"),
                "vcfse": _text("the VCFSE organisation asking"),
                "posted_by": _text("who posted it: the VCFSE or the CVS speaking for it"),
                "posted_on": _day("the day posted"),
                **ASK_TERMS,
            },
        ),
        _spec(
            "AskUpdated",
            "ask",
            "The ask's terms changed; the full terms as they now stand.",
            {
                "ask_id": _f(Kind.UUID, "the ask"),
                "vcfse": _text("the VCFSE organisation asking"),
                "updated_on": _day("the day updated"),
                "status": _text("open, partly_filled or filled, given what is filled already"),
                **ASK_TERMS,
            },
        ),
        _spec(
            "AskFilled",
            "ask",
            "A confirmed delivery in the ask's unit filled it partly or fully.",
            {
                "ask_id": _f(Kind.UUID, "the ask"),
                "vcfse": _text("the VCFSE organisation asking"),
                "match_id": _f(Kind.UUID, "the match delivered through"),
                "delivery_id": _f(Kind.UUID, "the confirmed delivery"),
                "quantity": _f(Kind.DECIMAL, "what the delivery added"),
                "unit": _text("the ask's unit"),
                "filled": _f(Kind.DECIMAL, "filled in all"),
                "remaining": _f(Kind.DECIMAL, "still needed"),
                "status": _text("partly_filled or filled"),
            },
        ),
        _spec(
            "AskClosed",
            "ask",
            "The VCFSE closed its ask.",
            {
                "ask_id": _f(Kind.UUID, "the ask"),
                "vcfse": _text("the VCFSE organisation asking"),
                "reason": _text("filled, no_longer_needed, expired or withdrawn"),
                "note": _text("more about it (may be empty)"),
                "closed_on": _day("the day closed"),
                "filled": _f(Kind.DECIMAL, "filled when closed"),
            },
        ),
        _spec(
            "OfferPosted",
            "offer",
            "A supplier offered support, optionally tied to one of its obligations.",
            {
                "offer_id": _f(Kind.UUID, "the offer"),
                "supplier": _text("the supplier offering"),
                "kind": _text("the kind of support, as for asks"),
                "title": _text("a short title"),
                "description": _text("what is offered"),
                "measures": _f(Kind.TEXT_LIST, "the measures it counts in"),
                "places": _f(Kind.TEXT_LIST, "where it is offered"),
                "quantity": _f(Kind.DECIMAL, "how much is offered", nullable=True),
                "unit": _text("the unit of the quantity", nullable=True),
                "available_until": _day("offered until", nullable=True),
                "obligation_id": _f(Kind.UUID, "the obligation it helps meet", nullable=True),
                "contract_id": _f(Kind.UUID, "the contract of that obligation", nullable=True),
                "posted_on": _day("the day posted"),
            },
        ),
        _spec(
            "OfferWithdrawn",
            "offer",
            "The supplier withdrew its offer.",
            {
                "offer_id": _f(Kind.UUID, "the offer"),
                "supplier": _text("the supplier offering"),
                "reason": _text("why (may be empty)"),
                "withdrawn_on": _day("the day withdrawn"),
            },
        ),
        _spec(
            "MatchProposed",
            "match",
            "A supplier and a VCFSE were proposed to each other, with the score and reasons.",
            {
                **MATCH_PARTIES,
                "ask_id": _f(Kind.UUID, "the ask it answers", nullable=True),
                "offer_id": _f(Kind.UUID, "the supplier's offer it draws on", nullable=True),
                "buyer": _text("the buyer of the contract, who sees the match", nullable=True),
                **MATCH_SUBJECT,
                "unit": _text("the unit deliveries are recorded in"),
                "alert_id": _f(Kind.UUID, "the shortfall alert behind it", nullable=True),
                "score": _f(Kind.DECIMAL, "0 to 100: the sum of the reasons' points"),
                "reasons": REASON,
                "proposed_by": _text("system, or the proposing organisation"),
                "proposed_on": _day("the day proposed"),
            },
        ),
        _spec(
            "MatchAccepted",
            "match",
            "One side accepted the match; it is accepted when both have.",
            {
                "match_id": _f(Kind.UUID, "the match"),
                "side": _text("supplier or vcfse"),
                "organisation": _text("the organisation that accepted (a CVS may, for a group)"),
                "accepted_on": _day("the day"),
                "status": _text("proposed (waiting for the other side) or accepted"),
            },
        ),
        _spec(
            "MatchDeclined",
            "match",
            "One side declined the match, with a reason.",
            {
                "match_id": _f(Kind.UUID, "the match"),
                "side": _text("supplier or vcfse"),
                "organisation": _text("the organisation that declined"),
                "reason": _text("why"),
                "declined_on": _day("the day"),
            },
        ),
        _spec(
            "DeliveryRecorded",
            "match",
            "The supplier recorded support it delivered through the match.",
            {
                **MATCH_PARTIES,
                "delivery_id": _f(Kind.UUID, "the delivery"),
                "quantity": _f(Kind.DECIMAL, "how much, in the unit"),
                "unit": _text("the unit"),
                "delivered_on": _day("the day delivered"),
                "note": _text("the supplier's note (may be empty)"),
                **MATCH_SUBJECT,
                "recorded_on": _day("the day recorded"),
            },
        ),
        _spec(
            "DeliveryConfirmed",
            "match",
            "The VCFSE confirmed a delivery: corroborated evidence against the supplier's "
            "obligation, for measurement to record in the quarter it was delivered.",
            {
                **MATCH_PARTIES,
                "delivery_id": _f(Kind.UUID, "the delivery"),
                **MATCH_SUBJECT,
                "quantity": _f(Kind.DECIMAL, "how much, in the unit"),
                "unit": _text("the unit"),
                "delivered_on": _day("the day delivered"),
                "period": _f(Kind.PERIOD, "the financial-year quarter delivered_on falls in"),
                "confirmed_by": _text("the organisation that confirmed (the VCFSE or its CVS)"),
                "confirmed_on": _day("the day confirmed"),
            },
        ),
        _spec(
            "DeliveryDisputed",
            "match",
            "The VCFSE disputed a delivery; it never counts as corroborated.",
            {
                **MATCH_PARTIES,
                "delivery_id": _f(Kind.UUID, "the delivery"),
                "reason": _text("what is wrong with it"),
                "disputed_by": _text("the organisation that disputed (the VCFSE or its CVS)"),
                "disputed_on": _day("the day disputed"),
            },
        ),
        _spec(
            "ShortfallReferred",
            "referral",
            "A shortfall alert reached the brokerage, which proposed these matches (maybe "
            "none); recorded once per alert.",
            {
                "alert_id": _f(Kind.UUID, "the measurement alert"),
                "contract_id": _f(Kind.UUID, "its contract"),
                "obligation_id": _f(Kind.UUID, "its obligation"),
                "supplier": _text("the supplier behind"),
                "buyer": _text("the contract's buyer"),
                "measure": _text("the measure"),
                "kind": _text("under_delivery or at_risk"),
                "period": _f(Kind.PERIOD, "the quarter assessed"),
                "match_ids": _f(Kind.UUID_LIST, "the matches proposed"),
                "referred_on": _day("the day"),
            },
        ),
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
            problems.append(f"{where}.{name} is missing")
            continue
        value = data[name]
        if value is None:
            if not spec.nullable:
                problems.append(f"{where}.{name} is null")
            continue
        problems.extend(_value_problems(f"{where}.{name}", spec, value))
    return problems


def _value_problems(where: str, spec: FieldSpec, value: Any) -> list[str]:
    if spec.kind is Kind.OBJECT_LIST:
        if not isinstance(value, list):
            return [f"{where} is not a list"]
        return [
            p
            for i, item in enumerate(value)
            for p in _object_problems(f"{where}.{i}", spec.members or {}, item)
        ]
    checks: dict[Kind, Callable[[Any], bool]] = {
        Kind.TEXT: lambda v: isinstance(v, str),
        Kind.UUID: _is_uuid,
        Kind.DATE: _is_date,
        Kind.DECIMAL: _is_decimal,
        Kind.PERIOD: _is_quarter,
        Kind.TEXT_LIST: lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
        Kind.UUID_LIST: lambda v: isinstance(v, list) and all(_is_uuid(x) for x in v),
    }
    return [] if checks[spec.kind](value) else [f"{where} is not {spec.kind.value}: {value!r}"]


def _is_decimal(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return Decimal(value).is_finite()
    except InvalidOperation:
        return False


def _is_uuid(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


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
    return isinstance(value, str)
