"""Operating it: migrations before pods, streams, reachability, ingress, scale, database roles."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path
from typing import Any, cast

import pytest
import yaml
from sqlalchemy.pool import QueuePool
from svledger.database import Database

from tests.deploy.manifests import (
    DEPLOY,
    K8S,
    OVERLAYS,
    SERVICES,
    Manifest,
    api_template,
    labels,
    named,
    of_kind,
    pod_templates,
    render,
)

PRE_DEPLOY = {"migration", "streams"}


def _matches(selector: dict[str, Any], pod_labels: dict[str, str]) -> bool:
    """A selector against a pod's labels: a Service's plain map, or matchLabels/matchExpressions."""
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        selector = {"matchLabels": selector}
    if any(pod_labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        value = pod_labels.get(expression["key"])
        if expression["operator"] == "In" and value not in expression["values"]:
            return False
        if expression["operator"] == "NotIn" and value in expression["values"]:
            return False
    return True


# Migrations and streams ---------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_a_migration_job_on_its_own_image_and_database(
    overlay: str, service: str
) -> None:
    manifests = render(overlay)
    job = named(manifests, "Job", f"svl-{service}-migrate")
    assert labels(job)["app.kubernetes.io/component"] == "migration"
    spec = job["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    assert container["command"] == ["svl", "migrate", service]
    deployment = api_template(manifests, service).spec["containers"][0]
    assert container["image"] == deployment["image"], "migrates with the code it deploys"
    url = f"SVL_{service.upper()}_DATABASE_URL"
    assert _env(container)[url] == _env(deployment)[url]
    assert spec["restartPolicy"] == "Never"
    assert job["spec"]["backoffLimit"] >= 1, "waits out a database that is still starting"


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {v["name"]: v.get("value", v.get("valueFrom")) for v in container.get("env", [])}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_a_job_provisions_every_stream_with_three_replicas_from_the_declarations_in_code(
    overlay: str,
) -> None:
    manifests = render(overlay)
    job = named(manifests, "Job", "svl-streams-provision")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    # svl streams provision imports every service's consumers: only the ops image has all four.
    assert re.search(r"/svl-ops:", container["image"])
    assert container["command"] == ["svl", "streams", "provision", "--replicas", "3"]
    nats = yaml.safe_load((DEPLOY / "nats" / "values.yaml").read_text())["config"]["cluster"]
    assert nats["replicas"] == 3, "three replicas need three NATS nodes"


def _fake_kubectl(tmp_path: Path) -> Path:
    fake = tmp_path / "kubectl"
    fake.write_text(
        "#!/usr/bin/env bash\n"
        'echo "$*" >> "$KUBECTL_LOG"\n'
        'if [[ "$*" == *" get job/"* ]]; then\n'
        '  if [[ -n "${FAIL_JOB:-}" && "$*" == *" get job/$FAIL_JOB "* ]]; then\n'
        '    printf "FailureTarget Failed"\n'
        "  else\n"
        '    printf "SuccessCriteriaMet Complete"\n'
        "  fi\n"
        "fi\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    return fake


def _deploy(overlay: str, tmp_path: Path, fail_job: str = "") -> tuple[int, list[str]]:
    log = tmp_path / "kubectl.log"
    env = os.environ | {
        "KUBECTL": str(_fake_kubectl(tmp_path)),
        "KUBECTL_LOG": str(log),
        "FAIL_JOB": fail_job,
        "TIMEOUT_S": "5",
    }
    result = subprocess.run(
        ["bash", str(K8S / "deploy.sh"), overlay],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    return result.returncode, log.read_text().splitlines()


def _pre_deploy_jobs(overlay: str) -> set[str]:
    return {
        j["metadata"]["name"]
        for j in of_kind(render(overlay), "Job")
        if labels(j)["app.kubernetes.io/component"] in PRE_DEPLOY
    }


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_deploy_runs_migrations_and_streams_to_completion_before_rolling_out_pods(
    overlay: str, tmp_path: Path
) -> None:
    code, calls = _deploy(overlay, tmp_path)
    assert code == 0
    namespace = render(overlay)[0]["metadata"]["name"]
    directory = str(K8S / "overlays" / overlay)

    def position(prefix: str) -> int:
        found = [i for i, call in enumerate(calls) if call.startswith(prefix)]
        assert len(found) == 1, f"expected one call starting {prefix!r} in {calls}"
        return found[0]

    deleted = position(f"-n {namespace} delete job")
    assert "app.kubernetes.io/component in (migration,streams)" in calls[deleted]
    first_apply = position(f"apply -k {directory} -l app.kubernetes.io/component!=api")
    database = position(f"-n {namespace} wait --for=condition=Ready")
    waited = {m[1]: i for i, call in enumerate(calls) if (m := re.search(r" get job/(\S+) ", call))}
    full_apply = calls.index(f"apply -k {directory}")
    rollouts = [i for i, call in enumerate(calls) if " rollout status " in call]
    assert set(waited) == _pre_deploy_jobs(overlay), "waits for every pre-deploy Job"
    assert deleted < first_apply < database < min(waited.values())
    assert max(waited.values()) < full_apply < min(rollouts)
    assert len(rollouts) == len(SERVICES)


def test_a_failed_migration_stops_the_deploy_before_any_pod_changes(tmp_path: Path) -> None:
    code, calls = _deploy("prod", tmp_path, fail_job="svl-measurement-migrate")
    assert code != 0
    assert not any(call == f"apply -k {K8S / 'overlays' / 'prod'}" for call in calls)
    assert not any(" rollout status " in call for call in calls)
    assert any("logs job/svl-measurement-migrate" in call for call in calls), "shows why"


def test_the_deployments_are_the_only_workloads_left_for_the_final_apply() -> None:
    """The first apply leaves out exactly the objects labelled api: the rollout, nothing else."""
    for overlay in OVERLAYS:
        held_back = {
            (m["kind"], m["metadata"]["name"])
            for m in render(overlay)
            if labels(m).get("app.kubernetes.io/component") == "api"
        }
        kinds = {kind for kind, _ in held_back}
        assert kinds <= {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"}
        assert {("Deployment", f"svl-{s}") for s in SERVICES} <= held_back


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_operations_templates_are_never_scheduled(overlay: str) -> None:
    manifests = render(overlay)
    for cron in of_kind(manifests, "CronJob"):
        assert cron["spec"]["suspend"] is True, cron["metadata"]["name"]
    lag = named(manifests, "CronJob", "svl-lag")["spec"]["jobTemplate"]["spec"]["template"]
    (container,) = lag["spec"]["containers"]
    assert container["command"] == ["svl", "lag"]
    assert {f"SVL_{s.upper()}_DATABASE_URL" for s in SERVICES} <= set(_env(container))
    rebuild = named(manifests, "CronJob", "svl-reporting-rebuild")
    (container,) = rebuild["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["svl", "rebuild", "reporting"]


# Reachability -------------------------------------------------------------------------------


def _peers(rule: dict[str, Any]) -> set[tuple[str, ...]]:
    ports = tuple(sorted(f"{p['protocol']}/{p['port']}" for p in rule.get("ports", [])))
    out: set[tuple[str, ...]] = set()
    for peer in rule.get("to", rule.get("from", [])):
        namespace = peer.get("namespaceSelector", {}).get("matchLabels", {})
        pods = peer.get("podSelector", {}).get("matchLabels", {})
        block = peer.get("ipBlock", {}).get("cidr", "")
        where = ",".join(f"{k}={v}" for k, v in sorted({**namespace, **pods}.items())) or block
        out.add((where, *ports))
    return out


EXPECTED_EGRESS = {
    ("k8s-app=kube-dns,kubernetes.io/metadata.name=kube-system", "TCP/53", "UDP/53"),
    ("cnpg.io/cluster=svl-postgres", "TCP/5432"),
    ("app.kubernetes.io/component=nats,app.kubernetes.io/name=nats", "TCP/4222"),
    (
        "app.kubernetes.io/name=opentelemetry-collector,kubernetes.io/metadata.name=observability",
        "TCP/4317",
        "TCP/4318",
    ),
}


def _egress_for(manifests: list[Manifest], pod_labels: dict[str, str]) -> set[tuple[str, ...]]:
    allowed: set[tuple[str, ...]] = set()
    for policy in of_kind(manifests, "NetworkPolicy"):
        if "Egress" in policy["spec"]["policyTypes"] and _matches(
            policy["spec"]["podSelector"], pod_labels
        ):
            for rule in policy["spec"].get("egress", []):
                allowed |= _peers(rule)
    return allowed


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", SERVICES)
def test_each_service_may_reach_only_dns_postgres_nats_and_the_collector(
    overlay: str, service: str
) -> None:
    manifests = render(overlay)
    pod_labels = api_template(manifests, service).labels
    allowed = _egress_for(manifests, pod_labels)
    if overlay == "prod":
        # The identity provider's key set (SVL_JWKS_URL), over HTTPS only.
        assert ("192.0.2.0/24", "TCP/443") in allowed
        allowed.discard(("192.0.2.0/24", "TCP/443"))
    assert allowed == EXPECTED_EGRESS


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_project_pod_is_isolated_by_a_network_policy(overlay: str) -> None:
    manifests = render(overlay)
    deny = named(manifests, "NetworkPolicy", "svl-default-deny")
    assert deny["spec"]["policyTypes"] == ["Ingress", "Egress"]
    for template in pod_templates(manifests):
        assert _matches(deny["spec"]["podSelector"], template.labels), template.where
        egress = _egress_for(manifests, template.labels)
        assert egress <= EXPECTED_EGRESS | {("192.0.2.0/24", "TCP/443")}, template.where
        # ... and every pod, Jobs included, still reaches what it works with.
        needed = {peer for peer in EXPECTED_EGRESS if "opentelemetry" not in peer[0]}
        assert needed <= egress, f"{template.where} cannot reach {needed - egress}"
    # NATS and PostgreSQL pods share the namespace but are left to their own charts.
    assert not _matches(deny["spec"]["podSelector"], {"app.kubernetes.io/name": "nats"})
    assert not _matches(deny["spec"]["podSelector"], {"cnpg.io/cluster": "svl-postgres"})


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_database_role_may_connect_only_to_its_own_database(overlay: str) -> None:
    manifests = render(overlay)
    (cluster,) = of_kind(manifests, "Cluster")
    rules = [line.split() for line in cluster["spec"]["postgresql"]["pg_hba"]]
    reject = next(i for i, r in enumerate(rules) if r[-1] == "reject")
    assert rules[reject][:2] == ["host", "all"]
    assert set(rules[reject][2].split(",")) == set(SERVICES)
    assert rules[:reject] == [["hostssl", s, s, "all", "scram-sha-256"] for s in SERVICES]
    roles = {r["name"]: r for r in cluster["spec"]["managed"]["roles"]}
    for service in SERVICES:
        database = named(manifests, "Database", f"svl-{service}")["spec"]
        assert (database["name"], database["owner"]) == (service, service)
        assert database["cluster"]["name"] == cluster["metadata"]["name"]
        assert roles[service]["passwordSecret"]["name"] == f"svl-{service}-database"
        assert roles[service]["login"] is True
        assert not roles[service].get("superuser")


# Ingress ------------------------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ingress_serves_one_host_with_a_path_per_service_and_the_ui(overlay: str) -> None:
    ingresses = of_kind(render(overlay), "Ingress")
    rules = [rule for ingress in ingresses for rule in ingress["spec"]["rules"]]
    assert len({rule["host"] for rule in rules}) == 1
    api = named(render(overlay), "Ingress", "svl-api")
    rewrite = api["metadata"]["annotations"]["nginx.ingress.kubernetes.io/rewrite-target"]
    backends: dict[str, str] = {}
    for rule in rules:
        for path in rule["http"]["paths"]:
            backends[path["path"]] = path["backend"]["service"]["name"]
    for service in SERVICES:
        (pattern,) = [p for p, name in backends.items() if name == f"svl-{service}"]
        # What ingress-nginx does: match the regex, rewrite to /$2; the service serves at /.
        match = re.match(pattern, f"/api/{service}/contracts/42")
        assert match is not None
        assert match.expand(re.sub(r"\$(\d)", r"\\\1", rewrite)) == "/contracts/42"
    assert backends["/"] == "svl-ui"
    if overlay == "prod":
        for ingress in ingresses:
            assert ingress["spec"]["tls"][0]["hosts"] == [rules[0]["host"]]


# Scale --------------------------------------------------------------------------------------


def test_production_scales_each_service_with_an_autoscaler_and_a_disruption_budget() -> None:
    manifests = render("prod")
    for service in SERVICES:
        deployment = named(manifests, "Deployment", f"svl-{service}")
        assert "replicas" not in deployment["spec"], "the autoscaler owns the replica count"
        hpa = named(manifests, "HorizontalPodAutoscaler", f"svl-{service}")
        assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
        assert hpa["spec"]["minReplicas"] >= 2
        pdb = named(manifests, "PodDisruptionBudget", f"svl-{service}")
        assert pdb["spec"]["selector"] == deployment["spec"]["selector"]
        assert pdb["spec"]["maxUnavailable"] == 1


def test_development_runs_one_pod_per_service_without_budgets() -> None:
    manifests = render("dev")
    assert of_kind(manifests, "HorizontalPodAutoscaler") == []
    assert of_kind(manifests, "PodDisruptionBudget") == []
    for service in SERVICES:
        assert named(manifests, "Deployment", f"svl-{service}")["spec"]["replicas"] == 1


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_traffic_and_budgets_select_the_service_pods_never_job_pods(overlay: str) -> None:
    manifests = render(overlay)
    selectors = [s["spec"]["selector"] for s in of_kind(manifests, "Service")]
    selectors += [d["spec"]["selector"] for d in of_kind(manifests, "Deployment")]
    selectors += [p["spec"]["selector"] for p in of_kind(manifests, "PodDisruptionBudget")]
    for template in pod_templates(manifests):
        if template.owner["kind"] == "Deployment":
            continue
        assert not any(_matches(s, template.labels) for s in selectors), template.where


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_database_connections_fit_when_every_service_runs_at_its_ceiling(overlay: str) -> None:
    manifests = render(overlay)
    # Pool per pod as the code builds it (svledger.database), not as this test assumes, and
    # the asyncpg connections the event store keeps beside it.
    pool = cast(QueuePool, Database("postgresql+asyncpg://u:p@h/db").writer.sync_engine.pool)
    per_pod = pool.size() + pool._max_overflow + Database.DRIVER_CONNECTIONS
    (cluster,) = of_kind(manifests, "Cluster")
    roles = {r["name"]: r["connectionLimit"] for r in cluster["spec"]["managed"]["roles"]}
    for service in SERVICES:
        hpas = [
            h
            for h in of_kind(manifests, "HorizontalPodAutoscaler")
            if h["metadata"]["name"] == f"svl-{service}"
        ]
        pods = hpas[0]["spec"]["maxReplicas"] if hpas else 1
        assert roles[service] >= pods * per_pod, f"{service}: {pods} pods x {per_pod} > limit"
    max_connections = int(cluster["spec"]["postgresql"]["parameters"]["max_connections"])
    # Room beyond the services for the operator, replication and the migration Jobs.
    assert sum(roles.values()) + 20 <= max_connections


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_postgres_keeps_acknowledged_events_through_a_failover_in_production(overlay: str) -> None:
    (cluster,) = of_kind(render(overlay), "Cluster")
    spec = cluster["spec"]
    if overlay == "prod":
        assert spec["instances"] == 3
        assert spec["postgresql"]["synchronous"] == {
            "method": "any",
            "number": 1,
            "dataDurability": "required",
        }
    else:
        # One instance has no standby to wait for.
        assert spec["instances"] == 1
        assert "synchronous" not in spec["postgresql"]
