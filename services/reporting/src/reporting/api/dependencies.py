"""Dependencies the reporting routes share: the service, who may read, and the export format."""

from __future__ import annotations

import enum
from typing import Annotated

from fastapi import Depends, Query, Request
from svledger.auth import Principal, Role
from svledger.web import CurrentPrincipal, require_roles

from reporting.bootstrap import Reporting


def get_service(request: Request) -> Reporting:
    """The wired service held by the app."""
    service: Reporting = request.app.state.service
    return service


ServiceDep = Annotated[Reporting, Depends(get_service)]

# A party to contracts, or an auditor of one: which contracts it sees is decided by
# organisation (those it let or supplies).
PartyDep = Annotated[Principal, Depends(require_roles(Role.BUYER, Role.SUPPLIER, Role.AUDITOR))]

# Anyone in an organisation may read what concerns the organisation itself (its pledge).
MemberDep = CurrentPrincipal


class Export(enum.StrEnum):
    """How a report is returned: JSON, or a file to download."""

    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"


ExportDep = Annotated[
    Export,
    Query(
        alias="format",
        description="json (the default), or csv or xlsx to download the report as a file",
    ),
]


def request_url(request: Request) -> str:
    """The URL the request was made to (an OCDS package's identifying URI)."""
    return str(request.url)


UrlDep = Annotated[str, Depends(request_url)]
