"""``make bench``: the whole system started locally, measured, beside the raw parts under it.

    .venv/bin/python -m bench.run [--quick] [--only ingest e2e reports rebuild references]
        [--seconds 60] [--clients 64] [--e2e-rate 200] [--scales 0.01 0.1] [--sqlite]

Parts: (1) ingest: return submissions/s at fixed concurrency, p50/p95/p99 latency, errors;
(2) end to end: submission to assessment (the response), to the alert and to the read model
in reporting, at a fixed offered load; (3) rebuild of reporting's read models, events/s;
(4) report endpoints p50/p95 over a seeded dataset at each scale (1.0 = 10,000 contracts and
100,000 obligations, five years of quarters); (5) peak RSS of each service; (6) references:
raw single-row insert commits/s at the same concurrency on the same database, event-store
appends, raw JetStream publish with ack and ordered-consumer replay. Results go to
``bench-results/<timestamp>.json`` and a table on stdout. Nothing sleeps to wait for an event:
every wait polls with a deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import functools
import io
import itertools
import json
import math
import os
import platform
import random
import re
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import httpx
import nats
import psutil  # type: ignore[import-untyped]
from nats.js.api import StreamConfig
from sqlalchemy import select
from svledger.database import Database
from svledger.envelope import Metadata, NewEvent
from svledger.eventstore import EventStore
from svledger.migrate import upgrade
from svledger.rebuild import rebuild

from bench.append_loop import PAYLOAD, raw_postgres, raw_sqlite
from bench.eventsourcing_reference import appends as eventsourcing_appends
from bench.eventsourcing_reference import environment as eventsourcing_environment
from bench.load import LOAD_ERRORS, LoadClient
from bench.seed import PAST_PERIODS, SeededContract, seed_contracts, seed_returns
from bench.stats import latency_summary, rate, ratio
from bench.system import LocalSystem, System

T = TypeVar("T")
PARTS = ["references", "e2e", "reports", "rebuild", "ingest"]  # the order they run in
NATIONAL_CONTRACTS = 10_000
OBLIGATIONS_PER_CONTRACT = 10  # 100,000 obligations at national scale
REPORT_BUYERS = 10
REPORT_SUPPLIERS = 200
INGEST_BUYER = "bench-ingest-buyer"
WATCH_INTERVAL_S = 0.02  # how often the tables of reporting are read for followed returns
REPORT_BUDGET_S = 10.0  # timed seconds per report and scale, once it has MIN_REPORT_REQUESTS
# Seeded contracts must reach the services at this rate at least, or the run fails. Reporting
# learns about 22 a second on a quiet 2-core machine; the national 10,000 took 455-600 s, and
# timed out at a flat 600 s with tests running beside it.
MIN_CONTRACTS_PER_S = 10.0
MIN_REPORT_REQUESTS = 8


def log(message: str) -> None:
    """Progress on stdout, with the time."""
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages."""
    return [round(x, 2) for x in os.getloadavg()]


async def poll(
    probe: Callable[[], Awaitable[T]],
    until: Callable[[T], bool],
    *,
    timeout_s: float,
    what: str,
    interval_s: float = 0.05,
) -> T:
    """Poll ``probe`` until ``until`` accepts its result; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        last = await probe()
        if until(last):
            return last
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s}s waiting for {what}: {last!r}")
        await asyncio.sleep(interval_s)  # poll interval, bounded by the deadline


# --- (6) references -------------------------------------------------------------------------


async def references(system: System, concurrency: int, seconds: float) -> dict[str, Any]:
    """Raw inserts and event-store appends on the same database server, raw JetStream."""
    out: dict[str, Any] = {}
    raw_url = system.database_urls["raw"]
    path = Path(str(raw_url).split("///", 1)[-1])
    if system.backend == "postgresql":
        n, elapsed = await raw_postgres(raw_url, concurrency, seconds)
        out["raw_insert"] = {"writers": concurrency, "commits": n, "per_s": rate(n, elapsed)}
        n1, e1 = await raw_postgres(raw_url, 1, seconds)
        out["raw_insert_1"] = {"writers": 1, "commits": n1, "per_s": rate(n1, e1)}
    else:
        # SQLite has one writer at a time whatever the concurrency: the plain loop is the ceiling.
        n, elapsed = await asyncio.to_thread(raw_sqlite, path.with_suffix(".raw.db"), seconds)
        out["raw_insert"] = {"writers": 1, "commits": n, "per_s": rate(n, elapsed)}
    await asyncio.to_thread(upgrade, "commitments", raw_url)
    database = Database(raw_url)
    store = EventStore(database)
    try:
        n, elapsed = await append_writers(store, concurrency, seconds)
        out["eventstore_append"] = {"writers": concurrency, "events": n, "per_s": rate(n, elapsed)}
        n1, e1 = await append_writers(store, 1, seconds)
        out["eventstore_append_1"] = {"writers": 1, "events": n1, "per_s": rate(n1, e1)}
    finally:
        await database.dispose()
    sqlite_path = None if system.backend == "postgresql" else path.with_suffix(".es.db")
    library = eventsourcing_environment(raw_url, sqlite_path)
    n, elapsed = await asyncio.to_thread(eventsourcing_appends, library, seconds)
    out["eventsourcing_append_1"] = {"writers": 1, "events": n, "per_s": rate(n, elapsed)}
    if system.backend == "postgresql":  # SQLite has one writer whatever the threads
        n, elapsed = await asyncio.to_thread(eventsourcing_appends, library, seconds, concurrency)
        out["eventsourcing_append"] = {
            "writers": concurrency,
            "events": n,
            "per_s": rate(n, elapsed),
        }
    out["jetstream"] = await jetstream_reference(system.nats_url, concurrency, seconds)
    return out


async def append_writers(store: EventStore, writers: int, seconds: float) -> tuple[int, float]:
    """svledger appends, one ~500-byte event a transaction, a stream per writer."""
    deadline = time.perf_counter() + seconds
    counts = [0] * writers
    meta = Metadata(actor="bench", organisation="bench-org")

    async def loop(w: int) -> None:
        stream, version = f"bench-{uuid.uuid4()}", 0
        while time.perf_counter() < deadline:
            await store.append(stream, version, [NewEvent("Measured", PAYLOAD)], meta)
            version += 1
            counts[w] += 1

    started = time.perf_counter()
    await asyncio.gather(*(loop(w) for w in range(writers)))
    return sum(counts), time.perf_counter() - started


async def jetstream_reference(url: str, publishers: int, seconds: float) -> dict[str, Any]:
    """Publish with ack from ``publishers`` concurrent loops, then replay through an ordered
    consumer (the path svledger.rebuild reads), on a stream of our own deleted afterwards."""
    nc = await nats.connect(url, name="svl-bench")
    js = nc.jetstream()
    stream = f"BENCH_RAW_{uuid.uuid4().hex[:6].upper()}"
    await js.add_stream(StreamConfig(name=stream, subjects=[f"{stream.lower()}.>"]))
    body = json.dumps(PAYLOAD).encode()
    counts = [0] * publishers
    deadline = time.perf_counter() + seconds
    try:

        async def loop(p: int) -> None:
            while time.perf_counter() < deadline:
                await js.publish(f"{stream.lower()}.p{p}", body)
                counts[p] += 1

        started = time.perf_counter()
        await asyncio.gather(*(loop(p) for p in range(publishers)))
        elapsed = time.perf_counter() - started
        published = sum(counts)
        received = 0
        done = asyncio.Event()

        async def on_message(msg: Any) -> None:
            nonlocal received
            json.loads(msg.data)
            received += 1
            if received >= published:
                done.set()

        started = time.perf_counter()
        sub = await js.subscribe(
            f"{stream.lower()}.>", stream=stream, cb=on_message, ordered_consumer=True
        )
        await asyncio.wait_for(done.wait(), timeout=max(60.0, published / 2000))
        replay_elapsed = time.perf_counter() - started
        await sub.unsubscribe()
        return {
            "publishers": publishers,
            "published": published,
            "publish_ack_per_s": rate(published, elapsed),
            "ordered_replay_json_per_s": rate(received, replay_elapsed),
        }
    finally:
        await js.delete_stream(stream)
        await nc.drain()


# --- seeding and waiting --------------------------------------------------------------------


async def wait_for_contracts(
    system: System, contracts: list[SeededContract], timeout_s: float
) -> float:
    """Poll until measurement and reporting know the last contracts; seconds it took."""
    started = time.perf_counter()
    sample = contracts[-3:]
    for c in sample:
        async with system.client("measurement", system.token(c.supplier, "supplier")) as m:
            await poll(
                functools.partial(_status, m, f"/contracts/{c.contract_id}/schedule"),
                lambda s: s == 200,
                timeout_s=timeout_s,
                what=f"measurement to learn contract {c.contract_id}",
                interval_s=0.2,
            )
        async with system.client("reporting", system.token(c.buyer, "buyer")) as r:
            await poll(
                functools.partial(_status, r, f"/contracts/{c.contract_id}/progress"),
                lambda s: s == 200,
                timeout_s=timeout_s,
                what=f"reporting to learn contract {c.contract_id}",
                interval_s=0.2,
            )
    return time.perf_counter() - started


async def _status(client: httpx.AsyncClient, path: str) -> int:
    try:
        return (await client.get(path)).status_code
    except httpx.TransportError:
        return 0


def at_least(want: int, have: int) -> bool:
    """``have`` reached ``want``."""
    return have >= want


async def _returns_seen(client: httpx.AsyncClient, contract_id: str) -> int:
    response = await client.get(f"/contracts/{contract_id}/progress")
    if response.status_code != 200:
        return -1
    return len(response.json()["returns"])


# --- (1) ingest ---------------------------------------------------------------------------


def return_body(contract: SeededContract, period: str, share: Decimal) -> dict[str, Any]:
    """A return delivering ``share`` of each obligation's quarterly target."""
    return {
        "period": period,
        "narrative": "Benchmark return.",
        "lines": [
            {"obligation_id": ob, "quantity": str((target * share).quantize(Decimal("0.01")))}
            for ob, target in contract.obligations
        ],
    }


async def ingest(
    system: System, by_client: list[list[SeededContract]], seconds: float, seed: int
) -> dict[str, Any]:
    """Each client a supplier submitting returns for its own contracts, back to back."""
    rng = random.Random(seed)  # noqa: S311 (a seeded generator, not for secrets)
    shares = [Decimal(x) for x in ("0.5", "0.9", "1.0", "1.2")]
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    exhausted = 0
    deadline = time.perf_counter() + seconds

    async def client_loop(contracts: list[SeededContract]) -> None:
        nonlocal exhausted
        work = [(c, p) for p in PAST_PERIODS for c in contracts]
        token = system.token(contracts[0].supplier, "supplier")
        async with LoadClient(system.urls["measurement"], token, connections=1) as client:
            for contract, period in work:
                if time.perf_counter() >= deadline:
                    return
                body = return_body(contract, period, rng.choice(shares))
                t0 = time.perf_counter()
                try:
                    status, _ = await client.post_json(
                        f"/contracts/{contract.contract_id}/returns", body
                    )
                    code = str(status)
                except LOAD_ERRORS as exc:
                    code = type(exc).__name__
                latencies.append(time.perf_counter() - t0)
                if code != "201":
                    errors[code] += 1
        exhausted += 1

    cpu0 = system.cpu_seconds()
    started = time.perf_counter()
    await asyncio.gather(*(client_loop(cs) for cs in by_client))
    elapsed = time.perf_counter() - started
    spent = cpu_spent(system, cpu0)
    # What the other consumers had still to carry through when the load stopped (the run
    # ends without waiting for them): how far behind the accepted returns they fell.
    left = await backlog(system)
    ok = len(latencies) - sum(errors.values())
    return {
        "clients": len(by_client),
        "seconds": round(elapsed, 2),
        "submitted": len(latencies),
        "accepted": ok,
        "returns_per_s": rate(ok, elapsed),
        "errors": sum(errors.values()),
        "errors_by_status": dict(errors),
        "clients_out_of_work": exhausted,
        "backlog_left_messages": left,
        "latency": latency_summary(latencies),
        # Where each accepted return's CPU went: what limits the rate on a machine of 2 cores.
        "cpu_ms_per_return": per_return(spent, ok),
        "bench_client_cpu_s": round(spent["bench client"], 2),
        "load_average": load_average(),
    }


def cpu_spent(system: System, since: dict[str, float]) -> dict[str, float]:
    """CPU seconds each process used since ``since`` (a :meth:`System.cpu_seconds`), and
    what the rest of the machine (PostgreSQL, nats-server) used beside them."""
    now = system.cpu_seconds()
    spent = {name: now[name] - since[name] for name in since}
    spent["rest of the machine"] = spent.pop("machine") - sum(spent.values())
    return spent


def per_return(spent: dict[str, float], returns: int) -> dict[str, float]:
    """CPU milliseconds per return, by process."""
    return {name: round(1000 * s / max(returns, 1), 2) for name, s in spent.items()}


# --- (2) end to end ---------------------------------------------------------------------------


@dataclass
class Followed:
    """Latencies of the returns followed into reporting."""

    to_alert: list[float]
    to_read_model: list[float]
    timeouts: int = 0
    not_in_the_api: int = 0  # in reporting's tables, but not in its answer right after


class ReadModelWatch:
    """Watches reporting's tables for the returns and alerts being followed: one query of
    each every ``interval_s`` for all of them, resolving each one's future with the moment it
    was first seen.

    Asking reporting's API instead (GET /contracts/{id}/progress for each followed return,
    until it shows) loaded the very service being measured: at 200/s offered, answering those
    polls was most of reporting's busy CPU in a py-spy profile, far more than consuming. A
    read on its database costs the service nothing.
    """

    def __init__(self, database_url: str, interval_s: float = WATCH_INTERVAL_S) -> None:
        self.database = Database(database_url)
        self.interval_s = interval_s
        self.returns: dict[tuple[str, str], asyncio.Future[float]] = {}
        self.alerts: dict[str, asyncio.Future[float]] = {}

    def seen(self, contract_id: str, period: str, alerts: set[str]) -> list[asyncio.Future[float]]:
        """Futures of when the return, then each alert, shows in the read model."""
        loop = asyncio.get_running_loop()
        futures = [self.returns.setdefault((contract_id, period), loop.create_future())]
        futures += [self.alerts.setdefault(a, loop.create_future()) for a in sorted(alerts)]
        return futures

    def forget(self, futures: list[asyncio.Future[float]]) -> None:
        """Stop looking for what timed out."""
        self.returns = {k: f for k, f in self.returns.items() if f not in futures}
        self.alerts = {k: f for k, f in self.alerts.items() if f not in futures}

    async def run(self) -> None:
        """Look, until cancelled."""
        from reporting.adapters.tables import alerts, returns

        try:
            while True:
                await asyncio.sleep(self.interval_s)  # the watch's interval, not an event's wait
                wanted = [k for k, f in self.returns.items() if not f.done()]
                raised = [a for a, f in self.alerts.items() if not f.done()]
                if not wanted and not raised:
                    continue
                async with self.database.reader.connect() as conn:
                    shown = await conn.execute(
                        select(returns.c.contract_id, returns.c.period).where(
                            returns.c.contract_id.in_({c for c, _ in wanted})
                        )
                    )
                    in_returns = {(r.contract_id, r.period) for r in shown}
                    shown = await conn.execute(
                        select(alerts.c.alert_id).where(alerts.c.alert_id.in_(raised))
                    )
                    in_alerts = {r.alert_id for r in shown}
                now = time.perf_counter()
                # (What timed out while the query ran was forgotten meanwhile.)
                ready = [self.returns.get(k) for k in in_returns.intersection(wanted)]
                ready += [self.alerts.get(a) for a in in_alerts.intersection(raised)]
                for future in ready:
                    if future is not None and not future.done():
                        future.set_result(now)
        finally:
            await self.database.dispose()


async def follow(
    watch: ReadModelWatch,
    reporting: LoadClient,
    *,
    contract_id: str,
    period: str,
    alerts: set[str],
    t0: float,
    into: Followed,
    deadline_s: float,
) -> None:
    """Wait until reporting's tables hold the period's return and its alerts (up to
    ``deadline_s``), record how long after submission each showed, then ask reporting's API
    once that it shows them too."""
    futures = watch.seen(contract_id, period, alerts)
    try:
        async with asyncio.timeout(t0 + deadline_s - time.perf_counter()):
            at = [await f for f in futures]
    except TimeoutError:
        watch.forget(futures)
        into.timeouts += 1
        return
    into.to_read_model.append(at[0] - t0)
    if alerts:
        into.to_alert.append(max(at[1:]) - t0)
    status, answer = await reporting.get(f"/contracts/{contract_id}/progress")
    body = json.loads(answer) if status == 200 else {"returns": [], "open_alerts": []}
    if not any(r["period"] == period for r in body["returns"]) or not alerts <= {
        a["alert_id"] for a in body["open_alerts"]
    }:
        into.not_in_the_api += 1


async def end_to_end(
    system: System,
    contracts: list[SeededContract],
    *,
    offered_per_s: float,
    seconds: float,
    track_every: int,
    seed: int,
    deadline_s: float = 60,
) -> dict[str, Any]:
    """Open-loop load at ``offered_per_s``; every ``track_every``-th return is followed into
    reporting's read model (:class:`ReadModelWatch`) until its period and its alerts show."""
    rng = random.Random(seed)  # noqa: S311 (a seeded generator, not for secrets)
    order = list(contracts)
    rng.shuffle(order)
    # Period by period across every contract: one contract's returns are far apart in time.
    work = [(c, p) for p in PAST_PERIODS for c in order]
    total = min(len(work), int(offered_per_s * seconds))
    suppliers = sorted({c.supplier for c in contracts})
    clients = {
        s: LoadClient(system.urls["measurement"], system.token(s, "supplier")) for s in suppliers
    }
    reporting = LoadClient(
        system.urls["reporting"], system.token(INGEST_BUYER, "buyer"), connections=32
    )
    assess: list[float] = []
    followed = Followed([], [])
    errors: Counter[str] = Counter()
    watch = ReadModelWatch(system.database_urls["reporting"])
    watching = asyncio.create_task(watch.run())

    async def one(i: int, contract: SeededContract, period: str) -> None:
        t0 = time.perf_counter()
        try:
            status, answer = await clients[contract.supplier].post_json(
                f"/contracts/{contract.contract_id}/returns",
                return_body(contract, period, Decimal("0.5")),
            )
        except LOAD_ERRORS as exc:
            errors[type(exc).__name__] += 1
            return
        if status != 201:
            errors[str(status)] += 1
            return
        assess.append(time.perf_counter() - t0)
        if i % track_every == 0:
            alerts = set(json.loads(answer)["alerts"])
            await follow(
                watch,
                reporting,
                contract_id=contract.contract_id,
                period=period,
                alerts=alerts,
                t0=t0,
                into=followed,
                deadline_s=deadline_s,
            )

    tasks: list[asyncio.Task[None]] = []
    started = time.perf_counter()
    behind = 0
    try:
        for i, (contract, period) in enumerate(work[:total]):
            due = started + i / offered_per_s
            now = time.perf_counter()
            if now < due:
                await asyncio.sleep(due - now)  # pacing the offered load, not waiting on events
            elif now - due > 0.1:
                behind += 1
            tasks.append(asyncio.create_task(one(i, contract, period)))
        offered_for = time.perf_counter() - started
        await asyncio.gather(*tasks)
        followed_for = time.perf_counter() - started - offered_for
    finally:
        watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching
        for c in clients.values():
            await c.aclose()
        await reporting.aclose()
    return {
        "offered_per_s": offered_per_s,
        "offered_seconds": round(offered_for, 2),
        "achieved_offer_per_s": rate(total, offered_for),
        "sent_late_over_100ms": behind,
        "submitted": total,
        "errors": sum(errors.values()),
        "errors_by_status": dict(errors),
        "tracked_every": track_every,
        "watch_interval_ms": WATCH_INTERVAL_S * 1000,
        "tracking_deadline_s": deadline_s,
        "tracking_timeouts": followed.timeouts,
        "shown_in_tables_not_in_the_api": followed.not_in_the_api,
        "followed_for_s_after_the_load": round(followed_for, 2),
        "to_assessment": latency_summary(assess),
        "to_alert_in_reporting": latency_summary(followed.to_alert),
        "to_read_model": latency_summary(followed.to_read_model),
        "load_average": load_average(),
    }


# --- (4) reports ------------------------------------------------------------------------------

# What the issue asks for, by name, and the paths that serve it if they exist.
WANTED = {
    "portfolio": ["/portfolio"],
    "contract": ["/contracts/{contract_id}/progress", "/contracts/{contract_id}/kpi-rating"],
    "alerts-inbox": ["/alerts"],
    "export": [
        "/portfolio?format=csv",
        "/alerts?format=csv",
        "/portfolio?format=xlsx",
        "/alerts?format=xlsx",
    ],
}
QUERIES = {"/alerts": "?status=open"}


async def report_endpoints(system: System) -> tuple[list[str], dict[str, Any]]:
    """Reporting's GET paths from its OpenAPI document, and its {dimension} values."""
    async with httpx.AsyncClient(base_url=system.urls["reporting"], timeout=30) as client:
        spec = (await client.get("/openapi.json")).json()
    paths = [p for p, ops in spec["paths"].items() if "get" in ops]
    return paths, spec


def _dimensions(spec: dict[str, Any]) -> list[str]:
    for ops in spec["paths"].values():
        for param in ops.get("get", {}).get("parameters", []):
            if param.get("name") == "dimension":
                schema = param.get("schema", {})
                if "enum" in schema:
                    return [str(x) for x in schema["enum"]]
                ref = schema.get("$ref", "")
                if ref:
                    found = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
                    return [str(x) for x in found.get("enum", [])]
    return []


def plan_requests(
    paths: list[str], spec: dict[str, Any], contracts: list[SeededContract]
) -> tuple[dict[str, list[str]], list[str]]:
    """The report requests to time (name -> URLs to cycle through), and what is skipped."""
    skip_prefixes = ("/healthz", "/readyz", "/metrics", "/docs", "/openapi", "/redoc", "/ui")
    plan: dict[str, list[str]] = {}
    skipped: list[str] = []
    dims = _dimensions(spec)
    ids = [c.contract_id for c in contracts[:50]]
    supplier = contracts[0].supplier
    for path in sorted(paths):
        if path.startswith(skip_prefixes) or path == "/":
            continue
        params = set(re.findall(r"{(\w+)}", path))
        if params - {"contract_id", "supplier", "dimension"}:
            skipped.append(path)
            continue
        if "dimension" in params:
            for d in dims:
                plan[path.replace("{dimension}", d)] = [path.replace("{dimension}", d)]
            continue
        urls = [path.replace("{supplier}", supplier)]
        if "contract_id" in params:
            urls = [urls[0].replace("{contract_id}", i) for i in ids]
        plan[path + QUERIES.get(path, "")] = [u + QUERIES.get(path, "") for u in urls]
    for wanted in WANTED.values():
        for w in wanted:
            base, _, query = w.partition("?")
            if query and base in paths:
                urls = plan.get(base + QUERIES.get(base, ""), [base])
                plan[w] = [u.split("?")[0] + "?" + query for u in urls]
    return plan, skipped


# The contract manager's alerts inbox is measurement's (paged, where alerts are acted on);
# reporting's /alerts lists them too (a page at a time, or whole as an export).
INBOX = {"measurement /alerts?status=open (the inbox, first page)": ["/alerts?status=open"]}


async def time_reports(
    system: System,
    plan: dict[str, list[str]],
    buyer: str,
    requests: int,
    service: str = "reporting",
    *,
    budget_s: float = REPORT_BUDGET_S,
) -> dict[str, Any]:
    """Each report ``requests`` times one after another (after two warm-ups): p50, p95.

    A report slower than ``budget_s`` over its timed requests stops early, after at least
    :data:`MIN_REPORT_REQUESTS`, so one slow export does not hold up the run; the figures say
    how many requests each came from.
    """
    results: dict[str, Any] = {}
    async with system.client(service, system.token(buyer, "buyer"), timeout_s=120) as client:
        for name, urls in plan.items():
            latencies: list[float] = []
            statuses: Counter[int] = Counter()
            size = 0
            for i in range(requests + 2):
                t0 = time.perf_counter()
                response = await client.get(urls[i % len(urls)])
                if i >= 2:
                    latencies.append(time.perf_counter() - t0)
                    statuses[response.status_code] += 1
                    size = len(response.content)
                    if len(latencies) >= MIN_REPORT_REQUESTS and sum(latencies) > budget_s:
                        break
            summary = latency_summary(latencies)
            results[name] = {
                "p50_ms": summary["p50_ms"],
                "p95_ms": summary["p95_ms"],
                "requests": len(latencies),
                "statuses": {str(k): v for k, v in statuses.items()},
                "bytes": size,
            }
    return results


# While a buyer downloads its whole alert list as XLSX (seconds for a national buyer), how
# long another report takes: the service must go on answering.
BESIDE_EXPORT = ("/alerts?format=xlsx", "/portfolio/league-table")


async def time_beside_an_export(system: System, buyer: str) -> dict[str, Any]:
    """The export's time, and the latencies of the other report asked for again and again
    (one at a time) until the export is done."""
    export, other = BESIDE_EXPORT
    async with system.client("reporting", system.token(buyer, "buyer"), timeout_s=120) as client:
        await client.get(other)  # warm
        t0 = time.perf_counter()
        download = asyncio.create_task(client.get(export))
        latencies: list[float] = []
        while not download.done():
            t = time.perf_counter()
            await client.get(other)
            latencies.append(time.perf_counter() - t)
        exported = time.perf_counter() - t0
        status = (await download).status_code
    summary = latency_summary(latencies)
    return {
        "export": export,
        "export_ms": round(exported * 1000, 1),
        "export_status": status,
        "other": other,
        "other_requests": len(latencies),
        "other_p50_ms": summary["p50_ms"],
        "other_max_ms": summary["max_ms"],
    }


async def reports(
    system: System, scales: list[float], requests: int, return_periods: int, seed: int
) -> dict[str, Any]:
    """Seed up to each scale (cumulatively), wait for reporting and then for every other
    consumer to catch up, then time every report."""
    buyers = [f"bench-buyer-{i}" for i in range(REPORT_BUYERS)]
    suppliers = [f"bench-supplier-{i:03d}" for i in range(REPORT_SUPPLIERS)]
    paths, spec = await report_endpoints(system)
    valued = await load_proxy_values(system, seed)
    all_contracts: list[SeededContract] = []
    out: dict[str, Any] = {
        "endpoints_found": sorted(paths),
        "missing": {
            name: [w for w in wanted if w.split("?")[0] not in paths]
            for name, wanted in WANTED.items()
            if any(w.split("?")[0] not in paths for w in wanted)
        },
        "scales": [],
    }
    for scale in sorted(scales):
        target = max(REPORT_BUYERS, round(NATIONAL_CONTRACTS * scale))
        new = target - len(all_contracts)
        entry: dict[str, Any] = {"scale": scale, "contracts": target}
        if new > 0:
            log(f"reports: seeding {new} contracts ({OBLIGATIONS_PER_CONTRACT} obligations each)")
            t0 = time.perf_counter()
            made = await seed_contracts(
                system.database_urls["commitments"],
                new,
                obligations=OBLIGATIONS_PER_CONTRACT,
                buyers=buyers,
                suppliers=suppliers,
                seed=seed + len(all_contracts),
                prefix=f"NAT-{len(all_contracts)}",
            )
            appended = time.perf_counter() - t0
            await wait_for_contracts(system, made, timeout_s=max(600.0, new / MIN_CONTRACTS_PER_S))
            carried = time.perf_counter() - t0
            log(f"reports: {new} contracts appended in {appended:.1f}s, consumed by {carried:.1f}s")
            periods = PAST_PERIODS[:return_periods]
            t1 = time.perf_counter()
            stored, last = await seed_returns(
                system.database_urls["measurement"],
                made,
                periods,
                seed=seed,
                accepted=accepted_periods(return_periods),
            )
            returns_appended = time.perf_counter() - t1
            for c in last:
                async with system.client("reporting", system.token(c.buyer, "buyer")) as r:
                    await poll(
                        functools.partial(_returns_seen, r, c.contract_id),
                        functools.partial(at_least, len(periods)),
                        timeout_s=900,
                        what=f"reporting to show the returns of {c.contract_id}",
                        interval_s=0.2,
                    )
            returns_carried = time.perf_counter() - t1
            log(
                f"reports: {stored} returns stored in {returns_appended:.1f}s, "
                f"in reporting by {returns_carried:.1f}s"
            )
            # Reporting shows the returns before every other consumer has applied them (the
            # brokerage, the track record, measurement's own): timed before they catch up,
            # the reports would share the machine with their backlog.
            quiet_after = await quiesce(system, timeout_s=max(300.0, stored / 10))
            log(f"reports: every consumer caught up {quiet_after}s later")
            all_contracts += made
            await fresh_statistics(system, ("reporting", "measurement"))
            entry["seeding"] = {
                "new_contracts": new,
                "contracts_append_s": round(appended, 2),
                "contracts_in_reporting_s": round(carried, 2),
                "contracts_per_s": rate(new, carried),
                "returns": stored,
                "returns_append_s": round(returns_appended, 2),
                "returns_in_reporting_s": round(returns_carried, 2),
                "returns_per_s": rate(stored, returns_carried),
                "every_consumer_caught_up_after_s": quiet_after,
            }
        entry["obligations"] = target * OBLIGATIONS_PER_CONTRACT
        entry["returns_per_contract"] = return_periods
        entry["returns_accepted_per_contract"] = accepted_periods(return_periods)
        entry["measures_with_proxy_values"] = valued
        entry["contracts_per_buyer"] = target // REPORT_BUYERS
        mine = [c for c in all_contracts if c.buyer == buyers[0]]
        plan, skipped = plan_requests(paths, spec, mine)
        entry["skipped_paths"] = skipped
        entry["endpoints"] = await time_reports(system, plan, buyers[0], requests)
        entry["endpoints"].update(
            await time_reports(system, INBOX, buyers[0], requests, service="measurement")
        )
        entry["beside_an_export"] = await time_beside_an_export(system, buyers[0])
        entry["load_average"] = load_average()
        out["scales"].append(entry)
    return out


def accepted_periods(return_periods: int) -> int:
    """How many of each contract's seeded returns the buyer accepts: the earlier half."""
    return return_periods // 2


async def load_proxy_values(system: System, seed: int) -> int:
    """Load a GBP proxy value for every measure of the default framework, as an administrator
    does, so that the reports value delivery in GBP; how many measures were valued."""
    rng = random.Random(seed)  # noqa: S311 (a seeded generator, not for secrets)
    async with system.client("commitments", system.token("bench-admin", "admin")) as c:
        frameworks = await c.get("/frameworks")
        frameworks.raise_for_status()
        version = next(f["version"] for f in frameworks.json() if f["is_default"])
        listed = await c.get(f"/frameworks/{version}/measures")
        listed.raise_for_status()
        measures = listed.json()
        table = io.StringIO()
        writer = csv.writer(table)
        writer.writerow(["code", "unit", "gbp_per_unit", "source", "year"])
        for m in measures:
            writer.writerow([m["code"], m["unit"], rng.randint(5, 5_000), "benchmark", "2026"])
        loaded = await c.put(
            f"/frameworks/{version}/proxy-values",
            files={"file": ("proxy-values.csv", table.getvalue().encode())},
        )
        loaded.raise_for_status()
    return len(measures)


async def fresh_statistics(system: System, services: tuple[str, ...]) -> None:
    """ANALYZE the databases the reports read, once seeding is done.

    Seeding loads in two minutes what a real ledger gathers over years, while autovacuum's
    analyze keeps its planner statistics current; timed straight after the load, the reports
    would be planned from a near-empty database's statistics (2 contracts expected where a
    buyer has 100), which is not what a contract manager meets. (A development machine's
    PostgreSQL may even run without autovacuum: then they would never be refreshed.)
    """
    for service in services:
        database = Database(system.database_urls[service])
        try:
            await database.analyze()
        finally:
            await database.dispose()


# --- (3) rebuild ------------------------------------------------------------------------------


async def rebuild_reporting(system: System) -> dict[str, Any]:
    """svledger.rebuild.rebuild over reporting's consumers, in this process."""
    from reporting.consumers import CONSUMERS, READ_MODEL_TABLES

    nc = await nats.connect(system.nats_url, name="svl-bench-rebuild")
    database = Database(system.database_urls["reporting"])
    try:
        started = time.perf_counter()
        report = await rebuild(EventStore(database), nc.jetstream(), CONSUMERS, READ_MODEL_TABLES)
        elapsed = time.perf_counter() - started
    finally:
        await database.dispose()
        await nc.drain()
    return {
        "consumers": report.consumers,
        "events_seen": report.events_seen,
        "events_applied": report.events_applied,
        "seconds": round(elapsed, 2),
        "events_per_s": rate(report.events_seen, elapsed),
        "load_average": load_average(),
    }


# --- the run ----------------------------------------------------------------------------------


@dataclass
class Options:
    """What to run, and how long."""

    parts: list[str]
    seconds: float
    clients: int
    expected_rate: float
    e2e_rates: list[float]
    e2e_seconds: float
    e2e_track_every: int
    scales: list[float]
    report_requests: int
    return_periods: int
    reference_seconds: float
    sqlite: bool
    keep: bool
    scheduler: bool
    seed: int
    out_dir: Path


def parse(argv: list[str] | None = None) -> Options:
    """Command-line options; --quick shortens everything."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="a short run: shorter parts, scale 0.01"
    )
    parser.add_argument("--only", nargs="+", choices=PARTS, help="run only these parts")
    parser.add_argument("--seconds", type=float, help="ingest duration (60, quick 10)")
    parser.add_argument("--clients", type=int, default=64, help="ingest concurrency")
    parser.add_argument(
        "--expected-rate",
        type=float,
        help="returns/s to seed ingest contracts for (400, quick 300); clients that use up "
        "their contracts stop early and are counted",
    )
    parser.add_argument(
        "--e2e-rate",
        type=float,
        nargs="+",
        help="offered returns/s, one run each, lowest first (50 200: one the machine sustains, "
        "then the target's; quick 50)",
    )
    parser.add_argument("--e2e-seconds", type=float, help="offered load duration (20, quick 10)")
    parser.add_argument("--e2e-track-every", type=int, default=25, help="follow every n-th")
    parser.add_argument(
        "--scales",
        type=float,
        nargs="+",
        help="dataset sizes; 1.0 is 10,000 contracts (default 0.01 0.1, quick 0.01)",
    )
    parser.add_argument("--report-requests", type=int, help="requests per report (20, quick 10)")
    parser.add_argument("--return-periods", type=int, default=4, help="returns per contract")
    parser.add_argument("--reference-seconds", type=float, help="each reference (10, quick 3)")
    parser.add_argument(
        "--scheduler",
        action="store_true",
        help="keep measurement's overdue scheduler on (off by default: seeded contracts start "
        "in 2024, and it would raise an overdue alert for every past quarter of each)",
    )
    parser.add_argument("--sqlite", action="store_true", help="SQLite even if PostgreSQL answers")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the databases and the work directory (logs, nats-server's store) afterwards, "
        "to look into a result; they are listed at the end",
    )
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    a = parser.parse_args(argv)
    q = a.quick
    return Options(
        parts=a.only or PARTS,
        seconds=a.seconds or (10 if q else 60),
        clients=a.clients,
        expected_rate=a.expected_rate or (300 if q else 400),
        e2e_rates=sorted(a.e2e_rate or ([50] if q else [50, 200])),
        e2e_seconds=a.e2e_seconds or (10 if q else 20),
        e2e_track_every=a.e2e_track_every,
        scales=a.scales or ([0.01] if q else [0.01, 0.1]),
        report_requests=a.report_requests or (10 if q else 20),
        return_periods=min(a.return_periods, len(PAST_PERIODS)),
        reference_seconds=a.reference_seconds or (3 if q else 10),
        sqlite=a.sqlite,
        keep=a.keep,
        scheduler=a.scheduler,
        seed=a.seed,
        out_dir=a.out,
    )


async def guarded(results: dict[str, Any], name: str, part: Awaitable[dict[str, Any]]) -> None:
    """Put a part's results, or what went wrong, in ``results[name]`` (one failing part does
    not lose the others), and how long it took in ``results["part_s"]``."""
    started = time.perf_counter()
    try:
        results[name] = await part
    except Exception as exc:
        log(f"FAILED: {traceback.format_exc()}")
        results[name] = {"error": f"{type(exc).__name__}: {exc}"}
    finally:
        results.setdefault("part_s", {})[name] = round(time.perf_counter() - started, 1)


BACKLOG_METRICS = (
    "svl_relay_lag_events",
    "svl_consumer_pending_messages",
    "svl_consumer_unacked_messages",
)


async def backlog(system: System) -> float:
    """Events not yet published or consumed anywhere, from each service's /metrics."""
    total = 0.0
    async with httpx.AsyncClient(timeout=30) as client:
        for url in system.urls.values():
            try:
                text = (await client.get(f"{url}/metrics")).text
            except httpx.TransportError:
                return math.inf
            for line in text.splitlines():
                if line.startswith(BACKLOG_METRICS):
                    total += float(line.rsplit(" ", 1)[1])
    return total


async def quiesce(system: System, timeout_s: float = 300) -> float:
    """Wait until every relay and consumer has caught up, so a part starts without the
    backlog another left; how long that took."""
    started = time.perf_counter()
    await poll(
        functools.partial(backlog, system),
        lambda left: left == 0,
        timeout_s=timeout_s,
        what="the services to catch up (relay lag, pending and unacknowledged messages)",
        interval_s=0.5,
    )
    return round(time.perf_counter() - started, 2)


async def seeded(
    system: System,
    results: dict[str, Any],
    part: str,
    count: int,
    *,
    suppliers: list[str],
    seed: int,
    prefix: str,
) -> list[SeededContract]:
    """``count`` contracts of two obligations for ``part``, for one buyer and ``suppliers``,
    once measurement and reporting know them; how long that took goes in the results."""
    log(f"{part}: seeding {count} contracts (2 obligations)")
    started = time.perf_counter()
    contracts = await seed_contracts(
        system.database_urls["commitments"],
        count,
        obligations=2,
        buyers=[INGEST_BUYER],
        suppliers=suppliers,
        seed=seed,
        prefix=prefix,
    )
    await wait_for_contracts(system, contracts, timeout_s=600)
    took = round(time.perf_counter() - started, 1)
    results[f"{part}_seeding"] = {"contracts": count, "seconds_until_consumed": took}
    results.setdefault("part_s", {})[f"{part}_seeding"] = took
    return contracts


async def end_to_end_runs(
    system: System,
    opts: Options,
    contracts: list[SeededContract],
    counts: list[int],
    results: dict[str, Any],
) -> None:
    """One end-to-end run per offered rate, lowest first (a saturating run leaves a backlog
    behind it), each on contracts of its own."""
    runs: list[dict[str, Any]] = []
    starts = itertools.accumulate([0, *counts])
    for offered, start, count in zip(opts.e2e_rates, starts, counts, strict=False):
        waited = await quiesce(system)
        log(f"end to end: {offered}/s offered for {opts.e2e_seconds:.0f}s (after {waited}s)")
        name = f"e2e at {offered:g}/s"
        cpu0 = system.cpu_seconds()
        await guarded(
            results,
            name,
            end_to_end(
                system,
                contracts[start : start + count],
                offered_per_s=offered,
                seconds=opts.e2e_seconds,
                track_every=opts.e2e_track_every,
                seed=opts.seed,
            ),
        )
        run = results.pop(name) | {"waited_for_quiet_s": waited}
        # The run's whole cost: until every relay and consumer has carried its returns through,
        # counted from the end of the load (its first part spent following returns into reporting).
        quiet = await quiesce(system)
        run["caught_up_after_s"] = round(run.get("followed_for_s_after_the_load", 0) + quiet, 2)
        run["cpu_ms_per_return"] = per_return(cpu_spent(system, cpu0), run.get("submitted", 0))
        runs.append(run)
    results["e2e"] = {"runs": runs}


def deal(contracts: list[SeededContract], suppliers: list[str]) -> list[list[SeededContract]]:
    """Contracts grouped by supplier, in the order of ``suppliers``."""
    by: dict[str, list[SeededContract]] = {s: [] for s in suppliers}
    for c in contracts:
        by[c.supplier].append(c)
    return [by[s] for s in suppliers]


async def run(opts: Options, results: dict[str, Any]) -> dict[str, Any]:
    """Start the system, run the chosen parts, stop everything; the results (filled in as
    each part ends, so an interrupted run keeps what it measured)."""
    results |= {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "host": platform.node(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "load_average_at_start": load_average(),
        },
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in vars(opts).items()},
    }
    env = {"SVL_WRITES_PER_MINUTE": "0", "SVL_WRITE_BURST": "1000000"}
    if not opts.scheduler:
        env["SVL_MEASUREMENT_RUN_SCHEDULER"] = "false"
    local = LocalSystem(sqlite=opts.sqlite, env=env, keep=opts.keep)
    try:
        async with local as system:
            results["backend"] = system.backend
            log(f"backend {system.backend}, nats {system.nats_url}, work dir {system.workdir}")
            if "references" in opts.parts:
                log("references: raw inserts, event-store appends, JetStream")
                await guarded(
                    results, "references", references(system, opts.clients, opts.reference_seconds)
                )
            t0 = time.perf_counter()
            await local.start_services()
            results["services_start_s"] = round(time.perf_counter() - t0, 2)
            # Ingest runs last: it accepts returns faster than the other consumers carry them
            # through (minutes of backlog), and any part after it would first wait for that.
            if "e2e" in opts.parts:
                # Enough contracts that one contract's next return comes 15 s after its last (a
                # return on a schedule with one in flight would be refused with 409).
                counts = [
                    16 + math.ceil(max(r * opts.e2e_seconds / len(PAST_PERIODS), r * 15))
                    for r in opts.e2e_rates
                ]
                suppliers = [f"bench-e2e-{i:02d}" for i in range(16)]
                contracts = await seeded(
                    system,
                    results,
                    "e2e",
                    sum(counts),
                    suppliers=suppliers,
                    seed=opts.seed + 1,
                    prefix="E2E",
                )
                await end_to_end_runs(system, opts, contracts, counts, results)
            if "reports" in opts.parts:
                await guarded(
                    results,
                    "reports",
                    reports(
                        system,
                        opts.scales,
                        opts.report_requests,
                        opts.return_periods,
                        opts.seed + 1000,
                    ),
                )
            if "rebuild" in opts.parts:
                log("rebuild: reporting's read models from JetStream")
                await guarded(results, "rebuild", rebuild_reporting(system))
            if "ingest" in opts.parts:
                suppliers = [f"bench-ingest-{i:02d}" for i in range(opts.clients)]
                per_client = math.ceil(
                    opts.expected_rate * opts.seconds / opts.clients / len(PAST_PERIODS)
                )
                contracts = await seeded(
                    system,
                    results,
                    "ingest",
                    per_client * opts.clients,
                    suppliers=suppliers,
                    seed=opts.seed,
                    prefix="ING",
                )
                await quiesce(system)
                log(f"ingest: {opts.clients} clients for {opts.seconds:.0f}s")
                await guarded(
                    results,
                    "ingest",
                    ingest(system, deal(contracts, suppliers), opts.seconds, opts.seed),
                )
    finally:
        if local.system.rss is not None:
            results["peak_rss_mb"] = local.system.rss.stop()
        if (stand_in := local.system.autovacuum) is not None:
            results["autovacuum_stood_in"] = {
                "every_s": stand_in.every_s,
                "analyzed": stand_in.analyzed,
                "failed": stand_in.failed,
            }
    if opts.keep:
        results["kept"] = kept(local.system)
    results["load_average_at_end"] = load_average()
    results["ratios"] = ratios(results)
    return results


def kept(system: System) -> dict[str, Any]:
    """Where the kept databases and work directory are (``--keep``), logged and for the JSON."""
    log(f"kept: work dir {system.workdir}")
    for name, url in system.database_urls.items():
        log(f"kept: {name} database {url}")
    return {"work_dir": str(system.workdir), "databases": system.database_urls}


def ratios(results: dict[str, Any]) -> dict[str, float | None]:
    """Each headline figure over the raw reference beneath it."""
    results = {k: v for k, v in results.items() if not (k in PARTS and "error" in v)}
    refs = results.get("references", {})
    raw = refs.get("raw_insert", {}).get("per_s")
    appends = refs.get("eventstore_append", {}).get("per_s")
    appends_1 = refs.get("eventstore_append_1", {}).get("per_s")
    library_1 = refs.get("eventsourcing_append_1", {}).get("per_s")
    library = refs.get("eventsourcing_append", {}).get("per_s")
    js = refs.get("jetstream", {})
    ingest_rate = results.get("ingest", {}).get("returns_per_s")
    rebuild_rate = results.get("rebuild", {}).get("events_per_s")
    return {
        "ingest_over_raw_insert": ratio(ingest_rate, raw),
        "ingest_over_eventstore_append": ratio(ingest_rate, appends),
        "eventstore_append_over_raw_insert": ratio(appends, raw),
        "eventstore_append_1_over_eventsourcing_1": ratio(appends_1, library_1),
        "eventstore_append_over_eventsourcing_1": ratio(appends, library_1),
        "eventstore_append_over_eventsourcing": ratio(appends, library),
        "ingest_over_jetstream_publish": ratio(ingest_rate, js.get("publish_ack_per_s")),
        "rebuild_over_ordered_replay": ratio(rebuild_rate, js.get("ordered_replay_json_per_s")),
        "rebuild_over_raw_insert": ratio(rebuild_rate, raw),
    }


def _reference_rows(refs: dict[str, Any]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for key, label in [
        ("raw_insert", "raw insert commits/s"),
        ("raw_insert_1", "raw insert commits/s (1 conn)"),
        ("eventstore_append", "event-store appends/s"),
        ("eventstore_append_1", "event-store appends/s"),
        ("eventsourcing_append_1", "eventsourcing library appends/s"),
        ("eventsourcing_append", "eventsourcing library appends/s"),
    ]:
        if key in refs:
            rows.append((f"{label} @{refs[key]['writers']}", f"{refs[key]['per_s']:,.0f}"))
    if "jetstream" in refs:
        js = refs["jetstream"]
        rows.append(("JetStream publish+ack/s", f"{js['publish_ack_per_s']:,.0f}"))
        rows.append(("JetStream ordered replay/s", f"{js['ordered_replay_json_per_s']:,.0f}"))
    return rows


def _e2e_rows(e2e: dict[str, Any]) -> list[tuple[str, str]]:
    rows = []
    for e in e2e["runs"]:
        if "error" in e:
            rows.append(("e2e FAILED", e["error"][:100]))
            continue
        at = f"@{e['offered_per_s']:.0f}/s"
        for key in ("to_assessment", "to_alert_in_reporting", "to_read_model"):
            latency = e[key]
            rows.append(
                (
                    f"e2e {key} p50/p99 ms {at}",
                    f"{latency['p50_ms']}/{latency['p99_ms']} (n={latency['count']})",
                )
            )
        rows.append((f"e2e caught up s after the load {at}", f"{e['caught_up_after_s']}"))
        cpu = e["cpu_ms_per_return"]
        rows += [(f"e2e CPU ms/return {name} {at}", f"{ms}") for name, ms in cpu.items()]
    return rows


def _backend_rows(results: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [("backend", str(results.get("backend", "?")))]
    if "autovacuum_stood_in" in results:
        a = results["autovacuum_stood_in"]
        rows.append(
            (
                "server's autovacuum off: ANALYZE as it would",
                f"{a['analyzed']} tables, every {a['every_s']:g}s, {len(a['failed'])} failed",
            )
        )
    return rows


def table(results: dict[str, Any]) -> str:
    """The short table for stdout."""
    rows = _backend_rows(results)
    failed = {k for k in PARTS if "error" in results.get(k, {})}
    rows += [(f"{k} FAILED", results[k]["error"][:100]) for k in sorted(failed)]
    results = {k: v for k, v in results.items() if k not in failed}
    rows += _reference_rows(results.get("references", {}))
    if "ingest" in results:
        i = results["ingest"]
        lat = i["latency"]
        rows.append((f"ingest returns/s @{i['clients']}", f"{i['returns_per_s']:,.1f}"))
        rows.append(("ingest p50/p95/p99 ms", f"{lat['p50_ms']}/{lat['p95_ms']}/{lat['p99_ms']}"))
        rows.append(("ingest errors", str(i["errors"])))
        rows.append(("ingest backlog left, messages", f"{i['backlog_left_messages']:,.0f}"))
        cpu = i.get("cpu_ms_per_return", {})
        rows += [(f"ingest CPU ms/return {name}", f"{ms}") for name, ms in cpu.items()]
    if "e2e" in results:
        rows += _e2e_rows(results["e2e"])
    if "rebuild" in results:
        r = results["rebuild"]
        rows.append(("rebuild events/s", f"{r['events_per_s']:,.0f} ({r['events_seen']} events)"))
    for entry in results.get("reports", {}).get("scales", []):
        seeding = entry.get("seeding", {})
        if seeding:
            rows.append(
                (
                    f"seed scale {entry['scale']}",
                    f"{seeding['new_contracts']} contracts {seeding['contracts_in_reporting_s']}s, "
                    f"{seeding['returns']} returns {seeding['returns_in_reporting_s']}s, "
                    f"all consumers {seeding['every_consumer_caught_up_after_s']}s later",
                )
            )
        for name, r in entry["endpoints"].items():
            rows.append(
                (
                    f"  {entry['scale']} {name} p50/p95 ms",
                    f"{r['p50_ms']}/{r['p95_ms']} (n={r['requests']})",
                )
            )
        if "beside_an_export" in entry:
            b = entry["beside_an_export"]
            rows.append(
                (
                    f"  {entry['scale']} {b['other']} while {b['export']} p50/max ms",
                    f"{b['other_p50_ms']}/{b['other_max_ms']} (n={b['other_requests']}, "
                    f"export {b['export_ms']} ms)",
                )
            )
    for service, mb in results.get("peak_rss_mb", {}).items():
        rows.append((f"peak RSS {service} MB", str(mb)))
    for name, value in results.get("ratios", {}).items():
        if value is not None:
            rows.append((name, f"{value:.3f}"))
    rows.append(("load average at end", str(results.get("load_average_at_end"))))
    for part, seconds in results.get("part_s", {}).items():
        rows.append((f"{part} took s", f"{seconds:,.0f}"))
    if "total_s" in results:
        rows.append(("whole run took s", f"{results['total_s']:,.0f}"))
    width = max(len(k) for k, _ in rows) + 2
    return "\n".join(f"{k:<{width}}{v}" for k, v in rows)


def main(argv: list[str] | None = None) -> None:
    """Run, write the JSON, print the table."""
    opts = parse(argv)
    results: dict[str, Any] = {}
    started = time.perf_counter()
    try:
        asyncio.run(run(opts, results))
    except KeyboardInterrupt:
        results["interrupted"] = True
        results["ratios"] = ratios(results)
    results["total_s"] = round(time.perf_counter() - started, 1)
    opts.out_dir.mkdir(parents=True, exist_ok=True)
    path = opts.out_dir / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(results, indent=2, default=str))
    print(table(results))
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
