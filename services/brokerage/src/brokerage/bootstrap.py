"""Wires the brokerage service together; tests pass their own settings and clock."""

from __future__ import annotations

from dataclasses import dataclass

from svledger.clock import Clock, system_clock
from svledger.database import Database
from svledger.eventstore import EventStore
from svledger.runtime import ServiceRuntime
from svledger.settings import ServiceSettings

from brokerage.application.context import Context
from brokerage.application.proposals import ReferralPolicy
from brokerage.consumers import consumers_for
from brokerage.settings import BrokerageSettings, load_settings


@dataclass
class Brokerage:
    """The running service: its runtime, and what its handlers work with."""

    runtime: ServiceRuntime
    context: Context

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
    if settings is None:
        settings = load_settings()
    elif not isinstance(settings, BrokerageSettings):
        settings = BrokerageSettings.model_validate(settings.model_dump())
    runtime = ServiceRuntime(settings, clock=clock)
    policy = ReferralPolicy(settings.proposals_per_alert, settings.referral_window_days)
    runtime.add_consumers(consumers_for(policy, clock))
    context = Context(store=runtime.store, clock=clock, places=tuple(settings.places))
    return Brokerage(runtime=runtime, context=context)
