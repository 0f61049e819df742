"""Every overlay renders and validates offline; custom resources against their own schemas."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
import yaml

from tests.deploy.manifests import (
    CUSTOM_KINDS,
    DATA,
    DEPLOY,
    KUBERNETES_VERSIONS,
    OVERLAYS,
    Manifest,
    of_kind,
    render,
    rendered_text,
)
from tests.harness import free_port, nats_server_binary

CNPG = DATA / "cloudnative-pg-v1.30.0"
CRD_FILES = {
    "Cluster": CNPG / "postgresql.cnpg.io_clusters.yaml",
    "Database": CNPG / "postgresql.cnpg.io_databases.yaml",
    "ScheduledBackup": CNPG / "postgresql.cnpg.io_scheduledbackups.yaml",
}
NATS_DEFAULTS = DATA / "nats-helm-chart-2.14.2" / "values.yaml"
NATS_VALUES = DEPLOY / "nats" / "values.yaml"


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_overlay_passes_kubernetes_validate_strict(
    overlay: str, version: str, tmp_path: Path
) -> None:
    rendered = tmp_path / f"{overlay}.yaml"
    rendered.write_text(rendered_text(overlay))
    cli = Path(sys.executable).parent / "kubernetes-validate"
    result = subprocess.run(
        [str(cli), "--strict", "--kubernetes-version", version, "--quiet", str(rendered)],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = result.stdout.splitlines()
    errors = [line for line in lines if not line.startswith("WARN")]
    assert not errors, "\n".join(errors)
    assert result.returncode == 0, result.stderr
    # It warns once for each object it has no schema for: only the custom resources, which
    # the tests below check against their own schemas.
    warned = [line for line in lines if line.startswith("WARN")]
    custom = [m for m in render(overlay) if (m["apiVersion"], m["kind"]) in CUSTOM_KINDS]
    assert len(warned) == len(custom), "\n".join(warned)
    assert all(any(f"kind {kind} " in line for _, kind in CUSTOM_KINDS) for line in warned)


def _strict(schema: Any) -> Any:
    """The schema as the API server applies it with strict field validation: unknown fields fail.

    A CRD's structural schema lists its fields without ``additionalProperties: false``; the
    server prunes or, under strict validation, rejects fields it does not list.
    """
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) for k, v in schema.items()}
    if (
        "properties" in out
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


def _crd_validator(kind: str) -> tuple[str, Any]:
    crd = yaml.safe_load(CRD_FILES[kind].read_text())
    version = next(v for v in crd["spec"]["versions"] if v["served"] and v["storage"])
    api_version = f"{crd['spec']['group']}/{version['name']}"
    schema = _strict(version["schema"]["openAPIV3Schema"])
    return api_version, jsonschema.Draft4Validator(schema)


def _schema_errors(manifest: Manifest) -> Iterator[str]:
    api_version, validator = _crd_validator(manifest["kind"])
    if manifest["apiVersion"] != api_version:
        yield f"apiVersion {manifest['apiVersion']}, the CRD serves {api_version}"
    for error in validator.iter_errors(manifest):
        path = ".".join(str(p) for p in error.absolute_path)
        yield f"{path}: {error.message}"


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("kind", sorted(CRD_FILES))
def test_cloudnativepg_resources_match_their_crd_schemas(overlay: str, kind: str) -> None:
    manifests = of_kind(render(overlay), kind)
    assert manifests, f"{overlay} renders no {kind}"
    for manifest in manifests:
        errors = list(_schema_errors(manifest))
        assert not errors, f"{kind}/{manifest['metadata']['name']}:\n" + "\n".join(errors)


def test_crd_validation_rejects_a_misspelt_field() -> None:
    """The check above has teeth: a field the CRD does not define fails."""
    cluster = of_kind(render("prod"), "Cluster")[0]
    cluster["spec"]["instance"] = 3
    assert any("instance" in e for e in _schema_errors(cluster))


def test_the_runbook_restore_manifest_matches_the_cluster_crd() -> None:
    """An operator restoring from backup copies it under pressure: it must be accepted."""
    blocks = re.findall(r"```yaml\n(.*?)```", (DEPLOY / "RUNBOOK.md").read_text(), re.DOTALL)
    clusters = [doc for doc in map(yaml.safe_load, blocks) if doc and doc["kind"] == "Cluster"]
    assert clusters, "RUNBOOK.md shows how to restore a Cluster"
    for cluster in clusters:
        errors = list(_schema_errors(cluster))
        assert not errors, "\n".join(errors)
        assert cluster["spec"]["bootstrap"]["recovery"]["source"] in {
            c["name"] for c in cluster["spec"]["externalClusters"]
        }


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_backup_object_store_names_a_bucket_credentials_and_a_retention(overlay: str) -> None:
    """The Barman Cloud ObjectStore has no CRD copy here: its essentials, checked by hand."""
    (store,) = of_kind(render(overlay), "ObjectStore")
    assert store["apiVersion"] == "barmancloud.cnpg.io/v1"
    assert set(store["spec"]) <= {
        "configuration",
        "retentionPolicy",
        "instanceSidecarConfiguration",
    }
    configuration = store["spec"]["configuration"]
    assert configuration["destinationPath"].startswith("s3://")
    assert configuration["destinationPath"].rstrip("/").endswith(overlay)
    assert "serverName" not in configuration, "the plugin forbids it; it is a Cluster parameter"
    credentials = configuration["s3Credentials"]
    for ref in (credentials["accessKeyId"], credentials["secretAccessKey"]):
        assert set(ref) == {"name", "key"}
    assert store["spec"]["retentionPolicy"] == "30d"
    (cluster,) = of_kind(render(overlay), "Cluster")
    (plugin,) = cluster["spec"]["plugins"]
    assert plugin["isWALArchiver"] is True
    assert plugin["parameters"]["barmanObjectName"] == store["metadata"]["name"]
    (scheduled,) = of_kind(render(overlay), "ScheduledBackup")
    assert scheduled["spec"]["method"] == "plugin"
    assert scheduled["spec"]["pluginConfiguration"]["name"] == plugin["name"]


def _unknown_keys(values: Any, defaults: Any, path: str = "") -> Iterator[str]:
    """Keys ``values`` sets that ``defaults`` does not define.

    Below a key whose default is an empty map (``merge``, ``env``, ``topologySpreadConstraints``)
    anything goes: the chart passes those through.
    """
    for key, value in values.items():
        where = f"{path}{key}"
        if key not in defaults:
            yield where
        elif isinstance(value, dict) and isinstance(defaults[key], dict) and defaults[key]:
            yield from _unknown_keys(value, defaults[key], f"{where}.")


def test_nats_values_set_only_keys_the_chart_defines() -> None:
    defaults = yaml.safe_load(NATS_DEFAULTS.read_text())
    values = yaml.safe_load(NATS_VALUES.read_text())
    assert list(_unknown_keys(values, defaults)) == []
    assert list(_unknown_keys({"config": {"jetstrem": {"enabled": True}}}, defaults)) == [
        "config.jetstrem"
    ]


def test_nats_values_ask_for_three_node_jetstream_on_synced_file_storage() -> None:
    config = yaml.safe_load(NATS_VALUES.read_text())["config"]
    assert config["cluster"] == {"enabled": True, "replicas": 3}
    jetstream = config["jetstream"]
    assert jetstream["enabled"] is True
    assert jetstream["fileStore"]["enabled"] is True
    assert jetstream["fileStore"]["pvc"]["enabled"] is True
    assert jetstream["memoryStore"]["enabled"] is False
    assert jetstream["merge"]["sync_interval"] == "always"


def test_nats_server_syncs_every_write_with_the_jetstream_block_the_chart_renders(
    tmp_path: Path,
) -> None:
    """The chart writes nats.conf as JSON, so the value arrives quoted: nats-server accepts it."""
    jetstream = yaml.safe_load(NATS_VALUES.read_text())["config"]["jetstream"]
    block = {"store_dir": str(tmp_path / "js"), **jetstream["merge"]}
    client_port, monitor_port = free_port(), free_port()
    conf = tmp_path / "nats.conf"
    conf.write_text(
        f"listen: 127.0.0.1:{client_port}\nhttp: 127.0.0.1:{monitor_port}\n"
        f"jetstream: {json.dumps(block)}\n"
    )
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [nats_server_binary(), "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        varz = _poll_varz(monitor_port, server, deadline_s=10.0)
    finally:
        server.terminate()
        server.wait(10)
        log.close()
    assert varz["jetstream"]["config"]["sync_always"] is True


def _poll_varz(port: int, server: subprocess.Popen[bytes], deadline_s: float) -> Any:
    deadline = time.monotonic() + deadline_s
    while True:
        assert server.poll() is None, "nats-server refused the configuration (see server.log)"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/varz", timeout=1) as response:
                return json.load(response)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)  # poll interval, bounded by the deadline
