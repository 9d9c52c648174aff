#!/usr/bin/env bash
# Detection quality: `monitor` against the sim for each scenario of
# tests/fixtures/monitor/ (every fault type and healthy workloads) with an
# accelerated clock, scored by `eval scenarios` against the sim's ground
# truth (a fault is found when an insight names its pod, node or workload
# within 5 virtual minutes). Bar: recall >= 0.8 and precision >= 0.8 over
# all scenarios. Environment: SPEED (default 60), SECONDS_PER_RUN (25).
source "$(dirname "$0")/lib/collect.sh"
need_sim

speed=${SPEED:-60}
secs=${SECONDS_PER_RUN:-25}
faults=0 found=0 insights=0 fa=0
hours_total=0

for scen in tests/fixtures/monitor/*.yaml; do
  name=$(basename "$scen" .yaml)
  dir=$TMPDIR_E2E/mon-$name
  mkdir -p "$dir"
  start_sim "$name" --scenario "$scen" --speed "$speed" --truth-out "$dir/truth.json"
  "$KUBEMEND" monitor --kubeconfig "$KC" -A --interval 0.5s --duration "$secs" \
    --output-file "$dir/pod_metrics.csv" --insights-file "$dir/pod_insights.json" \
    --listen 127.0.0.1:0 --log-dir "$dir" --config-dir tests/fixtures/monitor --quiet \
    || fail "monitor on $name exited $?"
  kill "${PIDS[-1]}" 2>/dev/null; wait "${PIDS[-1]}" 2>/dev/null || true
  # A scenario without faults has nothing to record.
  [ -s "$dir/truth.json" ] || echo '[]' >"$dir/truth.json"
  out=$("$KUBEMEND" eval scenarios --truth "$dir/truth.json" --insights "$dir/pod_insights.json" \
        --metrics "$dir/pod_metrics.csv") || true
  echo "== $name"; echo "$out"
  line=$(grep '^faults=' <<<"$out") || fail "$name: no score line"
  f=$(sed 's/.*faults=\([0-9]*\).*/\1/' <<<"$line")
  n=$(sed 's/.*found=\([0-9]*\).*/\1/' <<<"$line")
  i=$(sed 's/.*insights=\([0-9]*\).*/\1/' <<<"$line")
  a=$(sed 's/.*false_alarms=\([0-9]*\).*/\1/' <<<"$line")
  h=$(sed -n 's/^pod_hours=\([0-9.]*\).*/\1/p' <<<"$out")
  faults=$((faults + f)); found=$((found + n)); insights=$((insights + i)); fa=$((fa + a))
  hours_total=$(awk -v a="$hours_total" -v b="${h:-0}" 'BEGIN { print a + b }')
done

awk -v f=$faults -v n=$found -v i=$insights -v a=$fa -v h=$hours_total 'BEGIN {
  r = f ? n / f : 1; p = i ? (i - a) / i : 1
  printf "total: faults=%d found=%d insights=%d false_alarms=%d pod_hours=%.1f\n", f, n, i, a, h
  printf "recall=%.3f precision=%.3f false_alarms_per_1000_pod_hours=%.1f\n", r, p, h ? a * 1000 / h : 0
  exit !(r >= 0.8 && p >= 0.8)
}' || fail "below the bar (recall and precision >= 0.8)"
echo "ok: monitor scenarios"
