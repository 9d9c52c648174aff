#!/usr/bin/env bash
# collect against a frozen sim (--speed 0): every pod has a row; CPU and
# memory equal `kubectl top pods`; phase, restarts, ready containers and node
# equal `kubectl get pods -o json`; the seed format's header is exact; and
# --test passes every check.
source tests/e2e/lib/collect.sh
need_sim
start_sim frozen --speed 0 --nodes 4 --pods 40 --seed 7
out=$TMPDIR_E2E/frozen.csv

"$KUBEMEND" collect --kubeconfig "$KC" -A --cycles 1 --output-file "$out" 2>"$TMPDIR_E2E/collect.log" \
  || { cat "$TMPDIR_E2E/collect.log"; fail "collect failed"; }

# Rows: "ns/pod phase restarts ready node", from the CSV and from kubectl.
c_ns=$(csv_col "$out" namespace); c_pod=$(csv_col "$out" pod); c_phase=$(csv_col "$out" phase)
c_rs=$(csv_col "$out" restarts); c_ready=$(csv_col "$out" containers_ready); c_node=$(csv_col "$out" node)
c_cpu=$(csv_col "$out" cpu_mcores); c_mem=$(csv_col "$out" mem_bytes)
# The columns used here hold no commas or quotes, so splitting on commas is exact.
tail -n +2 "$out" | awk -F, -v a="$c_ns" -v b="$c_pod" -v c="$c_phase" -v d="$c_rs" -v e="$c_ready" -v f="$c_node" \
  '{print $a "/" $b, $c, $d, $e, $f}' | sort >"$TMPDIR_E2E/csv.status"
kubectl --kubeconfig "$KC" get pods -A -o json | jq -r '.items[] |
  "\(.metadata.namespace)/\(.metadata.name) \(.status.phase) \([.status.containerStatuses[]?.restartCount] | add // 0) \([.status.containerStatuses[]? | select(.ready)] | length) \(.spec.nodeName // "")"' \
  | sort >"$TMPDIR_E2E/kubectl.status"
n=$(wc -l <"$TMPDIR_E2E/kubectl.status")
[ "$n" -ge 40 ] || fail "kubectl sees only $n pods"
diff "$TMPDIR_E2E/kubectl.status" "$TMPDIR_E2E/csv.status" || fail "pod status differs from kubectl get pods"

# kubectl top pods: CPU in millicores (rounded up) and memory in Mi (rounded down).
kubectl --kubeconfig "$KC" top pods -A --no-headers | awk '{sub(/m$/, "", $3); sub(/Mi$/, "", $4); print $1 "/" $2, $3, $4}' \
  | sort >"$TMPDIR_E2E/top"
tail -n +2 "$out" | awk -F, -v a="$c_ns" -v b="$c_pod" -v c="$c_cpu" -v d="$c_mem" \
  '$c != "" {cpu = $c; m = int(cpu); if (m < cpu) m++; print $a "/" $b, m, int($d / 1048576)}' | sort >"$TMPDIR_E2E/csv.top"
[ "$(wc -l <"$TMPDIR_E2E/top")" -eq "$n" ] || fail "kubectl top shows $(wc -l <"$TMPDIR_E2E/top") of $n pods"
diff "$TMPDIR_E2E/top" "$TMPDIR_E2E/csv.top" || fail "cpu/memory differ from kubectl top pods"

# The seed format: exactly the prototype's 28 columns.
seed=$TMPDIR_E2E/seed.csv
"$KUBEMEND" collect --kubeconfig "$KC" -A --cycles 1 --csv-format seed --output-file "$seed" 2>/dev/null
want='Timestamp,Pod Name,Pod Age,CPU Usage (%),Memory Usage (%),Network Traffic (B/s),Network Receive (B/s),Network Transmit (B/s),Network Receive Errors,Network Transmit Errors,Last Log Entry,Pod Status,Pod Reason,Pod Restarts,Ready Containers,Total Containers,Error Message,Latest Event Reason,Pod Event Type,Pod Event Reason,Pod Event Age,Pod Event Source,Pod Event Message,Node Name,Event Reason,Event Age,Event Source,Event Message'
[ "$(head -1 "$seed")" = "$want" ] || fail "seed header: $(head -1 "$seed")"
[ "$(tail -n +2 "$seed" | wc -l)" -eq "$n" ] || fail "seed file has a row count other than $n"

# Nothing unmeasured is invented: no nan/inf anywhere.
! grep -qi 'nan\|inf,' "$out" || fail "a nan or inf was written"

# --test: every check passes against the sim.
"$KUBEMEND" collect --kubeconfig "$KC" --test >"$TMPDIR_E2E/test.out" || { cat "$TMPDIR_E2E/test.out"; fail "--test failed"; }
for check in connection authentication "list pods" "watch pods" "list nodes" "watch nodes" "list events" "watch events" "metrics API" "node proxy"; do
  grep -q "^ok   $check " "$TMPDIR_E2E/test.out" || { cat "$TMPDIR_E2E/test.out"; fail "--test: no ok line for $check"; }
done
echo "ok: $n pods match kubectl get pods and kubectl top pods"
