#!/usr/bin/env bash
# train on a pod CSV, reproducibly; detect with that model; corrupt,
# truncated and mismatched model files are clear errors.
set -euo pipefail
t=$TMPDIR_E2E
awk 'BEGIN {
	srand(7);
	print "timestamp,namespace,pod,phase,reason,restarts,cpu_mcores,cpu_pct,mem_bytes,mem_pct,net_rx_bps,net_tx_bps,net_rx_errors_ps,net_tx_errors_ps";
	for (p = 0; p < 3; p++)
		for (i = 0; i < 300; i++) {
			cpu = 100 + 30 * sin(i / 20.0) + 5 * rand();
			reason = (p == 2 && i == 299) ? "OOMKilled" : "";
			printf "2026-01-01T%02d:%02d:00Z,default,web-%d,Running,%s,0,%.1f,%.1f,%d,%.1f,%d,%d,0,0\n",
				int(i / 60), i % 60, p, reason, cpu, cpu / 5, 200000000 + 1000 * i, 40, 20000 + 100 * rand(), 9000;
		}
}' > "$t/pods.csv"
"$KUBEMEND" train --input "$t/pods.csv" --model-out "$t/m.kmm" --epochs 3 --hidden 8 --window 8 --quiet > "$t/train.txt"
cat "$t/train.txt"
grep -q '^epoch 1/3 train_loss=[0-9.]* val_loss=[0-9.]*' "$t/train.txt"
grep -q '<polyline' "$t/m.kmm.loss.svg"
"$KUBEMEND" train --input "$t/pods.csv" --model-out "$t/m2.kmm" --epochs 3 --hidden 8 --window 8 --quiet > /dev/null
cmp "$t/m.kmm" "$t/m2.kmm"

"$KUBEMEND" score-pods --input "$t/pods.csv" --model "$t/m.kmm" > "$t/alerts.jsonl"
grep -q '"pod":"default/web-2".*"type":"oom"' "$t/alerts.jsonl"
[ "$(wc -l < "$t/alerts.jsonl")" -lt 20 ]       # normal rows do not alarm

cp "$t/m.kmm" "$t/bad.kmm"
printf '\x55' | dd of="$t/bad.kmm" bs=1 seek=200 conv=notrunc 2>/dev/null
! "$KUBEMEND" score-pods --input "$t/pods.csv" --model "$t/bad.kmm" 2> "$t/err.txt"
grep -q 'bad.kmm: checksum mismatch' "$t/err.txt"
! MODEL_PATH="$t/bad.kmm" "$KUBEMEND" score-pods --input "$t/pods.csv" 2> "$t/err.txt"
grep -q 'checksum mismatch' "$t/err.txt"
head -c 100 "$t/m.kmm" > "$t/short.kmm"
! "$KUBEMEND" score-pods --input "$t/pods.csv" --model "$t/short.kmm" 2> "$t/err.txt"
grep -q 'truncated' "$t/err.txt"

printf 'features: [cpu_mcores, mem_bytes]\n' > "$t/two.yaml"
"$KUBEMEND" train --input "$t/pods.csv" --model-out "$t/two.kmm" --config "$t/two.yaml" --epochs 1 --hidden 4 --window 4 --quiet > /dev/null
! "$KUBEMEND" score-pods --input "$t/pods.csv" --model "$t/two.kmm" 2> "$t/err.txt"
grep -q "features are not the detector's inputs" "$t/err.txt"
