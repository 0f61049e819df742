"""Where the portal's browser code finds each service, and how people sign in.

Read from ``SVL_PORTAL_*`` variables. A service URL left unset is the same host the browser used
to reach the portal, on that service's port (``SVL_<SERVICE>_PORT``, else the port ``make run``
uses), so ``http://localhost:8104/ui/`` talks to ``http://localhost:8101`` and so on.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from pydantic_settings import BaseSettings, SettingsConfigDict
from svledger.bus import SERVICES
from svledger.cli import DEFAULT_PORTS


class PortalSettings(BaseSettings):
    """The portal's own settings: service base URLs and the OIDC client it signs in with."""

    model_config = SettingsConfigDict(env_prefix="SVL_PORTAL_", env_file=None, extra="ignore")

    commitments_url: str | None = None
    measurement_url: str | None = None
    brokerage_url: str | None = None
    reporting_url: str | None = None

    # OIDC authorization code flow with PKCE, run by the browser (a public client, no secret).
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_scope: str = "openid profile email"
    oidc_audience: str | None = None

    def service_urls(self, scheme: str, host: str, own_url: str) -> dict[str, str]:
        """Each service's base URL, as the browser should call it."""
        urls: dict[str, str] = {}
        for service in SERVICES:
            given: str | None = getattr(self, f"{service}_url")
            if given:
                urls[service] = given.rstrip("/")
            elif service == "reporting":
                urls[service] = own_url.rstrip("/")
            else:
                port = os.environ.get(f"SVL_{service.upper()}_PORT") or DEFAULT_PORTS[service]
                urls[service] = f"{scheme}://{host}:{port}"
        return urls

    def oidc(self) -> dict[str, str] | None:
        """The OIDC client the browser signs in with, when the deployment configured one."""
        if not (self.oidc_issuer and self.oidc_client_id):
            return None
        found = {
            "issuer": self.oidc_issuer.rstrip("/"),
            "client_id": self.oidc_client_id,
            "scope": self.oidc_scope,
        }
        if self.oidc_audience:
            found["audience"] = self.oidc_audience
        return found


def origin(url: str) -> str | None:
    """``scheme://host[:port]`` of an absolute URL, or None for a relative one."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"
