"""Settings for the measurement service (``SVL_MEASUREMENT_*`` over ``SVL_*``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import Field
from svledger.settings import ServiceSettings

SERVICE = "measurement"
DEFAULT_PORT = 8102


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


def load_settings(**explicit: Any) -> MeasurementSettings:
    """Read the environment."""
    return MeasurementSettings.for_service(SERVICE, DEFAULT_PORT, **explicit)
