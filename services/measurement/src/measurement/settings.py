"""Settings for the measurement service (``SVL_MEASUREMENT_*`` over ``SVL_*``)."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any, Self

from cryptography.fernet import Fernet
from pydantic import Field, model_validator
from svledger.settings import ServiceSettings

SERVICE = "measurement"
DEFAULT_PORT = 8102

# Published in the source, so it protects nothing: production refuses it, as svledger refuses
# the development JWT secret.
DEV_WEBHOOK_SECRET_KEY = base64.urlsafe_b64encode(b"svl-dev-webhook-key-not-for-prod").decode()


class MeasurementSettings(ServiceSettings):
    """Adds the RAG thresholds, escalation, the overdue scheduler and webhook delivery."""

    green_threshold: Decimal = Decimal("0.95")
    amber_threshold: Decimal = Decimal("0.80")
    escalate_after_days: int = Field(default=7, ge=1, description="unacknowledged alert escalates")
    scheduler_interval_s: float = Field(default=60.0, gt=0, description="overdue and escalation")
    run_scheduler: bool = True
    run_webhooks: bool = True
    webhook_poll_s: float = Field(default=1.0, gt=0)
    webhook_timeout_s: float = Field(default=5.0, gt=0)
    webhook_max_attempts: int = Field(default=6, ge=1)
    webhook_backoff_s: tuple[float, ...] = (5.0, 30.0, 120.0, 600.0, 3600.0)
    webhook_allow_http: bool | None = Field(
        default=None,
        description="plain http:// webhook URLs; unset: allowed in development and test only",
    )
    webhook_allow_private_networks: bool = Field(
        default=False,
        description="let webhooks reach loopback, private and link-local addresses (tests only)",
    )
    webhook_secret_key: str = Field(
        default=DEV_WEBHOOK_SECRET_KEY,
        description="Fernet key (Fernet.generate_key()) that seals webhook secrets at rest",
    )
    webhook_previous_secret_keys: list[str] = Field(
        default=[], description="keys sealed with before a rotation, still opened"
    )

    @model_validator(mode="after")
    def _refuse_unusable_webhook_keys(self) -> Self:
        for key in (self.webhook_secret_key, *self.webhook_previous_secret_keys):
            try:
                Fernet(key)
            except ValueError:
                raise ValueError(
                    "SVL_MEASUREMENT_WEBHOOK_SECRET_KEY (and each previous key) must be a Fernet "
                    "key: 32 url-safe base64-encoded bytes, as Fernet.generate_key() makes"
                ) from None
        if self.environment == "production" and self.webhook_secret_key == DEV_WEBHOOK_SECRET_KEY:
            raise ValueError(
                "SVL_MEASUREMENT_WEBHOOK_SECRET_KEY is the development key: set a key of your "
                "own (Fernet.generate_key()) so webhook secrets are sealed with a key nobody "
                "else knows"
            )
        return self

    @property
    def webhooks_may_use_http(self) -> bool:
        """Whether plain http webhook URLs are allowed: as set, else outside production."""
        if self.webhook_allow_http is not None:
            return self.webhook_allow_http
        return self.environment != "production"


def load_settings(**explicit: Any) -> MeasurementSettings:
    """Read the environment."""
    return MeasurementSettings.for_service(SERVICE, DEFAULT_PORT, **explicit)
