#!/usr/bin/env bash
# Scale check for `kubemend sim` (issue 2): 100,000 Deployment pods on 1,000
# nodes fit in 1 GiB of resident memory (VmHWM, the peak), and a full
# `kubectl get pods -A -o json` (paged by kubectl, 500 per request)
# completes with every pod, and so does a /metrics scrape. Prints the figures; exits non-zero on a miss.
# Usage: bench/sim_scale.sh [PODS] [NODES]   (make bench-sim)
set -euo pipefail
cd "$(dirname "$0")/.."
pods=${1:-100000}
nodes=${2:-1000}
bin=${KUBEMEND:-bin/kubemend}
dir=$(mktemp -d /tmp/kubemend-scale.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT

t0=$(date +%s.%N)
"$bin" sim --listen 127.0.0.1:0 --kubeconfig-out "$dir/kc" --nodes "$nodes" --pods "$pods" >"$dir/sim.log" 2>&1 &
pid=$!
for _ in $(seq 1200); do [ -s "$dir/kc" ] && break; sleep 0.1; done
[ -s "$dir/kc" ] || { cat "$dir/sim.log"; echo "sim did not start"; exit 1; }
t1=$(date +%s.%N)
KUBECONFIG=$dir/kc kubectl --cache-dir "$dir/cache" --request-timeout=120s get pods -A -o json >"$dir/pods.json"
t2=$(date +%s.%N)
got=$(jq '.items | length' "$dir/pods.json")
rm -f "$dir/pods.json"
series=$(curl -sf "$(awk '/server:/ {print $2}' "$dir/kc")/metrics" | grep -c '^container_memory_working_set_bytes{' || true)
t3=$(date +%s.%N)
want=$((pods + nodes))         # the Deployment pods plus one DaemonSet pod per node
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
printf 'pods %d on %d nodes: ready in %.1fs, kubectl get pods -A -o json %.1fs (%d items), /metrics %.1fs (%d working-set series), peak RSS %d MiB (limit 1024)\n' \
	"$pods" "$nodes" "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)" "$got" "$(echo "$t3 - $t2" | bc)" "$series" $((hwm / 1024))
[ "$got" -eq "$want" ] || { echo "FAIL: $got items, want $want"; exit 1; }
[ "$series" -eq "$want" ] || { echo "FAIL: $series working-set series, want $want"; exit 1; }
[ "$hwm" -le $((1024 * 1024)) ] || { echo "FAIL: peak RSS over 1 GiB"; exit 1; }
echo "ok"
