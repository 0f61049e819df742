"""Append throughput of the event store: a plain loop, then concurrent writers.

    .venv/bin/python bench/append_loop.py [--seconds 5] [--writers 1 8 32] [--postgres URL]

Each append is one ~500-byte event in its own transaction, to a stream of its own writer (so
appends never conflict). SQLite runs on a temporary file; PostgreSQL on a fresh database that
is dropped afterwards. Prints a table and writes JSON with ``--json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url
from svledger.database import Database
from svledger.envelope import Metadata, NewEvent
from svledger.eventstore import EventStore
from svledger.migrate import upgrade

PAYLOAD = {"measure": "NT1", "quantity": "4.0000", "narrative": "x" * 380}
ACTOR = Metadata(actor="bench", organisation="bench-org", correlation_id=str(uuid.uuid4()))


async def run_writers(store: EventStore, writers: int, seconds: float) -> tuple[int, float]:
    """Append for ``seconds`` with ``writers`` concurrent loops; return (events, elapsed)."""
    deadline = time.perf_counter() + seconds
    counts = [0] * writers

    async def loop(w: int) -> None:
        stream, version = f"bench-{uuid.uuid4()}", 0
        while time.perf_counter() < deadline:
            await store.append(stream, version, [NewEvent("Measured", PAYLOAD)], ACTOR)
            version += 1
            counts[w] += 1

    started = time.perf_counter()
    await asyncio.gather(*(loop(w) for w in range(writers)))
    return sum(counts), time.perf_counter() - started


async def raw_postgres(url: str, writers: int, seconds: float) -> tuple[int, float]:
    """Reference: single-row insert commits straight through asyncpg, no library at all."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    pool = await asyncpg.create_pool(dsn, min_size=writers, max_size=writers)
    async with pool.acquire() as conn:
        await conn.execute("CREATE TABLE IF NOT EXISTS raw_bench (id bigserial, body jsonb)")
    body = json.dumps(PAYLOAD)
    deadline = time.perf_counter() + seconds
    counts = [0] * writers

    async def loop(w: int) -> None:
        async with pool.acquire() as conn:
            while time.perf_counter() < deadline:
                await conn.execute("INSERT INTO raw_bench (body) VALUES ($1)", body)
                counts[w] += 1

    started = time.perf_counter()
    await asyncio.gather(*(loop(w) for w in range(writers)))
    elapsed = time.perf_counter() - started
    await pool.close()
    return sum(counts), elapsed


def raw_sqlite(path: Path, seconds: float) -> tuple[int, float]:
    """Reference: single-row insert commits through the sqlite3 module (WAL, synchronous=NORMAL)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE IF NOT EXISTS raw_bench (id INTEGER PRIMARY KEY, body TEXT)")
    body = json.dumps(PAYLOAD)
    count, started = 0, time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO raw_bench (body) VALUES (?)", (body,))
        conn.execute("COMMIT")
        count += 1
    conn.close()
    return count, time.perf_counter() - started


def row(backend: str, what: str, writers: int, events: int, elapsed: float) -> dict[str, object]:
    """One line of results."""
    return {
        "backend": backend,
        "what": what,
        "writers": writers,
        "events": events,
        "seconds": round(elapsed, 2),
        "events_per_s": round(events / elapsed),
    }


async def bench_backend(url: str, writers: list[int], seconds: float) -> list[dict[str, object]]:
    """Run every writer count against one database, each beside its raw reference."""
    await asyncio.to_thread(upgrade, "commitments", url)
    database = Database(url)
    store = EventStore(database)
    results = []
    for n in writers:
        if database.is_postgres:
            results.append(row("postgresql", "raw insert", n, *await raw_postgres(url, n, seconds)))
        elif n == 1:
            raw_path = Path(str(database.url.database)).with_suffix(".raw.db")
            results.append(row("sqlite", "raw insert", 1, *raw_sqlite(raw_path, seconds)))
        results.append(row(database.dialect, "append", n, *await run_writers(store, n, seconds)))
    await database.dispose()
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--writers", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        results += await bench_backend(url, args.writers, args.seconds)
    if args.postgres:
        admin = make_url(args.postgres).set(drivername="postgresql")
        name = f"svl_bench_{uuid.uuid4().hex[:8]}"
        conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
        await conn.execute(f'CREATE DATABASE "{name}"')
        try:
            pg_url = admin.set(drivername="postgresql+asyncpg", database=name)
            results += await bench_backend(
                pg_url.render_as_string(hide_password=False), args.writers, args.seconds
            )
        finally:
            await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            await conn.close()

    print(f"{'backend':<12}{'what':<12}{'writers':>8}{'events':>10}{'events/s':>12}")
    for r in results:
        print(
            f"{r['backend']:<12}{r['what']:<12}{r['writers']:>8}{r['events']:>10}"
            f"{r['events_per_s']:>12}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
