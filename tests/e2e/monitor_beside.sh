#!/usr/bin/env bash
# Remediation runs beside the monitoring loop (issue 12, M1): while an
# action is being verified (a long verify window), collection and
# detection go on, /readyz stays green, and --duration is honoured (the
# verification is cut short and recorded as such). /readyz turns red when
# a cycle is overdue (the API server stops answering) and green again after.
source "$(dirname "$0")/lib/collect.sh"
need_sim

d=$TMPDIR_E2E/beside
mkdir -p "$d/conf"
printf 'verify_window: 120s\n' > "$d/conf/agent_config.yaml"
shop_oom_scenario "$d/s.yaml" 5 200Mi 1m

start_sim beside --scenario "$d/s.yaml" --speed 20
SIMPID=${PIDS[-1]}
t0=$(date +%s.%N)
"$KUBEMEND" monitor --kubeconfig "$KC" -A --interval 0.5s --duration 30 --remediate --auto-approve \
  --output-file "$d/m.csv" --insights-file "$d/i.json" --history-file "$d/h.json" \
  --listen 127.0.0.1:0 --log-dir "$d" --config-dir "$d/conf" --quiet </dev/null 2>"$d/err" &
MON=$!
PIDS+=($MON)
port=
for _ in $(seq 1 100); do
  port=$(sed -n "s/.*msg=serving.* port=\([0-9]*\).*/\1/p" "$d/k8s_monitoring.log" 2>/dev/null | head -1 || true)
  [ -n "$port" ] && break; sleep 0.1
done
[ -n "$port" ] || fail "no serving line: $(cat "$d/err")"
ready() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz"; }
cycles() { curl -fsS "http://127.0.0.1:$port/metrics" | awk '$1 == "kubemend_cycles_total" { print $2 }'; }

# wait until an action is being verified
for _ in $(seq 1 200); do
  hist_json "$d/h.json" | jq -e 'any(.[]; .status == "executing" and .result != null)' >/dev/null 2>&1 && break
  sleep 0.1
done
hist_json "$d/h.json" | jq -e 'any(.[]; .status == "executing" and .result != null)' >/dev/null \
  || fail "no action reached verification: $(cat "$d/h.json" 2>/dev/null)"
c1=$(cycles)
# five seconds into the verification: the loop goes on, /readyz is green
bad=0
for _ in $(seq 1 10); do [ "$(ready)" = 200 ] || bad=$((bad + 1)); sleep 0.5; done
c2=$(cycles)
[ "$bad" = 0 ] || fail "/readyz was not 200 $bad times while an action was being verified"
awk -v a="$c1" -v b="$c2" 'BEGIN { exit !(b - a >= 5) }' \
  || fail "the loop stood still while an action was verified: cycles $c1 -> $c2"
echo "ok: cycles $c1 -> $c2 in 5 s while an action was being verified; /readyz 200"

# overdue: the API server stops answering (SIGSTOP), so no cycle succeeds
kill -STOP "$SIMPID"
red=
for _ in $(seq 1 150); do [ "$(ready)" = 503 ] && { red=1; break; }; sleep 0.1; done
why=$(curl -s "http://127.0.0.1:$port/readyz")
kill -CONT "$SIMPID"
[ -n "$red" ] || fail "/readyz stayed green with the API server stopped"
grep -q "overdue" <<<"$why" || fail "/readyz does not say why: $why"
green=
for _ in $(seq 1 150); do [ "$(ready)" = 200 ] && { green=1; break; }; sleep 0.1; done
[ -n "$green" ] || fail "/readyz did not turn green after the API server came back"
echo "ok: /readyz red when a cycle is overdue ($why), green again after"

wait "$MON" || fail "monitor exited $?"
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 30 + 8) }' \
  || fail "--duration 30 overrun: the run took $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s"
hist_json "$d/h.json" | jq -e 'all(.[]; .status != "executing")' >/dev/null \
  || fail "a record stayed executing after a clean stop: $(cat "$d/h.json")"
hist_json "$d/h.json" | jq -e 'any(.[]; .action == "change_limits" and .status == "unverified")' >/dev/null \
  || fail "the cut-short verification is not recorded as unverified: $(hist_json "$d/h.json" | jq -c '[.[] | {action, status}]')"
echo "ok: --duration 30 honoured ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s) with a 120 s verify window"
