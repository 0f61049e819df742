"""Streams keep the three replicas the provisioning Job gives them, on a real NATS cluster."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from subprocess import PIPE

import pytest
from nats.js import JetStreamContext
from reporting.bootstrap import bootstrap
from reporting.settings import load_settings
from svledger.bus import STREAMS, connect
from svledger.migrate import upgrade

from tests.deploy.manifests import named, render
from tests.harness import eventually, free_port, nats_server_binary


@pytest.fixture
def nats_cluster(tmp_path: Path) -> Iterator[list[str]]:
    """Three nats-servers routed into one JetStream cluster, as the Helm values ask for."""
    clients = [free_port() for _ in range(3)]
    routes = [free_port() for _ in range(3)]
    route_urls = ", ".join(f"nats://127.0.0.1:{port}" for port in routes)
    servers: list[subprocess.Popen[bytes]] = []
    for n in range(3):
        conf = tmp_path / f"n{n}.conf"
        conf.write_text(
            f"server_name: n{n}\nlisten: 127.0.0.1:{clients[n]}\n"
            f'jetstream {{ store_dir: "{tmp_path / f"store{n}"}", sync_interval: always }}\n'
            f"cluster {{ name: svl, listen: 127.0.0.1:{routes[n]}, routes: [{route_urls}] }}\n"
        )
        log = (tmp_path / f"n{n}.log").open("wb")
        servers.append(
            subprocess.Popen([nats_server_binary(), "-c", str(conf)], stdout=log, stderr=log)
        )
    yield [f"nats://127.0.0.1:{port}" for port in clients]
    for server in servers:
        server.terminate()
    for server in servers:
        server.wait(10)


async def _replicas(js: JetStreamContext) -> dict[str, int | None]:
    return {s.name: (await js.stream_info(s.name)).config.num_replicas for s in STREAMS}


async def test_a_service_starting_keeps_the_three_replicas_the_stream_job_provisioned(
    nats_cluster: list[str], tmp_path: Path
) -> None:
    nc = await connect(nats_cluster[0], name="test")
    js = nc.jetstream()

    async def jetstream_ready() -> bool:
        try:
            await js.account_info()
        except Exception:
            return False
        return True

    await eventually(jetstream_ready, timeout_s=30, what="the JetStream cluster to elect a leader")

    # Exactly what the Job runs.
    job = named(render("prod"), "Job", "svl-streams-provision")
    command = job["spec"]["template"]["spec"]["containers"][0]["command"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SVL_")}
    env |= {"SVL_NATS_URL": nats_cluster[0], "SVL_VAR_DIR": str(tmp_path / "var")}
    svl = Path(sys.executable).parent / command[0]
    provisioned = await asyncio.create_subprocess_exec(
        str(svl), *command[1:], env=env, stdout=PIPE, stderr=PIPE
    )
    _, errors = await provisioned.communicate()
    assert provisioned.returncode == 0, errors.decode()
    assert set((await _replicas(js)).values()) == {3}

    # A service pod starting afterwards, connected to another node.
    database = f"sqlite+aiosqlite:///{tmp_path / 'reporting.db'}"
    upgrade("reporting", database)
    settings = load_settings(database_url=database, nats_url=nats_cluster[1])
    service = bootstrap(settings)
    await service.runtime.start(relay=False, consumers=False)
    await service.runtime.stop()

    try:
        assert set((await _replicas(js)).values()) == {3}, "a starting service shrank a stream"
    finally:
        await nc.close()
