#!/usr/bin/env bash
# A real Prometheus scrapes the sim's /metrics: the page passes promtool's
# lint, the scrape is healthy, and PromQL sees the cAdvisor- and
# kube-state-metrics-style series for every pod.
set -euo pipefail
: "${KUBEMEND:?}" "${TMPDIR_E2E:?}"
source "$(dirname "$0")/lib/wait.sh"
PIDS=()
command -v prometheus >/dev/null || { echo "prometheus not installed (scripts/install-deps.sh)"; exit 1; }
pids=()
cleanup() { for p in "${pids[@]}" "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
d=$TMPDIR_E2E

"$KUBEMEND" sim --listen 127.0.0.1:0 --kubeconfig-out "$d/kc" --nodes 3 --pods 10 --speed 30 >"$d/sim.log" 2>&1 &
pids+=($!)
wait_file "$d/kc" 120 "${pids[-1]}" || { cat "$d/sim.log"; fail "the sim wrote no kubeconfig"; }
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
start_on_free_port port /-/ready 120 "$d/prom.log" \
	prometheus --config.file="$d/prom.yml" --storage.tsdb.path="$d/tsdb" --web.listen-address=127.0.0.1:{PORT} \
	|| fail "prometheus did not start"
q() { curl -sf "http://127.0.0.1:$port/api/v1/query" --data-urlencode "query=$1" | jq -r '.data.result | length'; }
scraped() { [ "$(q 'up{job="sim"} == 1' 2>/dev/null || echo 0)" = 1 ] && [ "$(q container_cpu_usage_seconds_total 2>/dev/null || echo 0)" -gt 0 ]; }
wait_until 120 scraped || true
[ "$(q 'up{job="sim"} == 1')" = 1 ] || { tail -5 "$d/prom.log"; fail "scrape not healthy"; }
echo "ok: Prometheus scrapes the sim"
pods=$(curl -sf "$server/api/v1/pods" | jq '.items | length')
[ "$(q container_memory_working_set_bytes)" = "$pods" ] || fail "working set series != $pods pods"
[ "$(q kube_pod_container_status_restarts_total)" = "$pods" ] || fail "restart series != $pods pods"
[ "$(q 'container_network_receive_bytes_total{interface="eth0"}')" = "$pods" ] || fail "network series"
[ "$(q 'kube_node_status_condition{condition="Ready",status="true"} == 1')" = 3 ] || fail "node conditions"
echo "ok: PromQL sees every pod's series"
