"""Wires the brokerage service together; tests pass their own settings and clock."""

from __future__ import annotations

from dataclasses import dataclass

from svledger.clock import Clock, system_clock
from svledger.database import Database
from svledger.eventstore import EventStore
from svledger.runtime import ServiceRuntime
from svledger.settings import ServiceSettings

from brokerage.consumers import CONSUMERS
from brokerage.settings import load_settings


@dataclass
class Brokerage:
    """The running service: its runtime, with the consumers that keep its read models."""

    runtime: ServiceRuntime

    @property
    def store(self) -> EventStore:
        """The service's event store."""
        return self.runtime.store

    @property
    def database(self) -> Database:
        """The service's database, where its read models live."""
        return self.runtime.database


def bootstrap(settings: ServiceSettings | None = None, clock: Clock = system_clock) -> Brokerage:
    """Build the service; nothing connects until the runtime starts."""
    runtime = ServiceRuntime(settings or load_settings(), clock=clock)
    runtime.add_consumers(CONSUMERS)
    return Brokerage(runtime=runtime)
