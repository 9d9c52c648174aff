#!/usr/bin/env bash
# `kubemend demo` starts the sim in-process, runs the monitor against it,
# prints what it finds as it finds it and ends by itself with a summary.
set -euo pipefail
: "${KUBEMEND:?}"
: "${TMPDIR_E2E:=$(mktemp -d /tmp/kubemend-e2e.XXXXXX)}"
out=$(timeout 120 "$KUBEMEND" demo --seconds 40 --dir "$TMPDIR_E2E/demo" </dev/null)
fail() { echo "$out"; echo "FAIL: $*"; exit 1; }
grep -q "injected memory_leak into shop/web" <<<"$out" || fail "no injection line"
grep -q "FOUND" <<<"$out" || fail "no finding printed"
grep -q "^== summary" <<<"$out" || fail "no summary"
line=$(grep "^faults injected:" <<<"$out") || fail "no fault count"
injected=$(sed 's/faults injected: \([0-9]*\).*/\1/' <<<"$line")
found=$(sed 's/.*found within 5 minutes: \([0-9]*\).*/\1/' <<<"$line")
[ "$injected" -ge 5 ] || fail "only $injected faults injected in 40 s"
[ $((found * 10)) -ge $((injected * 8)) ] || fail "found $found of $injected"
jq -e '.insights | length > 0' "$TMPDIR_E2E/demo/pod_insights.json" >/dev/null || fail "insights file"
grep -q 'component=collect' "$TMPDIR_E2E/demo/dataset_generator_agent.log" || fail "collect log"
grep -q 'level=warn component=detect msg="insight opened"' "$TMPDIR_E2E/demo/k8s_monitoring.log" || fail "monitor log"
echo "ok: demo ($found of $injected faults found)"
