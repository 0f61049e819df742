"""The images: what the Dockerfiles promise, checked without a container engine."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.dockerfiles import (
    DOCKERFILES,
    DOCKERIGNORE,
    context_files,
    ignore_patterns,
    ignored,
    image_pinned,
    parse,
    replay_build_stage,
)
from tests.deploy.manifests import (
    PORTS,
    SERVICES,
    PodTemplate,
    api_template,
    pod_templates,
    render,
)

IMAGES = sorted(DOCKERFILES)
BUILD_TOOLS = re.compile(
    r"\b(uv|pip|pip3|apt-get|apt|apk|gcc|cc|make|build-essential|poetry|hatch)\b"
)


@pytest.mark.parametrize("image", IMAGES)
def test_every_dockerfile_builds_in_one_stage_and_ships_another(image: str) -> None:
    stages = parse(DOCKERFILES[image])
    assert len(stages) >= 2, "a build stage and a separate final stage"
    build, final = stages[0], stages[-1]
    assert build.name, "the build stage is named, so the final stage can copy from it"
    copied_from = {i.flags.get("from") for i in final.of("COPY")}
    assert build.name in copied_from, "the final stage takes the built environment from it"


@pytest.mark.parametrize("image", IMAGES)
def test_every_base_image_is_pinned_to_an_exact_version(image: str) -> None:
    stages = parse(DOCKERFILES[image])
    names = {s.name for s in stages}
    references = [s.base for s in stages if s.base not in names]
    references += [
        i.flags["from"]
        for s in stages
        for i in s.of("COPY")
        if "from" in i.flags and i.flags["from"] not in names
    ]
    assert references
    for reference in references:
        assert image_pinned(reference), f"{reference} is not pinned to an exact version or digest"


@pytest.mark.parametrize("image", IMAGES)
def test_final_stage_runs_as_a_numeric_non_root_user(image: str) -> None:
    users = parse(DOCKERFILES[image])[-1].of("USER")
    assert users, "the final stage sets USER"
    user, _, group = users[-1].rest.partition(":")
    # Kubernetes can only verify runAsNonRoot against a numeric user.
    assert user.isdigit(), f"USER {users[-1].rest} is not numeric"
    assert int(user) != 0
    assert not group or (group.isdigit() and int(group) != 0)


@pytest.mark.parametrize("image", IMAGES)
def test_final_stage_has_no_build_tools(image: str) -> None:
    final = parse(DOCKERFILES[image])[-1]
    for run in final.of("RUN"):
        assert not BUILD_TOOLS.search(run.rest), f"the final stage runs a build tool: {run.rest}"
    for copy in final.of("COPY"):
        assert "astral-sh/uv" not in copy.flags.get("from", ""), "uv stays in the build stage"
    assert "-slim" in final.base, "a slim base image, which ships no compiler"


@pytest.mark.parametrize("image", IMAGES)
def test_build_stage_installs_from_the_lock_file_without_dev_dependencies(image: str) -> None:
    runs = [i.rest for i in parse(DOCKERFILES[image])[0].of("RUN")]
    syncs = [shlex.split(r) for r in runs if r.startswith("uv sync")]
    assert syncs, "the build stage installs with uv sync"
    for words in syncs:
        assert "--frozen" in words, "installs exactly uv.lock, never re-resolving"
        assert "--no-dev" in words
        assert "--no-editable" in words, "the final image must not need the source tree"
        if image != "ops":
            assert words[words.index("--package") + 1] == f"svl-{image}"


@pytest.mark.parametrize("image", [s for s in IMAGES if s != "ops"])
def test_image_listens_where_the_deployment_sends_traffic(image: str) -> None:
    final = parse(DOCKERFILES[image])[-1]
    assert [i.rest for i in final.of("EXPOSE")] == [str(PORTS[image])]
    for overlay in ("dev", "prod"):
        container = api_template(render(overlay), image).spec["containers"][0]
        assert container["ports"][0]["containerPort"] == PORTS[image]
        assert container["args"][container["args"].index("--port") + 1] == str(PORTS[image])


@pytest.mark.parametrize("image", IMAGES)
def test_kubernetes_runs_the_user_the_image_declares(image: str) -> None:
    user = parse(DOCKERFILES[image])[-1].of("USER")[-1].rest.split(":")[0]
    for overlay in ("dev", "prod"):
        for template in _templates_using(overlay, image):
            assert str(template.spec["securityContext"]["runAsUser"]) == user, template.where


def _templates_using(overlay: str, image: str) -> list[PodTemplate]:
    return [
        t
        for t in pod_templates(render(overlay))
        if any(c["image"].rsplit("/", 1)[-1].startswith(f"svl-{image}:") for c in t.containers())
    ]


def test_dockerignore_keeps_local_state_and_secrets_out_of_the_context() -> None:
    patterns = ignore_patterns()
    for path in (
        ".git/HEAD",
        ".venv/bin/python",
        ".tools/bin/uv",
        "var/measurement.db",
        ".env",
        "tests/conftest.py",
        "shared/src/svledger/__pycache__/bus.cpython-311.pyc",
    ):
        assert ignored(path, patterns), f"{path} would be sent to the image build"


@pytest.mark.parametrize("image", IMAGES)
def test_everything_a_dockerfile_copies_survives_the_dockerignore(image: str) -> None:
    patterns = ignore_patterns()
    for stage in parse(DOCKERFILES[image]):
        for copy in stage.of("COPY"):
            if "from" in copy.flags:
                continue
            for source in copy.rest.split()[:-1]:
                assert not ignored(source, patterns), f"COPY {source}: excluded by .dockerignore"
                assert context_files(source, patterns), f"COPY {source}: nothing to copy"


def test_dockerignore_is_at_the_root_of_the_build_context() -> None:
    assert DOCKERIGNORE.parent == DOCKERFILES["commitments"].parents[2]


@pytest.mark.parametrize("image", IMAGES)
def test_image_install_steps_build_an_environment_that_runs_without_the_source_tree(
    image: str, tmp_path: Path
) -> None:
    """The build stage's own uv commands, replayed in a fresh root; then the final stage's view.

    No container engine runs here, so this is the closest check of the images: the same COPY
    set (through .dockerignore) and the same `uv sync` lines, into a fresh virtual environment.
    The source tree is then deleted, because the final stage copies only the environment.
    """
    replay = replay_build_stage(DOCKERFILES[image], tmp_path / "root")
    final = parse(DOCKERFILES[image])[-1]
    for copy in final.of("COPY"):
        source = copy.rest.split()[0]
        assert (replay.root / source.lstrip("/")).exists(), f"final stage copies {source}"
    shutil.rmtree(replay.root / "src")

    bin_dir = replay.environment / "bin"
    program = final.of("CMD")[-1].rest.strip("[]").split(",")[0].strip().strip('"')
    assert (bin_dir / program).exists(), f"the image's CMD runs {program}"
    for dev_tool in ("pytest", "ruff", "mypy", "nats-server"):
        assert not (bin_dir / dev_tool).exists(), f"{dev_tool} is a dev dependency"

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SVL_", "VIRTUAL_ENV"))}
    env |= {"SVL_VAR_DIR": str(tmp_path / "var"), "PYTHONDONTWRITEBYTECODE": "1"}
    services = SERVICES if image == "ops" else (image,)
    imports = "; ".join(f"import {s}.main, {s}.consumers" for s in services)
    check = subprocess.run(
        [
            str(bin_dir / "python"),
            "-c",
            f"{imports}; import {services[0]}; print({services[0]}.__file__)",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith(str(replay.environment)), "installed as a wheel, not editable"

    # What the migration Jobs run, from the installed packages alone (SQLite stands in).
    migrate = subprocess.run(
        [str(bin_dir / "svl"), "migrate", *services],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr
    for service in services:
        assert f"{service}: migrated" in migrate.stdout
