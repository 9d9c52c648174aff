#!/usr/bin/env bash
# The page's API with --approval web (docs/web.md): a pending proposal with
# its digest; approve/reject answer 401 without a token (or a session
# without its CSRF token, or from another origin), 404 for an unknown id,
# 409 for a digest that is not the proposal's, 200 when decided; the
# approved change is made in the sim. The page itself is one self-contained
# document. Binding beyond loopback without a token is refused; an
# undecided proposal expires.
source "$(dirname "$0")/lib/web.sh"
d=$WEB_D
printf 'tok-%s\n' "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$d/token"
T=$(cat "$d/token")

# 0. beyond loopback without a token: a clear refusal, before anything runs
start_sim api --scenario "$d/s.yaml" --speed 20
set +e
out=$("$KUBEMEND" monitor --kubeconfig "$KC" -A --approval web --listen 0.0.0.0:0 --cycles 1 \
  --output-file "$d/x.csv" --insights-file "$d/x.json" --history-file "$d/x-h.json" \
  --log-dir "$d" --config-dir "$d/conf" --quiet </dev/null 2>&1); rc=$?
set -e
[ $rc -ne 0 ] || fail "listening on 0.0.0.0 without a token file was accepted"
echo "$out" | grep -q "refusing to serve the page and its API beyond loopback without a token" \
  || fail "no clear error for 0.0.0.0 without a token: $out"
echo "ok: 0.0.0.0 without --ui-token-file is refused ($rc)"

kubectl --kubeconfig "$KC" create pdb web-pdb -n shop --selector=app=web --min-available=1 >/dev/null
start_monitor api --listen 127.0.0.1:0 --ui-token-file "$d/token"

# 1. the page: HTML, nothing fetched from elsewhere, framing forbidden
curl -fsS -D "$d/page.h" -o "$d/page.html" "$URL/"
grep -qi '^content-type: text/html' "$d/page.h" || fail "/ is not HTML: $(cat "$d/page.h")"
grep -qi "^content-security-policy:.*frame-ancestors 'none'" "$d/page.h" || fail "no CSP on /"
grep -q '<script>' "$d/page.html" || fail "the page has no inline script"
! grep -Eiq '(src|href)="(https?:)?//' "$d/page.html" || fail "the page loads something from elsewhere"
echo "ok: / is one self-contained document ($(wc -c < "$d/page.html") bytes)"

# 2. a pending proposal with its digest
doc=$(wait_json 90 /api/remediations \
  '.approval == "web" and any(.remediations[]; .status == "pending" and .action == "change_limits" and .target.name == "web")')
ID=$(echo "$doc" | jq -r '[.remediations[] | select(.status == "pending")][0].id')
DG=$(echo "$doc" | jq -r '[.remediations[] | select(.status == "pending")][0].digest')
[ ${#DG} -eq 64 ] || fail "no digest on $ID: $doc"
echo "$doc" | jq -e --arg id "$ID" '.remediations[] | select(.id == $id) | .approval_expires and (.params.memory_limit_before < .params.memory_limit_after)' >/dev/null \
  || fail "the pending record lacks its expiry or its change: $doc"
echo "$doc" | jq -e --arg id "$ID" '.remediations[] | select(.id == $id) |
    .blast_radius.pods == 2 and .blast_radius.pdb.name == "web-pdb" and (.blast_radius.pdb.disruptions_allowed | type == "number")
    and (.policy_checks | length >= 4)' >/dev/null \
  || fail "the pending record does not show its blast radius (2 pods, web-pdb with its headroom) and policy checks: $doc"
echo "ok: $ID pending, digest ${DG:0:12}..., 2 pods affected, web-pdb headroom shown"

post() { # post PATH BODY [CURL ARGS...] -> prints the HTTP status
  local path=$1 body=$2; shift 2
  curl -sS -o "$d/resp" -w '%{http_code}' -X POST -H 'Content-Type: application/json' "$@" \
    --data "$body" "$URL$path"
}
expect() { [ "$2" = "$3" ] || fail "$1: got HTTP $2, want $3 ($(cat "$d/resp"))"; echo "ok: $1 -> $2"; }

expect "approve without a token" "$(post /api/remediations/$ID/approve "{\"digest\":\"$DG\"}")" 401
expect "approve with a wrong token" "$(post /api/remediations/$ID/approve "{\"digest\":\"$DG\"}" -H "Authorization: Bearer nope-nope-nope-nope")" 401
expect "approve an unknown id" "$(post /api/remediations/r-999999/approve "{\"digest\":\"$DG\"}" -H "Authorization: Bearer $T")" 404
expect "approve with another digest" "$(post /api/remediations/$ID/approve "{\"digest\":\"${DG//a/b}x\"}" -H "Authorization: Bearer $T")" 409
grep -q "digest mismatch" "$d/resp" || fail "409 without saying why: $(cat "$d/resp")"
expect "approve without a body" "$(post /api/remediations/$ID/approve "" -H "Authorization: Bearer $T")" 400

# 3. CSRF: a page session needs the token to start, and its CSRF token on every write
expect "session without the token" "$(post /api/session '{}')" 401
expect "session with the token" "$(post /api/session "{\"token\":\"$T\"}" -c "$d/jar")" 200
CSRF=$(jq -r .csrf "$d/resp")
grep -q 'SameSite=Strict' <(curl -sS -D - -o /dev/null -X POST --data "{\"token\":\"$T\"}" "$URL/api/session") \
  || fail "the session cookie is not SameSite=Strict"
expect "cookie without X-CSRF-Token" "$(post /api/remediations/$ID/reject "{\"digest\":\"$DG\"}" -b "$d/jar")" 401
expect "cookie with a wrong X-CSRF-Token" "$(post /api/remediations/$ID/reject "{\"digest\":\"$DG\"}" -b "$d/jar" -H "X-CSRF-Token: x$CSRF")" 401
expect "cookie and CSRF token from another origin" "$(post /api/remediations/$ID/reject "{\"digest\":\"$DG\"}" -b "$d/jar" -H "X-CSRF-Token: $CSRF" -H "Origin: http://evil.example")" 401
expect "X-CSRF-Token without the cookie" "$(post /api/remediations/$ID/reject "{\"digest\":\"$DG\"}" -H "X-CSRF-Token: $CSRF")" 401
[ "$(web_limit)" = 128Mi ] || fail "a refused request changed the deployment"

# 4. the right token and digest: decided, and the sim's deployment changes
expect "approve with token and digest" "$(post /api/remediations/$ID/approve "{\"digest\":\"$DG\"}" -H "Authorization: Bearer $T")" 200
expect "approve twice" "$(post /api/remediations/$ID/approve "{\"digest\":\"$DG\"}" -H "Authorization: Bearer $T")" 409
# the change the record showed (the VPA rule after an OOM at 128Mi, as far
# as the policy's max_limit_factor allows: issue 12) is the one made
WANT=$(echo "$doc" | jq -r --arg id "$ID" '.remediations[] | select(.id == $id) | (.params.memory_limit_after / 1048576 | floor | tostring) + "Mi"')
wait_limit 60 "$WANT"
doc=$(wait_json 60 /api/remediations "any(.remediations[]; .id == \"$ID\" and .approval == \"web\" and .decided_by == \"api\" and (.status | IN(\"executing\",\"succeeded\",\"unverified\")))")
echo "ok: approved over the API; shop/web's memory limit is now $(web_limit)"

# 5. reads need the token when configured (agent.ui_auth_reads), /api/insights too
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
printf 'verify_window: 6s\nui_auth_reads: true\n' > "$d/conf/agent_config.yaml"
start_monitor reads --listen 127.0.0.1:0 --ui-token-file "$d/token" --cycles 3
for p in /api/insights /api/remediations /api/pods; do
  code=$(curl -sS -o /dev/null -w '%{http_code}' "$URL$p")
  [ "$code" = 401 ] || fail "GET $p without a token: $code, want 401"
  code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $T" "$URL$p")
  [ "$code" = 200 ] || fail "GET $p with the token: $code, want 200"
done
echo "ok: with ui_auth_reads, /api/insights, /api/remediations and /api/pods need the token"
printf 'verify_window: 6s\n' > "$d/conf/agent_config.yaml"
kill "${PIDS[-1]}" 2>/dev/null; wait "${PIDS[-1]}" 2>/dev/null || true

# 6. nobody decides: the proposal expires and nothing changes
start_sim expire --scenario "$d/s.yaml" --speed 20
start_monitor expire --listen 127.0.0.1:0 --approval-ttl 3s
wait_json 90 /api/remediations 'any(.remediations[]; .status == "refused" and .result.answer == "expired")' >/dev/null
[ "$(web_limit)" = 128Mi ] || fail "an expired proposal changed the deployment"
echo "ok: an undecided proposal is refused when its approval window ends"
kill "${PIDS[-1]}" 2>/dev/null; wait "${PIDS[-1]}" 2>/dev/null || true

# 7. a restart keeps what waits: the new process offers the same record again
start_sim restart --scenario "$d/s.yaml" --speed 20
start_monitor restart1 --listen 127.0.0.1:0
doc=$(wait_json 90 /api/remediations 'any(.remediations[]; .status == "pending")')
ID=$(echo "$doc" | jq -r '[.remediations[] | select(.status == "pending")][0].id')
DG=$(echo "$doc" | jq -r '[.remediations[] | select(.status == "pending")][0].digest')
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
start_monitor restart2 --listen 127.0.0.1:0 --history-file "$d/restart1/h.json"
# the same record waits again; only when the new process measured another
# change (a busy machine lets the sim run on between the two) does a new
# record replace it, naming it, and that is the one to decide
doc2=$(wait_json 30 /api/remediations "any(.remediations[]; .id == \"$ID\" and ((.status == \"pending\" and .digest == \"$DG\") or .status == \"superseded\"))")
if echo "$doc2" | jq -e --arg id "$ID" 'any(.remediations[]; .id == $id and .status == "superseded")' >/dev/null; then
  NEW=$(echo "$doc2" | jq -r --arg id "$ID" '.remediations[] | select(.id == $id) | .result.superseded_by')
  doc=$(wait_json 30 /api/remediations "any(.remediations[]; .id == \"$NEW\" and .status == \"pending\")")
  ID=$NEW
  DG=$(echo "$doc" | jq -r --arg id "$ID" '.remediations[] | select(.id == $id) | .digest')
  echo "note: the restart measured another change: $ID supersedes the record proposed before it"
fi
CS=$(curl -fsS -c "$d/jar2" -X POST --data '{}' "$URL/api/session" | jq -r .csrf)
code=$(curl -sS -o "$d/resp" -w '%{http_code}' -b "$d/jar2" -H "X-CSRF-Token: $CS" -X POST \
  --data "{\"digest\":\"$DG\"}" "$URL/api/remediations/$ID/approve")
[ "$code" = 200 ] || fail "approving $ID after a restart: HTTP $code $(cat "$d/resp")"
WANT=$(echo "$doc" | jq -r --arg id "$ID" '.remediations[] | select(.id == $id) | (.params.memory_limit_after / 1048576 | floor | tostring) + "Mi"')
wait_limit 90 "$WANT"
echo "ok: $ID, proposed before a restart, was approved after it and carried out ($WANT)"
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true

# 8. a change measured again replaces the one that waits: the record from
#    before the restart is made to propose 1Mi more than this run will
#    measure, so the new process proposes another change; the old record is
#    superseded, names the new one, and can no longer be approved
start_sim again --scenario "$d/s.yaml" --speed 20
start_monitor again1 --listen 127.0.0.1:0
doc=$(wait_json 90 /api/remediations 'any(.remediations[]; .status == "pending")')
OLD=$(echo "$doc" | jq -r '[.remediations[] | select(.status == "pending")][0].id')
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
hist_json "$d/again1/h.json" | jq -c --arg id "$OLD" \
  '.[] | if .id == $id then (.params.memory_limit_after += 1048576 | del(.digest)) else . end' >"$d/again-h.json"
start_monitor again2 --listen 127.0.0.1:0 --history-file "$d/again-h.json"
doc=$(wait_json 60 /api/remediations "any(.remediations[]; .id == \"$OLD\" and .status == \"superseded\")")
NEW=$(echo "$doc" | jq -r --arg id "$OLD" '.remediations[] | select(.id == $id) | .result.superseded_by')
echo "$doc" | jq -e --arg id "$NEW" 'any(.remediations[]; .id == $id and .status == "pending")' >/dev/null \
  || fail "$OLD superseded by '$NEW', which is not pending: $doc"
ODG=$(echo "$doc" | jq -r --arg id "$OLD" '.remediations[] | select(.id == $id) | .digest')
CS=$(curl -fsS -c "$d/jar3" -X POST --data '{}' "$URL/api/session" | jq -r .csrf)
code=$(curl -sS -o "$d/resp" -w '%{http_code}' -b "$d/jar3" -H "X-CSRF-Token: $CS" -X POST \
  --data "{\"digest\":\"$ODG\"}" "$URL/api/remediations/$OLD/approve")
[ "$code" != 200 ] || fail "the superseded $OLD could still be approved"
echo "ok: measured again after a restart, $NEW supersedes $OLD, which can no longer be approved (HTTP $code)"
