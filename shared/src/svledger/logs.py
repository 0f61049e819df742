"""Logging: JSON lines to stdout by default, plain text for humans when asked."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from svledger.telemetry import trace_ids


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stdout`` is now (test runners swap it per test)."""

    @property
    def stream(self) -> object:
        return sys.stdout

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


class _TraceIds(logging.Filter):
    """Adds the current trace and span ids to each record, so logs join up with traces."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in trace_ids().items():
            setattr(record, key, value)
        return True


def configure_logging(service: str, level: str = "INFO", *, as_json: bool = True) -> None:
    """Send every log record to stdout, tagged with the service name."""
    handler = _StdoutHandler()
    if as_json:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"levelname": "level", "asctime": "time"},
                static_fields={"service": service},
            )
        )
    else:
        handler.setFormatter(logging.Formatter(f"%(asctime)s {service} %(levelname)s %(message)s"))
    handler.addFilter(_TraceIds())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("uvicorn.access").setLevel("WARNING")
