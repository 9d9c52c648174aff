#!/usr/bin/env bash
# --seed makes a run repeatable: two sims started at different wall-clock
# times with the same seed and scenario, driven through the same clock
# steps, show the same pods, the same usage and the same injected faults.
set -euo pipefail
source "$(dirname "$0")/lib/wait.sh"
: "${KUBEMEND:?}" "${TMPDIR_E2E:?}"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

run() { # run N: start, drive, record
	local d=$TMPDIR_E2E/run$1
	mkdir -p "$d"
	"$KUBEMEND" sim --listen 127.0.0.1:0 --kubeconfig-out "$d/kc" --speed 0 --seed 11 \
		--scenario tests/fixtures/sim/faults.yaml --truth-out "$d/truth.json" >"$d/sim.log" 2>&1 &
	pids+=($!)
	wait_file "$d/kc" 120 || true
	local s
	s=$(awk '/server:/ {print $2}' "$d/kc")
	for step in 30 45 120 600; do
		curl -sf -XPOST "$s/sim/v1/advance?seconds=$step" >/dev/null
		curl -sf "$s/apis/metrics.k8s.io/v1beta1/pods" | jq -c '[.items[] | [.metadata.name, .containers[0].usage]]' >>"$d/usage"
	done
	curl -sf "$s/api/v1/pods" | jq -c '[.items[] | [.metadata.name, .spec.nodeName, .status.containerStatuses[0].restartCount]]' >"$d/pods"
	curl -sf "$s/metrics" | grep -E '^(container_network_receive_bytes_total|container_cpu_usage_seconds_total)' >"$d/series"
	jq -c '[.[] | [.type, .pods, .ended_by]]' "$d/truth.json" >"$d/faults"
}
run 1
sleep 2         # a different wall-clock start
run 2
for f in usage pods series faults; do
	cmp -s "$TMPDIR_E2E/run1/$f" "$TMPDIR_E2E/run2/$f" ||
		fail "$f differs: $(diff "$TMPDIR_E2E/run1/$f" "$TMPDIR_E2E/run2/$f" | head -c 400)"
	echo "ok: same $f ($(wc -c <"$TMPDIR_E2E/run1/$f") bytes)"
done
[ "$(jq length "$TMPDIR_E2E/run1/truth.json")" -ge 3 ] || fail "faults did not start"
echo "all sim determinism checks passed"
