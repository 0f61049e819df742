"""The reporting service app: ``uvicorn --factory reporting.main:create_app``."""

from __future__ import annotations

from fastapi import FastAPI
from svledger.clock import Clock, system_clock
from svledger.runtime import create_service_app
from svledger.settings import ServiceSettings

from reporting.api import alerts, contracts, pledges, portfolio, progress, returns
from reporting.bootstrap import bootstrap
from reporting.portal import portal_router


def create_app(settings: ServiceSettings | None = None, clock: Clock = system_clock) -> FastAPI:
    """Build the app; the runtime starts in its lifespan."""
    service = bootstrap(settings, clock)
    return create_service_app(
        service.runtime,
        title="Social Value Ledger: reporting",
        description=(
            "Read models built from the other services' events: committed against delivered "
            "social value by contract, measure, outcome, theme, supplier, place and period; "
            "alerts and late returns; stories; Partner VCFSE progress; Procurement Act KPI "
            "ratings; OCDS release packages. Every report is JSON by default, and CSV or XLSX "
            "with ?format=csv or ?format=xlsx."
        ),
        routers=[
            progress.router,
            contracts.router,
            portfolio.router,
            alerts.router,
            returns.router,
            pledges.router,
            portal_router(service.runtime.settings),
        ],
        state={"service": service},
    )
