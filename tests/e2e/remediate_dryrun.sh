#!/usr/bin/env bash
# --dry-run sends every action with dryRun=All: the API server validates
# it, nothing changes (every object's resourceVersion stays the same, on a
# frozen clock), and the history records each as dry_run. Over HTTPS, with
# the sim's CA, token and client certificate.
source tests/e2e/lib/remedy.sh
d=$TMPDIR_E2E/dryrun
mkdir -p "$d"
start_sim dry tests/fixtures/remedy/cluster.yaml 0 --tls   # and over HTTPS
MI=1048576
webpod=$(pods_of shop web | head -1)
node=$($K get pod -n shop "$webpod" -o jsonpath='{.spec.nodeName}')
other=$($K get nodes -o name | sed 's|node/||' | grep -vx "$node" | head -1)
web=$(insight i-web oom shop web "" 0.95 "[{\"action\":\"change_limits\",\"target\":{\"kind\":\"Deployment\",\"name\":\"shop/web\"},\"params\":{\"memory_limit_before\":$((128*MI)),\"memory_limit_after\":$((256*MI))},\"rationale\":\"r\",\"risk\":\"medium\"}]")
pod=$(insight i-pod network shop web "" 0.95 "[{\"action\":\"restart_pod\",\"target\":{\"kind\":\"Pod\",\"name\":\"shop/$webpod\"},\"params\":{},\"rationale\":\"r\",\"risk\":\"low\"}]" "[\"$webpod\"]")
scale=$(insight i-scale cpu_saturation pay api "" 0.95 '[{"action":"scale_deployment","target":{"kind":"Deployment","name":"pay/api"},"params":{"replicas_before":2,"replicas_after":3},"rationale":"r","risk":"low"}]')
cordon=$(insight i-cordon node "" "" "$other" 0.95 "[{\"action\":\"cordon_node\",\"target\":{\"kind\":\"Node\",\"name\":\"$other\"},\"params\":{},\"rationale\":\"r\",\"risk\":\"low\"}]" '[]')
drain=$(insight i-drain node "" "" "$node" 0.95 "[{\"action\":\"drain_node\",\"target\":{\"kind\":\"Node\",\"name\":\"$node\"},\"params\":{},\"rationale\":\"r\",\"risk\":\"high\"}]" '[]')
# the API server still validates: a limit below the request is a 422
bad=$(insight i-bad oom shop web "" 0.95 "[{\"action\":\"change_limits\",\"target\":{\"kind\":\"Deployment\",\"name\":\"shop/web\"},\"params\":{\"memory_limit_before\":$((128*MI)),\"memory_limit_after\":$((120*MI))},\"rationale\":\"r\",\"risk\":\"medium\"}]")
insights_file "$d/insights.json" "$web" "$pod" "$scale" "$cordon" "$drain" "$bad"

rvs shop pay kube-system | sort >"$d/before"
"$KUBEMEND" remediate --dry-run --auto-approve --once --insights-file "$d/insights.json" \
  --history-file "$d/history.json" --verify-window 1s --log-dir "$d/logs" </dev/null 2>"$d/err" ||
  { cat "$d/err"; fail "dry run failed"; }
rvs shop pay kube-system | sort >"$d/after"
diff "$d/before" "$d/after" || fail "the dry run changed something"
echo "ok: every resourceVersion unchanged"
H=$d/history.json
expect "six records" "$(hist_json "$H" | jq length)" 6
expect "invalid change refused by the server" "$(hist_json "$H" | jq -r '.[] | select(.insight_id=="i-bad") | "\(.status) \(.result.http_status)"')" "failed 422"
expect "the others dry_run" "$(hist_json "$H" | jq -r '[.[] | select(.insight_id!="i-bad") | "\(.mode) \(.status)"] | unique | join(",")')" "dry_run dry_run"
expect "each sent with dryRun" "$(hist_json "$H" | jq '[.[] | select(.result.dry_run == true)] | length')" 6
expect "drain would evict" "$(hist_json "$H" | jq -r '.[] | select(.action=="drain_node") | (.result.evicted | length) > 0')" true
$K get deploy -n shop web -o jsonpath='{.spec.template.spec.containers[0].resources.limits.memory}' | grep -qx 128Mi || fail "limit changed"
$K get node "$node" -o jsonpath='{.spec.unschedulable}' | grep -q true && fail "node cordoned"
echo "all remediate dry-run checks passed"
