"""Settings for the commitments service (``SVL_COMMITMENTS_*`` over ``SVL_*``)."""

from __future__ import annotations

from typing import Any

from svledger.settings import ServiceSettings

SERVICE = "commitments"
DEFAULT_PORT = 8101


def load_settings(**explicit: Any) -> ServiceSettings:
    """Read the environment."""
    return ServiceSettings.for_service(SERVICE, DEFAULT_PORT, **explicit)
