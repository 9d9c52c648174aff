#!/usr/bin/env bash
# A HorizontalPodAutoscaler owns the replicas (issue 12): kubemend never
# scales such a Deployment itself. At its maxReplicas under a load spike, it
# proposes the HPA's maxReplicas instead (raise_hpa_max, a merge PATCH of the
# HPA), and the sim's HPA controller scales; with room below its maximum it
# leaves the HPA to it and says so. An LLM may name raise_hpa_max, never its
# numbers. The audit log shows no write to the Deployments' scale.
source tests/e2e/lib/remedy.sh
d=$TMPDIR_E2E/hpa
mkdir -p "$d"
cat > "$d/s.yaml" <<'YAML'
seed: 12
nodes: 3
workloads:
  - {namespace: web, deployment: api, replicas: 2, requests: {cpu: 200m, memory: 128Mi}, usage: {cpu: 120m, memory: 100Mi}, hpa: {min_replicas: 2, max_replicas: 3, cpu_utilization: 70}}
  - {namespace: web, deployment: search, replicas: 2, requests: {cpu: 200m, memory: 128Mi}, usage: {cpu: 120m, memory: 100Mi}, hpa: {min_replicas: 2, max_replicas: 20, cpu_utilization: 70}}
  - {namespace: web, deployment: plain, replicas: 2, requests: {cpu: 200m, memory: 128Mi}, usage: {cpu: 120m, memory: 100Mi}}
faults:
  - {type: cpu_spike, at: 10s, target: web/api, params: {factor: 4}}
YAML
start_sim hpa "$d/s.yaml" 30 --audit-log "$d/audit.jsonl"
at_max=
for _ in $(seq 1 300); do
  at_max=$($K get hpa api -n web -o json 2>/dev/null | jq -r 'select(.status.desiredReplicas == .spec.maxReplicas) |
    .status.conditions[] | select(.type == "ScalingLimited" and .status == "True") | .reason')
  [ -n "$at_max" ] && break; sleep 0.2
done
expect "the HPA is at its maximum" "$at_max" TooManyReplicas
[ "$($K get deploy api -n web -o jsonpath='{.spec.replicas}')" = 3 ] || fail "the HPA did not scale api to 3"
# An LLM may name raise_hpa_max for the incident's Deployment, never its
# numbers: the HPA and the new maximum come from the cluster (a dry run, so
# the real pass below starts from the same HPA)
llm='[{"action":"raise_hpa_max","target":{"kind":"Deployment","name":"web/api"},"params":{"source":"llm","replicas_after":1000,"max_replicas":1000},"rationale":"suggested by the LLM explanation","risk":"low"}]'
insights_file "$d/llm.json" "$(insight i-llm cpu_saturation web api "" 0.95 "$llm")" \
  "$(insight i-plain cpu_saturation web plain "" 0.95 "${llm//web\/api/web/plain}")"
"$KUBEMEND" remediate --dry-run --auto-approve --once --insights-file "$d/llm.json" --history-file "$d/llm-h.json" \
  --verify-window 1s --log-dir "$d/logs" </dev/null 2>"$d/err" || { cat "$d/err"; fail "remediate (LLM) failed"; }
rec=$(hist_json "$d/llm-h.json" | jq -c '.[] | select(.insight_id == "i-llm")' | tail -1)
echo "$rec" | jq -e '.action == "raise_hpa_max" and .target.kind == "HorizontalPodAutoscaler" and .target.name == "api"
  and .params.replicas_before == 3 and .params.replicas_after > 3 and .params.replicas_after < 20 and .params.goal == null
  and .status == "dry_run"' \
  >/dev/null || fail "the LLM's raise_hpa_max is not the HPA's own numbers: $rec"
rec=$(hist_json "$d/llm-h.json" | jq -c '.[] | select(.insight_id == "i-plain")' | tail -1)
echo "$rec" | jq -e '.status == "needs_person" and (.result.message | test("no horizontalpodautoscaler owns deployment web/plain"))' \
  >/dev/null || fail "raise_hpa_max without an HPA: $rec"
echo "ok: an LLM's raise_hpa_max: $(hist_json "$d/llm-h.json" | jq -r '.[] | select(.insight_id == "i-llm") | .params.description')"
insights_file "$d/i.json" "$(insight i-api cpu_saturation web api "" 0.95 '[]')" \
  "$(insight i-search cpu_saturation web search "" 0.95 '[]')"
H=$d/h.json
"$KUBEMEND" remediate --auto-approve --once --insights-file "$d/i.json" --history-file "$H" \
  --verify-window 10s --log-dir "$d/logs" </dev/null 2>"$d/err" || { cat "$d/err"; fail "remediate failed"; }
rec=$(hist_json "$H" | jq -c '.[] | select(.insight_id == "i-api")' | tail -1)
expect "the action on api" "$(echo "$rec" | jq -r .action)" raise_hpa_max
expect "its target" "$(echo "$rec" | jq -r '.target.kind + " " + .target.name')" "HorizontalPodAutoscaler api"
echo "$rec" | jq -e '.params.replicas_before == 3 and .params.replicas_after > 3 and .params.field == "spec.maxReplicas"' \
  >/dev/null || fail "not a raise of maxReplicas from 3: $rec"
# verified by the HPA's own rule: at the new maximum it must not ask for more
# (beyond its tolerance); when it does, the next pass raises it again
if [ "$(echo "$rec" | jq -r .status)" = failed ]; then
  echo "$rec" | jq -e '.verification.detail | test("its own rule asks for [0-9]+: the load needs more")' >/dev/null \
    || fail "a raise failed for another reason: $rec"
  first=$(echo "$rec" | jq -r .params.replicas_after)
  "$KUBEMEND" remediate --auto-approve --once --insights-file "$d/i.json" --history-file "$H" \
    --verify-window 10s --log-dir "$d/logs" </dev/null 2>>"$d/err" || { cat "$d/err"; fail "remediate (2) failed"; }
  rec=$(hist_json "$H" | jq -c '.[] | select(.insight_id == "i-api" and .action == "raise_hpa_max")' | tail -1)
  echo "$rec" | jq -e --argjson f "$first" '.params.replicas_before == $f and .params.replicas_after > $f' >/dev/null \
    || fail "no further raise after the HPA asked for more: $rec"
  echo "ok: the HPA asked for more at $first: raised again ($(echo "$rec" | jq -r .params.description))"
fi
expect "verified" "$(echo "$rec" | jq -r .status)" succeeded
max=$(echo "$rec" | jq -r .params.replicas_after)
expect "the HPA's maxReplicas" "$($K get hpa api -n web -o jsonpath='{.spec.maxReplicas}')" "$max"
echo "ok: $(echo "$rec" | jq -r .params.description)"
rec=$(hist_json "$H" | jq -c '.[] | select(.insight_id == "i-search")' | tail -1)
expect "search is left to its HPA" "$(echo "$rec" | jq -r .status)" needs_person
echo "$rec" | jq -e '.result.message | test("horizontalpodautoscaler search owns its replicas .* does not fight it")' \
  >/dev/null || fail "the record does not say the HPA owns search: $rec"
echo "ok: search: $(echo "$rec" | jq -r .result.message | cut -c1-140)"
sleep 0.5 # the sim writes its audit log as it goes
if grep '"userAgent":"kubemend' "$d/audit.jsonl" | grep '"verb":"patch"' | grep -q '"subresource":"scale"'; then
  fail "kubemend wrote a Deployment's scale"
fi
grep '"userAgent":"kubemend' "$d/audit.jsonl" | grep '"verb":"patch"' |
  grep -q '"resource":"horizontalpodautoscalers","namespace":"web","name":"api"' || fail "no PATCH of the HPA in the audit log"
echo "ok: the HPA was patched, no Deployment was scaled"
