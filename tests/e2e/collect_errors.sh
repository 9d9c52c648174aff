#!/usr/bin/env bash
# The errors a user meets get one clear line and exit 1: no kubeconfig, an
# unknown context, an unreachable server, a refused token (401), a
# malformed kubeconfig; and bad flags exit 2.
source tests/e2e/lib/collect.sh
need_sim

expect_error() {  # expect_error WANT-IN-STDERR CODE -- ARGS...
  local want=$1 code=$2; shift 3
  set +e
  "$@" >"$TMPDIR_E2E/out" 2>"$TMPDIR_E2E/err"
  local rc=$?
  set -e
  [ "$rc" -eq "$code" ] || { cat "$TMPDIR_E2E/err"; fail "$*: exit $rc, want $code"; }
  grep -q -- "$want" "$TMPDIR_E2E/err" || { cat "$TMPDIR_E2E/err"; fail "$*: no \"$want\" in the message"; }
  [ "$(grep -vc 'level=' "$TMPDIR_E2E/err")" -eq 1 ] || { cat "$TMPDIR_E2E/err"; fail "$*: not a single line"; }
}

out=$TMPDIR_E2E/x.csv
mkdir -p "$TMPDIR_E2E/home"
expect_error "no kubeconfig" 1 -- env -u KUBECONFIG HOME="$TMPDIR_E2E/home" "$KUBEMEND" collect --output-file "$out"
expect_error "no such kubeconfig file" 1 -- "$KUBEMEND" collect --kubeconfig "$TMPDIR_E2E/none.yaml" --output-file "$out"

start_sim errs --speed 0 --nodes 2 --pods 4
expect_error 'context "nope" not found' 1 -- "$KUBEMEND" collect --kubeconfig "$KC" --context nope --output-file "$out"

# The token refused: 401, named as such.
# The sim is plain HTTP: the token goes only with KUBEMEND_ALLOW_HTTP_TOKEN=1.
sed "s/token: .*/token: wrong-token/" "$KC" >"$TMPDIR_E2E/bad-token.yaml"
expect_error "list pods: HTTP 401" 1 -- env KUBEMEND_ALLOW_HTTP_TOKEN=1 "$KUBEMEND" collect --kubeconfig "$TMPDIR_E2E/bad-token.yaml" -A --cycles 1 --output-file "$out"
# Without it the token stays home (the sim lets token-less HTTP through, as kubectl's use needs), and the user is told.
env -u KUBEMEND_ALLOW_HTTP_TOKEN "$KUBEMEND" collect --kubeconfig "$TMPDIR_E2E/bad-token.yaml" -A --cycles 1 \
  --output-file "$out" 2>"$TMPDIR_E2E/plain.err" || { cat "$TMPDIR_E2E/plain.err"; fail "a token was sent over plain HTTP"; }
grep -q "not sending the bearer token" "$TMPDIR_E2E/plain.err" || { cat "$TMPDIR_E2E/plain.err"; fail "no notice"; }

# Unreachable: a port nothing listens on (the sim's, after it stopped).
start_sim gone --speed 0 --nodes 1 --pods 1
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
expect_error "Connection refused\|Failed to connect\|Couldn't connect" 1 -- "$KUBEMEND" collect --kubeconfig "$KC" -A --cycles 1 --output-file "$out"

# A malformed kubeconfig names file, line and column.
printf 'apiVersion: v1\nclusters:\n- name: c\n  cluster: [unclosed\n' >"$TMPDIR_E2E/broken.yaml"
expect_error "broken.yaml:[0-9]*:[0-9]*:" 1 -- "$KUBEMEND" collect --kubeconfig "$TMPDIR_E2E/broken.yaml" --output-file "$out"

# --test says what failed and what to do, and exits non-zero.
set +e
KUBEMEND_ALLOW_HTTP_TOKEN=1 "$KUBEMEND" collect --kubeconfig "$TMPDIR_E2E/bad-token.yaml" --test >"$TMPDIR_E2E/test.out" 2>/dev/null
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "--test with a bad token exited $rc"
grep -q "^FAIL authentication .*(fix: " "$TMPDIR_E2E/test.out" || { cat "$TMPDIR_E2E/test.out"; fail "--test did not explain the 401"; }

# Usage errors.
expect_error "unknown or incomplete option" 2 -- "$KUBEMEND" collect --no-such-flag
expect_error "native or seed" 2 -- "$KUBEMEND" collect --kubeconfig "$KC" --csv-format xml
expect_error "exclude each other" 2 -- "$KUBEMEND" collect -A --namespace x
echo "ok: error messages"
