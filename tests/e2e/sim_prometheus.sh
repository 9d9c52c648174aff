#!/usr/bin/env bash
# A real Prometheus scrapes the sim's /metrics: the page passes promtool's
# lint, the scrape is healthy, and PromQL sees the cAdvisor- and
# kube-state-metrics-style series for every pod.
set -euo pipefail
: "${KUBEMEND:?}" "${TMPDIR_E2E:?}"
command -v prometheus >/dev/null || { echo "prometheus not installed (scripts/install-deps.sh)"; exit 1; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
d=$TMPDIR_E2E

"$KUBEMEND" sim --listen 127.0.0.1:0 --kubeconfig-out "$d/kc" --nodes 3 --pods 10 --speed 30 >"$d/sim.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$d/kc" ] && break; sleep 0.1; done
server=$(awk '/server:/ {print $2}' "$d/kc")
target=${server#http://}
curl -sf "$server/metrics" >"$d/metrics.txt"
promtool check metrics <"$d/metrics.txt" || fail "promtool lint"
echo "ok: promtool check metrics"
dups=$(grep -v '^#' "$d/metrics.txt" | awk '{print $1}' | sort | uniq -d | head -3)
[ -z "$dups" ] || fail "duplicate series: $dups"

cat >"$d/prom.yml" <<EOC
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: sim
    static_configs: [{targets: ['$target']}]
EOC
for _ in 1 2 3 4 5; do
	port=$((20000 + RANDOM % 20000))
	prometheus --config.file="$d/prom.yml" --storage.tsdb.path="$d/tsdb" --web.listen-address=127.0.0.1:$port \
		>"$d/prom.log" 2>&1 &
	ppid_=$!
	sleep 1
	kill -0 $ppid_ 2>/dev/null && break
done
pids+=($ppid_)
q() { curl -sf "http://127.0.0.1:$port/api/v1/query" --data-urlencode "query=$1" | jq -r '.data.result | length'; }
for _ in $(seq 60); do
	[ "$(q 'up{job="sim"} == 1' 2>/dev/null || echo 0)" = 1 ] && [ "$(q container_cpu_usage_seconds_total 2>/dev/null || echo 0)" -gt 0 ] && break
	sleep 0.5
done
[ "$(q 'up{job="sim"} == 1')" = 1 ] || { tail -5 "$d/prom.log"; fail "scrape not healthy"; }
echo "ok: Prometheus scrapes the sim"
pods=$(curl -sf "$server/api/v1/pods" | jq '.items | length')
[ "$(q container_memory_working_set_bytes)" = "$pods" ] || fail "working set series != $pods pods"
[ "$(q kube_pod_container_status_restarts_total)" = "$pods" ] || fail "restart series != $pods pods"
[ "$(q 'container_network_receive_bytes_total{interface="eth0"}')" = "$pods" ] || fail "network series"
[ "$(q 'kube_node_status_condition{condition="Ready",status="true"} == 1')" = 3 ] || fail "node conditions"
echo "ok: PromQL sees every pod's series"
