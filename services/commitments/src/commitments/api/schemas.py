"""Request and response pieces several routers share."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from commitments.domain.profile import DeliveryProfile, ProfileKind

Quantity = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=4)]
Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class ProfileIn(BaseModel):
    """How a total is spread over quarters: even by days, or weighted per year or quarter."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["even", "annual", "quarterly"] = "even"
    weights: dict[str, Quantity] = Field(
        default_factory=dict,
        description="annual: per financial year (2026-27); quarterly: per quarter (2026-27-Q1)",
    )

    def profile(self) -> DeliveryProfile:
        """The domain's view."""
        return DeliveryProfile(ProfileKind(self.kind), dict(self.weights))


class RuleWarningOut(BaseModel):
    """A rule of good practice the input bends: recorded, not refused."""

    code: str
    field: str
    message: str
