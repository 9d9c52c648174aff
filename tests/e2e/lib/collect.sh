# Shared by tests/e2e/collect_*.sh: start a sim, wait for its kubeconfig,
# clean up on exit. Sourced, not run (run-tests.sh runs tests/e2e/*.sh only).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/wait.sh"

: "${KUBEMEND:?KUBEMEND is the kubemend binary}"
: "${TMPDIR_E2E:=$(mktemp -d /tmp/kubemend-e2e.XXXXXX)}"
PIDS=()

cleanup() {
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
  done
  return 0
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
# hist_json FILE: a remediation history's records, each in its current
# state, as one JSON array (the file itself is JSON lines: docs/history.md).
hist_json() { "$KUBEMEND" history --json --history-file "$1"; }

# Skips the test (exit 0) when the binary has no sim command yet.
need_sim() {
  if ! "$KUBEMEND" sim --help >/dev/null 2>&1; then
    echo "SKIP: 'kubemend sim' is not a command in this build"
    exit 0
  fi
}

# start_sim NAME ARGS...: starts a sim; sets KC (its kubeconfig), SERVER, TOKEN.
start_sim() {
  local name=$1; shift
  KC=$TMPDIR_E2E/$name.kubeconfig
  rm -f "$KC"
  "$KUBEMEND" sim --listen 127.0.0.1:0 --kubeconfig-out "$KC" "$@" \
    >"$TMPDIR_E2E/$name.sim.log" 2>&1 &
  PIDS+=($!)
  wait_file "$KC" 120 "${PIDS[-1]}" || { cat "$TMPDIR_E2E/$name.sim.log" >&2; fail "sim $name wrote no kubeconfig"; }
  SERVER=$(awk '/server:/ {print $2; exit}' "$KC")
  TOKEN=$(awk '/token:/ {print $2; exit}' "$KC")
}

# sim_advance SECONDS: moves a frozen sim's clock on.
sim_advance() {
  curl -fsS -X POST -H "Authorization: Bearer $TOKEN" "$SERVER/sim/v1/advance?seconds=$1" >/dev/null
}

# shop_oom_scenario FILE SEED WEB_MEMORY FAULT_AT: a 3-node cluster with
# shop/web (2 pods using WEB_MEMORY of a 256Mi limit) and a healthy
# shop/cart; at FAULT_AT a bad release sets web's memory limit to 128Mi.
shop_oom_scenario() {
  cat > "$1" <<YAML
seed: $2
nodes: 3
workloads:
  - namespace: shop
    deployment: web
    replicas: 2
    requests: {cpu: 100m, memory: 128Mi}
    limits: {cpu: 500m, memory: 256Mi}
    usage: {cpu: 100m, memory: $3, rx: 100Ki, tx: 100Ki}
  - namespace: shop
    deployment: cart
    replicas: 2
    requests: {cpu: 100m, memory: 128Mi}
    limits: {cpu: 500m, memory: 256Mi}
    usage: {cpu: 100m, memory: 120Mi, rx: 100Ki, tx: 100Ki}
faults:
  - type: oom_limit_too_low
    at: $4
    target: shop/web
    params: {limit: 128Mi}
YAML
}

# csv_col FILE NAME: the 1-based index of a column in the CSV header.
csv_col() {
  head -1 "$1" | tr ',' '\n' | grep -nx "$2" | cut -d: -f1
}
