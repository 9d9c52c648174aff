#!/usr/bin/env bash
# Bad input to `kubemend sim`: each gets one line on stderr and a non-zero
# exit, and no kubeconfig is written.
set -euo pipefail
source "$(dirname "$0")/lib/wait.sh"
: "${KUBEMEND:?}" "${TMPDIR_E2E:?}"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
d=$TMPDIR_E2E

check() { # check NAME EXPECTED_RC PATTERN -- ARGS...
	local name=$1 want=$2 pat=$3; shift 4
	local rc=0
	timeout 20 "$KUBEMEND" sim "$@" >"$d/out" 2>"$d/err" || rc=$?
	[ "$rc" = "$want" ] || { cat "$d/err"; fail "$name: exit $rc, want $want"; }
	[ "$(wc -l <"$d/err")" -eq 1 ] || { cat "$d/err"; fail "$name: want exactly one line on stderr"; }
	grep -q -- "$pat" "$d/err" || fail "$name: '$(cat "$d/err")' lacks '$pat'"
	[ ! -e "$d/kc" ] || fail "$name: a kubeconfig was written"
	echo "ok: $name: $(cat "$d/err")"
}

check "unknown flag" 2 "--bogus: unknown flag" -- --listen 127.0.0.1:0 --kubeconfig-out "$d/kc" --bogus
check "missing --listen" 2 "--listen: required" -- --kubeconfig-out "$d/kc"
check "missing value" 2 "--nodes: needs a value" -- --listen 127.0.0.1:0 --kubeconfig-out "$d/kc" --nodes
check "bad number" 2 "--pods: want" -- --listen 127.0.0.1:0 --kubeconfig-out "$d/kc" --pods many
check "bad speed" 2 "--speed: want" -- --listen 127.0.0.1:0 --kubeconfig-out "$d/kc" --speed -1
check "bad rate" 2 "--fault-500-rate: want a fraction" -- --listen 127.0.0.1:0 --kubeconfig-out "$d/kc" --fault-500-rate 2
check "bad listen" 1 "bad listen address" -- --listen nowhere --kubeconfig-out "$d/kc"
check "missing scenario" 1 "nope.yaml" -- --listen 127.0.0.1:0 --kubeconfig-out "$d/kc" --scenario "$d/nope.yaml"
check "unwritable truth file" 1 "cannot write the truth file" -- --listen 127.0.0.1:0 --kubeconfig-out "$d/kc" --truth-out "$d/no/such/dir/t.json"
printf 'seed: 1\nnodes: 2\nworkloads:\n  - namespace: a\n    deployment: b\n    replicas: lots\n' >"$d/bad.yaml"
check "invalid scenario names file and line" 1 "bad.yaml:6:" -- --listen 127.0.0.1:0 --kubeconfig-out "$d/kc" --scenario "$d/bad.yaml"
printf 'seed: 1\nnodes: [\n' >"$d/broken.yaml"
check "malformed scenario" 1 "broken.yaml:" -- --listen 127.0.0.1:0 --kubeconfig-out "$d/kc" --scenario "$d/broken.yaml"

# a port in use
"$KUBEMEND" sim --listen 127.0.0.1:0 --kubeconfig-out "$d/kc1" --nodes 1 --pods 1 >"$d/first.log" 2>&1 &
pids+=($!)
wait_file "$d/kc1" 120 || true
port=$(sed -n 's/.*server: http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$d/kc1")
[ -n "$port" ] || fail "first sim did not start"
[ "$(stat -c %a "$d/kc1")" = 600 ] || fail "kubeconfig (token, key) is not mode 600"
echo "ok: kubeconfig mode 600"
check "port in use" 1 "127.0.0.1:$port: address already in use" -- --listen "127.0.0.1:$port" --kubeconfig-out "$d/kc"

# --help tells the truth: every flag it lists is accepted
"$KUBEMEND" sim --help >"$d/help"
cd "$d"         # values like "1" may name files: keep them in the scratch directory
for f in $(grep -o -- '--[a-z0-9-]*' "$d/help" | sort -u); do
	case $f in --listen|--kubeconfig-out|--tls|--help) continue ;; esac
	grep -q "unknown flag" <(timeout 5 "$KUBEMEND" sim --listen bad --kubeconfig-out "$d/kc" "$f" 1 2>&1 || true) &&
		fail "--help lists $f but sim rejects it"
done
echo "ok: --help lists only accepted flags"

# SIGTERM stops it cleanly with exit 0
kill -TERM "${pids[0]}"
rc=0; wait "${pids[0]}" || rc=$?
[ "$rc" = 0 ] || fail "sim exited $rc on SIGTERM"
echo "ok: clean exit on SIGTERM"
echo "all sim error checks passed"
