"""Settings for the brokerage service (``SVL_BROKERAGE_*`` over ``SVL_*``)."""

from __future__ import annotations

from typing import Any

from svledger.settings import ServiceSettings

SERVICE = "brokerage"
DEFAULT_PORT = 8103


def load_settings(**explicit: Any) -> ServiceSettings:
    """Read the environment."""
    return ServiceSettings.for_service(SERVICE, DEFAULT_PORT, **explicit)
