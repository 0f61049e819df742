"""A service's running parts (database, event store, NATS, relay, consumers) and its web app.

Each service's ``bootstrap`` builds a :class:`ServiceRuntime`; ``main`` wraps it in an app whose
lifespan starts and stops it. ``svl worker`` runs the same runtime without HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse
from nats.aio.client import Client as NATS
from sqlalchemy import text

from svledger.auth import TokenVerifier
from svledger.bus import connect, provision
from svledger.clock import Clock, system_clock
from svledger.collector import collecting_less_often
from svledger.consumers import Consumer, ConsumerRunner
from svledger.context import RequestContext
from svledger.database import Database
from svledger.eventstore import EventStore, Upcasters
from svledger.idempotency import IdempotencyKeys
from svledger.logs import configure_logging
from svledger.metrics import MeasureRequests, MetricSource, RequestMetrics
from svledger.ratelimit import WriteLimiter
from svledger.relay import Relay
from svledger.settings import ServiceSettings
from svledger.telemetry import configure_tracing
from svledger.web import (
    PROBLEM_RESPONSES,
    BodySizeLimit,
    RefuseNulCharacters,
    document_problems,
    install_problem_handlers,
    limit_writes,
)

log = logging.getLogger(__name__)

# Allocations between the collector's passes over the youngest objects, while a runtime runs
# (see svledger.collector). A report over a national buyer's contracts makes a few hundred
# thousand objects that live until it is sent: at Python's default of 700, walking them again
# and again was a fifth of the breakdown by supplier.
_ALLOCATIONS_BETWEEN_COLLECTIONS = 50_000


class ServiceRuntime:
    """Everything a service runs besides HTTP: store, bus connection, relay and consumers."""

    def __init__(
        self,
        settings: ServiceSettings,
        *,
        upcasters: Upcasters | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.database = Database(settings.resolved_database_url())
        self.store = EventStore(self.database, upcasters=upcasters, clock=clock)
        self.idempotency = IdempotencyKeys(self.database, clock)
        self.consumers: list[Consumer] = []
        self.nc: NATS | None = None
        self.relay: Relay | None = None
        self.runners: list[ConsumerRunner] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.requests = RequestMetrics()
        # Service-specific figures for /metrics (e.g. measurement's open alerts by kind).
        self.metric_sources: list[MetricSource] = []
        self._collector = contextlib.ExitStack()

    def add_consumers(self, consumers: Sequence[Consumer]) -> None:
        """Register the consumers this service runs."""
        self.consumers.extend(consumers)

    async def start(self, *, relay: bool | None = None, consumers: bool | None = None) -> None:
        """Connect to NATS, make sure streams and consumers exist, start relay and consumers."""
        settings = self.settings
        self.nc = await connect(settings.nats_url, name=settings.service)
        js = self.nc.jetstream()
        await provision(js, consumers=[c.spec for c in self.consumers], update_streams=False)
        if settings.run_relay if relay is None else relay:
            self.relay = Relay(self.store, js, settings.service)
            self._spawn(self.relay.run(), "relay")
        if settings.run_consumers if consumers is None else consumers:
            for consumer in self.consumers:
                runner = ConsumerRunner(self.store, self.nc, consumer)
                self.runners.append(runner)
                self._spawn(runner.run(), consumer.name)
        # What start-up made (modules, models, routes, pools) lives as long as the process: set
        # it aside, so that the collector's full passes walk only what requests and events make.
        gc.collect()
        gc.freeze()
        self._collector.enter_context(collecting_less_often(_ALLOCATIONS_BETWEEN_COLLECTIONS))

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.create_task(coro, name=f"{self.settings.service}:{name}")
        task.add_done_callback(_report_crash)
        self._tasks.append(task)

    async def stop(self) -> None:
        """Stop background work, close NATS and the database."""
        # A process that starts runtimes again (tests) keeps no garbage for good, and collects
        # as it did before.
        gc.unfreeze()
        self._collector.close()
        if self.relay is not None:
            await self.relay.stop()
        for runner in self.runners:
            runner.stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self.runners.clear()
        if self.nc is not None and not self.nc.is_closed:
            # close, not drain: our tasks are stopped and acks were synchronous, and a drain
            # waits out outstanding pull requests, which stalls shutdown for seconds.
            with contextlib.suppress(Exception):
                await self.nc.close()
        await self.database.dispose()

    async def metrics_text(self) -> str:
        """The service's operational figures in Prometheus text format."""
        service = self.settings.service
        lines: list[str] = []

        def gauge(name: str, help_text: str, samples: list[tuple[str, float]]) -> None:
            lines.append(f"# HELP {name} {help_text}")
            lines.append(f"# TYPE {name} gauge")
            lines.extend(f"{name}{{{labels}}} {value:g}" for labels, value in samples)

        if self.relay is not None:
            status = await self.relay.status()
            gauge(
                "svl_relay_lag_events",
                "events committed but not yet published",
                [(f'service="{service}"', status.behind)],
            )
            gauge(
                "svl_relay_published_events",
                "events the relay has published in all",
                [(f'service="{service}"', status.published)],
            )
        pending, unacked, redelivered, applied, dead = [], [], [], [], []
        js = self.nc.jetstream() if self.nc is not None and self.nc.is_connected else None
        for runner in self.runners:
            spec = runner.consumer.spec
            label = f'service="{service}",consumer="{spec.name}"'
            applied.append((label, float(runner.applied)))
            dead.append((label, float(runner.dead_lettered)))
            if js is not None:
                info = await js.consumer_info(spec.stream, spec.name)
                pending.append((label, float(info.num_pending)))
                unacked.append((label, float(info.num_ack_pending)))
                redelivered.append((label, float(info.num_redelivered)))
        gauge("svl_consumer_pending_messages", "messages not yet delivered", pending)
        gauge("svl_consumer_unacked_messages", "messages delivered, not yet acknowledged", unacked)
        gauge("svl_consumer_redelivered_messages", "messages delivered more than once", redelivered)
        gauge("svl_consumer_applied_events", "events applied by this process", applied)
        gauge("svl_consumer_dead_letters", "events dead-lettered by this process", dead)
        lines.extend(self.requests.lines(service))
        for source in self.metric_sources:
            lines.extend(await source())
        return "\n".join(lines) + "\n"

    async def readiness(self) -> dict[str, str]:
        """Check the database and NATS; every value is 'ok' when ready."""
        checks: dict[str, str] = {}
        try:
            async with self.database.reader.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable: {exc.__class__.__name__}"
        checks["nats"] = "ok" if self.nc is not None and self.nc.is_connected else "disconnected"
        return checks


def _report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("background task %s stopped: %r", task.get_name(), task.exception())


def create_service_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    state: dict[str, Any] | None = None,
) -> FastAPI:
    """A FastAPI app for one service, whose lifespan starts and stops ``runtime``."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    settings = runtime.settings
    configure_logging(settings.service, settings.log_level, as_json=settings.log_json)
    configure_tracing(settings.service, settings.traces)
    app = FastAPI(
        title=title,
        description=description,
        version="0.1.0",
        lifespan=lifespan,
        dependencies=[Depends(limit_writes)],
    )
    app.state.write_limiter = WriteLimiter(settings.writes_per_minute, settings.write_burst)
    app.state.runtime = runtime
    app.state.verifier = TokenVerifier(runtime.settings)
    for key, value in (state or {}).items():
        setattr(app.state, key, value)
    install_problem_handlers(app)
    # Added first, so it runs inside BodySizeLimit, which bounds the body it reads.
    app.add_middleware(RefuseNulCharacters)
    app.add_middleware(BodySizeLimit, max_bytes=runtime.settings.max_body_bytes)
    app.add_middleware(MeasureRequests, metrics=runtime.requests)
    app.add_middleware(RequestContext, service=settings.service)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=[
            "Authorization",
            "Content-Type",
            "If-Match",
            "Idempotency-Key",
            "X-Correlation-ID",
            "traceparent",
        ],
        expose_headers=[
            "ETag",
            "Location",
            "Retry-After",
            "Idempotent-Replayed",
            "X-Correlation-ID",
        ],
    )
    app.include_router(_health_router(runtime))
    for router in routers:
        app.include_router(router, responses=PROBLEM_RESPONSES)
    document_problems(app)
    return app


def _health_router(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        """Liveness: answers while the event loop runs."""
        return {"status": "ok", "service": runtime.settings.service}

    @router.get(
        "/metrics",
        summary="Prometheus metrics: relay and consumer lag, dead letters",
        response_class=PlainTextResponse,
    )
    async def metrics() -> PlainTextResponse:
        """Relay lag in store positions, each consumer's pending and unacknowledged messages,
        events applied and dead-lettered by this process."""
        return PlainTextResponse(
            await runtime.metrics_text(), media_type="text/plain; version=0.0.4"
        )

    @router.get(
        "/readyz",
        summary="The database and NATS are reachable",
        responses={503: {"description": "A dependency is not reachable; the checks say which"}},
    )
    async def readyz() -> JSONResponse:
        """Readiness: 200 when every dependency answers, else 503 naming the failing one."""
        checks = await runtime.readiness()
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    return router
