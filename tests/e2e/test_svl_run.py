"""`svl run`, what `make run` starts: NATS and the four services up, and down again cleanly."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil  # type: ignore[import-untyped]
import pytest
from svledger.bus import SERVICES

from tests.harness import free_port

SVL = Path(sys.executable).parent / "svl"


@dataclass
class Running:
    """A started `svl run`: its process, the lines it printed so far, and what it started."""

    process: subprocess.Popen[str]
    lines: queue.Queue[str]
    children: list[psutil.Process]

    def output(self) -> str:
        """Everything printed so far."""
        out = []
        while not self.lines.empty():
            out.append(self.lines.get_nowait())
        return "".join(out)


def _read(process: subprocess.Popen[str], into: queue.Queue[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        into.put(line)


@pytest.fixture
def svl_run(tmp_path: Path) -> Iterator[Running]:
    """`svl run` in a session of its own (as a terminal runs it), on free ports, with its
    SQLite databases and NATS store in a temporary directory; waits until it says it runs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SVL_")}
    env |= {"SVL_VAR_DIR": str(tmp_path / "var"), "SVL_NATS_PORT": str(free_port())}
    env |= {f"SVL_{s.upper()}_PORT": str(free_port()) for s in SERVICES}
    process = subprocess.Popen(
        [str(SVL), "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_read, args=(process, lines), daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + 120
    while not any("Press Ctrl-C" in line for line in seen):
        assert process.poll() is None, f"svl run exited:\n{''.join(seen)}"
        assert time.monotonic() < deadline, f"svl run did not start:\n{''.join(seen)}"
        try:
            seen.append(lines.get(timeout=0.5))
        except queue.Empty:
            continue
    children = psutil.Process(process.pid).children()
    running = Running(process, lines, children)
    try:
        yield running
    finally:
        if process.poll() is None:
            process.kill()
        for child in children:
            if child.is_running():
                child.kill()


def _gone(processes: list[psutil.Process], timeout_s: float) -> list[psutil.Process]:
    """Those of ``processes`` still alive after up to ``timeout_s``."""
    _, alive = psutil.wait_procs(processes, timeout=timeout_s)
    return list(alive)


def test_ctrl_c_stops_the_services_then_nats_quietly(svl_run: Running) -> None:
    names = sorted(" ".join(p.cmdline()) for p in svl_run.children)
    assert len(names) == 1 + len(SERVICES)
    assert any("nats-server" in n for n in names)

    # A terminal's Ctrl-C signals its whole foreground process group.
    os.killpg(svl_run.process.pid, signal.SIGINT)
    assert svl_run.process.wait(timeout=60) == 0
    output = svl_run.output()

    assert "stopping" in output
    assert _gone(svl_run.children, timeout_s=10) == []
    # nats-server was not signalled with the services: none of them lost it on the way down
    for symptom in ("could not fetch", "nats disconnected", "relay could not publish"):
        assert symptom not in output, output


@pytest.mark.skipif(
    not sys.platform.startswith("linux"),
    reason="PR_SET_PDEATHSIG, which ends the children with svl run, is Linux-only",
)
def test_nothing_it_started_outlives_svl_run_killed_outright(svl_run: Running) -> None:
    svl_run.process.kill()  # SIGKILL: no chance to stop anything itself
    svl_run.process.wait(timeout=10)

    assert _gone(svl_run.children, timeout_s=30) == []
