#!/usr/bin/env bash
# The approval binding end to end (issue 12's M4): a person approves the
# change they were shown (memory limit 128Mi -> 256Mi); before the loop acts,
# someone else sets the limit to 192Mi, so what would run now is
# 192Mi -> 384Mi. The approval does not carry over: the approved record is
# refused as stale, the new change waits as a new record with its own
# digest, and the deployment keeps 192Mi until that one is approved.
source "$(dirname "$0")/lib/web.sh"

start_sim binding --scenario "$WEB_D/s.yaml" --speed 20
start_monitor binding --listen 127.0.0.1:0
# no token: a name other than loopback's (DNS rebinding) gets no session and no data
port=${URL##*:}
for p in /api/remediations /api/insights; do
  code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Host: rebound.example:$port" "$URL$p")
  [ "$code" = 401 ] || fail "GET $p for Host rebound.example: HTTP $code, want 401"
done
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Host: rebound.example:$port" -H "Origin: http://rebound.example:$port" \
  -X POST --data '{}' "$URL/api/session")
[ "$code" = 401 ] || fail "a session for Host rebound.example: HTTP $code, want 401"
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Host: localhost:$port" "$URL/api/remediations")
[ "$code" = 200 ] || fail "GET /api/remediations for Host localhost: HTTP $code, want 200"
echo "ok: without a token, only loopback host names are served the API (no DNS rebinding)"
doc=$(wait_json 120 /api/remediations 'any(.remediations[]; .status == "pending" and .params.memory_limit_before == 134217728)')
ID=$(echo "$doc" | jq -r '[.remediations[] | select(.status == "pending")][0].id')
DG=$(echo "$doc" | jq -r '[.remediations[] | select(.status == "pending")][0].digest')
echo "ok: $ID pending: $(echo "$doc" | jq -r '[.remediations[] | select(.status == "pending")][0].params.description')"

# the workload changes under the proposal; wait until the insight's advice sees it
kubectl --kubeconfig "$KC" set resources deploy web -n shop --limits=memory=192Mi >/dev/null
wait_json 90 /api/insights 'any(.insights[]; any(.recommendations[]; .params.memory_limit_before == 201326592))' >/dev/null

CS=$(curl -fsS -c "$WEB_D/jar" -X POST --data '{}' "$URL/api/session" | jq -r .csrf)
code=$(curl -sS -o "$WEB_D/resp" -w '%{http_code}' -b "$WEB_D/jar" -H "X-CSRF-Token: $CS" -X POST \
  --data "{\"digest\":\"$DG\"}" "$URL/api/remediations/$ID/approve")
[ "$code" = 200 ] || fail "approving what was shown: HTTP $code $(cat "$WEB_D/resp")"

# (the loop sees the change before acting: the old record is superseded, or
# refused as stale when the decision arrived first; issue 12)
doc=$(wait_json 90 /api/remediations "any(.remediations[]; .id == \"$ID\" and ((.status == \"refused\" and .result.answer == \"stale\") or .status == \"superseded\"))
  and any(.remediations[]; .id != \"$ID\" and .status == \"pending\" and .params.memory_limit_before == 201326592)")
NEW=$(echo "$doc" | jq -r --arg id "$ID" '[.remediations[] | select(.id != $id and .status == "pending")][0]')
[ "$(echo "$NEW" | jq -r .digest)" != "$DG" ] || fail "the new proposal has the old digest"
sleep 3
[ "$(web_limit)" = 192Mi ] || fail "an approval of 128Mi -> 256Mi changed the deployment after it moved on: $(web_limit)"
echo "ok: the approval of $ID was not used for $(echo "$NEW" | jq -r .params.description); the limit stays 192Mi"

# the old digest does not decide the new record either
NID=$(echo "$NEW" | jq -r .id)
code=$(curl -sS -o "$WEB_D/resp" -w '%{http_code}' -b "$WEB_D/jar" -H "X-CSRF-Token: $CS" -X POST \
  --data "{\"digest\":\"$DG\"}" "$URL/api/remediations/$NID/approve")
[ "$code" = 409 ] || fail "the old digest on the new record: HTTP $code, want 409"
code=$(curl -sS -o "$WEB_D/resp" -w '%{http_code}' -b "$WEB_D/jar" -H "X-CSRF-Token: $CS" -X POST \
  --data "{\"digest\":\"$(echo "$NEW" | jq -r .digest)\"}" "$URL/api/remediations/$NID/approve")
[ "$code" = 200 ] || fail "approving the new record: HTTP $code $(cat "$WEB_D/resp")"
WANT=$(echo "$NEW" | jq -r '(.params.memory_limit_after / 1048576 | floor | tostring) + "Mi"')
wait_limit 60 "$WANT"
echo "ok: approving $NID with its own digest set the limit to $WANT"
