#!/usr/bin/env bash
# collect against a running sim: from the second cycle on, every Running
# pod's network rates are present and positive; the first cycle's are empty
# (a rate needs two readings); rows are appended under one header across
# restarts of collect.
source tests/e2e/lib/collect.sh
need_sim
start_sim running --speed 5 --nodes 3 --pods 20 --seed 3
out=$TMPDIR_E2E/running.csv

"$KUBEMEND" collect --kubeconfig "$KC" -A --cycles 3 --interval 1 --output-file "$out" 2>"$TMPDIR_E2E/c.log" \
  || { cat "$TMPDIR_E2E/c.log"; fail "collect failed"; }
c_ts=$(csv_col "$out" timestamp); c_phase=$(csv_col "$out" phase)
c_rx=$(csv_col "$out" net_rx_bps); c_tx=$(csv_col "$out" net_tx_bps)
mapfile -t stamps < <(tail -n +2 "$out" | cut -d, -f"$c_ts" | sort -u)
[ "${#stamps[@]}" -eq 3 ] || fail "expected 3 cycles, got ${#stamps[@]}"
first=${stamps[0]}
bad=$(tail -n +2 "$out" | awk -F, -v t="$c_ts" -v p="$c_phase" -v rx="$c_rx" -v tx="$c_tx" -v first="$first" '
  $t == first && ($rx != "" || $tx != "") { print "first cycle has a rate: " $0; next }
  $t != first && $p == "Running" && !($rx > 0 && $tx > 0) { print "no rate: " $0 }')
[ -z "$bad" ] || fail "$bad"
running=$(tail -n +2 "$out" | awk -F, -v t="$c_ts" -v p="$c_phase" -v last="${stamps[2]}" '$t == last && $p == "Running"' | wc -l)
[ "$running" -gt 10 ] || fail "only $running running pods in the last cycle"

# A second run appends: one header, more rows.
before=$(wc -l <"$out")
"$KUBEMEND" collect --kubeconfig "$KC" -A --cycles 1 --output-file "$out" 2>/dev/null
[ "$(grep -c '^timestamp,' "$out")" -eq 1 ] || fail "header written twice"
[ "$(wc -l <"$out")" -gt "$before" ] || fail "second run appended nothing"
# Without --cycles it runs until SIGTERM, then flushes and exits 0.
"$KUBEMEND" collect --kubeconfig "$KC" -A --interval 0.5 --output-file "$TMPDIR_E2E/sig.csv" 2>"$TMPDIR_E2E/sig.log" &
spid=$!
for _ in $(seq 1 100); do [ "$(grep -c 'msg=cycle' "$TMPDIR_E2E/sig.log")" -ge 2 ] && break; sleep 0.1; done
kill -TERM "$spid"
wait "$spid" || fail "collect exited $? on SIGTERM"
[ "$(tail -c 1 "$TMPDIR_E2E/sig.csv" | od -An -c | tr -d ' ')" = '\n' ] || fail "the file does not end in a whole row"
echo "ok: $running running pods with positive rx/tx rates from the second cycle"
