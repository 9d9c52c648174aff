#!/usr/bin/env bash
# monitor: each cycle's CSV rows carry one timestamp, later than the last
# cycle's (issue 17). Behind an API latency the first cycle lists the pods
# in three pages and stamps its rows late, then the next cycle starts within
# about a second of it; before the fix, about half of such runs stamped two
# cycles with the same second (the CSV's resolution). Four runs, so the old
# behaviour shows nearly always.
source "$(dirname "$0")/lib/collect.sh"
need_sim

dir=$TMPDIR_E2E/stamps
mkdir -p "$dir/conf"
start_sim stamps --speed 0 --nodes 3 --pods 1200 --seed 5 --fault-latency 250
cycles=3
for run in 1 2 3 4; do
  csv=$dir/m$run.csv
  "$KUBEMEND" monitor --kubeconfig "$KC" -A --interval 1 --cycles $cycles --output-file "$csv" \
    --insights-file "$dir/i.json" --log-dir "$dir" --config-dir "$dir/conf" --quiet 2>"$dir/err" \
    || { cat "$dir/err" >&2; fail "monitor failed"; }
  c_ts=$(csv_col "$csv" timestamp)
  # The stamps in file order, one per run of equal stamps.
  mapfile -t runs < <(tail -n +2 "$csv" | cut -d, -f"$c_ts" | uniq)
  [ "${#runs[@]}" -eq $cycles ] || fail "run $run: expected $cycles distinct stamps, got ${#runs[@]}: ${runs[*]}"
  mapfile -t sorted < <(printf '%s\n' "${runs[@]}" | sort -u)
  [ "${runs[*]}" = "${sorted[*]}" ] || fail "run $run: stamps not increasing: ${runs[*]}"
  # Every cycle wrote every pod (a cycle split across two stamps would not).
  per=$(tail -n +2 "$csv" | cut -d, -f"$c_ts" | uniq -c | awk '{print $1}' | sort -u)
  [ "$(echo "$per" | wc -l)" -eq 1 ] && [ "$per" -ge 1200 ] || fail "run $run: rows per stamp: $(echo $per)"
done
echo "ok: 4 runs of $cycles cycles, each cycle its own increasing stamp, $per rows each"
