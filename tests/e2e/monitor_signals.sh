#!/usr/bin/env bash
# monitor: SIGHUP reloads the configuration (a new alert threshold shows in
# /metrics), flags keep precedence over the reloaded file, SIGINT stops it
# cleanly with both files complete; usage errors are one line and exit 2.
source "$(dirname "$0")/lib/collect.sh"
need_sim

dir=$TMPDIR_E2E/signals
mkdir -p "$dir/conf"
echo "alert_threshold: 0.7" >"$dir/conf/agent_config.yaml"
start_sim signals --scenario config/scenarios/demo.yaml --speed 30
"$KUBEMEND" monitor --kubeconfig "$KC" -A --interval 0.2s --listen 127.0.0.1:0 \
  --output-file "$dir/pod_metrics.csv" --insights-file "$dir/pod_insights.json" \
  --log-dir "$dir" --log-level debug --config-dir "$dir/conf" --quiet &
PIDS+=($!)
MON=$!
port=$(log_port "$dir/k8s_monitoring.log" 120 "$MON") || fail "the monitor logged no port"
threshold() { curl -fsS http://127.0.0.1:$port/metrics | awk '$1 == "kubemend_alert_threshold" { print $2 }'; }
is_threshold() { [ "$(threshold 2>/dev/null)" = "$1" ]; }
wait_until 60 is_threshold 0.7 || true
[ "$(threshold)" = "0.7" ] || fail "threshold before reload: $(threshold)"
echo "alert_threshold: 0.9" >"$dir/conf/agent_config.yaml"
kill -HUP "$MON"
wait_until 60 is_threshold 0.9 || true
[ "$(threshold)" = "0.9" ] || fail "threshold after reload: $(threshold)"
grep -q 'msg="configuration reloaded"' "$dir/k8s_monitoring.log" || fail "no reload line in k8s_monitoring.log"
grep -q 'level=debug' "$dir/k8s_monitoring.log" || fail "--log-level debug ignored"
# A broken file on reload keeps the running configuration.
echo "alert_threshold: [" >"$dir/conf/agent_config.yaml"
kill -HUP "$MON"
wait_until 60 grep -q 'reload failed' "$dir/k8s_monitoring.log" || true
grep -q 'reload failed' "$dir/k8s_monitoring.log" || fail "a broken file on reload was not reported"
kill -0 "$MON" || fail "monitor died on a broken reload"
kill -INT "$MON"; wait "$MON" || fail "monitor did not exit 0 on SIGINT"
jq -e '.insights | type == "array"' "$dir/pod_insights.json" >/dev/null || fail "insights file"
tail -c1 "$dir/pod_metrics.csv" | od -c | grep -q '\\n' || fail "CSV does not end with a whole row"
grep -q 'msg="stopping on signal"' "$dir/k8s_monitoring.log" || fail "no stop line"

# Usage errors.
for args in "--cycles 0" "--generator-only --anomaly-agent-only" "--nope" "--cycles 2 --duration 5"; do
  set +e; err=$("$KUBEMEND" monitor $args 2>&1 >/dev/null); rc=$?; set -e
  [ "$rc" = 2 ] || fail "monitor $args: exit $rc"
  [ "$(wc -l <<<"$err")" = 1 ] || fail "monitor $args: not one line: $err"
done
set +e; "$KUBEMEND" monitor --kubeconfig /nonexistent --cycles 1 --listen off --log-dir "$dir" 2>"$dir/err.txt"; rc=$?; set -e
[ "$rc" = 1 ] && grep -q nonexistent "$dir/err.txt" || fail "a missing kubeconfig: exit $rc, $(cat "$dir/err.txt")"
echo "ok: monitor reloads on SIGHUP, stops cleanly on SIGINT, rejects bad usage"
