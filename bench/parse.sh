#!/usr/bin/env bash
# Parsing a page of 500 pods whole against skimmed (json_skim, then
# jansson and kube_pod_parse), same run: wall time, and with valgrind the
# instructions per page (callgrind; repeatable on a busy machine). Checks
# that both give the same pods.
#
#   make bench-parse
set -euo pipefail
cd "$(dirname "$0")/.."
KUBEMEND=${KUBEMEND:-$PWD/bin/kubemend}
BENCH=${BENCH:-build/bench/parse_pods}
tmp=$(mktemp -d /tmp/kubemend-parse.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
"$KUBEMEND" sim --listen 127.0.0.1:0 --kubeconfig-out "$tmp/kc" --pods 1000 --nodes 10 --speed 0 >"$tmp/sim.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do [ -s "$tmp/kc" ] && break; sleep 0.1; done
curl -fsS -H "Authorization: Bearer $(awk '/token:/ {print $2; exit}' "$tmp/kc")" \
  "$(awk '/server:/ {print $2; exit}' "$tmp/kc")/api/v1/pods?limit=500" -o "$tmp/page.json"
"$BENCH" "$tmp/page.json" 20
if command -v valgrind >/dev/null; then
  ir() { valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" "$BENCH" "$tmp/page.json" "$1" "$2" 2>&1 \
    | awk '/Collected/ {print $4}'; }
  base=$(ir 0 plain)
  whole=$(( ($(ir 3 plain) - base) / 3 ))
  skim=$(( ($(ir 3 skim) - base) / 3 ))
  awk -v w="$whole" -v s="$skim" 'BEGIN { printf "instructions a page: whole %.1fM, skimmed %.1fM: %.2fx\n", w / 1e6, s / 1e6, w / s }'
fi
