"""Settings for the reporting service (``SVL_REPORTING_*`` over ``SVL_*``)."""

from __future__ import annotations

from typing import Any

from svledger.settings import ServiceSettings

SERVICE = "reporting"
DEFAULT_PORT = 8104


def load_settings(**explicit: Any) -> ServiceSettings:
    """Read the environment."""
    return ServiceSettings.for_service(SERVICE, DEFAULT_PORT, **explicit)
