"""The whole system as separate processes: four uvicorn servers and a nats-server."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from svledger.bus import SERVICES

from tests.conftest import DatabaseFactory
from tests.harness import NatsServer, eventually, free_port


@dataclass
class System:
    """Base URLs of the running services, and their log files."""

    urls: dict[str, str]
    logs: dict[str, Path]

    def client(self, service: str) -> httpx.AsyncClient:
        """An HTTP client for one service."""
        return httpx.AsyncClient(base_url=self.urls[service], timeout=10)


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
        stdout=log.open("wb"),
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


@pytest.fixture
async def system(
    make_database: DatabaseFactory, fresh_nats: NatsServer, tmp_path: Path
) -> AsyncIterator[System]:
    """Start the four services against fresh databases and their own nats-server."""
    env = dict(os.environ)
    env.update(SVL_NATS_URL=fresh_nats.url, SVL_ENVIRONMENT="test", SVL_LOG_JSON="true")
    urls: dict[str, str] = {}
    logs: dict[str, Path] = {}
    processes: list[subprocess.Popen[bytes]] = []
    for service in SERVICES:
        port = free_port()
        env[f"SVL_{service.upper()}_DATABASE_URL"] = await make_database(service)
        urls[service] = f"http://127.0.0.1:{port}"
        logs[service] = tmp_path / f"{service}.log"
        processes.append(start_service(service, port, env, logs[service]))
    running = System(urls, logs)
    try:
        for service, process in zip(SERVICES, processes, strict=True):
            await eventually(
                functools.partial(probe_ready, urls[service], process, logs[service]),
                until=lambda status: status == 200,
                timeout_s=90,
                what=f"{service} to be ready",
            )
        yield running
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
