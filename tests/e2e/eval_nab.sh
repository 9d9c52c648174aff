#!/usr/bin/env bash
# `eval nab` on the shared NAB subset: the score beats Numenta HTM (72.3), the
# files it writes give the same score under an independent scorer, the
# leave-one-corpus-out figure pools its held-out folds as NAB normalises, and
# `score` is strictly online (a prefix scores exactly as the same rows of the
# whole file).
set -euo pipefail
nab=../shared/data/nab
[ -d "$nab/data" ] || { echo "skip: $nab not present"; exit 0; }
out=$TMPDIR_E2E/nab
"$KUBEMEND" eval nab --data "$nab/data" --windows "$nab/labels/combined_windows.json" \
    --out "$out" --cv > "$TMPDIR_E2E/eval.txt"
cat "$TMPDIR_E2E/eval.txt"
ours=$(tail -n 1 "$TMPDIR_E2E/eval.txt" | sed -n 's/^standard=//p')
awk -v s="$ours" 'BEGIN { exit !(s > 72.3) }' || { echo "standard=$ours is not above 72.3"; exit 1; }
test -f "$out/index.html"
test -f "$out/realAWSCloudwatch/grok_asg_anomaly.svg"
head -n 1 "$out/realAWSCloudwatch/grok_asg_anomaly.csv" | grep -q '^timestamp,value,anomaly_score$'

if command -v python3 >/dev/null; then
	theirs=$(python3 tests/e2e/nab_score.py "$out" "$nab/labels/combined_windows.json" | tail -n 1)
	[ "$theirs" = "standard=$ours" ] || { echo "independent scorer: $theirs, kubemend: standard=$ours"; exit 1; }
fi

# --cv: one held-out line per corpus; each names a threshold chosen elsewhere,
# and cv_standard is 100 (raw + N) / 2N over the held-out folds' raw scores.
[ "$(grep -c '^cv thresh   standard  .*held out' "$TMPDIR_E2E/eval.txt")" -eq 3 ]
cv=$(sed -n 's/^cv_standard=//p' "$TMPDIR_E2E/eval.txt")
pooled=$(awk '/^cv thresh   standard  .*held out/ {
	for (i = 1; i <= NF; i++) { if ($i == "windows") w += $(i - 1); if ($i == "raw") r += $(i + 1) }
} END { printf "%.2f", 100 * (r + w) / (2 * w) }' "$TMPDIR_E2E/eval.txt")
[ "$cv" = "$pooled" ] || { echo "cv_standard=$cv, pooled from the folds: $pooled"; exit 1; }
awk -v s="$cv" -v t="$ours" 'BEGIN { exit !(s > 0 && s <= t + 5) }' || { echo "cv_standard=$cv against in-sample $ours"; exit 1; }

# Strictly online: the first 2000 rows scored alone equal the same rows
# scored as part of the whole file.
f=$nab/data/realAWSCloudwatch/ec2_cpu_utilization_ac20cd.csv
head -n 2001 "$f" > "$TMPDIR_E2E/prefix.csv"
"$KUBEMEND" score --input "$f" --output "$TMPDIR_E2E/full.out"
"$KUBEMEND" score --input "$TMPDIR_E2E/prefix.csv" --output "$TMPDIR_E2E/prefix.out"
cmp <(head -n 2001 "$TMPDIR_E2E/full.out") "$TMPDIR_E2E/prefix.out"
cmp <(head -n 2001 "$TMPDIR_E2E/full.out") <(head -n 2001 "$out/realAWSCloudwatch/ec2_cpu_utilization_ac20cd.csv")
