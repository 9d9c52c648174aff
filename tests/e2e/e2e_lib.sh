#!/usr/bin/env bash
# tests/e2e/lib/wait.sh itself: start_on_free_port moves to another port when
# its first one is taken (by a server that answers, so a naive readiness check
# would be fooled), wait_file and log_port return early when the process they
# wait for has died, and wait_until gives up at its deadline.
set -euo pipefail
: "${TMPDIR_E2E:=$(mktemp -d /tmp/kubemend-e2e.XXXXXX)}"
source "$(dirname "$0")/lib/wait.sh"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done; wait 2>/dev/null || true; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
d=$TMPDIR_E2E
mkdir -p "$d/www"; echo hi >"$d/www/ready"

# A server already on a port, answering /ready.
start_on_free_port taken /ready 60 "$d/first.log" python3 -m http.server --bind 127.0.0.1 --directory "$d/www" {PORT} \
  || fail "the first server did not start"
first=$STARTED_PID
# Asked to start on that very port first, the helper must notice that the
# answer came from another process and move on.
E2E_TAKEN_PORT=$taken start_on_free_port other /ready 60 "$d/second.log" \
  python3 -m http.server --bind 127.0.0.1 --directory "$d/www" {PORT} 2>"$d/helper.err" || fail "the second server did not start"
[ "$other" != "$taken" ] || fail "both servers on port $taken"
[ "$STARTED_PID" != "$first" ] || fail "STARTED_PID is the first server"
grep -q "port $taken was taken" "$d/helper.err" || fail "no retry reported: $(cat "$d/helper.err")"
curl -fsS "http://127.0.0.1:$other/ready" >/dev/null || fail "the second server does not answer"
e2e_listens "$other" "$STARTED_PID" || fail "port $other is not held by the started process"

# Waits end early when the process is gone, and at the deadline otherwise.
sleep 0.2 & dead=$!; wait "$dead" || true
t0=$SECONDS
! wait_file "$d/never" 30 "$dead" || fail "wait_file: a file that never came"
! log_port "$d/first.log" 30 "$dead" || fail "log_port: no port line"
! wait_ready "http://127.0.0.1:1/" 30 "$dead" || fail "wait_ready on a dead process"
[ $((SECONDS - t0)) -lt 10 ] || fail "waits on a dead process took $((SECONDS - t0)) s"
t0=$SECONDS
! wait_until 1 false || fail "wait_until false succeeded"
[ $((SECONDS - t0)) -le 3 ] || fail "wait_until 1 took $((SECONDS - t0)) s"
echo 'time=x level=info component=monitor msg=serving listen=127.0.0.1:0 port=43210' >"$d/mon.log"
[ "$(log_port "$d/mon.log" 5)" = 43210 ] || fail "log_port did not read the port"
echo "ok: wait.sh helpers"
