"""The reporting app with the portal: ``uvicorn --factory reporting.portal.app:create_app``."""

from __future__ import annotations

from fastapi import FastAPI
from svledger.clock import Clock, system_clock
from svledger.settings import ServiceSettings

from reporting.main import create_app as create_reporting_app
from reporting.portal import mount


def create_app(settings: ServiceSettings | None = None, clock: Clock = system_clock) -> FastAPI:
    """The reporting service's app, serving the portal under ``/ui`` as well."""
    app = create_reporting_app(settings, clock)
    mount(app, app.state.runtime.settings)
    return app
