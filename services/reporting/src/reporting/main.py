"""The reporting service app: ``uvicorn --factory reporting.main:create_app``."""

from __future__ import annotations

from fastapi import FastAPI
from svledger.clock import Clock, system_clock
from svledger.runtime import create_service_app
from svledger.settings import ServiceSettings

from reporting.api import alerts, progress
from reporting.bootstrap import bootstrap


def create_app(settings: ServiceSettings | None = None, clock: Clock = system_clock) -> FastAPI:
    """Build the app; the runtime starts in its lifespan."""
    service = bootstrap(settings, clock)
    return create_service_app(
        service.runtime,
        title="Social Value Ledger: reporting",
        description=(
            "Read models built from the other services' events: committed against delivered "
            "social value for each contract, and the accountability alerts to act on."
        ),
        routers=[progress.router, alerts.router],
        state={"service": service},
    )
