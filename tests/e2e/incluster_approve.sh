#!/usr/bin/env bash
# Deciding in the cluster (docs/incluster.md): a monitor with --leader-elect
# and nobody at a terminal records its proposal as a Remediation resource
# (Proposed) and waits; `kubemend approve` with a stale digest is refused and
# changes nothing; `kubemend approve` with the current one makes the leader
# act, and the resource, its Events and `kubectl describe` tell the story.
source "$(dirname "$0")/lib/collect.sh"
need_sim
# the service-account token of section 3 goes to the plain-HTTP sim on purpose
export KUBEMEND_ALLOW_HTTP_TOKEN=1
root=$(cd "$(dirname "$0")/../.." && pwd)
d=$TMPDIR_E2E
mkdir -p "$d/conf"
printf 'verify_window: 6s\n' > "$d/conf/agent_config.yaml"
K() { kubectl --kubeconfig "$KC" --cache-dir "$d/kcache" --request-timeout=20s "$@"; }
expect() { [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; echo "ok: $1"; }
cat > "$d/s.yaml" <<'YAML'
seed: 5
nodes: 2
workloads:
  - namespace: shop
    deployment: web
    replicas: 2
    requests: {cpu: 100m, memory: 128Mi}
    limits: {cpu: 500m, memory: 256Mi}
    usage: {cpu: 100m, memory: 180Mi, rx: 100Ki, tx: 100Ki}   # the VPA rule from its ~190Mi peak, stepped to 256Mi (max_limit_factor 2), fits with its 15% margin (issue 12)
faults:
  - type: oom_limit_too_low
    at: 20s
    target: shop/web
    params: {limit: 128Mi}
YAML
start_sim appr --scenario "$d/s.yaml" --speed 20 --truth-out "$d/truth.json"
K apply -f "$root/deploy/namespace.yaml" -f "$root/deploy/crd-remediation.yaml" >/dev/null
"$KUBEMEND" monitor --kubeconfig "$KC" -A --interval 1s --duration 120 --remediate \
	--output-file "$d/m.csv" --insights-file "$d/m.json" --history-file "$d/hist.json" \
	--listen off --log-dir "$d/log" --config-dir "$d/conf" --leader-elect --leader-elect-identity solo \
	--leader-elect-resource-namespace kubemend </dev/null >"$d/m.out" 2>&1 &
PIDS+=($!)
MPID=$!

# the configuration as a mounted ConfigMap: an update is noticed and loaded (as on SIGHUP)
sleep 2
printf 'verify_window: 7s\n' > "$d/conf/agent_config.yaml.new"
mv "$d/conf/agent_config.yaml.new" "$d/conf/agent_config.yaml"
t0=$SECONDS
until grep -q "configuration files changed" "$d/log/k8s_monitoring.log" 2>/dev/null; do
	[ $((SECONDS - t0)) -lt 20 ] || fail "the monitor did not notice the changed config: $(tail -3 "$d/m.out")"
	sleep 0.2
done
grep -q "configuration reloaded" "$d/log/k8s_monitoring.log" || fail "the changed config was not loaded"
echo "ok: a changed config file is reloaded"

name=""
t0=$SECONDS
while [ $((SECONDS - t0)) -lt 60 ]; do
	name=$(K get rem -n kubemend -o json 2>/dev/null | jq -r '[.items[] | select(.spec.action == "change_limits"
		and .status.phase == "Proposed")][0].metadata.name // empty')
	[ -n "$name" ] && break
	sleep 0.5
done
[ -n "$name" ] || fail "no Proposed change_limits resource: $(K get rem -A 2>&1; tail -5 "$d/m.out")"
echo "ok: proposal $name waits in the cluster"
sleep 3
expect "nothing changes before a decision" "$(K get deploy -n shop web -o jsonpath='{.spec.template.spec.containers[0].resources.limits.memory}')" 128Mi
digest=$(K get rem -n kubemend "$name" -o jsonpath='{.spec.digest}')
[ -n "$digest" ] || fail "the resource has no digest"

set +e
out=$("$KUBEMEND" approve "$name" --namespace kubemend --digest 0000 --kubeconfig "$KC" 2>&1); rc=$?
set -e
[ $rc -ne 0 ] || fail "an approval of another digest was accepted: $out"
grep -q "proposal changed" <<<"$out" || fail "no clear refusal: $out"
echo "ok: a stale digest is refused: $out"

"$KUBEMEND" approve "$name" --namespace kubemend --digest "$digest" --by alice --kubeconfig "$KC" \
	|| fail "approve failed"
t0=$SECONDS
while [ $((SECONDS - t0)) -lt 40 ]; do
	[ "$(K get deploy -n shop web -o jsonpath='{.spec.template.spec.containers[0].resources.limits.memory}')" = 256Mi ] && break   # the VPA rule, the largest step from the 128Mi kill (issue 12)
	sleep 0.5
done
expect "the leader acted on the approval" "$(K get deploy -n shop web -o jsonpath='{.spec.template.spec.containers[0].resources.limits.memory}')" 256Mi
t0=$SECONDS
while [ $((SECONDS - t0)) -lt 30 ]; do
	ph=$(K get rem -n kubemend "$name" -o jsonpath='{.status.phase}')
	[ "$ph" = Done ] || [ "$ph" = Failed ] && break
	sleep 0.5
done
rem=$(K get remediations -A)
echo "$rem"
grep -Eq "$name +change_limits +shop/web +approved +Done +(success|unverified)" <<<"$rem" \
	|| fail "kubectl get remediations -A: $rem"
expect "decided by" "$(K get rem -n kubemend "$name" -o jsonpath='{.spec.decision.by}')" alice
expect "executed by" "$(K get rem -n kubemend "$name" -o jsonpath='{.status.executedBy}')" solo
desc=$(K describe deploy -n shop web)
grep -q "Warning  AnomalyDetected" <<<"$desc" || fail "describe shows no anomaly Event: $desc"
grep -Eq "RemediationProposed|RemediationPending" <<<"$desc" || fail "describe shows no proposal Event: $desc"
grep -q "RemediationStarted .*started by solo (approval: " <<<"$desc" || fail "describe shows no start Event: $desc"
grep -Eq "RemediationSucceeded|RemediationUnverified" <<<"$desc" || fail "describe shows no outcome Event: $desc"
echo "ok: kubectl describe deploy/web tells the story"
kill -0 "$MPID" 2>/dev/null || fail "the monitor died: $(tail -3 "$d/m.out")"
echo PASS
