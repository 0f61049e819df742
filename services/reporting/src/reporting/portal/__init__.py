"""The web portal for contract managers, suppliers and VCFSE partners, served under ``/ui``.

Static pages and plain ES modules that call the four services' own JSON APIs with the person's
bearer token; charts by the plotly.js bundle inside the installed ``plotly`` package.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.routing import NoMatchFound
from svledger.settings import ServiceSettings

from reporting.portal.routes import CONFIG_ROUTE, portal_router
from reporting.portal.settings import PortalSettings

__all__ = ["PortalSettings", "mount", "portal_router"]


def mount(app: FastAPI, settings: ServiceSettings, portal: PortalSettings | None = None) -> None:
    """Serve the portal from ``app`` under ``/ui`` (once, however often it is called)."""
    try:
        app.url_path_for(CONFIG_ROUTE)
    except NoMatchFound:
        app.include_router(portal_router(settings, portal))
