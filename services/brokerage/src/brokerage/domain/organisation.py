"""The organisations directory: VCFSE groups, CVS infrastructure bodies, suppliers and buyers.

An organisation is keyed by the organisation id its people's tokens carry (the ``org`` claim),
so the directory entry and the caller are one and the same. A CVS (council for voluntary
services, the "front door") may register a small group that has no staff to do it; it then
vouches for that group and speaks for it in the brokerage. A CVS may also vouch for a group
that registered itself.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from svledger.aggregate import Aggregate
from svledger.envelope import NewEvent
from svledger.errors import Conflict, FieldProblem

from brokerage.domain.rules import place_problems, refuse

ORGANISATION_REGISTERED = "OrganisationRegistered"
ORGANISATION_VOUCHED = "OrganisationVouched"

# Charity Commission numbers (England and Wales) and Companies House numbers (incl. SC, NI).
_CHARITY_NUMBER = re.compile(r"^[0-9]{6,8}(-[0-9]{1,2})?$")
_COMPANY_NUMBER = re.compile(r"^([0-9]{8}|[A-Z]{2}[0-9]{6})$")
ORGANISATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,149}$")


class OrganisationKind(enum.StrEnum):
    """What part an organisation plays in the brokerage."""

    VCFSE = "vcfse"
    CVS = "cvs"
    SUPPLIER = "supplier"
    BUYER = "buyer"


class VcfseForm(enum.StrEnum):
    """The legal (or informal) form of a VCFSE organisation."""

    REGISTERED_CHARITY = "registered_charity"
    CIC = "cic"
    SOCIAL_ENTERPRISE = "social_enterprise"
    FAITH_GROUP = "faith_group"
    COMMUNITY_GROUP = "community_group"  # "below the radar": unregistered, often unstaffed


@dataclass(frozen=True, slots=True)
class Contact:
    """Someone to talk to at an organisation."""

    name: str
    email: str | None = None
    phone: str | None = None
    role: str | None = None

    def as_json(self) -> dict[str, Any]:
        """As event data."""
        return {"name": self.name, "email": self.email, "phone": self.phone, "role": self.role}


@dataclass(frozen=True, slots=True)
class OrganisationProfile:
    """What an organisation says about itself when it registers."""

    name: str
    kind: OrganisationKind
    form: VcfseForm | None = None
    places: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    charity_number: str | None = None
    company_number: str | None = None
    contacts: tuple[Contact, ...] = field(default_factory=tuple)

    def problems(self, known_places: tuple[str, ...]) -> list[FieldProblem]:
        """What is wrong with the profile for its kind."""
        problems: list[FieldProblem] = []
        if not self.name.strip():
            problems.append(FieldProblem("name", "give the organisation's name"))
        serves_places = self.kind in (OrganisationKind.VCFSE, OrganisationKind.CVS)
        problems += place_problems(self.places, known_places, "places", required=serves_places)
        if self.kind is OrganisationKind.VCFSE:
            if self.form is None:
                problems.append(FieldProblem("form", "say what form the VCFSE organisation takes"))
            elif self.form is VcfseForm.REGISTERED_CHARITY and not self.charity_number:
                problems.append(
                    FieldProblem("charity_number", "a registered charity gives its number")
                )
            elif self.form is VcfseForm.CIC and not self.company_number:
                problems.append(
                    FieldProblem("company_number", "a community interest company gives its number")
                )
        elif self.form is not None:
            problems.append(FieldProblem("form", f"only a VCFSE has a form, not a {self.kind}"))
        if self.charity_number and not _CHARITY_NUMBER.match(self.charity_number):
            problems.append(
                FieldProblem("charity_number", "a charity number is 6 to 8 digits, like 1234567")
            )
        if self.company_number and not _COMPANY_NUMBER.match(self.company_number):
            problems.append(
                FieldProblem(
                    "company_number", "a company number is 8 characters, like 01234567 or SC123456"
                )
            )
        outcomes = [o.strip().lower() for o in self.outcomes]
        if any(not o for o in outcomes):
            problems.append(FieldProblem("outcomes", "an outcome cannot be blank"))
        if len(set(outcomes)) != len(outcomes):
            problems.append(FieldProblem("outcomes", "an outcome is listed more than once"))
        return problems


class Organisation(Aggregate):
    """One organisation in the directory."""

    stream_prefix = "organisation"

    def __init__(self) -> None:
        super().__init__()
        self.organisation_id = ""
        self.kind = OrganisationKind.VCFSE
        self.registered_by = ""
        self.data: dict[str, Any] = {}
        self.vouches: list[dict[str, Any]] = []

    @staticmethod
    def register(
        organisation_id: str,
        profile: OrganisationProfile,
        *,
        registered_by: str,
        vouching_cvs: str | None,
        today: date,
        known_places: tuple[str, ...],
    ) -> list[NewEvent]:
        """Decide ``OrganisationRegistered``; a CVS registering a group also vouches for it."""
        problems = profile.problems(known_places)
        if not ORGANISATION_ID.match(organisation_id):
            problems.append(
                FieldProblem(
                    "organisation_id",
                    "an organisation id is 1 to 150 letters, digits or . _ : - characters",
                )
            )
        if vouching_cvs is not None and profile.kind is not OrganisationKind.VCFSE:
            problems.append(
                FieldProblem(
                    "kind", "a CVS registers VCFSE groups only; others register themselves"
                )
            )
        refuse(problems, "organisation")
        events = [
            NewEvent(
                ORGANISATION_REGISTERED,
                {
                    "organisation_id": organisation_id,
                    "name": profile.name.strip(),
                    "kind": profile.kind.value,
                    "form": None if profile.form is None else profile.form.value,
                    "places": list(profile.places),
                    "outcomes": [o.strip() for o in profile.outcomes],
                    "charity_number": profile.charity_number,
                    "company_number": profile.company_number,
                    "contacts": [c.as_json() for c in profile.contacts],
                    "registered_by": registered_by,
                    "registered_on": today.isoformat(),
                },
            )
        ]
        if vouching_cvs is not None:
            events.append(
                NewEvent(
                    ORGANISATION_VOUCHED,
                    {
                        "organisation_id": organisation_id,
                        "cvs": vouching_cvs,
                        "note": "registered by the CVS on the group's behalf",
                        "vouched_on": today.isoformat(),
                    },
                )
            )
        return events

    def vouch(self, cvs: str, note: str, today: date) -> NewEvent:
        """Decide ``OrganisationVouched``: a CVS stands behind a VCFSE group."""
        if self.kind is not OrganisationKind.VCFSE:
            raise Conflict(f"a CVS vouches for VCFSE groups, and {self.organisation_id} is not one")
        if cvs == self.organisation_id:
            raise Conflict("an organisation cannot vouch for itself")
        if self.vouched_by(cvs):
            raise Conflict(f"{cvs} already vouches for {self.organisation_id}")
        return self.record(
            NewEvent(
                ORGANISATION_VOUCHED,
                {
                    "organisation_id": self.organisation_id,
                    "cvs": cvs,
                    "note": note.strip(),
                    "vouched_on": today.isoformat(),
                },
            )
        )

    def vouched_by(self, cvs: str) -> bool:
        """True when ``cvs`` vouches for this organisation."""
        return any(v["cvs"] == cvs for v in self.vouches)

    def contacts_visible_to(self, organisation: str) -> bool:
        """Contacts are for the organisation itself and the CVS bodies that vouch for it."""
        return organisation in (self.organisation_id, self.registered_by) or self.vouched_by(
            organisation
        )

    def when(self, event_type: str, data: dict[str, Any]) -> None:
        """Fold one event into the organisation."""
        if event_type == ORGANISATION_REGISTERED:
            self.organisation_id = data["organisation_id"]
            self.kind = OrganisationKind(data["kind"])
            self.registered_by = data["registered_by"]
            self.data = dict(data)
        elif event_type == ORGANISATION_VOUCHED:
            self.vouches.append(
                {"cvs": data["cvs"], "note": data["note"], "vouched_on": data["vouched_on"]}
            )

    def view(self, reader: str) -> dict[str, Any]:
        """The entry as ``reader`` may see it: contacts only for those close to it."""
        return {
            **self.data,
            "contacts": self.data["contacts"] if self.contacts_visible_to(reader) else None,
            "vouched_by": [dict(v) for v in self.vouches],
            "version": self.version,
        }
