"""Wires the commitments service together; tests pass their own settings and clock."""

from __future__ import annotations

from dataclasses import dataclass

from svledger.clock import Clock, system_clock
from svledger.eventstore import EventStore
from svledger.runtime import ServiceRuntime
from svledger.settings import ServiceSettings

from commitments.adapters.frameworks import load_default_framework
from commitments.consumers import CONSUMERS
from commitments.domain.framework import Framework
from commitments.settings import load_settings


@dataclass
class Commitments:
    """The running service: its runtime and the frameworks it validates against."""

    runtime: ServiceRuntime
    framework: Framework

    @property
    def store(self) -> EventStore:
        """The service's event store."""
        return self.runtime.store


def bootstrap(settings: ServiceSettings | None = None, clock: Clock = system_clock) -> Commitments:
    """Build the service; nothing connects until the runtime starts."""
    runtime = ServiceRuntime(settings or load_settings(), clock=clock)
    runtime.add_consumers(CONSUMERS)
    return Commitments(runtime=runtime, framework=load_default_framework())
