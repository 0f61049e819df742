"""Dependencies the commitments routes share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from commitments.bootstrap import Commitments


def get_service(request: Request) -> Commitments:
    """The wired service held by the app."""
    service: Commitments = request.app.state.service
    return service


ServiceDep = Annotated[Commitments, Depends(get_service)]
