#!/usr/bin/env bash
# `kubemend demo` starts the sim in-process, shows the cluster and some
# metrics, and exits 0 by itself.
set -euo pipefail
: "${KUBEMEND:?}"
out=$(timeout 60 "$KUBEMEND" demo)
grep -q "^node-2 *Ready" <<<"$out" || { echo "$out"; echo "FAIL: nodes"; exit 1; }
grep -q "^kube-system *3 Running" <<<"$out" || { echo "$out"; echo "FAIL: daemonset pods"; exit 1; }
[ "$(grep -c ' pods  cpu ' <<<"$out")" -eq 4 ] || { echo "$out"; echo "FAIL: metrics lines"; exit 1; }
echo "ok: demo"
