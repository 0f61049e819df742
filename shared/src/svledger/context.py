"""Per-request context: the correlation id and W3C trace context carried into event metadata.

A request may bring ``X-Correlation-ID`` and ``traceparent`` headers; otherwise a correlation
id is made. Command handlers build their event metadata with :func:`metadata_for`, so every
event records who acted and in which conversation, and consumers pass both on
(:meth:`Metadata.caused_by`).
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

from opentelemetry.trace import SpanKind
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from svledger.auth import Principal
from svledger.envelope import Metadata
from svledger.telemetry import current_traceparent, span

_correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
_traceparent: ContextVar[str | None] = ContextVar("traceparent", default=None)

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")
_CORRELATION = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


def metadata_for(principal: Principal) -> Metadata:
    """Event metadata for a command the caller made in the current request."""
    return Metadata(
        actor=principal.subject,
        organisation=principal.organisation,
        correlation_id=_correlation_id.get() or str(uuid.uuid4()),
        traceparent=current_traceparent(_traceparent.get()),
    )


def current_correlation_id() -> str | None:
    """The correlation id of the request being served, if any."""
    return _correlation_id.get()


class RequestContext:
    """ASGI middleware: take or make the correlation id, keep a valid ``traceparent``."""

    def __init__(self, app: ASGIApp, service: str = "svl") -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-correlation-id", "")
        correlation = given if _CORRELATION.match(given) else str(uuid.uuid4())
        trace = headers.get("traceparent", "")
        tokens = (
            _correlation_id.set(correlation),
            _traceparent.set(trace if _TRACEPARENT.match(trace) else None),
        )

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"].append((b"x-correlation-id", correlation.encode()))
            await send(message)

        try:
            name = f"{self.service} {scope.get('method', 'HTTP')} {scope.get('path', '')}"
            with span(name, _traceparent.get(), SpanKind.SERVER):
                await self.app(scope, receive, send_with_id)
        finally:
            _correlation_id.reset(tokens[0])
            _traceparent.reset(tokens[1])
