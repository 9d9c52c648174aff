#!/usr/bin/env bash
# The expert fix per fault, end to end (issue 12), with the sim's audit log
# as the witness of every write kubemend made:
#   - memory limit too low -> the limit (and a Guaranteed request) raised by
#     the VPA's rule, verified by no OOM kills and headroom;
#   - CPU throttling -> the CPU limit raised to the demand x 1.2 (in steps the
#     policy allows), verified by the throttled share of CFS periods;
#   - network errors on one pod -> that pod evicted (Eviction API), nothing else;
#   - a healthy workload beside them is never written to.
source "$(dirname "$0")/lib/collect.sh"
need_sim

d=$TMPDIR_E2E/recipes
mkdir -p "$d/conf"
printf 'verify_window: 8s\n' > "$d/conf/agent_config.yaml"
cat > "$d/s.yaml" <<'YAML'
seed: 21
nodes: 3
workloads:
  - namespace: shop
    deployment: web
    replicas: 2
    requests: {cpu: 100m, memory: 128Mi}
    limits: {cpu: 500m, memory: 128Mi}
    usage: {cpu: 100m, memory: 100Mi, rx: 100Ki, tx: 100Ki}
  - namespace: shop
    deployment: api
    replicas: 3
    requests: {cpu: 400m, memory: 128Mi}
    limits: {cpu: 400m, memory: 256Mi}
    usage: {cpu: 200m, memory: 100Mi, rx: 100Ki, tx: 100Ki}
  - namespace: shop
    deployment: cart
    replicas: 3
    limits: {cpu: 500m, memory: 256Mi}
    usage: {cpu: 100m, memory: 120Mi, rx: 200Ki, tx: 200Ki}
  - namespace: shop
    deployment: static
    replicas: 2
    limits: {cpu: 500m, memory: 256Mi}
    usage: {cpu: 50m, memory: 60Mi, rx: 50Ki, tx: 50Ki}
faults:
  - type: oom_limit_too_low
    at: 1m
    target: shop/web
    params: {limit: 96Mi}
  - type: cpu_throttling
    at: 1m
    target: shop/api
    params: {factor: 5}
  - type: network_errors
    at: 1m
    target: shop/cart
    pods: 1
YAML
start_sim recipes --scenario "$d/s.yaml" --speed 20 --truth-out "$d/truth.json" --audit-log "$d/audit.jsonl"
"$KUBEMEND" monitor --kubeconfig "$KC" -A --interval 1s --duration 90 --remediate --auto-approve \
  --output-file "$d/m.csv" --insights-file "$d/i.json" --history-file "$d/h.json" \
  --listen off --log-dir "$d" --config-dir "$d/conf" --quiet </dev/null 2>"$d/err" || fail "monitor exited $?"

cured() { jq -r --arg t "$1" '.[] | select(.type == $t) | .ended_by' "$d/truth.json"; }
[ "$(cured oom_limit_too_low)" = change_limits ] || fail "OOM not cured: $(cat "$d/truth.json")"
[ "$(cured cpu_throttling)" = change_limits ] || fail "throttling not cured by a CPU limit: $(cat "$d/truth.json")"
[ "$(cured network_errors)" = evict ] || fail "network errors not cured by an eviction: $(cat "$d/truth.json")"
echo "ok: the sim's truth: each fault cured by its own fix"

# every write kubemend made, from the audit log
jq -c 'select(.userAgent | startswith("kubemend")) | select(.verb | test("^(create|update|patch|delete|deletecollection)$"))
       | [.verb, .objectRef.resource, (.objectRef.subresource // ""), .objectRef.name, .responseStatus.code]' \
  "$d/audit.jsonl" >"$d/writes"
cat "$d/writes"
noisy=$(jq -r '.[] | select(.type == "network_errors") | .pods[0]' "$d/truth.json")
grep -v -e '\["patch","deployments","","web",200\]' -e '\["patch","deployments","","api",200\]' \
  -e "\[\"create\",\"pods\",\"eviction\",\"$noisy\",201\]" "$d/writes" >"$d/other" || true
[ ! -s "$d/other" ] || fail "writes beyond the three fixes: $(cat "$d/other")"
[ "$(grep -c '"eviction"' "$d/writes")" = 1 ] || fail "not exactly one eviction"
grep -q '"delete","pods"' "$d/writes" && fail "a pod was deleted, not evicted"
n=$(grep -c '"web"' "$d/writes"); [ "$n" -ge 1 ] && [ "$n" -le 3 ] || fail "$n patches of web"
n=$(grep -c '"api"' "$d/writes"); [ "$n" -ge 1 ] && [ "$n" -le 3 ] || fail "$n patches of api"
grep -q '"static"' "$d/writes" && fail "the healthy workload was written to"
echo "ok: the audit log shows only the fixes ($(wc -l <"$d/writes") writes), none to the healthy workload"

# the changes are the expert ones
lim() { kubectl --kubeconfig "$KC" get deploy -n shop "$1" -o jsonpath="{.spec.template.spec.containers[0].resources.$2}"; }
[ "$(lim api requests.cpu)" = "$(lim api limits.cpu)" ] || fail "api was Guaranteed and is not any more"
# VPA's OOM rule, peak + 100Mi, from the 96Mi it was killed at or the higher
# working set the workload's pods of the revision before showed (at most its
# 128Mi limit): a goal of 196Mi to 228Mi, beyond max_limit_factor 2: the
# allowed step 192Mi first, the goal kept in the record
hist_json "$d/h.json" | jq -e '[.[] | select(.target.name == "web" and .action == "change_limits")][0] |
       (.params.description | test("memory limit 96Mi → 192Mi")) and .params.goal.memory_limit_after >= 205520896
       and .params.goal.memory_limit_after <= 239075328' \
  >/dev/null || fail "the OOM target is not max(peak + 100Mi, peak x 1.2), stepped: $(hist_json "$d/h.json" | jq -c '[.[] | .params]')"
hist_json "$d/h.json" | jq -e 'any(.[]; .target.name == "api" and .verification.cpu_throttled_pct != null)' >/dev/null \
  || fail "throttling was not verified by its own signal"
echo "ok: web 96Mi → $(lim web limits.memory), api CPU → $(lim api limits.cpu) (Guaranteed kept)"
