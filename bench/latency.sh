#!/usr/bin/env bash
# A collection cycle under API latency: the sim delays every API request
# by LATENCY ms (--fault-latency); a cycle asks for the metrics list and two
# pages per node (kubelet summary, cAdvisor), so one after another it would
# take about (1 + 2 x NODES) x LATENCY. Prints the steady cycle (median of
# the cycles after the first) against the peer, one request's latency
# measured by curl in the same run: the goal is about 1x.
#
#   make bench-latency            (bench/latency.sh [NODES] [LATENCY_MS])
set -euo pipefail
cd "$(dirname "$0")/.."
KUBEMEND=${KUBEMEND:-$PWD/bin/kubemend}
NODES=${1:-20}
LAT=${2:-3000}
tmp=$(mktemp -d /tmp/kubemend-latency.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
"$KUBEMEND" sim --listen 127.0.0.1:0 --kubeconfig-out "$tmp/kc" --nodes "$NODES" --pods $((NODES * 10)) \
  --speed 0 --fault-latency "$LAT" >"$tmp/sim.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do [ -s "$tmp/kc" ] && break; sleep 0.1; done
one=$(curl -fsS -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $(awk '/token:/ {print $2; exit}' "$tmp/kc")" \
  "$(awk '/server:/ {print $2; exit}' "$tmp/kc")/api/v1/nodes/node-0/proxy/stats/summary")
"$KUBEMEND" collect --kubeconfig "$tmp/kc" -A --cycles 4 --interval 0.1 --output-file "$tmp/out.csv" 2>"$tmp/collect.log"
cycle=$(grep 'msg=cycle' "$tmp/collect.log" | sed 's/.* ms=\([0-9]*\).*/\1/' | tail -n +2 | sort -n \
  | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')
awk -v c="$cycle" -v o="$one" -v n="$NODES" -v l="$LAT" 'BEGIN {
  printf "nodes %d, API latency %d ms: one request %.0f ms, steady cycle %d ms: %.2fx one request (one after another: about %dx)\n",
    n, l, o * 1000, c, c / (o * 1000), 1 + 2 * n }'
