"""The reference the issue asks for beside our own event store: the append rate of the
best-known Python event-sourcing library (``eventsourcing``, "pyeventsourcing"), on the same
database in the same run, one event per transaction, as its applications save an aggregate
after each change: from one thread (the issue's figure), and from as many threads as our own
store has writers, each with an aggregate of its own (like for like)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
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


def appends(env: dict[str, str], seconds: float, writers: int = 1) -> tuple[int, float]:
    """Save one new event of one aggregate per transaction for ``seconds``, from ``writers``
    threads with an aggregate each and a connection each."""
    pool = {"POSTGRES_POOL_SIZE": str(writers), "POSTGRES_MAX_OVERFLOW": "0"}
    app: Application[Any] = Application(env=env | pool)
    counts = [0] * writers
    start = threading.Barrier(writers + 1)
    deadline = [0.0]

    def writer(w: int) -> None:
        meter = Meter()
        app.save(meter)
        start.wait()
        while time.perf_counter() < deadline[0]:
            meter.measure(PAYLOAD)
            app.save(meter)
            counts[w] += 1

    try:
        with ThreadPoolExecutor(writers) as threads:
            running = [threads.submit(writer, w) for w in range(writers)]
            deadline[0] = time.perf_counter() + seconds
            started = time.perf_counter()
            start.wait()
            for done in running:
                done.result()
        return sum(counts), time.perf_counter() - started
    finally:
        app.close()
