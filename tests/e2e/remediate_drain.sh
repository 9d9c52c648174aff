#!/usr/bin/env bash
# drain_node against a PodDisruptionBudget that forbids any disruption: the
# node is cordoned, other pods are evicted, the protected pod is retried on
# 429 until the drain timeout and never deleted; DaemonSet pods stay. A
# second node may not be cordoned while the first is (max_cordoned_share).
source tests/e2e/lib/remedy.sh
d=$TMPDIR_E2E/drain
mkdir -p "$d"
start_sim drain tests/fixtures/remedy/cluster.yaml 10
cartpod=$(pods_of shop cart | head -1)
node=$($K get pod -n shop "$cartpod" -o jsonpath='{.spec.nodeName}')
uid=$($K get pod -n shop "$cartpod" -o jsonpath='{.metadata.uid}')
other=$($K get nodes -o name | sed 's|node/||' | grep -vx "$node" | head -1)
$K create pdb cart -n shop --selector=app=cart --min-available=2 >/dev/null
pdb_expects() { [ "$($K get pdb -n shop cart -o jsonpath='{.status.expectedPods}')" = 2 ]; }
wait_until 60 pdb_expects || true
expect "the budget allows no disruption" "$($K get pdb -n shop cart -o jsonpath='{.status.disruptionsAllowed}')" 0
others=$($K get pods -A --field-selector spec.nodeName="$node" -o json |
  jq -r '.items[] | select(.metadata.ownerReferences[0].kind != "DaemonSet") | "\(.metadata.namespace)/\(.metadata.name)"' |
  grep -vx "shop/$cartpod" | sort || true)

drain=$(insight i-drain node "" "" "$node" 0.95 "[{\"action\":\"drain_node\",\"target\":{\"kind\":\"Node\",\"name\":\"$node\"},\"params\":{},\"rationale\":\"r\",\"risk\":\"high\"}]" '[]')
drain2=$(insight i-drain2 node "" "" "$other" 0.95 "[{\"action\":\"drain_node\",\"target\":{\"kind\":\"Node\",\"name\":\"$other\"},\"params\":{},\"rationale\":\"r\",\"risk\":\"high\"}]" '[]')
insights_file "$d/insights.json" "$drain" "$drain2"
"$KUBEMEND" remediate --auto-approve --once --insights-file "$d/insights.json" \
  --history-file "$d/history.json" --drain-timeout 4s --verify-window 1s --log-dir "$d/logs" \
  </dev/null 2>"$d/err" || { cat "$d/err"; fail "remediate failed"; }
H=$d/history.json
expect "drain failed (budget)" "$(hist_json "$H" | jq -r '.[] | select(.insight_id=="i-drain") | .status')" failed
expect "protected pod blocked" "$(hist_json "$H" | jq -r '.[] | select(.insight_id=="i-drain") | .result.blocked | join(",")')" "shop/$cartpod"
[ "$(hist_json "$H" | jq -r '.[] | select(.insight_id=="i-drain") | .result.eviction_rounds')" -ge 2 ] || fail "no retry after 429"
echo "ok: retried while the budget forbade it"
expect "protected pod still there" "$($K get pod -n shop "$cartpod" -o jsonpath='{.metadata.uid}')" "$uid"
expect "node cordoned" "$($K get node "$node" -o jsonpath='{.spec.unschedulable}')" true
for p in $others; do
  ns=${p%%/*} name=${p#*/}
  $K get pod -n "$ns" "$name" >/dev/null 2>&1 && fail "$p was not evicted"
  hist_json "$H" | jq -e --arg p "$p" '.[] | select(.insight_id=="i-drain") | .result.evicted | index($p)' >/dev/null ||
    fail "$p not recorded as evicted"
done
echo "ok: the other pods were evicted ($(echo $others | wc -w))"
[ "$($K get pods -n kube-system --field-selector spec.nodeName="$node" -o json | jq '[.items[] | select(.metadata.ownerReferences[0].kind == "DaemonSet")] | length')" = 1 ] ||
  fail "the DaemonSet pod left the node"
echo "ok: DaemonSet pod stays"
expect "second cordon refused" "$(hist_json "$H" | jq -r '.[] | select(.insight_id=="i-drain2" and .action != "none") | "\(.status) \(.result.rule)"')" "refused max_cordoned_share"
expect "second node schedulable" "$($K get node "$other" -o jsonpath='{.spec.unschedulable}')" ""
echo "all remediate drain checks passed"
