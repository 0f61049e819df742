"""Settings for the commitments service (``SVL_COMMITMENTS_*`` over ``SVL_*``)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from pydantic import Field, field_validator
from svledger.settings import ServiceSettings

from commitments.domain.tender import CHESHIRE_AND_MERSEYSIDE

SERVICE = "commitments"
DEFAULT_PORT = 8101


class CommitmentsSettings(ServiceSettings):
    """The shared settings, plus the places tenders serve, the proportionality threshold and
    the over-promise multiple."""

    # SVL_COMMITMENTS_DEFAULT_PLACES: a JSON list, or names separated by semicolons.
    default_places: list[str] = Field(default_factory=lambda: list(CHESHIRE_AND_MERSEYSIDE))
    # An offer whose proxy value passes this share of the contract value gets a warning.
    proportionality_share: Decimal = Field(default=Decimal("0.5"), gt=0)
    # SVL_COMMITMENTS_OVERPROMISE_MULTIPLE: a bid's commitment is flagged when its busiest
    # quarter is more than this many times the supplier's best delivered quarter on the measure.
    overpromise_multiple: Decimal = Field(default=Decimal("1.5"), gt=0, max_digits=8)

    @field_validator("default_places", mode="before")
    @classmethod
    def _places_from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [p.strip() for p in text.split(";") if p.strip()]
        return value


def load_settings(**explicit: Any) -> CommitmentsSettings:
    """Read the environment."""
    return CommitmentsSettings.for_service(SERVICE, DEFAULT_PORT, **explicit)
