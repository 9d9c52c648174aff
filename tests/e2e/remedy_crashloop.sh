#!/usr/bin/env bash
# A crash loop with no bad rollout to undo: kubemend proposes nothing and
# escalates (issue 12): a needs_person record with the evidence and the
# previous container's last log lines (pods/log?previous=true), secrets
# redacted; the audit log shows it read the log and wrote nothing.
source tests/e2e/lib/remedy.sh
d=$TMPDIR_E2E/crashloop
mkdir -p "$d"
cat > "$d/s.yaml" <<'YAML'
seed: 9
nodes: 2
workloads:
  - {namespace: shop, deployment: web, replicas: 2, limits: {cpu: 500m, memory: 256Mi}, usage: {cpu: 100m, memory: 100Mi}}
faults:
  - {type: crash_loop, at: 0s, target: shop/web, pods: 1}
YAML
start_sim crashloop "$d/s.yaml" 30 --audit-log "$d/audit.jsonl"
bad=
for _ in $(seq 1 100); do
  bad=$($K get pods -n shop -o json | jq -r '.items[] | select(.status.containerStatuses[0].restartCount > 0) | .metadata.name' | head -1)
  [ -n "$bad" ] && break; sleep 0.2
done
[ -n "$bad" ] || fail "no pod restarted"
# the rules' advice for a crash loop (no recommendations: remediate advises it)
insights_file "$d/i.json" "$(insight i-crash crash_loop shop web "" 0.95 '[]' "[\"$bad\"]")"
H=$d/h.json
"$KUBEMEND" remediate --auto-approve --once --insights-file "$d/i.json" --history-file "$H" \
  --log-dir "$d/logs" </dev/null 2>"$d/err" || { cat "$d/err"; fail "remediate failed"; }
rec=$("$KUBEMEND" history --json --history-file "$H" 2>/dev/null || cat "$H")
rec=$(echo "$rec" | jq -c 'if type == "array" then . else [.] end | .[] | select(.insight_id == "i-crash")' | tail -1)
expect "needs a person" "$(echo "$rec" | jq -r .status)" needs_person
echo "$rec" | jq -e '.params.previous_logs | any(test("fatal: giving up after 3 attempts; exit code 1"))' >/dev/null \
  || fail "no previous logs in the record: $rec"
echo "$rec" | jq -e '.params.previous_logs | any(test("s3cr3t")) | not' >/dev/null || fail "a secret reached the history"
echo "$rec" | jq -e '.params.previous_logs | any(test("\\[secret\\]"))' >/dev/null || fail "the secret was not marked redacted"
grep -q 'needs a person' "$d/logs/k8s_remediation.log" || fail "no error line (the alert)"
echo "ok: needs_person with the previous run's last lines, the password redacted"
jq -e 'select(.objectRef.subresource == "log" and .objectRef.name == "'"$bad"'" and .responseStatus.code == 200)' \
  "$d/audit.jsonl" >/dev/null || fail "the log was not read through pods/log"
n=$(jq -c 'select(.userAgent | startswith("kubemend")) | select(.verb | test("^(create|update|patch|delete)$"))' "$d/audit.jsonl" | wc -l)
expect "writes by kubemend" "$n" 0
"$KUBEMEND" history --why --insights-file "$d/i.json" --history-file "$H" >"$d/why"
grep -q "needs a person" "$d/why" || fail "history --why: $(cat "$d/why")"
echo "ok: history --why: $(grep i-crash "$d/why" | cut -c1-160)"
