#!/usr/bin/env bash
# A node fault (NotReady, memory pressure): cordon, then drain (issue 12).
# The cordon is the least invasive rung; while the insight stays open, the
# next pass drains the node it cordoned, as one plan (no cooldown between,
# and the node is counted once by max_cordoned_share), and verification
# sees the node empty but for DaemonSet pods.
source tests/e2e/lib/remedy.sh
d=$TMPDIR_E2E/cordon-drain
mkdir -p "$d"
start_sim cd tests/fixtures/remedy/cluster.yaml 10
node=$($K get pod -n shop "$(pods_of shop cart | head -1)" -o jsonpath='{.spec.nodeName}')
recs="[{\"action\":\"cordon_node\",\"target\":{\"kind\":\"Node\",\"name\":\"$node\"},\"params\":{},\"rationale\":\"r\",\"risk\":\"low\"},
       {\"action\":\"drain_node\",\"target\":{\"kind\":\"Node\",\"name\":\"$node\"},\"params\":{},\"rationale\":\"r\",\"risk\":\"high\"}]"
insights_file "$d/insights.json" "$(insight i-node node "" "" "$node" 0.95 "$recs" '[]')"
H=$d/history.json
pass() {
  "$KUBEMEND" remediate --auto-approve --once --insights-file "$d/insights.json" --history-file "$H" \
    --drain-timeout 20s --verify-window 2s --log-dir "$d/logs" </dev/null 2>>"$d/err" || { cat "$d/err"; fail "remediate failed"; }
}
pass
expect "first the cordon" "$(hist_json "$H" | jq -c '[.[] | [.action, .status]]')" '[["cordon_node","succeeded"]]'
pass
expect "then the drain of the node it cordoned" "$(hist_json "$H" | jq -c '[.[] | [.action, .status]]')" \
  '[["cordon_node","succeeded"],["drain_node","succeeded"]]'
left=$($K get pods -A --field-selector spec.nodeName="$node" -o json |
  jq '[.items[] | select(.metadata.ownerReferences[0].kind != "DaemonSet")] | length')
expect "the node holds no workload pods" "$left" 0
pass
expect "nothing more once drained" "$(hist_json "$H" | jq length)" 2
echo "all cordon-then-drain checks passed"
