"""The commitments service app: ``uvicorn --factory commitments.main:create_app``."""

from __future__ import annotations

from fastapi import FastAPI
from svledger.clock import Clock, system_clock
from svledger.runtime import create_service_app
from svledger.settings import ServiceSettings

from commitments.api import (
    bids,
    catalogue,
    contracts,
    frameworks,
    pledges,
    policies,
    tenders,
    track_records,
)
from commitments.bootstrap import bootstrap


def create_app(settings: ServiceSettings | None = None, clock: Clock = system_clock) -> FastAPI:
    """Build the app; the runtime starts in its lifespan."""
    service = bootstrap(settings, clock)
    return create_service_app(
        service.runtime,
        title="Social Value Ledger: commitments",
        description=(
            "Frameworks, policies, tenders, bids, contracts and the social value obligations "
            "they carry, Partner VCFSE pledges, and suppliers' track records."
        ),
        routers=[
            frameworks.router,
            policies.router,
            tenders.router,
            bids.router,
            contracts.router,
            pledges.router,
            track_records.router,
            catalogue.router,
        ],
        state={"service": service},
    )
