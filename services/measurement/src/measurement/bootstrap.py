"""Wires the measurement service together; tests pass their own settings and clock."""

from __future__ import annotations

from dataclasses import dataclass

from svledger.clock import Clock, system_clock
from svledger.eventstore import EventStore
from svledger.runtime import ServiceRuntime
from svledger.settings import ServiceSettings

from measurement.consumers import CONSUMERS
from measurement.domain.assessment import Thresholds
from measurement.settings import MeasurementSettings, load_settings


@dataclass
class Measurement:
    """The running service: runtime, clock and the thresholds returns are assessed with."""

    runtime: ServiceRuntime
    clock: Clock
    thresholds: Thresholds

    @property
    def store(self) -> EventStore:
        """The service's event store."""
        return self.runtime.store


def bootstrap(settings: ServiceSettings | None = None, clock: Clock = system_clock) -> Measurement:
    """Build the service; nothing connects until the runtime starts."""
    settings = settings or load_settings()
    runtime = ServiceRuntime(settings, clock=clock)
    runtime.add_consumers(CONSUMERS)
    if isinstance(settings, MeasurementSettings):
        thresholds = Thresholds(settings.green_threshold, settings.amber_threshold)
    else:
        thresholds = Thresholds()
    return Measurement(runtime=runtime, clock=clock, thresholds=thresholds)
