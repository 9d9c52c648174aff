#!/usr/bin/env bash
# kubemend in the ecosystem, with Debian's real servers on loopback: a
# Prometheus scrapes the monitor's /metrics and answers a query for the
# per-pod anomaly gauge; an Alertmanager lists the alert the monitor sent
# for an insight and then shows it resolved. Also /healthz, /readyz and
# /api/insights. SKIPs only when the Debian packages cannot be run here.
source "$(dirname "$0")/lib/collect.sh"
need_sim

PROM=$(command -v prometheus || true)
AM=$(command -v prometheus-alertmanager || command -v alertmanager || true)
if [ -z "$PROM" ] || [ -z "$AM" ] || ! "$PROM" --version >/dev/null 2>&1 || ! "$AM" --version >/dev/null 2>&1; then
  echo "SKIP: prometheus and prometheus-alertmanager (Debian packages, scripts/install-deps.sh) cannot run here"
  exit 0
fi

dir=$TMPDIR_E2E/eco
mkdir -p "$dir"
cat >"$dir/scen.yaml" <<'YAML'
seed: 5
nodes: 2
workloads:
  - {namespace: shop, deployment: web, replicas: 2, requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: 500m, memory: 256Mi}, usage: {cpu: 100m, memory: 100Mi, rx: 100Ki, tx: 100Ki}}
faults:
  - {type: network_errors, at: 1m, duration: 30m, target: shop/web, pods: 1, params: {rate: 10}}
YAML
# The sim's clock stands still until Alertmanager, the monitor and Prometheus
# are up (their start-up is not raced against the fault's window); it runs at
# 30x until the alert fires, then at 600x so the fault's remaining time
# passes and the alert resolves.
start_sim eco --scenario "$dir/scen.yaml" --speed 0 --truth-out "$dir/truth.json"
sim_speed() { curl -fsS -X POST -H "Authorization: Bearer $TOKEN" "$SERVER/sim/v1/speed?x=$1" >/dev/null; }

cat >"$dir/am.yml" <<'YAML'
route: {receiver: blackhole, group_wait: 1s, group_interval: 1s}
receivers: [{name: blackhole}]
YAML
start_on_free_port amport /-/ready 120 "$dir/am.log" \
  "$AM" --config.file="$dir/am.yml" --storage.path="$dir/am" --web.listen-address=127.0.0.1:{PORT} \
  --cluster.listen-address= || fail "alertmanager did not start"

# The monitor runs until this test has seen what it needs and stops it: no
# --duration racing the start-up of everything else on a busy machine.
"$KUBEMEND" monitor --kubeconfig "$KC" -A --interval 0.5s \
  --output-file "$dir/pod_metrics.csv" --insights-file "$dir/pod_insights.json" \
  --listen 127.0.0.1:0 --alertmanager-url http://127.0.0.1:$amport \
  --log-dir "$dir" --config-dir tests/fixtures/monitor --quiet &
PIDS+=($!)
MON=$!
mport=$(log_port "$dir/k8s_monitoring.log" 120 "$MON") || fail "the monitor logged no port"

cat >"$dir/prom.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: kubemend
    static_configs: [{targets: ['127.0.0.1:$mport']}]
YAML
start_on_free_port pport /-/ready 120 "$dir/prom.log" \
  "$PROM" --config.file="$dir/prom.yml" --storage.tsdb.path="$dir/prom" \
  --web.listen-address=127.0.0.1:{PORT} || fail "prometheus did not start"

wait_for() { wait_until "$@"; }
wait_for 60 curl -fsS http://127.0.0.1:$mport/healthz || fail "/healthz"
wait_for 120 curl -fsS http://127.0.0.1:$mport/readyz || fail "/readyz never ready"
curl -fsS http://127.0.0.1:$mport/metrics | grep -q '^kubemend_pod_anomaly_probability{namespace="shop",pod="web-' \
  || fail "/metrics has no per-pod gauge"
curl -fsS http://127.0.0.1:$mport/api/insights | jq -e '.insights | type == "array"' >/dev/null || fail "/api/insights"
[ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$mport/nope)" = 404 ] || fail "404"

sim_speed 30 || fail "cannot start the sim's clock"
q() { curl -fsS "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1"; }
has_result() { q "$1" | jq -e '.data.result | length > 0'; }
wait_for 120 has_result 'kubemend_pod_anomaly_probability{namespace="shop"}' \
  || { tail -5 "$dir/prom.log" >&2; fail "Prometheus has no kubemend_pod_anomaly_probability"; }
wait_for 60 has_result 'kubemend_cycles_total > 0' || fail "Prometheus has no kubemend_cycles_total"

alerts() { curl -fsS "http://127.0.0.1:$amport/api/v2/alerts"; }
firing() { alerts | jq -e '[.[] | select(.labels.alertname == "KubemendAnomaly" and .labels.namespace == "shop"
                            and .labels.anomaly_type == "network" and (.labels.pod | startswith("web-")))] | length > 0'; }
wait_for 120 firing || { alerts >&2; fail "Alertmanager never listed the alert"; }
sim_speed 600 || fail "cannot speed the sim's clock up"
# Resolved: gone from the active list, or still listed with endsAt in the past.
resolved() {
  alerts | jq -e --arg now "$(date -u +%Y-%m-%dT%H:%M:%S)" '[.[] | select(.labels.anomaly_type == "network")
     | select(.endsAt[0:19] > $now)] | length == 0'
}
wait_for 120 resolved || { alerts >&2; fail "the alert was not resolved"; }
jq -e '[.insights[] | select(.anomaly_type == "network" and .resolved_at != null)] | length > 0' \
  "$dir/pod_insights.json" >/dev/null || fail "the insight did not resolve"
kill -TERM "$MON"; wait "$MON" || fail "monitor did not exit cleanly on SIGTERM"
jq -e . "$dir/pod_insights.json" >/dev/null || fail "insights file after SIGTERM"
echo "ok: prometheus scraped kubemend; alertmanager saw the alert fire and resolve"
