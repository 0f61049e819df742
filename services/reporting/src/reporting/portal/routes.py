"""The portal's routes: its pages and scripts, the charting library, config, dev sign-in.

Everything the pages show comes from the services' own JSON APIs, called by the browser with
the signed-in person's bearer token; these routes only deliver the files and tell the browser
where the APIs are.
"""

from __future__ import annotations

import importlib.resources
import mimetypes
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from svledger.auth import Role, issue_dev_token
from svledger.errors import NotFound
from svledger.settings import ServiceSettings

from reporting.portal.settings import PortalSettings, origin

PREFIX = "/ui"
CONFIG_ROUTE = "portal-config"
STATIC = Path(__file__).parent / "static"
DEV_TOKEN_TTL_S = 8 * 3600
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
}


class DevSignInIn(BaseModel):
    """Who to be while developing: an organisation, one role, and a user id."""

    model_config = ConfigDict(extra="forbid")

    organisation: str = Field(
        min_length=1, max_length=150, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]*$"
    )
    role: Role
    subject: str = Field(default="", max_length=200)


class DevTokenOut(BaseModel):
    """A development token and what it says."""

    token: str
    organisation: str
    roles: list[str]
    subject: str
    expires_in: int


def portal_router(settings: ServiceSettings, portal: PortalSettings | None = None) -> APIRouter:
    """The portal under ``/ui``; ``settings`` are the reporting service's own."""
    portal = portal or PortalSettings()
    router = APIRouter(prefix=PREFIX, include_in_schema=False)
    development = settings.environment in ("development", "test")

    @router.get("", summary="The portal")
    async def portal_root() -> RedirectResponse:
        """Pages resolve their files relative to ``/ui/``."""
        return RedirectResponse(f"{PREFIX}/", status_code=308)

    @router.get("/config.json", name=CONFIG_ROUTE, summary="Where the APIs are and how to sign in")
    async def config(request: Request) -> JSONResponse:
        """Each service's base URL, and the sign-in the deployment offers."""
        body = _config(request, settings, portal, development)
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    @router.post("/dev-token", summary="Sign in for development")
    async def dev_token(body: DevSignInIn) -> JSONResponse:
        """A development token for the organisation and role chosen (not in production)."""
        if not development:
            raise NotFound("development sign-in is not offered here")
        subject = body.subject.strip() or f"{body.role.value}@{body.organisation}"
        token = issue_dev_token(
            settings,
            subject=subject,
            organisation=body.organisation,
            roles=[body.role.value],
            ttl_s=DEV_TOKEN_TTL_S,
        )
        out = DevTokenOut(
            token=token,
            organisation=body.organisation,
            roles=[body.role.value],
            subject=subject,
            expires_in=DEV_TOKEN_TTL_S,
        )
        return JSONResponse(out.model_dump(), headers={"Cache-Control": "no-store"})

    @router.get("/vendor/plotly.min.js", summary="The charting library")
    async def plotly() -> Response:
        """plotly.js as shipped inside the installed ``plotly`` package: no CDN, no copy."""
        bundle = importlib.resources.files("plotly") / "package_data" / "plotly.min.js"
        headers = {"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"}
        if isinstance(bundle, Path):
            return FileResponse(bundle, media_type=MEDIA_TYPES[".js"], headers=headers)
        return Response(bundle.read_bytes(), media_type=MEDIA_TYPES[".js"], headers=headers)

    @router.get("/{path:path}", summary="A page, script or stylesheet")
    async def static(path: str, request: Request) -> Response:
        """A file of the portal; the page itself for ``/ui/``."""
        found = _static_file(path or "index.html")
        headers = {
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        }
        if found.suffix == ".html":
            headers["Content-Security-Policy"] = _content_security_policy(request, portal)
        media_type = MEDIA_TYPES.get(found.suffix) or mimetypes.guess_type(found.name)[0]
        return FileResponse(found, media_type=media_type, headers=headers)

    return router


def _static_file(path: str) -> Path:
    root = STATIC.resolve()
    found = (root / path).resolve()
    if not found.is_relative_to(root) or not found.is_file():
        raise NotFound(f"the portal has no file {path}")
    return found


def _service_urls(request: Request, portal: PortalSettings) -> dict[str, str]:
    host = request.url.hostname or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    own = str(request.base_url).rstrip("/")
    return portal.service_urls(request.url.scheme, host, own)


def _config(
    request: Request, settings: ServiceSettings, portal: PortalSettings, development: bool
) -> dict[str, Any]:
    return {
        "environment": settings.environment,
        "services": _service_urls(request, portal),
        "sign_in": {
            "development": development,
            "roles": [r.value for r in Role],
            "oidc": portal.oidc(),
        },
    }


def _content_security_policy(request: Request, portal: PortalSettings) -> str:
    """Scripts only from the portal; API calls only to the services (and the OIDC issuer)."""
    connect = {"'self'"}
    for url in _service_urls(request, portal).values():
        if (found := origin(url)) is not None:
            connect.add(found)
    oidc = portal.oidc()
    if oidc is not None and (found := origin(oidc["issuer"])) is not None:
        connect.add(found)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            # plotly sets inline styles on the elements it draws
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            f"connect-src {' '.join(sorted(connect))}",
            "object-src 'none'",
            "base-uri 'self'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ]
    )
