#!/usr/bin/env bash
# Notifications (docs/web.md) against a loopback receiver: the generic
# webhook's body is signed with HMAC-SHA256 (checked here with openssl, not
# with kubemend's code), a 503 is retried with the same delivery id, the
# Slack body has the summary, the evidence and a link to the record on the
# page; insights opened and remediations proposed and executed are sent. A
# receiver that never answers does not hold up the monitor's cycles.
source "$(dirname "$0")/lib/web.sh"
d=$WEB_D
mkdir -p "$d/rx"
python3 "$(dirname "$0")/web_notify.py" "$d/rx" & PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$d/rx/port" ] && break; sleep 0.1; done
[ -s "$d/rx/port" ] || fail "the receiver did not start"
R=http://127.0.0.1:$(cat "$d/rx/port")
printf 'whsec-%s\n' "$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$d/secret"
KEY=$(cat "$d/secret")

start_sim notify --scenario "$d/s.yaml" --speed 20
start_monitor notify --listen 127.0.0.1:0 --webhook-url "$R/flaky" --webhook-secret-file "$d/secret" \
  --slack-webhook-url "$R/slack"

# requests of an event kind to a path, as req-N.json files
reqs() { # reqs PATH EVENT (a regex: "a|b")
  for f in "$d"/rx/req-*.json; do
    [ -e "$f" ] || continue
    jq -e --arg p "$1" --arg e "$2" '.path == $p and (.headers["X-Kubemend-Event"] | test("^(" + $e + ")$"))' "$f" >/dev/null && echo "$f"
  done
  return 0
}
wait_req() { # wait_req SECONDS PATH EVENT MIN
  for _ in $(seq 1 $(($1 * 5))); do
      reqs "$2" "$3" > "$d/count"
    [ "$(wc -l < "$d/count")" -ge "$4" ] && return 0
    sleep 0.2
  done
  fail "fewer than $4 $3 requests to $2; got: $(cat "$d"/rx/req-*.json 2>/dev/null | head -c 2000)"
}

# 1. an insight opens: generic (503 then retried) and Slack
wait_req 90 /flaky insight.opened 2
wait_req 30 /slack insight.opened 1
reqs /flaky insight.opened > "$d/list"; first=$(sed -n 1p "$d/list")
dl=$(jq -r '.headers["X-Kubemend-Delivery"]' "$first")
for f in $(reqs /flaky insight.opened); do jq -r '.headers["X-Kubemend-Delivery"]' "$f"; done > "$d/ids"
[ "$(grep -cx "$dl" "$d/ids")" -ge 2 ] \
  || fail "the delivery $dl answered 503 was not retried"
echo "ok: a 503 is retried with the same delivery id ($dl)"

# 2. every generic body carries a valid signature, checked with openssl
n=0
for f in $(reqs /flaky insight.opened); do
  body=${f%.json}.body
  want="sha256=$(openssl dgst -sha256 -hmac "$KEY" -r < "$body" | cut -d' ' -f1)"
  got=$(jq -r '.headers["X-Kubemend-Signature"]' "$f")
  [ "$got" = "$want" ] || fail "bad signature on $f: $got, openssl says $want"
  wrong="sha256=$(openssl dgst -sha256 -hmac "x$KEY" -r < "$body" | cut -d' ' -f1)"
  [ "$got" != "$wrong" ] || fail "the signature does not depend on the key"
  jq -e '.event == "insight.opened" and (.insight.id | startswith("i-")) and (.summary | length > 0) and (.link | test("^http://127.0.0.1:[0-9]+/#i-"))' \
    "$body" >/dev/null || fail "generic body shape: $(cat "$body")"
  n=$((n+1))
done
echo "ok: $n signed generic deliveries verify with openssl dgst -hmac"

# 3. Slack: Block Kit with header, summary, evidence, a button to the record
reqs /slack insight.opened > "$d/list"; sl=$(sed -n 1p "$d/list")
jq -e --arg u "$URL/#" '(.text | length > 0) and .blocks[0].type == "header"
  and any(.blocks[]; .type == "section" and (.text.text | startswith("*Evidence*")))
  and any(.blocks[]; .type == "actions" and (.elements[0].url | startswith($u + "i-")))' "${sl%.json}.body" >/dev/null \
  || fail "Slack body shape: $(cat "${sl%.json}.body")"
grep -q 'Evidence' "${sl%.json}.body" && echo "ok: Slack blocks with summary, evidence and a link to $URL/#i-..."

# 4. remediation proposed, then approved over the API and executed
wait_req 60 /slack remediation.proposed 1
doc=$(wait_json 60 /api/remediations 'any(.remediations[]; .status == "pending")')
ID=$(echo "$doc" | jq -r '[.remediations[] | select(.status == "pending")][0].id')
DG=$(echo "$doc" | jq -r '[.remediations[] | select(.status == "pending")][0].digest')
CS=$(curl -fsS -c "$d/jar" -X POST --data '{}' "$URL/api/session" | jq -r .csrf)
curl -fsS -b "$d/jar" -H "X-CSRF-Token: $CS" -X POST --data "{\"digest\":\"$DG\"}" \
  "$URL/api/remediations/$ID/approve" >/dev/null || fail "approve failed"
# the action ran: executed, or failed when its verification saw the fault go on
# (a raised limit short of the 15% headroom is a failed first step; issue 12)
wait_req 90 /slack 'remediation\.executed|remediation\.failed' 1
wait_req 30 /flaky 'remediation\.executed|remediation\.failed' 1
reqs /flaky 'remediation\.executed|remediation\.failed' > "$d/list"; ex=$(tail -n 1 "$d/list")
jq -e --arg id "$ID" '.remediation.id == $id and .remediation.approval == "web" and (.link | endswith("/#" + $id))' "${ex%.json}.body" >/dev/null \
  || fail "remediation.executed/failed body: $(cat "${ex%.json}.body")"
echo "ok: remediation.proposed and remediation.executed/failed for $ID, linked to the record"
curl -fsS "$URL/metrics" > "$d/metrics"
awk '$1 == "kubemend_notifications_total{outcome=\"sent\"}" && $2 >= 3 {ok=1} END {exit !ok}' "$d/metrics" \
  || fail "/metrics does not count the notifications sent: $(grep notif "$d/metrics")"
awk '$1 == "kubemend_notification_retries_total" && $2 >= 1 {ok=1} END {exit !ok}' "$d/metrics" \
  || fail "/metrics does not count the retry: $(grep notif "$d/metrics")"
awk '$1 == "kubemend_web_decisions_total{outcome=\"approved\"}" && $2 == 1 {ok=1} END {exit !ok}' "$d/metrics" \
  || fail "/metrics does not count the decision: $(grep decisions "$d/metrics")"
echo "ok: /metrics counts notifications, retries and decisions"
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true

# 5. a receiver that never answers: the cycles go on
start_sim hang --scenario "$d/s.yaml" --speed 20
start_monitor hang --listen 127.0.0.1:0 --webhook-url "$R/hang"
for _ in $(seq 1 450); do [ -n "$(reqs /hang insight.opened)" ] && break; sleep 0.2; done
[ -n "$(reqs /hang insight.opened)" ] || fail "no request reached the hanging receiver"
cycles() { curl -fsS "$URL/metrics" > "$d/metrics"; awk '$1 == "kubemend_cycles_total" {print $2}' "$d/metrics"; }
# a send that held up the loop would stall it for the 10 s webhook timeout:
# two more cycles within 8 s prove it does not (polled, for a busy machine)
c1=$(cycles)
for _ in $(seq 1 40); do
  sleep 0.2
  c2=$(cycles)
  awk -v a="$c1" -v b="$c2" 'BEGIN { exit !(b >= a + 2) }' && break
done
awk -v a="$c1" -v b="$c2" 'BEGIN { exit !(b >= a + 2) }' \
  || fail "the cycles stalled while a webhook hung: $c1 -> $c2 in 8 s"
echo "ok: cycles went on ($c1 -> $c2) while the webhook receiver hung"
