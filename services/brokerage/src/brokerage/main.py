"""The brokerage service app: ``uvicorn --factory brokerage.main:create_app``."""

from __future__ import annotations

from fastapi import FastAPI
from svledger.clock import Clock, system_clock
from svledger.runtime import create_service_app
from svledger.settings import ServiceSettings

from brokerage.api import (
    asks,
    boards,
    cvs,
    matches,
    needs,
    obligations,
    offers,
    organisations,
    shortfalls,
)
from brokerage.bootstrap import bootstrap


def create_app(settings: ServiceSettings | None = None, clock: Clock = system_clock) -> FastAPI:
    """Build the app; the runtime starts in its lifespan."""
    service = bootstrap(settings, clock)
    return create_service_app(
        service.runtime,
        title="Social Value Ledger: brokerage",
        description=(
            "Connects suppliers with VCFSE partners: a directory of organisations, local needs, "
            "asks and offers, explainable matching weighted by local need and supplier "
            "shortfall, and matches from proposal to delivery confirmed by the VCFSE."
        ),
        routers=[
            organisations.router,
            cvs.router,
            needs.router,
            asks.router,
            offers.router,
            matches.router,
            boards.router,
            obligations.router,
            shortfalls.router,
        ],
        state={"service": service},
    )
