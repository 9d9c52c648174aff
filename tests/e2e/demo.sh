#!/usr/bin/env bash
# `kubemend demo` starts the sim in-process, runs the monitor against it,
# prints what it finds as it finds it and ends by itself with a summary.
set -euo pipefail
: "${KUBEMEND:?}"
: "${TMPDIR_E2E:=$(mktemp -d /tmp/kubemend-e2e.XXXXXX)}"
out=$(timeout 500 "$KUBEMEND" demo --seconds 40 --dir "$TMPDIR_E2E/demo" </dev/null)
fail() { echo "$out"; echo "FAIL: $*"; exit 1; }
grep -q "injected memory_leak into shop/web" <<<"$out" || fail "no injection line"
grep -q "FOUND" <<<"$out" || fail "no finding printed"
grep -q "^== summary" <<<"$out" || fail "no summary"
line=$(grep "^faults injected:" <<<"$out") || fail "no fault count"
injected=$(sed 's/faults injected: \([0-9]*\).*/\1/' <<<"$line")
found=$(sed 's/.*found with the right type within 5 minutes: \([0-9]*\).*/\1/' <<<"$line")
[ "$injected" -ge 5 ] || fail "only $injected faults injected in 40 s"
[ $((found * 10)) -ge $((injected * 8)) ] || fail "found $found of $injected"
# a fault seen as another type is not counted as found: the rows add up
misread=$(sed 's/.*seen as another type: \([0-9]*\).*/\1/' <<<"$line")
missed=$(sed 's/.*missed: \([0-9]*\).*/\1/' <<<"$line")
[ $((found + misread + missed)) = "$injected" ] || fail "found $found + misread $misread + missed $missed != $injected"
[ "$(grep -c '^  misread ' <<<"$out" || true)" = "$misread" ] || fail "misread rows"
# the closing hint names commands that work after the demo (its sim has stopped)
grep -q 'kubemend sim --scenario config/scenarios/demo.yaml --kubeconfig-out' <<<"$out" || fail "closing hint"
jq -e '.insights | length > 0' "$TMPDIR_E2E/demo/pod_insights.json" >/dev/null || fail "insights file"
# nobody approves: each change waits once, whatever number of insights see it
# (payments/api is both CPU saturated and throttled: one record for both)
"$KUBEMEND" history --json --history-file "$TMPDIR_E2E/demo/remediation_history.json" |
  jq -e '[.[] | select(.status == "pending") | .digest] | length > 0 and length == (unique | length)' >/dev/null ||
  fail "the same change waits twice: $("$KUBEMEND" history --history-file "$TMPDIR_E2E/demo/remediation_history.json")"
grep -q 'component=collect' "$TMPDIR_E2E/demo/dataset_generator_agent.log" || fail "collect log"
grep -q 'level=warn component=detect msg="insight opened"' "$TMPDIR_E2E/demo/k8s_monitoring.log" || fail "monitor log"
echo "ok: demo ($found of $injected faults found)"
