"""Who may do what, on every endpoint of every service: one table, checked request by request.

Each row is one endpoint and what each role may do there, against organisation A's resource
(``own``: the caller works for the organisation whose role it holds in world A) and the same
resource asked for by the same role's person in world B (``other``). World A's resources are
real, built once per backend through the services' own APIs (see ``tests/security/world.py``).

Outcomes:

- ``ok``: got past authorisation. A read answers 2xx. A write answers 2xx, or 409, 412 or 422:
  refused for the state of the resource or its body, which is decided only after the caller was
  let in and the resource found. The bodies sent are valid (the other world's 404 proves it:
  the body is validated before the handler looks the resource up), and writes to existing
  resources carry a stale ``If-Match``, so an allowed write answers 412 and changes nothing.
- ``hidden``: 2xx, and none of world A's private ids in the response (lists filter by
  organisation rather than refuse).
- 401 for the anonymous caller, 403 for a role that may not do this, 404 for another
  organisation's resource (never 403: that would say it exists).

A (method, path) the services serve that the table lacks fails the test: a new endpoint must
say who may use it. Cells that do not hold today because of a defect in a service this work may
not change are listed in ``KNOWN_FAILURES`` with the finding that reports them; remove an entry
when its finding is fixed (the test says so when a listed cell starts to hold).
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from svledger.auth import Role
from svledger.clock import FixedClock

from tests.harness import NatsServer
from tests.security.conftest import Databases
from tests.security.world import (
    FIRST_DAY,
    ROLES,
    World,
    ask_body,
    bid_body,
    build_world,
    contract_body,
    headers_of,
    needs_body,
    offer_body,
    organisation_of,
    pledge_body,
    running_services,
    tender_body,
)

SERVICES = ("commitments", "measurement", "brokerage", "reporting")
CALLERS: tuple[Role | None, ...] = (*ROLES, None)
STALE = {"If-Match": '"999999"'}


class Outcome(enum.Enum):
    """What a caller is told."""

    OK = "ok"
    HIDDEN = "hidden"
    UNAUTHENTICATED = "401"
    FORBIDDEN = "403"
    NOT_FOUND = "404"


OK, HIDDEN = Outcome.OK, Outcome.HIDDEN
E401, E403, E404 = Outcome.UNAUTHENTICATED, Outcome.FORBIDDEN, Outcome.NOT_FOUND

Cell = tuple[Outcome, Outcome]  # (own world's resource, as another world's person)
Access = dict[Role | None, Cell]

ADMIN, BUYER, SUPPLIER, VCFSE, CVS, AUDITOR = (
    Role.ADMIN,
    Role.BUYER,
    Role.SUPPLIER,
    Role.VCFSE,
    Role.CVS,
    Role.AUDITOR,
)
PARTIES = (BUYER, SUPPLIER, AUDITOR)  # reporting's readers


# -- how to say who may do what ---------------------------------------------------------------


def public() -> Access:
    """Anyone, signed in or not."""
    return dict.fromkeys(CALLERS, (OK, OK))


def signed_in() -> Access:
    """Anyone signed in, whatever their organisation (shared reference data, public boards)."""
    return {**dict.fromkeys(ROLES, (OK, OK)), None: (E401, E401)}


def roles(*allowed: Role) -> Access:
    """These roles, in any organisation (each acts for its own); other roles 403."""
    return {role: (OK, OK) if role in allowed else (E403, E403) for role in ROLES} | {
        None: (E401, E401)
    }


def owned(*allowed: Role, by: tuple[str, ...]) -> Access:
    """These roles, for a resource of one of the organisations ``by`` (organisation kinds:
    council, supplier, vcfse, cvs); other roles 403; another organisation's resource 404."""

    def cell(role: Role) -> Cell:
        if role not in allowed:
            return (E403, E403)
        own = organisation_of(role, "a").rsplit("-", 1)[0] in by
        return (OK if own else E404, E404)

    return {role: cell(role) for role in ROLES} | {None: (E401, E401)}


def listing(*allowed: Role) -> Access:
    """A list of what the caller's organisation may see: another world's person is told 2xx
    without any of world A's private ids; other roles 403."""
    return {role: (OK, HIDDEN) if role in allowed else (E403, E403) for role in ROLES} | {
        None: (E401, E401)
    }


def but(access: Access, **cells: Cell) -> Access:
    """``access`` with some roles' cells replaced (role names as keywords)."""
    return access | {Role(name): cell for name, cell in cells.items()}


# -- what to send -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """Who is calling, from which world, about world A's resources with these ids."""

    ids: Mapping[str, str]
    world: str
    role: Role | None


Make = Callable[[Call], Any]


@dataclass(frozen=True)
class Endpoint:
    """One row: an endpoint, who may use it, and a request that gets past validation."""

    method: str
    path: str
    access: Access
    json: Make | None = None
    files: Make | None = None
    data: Make | None = None
    query: Make | None = None
    stale: bool = False  # send a stale If-Match: an allowed write answers 412, changing nothing
    fill: Mapping[str, str] = field(default_factory=dict)  # path parameter -> world id

    def url(self, ids: Mapping[str, str]) -> str:
        """The path with world A's ids in it."""
        values = {name: ids[self.fill.get(name, name)] for name in _parameters(self.path)}
        path = self.path.replace("{path:path}", "{path}")
        return path.format(**values)


def _parameters(path: str) -> list[str]:
    return [part[1:-1].split(":")[0] for part in path.split("/") if part.startswith("{")]


def proxy_values(_: Call) -> dict[str, Any]:
    return {"file": ("proxies.csv", b"code,unit,gbp_per_unit,source,year\nNT1,FTE,1,x,2024\n")}


def framework(call: Call) -> dict[str, Any]:
    return {
        "version": f"matrix-{call.world}-{call.role}",
        "title": "A framework for the matrix",
        "measures": [
            {
                "code": "NT1",
                "theme": "Jobs",
                "outcome": "More local people in employment",
                "measure": "Local FTE employed on the contract",
                "unit": "FTE",
            }
        ],
    }


def framework_form(call: Call) -> dict[str, Any]:
    return {"version": f"matrix-upload-{call.world}-{call.role}", "title": "Uploaded"}


def framework_file(_: Call) -> dict[str, Any]:
    table = b"theme,outcome,code,measure,unit\nJobs,More jobs,NT1,Local FTE,FTE\n"
    return {"file": ("framework.csv", table)}


def contracts_file(call: Call) -> dict[str, Any]:
    row = (
        f"reference,title,supplier,starts_on,ends_on,measure,target_per_quarter\n"
        f"IMP-{call.world},Cleaning,supplier-{call.world},2026-04-01,2027-03-31,NT1,1\n"
    )
    return {"file": ("contracts.csv", row.encode())}


def return_file(call: Call) -> dict[str, Any]:
    row = f"obligation_id,quantity\n{call.ids['obligation_id']},1\n"
    return {"file": ("return.csv", row.encode())}


def own_contract(call: Call) -> dict[str, Any]:
    return contract_body() | {"supplier": f"supplier-{call.world}", "reference": "M-1"}


def return_lines(call: Call) -> list[dict[str, str]]:
    return [{"obligation_id": call.ids["obligation_id"], "quantity": "3"}]


def registration(call: Call) -> dict[str, Any]:
    kind = {VCFSE: "vcfse", CVS: "cvs", SUPPLIER: "supplier"}.get(call.role or BUYER, "buyer")
    body = {"name": f"{kind} {call.world}", "kind": kind, "places": ["Liverpool"]}
    return body | ({"form": "community_group"} if kind == "vcfse" else {})


def an_ask(call: Call) -> dict[str, Any]:
    # A CVS posts for a group; vcfse-a is the one cvs-a registered.
    return ask_body() | ({"vcfse": "vcfse-a"} if call.role is CVS else {})


def a_proposal(call: Call) -> dict[str, Any]:
    # A supplier proposes itself; the ask's side names the supplier.
    named = {} if call.role is SUPPLIER else {"supplier": "supplier-a"}
    return {"ask_id": call.ids["ask_id"]} | named


def board_of(call: Call) -> dict[str, str]:
    # A CVS names the group whose board it wants; a VCFSE reads its own.
    return {"vcfse": "vcfse-a"} if call.role is CVS else {}


def award(call: Call) -> dict[str, Any]:
    return {"bid_id": call.ids["closed_bid"], "reference": "AW-1"}


def revision(call: Call) -> dict[str, Any]:
    return {"lines": return_lines(call), "reason": "recount"}


def a_return(call: Call) -> dict[str, Any]:
    return {"period": "2026-27-Q2", "lines": return_lines(call)}


def constant(value: Any) -> Make:
    """The same body for every caller."""
    return lambda _call: value


COUNCIL, SUPPLIER_ORG, VCFSE_ORG, CVS_ORG = "council", "supplier", "vcfse", "cvs"
CONTRACT_PARTIES = (COUNCIL, SUPPLIER_ORG)
DOCS = [
    Endpoint("GET", "/openapi.json", public()),
    Endpoint("GET", "/docs", public()),
    Endpoint("GET", "/docs/oauth2-redirect", public()),
    Endpoint("GET", "/redoc", public()),
    Endpoint("GET", "/healthz", public()),
    Endpoint("GET", "/metrics", public()),
    Endpoint("GET", "/readyz", public()),
]

# -- the matrix -------------------------------------------------------------------------------

MATRIX: dict[str, list[Endpoint]] = {
    "commitments": [
        *DOCS,
        Endpoint("GET", "/events/catalogue", public()),
        Endpoint("GET", "/events/consumed", public()),
        # Frameworks are shared reference data: everyone reads, admins (anywhere) publish.
        Endpoint("GET", "/frameworks", signed_in()),
        Endpoint("POST", "/frameworks", roles(ADMIN), json=framework),
        Endpoint(
            "POST", "/frameworks/uploads", roles(ADMIN), data=framework_form, files=framework_file
        ),
        Endpoint("GET", "/frameworks/{version}", signed_in()),
        Endpoint("GET", "/frameworks/{version}/measures", signed_in()),
        Endpoint(
            "PATCH",
            "/frameworks/{version}/measures/{code}",
            roles(ADMIN),
            json=constant({"unit": "FTE", "reason": "matrix"}),
            stale=True,
        ),
        Endpoint("GET", "/frameworks/{version}/proxy-values", signed_in()),
        Endpoint(
            "PUT",
            "/frameworks/{version}/proxy-values",
            roles(ADMIN),
            files=proxy_values,
            stale=True,
        ),
        # A policy is public; only its own organisation's buyer (or admin) records it. The path
        # names an organisation, not a secret resource: writing another's is 403, not 404.
        Endpoint(
            "PUT",
            "/policies/{organisation}",
            but(roles(BUYER, ADMIN), buyer=(OK, E403), admin=(OK, E403)),
            json=constant({"statement": "Matrix."}),
            stale=True,
        ),
        Endpoint("GET", "/policies/{organisation}", signed_in()),
        # Tenders: a draft is its buyer's alone; published ones are public.
        Endpoint("POST", "/tenders", roles(BUYER), json=constant(tender_body("2026-12-31"))),
        Endpoint("GET", "/tenders", listing(*ROLES)),
        Endpoint(
            "GET",
            "/tenders/{tender_id}",
            owned(*ROLES, by=(COUNCIL,)),
            fill={"tender_id": "draft_tender"},
        ),
        Endpoint(
            "PUT",
            "/tenders/{tender_id}",
            owned(BUYER, by=(COUNCIL,)),
            json=constant(tender_body("2026-12-31")),
            stale=True,
            fill={"tender_id": "draft_tender"},
        ),
        Endpoint(
            "POST",
            "/tenders/{tender_id}/publish",
            owned(BUYER, by=(COUNCIL,)),
            stale=True,
            fill={"tender_id": "draft_tender"},
        ),
        Endpoint(
            "POST",
            "/tenders/{tender_id}/close",
            owned(BUYER, by=(COUNCIL,)),
            stale=True,
            fill={"tender_id": "open_tender"},
        ),
        Endpoint(
            "POST",
            "/tenders/{tender_id}/cancel",
            owned(BUYER, by=(COUNCIL,)),
            json=constant({"reason": "matrix"}),
            stale=True,
            fill={"tender_id": "draft_tender"},
        ),
        # Any supplier may bid on a published tender.
        Endpoint(
            "POST",
            "/tenders/{tender_id}/bids",
            roles(SUPPLIER),
            json=constant(bid_body()),
            fill={"tender_id": "open_tender"},
        ),
        # After closing, the buyer sees every bid and a bidder its own; others an empty list.
        Endpoint(
            "GET",
            "/tenders/{tender_id}/bids",
            but(listing(*ROLES), buyer=(OK, HIDDEN), supplier=(OK, HIDDEN)),
            fill={"tender_id": "closed_tender"},
        ),
        Endpoint(
            "PUT",
            "/tenders/{tender_id}/evaluations/{bid_id}",
            owned(BUYER, by=(COUNCIL,)),
            json=constant({"qualitative_score": "70", "rationale": "matrix"}),
            stale=True,
            fill={"tender_id": "closed_tender", "bid_id": "closed_bid"},
        ),
        Endpoint(
            "GET",
            "/tenders/{tender_id}/evaluations",
            owned(BUYER, by=(COUNCIL,)),
            fill={"tender_id": "closed_tender"},
        ),
        Endpoint(
            "POST",
            "/tenders/{tender_id}/award",
            owned(BUYER, by=(COUNCIL,)),
            json=award,
            stale=True,
            fill={"tender_id": "closed_tender"},
        ),
        Endpoint(
            "GET",
            "/tenders/{tender_id}/bids/{bid_id}/track-record",
            owned(*ROLES, by=CONTRACT_PARTIES),
            fill={"tender_id": "closed_tender", "bid_id": "closed_bid"},
        ),
        Endpoint(
            "GET",
            "/suppliers/{supplier}/track-record",
            owned(*ROLES, by=CONTRACT_PARTIES),
        ),
        # Bids: the bidder's own; the buyer's too once the tender has closed.
        Endpoint("GET", "/bids", listing(SUPPLIER)),
        Endpoint(
            "GET",
            "/bids/{bid_id}",
            owned(*ROLES, by=CONTRACT_PARTIES),
            fill={"bid_id": "closed_bid"},
        ),
        Endpoint(
            "GET",
            "/bids/{bid_id}/revisions",
            owned(*ROLES, by=CONTRACT_PARTIES),
            fill={"bid_id": "closed_bid"},
        ),
        Endpoint(
            "PUT",
            "/bids/{bid_id}",
            owned(SUPPLIER, by=(SUPPLIER_ORG,)),
            json=constant(bid_body()),
            stale=True,
            fill={"bid_id": "open_bid"},
        ),
        Endpoint(
            "POST",
            "/bids/{bid_id}/withdrawal",
            owned(SUPPLIER, by=(SUPPLIER_ORG,)),
            json=constant({"reason": "matrix"}),
            stale=True,
            fill={"bid_id": "open_bid"},
        ),
        # Contracts: their buyer and supplier.
        Endpoint("POST", "/contracts", roles(BUYER), json=own_contract),
        Endpoint("POST", "/contracts/imports", roles(BUYER), files=contracts_file),
        Endpoint("GET", "/contracts", listing(*ROLES)),
        Endpoint("GET", "/contracts/{contract_id}", owned(*ROLES, by=CONTRACT_PARTIES)),
        Endpoint(
            "POST",
            "/contracts/{contract_id}/obligations/{obligation_id}/variations",
            owned(BUYER, by=(COUNCIL,)),
            json=constant(
                {"target_per_quarter": "5", "reason": "matrix", "agreed_on": "2026-08-01"}
            ),
            stale=True,
        ),
        Endpoint(
            "POST",
            "/contracts/{contract_id}/completion",
            owned(BUYER, by=(COUNCIL,)),
            json=constant({"completed_on": "2027-03-31"}),
            stale=True,
        ),
        Endpoint(
            "POST",
            "/contracts/{contract_id}/termination",
            owned(BUYER, by=(COUNCIL,)),
            json=constant({"terminated_on": "2026-12-31", "reason": "matrix"}),
            stale=True,
        ),
        # A Partner VCFSE pledge: its organisation makes it; admins and auditors read them all.
        Endpoint(
            "PUT",
            "/pledges/{organisation}",
            but(
                roles(BUYER, SUPPLIER, ADMIN),
                buyer=(OK, E403),
                admin=(OK, E403),
                supplier=(E403, E403),
            ),
            json=constant(pledge_body()),
            stale=True,
        ),
        Endpoint(
            "GET",
            "/pledges/{organisation}",
            but(owned(*ROLES, by=(COUNCIL,)), admin=(OK, OK), auditor=(OK, OK)),
        ),
        Endpoint("GET", "/pledges", but(listing(*ROLES), admin=(OK, OK), auditor=(OK, OK))),
    ],
    "measurement": [
        *DOCS,
        Endpoint(
            "POST",
            "/contracts/{contract_id}/returns",
            owned(SUPPLIER, by=(SUPPLIER_ORG,)),
            json=a_return,
            stale=True,
        ),
        Endpoint(
            "POST",
            "/contracts/{contract_id}/returns/upload",
            owned(SUPPLIER, by=(SUPPLIER_ORG,)),
            data=constant({"period": "2026-27-Q1"}),  # already returned: 409, nothing stored
            files=return_file,
        ),
        Endpoint(
            "GET", "/contracts/{contract_id}/returns/{period}", owned(*ROLES, by=CONTRACT_PARTIES)
        ),
        Endpoint(
            "PUT",
            "/contracts/{contract_id}/returns/{period}",
            owned(SUPPLIER, by=(SUPPLIER_ORG,)),
            json=revision,
            stale=True,
        ),
        Endpoint(
            "POST",
            "/contracts/{contract_id}/returns/{period}/corrections",
            owned(SUPPLIER, by=(SUPPLIER_ORG,)),
            json=revision,
            stale=True,
        ),
        Endpoint(
            "POST",
            "/contracts/{contract_id}/returns/{period}/acceptance",
            owned(BUYER, by=(COUNCIL,)),
            stale=True,
        ),
        Endpoint(
            "POST",
            "/contracts/{contract_id}/returns/{period}/queries",
            owned(BUYER, by=(COUNCIL,)),
            json=constant({"comment": "matrix"}),
            stale=True,
        ),
        Endpoint("GET", "/contracts/{contract_id}/schedule", owned(*ROLES, by=CONTRACT_PARTIES)),
        Endpoint(
            "GET",
            "/contracts/{contract_id}/obligations/{obligation_id}/progress",
            owned(*ROLES, by=CONTRACT_PARTIES),
        ),
        Endpoint(
            "GET", "/contracts/{contract_id}/corroborations", owned(*ROLES, by=CONTRACT_PARTIES)
        ),
        Endpoint("GET", "/due", listing(SUPPLIER)),
        Endpoint("GET", "/alerts", listing(*ROLES)),
        Endpoint("GET", "/alerts/{alert_id}", owned(*ROLES, by=CONTRACT_PARTIES)),
        Endpoint(
            "POST",
            "/alerts/{alert_id}/acknowledgement",
            owned(BUYER, by=(COUNCIL,)),
            json=constant({"note": "matrix"}),
            stale=True,
        ),
        Endpoint(
            "POST",
            "/alerts/{alert_id}/escalation",
            owned(BUYER, by=(COUNCIL,)),
            json=constant({"reason": "matrix"}),
            stale=True,
        ),
        Endpoint(
            "POST",
            "/alerts/{alert_id}/resolution",
            owned(BUYER, by=(COUNCIL,)),
            json=constant({"resolution": "waived", "reason": "matrix"}),
            stale=True,
        ),
        Endpoint(
            "POST",
            "/webhooks",
            roles(BUYER, SUPPLIER),
            json=constant({"url": "http://127.0.0.1:9/never-called"}),
        ),
        Endpoint("GET", "/webhooks", listing(BUYER, SUPPLIER)),
        Endpoint(
            "GET",
            "/webhooks/{subscription_id}/deliveries",
            owned(BUYER, SUPPLIER, by=(SUPPLIER_ORG,)),
        ),
        # Last: supplier-a's delete takes the subscription away.
        Endpoint(
            "DELETE", "/webhooks/{subscription_id}", owned(BUYER, SUPPLIER, by=(SUPPLIER_ORG,))
        ),
    ],
    "brokerage": [
        *DOCS,
        # The directory is public to the signed-in; auditors read but do not register.
        Endpoint(
            "POST", "/organisations", roles(VCFSE, CVS, SUPPLIER, BUYER, ADMIN), json=registration
        ),
        Endpoint("GET", "/organisations", signed_in()),
        Endpoint(
            "GET",
            "/organisations/{organisation_id}",
            signed_in(),
            fill={"organisation_id": "vcfse"},
        ),
        Endpoint(
            "POST",
            "/organisations/{organisation_id}/vouches",
            roles(CVS),
            json=constant({"note": "matrix"}),
            stale=True,
            fill={"organisation_id": "vcfse"},
        ),
        Endpoint("GET", "/cvs/groups", listing(CVS)),
        Endpoint(
            "POST", "/local-needs", roles(BUYER, CVS), json=constant(needs_body()), stale=True
        ),
        Endpoint("GET", "/local-needs", signed_in()),
        Endpoint("GET", "/local-needs/{publisher}", signed_in(), fill={"publisher": "cvs"}),
        # Asks are a public board; the VCFSE (or the CVS that registered it) changes its own.
        Endpoint("POST", "/asks", but(roles(VCFSE, CVS), cvs=(OK, E403)), json=an_ask),
        Endpoint("GET", "/asks", signed_in()),
        Endpoint("GET", "/asks/{ask_id}", signed_in()),
        Endpoint(
            "PATCH",
            "/asks/{ask_id}",
            owned(VCFSE, CVS, by=(VCFSE_ORG, CVS_ORG)),
            json=constant({"title": "matrix"}),
            stale=True,
        ),
        Endpoint(
            "POST",
            "/asks/{ask_id}/closure",
            owned(VCFSE, CVS, by=(VCFSE_ORG, CVS_ORG)),
            json=constant({"reason": "withdrawn"}),
            stale=True,
        ),
        Endpoint("GET", "/asks/{ask_id}/suggestions", owned(VCFSE, CVS, by=(VCFSE_ORG, CVS_ORG))),
        # Offers are a public board; a supplier withdraws its own.
        Endpoint("POST", "/offers", roles(SUPPLIER), json=constant(offer_body())),
        Endpoint("GET", "/offers", signed_in()),
        Endpoint("GET", "/offers/{offer_id}", signed_in()),
        Endpoint(
            "POST",
            "/offers/{offer_id}/withdrawal",
            owned(SUPPLIER, by=(SUPPLIER_ORG,)),
            json=constant({"reason": "matrix"}),
            stale=True,
        ),
        # Matches: a supplier proposes itself for any ask; the ask's side names a supplier.
        Endpoint(
            "POST",
            "/matches",
            but(roles(SUPPLIER, VCFSE, CVS), vcfse=(OK, E403), cvs=(OK, E403)),
            json=a_proposal,
        ),
        Endpoint("GET", "/matches", listing(*ROLES)),
        Endpoint(
            "GET",
            "/matches/{match_id}",
            owned(*ROLES, by=(COUNCIL, SUPPLIER_ORG, VCFSE_ORG, CVS_ORG)),
        ),
        Endpoint(
            "POST",
            "/matches/{match_id}/acceptance",
            owned(SUPPLIER, VCFSE, CVS, by=(SUPPLIER_ORG, VCFSE_ORG, CVS_ORG)),
            stale=True,
        ),
        Endpoint(
            "POST",
            "/matches/{match_id}/decline",
            owned(SUPPLIER, VCFSE, CVS, by=(SUPPLIER_ORG, VCFSE_ORG, CVS_ORG)),
            json=constant({"reason": "matrix"}),
            stale=True,
        ),
        Endpoint(
            "POST",
            "/matches/{match_id}/deliveries",
            owned(SUPPLIER, by=(SUPPLIER_ORG,)),
            json=constant({"quantity": "1", "delivered_on": "2026-08-02"}),
            stale=True,
        ),
        Endpoint(
            "POST",
            "/matches/{match_id}/deliveries/{delivery_id}/confirmation",
            owned(VCFSE, CVS, by=(VCFSE_ORG, CVS_ORG)),
            stale=True,
        ),
        Endpoint(
            "POST",
            "/matches/{match_id}/deliveries/{delivery_id}/dispute",
            owned(VCFSE, CVS, by=(VCFSE_ORG, CVS_ORG)),
            json=constant({"reason": "matrix"}),
            stale=True,
        ),
        Endpoint("GET", "/board", but(listing(VCFSE, CVS), cvs=(OK, E404)), query=board_of),
        Endpoint("GET", "/opportunities", listing(SUPPLIER)),
        Endpoint("GET", "/obligations", listing(SUPPLIER, BUYER)),
        Endpoint("GET", "/shortfalls", listing(SUPPLIER, BUYER)),
    ],
    "reporting": [
        *DOCS,
        Endpoint("GET", "/contracts/{contract_id}/progress", owned(*PARTIES, by=CONTRACT_PARTIES)),
        Endpoint(
            "GET", "/contracts/{contract_id}/kpi-rating", owned(*PARTIES, by=CONTRACT_PARTIES)
        ),
        Endpoint(
            "GET",
            "/contracts/{contract_id}/performance-notice",
            owned(*PARTIES, by=CONTRACT_PARTIES),
        ),
        Endpoint("GET", "/contracts/{contract_id}/ocds", owned(*PARTIES, by=CONTRACT_PARTIES)),
        Endpoint("GET", "/portfolio", listing(*PARTIES)),
        Endpoint("GET", "/portfolio/by/{dimension}", listing(*PARTIES)),
        Endpoint("GET", "/portfolio/league-table", listing(*PARTIES)),
        Endpoint("GET", "/portfolio/kpi-ratings", listing(*PARTIES)),
        Endpoint("GET", "/portfolio/ocds", listing(*PARTIES)),
        # A supplier's standing: the supplier itself, and the buyers it works for.
        Endpoint("GET", "/suppliers/{supplier}/standing", owned(*PARTIES, by=CONTRACT_PARTIES)),
        Endpoint("GET", "/alerts", listing(*PARTIES)),
        Endpoint("GET", "/returns/late", listing(*PARTIES)),
        Endpoint("GET", "/stories", listing(*PARTIES)),
        # Progress on the caller's own organisation's pledge (council-a made one).
        Endpoint("GET", "/partner-vcfse", owned(*ROLES, by=(COUNCIL,))),
        # The portal: static files and sign-in, public by design (development sign-in is
        # refused outside development and test).
        Endpoint("GET", "/ui", public()),
        Endpoint("GET", "/ui/config.json", public()),
        Endpoint("GET", "/ui/vendor/plotly.min.js", public()),
        Endpoint("GET", "/ui/{path:path}", public()),
        Endpoint(
            "POST",
            "/ui/dev-token",
            public(),
            json=constant({"organisation": "council-a", "role": "buyer"}),
        ),
    ],
}

# Private ids of world A: another world's person must never see them in a list.
PRIVATE = (
    "draft_tender",
    "closed_bid",
    "open_bid",
    "contract_id",
    "obligation_id",
    "volunteering_obligation_id",
    "alert_id",
    "subscription_id",
    "match_id",
    "delivery_id",
)

# Cells that do not hold because of defects in services this work may not change: (service,
# method, path, role or "anonymous", world "a" or "b") -> the finding in /tmp/findings.
KNOWN_FAILURES: dict[tuple[str, str, str, str, str], str] = {}


# -- running it -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def world(module_nats: NatsServer, module_databases: Databases) -> AsyncIterator[World]:
    """World A's resources, once per backend."""
    clock = FixedClock.at(FIRST_DAY)
    async with running_services(module_nats, module_databases, clock) as clients:
        built = World(clients, clock)
        await build_world(built)
        built.ids.update(
            version="cm-toms-2023",
            code="NT1",
            organisation="council-a",
            supplier="supplier-a",
            vcfse="vcfse-a",
            cvs="cvs-a",
            dimension="theme",
            path="index.html",
        )
        yield built


def served_routes(service: str, directory: Path) -> set[tuple[str, str]]:
    """Every (method, path) the service's app serves, in its OpenAPI document or not."""
    main = importlib.import_module(f"{service}.main")
    load = importlib.import_module(f"{service}.settings").load_settings
    database = f"sqlite+aiosqlite:///{directory / 'unused.db'}"  # the app is built, not started
    app = main.create_app(load(database_url=database, environment="test"))
    return {(m, p) for m, p in _walk(app.routes, "") if m != "HEAD"}


def _walk(routes: list[Any], prefix: str) -> Iterator[tuple[str, str]]:
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _walk(included.routes, prefix + route.include_context.prefix)
        else:
            for method in getattr(route, "methods", None) or ():
                yield method, prefix + route.path


@pytest.mark.parametrize("service", SERVICES)
def test_every_endpoint_is_in_the_matrix(service: str, tmp_path: Path) -> None:
    served = served_routes(service, tmp_path)
    tabled = {(row.method, row.path) for row in MATRIX[service]}

    assert sorted(served - tabled) == [], "endpoints with no row in the authorization matrix"
    assert sorted(tabled - served) == [], "rows for endpoints the service no longer serves"


@dataclass
class Verdict:
    """What one caller was told, against what the table says."""

    row: Endpoint
    role: Role | None
    world: str
    expected: Outcome
    status: int
    leaked: list[str]
    detail: str

    @property
    def key(self) -> tuple[str, str, str, str]:
        """(method, path, caller, world)."""
        caller = self.role.value if self.role else "anonymous"
        return (self.row.method, self.row.path, caller, self.world)

    @property
    def holds(self) -> bool:
        """True when the caller was told what the table says."""
        status, expected = self.status, self.expected
        if expected is OK:
            # A redirect (the portal's /ui to /ui/) is an answer, not a refusal.
            allowed = (409, 412, 422) if self.row.method != "GET" else range(300, 400)
            return 200 <= status < 300 or status in allowed
        if expected is HIDDEN:
            return 200 <= status < 300 and not self.leaked
        return str(status) == expected.value

    def describe(self) -> str:
        """One line for the failure report."""
        method, path, caller, world = self.key
        told = f"{self.status}" + (f" leaking {self.leaked}" if self.leaked else "")
        who = f"{method} {path} as {caller} of world {world}"
        return f"{who}: expected {self.expected.value}, got {told}: {self.detail}"


async def ask(
    client: httpx.AsyncClient, row: Endpoint, role: Role | None, world: World, side: str
) -> Verdict:
    """Send the row's request as ``role``'s person in world ``side``."""
    call = Call(world.ids, side, role)
    headers = headers_of(role, side) | (STALE if row.stale else {})
    response = await client.request(
        row.method,
        row.url(world.ids),
        headers=headers,
        json=row.json(call) if row.json else None,
        files=row.files(call) if row.files else None,
        data=row.data(call) if row.data else None,
        params=row.query(call) if row.query else None,
    )
    own, other = row.access[role]
    expected = own if side == "a" else other
    leaked = [k for k in PRIVATE if k in world.ids and world.ids[k] in response.text]
    detail = (
        response.text[:200] if response.headers.get("content-type", "").endswith("json") else ""
    )
    return Verdict(
        row, role, side, expected, response.status_code, leaked if side == "b" else [], detail
    )


@pytest.mark.parametrize("service", SERVICES)
async def test_each_role_gets_what_the_matrix_says(service: str, world: World) -> None:
    client = world.clients[service]
    verdicts: list[Verdict] = []
    for row in MATRIX[service]:
        # Another world's people first: they must change nothing, whatever they send.
        for side in ("b", "a"):
            for role in CALLERS:
                verdicts.append(await ask(client, row, role, world, side))
    print_matrix(service, verdicts)

    wrong = [v for v in verdicts if not v.holds and (service, *v.key) not in KNOWN_FAILURES]
    fixed = [v for v in verdicts if v.holds and (service, *v.key) in KNOWN_FAILURES]
    report = [f"WRONG {v.describe()}" for v in wrong] + [
        f"FIXED, remove from KNOWN_FAILURES: {v.describe()}" for v in fixed
    ]
    assert report == [], "\n".join(report)


def print_matrix(service: str, verdicts: list[Verdict]) -> None:
    """The matrix as observed: per endpoint, each caller's status in world A / world B."""
    print(f"\n{service}: {'':60}" + " ".join(f"{(r.value if r else 'anon'):>9}" for r in CALLERS))
    by_row: dict[tuple[str, str], dict[tuple[Role | None, str], Verdict]] = {}
    for v in verdicts:
        by_row.setdefault((v.row.method, v.row.path), {})[(v.role, v.world)] = v
    for (method, path), cells in by_row.items():
        line = []
        for role in CALLERS:
            a, b = cells[(role, "a")], cells[(role, "b")]
            mark = "" if a.holds and b.holds else "!"
            line.append(f"{mark}{a.status}/{b.status}".rjust(9))
        print(f"  {method:6} {path:60}" + " ".join(line))
