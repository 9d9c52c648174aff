#!/usr/bin/env bash
# kill -9 during a run leaves a history that parses and names the action in
# flight (status executing, with its action and target), and a later run
# reads that file and goes on from it.
source tests/e2e/lib/remedy.sh
d=$TMPDIR_E2E/kill
mkdir -p "$d"
start_sim kill tests/fixtures/remedy/cluster.yaml 5
oom_started() { [ "$(jq '[.[] | select(.type=="oom_limit_too_low")] | length' "$TRUTH" 2>/dev/null || echo 0)" = 1 ]; }
wait_until 60 oom_started || true
MI=1048576
web=$(insight i-web oom shop web "" 0.95 "[{\"action\":\"change_limits\",\"target\":{\"kind\":\"Deployment\",\"name\":\"shop/web\"},\"params\":{\"memory_limit_before\":$((128*MI)),\"memory_limit_after\":$((256*MI))},\"rationale\":\"r\",\"risk\":\"medium\"}]")
insights_file "$d/insights.json" "$web"
H=$d/history.json

"$KUBEMEND" remediate --auto-approve --once --insights-file "$d/insights.json" --history-file "$H" \
  --verify-window 60s --log-dir "$d/logs" </dev/null 2>"$d/err" &
pid=$!
status_is() { [ "$(hist_json "$2" | jq -r '.[0].status' 2>/dev/null)" = "$1" ]; }
wait_until 60 status_is executing "$H" || true
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
jq -e -s 'all(.[]; type == "object" and has("id"))' "$H" >/dev/null || fail "history (JSON lines) does not parse after kill -9"
hist_json "$H" | jq -e 'type == "array"' >/dev/null || fail "history does not read after kill -9"
expect "the action in flight" "$(hist_json "$H" | jq -r '.[0] | "\(.status) \(.action) \(.target.namespace)/\(.target.name)"')" \
  "executing change_limits shop/web"
hist_json "$H" | jq -e '.[0].started | test("Z$")' >/dev/null || fail "no start time"
echo "ok: history names the action in flight"

# the next run reconciles it: interrupted, with a warning (M6)
insights_file "$d/none.json"
"$KUBEMEND" remediate --auto-approve --once --insights-file "$d/none.json" --history-file "$H" \
  --log-dir "$d/logs" </dev/null 2>"$d/rec.err" || fail "the reconciling run failed"
expect "reconciled" "$(hist_json "$H" | jq -r '.[0].status')" interrupted
hist_json "$H" | jq -r '.[0].interrupted' | grep -q "change_limits web was in flight" || fail "no reconcile message: $(hist_json "$H" | jq -c '.[0]')"
grep -q 'reconciled a record left executing' "$d/rec.err" "$d/logs/k8s_remediation.log" || fail "no warning"
echo "ok: a record left executing is reconciled as interrupted"

# kills at other moments, many insights a run: the file always parses
for i in 1 2 3 4 5 6; do
  ins=()
  for j in 1 2 3; do
    ins+=("$(insight "i-$i-$j" oom shop cart "" 0.95 "[{\"action\":\"change_limits\",\"target\":{\"kind\":\"Deployment\",\"name\":\"shop/cart\"},\"params\":{},\"rationale\":\"r\",\"risk\":\"medium\"}]")")
  done
  insights_file "$d/k$i.json" "${ins[@]}"
  "$KUBEMEND" remediate --dry-run --auto-approve --once --insights-file "$d/k$i.json" --history-file "$H" \
    --verify-window 1s --log-dir "$d/logs" </dev/null 2>/dev/null &
  pid=$!
  sleep "0.0$((RANDOM % 10))"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  jq -e -s 'all(.[]; has("id") and has("status"))' "$H" >/dev/null &&
  hist_json "$H" | jq -e 'type == "array" and all(.[]; has("id") and has("status"))' >/dev/null ||
    fail "history does not parse after kill -9 #$i"
done
echo "ok: history parses after random kills"
"$KUBEMEND" history --history-file "$H" | grep -q 'interrupted' || fail "history command cannot read it"

# watching: a new insight in the file is picked up on the next interval;
# SIGTERM ends the loop cleanly with the history written
W=$d/watch-history.json
insights_file "$d/watch.json"
"$KUBEMEND" remediate --dry-run --auto-approve --watch-interval 0.3 --insights-file "$d/watch.json" \
  --history-file "$W" --verify-window 1s --log-dir "$d/logs" </dev/null 2>"$d/watch.err" &
pid=$!
sleep 1
insights_file "$d/watch.json" "$(insight i-w oom shop cart "" 0.95 '[{"action":"change_limits","target":{"kind":"Deployment","name":"shop/cart"},"params":{"memory_limit_after":402653184},"rationale":"r","risk":"medium"}]')"
wait_until 60 status_is dry_run "$W" || true
expect "watch mode picked the new insight up" "$(hist_json "$W" | jq -r '.[0].status')" dry_run
kill -TERM "$pid"
wait "$pid" || fail "remediate did not exit cleanly on SIGTERM"
grep -q 'msg=summary' "$d/watch.err" || fail "no summary at exit"
echo "ok: watch mode and SIGTERM"

# a history that is not valid JSON is refused, named with its position, and left alone
printf '[{"id": "r-000001",' >"$d/bad.json"
cp "$d/bad.json" "$d/bad.orig"
"$KUBEMEND" remediate --auto-approve --once --insights-file "$d/insights.json" --history-file "$d/bad.json" \
  </dev/null 2>"$d/bad.err" && fail "a corrupt history was accepted"
grep -q "bad.json:1:" "$d/bad.err" || { cat "$d/bad.err"; fail "no position in the error"; }
cmp -s "$d/bad.json" "$d/bad.orig" || fail "the corrupt history was overwritten"
echo "ok: corrupt history refused and kept"
echo "all remediate kill checks passed"
