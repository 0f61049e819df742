"""The pods: security, resources, probes, images, configuration the services can read."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from svledger.settings import ServiceSettings

from tests.deploy.manifests import (
    DEPLOY,
    OVERLAYS,
    PORTS,
    SERVICES,
    api_template,
    container_environment,
    fake_secrets,
    named,
    of_kind,
    pod_templates,
    render,
)

RESTRICTED_VOLUME_TYPES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_runs_as_non_root_on_a_read_only_root_with_no_capabilities(
    overlay: str,
) -> None:
    templates = list(pod_templates(render(overlay)))
    assert templates
    for template in templates:
        pod = template.spec["securityContext"]
        assert pod["runAsNonRoot"] is True, template.where
        assert pod["runAsUser"] != 0, template.where
        for container in template.containers():
            where = f"{template.where} container {container['name']}"
            context = container["securityContext"]
            assert context["runAsNonRoot"] is True, where
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            assert "add" not in context["capabilities"], where
            # The one writable place, for spooled uploads and HOME.
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            assert "/tmp" in mounts, f"{where}: no writable /tmp"
            volumes = {v["name"]: v for v in template.spec["volumes"]}
            assert "emptyDir" in volumes[mounts["/tmp"]], where


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_meets_the_restricted_pod_security_standard(overlay: str) -> None:
    for template in pod_templates(render(overlay)):
        spec = template.spec
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        for host_namespace in ("hostNetwork", "hostPID", "hostIPC"):
            assert not spec.get(host_namespace), template.where
        for volume in spec.get("volumes", []):
            kinds = set(volume) - {"name"}
            assert kinds <= RESTRICTED_VOLUME_TYPES, f"{template.where}: volume {volume}"
        for container in template.containers():
            assert not container["securityContext"].get("privileged"), template.where
            assert all("hostPort" not in p for p in container.get("ports", [])), template.where
        assert spec["automountServiceAccountToken"] is False, template.where


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_get_no_service_link_variables_which_the_settings_would_refuse(
    overlay: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for template in pod_templates(render(overlay)):
        assert template.spec["enableServiceLinks"] is False, template.where
    # Why: for the Service svl-measurement, Kubernetes would inject SVL_MEASUREMENT_PORT, and the
    # settings read every SVL_MEASUREMENT_* variable as the service's own.
    monkeypatch.setenv("SVL_MEASUREMENT_PORT", "tcp://10.0.0.7:80")
    with pytest.raises(ValidationError):
        ServiceSettings.for_service("measurement", PORTS["measurement"])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_has_cpu_and_memory_requests_and_limits(overlay: str) -> None:
    for template in pod_templates(render(overlay)):
        for container in template.containers():
            resources = container["resources"]
            for bound in ("requests", "limits"):
                assert set(resources[bound]) == {"cpu", "memory"}, f"{template.where} {bound}"


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", SERVICES)
def test_service_pods_start_on_healthz_live_on_healthz_and_take_traffic_on_readyz(
    overlay: str, service: str
) -> None:
    container = api_template(render(overlay), service).spec["containers"][0]
    for probe, path in (
        ("startupProbe", "/healthz"),
        ("livenessProbe", "/healthz"),
        ("readinessProbe", "/readyz"),
    ):
        assert container[probe]["httpGet"] == {"path": path, "port": "http"}, probe
    # Liveness must not follow NATS or PostgreSQL: an outage there is not cured by restarts.
    assert container["livenessProbe"]["httpGet"]["path"] != "/readyz"
    assert container["ports"] == [
        {"name": "http", "containerPort": PORTS[service], "protocol": "TCP"}
    ]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_image_is_pinned_to_a_version(overlay: str) -> None:
    images = [c["image"] for t in pod_templates(render(overlay)) for c in t.containers()]
    images += [c["spec"]["imageName"] for c in of_kind(render(overlay), "Cluster")]
    for image in images:
        assert re.search(r":\d+\.\d+[\w.-]*$|@sha256:[0-9a-f]{64}$", image), image


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_reference_to_config_resolves_and_no_secret_is_committed(overlay: str) -> None:
    manifests = render(overlay)
    assert of_kind(manifests, "Secret") == [], "secrets are created by hand, never committed"
    config_maps = {m["metadata"]["name"] for m in of_kind(manifests, "ConfigMap")}
    accounts = {m["metadata"]["name"] for m in of_kind(manifests, "ServiceAccount")}
    runbook = (DEPLOY / "RUNBOOK.md").read_text()
    for template in pod_templates(manifests):
        assert template.spec["serviceAccountName"] in accounts, template.where
        for volume in template.spec.get("volumes", []):
            if "configMap" in volume:
                assert volume["configMap"]["name"] in config_maps, template.where
        for container in template.containers():
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in config_maps, template.where
                if "secretRef" in source:
                    assert f"`{source['secretRef']['name']}`" in runbook
            for var in container.get("env", []):
                ref = var.get("valueFrom", {})
                if "configMapKeyRef" in ref:
                    assert ref["configMapKeyRef"]["name"] in config_maps, template.where
                if "secretKeyRef" in ref:
                    name = ref["secretKeyRef"]["name"]
                    assert f"`{name}`" in runbook, f"RUNBOOK.md does not say how to create {name}"


def _settings_for(
    service: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> ServiceSettings:
    for key in [k for k in os.environ if k.startswith("SVL_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings: ServiceSettings = importlib.import_module(f"{service}.settings").load_settings()
    return settings


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", SERVICES)
def test_service_settings_accept_the_environment_its_pods_get(
    overlay: str, service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifests = render(overlay)
    template = api_template(manifests, service)
    env = container_environment(template.spec["containers"][0], manifests, fake_secrets(overlay))
    settings = _settings_for(service, env, monkeypatch)
    assert settings.environment == ("development" if overlay == "dev" else "production")
    assert settings.nats_url == "nats://nats:4222"
    if overlay == "prod":
        assert settings.jwks_url is not None
        assert settings.jwks_url.startswith("https://")
    else:
        assert settings.jwt_secret == fake_secrets("dev")["svl-jwt"]["SVL_JWT_SECRET"]
    assert env["OTEL_SERVICE_NAME"] == f"svl-{service}"
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"].startswith("http://otel-collector.")
    url = make_url(settings.resolved_database_url())
    assert url.drivername == "postgresql+asyncpg"
    assert (url.host, url.port, url.database, url.username) == (
        "svl-postgres-rw",
        5432,
        service,
        service,
    )
    _, connect = url.get_dialect()().create_connect_args(url)
    assert connect["ssl"] == "require", "the database connection is encrypted"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_svl_variable_a_pod_gets_is_a_setting_the_services_read(overlay: str) -> None:
    manifests = render(overlay)
    fields = set(ServiceSettings.model_fields)
    for service in SERVICES:
        module = importlib.import_module(f"{service}.settings")
        fields |= set(type(module.load_settings()).model_fields)
    for template in pod_templates(manifests):
        for container in template.containers():
            env = container_environment(container, manifests, fake_secrets(overlay))
            for key in (k for k in env if k.startswith("SVL_")):
                name = key.removeprefix("SVL_").lower()
                for service in SERVICES:
                    name = name.removeprefix(f"{service}_")
                assert name in fields, f"{template.where}: {key} is not a setting (typo?)"


@pytest.mark.parametrize("service", SERVICES)
def test_service_logs_are_json_lines_naming_the_service(service: str, tmp_path: Path) -> None:
    """uvicorn loads the mounted logging.json (--log-config) as this test does, before the app
    exists: its own lines (startup, server errors) are JSON too, not only the app's."""
    manifests = render("prod")
    container = api_template(manifests, service).spec["containers"][0]
    args = container["args"]
    mount = args[args.index("--log-config") + 1]
    config_map = named(manifests, "ConfigMap", _volume_config_map(manifests, service, mount))
    config = tmp_path / "logging.json"
    config.write_text(config_map["data"]["logging.json"])
    script = (
        "import logging, uvicorn\n"
        f"uvicorn.Config(app='x:y', log_config={str(config)!r})\n"
        "logging.getLogger('svledger.relay').info('published %d events', 3)\n"
        "logging.getLogger('uvicorn.access').info('GET /healthz 200')\n"
        "logging.getLogger('svledger.consumers').error('dead letter')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["level"], r["name"], r["message"]) for r in lines] == [
        ("INFO", "svledger.relay", "published 3 events"),
        ("ERROR", "svledger.consumers", "dead letter"),
    ], "JSON lines, and no access log per request"
    assert all(r["service"] == service and r["time"] for r in lines)


def _volume_config_map(manifests: list[dict[str, Any]], service: str, path: str) -> str:
    template = api_template(manifests, service)
    container = template.spec["containers"][0]
    mount = next(m for m in container["volumeMounts"] if path.startswith(m["mountPath"] + "/"))
    volume = next(v for v in template.spec["volumes"] if v["name"] == mount["name"])
    name: str = volume["configMap"]["name"]
    return name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_prometheus_scrapes_each_services_metrics_on_its_port(overlay: str) -> None:
    """Every service serves /metrics (relay and consumer lag) on its HTTP port."""
    for service in SERVICES:
        annotations = api_template(render(overlay), service).template["metadata"]["annotations"]
        assert annotations == {
            "prometheus.io/scrape": "true",
            "prometheus.io/path": "/metrics",
            "prometheus.io/port": str(PORTS[service]),
        }
