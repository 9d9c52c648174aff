#!/usr/bin/env bash
# `eval multi` on one ASD machine: it trains, scores every test row, writes
# one anomaly_score per test row, and reports the metrics for the LSTM and
# both PCA baselines.
set -euo pipefail
asd=../shared/data/asd
[ -d "$asd/processed" ] || { echo "skip: $asd not present"; exit 0; }
"$KUBEMEND" eval multi --dataset asd --data "$asd" --machines omi-2 --epochs 3 \
    --out "$TMPDIR_E2E/out" > "$TMPDIR_E2E/multi.txt"
cat "$TMPDIR_E2E/multi.txt"
for m in lstm pca pca-z; do
	grep -Eq "^omi-2 +$m +point_f1=0\.[0-9]+ event_f1=0\.[0-9]+ pa_k_auc=0\.[0-9]+" "$TMPDIR_E2E/multi.txt"
done
grep -q '^lstm_beats_pca ' "$TMPDIR_E2E/multi.txt"
[ "$(wc -l < "$TMPDIR_E2E/out/omi-2.csv")" -eq 4321 ]
head -n 1 "$TMPDIR_E2E/out/omi-2.csv" | grep -qx anomaly_score
# a directory without the layout is a clear error
! "$KUBEMEND" eval multi --dataset asd --data "$TMPDIR_E2E" 2> "$TMPDIR_E2E/err.txt"
grep -q 'processed' "$TMPDIR_E2E/err.txt"
