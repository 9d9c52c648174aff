#!/usr/bin/env bash
# The sim's Eviction API follows the API server's PodDisruptionBudget rules
# (issue 12): a Ready pod needs disruptionsAllowed > 0; a Running pod that
# is not Ready goes only when the application is not disrupted
# (IfHealthyBudget, the default) or the budget says AlwaysAllow; the audit
# log shows each request and its answer.
source "$(dirname "$0")/lib/collect.sh"
need_sim

d=$TMPDIR_E2E/eviction
mkdir -p "$d"
cat > "$d/s.yaml" <<'YAML'
seed: 9
nodes: 3
workloads:
  - namespace: shop
    deployment: web
    replicas: 3
    limits: {cpu: 500m, memory: 256Mi}
    usage: {cpu: 100m, memory: 100Mi}
faults:
  - type: crash_loop
    at: 0s
    target: shop/web
    pods: 1
YAML
# the clock stands still but for sim_advance, so the pods keep the state the
# checks below depend on however slowly they run
start_sim ev --scenario "$d/s.yaml" --speed 0 --audit-log "$d/audit.jsonl"
k() { kubectl --kubeconfig "$KC" "$@"; }
# wait for the crash-looping pod to be Running but not Ready
bad=
for _ in $(seq 1 100); do
  bad=$(k get pods -n shop -o json | jq -r '.items[] | select(.status.phase == "Running") |
        select(any(.status.conditions[]?; .type == "Ready" and .status == "False")) | .metadata.name' | head -1)
  [ -n "$bad" ] && break; sim_advance 5
done
[ -n "$bad" ] || fail "no Running, not Ready pod"
good=$(k get pods -n shop -o json | jq -r --arg b "$bad" '.items[] | select(.metadata.name != $b) |
       select(any(.status.conditions[]?; .type == "Ready" and .status == "True")) | .metadata.name' | head -1)
[ -n "$good" ] || fail "no Ready pod"
cat > "$d/pdb.yaml" <<'YAML'
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: shop}
spec:
  minAvailable: 3
  selector: {matchLabels: {app: web}}
YAML
k create --validate=false -f "$d/pdb.yaml" >/dev/null
evict() {
  curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    "$SERVER/api/v1/namespaces/shop/pods/$1/eviction" \
    -d "{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\",\"metadata\":{\"name\":\"$1\",\"namespace\":\"shop\"}}"
}
[ "$(evict "$good")" = 429 ] || fail "a Ready pod was evicted with disruptionsAllowed 0"
[ "$(evict "$bad")" = 429 ] || fail "IfHealthyBudget: an unready pod was evicted while the application is disrupted"
k patch pdb -n shop web --type merge -p '{"spec":{"unhealthyPodEvictionPolicy":"AlwaysAllow"}}' >/dev/null
[ "$(k get pdb -n shop web -o jsonpath='{.spec.unhealthyPodEvictionPolicy}')" = AlwaysAllow ] || fail "policy not stored"
[ "$(evict "$good")" = 429 ] || fail "AlwaysAllow let a Ready pod go"
[ "$(evict "$bad")" = 201 ] || fail "AlwaysAllow: the unready pod was not evicted"
set +e; k patch pdb -n shop web --type merge -p '{"spec":{"unhealthyPodEvictionPolicy":"Sometimes"}}' >/dev/null 2>&1; rc=$?; set -e
[ $rc != 0 ] || fail "an unknown policy was accepted"
# the audit log saw the four evictions with their answers
got=$(jq -c 'select(.objectRef.subresource == "eviction") | [.verb, .objectRef.name, .responseStatus.code]' "$d/audit.jsonl" | tr -d '\n')
want="[\"create\",\"$good\",429][\"create\",\"$bad\",429][\"create\",\"$good\",429][\"create\",\"$bad\",201]"
[ "$got" = "$want" ] || fail "audit log: $got, want $want"
jq -e 'select(.objectRef.resource == "poddisruptionbudgets" and .verb == "patch") | .responseStatus.code == 422' \
  "$d/audit.jsonl" | grep -q true || fail "the refused patch is not in the audit log with 422"
echo "ok: eviction honours PDBs (IfHealthyBudget, AlwaysAllow); the audit log records each answer"
