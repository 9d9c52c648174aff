#!/usr/bin/env bash
# The sim's API fault injection flags, seen from a plain HTTP client:
# 500s, 429 with Retry-After, truncated bodies, cut watches, added latency.
set -euo pipefail
source "$(dirname "$0")/lib/wait.sh"
: "${KUBEMEND:?}" "${TMPDIR_E2E:?}"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
start() { # start NAME FLAGS... ; sets url
	"$KUBEMEND" sim --listen 127.0.0.1:0 --kubeconfig-out "$TMPDIR_E2E/$1.kc" --nodes 2 --pods 4 "${@:2}" \
		>"$TMPDIR_E2E/$1.log" 2>&1 &
	pids+=($!)
	wait_file "$TMPDIR_E2E/$1.kc" 120 || true
	url=$(awk '/server:/ {print $2}' "$TMPDIR_E2E/$1.kc")
	[ -n "$url" ] || fail "$1: sim did not start"
}

start e500 --fault-500-rate 1
body=$(curl -s -w '\n%{http_code}' "$url/api/v1/pods")
[ "$(tail -1 <<<"$body")" = 500 ] || fail "500 rate: $body"
[ "$(head -1 <<<"$body" | jq -r .reason)" = InternalError ] || fail "500 body"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/healthz")" = 200 ] || fail "healthz should not be faulted"
echo "ok: --fault-500-rate"

start e429 --fault-429-rate 1
hdr=$(curl -s -D - -o "$TMPDIR_E2E/429.json" "$url/api/v1/nodes")
grep -q "^HTTP/1.1 429" <<<"$hdr" || fail "429: $hdr"
grep -qi "^Retry-After: 1" <<<"$hdr" || fail "no Retry-After: $hdr"
[ "$(jq -r .code "$TMPDIR_E2E/429.json")" = 429 ] || fail "429 body"
echo "ok: --fault-429-rate with Retry-After"

start trunc --fault-truncate-rate 1
rc=0; curl -s -o "$TMPDIR_E2E/trunc.json" "$url/api/v1/pods" || rc=$?
[ "$rc" -ne 0 ] || fail "truncated response looked complete to curl"
jq . "$TMPDIR_E2E/trunc.json" >/dev/null 2>&1 && fail "truncated body parsed as JSON"
echo "ok: --fault-truncate-rate (curl exit $rc)"

start cut --fault-watch-cut 1
rc=0; timeout 10 curl -s -N "$url/api/v1/pods?watch=true" >"$TMPDIR_E2E/watch.out" || rc=$?
[ "$rc" -ne 124 ] || fail "watch was not cut"
[ "$(wc -l <"$TMPDIR_E2E/watch.out")" -ge 4 ] || fail "watch sent no initial events"
echo "ok: --fault-watch-cut (curl exit $rc after $(wc -l <"$TMPDIR_E2E/watch.out") events)"

start slow --fault-latency 300
t=$(curl -s -o /dev/null -w '%{time_total}' "$url/api/v1/nodes")
awk -v t="$t" 'BEGIN { exit !(t >= 0.3) }' || fail "latency: took ${t}s, less than the 300ms added"
echo "ok: --fault-latency"

# a watch from a resourceVersion older than the sim keeps gets an ERROR 410 event
start gone
line=$(timeout 10 curl -s -N "$url/api/v1/pods?watch=true&resourceVersion=1" | head -1)
[ "$(jq -r '.type + " " + (.object.code|tostring)' <<<"$line")" = "ERROR 410" ] || fail "410: $line"
echo "ok: too old resourceVersion gets 410 Gone"
# JSON only: a client that accepts only protobuf is told so
[ "$(curl -s -H 'Accept: application/vnd.kubernetes.protobuf' "$url/api/v1/pods" | jq -r '.code')" = 406 ] ||
	fail "protobuf-only Accept not refused"
echo "ok: 406 for a protobuf-only client"
echo "all sim API fault checks passed"
