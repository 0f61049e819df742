"""The measurement service app: ``uvicorn --factory measurement.main:create_app``."""

from __future__ import annotations

from fastapi import FastAPI
from svledger.clock import Clock, system_clock
from svledger.runtime import create_service_app
from svledger.settings import ServiceSettings

from measurement.api import alerts, returns, webhooks
from measurement.bootstrap import bootstrap


def create_app(settings: ServiceSettings | None = None, clock: Clock = system_clock) -> FastAPI:
    """Build the app; the runtime (with the scheduler and webhook dispatcher) starts in its
    lifespan."""
    service = bootstrap(settings, clock)
    return create_service_app(
        service.runtime,
        title="Social Value Ledger: measurement",
        description=(
            "Return schedules, quarterly returns and their review, assessments, accountability "
            "alerts that escalate, and webhooks."
        ),
        routers=[returns.router, alerts.router, webhooks.router],
        state={"service": service},
    )
