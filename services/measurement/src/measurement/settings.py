"""Settings for the measurement service (``SVL_MEASUREMENT_*`` over ``SVL_*``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from svledger.settings import ServiceSettings

SERVICE = "measurement"
DEFAULT_PORT = 8102


class MeasurementSettings(ServiceSettings):
    """Adds the RAG thresholds (cumulative delivery ratios)."""

    green_threshold: Decimal = Decimal("0.95")
    amber_threshold: Decimal = Decimal("0.80")


def load_settings(**explicit: Any) -> MeasurementSettings:
    """Read the environment."""
    return MeasurementSettings.for_service(SERVICE, DEFAULT_PORT, **explicit)
