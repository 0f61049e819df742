"""Request metrics in Prometheus text format: counts and a latency histogram per route.

Kept in-process and dependency-free: each replica exposes its own figures at /metrics and
Prometheus sums them.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Awaitable, Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

MetricSource = Callable[[], Awaitable[list[str]]]


class RequestMetrics:
    """Counts requests by method, route template and status, and times them by route."""

    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.buckets: dict[tuple[str, str], list[int]] = {}
        self.sums: dict[tuple[str, str], float] = defaultdict(float)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Record one finished request."""
        self.requests[(method, route, status)] += 1
        key = (method, route)
        counts = self.buckets.setdefault(key, [0] * (len(BUCKETS_S) + 1))
        for i, bound in enumerate(BUCKETS_S):
            if seconds <= bound:
                counts[i] += 1
        counts[-1] += 1
        self.sums[key] += seconds

    def lines(self, service: str) -> list[str]:
        """The Prometheus exposition of what was recorded."""
        out = [
            "# HELP svl_http_requests_total HTTP requests served",
            "# TYPE svl_http_requests_total counter",
        ]
        for (method, route, status), count in sorted(self.requests.items()):
            labels = f'service="{service}",method="{method}",route="{route}",status="{status}"'
            out.append(f"svl_http_requests_total{{{labels}}} {count}")
        out += [
            "# HELP svl_http_request_seconds HTTP request latency",
            "# TYPE svl_http_request_seconds histogram",
        ]
        for (method, route), counts in sorted(self.buckets.items()):
            labels = f'service="{service}",method="{method}",route="{route}"'
            for bound, count in zip((*map(str, BUCKETS_S), "+Inf"), counts, strict=True):
                out.append(f'svl_http_request_seconds_bucket{{{labels},le="{bound}"}} {count}')
            out.append(f"svl_http_request_seconds_sum{{{labels}}} {self.sums[(method, route)]:.6f}")
            out.append(f"svl_http_request_seconds_count{{{labels}}} {counts[-1]}")
        return out


class MeasureRequests:
    """ASGI middleware feeding :class:`RequestMetrics` (route templates, never raw paths)."""

    def __init__(self, app: ASGIApp, metrics: RequestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            self.metrics.observe(
                scope.get("method", "GET"), template, status, time.perf_counter() - started
            )
