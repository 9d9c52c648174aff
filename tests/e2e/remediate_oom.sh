#!/usr/bin/env bash
# The closed loop with --auto-approve: an OOM insight on shop/web gets
# change_limits, the sim's truth file records the cure, the history says
# succeeded; an insight in kube-system is refused (namespace_denied); the
# healthy neighbours are not touched (resourceVersions unchanged; in
# kube-system, whose crash-looping pod changes its own status, no object is
# replaced and no spec changes); a second pass proposes nothing again;
# --rollback puts the old limit back; `kubemend history` lists it all.
source tests/e2e/lib/remedy.sh
d=$TMPDIR_E2E/oom
mkdir -p "$d"
start_sim oom tests/fixtures/remedy/cluster.yaml 30

oom_started() { [ "$(jq '[.[] | select(.type=="oom_limit_too_low")] | length' "$TRUTH" 2>/dev/null || echo 0)" = 1 ]; }
wait_until 60 oom_started || true
MI=1048576
web=$(insight i-web oom shop web "" 0.95 "[{\"action\":\"change_limits\",\"target\":{\"kind\":\"Deployment\",\"name\":\"shop/web\"},\"params\":{\"memory_limit_before\":$((128*MI)),\"memory_limit_after\":$((256*MI))},\"rationale\":\"OOM kills at the limit\",\"risk\":\"medium\"},{\"action\":\"restart_pod\",\"target\":{\"kind\":\"Pod\",\"name\":\"shop/nope\"},\"params\":{},\"rationale\":\"r\",\"risk\":\"low\"}]")
dnspod=$(pods_of kube-system dns | head -1)
dns=$(insight i-dns crash_loop kube-system dns "" 0.99 "[{\"action\":\"restart_pod\",\"target\":{\"kind\":\"Pod\",\"name\":\"kube-system/$dnspod\"},\"params\":{},\"rationale\":\"crash\",\"risk\":\"low\"}]")
low=$(insight i-low oom shop cart "" 0.3 "[{\"action\":\"change_limits\",\"target\":{\"kind\":\"Deployment\",\"name\":\"shop/cart\"},\"params\":{\"memory_limit_before\":$((256*MI)),\"memory_limit_after\":$((384*MI))},\"rationale\":\"r\",\"risk\":\"medium\"}]")
# a recommendation naming a workload the insight is not about
stray=$(insight i-stray oom pay api "" 0.95 "[{\"action\":\"change_limits\",\"target\":{\"kind\":\"Deployment\",\"name\":\"shop/cart\"},\"params\":{\"memory_limit_before\":$((256*MI)),\"memory_limit_after\":$((384*MI))},\"rationale\":\"r\",\"risk\":\"medium\"}]")
# proposed against a limit that is no longer there: skipped by the guard
guard=$(insight i-guard oom shop cart "" 0.95 "[{\"action\":\"change_limits\",\"target\":{\"kind\":\"Deployment\",\"name\":\"shop/cart\"},\"params\":{\"memory_limit_before\":$((512*MI)),\"memory_limit_after\":$((768*MI))},\"rationale\":\"r\",\"risk\":\"medium\"}]")
# a pod that does not exist: a recorded failure (404), not a crash
gone=$(insight i-gone crash_loop shop cart "" 0.95 '[{"action":"restart_pod","target":{"kind":"Pod","name":"shop/cart-gone"},"params":{},"rationale":"r","risk":"low"}]' '["cart-gone"]')
# an insight that came without recommendations is advised from the API
leaky=$(jq -r '.[] | select(.type=="memory_leak") | .pods[0]' "$TRUTH")
bare=$(insight i-bare memory_leak pay api "" 0.9 '[]' "[\"$leaky\"]")
insights_file "$d/insights.json" "$web" "$dns" "$low" "$stray" "$guard" "$gone" "$bare"

rvs shop | grep -v '/web' | grep -v '^Node' | sort >"$d/healthy.before"
$K get deploy,rs,pods -n kube-system -o json | jq -r '.items[] | "\(.kind)/\(.metadata.name) \(.metadata.uid) \(.metadata.generation)"' | sort >"$d/ks.before"

"$KUBEMEND" remediate --insights-file "$d/insights.json" --history-file "$d/history.json" \
  --auto-approve --once --verify-window 6s --log-dir "$d/logs" </dev/null 2>"$d/err" ||
  { cat "$d/err"; fail "remediate failed"; }
grep -q "WITHOUT ASKING" "$d/err" || fail "no --auto-approve banner"
echo "ok: banner"

H=$d/history.json
expect "change_limits succeeded" "$(hist_json "$H" | jq -r '.[] | select(.insight_id=="i-web") | .status')" succeeded
expect "approval auto" "$(hist_json "$H" | jq -r '.[] | select(.insight_id=="i-web") | .approval')" auto
expect "previous limit recorded" "$(hist_json "$H" | jq -r '.[] | select(.insight_id=="i-web") | .result.previous.limits.memory')" 128Mi
expect "limit raised" "$($K get deploy -n shop web -o jsonpath='{.spec.template.spec.containers[0].resources.limits.memory}')" 256Mi
expect "truth: cured by change_limits" \
  "$(jq -r '.[] | select(.type=="oom_limit_too_low") | .ended_by' "$TRUTH")" change_limits
expect "kube-system refused" "$(hist_json "$H" | jq -r '.[] | select(.insight_id=="i-dns" and .action != "none") | "\(.status) \(.result.rule) \(.result.setting)"')" "refused namespace_denied agent.policy.deny_namespaces"
hist_json "$H" | jq -r '.[] | select(.insight_id=="i-dns" and .action != "none") | .result.message' | grep -q "namespace kube-system is denied" || fail "refusal message"
expect "kube-system: needs a person, naming the rule" "$(hist_json "$H" | jq -r '.[] | select(.insight_id=="i-dns" and .action == "none") | "\(.status) \(.result.message | test("namespace_denied"))"')" "needs_person true"
expect "stray target refused" "$(hist_json "$H" | jq -r '.[] | select(.insight_id=="i-stray" and .action != "none") | "\(.status) \(.result.rule)"')" "refused target_outside_insight"
expect "changed target skipped" "$(hist_json "$H" | jq -r '.[] | select(.insight_id=="i-guard") | .status')" skipped
hist_json "$H" | jq -r '.[] | select(.insight_id=="i-guard") | .result.message' | grep -q "no longer what the proposal started from" || fail "skip message"
expect "missing pod: failed 404" "$(hist_json "$H" | jq -r '.[] | select(.insight_id=="i-gone") | "\(.status) \(.result.http_status)"')" "failed 404"
expect "advised: restart_pod of the leaking pod" "$(hist_json "$H" | jq -r '.[] | select(.insight_id=="i-bare") | "\(.action) \(.target.name) \(.result.operation)"')" "restart_pod $leaky evict_pod"
expect "truth: leak cured by an eviction" "$(jq -r '.[] | select(.type=="memory_leak") | .ended_by' "$TRUTH")" evict
expect "low confidence not proposed" "$(hist_json "$H" | jq '[.[] | select(.insight_id=="i-low")] | length')" 0
expect "one action for i-web" "$(hist_json "$H" | jq '[.[] | select(.insight_id=="i-web")] | length')" 1

rvs shop | grep -v '/web' | grep -v '^Node' | sort >"$d/healthy.after"
diff "$d/healthy.before" "$d/healthy.after" || fail "a healthy workload was touched"
echo "ok: healthy workloads untouched"
$K get deploy,rs,pods -n kube-system -o json | jq -r '.items[] | "\(.kind)/\(.metadata.name) \(.metadata.uid) \(.metadata.generation)"' | sort >"$d/ks.after"
diff "$d/ks.before" "$d/ks.after" || fail "kube-system was touched"
echo "ok: kube-system untouched"
grep -q 'msg=verified.*status=succeeded' "$d/logs/k8s_remediation.log" || fail "no verified line in the log"
echo "ok: k8s_remediation.log"

# handled once: a second pass proposes nothing new
n=$(hist_json "$H" | jq length)
"$KUBEMEND" remediate --insights-file "$d/insights.json" --history-file "$H" \
  --auto-approve --once --verify-window 1s --log-dir "$d/logs" </dev/null 2>/dev/null
expect "nothing proposed again" "$(hist_json "$H" | jq length)" "$n"

# the table
"$KUBEMEND" history --history-file "$H" >"$d/table"
grep -q 'change_limits .*Deployment/shop/web .*succeeded' "$d/table" || { cat "$d/table"; fail "history table"; }
"$KUBEMEND" history --history-file "$H" --target kube-system/$dnspod | grep -q namespace_denied || fail "history --target"
expect "history --target filters" "$("$KUBEMEND" history --history-file "$H" --target shop/web | grep -c restart_pod || true)" 0
expect "history --since in the future" "$("$KUBEMEND" history --history-file "$H" --since 2099-01-01T00:00:00Z | tail -1)" "(no records match)"
echo "ok: kubemend history"

# rollback restores the previous limit
id=$(hist_json "$H" | jq -r '.[] | select(.insight_id=="i-web") | .id')
"$KUBEMEND" remediate --history-file "$H" --rollback "$id" --verify-window 1s --log-dir "$d/logs" </dev/null 2>/dev/null >"$d/rb" ||
  fail "rollback failed"
expect "limit restored" "$($K get deploy -n shop web -o jsonpath='{.spec.template.spec.containers[0].resources.limits.memory}')" 128Mi
expect "rollback recorded" "$(hist_json "$H" | jq -r --arg id "$id" '.[] | select(.params.rollback_of==$id) | .approval')" user
"$KUBEMEND" remediate --history-file "$H" --rollback r-999999 </dev/null 2>/dev/null && fail "rollback of an unknown id"
echo "ok: rollback"

# --metrics-file: a missing file with --once is an error naming it
"$KUBEMEND" remediate --metrics-file "$d/none.csv" --once 2>"$d/mf" && fail "a missing --metrics-file accepted"
grep -q "none.csv: No such file" "$d/mf" || fail "--metrics-file message: $(cat "$d/mf")"
echo "all remediate oom checks passed"
