#!/usr/bin/env bash
# `kill -9` of monitor at random moments never leaves an unparsable insights
# file or CSV: after each kill the insights file is valid JSON (or absent),
# the CSV reads back with no broken row, and a restarted monitor appends to
# the same files.
source "$(dirname "$0")/lib/collect.sh"
need_sim

dir=$TMPDIR_E2E/kill
mkdir -p "$dir"
start_sim kill --scenario config/scenarios/demo.yaml --speed 60
RANDOM=${SEED:-$$}
for round in $(seq 1 10); do
  "$KUBEMEND" monitor --kubeconfig "$KC" -A --interval 0.05s \
    --output-file "$dir/pod_metrics.csv" --insights-file "$dir/pod_insights.json" \
    --listen off --log-dir "$dir" --config-dir tests/fixtures/monitor --quiet &
  pid=$!
  sleep "$((RANDOM % 15 / 10)).$((RANDOM % 10))$((RANDOM % 10))"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ -e "$dir/pod_insights.json" ]; then
    jq -e '.generated_at and (.insights | type == "array")' "$dir/pod_insights.json" >/dev/null \
      || fail "round $round: pod_insights.json does not parse"
  fi
  if [ -e "$dir/pod_metrics.csv" ]; then
    "$KUBEMEND" detect --input-file "$dir/pod_metrics.csv" --insights-file "$dir/check.json" \
      --config-dir tests/fixtures/monitor 2>"$dir/detect.err" || fail "round $round: detect failed"
    if grep -q "broken row" "$dir/detect.err"; then
      cat "$dir/detect.err" >&2
      fail "round $round: pod_metrics.csv has a broken row"
    fi
  fi
done
ls "$dir"/*.tmp* 2>/dev/null | grep -q . && echo "note: temporary files left by killed writes: $(ls "$dir"/*.tmp* | wc -l)"
[ "$(wc -l <"$dir/pod_metrics.csv")" -gt 20 ] || fail "too few rows were written"
echo "ok: monitor survives kill -9 ($(wc -l <"$dir/pod_metrics.csv") CSV lines)"
