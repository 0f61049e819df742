#!/usr/bin/env bash
# Deploy an overlay so that new pods only ever start on migrated databases and provisioned streams:
#
#   1. delete the previous release's pre-deploy Jobs (a Job's pod template cannot be changed);
#   2. apply everything except the API workloads: namespace, config, service accounts, network
#      policies, PostgreSQL (Cluster, Databases, backups), the migration Jobs, the stream Job;
#   3. wait for PostgreSQL, then for every migration Job and the stream Job to complete, and
#      stop here, showing the logs, if one fails: the running pods are left untouched;
#   4. apply everything, which rolls the Deployments out, and wait for each rollout.
#
# Usage: deploy/k8s/deploy.sh dev|prod
# Environment: KUBECTL (default kubectl), TIMEOUT_S (default 900, per wait).
set -euo pipefail

overlay="${1:?usage: deploy.sh <overlay: dev|prod>}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="$here/overlays/$overlay"
if [ ! -f "$dir/kustomization.yaml" ]; then
  echo "deploy.sh: no overlay at $dir" >&2
  exit 2
fi
kubectl="${KUBECTL:-kubectl}"
timeout_s="${TIMEOUT_S:-900}"
namespace="$(sed -n 's/^namespace: *//p' "$dir/kustomization.yaml")"
services=(commitments measurement brokerage reporting)
pre_deploy_jobs=(svl-commitments-migrate svl-measurement-migrate svl-brokerage-migrate
  svl-reporting-migrate svl-streams-provision)

wait_for_job() {
  local job="$1" conditions deadline=$((SECONDS + timeout_s))
  while true; do
    conditions="$("$kubectl" -n "$namespace" get "job/$job" \
      -o 'jsonpath={.status.conditions[?(@.status=="True")].type}')"
    case " $conditions " in
      *" Complete "*)
        echo "job/$job complete"
        return 0
        ;;
      *" Failed "*)
        echo "job/$job failed; the running pods were not touched. Its last log lines:" >&2
        "$kubectl" -n "$namespace" logs "job/$job" --tail=50 >&2 || true
        return 1
        ;;
    esac
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "job/$job did not finish within ${timeout_s}s" >&2
      return 1
    fi
    sleep 5
  done
}

echo "== $overlay: removing the previous release's pre-deploy Jobs"
"$kubectl" -n "$namespace" delete job --ignore-not-found --wait=true \
  -l 'app.kubernetes.io/component in (migration,streams)'

echo "== $overlay: configuration, PostgreSQL, migrations and streams"
"$kubectl" apply -k "$dir" -l 'app.kubernetes.io/component!=api'

echo "== $overlay: waiting for PostgreSQL"
"$kubectl" -n "$namespace" wait --for=condition=Ready --timeout="${timeout_s}s" \
  cluster.postgresql.cnpg.io/svl-postgres

echo "== $overlay: waiting for the migrations and the streams"
for job in "${pre_deploy_jobs[@]}"; do
  wait_for_job "$job"
done

echo "== $overlay: rolling out the services"
"$kubectl" apply -k "$dir"
for service in "${services[@]}"; do
  "$kubectl" -n "$namespace" rollout status "deployment/svl-$service" --timeout="${timeout_s}s"
done
echo "== $overlay: deployed"
