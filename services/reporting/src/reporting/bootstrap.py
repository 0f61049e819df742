"""Wires the reporting service together; tests pass their own settings and clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from svledger.clock import Clock, system_clock
from svledger.eventstore import EventStore
from svledger.runtime import ServiceRuntime
from svledger.settings import ServiceSettings

from reporting.adapters.read_models import ReadModels
from reporting.consumers import CONSUMERS
from reporting.domain.kpi import KpiRule
from reporting.settings import ReportingSettings, reporting_settings


@dataclass
class Reporting:
    """The running service: its runtime (with the consumers that project) and its read models."""

    runtime: ServiceRuntime
    read_models: ReadModels
    settings: ReportingSettings
    clock: Clock

    @property
    def store(self) -> EventStore:
        """The service's event store (it holds no events of its own, only consumer tracking)."""
        return self.runtime.store

    @property
    def kpi_rule(self) -> KpiRule:
        """The configured Procurement Act KPI rating rule."""
        return self.settings.kpi_rule()

    def now(self) -> datetime:
        """The service's time (injectable, so reports can be made as of another day)."""
        return self.clock()


def bootstrap(settings: ServiceSettings | None = None, clock: Clock = system_clock) -> Reporting:
    """Build the service; nothing connects until the runtime starts."""
    config = reporting_settings(settings)
    config.kpi_rule()  # refuse thresholds that contradict each other at start-up
    runtime = ServiceRuntime(config, clock=clock)
    runtime.add_consumers(CONSUMERS)
    return Reporting(
        runtime=runtime, read_models=ReadModels(runtime.database), settings=config, clock=clock
    )
