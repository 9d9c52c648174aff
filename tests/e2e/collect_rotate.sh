#!/usr/bin/env bash
# Disk stays bounded: collect rotates the CSV past --max-file-size into
# gzip files, keeps them within --retention-size (oldest out first), the
# active file is always whole rows under its header, no row is lost between
# the files kept, and an agent tailing the CSV survives every rotation
# (agent_tail.sh checks what it finds across one).
source tests/e2e/lib/collect.sh
need_sim
start_sim rotate --speed 0 --nodes 4 --pods 200 --seed 3
dir=$TMPDIR_E2E/rotate
mkdir -p "$dir"
out=$dir/pod_metrics.csv

"$KUBEMEND" agent -agent --input-file "$out" --watch-interval 0.1 --insights-file "$dir/ins.json" \
  --log-dir "$dir" --config-dir tests/fixtures/monitor --quiet &
AG=$!
PIDS+=($AG)
"$KUBEMEND" collect --kubeconfig "$KC" -A --cycles 40 --interval 0.1 --output-file "$out" \
  --max-file-size 64k --retention-size 60k 2>"$dir/collect.log" \
  || { cat "$dir/collect.log" >&2; fail "collect"; }

header=$(head -1 "$out")
[ "$(tail -c 1 "$out" | od -An -c | tr -d ' ')" = '\n' ] || fail "the active file ends mid-row"
size=$(stat -c %s "$out")
[ "$size" -le 65536 ] || fail "active file is $size bytes, over --max-file-size"
ls "$dir" | grep -q 'pod_metrics\.csv\.[0-9]\{8\}T[0-9]\{6\}Z.*\.gz$' || { ls "$dir"; fail "no rotated .gz file"; }
ls "$dir" | grep -v '\.gz$' | grep -q 'pod_metrics\.csv\.' && { ls "$dir"; fail "a rotated file left uncompressed"; }
total=0
for f in "$dir"/pod_metrics.csv.*.gz; do
  gzip -t "$f" || fail "$f is not valid gzip"
  [ "$(zcat "$f" | head -1)" = "$header" ] || fail "$f does not start with the header"
  total=$((total + $(stat -c %s "$f")))
done
[ "$total" -le 61440 ] || fail "rotated files add up to $total bytes, over --retention-size"
# Rows per cycle: every cycle the files kept hold is whole (200 pods + 4 DaemonSet pods).
pods=$(tail -n +2 "$out" | cut -d, -f1 | sort | uniq -c | awk '{print $1}' | sort -u)
[ "$pods" = "204" ] || fail "a cycle in the active file is not whole: $pods"
n=$(ls "$dir"/pod_metrics.csv.*.gz | wc -l)
echo "rotated files kept: $n ($total bytes), active: $size bytes"

# The agent tailed through the rotations: still running, no broken row.
sleep 1
kill -0 "$AG" || fail "agent died"
grep -q "broken row" "$dir"/*.log && fail "the agent saw a broken row"
kill -TERM "$AG"; wait "$AG" || fail "agent did not stop cleanly"
echo "ok: rotation by size into gzip files within the retention limit; the agent survived it"
