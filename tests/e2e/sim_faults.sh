#!/usr/bin/env bash
# Scenario faults on a frozen clock: the control endpoint moves time, faults
# start at their virtual times, show up in the API and metrics, and end by
# duration or by the remediation that cures them, as the truth file records.
set -euo pipefail
source "$(dirname "$0")/lib/wait.sh"
: "${KUBEMEND:?}" "${TMPDIR_E2E:?}"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect() { [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; echo "ok: $1"; }

d=$TMPDIR_E2E
"$KUBEMEND" sim --listen 127.0.0.1:0 --kubeconfig-out "$d/kc" --speed 0 \
	--scenario tests/fixtures/sim/faults.yaml --truth-out "$d/truth.json" >"$d/sim.log" 2>&1 &
pids+=($!)
wait_file "$d/kc" 120 || true
[ -s "$d/kc" ] || { cat "$d/sim.log"; fail "no kubeconfig"; }
export KUBECONFIG=$d/kc
K="kubectl --cache-dir $d/cache --request-timeout=20s"
server=$($K config view -o jsonpath='{.clusters[0].cluster.server}')
token=$(awk '/token:/ {print $2}' "$d/kc")
ctl() { curl -sf -X "$1" -H "Authorization: Bearer $token" "$server$2"; }
advance() { ctl POST "/sim/v1/advance?seconds=$1" >/dev/null; }

# frozen: the clock does not move by itself
t0=$(ctl GET /sim/v1/clock | jq .nowMs)
sleep 1
expect "clock frozen at --speed 0" "$(ctl GET /sim/v1/clock | jq .nowMs)" "$t0"
expect "truth file written at start, empty" "$(jq length "$d/truth.json")" 0
mem0=$($K get --raw /apis/metrics.k8s.io/v1beta1/namespaces/shop/pods | jq '[.items[].containers[0].usage.memory] | join(",")')
sleep 0.5
expect "metrics stand still while frozen" \
	"$($K get --raw /apis/metrics.k8s.io/v1beta1/namespaces/shop/pods | jq '[.items[].containers[0].usage.memory] | join(",")')" "$mem0"

advance 70
expect "clock moved 70s" "$(ctl GET /sim/v1/clock | jq '.elapsedSeconds | floor')" 70
expect "three faults started" "$(jq length "$d/truth.json")" 3
expect "leak hit one pod" "$(jq -r '.[] | select(.type=="memory_leak") | .pods | length' "$d/truth.json")" 1
leaky=$(jq -r '.[] | select(.type=="memory_leak") | .pods[0]' "$d/truth.json")

# the leak (2Mi/s over a 256Mi limit) OOM-kills the pod within a few minutes
for _ in 1 2 3 4 5 6; do advance 30; done
restarts=$($K get pod -n shop "$leaky" -o jsonpath='{.status.containerStatuses[0].restartCount}')
[ "$restarts" -ge 1 ] || fail "leaking pod never restarted"
echo "ok: leaking pod restarted $restarts times"
expect "last termination OOMKilled" \
	"$($K get pod -n shop "$leaky" -o jsonpath='{.status.containerStatuses[0].lastState.terminated.reason}')" OOMKilled
events=$($K get events -n shop)
grep -q OOMKilled <<<"$events" || fail "no OOMKilled event"
echo "ok: OOMKilled event"
metrics=$($K get --raw /metrics)
grep -q "kube_pod_container_status_restarts_total{namespace=\"shop\",pod=\"$leaky\",container=\"web\"} [1-9]" <<<"$metrics" ||
	fail "restart counter not in /metrics"
echo "ok: /metrics restarts"

# network errors and the node fault ended by duration
advance 150
expect "network_errors ended by duration" \
	"$(jq -r '.[] | select(.type=="network_errors") | .ended_by' "$d/truth.json")" duration
expect "node-3 NotReady" "$($K get node node-3 -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" Unknown
advance 600
expect "node fault ended by duration" "$(jq -r '.[] | select(.type=="node_not_ready") | .ended_by' "$d/truth.json")" duration
expect "node-3 Ready again" "$($K get node node-3 -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" True

# cures: deleting the leaking pod ends the leak; raising the limit ends the OOM fault
$K delete pod -n shop "$leaky" >/dev/null
expect "leak cured by restart_pod" "$(jq -r '.[] | select(.type=="memory_leak") | .ended_by' "$d/truth.json")" restart_pod
expect "oom fault still on" "$(jq -r '.[] | select(.type=="oom_limit_too_low") | .end' "$d/truth.json")" null
$K set resources deploy/cart -n shop --limits=memory=512Mi >/dev/null
expect "oom fault cured by change_limits" \
	"$(jq -r '.[] | select(.type=="oom_limit_too_low") | .ended_by' "$d/truth.json")" change_limits
jq -e 'all(.[]; (.start | test("Z$")) and (.end | test("Z$")))' "$d/truth.json" >/dev/null || fail "truth times"
echo "all sim fault checks passed"
