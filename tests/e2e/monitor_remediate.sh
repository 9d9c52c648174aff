#!/usr/bin/env bash
# `monitor --remediate`: the whole loop in one process. A deployment whose
# memory limit is too low is detected, change_limits is proposed and (with
# --auto-approve) applied, the sim's truth records the cure, and the history
# tells it. Without a terminal and without --auto-approve, proposals are
# recorded as pending and nothing changes.
source "$(dirname "$0")/lib/collect.sh"
need_sim

d=$TMPDIR_E2E
mkdir -p "$d/conf"
printf 'verify_window: 8s\napproval_timeout: 5s\n' > "$d/conf/agent_config.yaml"
shop_oom_scenario "$d/s.yaml" 3 200Mi 2m

# 1. no terminal, no --auto-approve: pending, nothing changes
start_sim pending --scenario "$d/s.yaml" --speed 20
rv_before=$(kubectl --kubeconfig "$KC" get deploy -n shop cart -o jsonpath='{.metadata.resourceVersion}')
"$KUBEMEND" monitor --kubeconfig "$KC" -A --interval 1s --duration 25 --remediate \
  --output-file "$d/p.csv" --insights-file "$d/p.json" --history-file "$d/p-hist.json" \
  --listen off --log-dir "$d" --config-dir "$d/conf" --quiet </dev/null || fail "monitor exited $?"
hist_json "$d/p-hist.json" | jq -e 'length > 0 and all(.[]; .status == "pending" and .approval == "pending")' >/dev/null \
  || fail "without a terminal every proposal must be pending: $(cat "$d/p-hist.json")"
[ "$(kubectl --kubeconfig "$KC" get deploy -n shop web -o jsonpath='{.spec.template.spec.containers[0].resources.limits.memory}')" = 128Mi ] \
  || fail "a pending proposal changed the deployment"
[ "$(kubectl --kubeconfig "$KC" get deploy -n shop cart -o jsonpath='{.metadata.resourceVersion}')" = "$rv_before" ] \
  || fail "a healthy deployment was touched"
kill "${PIDS[-1]}" 2>/dev/null; wait "${PIDS[-1]}" 2>/dev/null || true
echo "ok: no terminal → pending, nothing changed"

# 2. --auto-approve: the limit goes up, the sim records the cure, the history says so
start_sim auto --scenario "$d/s.yaml" --speed 20 --truth-out "$d/truth.json"
"$KUBEMEND" monitor --kubeconfig "$KC" -A --interval 1s --duration 45 --remediate --auto-approve \
  --output-file "$d/a.csv" --insights-file "$d/a.json" --history-file "$d/a-hist.json" \
  --listen off --log-dir "$d" --config-dir "$d/conf" --quiet </dev/null 2>"$d/a.err" || fail "monitor exited $?"
grep -q "WITHOUT ASKING" "$d/a.err" || fail "no --auto-approve banner"
lim=$(kubectl --kubeconfig "$KC" get deploy -n shop web -o jsonpath='{.spec.template.spec.containers[0].resources.limits.memory}')
[ "$lim" != 128Mi ] || fail "the memory limit was not raised"
jq -e '.[] | select(.type == "oom_limit_too_low") | .ended_by == "change_limits"' "$d/truth.json" >/dev/null \
  || fail "the sim does not record the cure: $(cat "$d/truth.json")"
hist_json "$d/a-hist.json" | jq -e 'any(.[]; .action == "change_limits" and .approval == "auto" and .target.name == "web")' >/dev/null \
  || fail "no change_limits record: $(cat "$d/a-hist.json")"
hist_json "$d/a-hist.json" | jq -e 'all(.[]; .target.name != "cart" and (.target.name | startswith("cart-") | not))' >/dev/null \
  || fail "an action touched the healthy workload"
echo "ok: --auto-approve raised the limit to $lim; truth ended_by change_limits"

# 3. --remediate without analysis is a usage error
set +e
"$KUBEMEND" monitor --kubeconfig "$KC" --generator-only --remediate --cycles 1 >/dev/null 2>&1; rc=$?
set -e
[ $rc -eq 2 ] || fail "--generator-only --remediate should exit 2, got $rc"
echo "ok: --generator-only --remediate is a usage error"

# 4. remediate --metrics-file: the detector reads a CSV that collect wrote,
#    and the loop acts on what it finds (the seed's run_remediation.py)
start_sim csv --scenario "$d/s.yaml" --speed 20 --truth-out "$d/csv-truth.json"
"$KUBEMEND" collect --kubeconfig "$KC" -A --interval 1s --cycles 25 --output-file "$d/m.csv" \
  >/dev/null 2>&1 || fail "collect exited $?"
"$KUBEMEND" remediate --metrics-file "$d/m.csv" --once --auto-approve --kubeconfig "$KC" \
  --history-file "$d/m-hist.json" --insights-file "$d/m-ins.json" --log-dir "$d" \
  --config-dir "$d/conf" </dev/null >/dev/null 2>&1 || fail "remediate --metrics-file exited $?"
hist_json "$d/m-hist.json" | jq -e 'any(.[]; .action == "change_limits" and .target.name == "web")' >/dev/null \
  || fail "remediate --metrics-file proposed no change_limits: $(cat "$d/m-hist.json" 2>/dev/null)"
grep -q "component=remediate" "$d/k8s_remediation.log" || fail "no k8s_remediation.log lines"
echo "ok: remediate --metrics-file acts on what the detector finds in the CSV"
