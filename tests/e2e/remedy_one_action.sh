#!/usr/bin/env bash
# At most one action in flight per workload (issue 12), on every approval
# surface: two insights on the same pods (CPU saturation and CPU throttling,
# as the demo sees payments/api) that propose the same change share one
# record listing both; a third insight proposing another change on that
# workload proposes nothing while the first waits, and `history --why` says
# why. Without a terminal (pending), in a dry run (one record for the shared
# change), and with --auto-approve (one write of the CPU limit, not two).
source tests/e2e/lib/remedy.sh
d=$TMPDIR_E2E/one
mkdir -p "$d"
start_sim one tests/fixtures/remedy/cluster.yaml 0 --audit-log "$d/audit.jsonl"
cpu='[{"action":"change_limits","target":{"kind":"Deployment","name":"shop/cart"},"params":{"cpu_limit_before":0.5,"cpu_limit_after":1.0},"rationale":"r","risk":"medium"}]'
mem='[{"action":"change_limits","target":{"kind":"Deployment","name":"shop/cart"},"params":{"memory_limit_before":268435456,"memory_limit_after":402653184},"rationale":"r","risk":"medium"}]'
sat=$(insight i-sat cpu_saturation shop cart "" 0.95 "$cpu")
thr=$(insight i-thr cpu_throttling shop cart "" 0.95 "$cpu")
oom=$(insight i-oom oom shop cart "" 0.95 "$mem")
insights_file "$d/insights.json" "$sat" "$thr" "$oom"
remediate() { # HISTORY ARGS...
  local h=$1; shift
  "$KUBEMEND" remediate --once --insights-file "$d/insights.json" --history-file "$h" \
    --verify-window 1s --log-dir "$d/logs" "$@" </dev/null 2>>"$d/err" || { cat "$d/err"; fail "remediate $*"; }
}

# 1. nobody to ask: one pending record serves both CPU insights
H=$d/pending.json
remediate "$H"
remediate "$H"   # a second pass adds nothing
expect "one record (pending)" "$(hist_json "$H" | jq length)" 1
expect "it serves both insights" "$(hist_json "$H" | jq -c '.[0] | [.status, .insight_ids]')" '["pending",["i-sat","i-thr"]]'
why=$("$KUBEMEND" history --why --insights-file "$d/insights.json" --history-file "$H")
grep -E '^i-thr .*shared with i-sat .*waiting for approval' <<<"$why" >/dev/null || fail "why for i-thr: $why"
grep -E '^i-oom .*nothing new proposed while r-[0-9]+ \(for i-sat\) is pending' <<<"$why" >/dev/null || fail "why for i-oom: $why"
grep -q 'attached to the same change in flight' "$d/logs/k8s_remediation.log" || fail "no log line for the attachment"

# 2. a dry run says what a real run would do: the CPU change once, for both
# insights; the memory change after it (a dry run holds nothing in flight)
H=$d/dry.json
remediate "$H" --dry-run --auto-approve
expect "two records (dry run)" "$(hist_json "$H" | jq -c '[.[] | [.insight_id, .status, .insight_ids]]')" \
  '[["i-sat","dry_run",["i-sat","i-thr"]],["i-oom","dry_run",null]]'

# 3. --auto-approve: the change is made once (the second insight sees the
# live object changed under its advice); the other change is refused by the
# cooldown the workload's first action started
H=$d/auto.json
remediate "$H" --auto-approve
writes=$(jq -c 'select(.userAgent | startswith("kubemend")) | select(.verb == "patch" or .verb == "update")
                | select(.annotations["kubemend.io/dry-run"] == null)
                | select(.objectRef.resource == "deployments" and .objectRef.name == "cart")' "$d/audit.jsonl" | wc -l)
expect "one write to shop/cart" "$writes" 1
expect "the throttling insight does not act twice" "$(hist_json "$H" | jq -r '.[] | select(.insight_id == "i-thr") | .status')" skipped
expect "the other change waits out the workload's cooldown" "$(hist_json "$H" | jq -r '.[] | select(.insight_id == "i-oom" and .action == "change_limits") | .result.rule')" cooldown
expect "cpu limit raised once" "$($K get deploy -n shop cart -o jsonpath='{.spec.template.spec.containers[0].resources.limits.cpu}')" 1
echo "all one-action-per-workload checks passed"
