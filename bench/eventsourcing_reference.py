"""The reference the issue asks for beside our own event store: the append rate of the
best-known Python event-sourcing library (``eventsourcing``, "pyeventsourcing"), on the same
database in the same run, one event per transaction from one thread, as its applications
save an aggregate after each change."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from sqlalchemy.engine import make_url

from bench.append_loop import PAYLOAD


class Meter(Aggregate):
    """An aggregate that records one measurement per event."""

    @event("Started")
    def __init__(self) -> None:
        pass

    @event("Measured")
    def measure(self, payload: dict[str, Any]) -> None:
        """Record one measurement."""


def environment(database_url: str, sqlite_path: Path | None = None) -> dict[str, str]:
    """The library's persistence settings for the benchmark's database."""
    if sqlite_path is not None:
        return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(sqlite_path)}
    url = make_url(database_url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": str(url.database),
        "POSTGRES_HOST": url.host or "127.0.0.1",
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": url.username or "postgres",
        "POSTGRES_PASSWORD": url.password or "",
    }


def appends(env: dict[str, str], seconds: float) -> tuple[int, float]:
    """Save one new event of one aggregate per transaction for ``seconds``."""
    app: Application[Any] = Application(env=env)
    try:
        meter = Meter()
        app.save(meter)
        count = 0
        started = time.perf_counter()
        deadline = started + seconds
        while time.perf_counter() < deadline:
            meter.measure(PAYLOAD)
            app.save(meter)
            count += 1
        return count, time.perf_counter() - started
    finally:
        app.close()
