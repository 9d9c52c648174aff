#!/usr/bin/env bash
# A crash loop with no bad rollout to undo: kubemend proposes nothing and
# escalates (issue 12): a needs_person record with the evidence (reason,
# exit code) and the previous container's last log lines
# (pods/log?previous=true), secrets redacted; the audit log shows it read
# the log and wrote nothing. Then a crash loop that came with a release:
# `rollout_undo` puts the previous ReplicaSet's template back (as kubectl
# rollout undo), verified by the restored revision's pods, and the fault ends.
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
echo "$rec" | jq -e '.params.termination | .reason == "Error" and .exit_code == 1 and .failing >= 1' >/dev/null \
  || fail "no termination evidence (reason, exit code): $rec"
echo "$rec" | jq -e '.result.message | test("no rollback: .*no revision before 1") and test("exit code 1")' >/dev/null \
  || fail "the message does not say why nothing was rolled back: $rec"
echo "ok: needs_person with the previous run's last lines, the password redacted"
jq -e 'select(.objectRef.subresource == "log" and .objectRef.name == "'"$bad"'" and .responseStatus.code == 200)' \
  "$d/audit.jsonl" >/dev/null || fail "the log was not read through pods/log"
n=$(jq -c 'select(.userAgent | startswith("kubemend")) | select(.verb | test("^(create|update|patch|delete)$"))' "$d/audit.jsonl" | wc -l)
expect "writes by kubemend" "$n" 0
"$KUBEMEND" history --why --insights-file "$d/i.json" --history-file "$H" >"$d/why"
grep -q "needs a person" "$d/why" || fail "history --why: $(cat "$d/why")"
echo "ok: history --why: $(grep i-crash "$d/why" | cut -c1-160)"

# A bad release: the template's image changes and every new pod crashes.
cat > "$d/r.yaml" <<'YAML'
seed: 9
nodes: 2
workloads:
  - {namespace: shop, deployment: api, replicas: 2, limits: {cpu: 500m, memory: 256Mi}, usage: {cpu: 100m, memory: 100Mi}}
faults:
  - {type: crash_loop, at: 30s, target: shop/api, params: {release: true}}
YAML
start_sim release "$d/r.yaml" 30 --audit-log "$d/audit2.jsonl"
bad=
for _ in $(seq 1 200); do
  bad=$($K get pods -n shop -o json | jq -r '.items[] | select(.spec.containers[0].image | endswith("-next")) | select(.status.containerStatuses[0].restartCount > 0) | .metadata.name' | head -1)
  [ -n "$bad" ] && break; sleep 0.2
done
[ -n "$bad" ] || fail "no pod of the release restarted"
[ "$($K get deploy api -n shop -o jsonpath='{.metadata.annotations.deployment\.kubernetes\.io/revision}')" = 2 ] \
  || fail "the release is not revision 2"
insights_file "$d/i2.json" "$(insight i-rel crash_loop shop api "" 0.95 '[]' "[\"$bad\"]")"
H2=$d/h2.json
"$KUBEMEND" remediate --auto-approve --once --insights-file "$d/i2.json" --history-file "$H2" \
  --verify-window 20s --log-dir "$d/logs2" </dev/null 2>"$d/err2" || { cat "$d/err2"; fail "remediate failed"; }
rec=$(hist_json "$H2" | jq -c '.[] | select(.action == "rollout_undo")' | tail -1)
[ -n "$rec" ] || fail "no rollout_undo record: $(hist_json "$H2")"
expect "rollback verified" "$(echo "$rec" | jq -r .status)" succeeded
echo "$rec" | jq -e '.params.revision_before == 2 and .params.revision_after == 1 and (.params.image_after | endswith(":1.0"))' \
  >/dev/null || fail "the rollback names the wrong revisions: $rec"
echo "ok: $(echo "$rec" | jq -r .params.description)"
# the Deployment's template is the old one again, under a new revision (3), as kubectl rollout undo leaves it
[ "$($K get deploy api -n shop -o jsonpath='{.spec.template.spec.containers[0].image}')" = registry.local/api:1.0 ] \
  || fail "the template's image was not restored"
[ "$($K get deploy api -n shop -o jsonpath='{.metadata.annotations.deployment\.kubernetes\.io/revision}')" = 3 ] \
  || fail "the restored template is not revision 3"
[ "$(jq -r '.[] | select(.type == "crash_loop") | .ended_by' "$TRUTH")" = set_image ] \
  || fail "the sim's fault did not end: $(cat "$TRUTH")"
patched=no
for _ in $(seq 1 100); do # the audit log is written as the sim gets to it
  # (the sim is still writing: its last line may be cut, so no jq on the whole file)
  grep '"userAgent":"kubemend' "$d/audit2.jsonl" | grep '"verb":"patch"' |
    grep -q '"resource":"deployments","namespace":"shop","name":"api"' && { patched=yes; break; }
  sleep 0.1
done
expect "the rollback is a PATCH of the deployment in the audit log" "$patched" yes
echo "ok: the release was rolled back and the crash loop ended"
