"""Wires the measurement service together; tests pass their own settings and clock."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from svledger.clock import Clock, system_clock
from svledger.eventstore import EventStore
from svledger.settings import ServiceSettings

from measurement.adapters.projections import WEBHOOKS_QUEUED
from measurement.adapters.read_models import open_alerts_metrics
from measurement.adapters.webhook_secrets import SecretBox
from measurement.adapters.webhook_targets import WebhookTargets
from measurement.application.alerts import escalate_alerts
from measurement.application.schedules import check_pledges, detect_overdue_returns
from measurement.application.webhooks import WebhookDispatcher
from measurement.background import MeasurementRuntime, Periodic
from measurement.consumers import consumers_for
from measurement.domain.assessment import Thresholds
from measurement.settings import MeasurementSettings, load_settings


@dataclass
class Measurement:
    """The running service: runtime, clock, thresholds, and the jobs it runs on its own."""

    runtime: MeasurementRuntime
    clock: Clock
    thresholds: Thresholds
    settings: MeasurementSettings
    webhooks: WebhookDispatcher
    webhook_targets: WebhookTargets
    webhook_secrets: SecretBox

    @property
    def store(self) -> EventStore:
        """The service's event store."""
        return self.runtime.store

    async def check_schedules(self) -> int:
        """One run of the scheduler: overdue returns, pledges behind, then escalations; how
        many events it recorded."""
        overdue = await detect_overdue_returns(self.store, self.clock)
        pledged = await check_pledges(self.store, self.clock, self.thresholds)
        escalated = await escalate_alerts(self.store, self.clock, self.settings.escalate_after_days)
        return overdue + pledged + escalated


def bootstrap(settings: ServiceSettings | None = None, clock: Clock = system_clock) -> Measurement:
    """Build the service; nothing connects until the runtime starts."""
    settings = settings or load_settings()
    if not isinstance(settings, MeasurementSettings):
        settings = MeasurementSettings(**settings.model_dump())
    runtime = MeasurementRuntime(settings, clock=clock)
    thresholds = Thresholds(settings.green_threshold, settings.amber_threshold)
    runtime.add_consumers(consumers_for(clock, thresholds))
    runtime.metric_sources.append(lambda: open_alerts_metrics(runtime.database))
    targets = WebhookTargets(
        allow_http=settings.webhooks_may_use_http,
        allow_private_networks=settings.webhook_allow_private_networks,
    )
    box = SecretBox(settings.webhook_secret_key, settings.webhook_previous_secret_keys)
    service = Measurement(
        runtime=runtime,
        clock=clock,
        thresholds=thresholds,
        settings=settings,
        webhooks=WebhookDispatcher(
            runtime.database,
            targets,
            box,
            timeout_s=settings.webhook_timeout_s,
            max_attempts=settings.webhook_max_attempts,
            backoff_s=settings.webhook_backoff_s,
        ),
        webhook_targets=targets,
        webhook_secrets=box,
    )
    if settings.run_scheduler:
        runtime.periodic.append(
            Periodic("scheduler", service.check_schedules, settings.scheduler_interval_s)
        )
    if settings.run_webhooks:
        wake = asyncio.Event()
        # Woken by commits that queued deliveries, not by every commit: a pass reads the
        # database, and under load nearly every moment has a commit. Deliveries queued by
        # another replica, and retries, are found by the poll.
        runtime.store.on_commit(wake.set, signal=WEBHOOKS_QUEUED)
        runtime.periodic.append(
            Periodic("webhooks", service.webhooks.deliver_due, settings.webhook_poll_s, wake)
        )
    return service
