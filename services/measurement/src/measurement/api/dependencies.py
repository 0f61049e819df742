"""Dependencies the measurement routes share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from measurement.bootstrap import Measurement


def get_service(request: Request) -> Measurement:
    """The wired service held by the app."""
    service: Measurement = request.app.state.service
    return service


ServiceDep = Annotated[Measurement, Depends(get_service)]
