"""Wires the reporting service together; tests pass their own settings and clock."""

from __future__ import annotations

from dataclasses import dataclass

from svledger.clock import Clock, system_clock
from svledger.eventstore import EventStore
from svledger.runtime import ServiceRuntime
from svledger.settings import ServiceSettings

from reporting.adapters.read_models import ReadModels
from reporting.consumers import CONSUMERS
from reporting.settings import load_settings


@dataclass
class Reporting:
    """The running service: its runtime (with the consumers that project) and its read models."""

    runtime: ServiceRuntime
    read_models: ReadModels

    @property
    def store(self) -> EventStore:
        """The service's event store (it holds no events of its own, only consumer tracking)."""
        return self.runtime.store


def bootstrap(settings: ServiceSettings | None = None, clock: Clock = system_clock) -> Reporting:
    """Build the service; nothing connects until the runtime starts."""
    runtime = ServiceRuntime(settings or load_settings(), clock=clock)
    runtime.add_consumers(CONSUMERS)
    return Reporting(runtime=runtime, read_models=ReadModels(runtime.database))
