"""Settings for the brokerage service (``SVL_BROKERAGE_*`` over ``SVL_*``)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field, field_validator
from svledger.settings import ServiceSettings

from brokerage.domain.rules import CHESHIRE_AND_MERSEYSIDE

SERVICE = "brokerage"
DEFAULT_PORT = 8103


class BrokerageSettings(ServiceSettings):
    """The shared settings, plus the places organisations serve and how alerts propose."""

    # SVL_BROKERAGE_PLACES: a JSON list, or names separated by semicolons.
    places: list[str] = Field(default_factory=lambda: list(CHESHIRE_AND_MERSEYSIDE), min_length=1)
    # How many matches one shortfall alert proposes, at most.
    proposals_per_alert: int = Field(default=3, ge=0, le=20)
    # An alert older than this (delivered late, or replayed) proposes nothing.
    referral_window_days: int = Field(default=90, ge=0)

    @field_validator("places", mode="before")
    @classmethod
    def _places_from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [p.strip() for p in text.split(";") if p.strip()]
        return value


def load_settings(**explicit: Any) -> BrokerageSettings:
    """Read the environment."""
    return BrokerageSettings.for_service(SERVICE, DEFAULT_PORT, **explicit)
