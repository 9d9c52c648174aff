#!/usr/bin/env bash
# Approval on a terminal (a pseudo-terminal driven by script(1)): the prompt
# shows target, change and rationale; "y" acts, "n" refuses and changes
# nothing, no answer within the timeout refuses. Without a terminal and
# without --auto-approve the proposal is recorded as pending and nothing is
# done; a later run that can ask decides that same record.
source tests/e2e/lib/remedy.sh
d=$TMPDIR_E2E/interactive
mkdir -p "$d"
start_sim inter tests/fixtures/remedy/cluster.yaml 30
truth_has() { [ "$(jq length "$TRUTH" 2>/dev/null || echo 0)" = "$1" ]; }
wait_until 60 truth_has 3 || true
leaky=$(jq -r '.[] | select(.type=="memory_leak") | .pods[0]' "$TRUTH")
[ -n "$leaky" ] || fail "no leaking pod in the truth file"
MI=1048576
api=$(insight i-api memory_leak pay api "" 0.9 "[{\"action\":\"restart_pod\",\"target\":{\"kind\":\"Pod\",\"name\":\"pay/$leaky\"},\"params\":{},\"rationale\":\"the leak lives in the pod\",\"risk\":\"low\"}]" "[\"$leaky\"]")
web=$(insight i-web oom shop web "" 0.95 "[{\"action\":\"change_limits\",\"target\":{\"kind\":\"Deployment\",\"name\":\"shop/web\"},\"params\":{\"memory_limit_before\":$((128*MI)),\"memory_limit_after\":$((256*MI))},\"rationale\":\"OOM kills at the limit\",\"risk\":\"medium\"}]")
H=$d/history.json
COMMON=(--history-file "$H" --once --verify-window 5s --log-dir "$d/logs")

# no terminal: pending, nothing done
insights_file "$d/web.json" "$web"
"$KUBEMEND" remediate --insights-file "$d/web.json" "${COMMON[@]}" </dev/null 2>"$d/err0" || fail "no-terminal run failed"
expect "no terminal: pending" "$(hist_json "$H" | jq -r '.[] | select(.insight_id=="i-web") | "\(.status) \(.approval)"')" "pending pending"
expect "no terminal: limit unchanged" "$($K get deploy -n shop web -o jsonpath='{.spec.template.spec.containers[0].resources.limits.memory}')" 128Mi
"$KUBEMEND" remediate --insights-file "$d/web.json" "${COMMON[@]}" </dev/null 2>/dev/null
expect "still pending, no new record" "$(hist_json "$H" | jq length)" 1

# "n" on the terminal refuses that same record; nothing changes
in_terminal n "$d/t-n" remediate --insights-file "$d/web.json" "${COMMON[@]}" || { cat "$d/t-n"; fail "run answering n"; }
grep -q 'Approve? \[y/N\]' "$d/t-n" || { cat "$d/t-n"; fail "no prompt"; }
grep -q 'memory limit 128Mi → 256Mi' "$d/t-n" || { cat "$d/t-n"; fail "prompt lacks before → after"; }
grep -q 'why: OOM kills at the limit' "$d/t-n" || fail "prompt lacks the rationale"
# issue 12: the person deciding sees the QoS class before/after, the reach and the checks passed
grep -q 'QoS: ' "$d/t-n" || { cat "$d/t-n"; fail "prompt lacks the QoS class"; }
grep -q 'reach: ' "$d/t-n" || { cat "$d/t-n"; fail "prompt lacks the blast radius"; }
grep -q 'checks: ' "$d/t-n" || { cat "$d/t-n"; fail "prompt lacks the policy checks"; }
echo "ok: prompt shows target, change and rationale"
expect "n: refused" "$(hist_json "$H" | jq -r '.[] | select(.insight_id=="i-web") | "\(.status) \(.approval) \(.result.answer)"')" "refused refused no"
expect "n: same record decided" "$(hist_json "$H" | jq length)" 1
expect "n: limit unchanged" "$($K get deploy -n shop web -o jsonpath='{.spec.template.spec.containers[0].resources.limits.memory}')" 128Mi

# "y" acts
insights_file "$d/api.json" "$api"
in_terminal y "$d/t-y" remediate --insights-file "$d/api.json" "${COMMON[@]}" || { cat "$d/t-y"; fail "run answering y"; }
grep -q "restart_pod pod pay/$leaky" "$d/t-y" || { cat "$d/t-y"; fail "prompt lacks the target"; }
expect "y: approved by the user" "$(hist_json "$H" | jq -r '.[] | select(.insight_id=="i-api") | .approval')" user
expect "y: succeeded" "$(hist_json "$H" | jq -r '.[] | select(.insight_id=="i-api") | .status')" succeeded
$K get pod -n pay "$leaky" >/dev/null 2>&1 && fail "the leaking pod is still there"
expect "truth: leak cured by an eviction" "$(jq -r '.[] | select(.type=="memory_leak") | .ended_by' "$TRUTH")" evict

# no answer within the timeout refuses
cart=$(insight i-cart oom shop cart "" 0.95 "[{\"action\":\"change_limits\",\"target\":{\"kind\":\"Deployment\",\"name\":\"shop/cart\"},\"params\":{\"memory_limit_before\":$((256*MI)),\"memory_limit_after\":$((384*MI))},\"rationale\":\"r\",\"risk\":\"medium\"}]")
insights_file "$d/cart.json" "$cart"
in_terminal "" "$d/t-t" remediate --insights-file "$d/cart.json" --approval-timeout 1s "${COMMON[@]}" || fail "timeout run"
expect "timeout: refused" "$(hist_json "$H" | jq -r '.[] | select(.insight_id=="i-cart") | "\(.status) \(.result.answer)"')" "refused timeout"
expect "timeout: limit unchanged" "$($K get deploy -n shop cart -o jsonpath='{.spec.template.spec.containers[0].resources.limits.memory}')" 256Mi
echo "all remediate interactive checks passed"
