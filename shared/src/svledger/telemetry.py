"""Tracing: W3C trace context from requests into events and on to consumers.

Off by default (``SVL_TRACES=off``); ``console`` prints finished spans as JSON, for local
debugging; ``otlp`` exports them over OTLP/HTTP, configured by the standard ``OTEL_*``
variables (``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_SERVICE_NAME``, ...). Either way the
``traceparent`` of the current span (or the caller's, when tracing is off) is what event
metadata records, so a trace follows a return from the HTTP request that submitted it to the
consumers that reacted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace import Span, SpanKind

_configured = False


def configure_tracing(service: str, mode: str) -> None:
    """Install a tracer provider once per process; ``off`` leaves the no-op default."""
    global _configured  # noqa: PLW0603 - the OpenTelemetry provider is process-wide
    if _configured or mode == "off":
        return
    provider = TracerProvider(resource=Resource.create({"service.name": f"svl-{service}"}))
    exporter: SpanExporter
    if mode == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()  # endpoint, headers and timeout from OTEL_* variables
    else:
        exporter = ConsoleSpanExporter()
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _configured = True


@contextmanager
def span(name: str, traceparent: str | None, kind: SpanKind) -> Iterator[Span]:
    """A span continuing the trace in ``traceparent`` (a new trace when there is none)."""
    parent = propagate.extract({"traceparent": traceparent} if traceparent else {})
    with trace.get_tracer("svledger").start_as_current_span(name, context=parent, kind=kind) as s:
        yield s


def current_traceparent(fallback: str | None) -> str | None:
    """The current span's ``traceparent``, or ``fallback`` when nothing is being recorded."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent") or fallback


def trace_ids() -> dict[str, str]:
    """The current trace and span ids, for log lines (empty outside a recorded span)."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return {}
    return {
        "trace_id": format(context.trace_id, "032x"),
        "span_id": format(context.span_id, "016x"),
    }
