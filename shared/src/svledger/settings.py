"""Settings shared by every service, read from the environment (``SVL_`` prefix)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "svl-development-secret-do-not-use-in-production"


class ServiceSettings(BaseSettings):
    """What a service needs to run; each service subclasses it to set its own name and port."""

    model_config = SettingsConfigDict(env_prefix="SVL_", env_file=None, extra="ignore")

    service: str = "service"
    environment: Literal["development", "test", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str = ""
    nats_url: str = "nats://127.0.0.1:4222"
    var_dir: Path = Path("var")

    # Identity: HS256 with a shared secret locally; an OIDC issuer's JWKS in production.
    jwt_secret: str = DEV_SECRET
    jwt_issuer: str = "svl-dev"
    jwt_audience: str = "social-value-ledger"
    jwks_url: str | None = None
    # An unknown key id refetches the JWKS at most this often (rotation vs. refetch floods).
    jwks_refresh_cooldown_s: float = Field(default=10.0, ge=0)

    # Browser origins allowed to call the API (the portal is served by the reporting service).
    cors_origins: list[str] = Field(
        default_factory=lambda: ["http://127.0.0.1:8104", "http://localhost:8104"]
    )

    run_relay: bool = True
    run_consumers: bool = True
    log_level: str = "INFO"
    log_json: bool = True
    traces: Literal["off", "console", "otlp"] = "off"
    # Writes per minute per organisation (per replica), and the burst allowed; 0 turns it off.
    writes_per_minute: int = Field(default=600, ge=0)
    write_burst: int = Field(default=100, ge=1)
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)

    @model_validator(mode="after")
    def _refuse_dev_secret_outside_development(self) -> ServiceSettings:
        if (
            self.environment == "production"
            and self.jwks_url is None
            and (self.jwt_secret == DEV_SECRET or len(self.jwt_secret) < 32)
        ):
            raise ValueError(
                "SVL_JWT_SECRET is the development secret (or shorter than 32 characters): "
                "set SVL_JWKS_URL for your OIDC issuer, or a strong SVL_JWT_SECRET"
            )
        return self

    @classmethod
    def for_service(cls, service: str, default_port: int, **explicit: Any) -> Self:
        """Settings for one service: ``SVL_<SERVICE>_*`` variables override the common ``SVL_*``.

        ``SVL_COMMITMENTS_DATABASE_URL`` sets the commitments database while ``SVL_NATS_URL``
        serves all four services.
        """
        prefix = f"SVL_{service.upper()}_"
        own = {k[len(prefix) :].lower(): v for k, v in os.environ.items() if k.startswith(prefix)}
        values: dict[str, Any] = {"service": service, "port": default_port} | own | explicit
        return cls(**values)

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file per service under ``var/``."""
        if self.database_url:
            return self.database_url
        self.var_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{(self.var_dir / f'{self.service}.db').resolve()}"
