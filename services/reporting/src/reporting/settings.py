"""Settings for the reporting service (``SVL_REPORTING_*`` over ``SVL_*``).

Besides what every service reads, reporting reads the Procurement Act KPI rating rule's
thresholds (see :mod:`reporting.domain.kpi`) and how its OCDS releases identify themselves.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import Field
from svledger.settings import ServiceSettings

from reporting.domain.kpi import Bands, Basis, KpiRule

SERVICE = "reporting"
DEFAULT_PORT = 8104


class ReportingSettings(ServiceSettings):
    """What the reporting service needs beyond the common settings."""

    # One KPI's delivery ratio over the period assessed: Good, Approaching, Requires improvement.
    kpi_good: Decimal = Field(default=Decimal("0.95"), ge=0)
    kpi_approaching: Decimal = Field(default=Decimal("0.80"), ge=0)
    kpi_requires_improvement: Decimal = Field(default=Decimal("0.50"), ge=0)
    # Target-based contract rating: the share of KPIs on track.
    kpi_share_good: Decimal = Field(default=Decimal("1"), ge=0)
    kpi_share_approaching: Decimal = Field(default=Decimal("0.75"), ge=0)
    kpi_share_requires_improvement: Decimal = Field(default=Decimal("0.50"), ge=0)
    # Value-based contract rating: delivered over committed (GBP, or capped units).
    kpi_value_good: Decimal = Field(default=Decimal("0.95"), ge=0)
    kpi_value_approaching: Decimal = Field(default=Decimal("0.80"), ge=0)
    kpi_value_requires_improvement: Decimal = Field(default=Decimal("0.50"), ge=0)
    kpi_quarters: int = Field(default=4, ge=1, le=12)
    # Which variant a contract performance notice carries.
    kpi_basis: Basis = Basis.TARGET
    # The OCDS prefix registered for this publisher (https://standard.open-contracting.org).
    ocds_prefix: str = "ocds-svl000"

    def kpi_rule(self) -> KpiRule:
        """The KPI rating rule these settings configure."""
        return KpiRule(
            kpi=Bands(self.kpi_good, self.kpi_approaching, self.kpi_requires_improvement),
            target_based=Bands(
                self.kpi_share_good,
                self.kpi_share_approaching,
                self.kpi_share_requires_improvement,
            ),
            value_based=Bands(
                self.kpi_value_good,
                self.kpi_value_approaching,
                self.kpi_value_requires_improvement,
            ),
            quarters=self.kpi_quarters,
            basis=self.kpi_basis,
        )


def load_settings(**explicit: Any) -> ReportingSettings:
    """Read the environment."""
    return ReportingSettings.for_service(SERVICE, DEFAULT_PORT, **explicit)


def reporting_settings(settings: ServiceSettings | None) -> ReportingSettings:
    """The reporting settings, from common settings if that is what was given."""
    if settings is None:
        return load_settings()
    if isinstance(settings, ReportingSettings):
        return settings
    return load_settings(**settings.model_dump())
