"""The whole system as separate processes: four uvicorn servers and a nats-server."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from svledger.bus import SERVICES

from tests.conftest import DatabaseFactory
from tests.harness import NatsServer, eventually, free_port


def start_service(
    service: str, port: int, env: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    """One service under uvicorn, as `make run` starts it."""
    return subprocess.Popen(
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
        ],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def exited(log: Path) -> str:
    """Why a service stopped, from the end of its log."""
    return f"{log.stem} exited:\n{log.read_text()[-3000:]}"


async def probe_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> int:
    """The service's /readyz status, 0 while it does not answer; fail at once if it died."""
    if process.poll() is not None:
        raise AssertionError(exited(log))
    try:
        async with httpx.AsyncClient(base_url=url, timeout=2) as client:
            return (await client.get("/readyz")).status_code
    except httpx.TransportError:
        return 0


@dataclass
class ServiceProcess:
    """One service under uvicorn on a port of its own, which it keeps across restarts."""

    service: str
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Where it listens."""
        return f"http://127.0.0.1:{self.port}"

    def launch(self) -> None:
        """Start the process without waiting for it."""
        self.process = start_service(self.service, self.port, self.env, self.log)

    async def ready(self, timeout_s: float = 90) -> None:
        """Wait until /readyz answers 200 (the database and NATS are reachable)."""
        process = self.process
        assert process is not None
        await eventually(
            lambda: probe_ready(self.url, process, self.log),
            until=lambda status: status == 200,
            timeout_s=timeout_s,
            what=f"{self.service} to be ready",
        )

    async def start(self, timeout_s: float = 90) -> None:
        """Start it and wait until it is ready."""
        self.launch()
        await self.ready(timeout_s)

    def kill(self) -> None:
        """SIGKILL, as in a crash: no shutdown hooks run."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        """Stop politely, then firmly."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


@dataclass
class System:
    """The running services and their nats-server."""

    processes: dict[str, ServiceProcess]
    nats: NatsServer

    @property
    def urls(self) -> dict[str, str]:
        """Each service's base URL."""
        return {name: process.url for name, process in self.processes.items()}

    @property
    def logs(self) -> dict[str, Path]:
        """Each service's log file."""
        return {name: process.log for name, process in self.processes.items()}

    def client(self, service: str) -> httpx.AsyncClient:
        """An HTTP client for one service."""
        return httpx.AsyncClient(base_url=self.urls[service], timeout=10)


def system_env(nats: NatsServer, **settings: str) -> dict[str, str]:
    """The environment the services run with: test mode, this nats-server."""
    env = dict(os.environ)
    env.update(SVL_NATS_URL=nats.url, SVL_ENVIRONMENT="test", SVL_LOG_JSON="true", **settings)
    return env


async def start_system(
    make_database: DatabaseFactory, nats: NatsServer, directory: Path, **settings: str
) -> System:
    """Start the four services against fresh databases and ``nats``; ``settings`` are extra
    environment variables (``SVL_...``)."""
    env = system_env(nats, **settings)
    for service in SERVICES:
        env[f"SVL_{service.upper()}_DATABASE_URL"] = await make_database(service)
    processes = {
        service: ServiceProcess(service, env, directory / f"{service}.log") for service in SERVICES
    }
    running = System(processes, nats)
    try:
        for process in processes.values():
            process.launch()
        for process in processes.values():
            await process.ready()
    except BaseException:
        stop_system(running)
        raise
    return running


def stop_system(system: System) -> None:
    """Stop every service."""
    for process in system.processes.values():
        process.stop()


@pytest.fixture
async def system(
    make_database: DatabaseFactory, fresh_nats: NatsServer, tmp_path: Path
) -> AsyncIterator[System]:
    """Start the four services against fresh databases and their own nats-server."""
    running = await start_system(make_database, fresh_nats, tmp_path)
    try:
        yield running
    finally:
        stop_system(running)
