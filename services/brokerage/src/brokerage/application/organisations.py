"""Command handlers and queries for the organisations directory."""

from __future__ import annotations

from typing import Any

from svledger.auth import Principal, Role
from svledger.errors import Conflict, Forbidden, NotFound
from svledger.paging import Page

from brokerage.adapters.directory import groups_vouched_by, kind_of, search_organisations
from brokerage.application.context import Context, expect_version
from brokerage.domain.organisation import Organisation, OrganisationKind, OrganisationProfile

# The role a caller needs to register its own organisation as each kind.
_ROLE_FOR = {
    OrganisationKind.VCFSE: Role.VCFSE,
    OrganisationKind.CVS: Role.CVS,
    OrganisationKind.SUPPLIER: Role.SUPPLIER,
    OrganisationKind.BUYER: Role.BUYER,
}


async def register_organisation(
    ctx: Context, caller: Principal, organisation_id: str | None, profile: OrganisationProfile
) -> Organisation:
    """Register the caller's own organisation, or (for a CVS) a group with no staff to do it."""
    target = organisation_id or caller.organisation
    on_behalf = target != caller.organisation
    _may_register(caller, on_behalf, profile.kind)
    vouching_cvs = caller.organisation if on_behalf and caller.has(Role.CVS) else None
    events = Organisation.register(
        target,
        profile,
        registered_by=caller.organisation,
        vouching_cvs=vouching_cvs,
        today=ctx.today(),
        known_places=ctx.places,
    )
    stream = Organisation.stream_id(target)
    async with ctx.work(caller) as work:
        if await work.load(stream):
            raise Conflict(f"{target} is in the directory already", field="organisation_id")
        if vouching_cvs is not None and await kind_of(work.tx.conn, vouching_cvs) != "cvs":
            raise Conflict("register your CVS in the directory before registering groups")
        recorded = await work.append(stream, 0, events)
    return Organisation.require(recorded, f"organisation {target}")


def _may_register(caller: Principal, on_behalf: bool, kind: OrganisationKind) -> None:
    if caller.has(Role.ADMIN):
        return
    if on_behalf:
        if not caller.has(Role.CVS):
            raise Forbidden("only a CVS registers another organisation (a group with no staff)")
        return
    if not caller.has(_ROLE_FOR[kind]):
        raise Forbidden(f"registering as a {kind.value} needs the {_ROLE_FOR[kind].value} role")


async def vouch_for(
    ctx: Context, cvs: Principal, organisation_id: str, note: str, if_match: int | None
) -> Organisation:
    """A CVS vouches for a VCFSE group."""
    stream = Organisation.stream_id(organisation_id)
    async with ctx.work(cvs) as work:
        organisation = Organisation.require(
            await work.load(stream), f"organisation {organisation_id}"
        )
        expect_version(organisation.version, if_match, f"organisation {organisation_id}")
        if await kind_of(work.tx.conn, cvs.organisation) != "cvs":
            raise Conflict("register your CVS in the directory before vouching for groups")
        event = organisation.vouch(cvs.organisation, note, ctx.today())
        await work.save(organisation, stream, [event])
    return organisation


async def get_organisation(ctx: Context, organisation_id: str) -> Organisation:
    """One directory entry; anyone signed in may read it (contacts are shown to few)."""
    organisation = Organisation.rehydrate(await ctx.load(Organisation.stream_id(organisation_id)))
    if organisation is None:
        raise NotFound(f"organisation {organisation_id} is not in the directory")
    return organisation


async def list_organisations(
    ctx: Context, kind: str | None, place: str | None, outcome: str | None, page: Page
) -> list[dict[str, Any]]:
    """The directory, by kind, place and outcome."""
    async with ctx.reading() as conn:
        return await search_organisations(conn, kind=kind, place=place, outcome=outcome, page=page)


async def vouched_groups(ctx: Context, cvs: Principal) -> list[dict[str, Any]]:
    """The groups the caller's CVS vouches for, with their open asks and matches."""
    async with ctx.reading() as conn:
        return await groups_vouched_by(conn, cvs.organisation)
