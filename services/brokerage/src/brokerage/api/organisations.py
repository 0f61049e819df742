"""Directory routes: register organisations, find them, and vouch for VCFSE groups."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from svledger.web import CurrentPrincipal, IdempotencyKey, IfMatch, PageDep

from brokerage.api.dependencies import (
    ContextDep,
    CvsDep,
    RegistrantDep,
    ServiceDep,
    created,
    versioned,
)
from brokerage.api.schemas import OrganisationId, Outcome, Place, Text
from brokerage.application.organisations import (
    get_organisation,
    list_organisations,
    register_organisation,
    vouch_for,
)
from brokerage.domain.organisation import (
    Contact,
    Organisation,
    OrganisationKind,
    OrganisationProfile,
    VcfseForm,
)

router = APIRouter(prefix="/organisations", tags=["organisations"])

Kind = Literal["vcfse", "cvs", "supplier", "buyer"]
Form = Literal["registered_charity", "cic", "social_enterprise", "faith_group", "community_group"]


class ContactIn(BaseModel):
    """Someone to talk to."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    phone: str | None = Field(default=None, max_length=40)
    role: str | None = Field(default=None, max_length=200)


class OrganisationIn(BaseModel):
    """An organisation joining the directory."""

    model_config = ConfigDict(extra="forbid")

    organisation_id: OrganisationId | None = Field(
        default=None,
        description="leave out to register your own organisation; a CVS gives the id of a "
        "group it registers on the group's behalf",
    )
    name: str = Field(min_length=1, max_length=300)
    kind: Kind
    form: Form | None = Field(default=None, description="a VCFSE's form; others leave it out")
    places: list[Place] = Field(default_factory=list, max_length=50)
    outcomes: list[Outcome] = Field(default_factory=list, max_length=50)
    charity_number: str | None = Field(default=None, max_length=20)
    company_number: str | None = Field(default=None, max_length=20)
    contacts: list[ContactIn] = Field(default_factory=list, max_length=20)

    def profile(self) -> OrganisationProfile:
        """The domain's view."""
        return OrganisationProfile(
            name=self.name,
            kind=OrganisationKind(self.kind),
            form=None if self.form is None else VcfseForm(self.form),
            places=tuple(self.places),
            outcomes=tuple(self.outcomes),
            charity_number=self.charity_number,
            company_number=self.company_number,
            contacts=tuple(Contact(c.name, c.email, c.phone, c.role) for c in self.contacts),
        )


class VouchIn(BaseModel):
    """A CVS standing behind a group."""

    model_config = ConfigDict(extra="forbid")

    note: Text = ""


class VouchOut(BaseModel):
    """A CVS that vouches for the organisation."""

    cvs: str
    note: str
    vouched_on: date


class OrganisationListedOut(BaseModel):
    """An organisation in the directory."""

    organisation_id: str
    name: str
    kind: str
    form: str | None
    places: list[str]
    outcomes: list[str]
    charity_number: str | None
    company_number: str | None
    registered_by: str
    registered_on: date
    vouched_by: list[VouchOut]
    version: int


class ContactOut(BaseModel):
    """Someone to talk to."""

    name: str
    email: str | None
    phone: str | None
    role: str | None


class OrganisationOut(OrganisationListedOut):
    """An organisation; contacts only for itself and the CVS bodies that vouch for it."""

    contacts: list[ContactOut] | None = Field(
        description="null unless you are the organisation or a CVS vouching for it"
    )

    @classmethod
    def of(cls, organisation: Organisation, reader: str) -> OrganisationOut:
        """From the organisation's state, as ``reader`` may see it."""
        return cls.model_validate(organisation.view(reader))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=OrganisationOut,
    summary="Join the directory",
)
async def post_organisation(
    body: OrganisationIn, caller: RegistrantDep, service: ServiceDep, key: IdempotencyKey = None
) -> JSONResponse:
    """Register your organisation, or (as a CVS) a group with no staff to do it."""

    async def register() -> OrganisationOut:
        organisation = await register_organisation(
            service.context, caller, body.organisation_id, body.profile()
        )
        return OrganisationOut.of(organisation, caller.organisation)

    return await created(
        service, caller, key, body, action=register, location="/organisations/{organisation_id}"
    )


@router.get("", summary="Find organisations")
async def read_organisations(
    _reader: CurrentPrincipal,
    ctx: ContextDep,
    page: PageDep,
    kind: Annotated[Kind | None, Query(description="only this kind")] = None,
    place: Annotated[str | None, Query(description="only those serving this place")] = None,
    outcome: Annotated[str | None, Query(description="only those working on it")] = None,
) -> list[OrganisationListedOut]:
    """The directory by kind, place and outcome, by name."""
    rows: list[dict[str, Any]] = await list_organisations(ctx, kind, place, outcome, page)
    return [OrganisationListedOut.model_validate(r) for r in rows]


@router.get("/{organisation_id}", response_model=OrganisationOut, summary="Read an organisation")
async def read_organisation(
    organisation_id: str, reader: CurrentPrincipal, ctx: ContextDep
) -> JSONResponse:
    """One organisation in the directory; its ETag is its version."""
    organisation = await get_organisation(ctx, organisation_id)
    return versioned(OrganisationOut.of(organisation, reader.organisation))


@router.post(
    "/{organisation_id}/vouches", response_model=OrganisationOut, summary="Vouch for a group"
)
async def post_vouch(
    organisation_id: str, body: VouchIn, cvs: CvsDep, ctx: ContextDep, version: IfMatch
) -> JSONResponse:
    """As a CVS, stand behind a VCFSE group in the directory."""
    organisation = await vouch_for(ctx, cvs, organisation_id, body.note, version)
    return versioned(OrganisationOut.of(organisation, cvs.organisation))
