#!/usr/bin/env bash
# `eval multi` on two ASD machines: it trains, scores every test row, writes
# one anomaly_score per test row, and reports the metrics for the LSTM, the
# linear residual and both PCA baselines; --cv scores each machine at thresholds chosen on the
# other, which can never beat the best threshold on its own labels.
set -euo pipefail
asd=../shared/data/asd
[ -d "$asd/processed" ] || { echo "skip: $asd not present"; exit 0; }
"$KUBEMEND" eval multi --dataset asd --data "$asd" --machines omi-2,omi-5 --epochs 3 \
    --cv --out "$TMPDIR_E2E/out" > "$TMPDIR_E2E/multi.txt"
cat "$TMPDIR_E2E/multi.txt"
for m in lstm pca pca-z resid; do
	grep -Eq "^omi-2 +$m +point_f1=0\.[0-9]+ event_f1=0\.[0-9]+ pa_k_auc=0\.[0-9]+" "$TMPDIR_E2E/multi.txt"
done
grep -q '^lstm_beats_pca ' "$TMPDIR_E2E/multi.txt"
for m in omi-2 omi-5; do
	for k in lstm pca pca-z; do
		best=$(grep -E "^$m +$k +point_f1=" "$TMPDIR_E2E/multi.txt")
		cv=$(grep -E "^cv $m +$k +point_f1=" "$TMPDIR_E2E/multi.txt")
		[ -n "$cv" ] || { echo "no cv line for $m $k"; exit 1; }
		awk -v b="$best" -v c="$cv" 'function f(s, k,  a) { match(s, k "=[0-9.]+"); return substr(s, RSTART + length(k) + 1, RLENGTH - length(k) - 1) + 0 }
			BEGIN { exit !(f(c, "point_f1") <= f(b, "point_f1") + 1e-4 && f(c, "event_f1") <= f(b, "event_f1") + 1e-4) }' ||
			{ echo "cross-validated F1 above the best-threshold F1: $cv / $best"; exit 1; }
	done
done
grep -q '^cv lstm_beats_pca_on_every_machine ' "$TMPDIR_E2E/multi.txt"
# the mixture: every candidate is scored in-sample on both machines, and the
# cross-validated figure (candidate and threshold chosen on the other
# machine) can never beat the best candidate at its best threshold
for m in omi-2 omi-5; do
	[ "$(grep -c "^mix $m " "$TMPDIR_E2E/multi.txt")" -eq 15 ] || { echo "not 15 mixtures for $m"; exit 1; }
	cv=$(grep -E "^cv $m +mix +point_f1=" "$TMPDIR_E2E/multi.txt")
	[ -n "$cv" ] || { echo "no cv mix line for $m"; exit 1; }
	grep "^mix $m " "$TMPDIR_E2E/multi.txt" | awk -v c="$cv" 'function f(s, k,  a) { match(s, k "=[0-9.]+"); return substr(s, RSTART + length(k) + 1, RLENGTH - length(k) - 1) + 0 }
		{ if (f($0, "point_f1") > bp) bp = f($0, "point_f1"); if (f($0, "event_f1") > be) be = f($0, "event_f1") }
		END { exit !(f(c, "point_f1") <= bp + 1e-4 && f(c, "event_f1") <= be + 1e-4) }' ||
		{ echo "cross-validated mixture above every candidate's best F1: $cv"; exit 1; }
done
grep -q '^cv mix_beats_pca_on_every_machine ' "$TMPDIR_E2E/multi.txt"
# statistics alone (the candidates with LSTM weight 0), bounded the same way
for m in omi-2 omi-5; do
	cv=$(grep -E "^cv $m +resid +point_f1=" "$TMPDIR_E2E/multi.txt")
	[ -n "$cv" ] || { echo "no cv resid line for $m"; exit 1; }
	grep "^mix $m .*w=0.00 " "$TMPDIR_E2E/multi.txt" | awk -v c="$cv" 'function f(s, k,  a) { match(s, k "=[0-9.]+"); return substr(s, RSTART + length(k) + 1, RLENGTH - length(k) - 1) + 0 }
		{ n++; if (f($0, "point_f1") > bp) bp = f($0, "point_f1"); if (f($0, "event_f1") > be) be = f($0, "event_f1") }
		END { exit !(n == 3 && f(c, "point_f1") <= bp + 1e-4 && f(c, "event_f1") <= be + 1e-4) }' ||
		{ echo "cross-validated residual above its candidates' best F1: $cv"; exit 1; }
done
[ "$(wc -l < "$TMPDIR_E2E/out/omi-2.csv")" -eq 4321 ]
head -n 1 "$TMPDIR_E2E/out/omi-2.csv" | grep -qx anomaly_score
grep -q '<polyline' "$TMPDIR_E2E/out/omi-2.svg"
grep -q 'omi-2.svg' "$TMPDIR_E2E/out/index.html"
# a directory without the layout is a clear error
! "$KUBEMEND" eval multi --dataset asd --data "$TMPDIR_E2E" 2> "$TMPDIR_E2E/err.txt"
grep -q 'processed' "$TMPDIR_E2E/err.txt"
