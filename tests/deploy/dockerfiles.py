"""Reading Dockerfiles and .dockerignore, and replaying a build stage without a container engine.

No Docker daemon runs where these tests run, so an image cannot be built. Instead the build
stage's own instructions are replayed on this machine: its COPY instructions copy from the
repository as the build context (honouring .dockerignore), and its RUN instructions, which
must all be ``uv`` commands, run in that copy with the container's paths mapped under a
temporary root.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pytest

from tests.deploy.manifests import DEPLOY, REPO, SERVICES

DOCKERFILES = {s: REPO / "services" / s / "Dockerfile" for s in SERVICES} | {
    "ops": DEPLOY / "ops" / "Dockerfile"
}
DOCKERIGNORE = REPO / ".dockerignore"


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction, continuation lines joined."""

    keyword: str
    flags: dict[str, str]
    rest: str


@dataclass
class Stage:
    """A build stage: its base image, its name, its instructions."""

    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def of(self, keyword: str) -> list[Instruction]:
        """The stage's instructions of one kind."""
        return [i for i in self.instructions if i.keyword == keyword]


def _logical_lines(text: str) -> list[str]:
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not pending):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    if pending:
        lines.append(pending)
    return lines


def parse(path: Path) -> list[Stage]:
    """The stages of a Dockerfile, in order."""
    stages: list[Stage] = []
    for line in _logical_lines(path.read_text()):
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        flags: dict[str, str] = {}
        rest = args.strip()
        while rest.startswith("--"):
            token, _, rest = rest.partition(" ")
            flag, _, value = token[2:].partition("=")
            flags[flag] = value
            rest = rest.strip()
        if keyword == "FROM":
            words = rest.split()
            alias = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=words[0], name=alias))
            continue
        assert stages, f"{path}: {keyword} before the first FROM"
        stages[-1].instructions.append(Instruction(keyword, flags, rest))
    return stages


def image_pinned(reference: str) -> bool:
    """True for a digest, or an exact version tag (``3.11.13-slim-bookworm``, ``0.13.9``)."""
    if re.search(r"@sha256:[0-9a-f]{64}$", reference):
        return True
    last = reference.rsplit("/", 1)[-1]
    if ":" not in last:
        return False
    tag = last.split(":", 1)[1]
    return re.match(r"\d+\.\d+\.\d+", tag) is not None


# .dockerignore -----------------------------------------------------------------------------


def ignore_patterns(path: Path = DOCKERIGNORE) -> list[str]:
    """The patterns of a .dockerignore, in order."""
    lines = (line.strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out)


def ignored(relative: str, patterns: list[str]) -> bool:
    """Whether Docker leaves ``relative`` (a path in the context) out of the build context.

    As Docker does: each pattern is tried against the path and each of its parent
    directories, and the last pattern that matches decides (``!`` patterns re-include).
    """
    parts = PurePosixPath(relative).parts
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    excluded = False
    for raw in patterns:
        negated = raw.startswith("!")
        regex = _pattern_regex(raw.removeprefix("!").strip("/"))
        if any(regex.fullmatch(p) for p in prefixes):
            excluded = not negated
    return excluded


def context_files(source: str, patterns: list[str]) -> list[Path]:
    """The files under ``source`` (relative to the repository) that reach the build context."""
    top = REPO / source
    candidates = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
    return [p for p in candidates if not ignored(p.relative_to(REPO).as_posix(), patterns)]


# Replaying a build stage -------------------------------------------------------------------


def _host_uv() -> str:
    for candidate in (REPO / ".tools" / "bin" / "uv", shutil.which("uv")):
        if candidate and Path(candidate).exists():
            return str(candidate)
    pytest.fail("uv not found (.tools/bin/uv or PATH): run `make install`", pytrace=False)


def _host_python(base_image: str) -> str:
    match = re.search(r":(\d+)\.(\d+)", base_image)
    assert match, f"cannot read a Python version from {base_image}"
    wanted = (int(match[1]), int(match[2]))
    if sys.version_info[:2] != wanted:
        pytest.fail(
            f"the image uses Python {wanted[0]}.{wanted[1]} but the tests run on "
            f"{sys.version_info[0]}.{sys.version_info[1]}: the replay would not be faithful",
            pytrace=False,
        )
    candidate = Path(sys.base_prefix) / "bin" / f"python{wanted[0]}.{wanted[1]}"
    return str(candidate if candidate.exists() else Path(sys.executable).resolve())


def _inside(root: Path, container_path: str) -> Path:
    return root / container_path.lstrip("/")


def _copy(source: str, destination: str, workdir: str, root: Path, patterns: list[str]) -> None:
    if ignored(source, patterns) or not (REPO / source).exists():
        pytest.fail(f"COPY {source}: not in the build context (.dockerignore)", pytrace=False)
    target_dir = destination if destination.startswith("/") else f"{workdir}/{destination}"
    target = _inside(root, target_dir)
    top = REPO / source
    for file in context_files(source, patterns):
        if top.is_file():
            into_dir = destination.endswith("/") or destination in {".", "./"}
            out = target / file.name if into_dir else target
        else:
            out = target / file.relative_to(top)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, out)


@dataclass
class Replay:
    """What replaying a build stage produced."""

    root: Path
    environment: Path
    commands: list[str]


def replay_build_stage(dockerfile: Path, root: Path) -> Replay:
    """Run the first stage of ``dockerfile`` under ``root``; return the environment it built."""
    stage = parse(dockerfile)[0]
    patterns = ignore_patterns()
    workdir = "/"
    container_env: dict[str, str] = {}
    commands: list[str] = []
    host_env = {
        k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV" and not k.startswith("UV_")
    }
    host_env["UV_PYTHON"] = _host_python(stage.base)
    uv = _host_uv()
    for instruction in stage.instructions:
        if instruction.keyword == "WORKDIR":
            workdir = str(PurePosixPath(workdir) / instruction.rest)
            _inside(root, workdir).mkdir(parents=True, exist_ok=True)
        elif instruction.keyword == "ENV":
            for pair in shlex.split(instruction.rest):
                key, _, value = pair.partition("=")
                container_env[key] = value
        elif instruction.keyword == "COPY":
            if "from" in instruction.flags:
                continue  # the uv binary from its image: the host's uv stands in for it
            *sources, destination = instruction.rest.split()
            for source in sources:
                _copy(source, destination, workdir, root, patterns)
        elif instruction.keyword == "RUN":
            command = instruction.rest
            assert command.startswith("uv "), f"only uv commands are replayed, not: {command}"
            env = host_env | {
                k: str(_inside(root, v)) if v.startswith("/") else v
                for k, v in container_env.items()
            }
            result = subprocess.run(
                [uv, *shlex.split(command)[1:]],
                cwd=_inside(root, workdir),
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            assert result.returncode == 0, f"{command} failed:\n{result.stderr}"
            commands.append(command)
        else:
            raise AssertionError(f"the replay does not know {instruction.keyword}")
    return Replay(root, _inside(root, container_env["UV_PROJECT_ENVIRONMENT"]), commands)
