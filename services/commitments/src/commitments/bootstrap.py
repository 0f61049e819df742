"""Wires the commitments service together; tests pass their own settings and clock."""

from __future__ import annotations

from dataclasses import dataclass

from svledger.clock import Clock, system_clock
from svledger.eventstore import EventStore
from svledger.runtime import ServiceRuntime
from svledger.settings import ServiceSettings

from commitments.adapters.frameworks import Frameworks, load_default_framework
from commitments.adapters.read_models import ReadModels
from commitments.adapters.track_records import TrackRecords
from commitments.application.context import Context
from commitments.consumers import CONSUMERS
from commitments.settings import CommitmentsSettings, load_settings


@dataclass
class Commitments:
    """The running service: its runtime and what its handlers work with."""

    runtime: ServiceRuntime
    context: Context

    @property
    def store(self) -> EventStore:
        """The service's event store."""
        return self.runtime.store


def bootstrap(settings: ServiceSettings | None = None, clock: Clock = system_clock) -> Commitments:
    """Build the service; nothing connects until the runtime starts."""
    if settings is None:
        settings = load_settings()
    elif not isinstance(settings, CommitmentsSettings):
        settings = CommitmentsSettings.model_validate(settings.model_dump())
    runtime = ServiceRuntime(settings, clock=clock)
    runtime.add_consumers(CONSUMERS)
    context = Context(
        store=runtime.store,
        frameworks=Frameworks(load_default_framework()),
        read_models=ReadModels(runtime.database),
        track_records=TrackRecords(runtime.database),
        clock=clock,
        default_places=tuple(settings.default_places),
        proportionality_share=settings.proportionality_share,
        overpromise_multiple=settings.overpromise_multiple,
    )
    return Commitments(runtime=runtime, context=context)
