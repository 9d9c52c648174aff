#!/usr/bin/env bash
# `agent -agent` follows a metrics CSV as it grows (whole rows only: a
# partial last line waits for its newline; truncation and rotation are
# followed) and writes insights; `detect` reads the seed format too.
source "$(dirname "$0")/lib/collect.sh"
need_sim

dir=$TMPDIR_E2E/agent
mkdir -p "$dir"
start_sim agent --scenario config/scenarios/demo.yaml --speed 60
# A dataset with faults in it, collected by the generator alone.
"$KUBEMEND" monitor --generator-only --kubeconfig "$KC" -A --interval 0.2s --cycles 60 \
  --output-file "$dir/full.csv" --log-dir "$dir" --config-dir tests/fixtures/monitor --quiet \
  || fail "generator"
[ -s "$dir/dataset_generator_agent.log" ] || fail "no dataset_generator_agent.log"
total=$(wc -l <"$dir/full.csv")
[ "$total" -gt 500 ] || fail "dataset too small ($total lines)"

# The agent follows live.csv, written in pieces with partial lines.
live=$dir/live.csv
head -1 "$dir/full.csv" >"$live"
"$KUBEMEND" agent -agent --input-file "$live" --watch-interval 0.1 --insights-file "$dir/ins.json" \
  --log-dir "$dir" --config-dir tests/fixtures/monitor --quiet &
PIDS+=($!)
AG=$!
half=$((total / 2))
sed -n "2,${half}p" "$dir/full.csv" | while IFS= read -r line; do
  printf '%s' "${line:0:10}" >>"$live"
  printf '%s\n' "${line:10}" >>"$live"
done
sleep 1
# Rotation: the file moves away and a new one starts with its header.
mv "$live" "$live.1"
head -1 "$dir/full.csv" >"$live"
sed -n "$((half + 1)),\$p" "$dir/full.csv" >>"$live"
found_enough() {
  jq -e '(.insights | length >= 3) and ([.insights[] | select(.anomaly_type == "crash_loop" or .anomaly_type == "oom")] | length > 0)' \
    "$dir/ins.json"
}
wait_until 120 found_enough || true
jq -e '.insights | length >= 3' "$dir/ins.json" >/dev/null || { cat "$dir/ins.json" >&2; fail "agent found too little"; }
jq -e '[.insights[] | select(.anomaly_type == "crash_loop" or .anomaly_type == "oom")] | length > 0' "$dir/ins.json" >/dev/null \
  || fail "agent missed the crash loop after the rotation"
grep -q "broken row" "$dir/dataset_generator_agent.log" && fail "the agent saw a broken row"
# Truncation: the file starts again from nothing.
: >"$live"
head -1 "$dir/full.csv" >>"$live"
sed -n "2,20p" "$dir/full.csv" >>"$live"
sleep 0.5
kill -0 "$AG" || fail "agent died on truncation"
kill -TERM "$AG"; wait "$AG" || fail "agent did not stop cleanly"

# The seed prototype's format.
"$KUBEMEND" collect --kubeconfig "$KC" -A --interval 0.2s --cycles 5 --csv-format seed \
  --output-file "$dir/seed.csv" 2>/dev/null || fail "collect seed"
"$KUBEMEND" detect --input-file "$dir/seed.csv" --insights-file "$dir/seed-ins.json" \
  --config-dir tests/fixtures/monitor 2>"$dir/seed.err" || { cat "$dir/seed.err" >&2; fail "detect on seed format"; }
grep -q "broken row" "$dir/seed.err" && { cat "$dir/seed.err" >&2; fail "seed rows broken"; }
jq -e '.insights | type == "array"' "$dir/seed-ins.json" >/dev/null || fail "seed insights"
"$KUBEMEND" detect 2>/dev/null && fail "detect without --input-file succeeded"
echo "ok: agent follows a growing, rotated and truncated CSV; detect reads the seed format"
