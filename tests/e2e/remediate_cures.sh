#!/usr/bin/env bash
# One closed loop per remedy on the sim: crash_loop on every pod of a
# Deployment → restart_pod evicts one pod only (never the whole Deployment)
# and verification says the crash loop goes on; network errors → the pod is
# evicted; a CPU spike → scale_deployment; a NotReady node → drain_node.
# Each time the sim's truth file records the cure, and the history the action.
# Restarting the wrong pod leaves the errors going: verification fails.
source tests/e2e/lib/remedy.sh
d=$TMPDIR_E2E/cures
mkdir -p "$d"
start_sim cures tests/fixtures/remedy/cures.yaml 30
truth_has() { [ "$(jq length "$TRUTH" 2>/dev/null || echo 0)" = "$1" ]; }
wait_until 60 truth_has 5 || true
expect "five faults on" "$(jq length "$TRUTH")" 5
webpods=$(pods_of shop web | jq -R . | jq -sc .)
# the pod named is one the drain of node-1 leaves alone (the seed places one there)
web0=$($K get pods -n shop -o json | jq -r '.items[] | select(.metadata.name | startswith("web-")) | select(.spec.nodeName != "node-1") | .metadata.name' | head -1)
[ -n "$web0" ] || fail "every web pod is on node-1"
noisy=$(jq -r '.[] | select(.type=="network_errors" and .deployment=="cart") | .pods[0]' "$TRUTH")
# a restart of the wrong pod: the errors go on and verification says so
bad=$(jq -r '.[] | select(.type=="network_errors" and .deployment=="search") | .pods[0]' "$TRUTH")
good=$(pods_of shop search | grep -vx "$bad" | head -1)
search=$(insight i-search network shop search "" 0.9 "[{\"action\":\"restart_pod\",\"target\":{\"kind\":\"Pod\",\"name\":\"shop/$good\"},\"params\":{},\"rationale\":\"r\",\"risk\":\"low\"}]" "[\"$bad\",\"$good\"]")
web=$(insight i-web crash_loop shop web "" 0.95 "[{\"action\":\"restart_pod\",\"target\":{\"kind\":\"Pod\",\"name\":\"shop/$web0\"},\"params\":{},\"rationale\":\"r\",\"risk\":\"low\"}]" "$webpods")
cart=$(insight i-cart network shop cart "" 0.9 "[{\"action\":\"restart_pod\",\"target\":{\"kind\":\"Pod\",\"name\":\"shop/$noisy\"},\"params\":{},\"rationale\":\"r\",\"risk\":\"low\"}]" "[\"$noisy\"]")
api=$(insight i-api cpu_saturation pay api "" 0.9 '[{"action":"scale_deployment","target":{"kind":"Deployment","name":"pay/api"},"params":{"replicas_before":2,"replicas_after":3},"rationale":"r","risk":"low"}]')
node=$(insight i-node node "" "" node-1 0.95 '[{"action":"drain_node","target":{"kind":"Node","name":"node-1"},"params":{},"rationale":"r","risk":"high"}]' '[]')
on3=$($K get pods -A --field-selector spec.nodeName=node-1 -o json | jq '[.items[] | select(.metadata.ownerReferences[0].kind != "DaemonSet")] | length')
# the node early: its pods are still there to evict (after 300 virtual
# seconds NotReady the sim's node controller would move them itself); the
# faulty search pod is not on node-1 (seed 11), so its errors keep counting
insights_file "$d/insights.json" "$search" "$node" "$web" "$cart" "$api"
H=$d/history.json
"$KUBEMEND" remediate --auto-approve --once --insights-file "$d/insights.json" --history-file "$H" \
  --verify-window 8s --drain-timeout 20s --log-dir "$d/logs" </dev/null 2>"$d/err" ||
  { cat "$d/err"; fail "remediate failed"; }
expect "crash loop: one pod evicted, not a rollout" "$(hist_json "$H" | jq -r '.[] | select(.insight_id=="i-web" and .action != "none") | .result.operation')" evict_pod
expect "crash loop: an eviction does not cure it" "$(jq -r '.[] | select(.type=="crash_loop") | .ended_by' "$TRUTH")" null
expect "crash loop: verification says so" "$(hist_json "$H" | jq -r '.[] | select(.insight_id=="i-web" and .action != "none") | .status')" failed
expect "network: pod evicted" "$(hist_json "$H" | jq -r '.[] | select(.insight_id=="i-cart") | .result.operation')" evict_pod
expect "network errors cured" "$(jq -r '.[] | select(.type=="network_errors" and .deployment=="cart") | .ended_by' "$TRUTH")" evict
hist_json "$H" | jq -r '.[] | select(.insight_id=="i-cart") | .verification.detail' | grep -q "or network errors" || fail "network counters not read"
expect "wrong pod restarted: verification fails" "$(hist_json "$H" | jq -r '.[] | select(.insight_id=="i-search") | .status')" failed
hist_json "$H" | jq -r '.[] | select(.insight_id=="i-search") | .verification.detail' | grep -q "network errors continue" || fail "verification detail"
expect "scaled" "$($K get deploy -n pay api -o jsonpath='{.spec.replicas}')" 3
expect "cpu spike cured" "$(jq -r '.[] | select(.type=="cpu_spike") | .ended_by' "$TRUTH")" scale_deployment
expect "scale verified" "$(hist_json "$H" | jq -r '.[] | select(.insight_id=="i-api") | .status')" succeeded
expect "node drained" "$(hist_json "$H" | jq -r '.[] | select(.insight_id=="i-node") | .status')" succeeded
[ "$on3" -gt 0 ] && { [ "$(hist_json "$H" | jq -r '.[] | select(.insight_id=="i-node") | .result.evicted | length')" -gt 0 ] || fail "drain evicted nothing"; }
echo "ok: drain evicted the node's pods ($on3)"
expect "node fault cured" "$(jq -r '.[] | select(.type=="node_not_ready") | .ended_by' "$TRUTH")" drain
echo "all remediate cure checks passed"
