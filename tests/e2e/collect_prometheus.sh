#!/usr/bin/env bash
# collect --prometheus-url against a real Prometheus (Debian's) that scrapes
# the sim's /metrics on loopback: the drop-rate columns match the sim's
# injected packet_drops fault (rx = rate, tx = rate/2 per second), and a
# custom --metric-name column matches the value the sim itself exports.
source tests/e2e/lib/collect.sh
need_sim
if ! command -v prometheus >/dev/null 2>&1; then
  echo "SKIP: prometheus is not installed (scripts/install-deps.sh installs it)"
  exit 0
fi

cat >"$TMPDIR_E2E/drops.yaml" <<'YAML'
seed: 5
nodes: 2
workloads:
  - namespace: shop
    deployment: web
    replicas: 3
    requests: {cpu: 100m, memory: 128Mi}
    limits: {cpu: 500m, memory: 256Mi}
    usage: {cpu: 120m, memory: 100Mi, rx: 200Ki, tx: 150Ki}
faults:
  - type: packet_drops
    at: 0s
    target: shop/web
    pods: 1
    params: {rate: 40}
YAML
start_sim prom --speed 1 --scenario "$TMPDIR_E2E/drops.yaml" --truth-out "$TMPDIR_E2E/truth.json"
sim_hostport=${SERVER#http://}

# Prometheus on a free loopback port, scraping the sim every second.
cat >"$TMPDIR_E2E/prometheus.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: sim
    static_configs: [{targets: ["$sim_hostport"]}]
YAML
start_on_free_port port /-/ready 120 "$TMPDIR_E2E/prometheus.log" \
  prometheus --config.file="$TMPDIR_E2E/prometheus.yml" --storage.tsdb.path="$TMPDIR_E2E/tsdb" \
  --web.listen-address="127.0.0.1:{PORT}" || fail "prometheus did not start"
prom=http://127.0.0.1:$port

# Wait until Prometheus has a few scrapes of the drop counters.
drop_samples() {
  curl -fsG "$prom/api/v1/query" --data-urlencode 'query=count_over_time(container_network_receive_packets_dropped_total[20s])' \
    | jq '[.data.result[].value[1] | tonumber] | min // 0'
}
enough_samples() { n=$(drop_samples) && [ "$n" -ge 15 ]; }
wait_until 180 enough_samples || true
n=$(drop_samples || echo 0)
[ "$n" -ge 15 ] || fail "prometheus has not scraped the sim"

# The drop queries on a window the data fills (the default [2m] needs two
# minutes of data), over many samples so one late scrape cannot skew it.
cat >"$TMPDIR_E2E/collect.yaml" <<'YAML'
prometheus:
  queries:
    net_rx_dropped_ps: 'sum by (namespace, pod) (rate(container_network_receive_packets_dropped_total{%s}[15s]))'
    net_tx_dropped_ps: 'sum by (namespace, pod) (rate(container_network_transmit_packets_dropped_total{%s}[15s]))'
YAML
out=$TMPDIR_E2E/prom.csv
"$KUBEMEND" collect --kubeconfig "$KC" --config "$TMPDIR_E2E/collect.yaml" -A --cycles 1 \
  --prometheus-url "$prom" --metric-name container_spec_memory_limit_bytes \
  --metric-name 'limit_from_ksm=sum by (namespace, pod) (kube_pod_container_resource_limits{resource="memory",%s})' \
  --output-file "$out" 2>"$TMPDIR_E2E/collect.log" || { cat "$TMPDIR_E2E/collect.log"; fail "collect failed"; }
! grep -q "Prometheus columns stay empty" "$TMPDIR_E2E/collect.log" || { cat "$TMPDIR_E2E/collect.log"; fail "prometheus not read"; }

victim=$(jq -r '.[] | select(.type == "packet_drops") | .pods[0]' "$TMPDIR_E2E/truth.json")
[ -n "$victim" ] && [ "$victim" != null ] || fail "the truth file names no pod"
c_pod=$(csv_col "$out" pod); c_rx=$(csv_col "$out" net_rx_dropped_ps); c_tx=$(csv_col "$out" net_tx_dropped_ps)
c_lim=$(csv_col "$out" mem_limit_bytes); c_ns=$(csv_col "$out" namespace)
c_c1=$(csv_col "$out" container_spec_memory_limit_bytes); c_c2=$(csv_col "$out" limit_from_ksm)
[ -n "$c_c1" ] && [ -n "$c_c2" ] || fail "custom columns missing from the header"
awk -F, -v p="$c_pod" -v rx="$c_rx" -v tx="$c_tx" -v v="$victim" 'NR > 1 {
  if ($p == v) { hit = 1; if ($rx < 34 || $rx > 46 || $tx < 17 || $tx > 23) { print "victim drops " $rx " " $tx; bad = 1 } }
  else if ($rx != "" && $rx + 0 != 0) { print "drops on " $p ": " $rx; bad = 1 } }
  END { if (!hit) print "no row for " v; exit bad || !hit }' "$out" || fail "drop rates do not match the fault"

# The custom columns equal what the sim exports (a gauge: it does not move).
curl -fs "$SERVER/metrics" | awk '/^container_spec_memory_limit_bytes\{/ {
  match($0, /namespace="[^"]*"/); ns = substr($0, RSTART + 11, RLENGTH - 12)
  match($0, /pod="[^"]*"/); pod = substr($0, RSTART + 5, RLENGTH - 6)
  sum[ns "/" pod] += $NF } END { for (k in sum) printf "%s %.0f\n", k, sum[k] }' | sort >"$TMPDIR_E2E/sim.limits"
tail -n +2 "$out" | awk -F, -v a="$c_ns" -v b="$c_pod" -v c="$c_c1" '{print $a "/" $b, $c}' | sort >"$TMPDIR_E2E/csv.limits"
diff "$TMPDIR_E2E/sim.limits" "$TMPDIR_E2E/csv.limits" || fail "custom column differs from the sim's /metrics"
tail -n +2 "$out" | awk -F, -v a="$c_c2" -v b="$c_lim" '$a != $b { print "ksm " $a " vs pod spec " $b; bad = 1 } END { exit bad }' \
  || fail "custom PromQL column differs from the pod spec"

# Prometheus down: collect goes on, says so once, leaves the columns empty.
"$KUBEMEND" collect --kubeconfig "$KC" -A --cycles 2 --interval 0.2 --prometheus-url http://127.0.0.1:1 \
  --output-file "$TMPDIR_E2E/down.csv" 2>"$TMPDIR_E2E/down.log" || fail "collect failed without Prometheus"
[ "$(grep -c 'Prometheus columns stay empty' "$TMPDIR_E2E/down.log")" -eq 1 ] || { cat "$TMPDIR_E2E/down.log"; fail "not said exactly once"; }
echo "ok: drop rates and custom columns through a real Prometheus"
