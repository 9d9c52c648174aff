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

# csv_col FILE NAME: the 1-based index of a column in the CSV header.
csv_col() {
  head -1 "$1" | tr ',' '\n' | grep -nx "$2" | cut -d: -f1
}
