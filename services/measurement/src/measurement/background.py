"""Work the measurement service does on its own: the overdue and escalation scheduler, and the
webhook dispatcher.

They run beside the relay and consumers. :class:`ServiceRuntime` has no public hook for extra
background tasks, so :class:`MeasurementRuntime` starts and stops its own (a hook that belongs
in ``svledger.runtime``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from svledger.clock import Clock, system_clock
from svledger.runtime import ServiceRuntime
from svledger.settings import ServiceSettings

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]


@dataclass
class Periodic:
    """A job run at start-up, then every ``interval_s`` or sooner when woken."""

    name: str
    job: Job
    interval_s: float
    wake: asyncio.Event | None = None

    async def run(self) -> None:
        """Run until cancelled; a failed run is logged and retried at the next tick."""
        while True:
            try:
                await self.job()
            except asyncio.CancelledError:
                raise
            except Exception:
                # A periodic job is retried on its next tick: its work stays in the database.
                log.exception(
                    "background job %s failed; retrying in %.1fs", self.name, self.interval_s
                )
            await self._pause()

    async def _pause(self) -> None:
        if self.wake is None:
            await asyncio.sleep(self.interval_s)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), timeout=self.interval_s)
        self.wake.clear()


class MeasurementRuntime(ServiceRuntime):
    """The shared runtime plus the service's periodic jobs."""

    def __init__(self, settings: ServiceSettings, *, clock: Clock = system_clock) -> None:
        super().__init__(settings, clock=clock)
        self.periodic: list[Periodic] = []
        self._jobs: list[asyncio.Task[None]] = []

    async def start(self, *, relay: bool | None = None, consumers: bool | None = None) -> None:
        """Start the shared parts, then the periodic jobs."""
        await super().start(relay=relay, consumers=consumers)
        for periodic in self.periodic:
            task = asyncio.create_task(periodic.run(), name=f"measurement:{periodic.name}")
            self._jobs.append(task)

    async def stop(self) -> None:
        """Stop the periodic jobs first, then the shared parts."""
        for task in self._jobs:
            task.cancel()
        await asyncio.gather(*self._jobs, return_exceptions=True)
        self._jobs.clear()
        await super().stop()
