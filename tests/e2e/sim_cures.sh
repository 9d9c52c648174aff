#!/usr/bin/env bash
# Every fault type starts, shows in the API, and ends by the remediation that
# cures it (docs/scenarios.md), as the truth file's ended_by records.
set -euo pipefail
source "$(dirname "$0")/lib/wait.sh"
: "${KUBEMEND:?}" "${TMPDIR_E2E:?}"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
d=$TMPDIR_E2E
"$KUBEMEND" sim --listen 127.0.0.1:0 --kubeconfig-out "$d/kc" --speed 0 \
	--scenario tests/fixtures/sim/all-faults.yaml --truth-out "$d/truth.json" >"$d/sim.log" 2>&1 &
pids+=($!)
wait_file "$d/kc" 120 || true
[ -s "$d/kc" ] || { cat "$d/sim.log"; fail "no kubeconfig"; }
export KUBECONFIG=$d/kc
K="kubectl --cache-dir $d/cache --request-timeout=20s"
server=$(awk '/server:/ {print $2}' "$d/kc")
advance() { curl -sf -XPOST "$server/sim/v1/advance?seconds=$1" >/dev/null; }
truth() { jq -r --arg t "$1" ".[] | select(.type==\$t) | $2" "$d/truth.json"; }

for _ in 1 2 3 4 5; do advance 30; done
[ "$(jq length "$d/truth.json")" = 11 ] || fail "want 11 faults started: $(cat "$d/truth.json")"
pods=$($K get pods -A)
for want in "a .*oom-.*CrashLoopBackOff" "b .*crash-.*CrashLoopBackOff" "c .*pull-.*ImagePullBackOff" "c .*sched-.*Pending"; do
	grep -q "$want" <<<"$pods" || fail "no pod matching '$want' in: $pods"
done
events=$($K get events -A)
grep -q FailedScheduling <<<"$events" || fail "no FailedScheduling event"
nodes=$($K get nodes)
grep -q "node-0 *NotReady" <<<"$nodes" || fail "node-0 not NotReady"
[ "$($K get node node-1 -o jsonpath='{.status.conditions[?(@.type=="MemoryPressure")].status}')" = True ] ||
	fail "node-1 has no memory pressure"
echo "ok: every fault type shows"

$K delete pod -n a "$(truth memory_leak '.pods[0]')" >/dev/null
$K set resources deploy/oom -n a --limits=memory=512Mi >/dev/null
$K scale deploy/spike -n a --replicas=8 >/dev/null
$K set resources deploy/thr -n a --limits=cpu=1 >/dev/null
$K delete pod -n b "$(truth crash_loop '.pods[0]')" >/dev/null    # the replacement crashes too
$K rollout restart deploy/crash -n b >/dev/null
$K delete pod -n b "$(truth network_errors '.pods[0]')" >/dev/null
$K set image deploy/pull -n c pull=registry.local/pull:1.0 >/dev/null
$K set resources deploy/sched -n c --requests=cpu=100m,memory=128Mi >/dev/null
$K drain node-1 --ignore-daemonsets --delete-emptydir-data --timeout=20s >/dev/null 2>&1 || true
for _ in 1 2 3 4 5 6; do advance 20; done

check() { # check TYPE ENDED_BY
	[ "$(truth "$1" .ended_by)" = "$2" ] || fail "$1 ended_by '$(truth "$1" .ended_by)', want '$2'"
	echo "ok: $1 cured by $2"
}
check memory_leak restart_pod
check oom_limit_too_low change_limits
check cpu_spike scale_deployment
check cpu_throttling change_limits
check crash_loop rollout_restart
check network_errors restart_pod
check image_pull_error set_image
check unschedulable change_limits
check node_memory_pressure drain
[ "$(truth packet_drops .end)" = null ] || fail "packet_drops ended without a cure"
[ "$(truth node_not_ready .end)" = null ] || fail "node_not_ready ended without a cure"
echo "ok: uncured faults still on"
left=$($K get pods -A --no-headers | grep -v " Running " || true)
[ -z "$left" ] || fail "pods not Running after the cures: $left"
echo "all sim cure checks passed"
