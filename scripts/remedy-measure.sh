#!/usr/bin/env bash
# Measures remediation on a scenario (issue 12): runs `kubemend sim` with
# its truth file and audit log, and `kubemend monitor --remediate
# --auto-approve` against it for a while, then prints
#   faults cured / faults (the sim's truth: ended by a remediation, not by
#   its duration), time to cure (virtual seconds from the fault's start),
#   writes kubemend made to objects no fault touched (must be 0, from the
#   audit log), refusals by rule, needs_person records.
# usage: scripts/remedy-measure.sh SCENARIO SECONDS [SPEED] [OUTDIR]
set -euo pipefail
scen=$1 secs=$2 speed=${3:-20} out=${4:-$(mktemp -d /tmp/kubemend-measure.XXXXXX)}
K=${KUBEMEND:-bin/kubemend}
mkdir -p "$out/conf"
printf 'verify_window: %s\napproval_timeout: 5s\n' "${VERIFY_WINDOW:-20s}" >"$out/conf/agent_config.yaml"
rm -f "$out/kc" "$out/audit.jsonl"
"$K" sim --listen 127.0.0.1:0 --kubeconfig-out "$out/kc" --scenario "$scen" --speed "$speed" \
  --truth-out "$out/truth.json" --audit-log "$out/audit.jsonl" >"$out/sim.log" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null; wait $sim 2>/dev/null || true' EXIT
for _ in $(seq 300); do [ -s "$out/kc" ] && break; sleep 0.1; done
"$K" monitor --kubeconfig "$out/kc" -A --interval 1s --duration "$secs" --remediate --auto-approve \
  --output-file "$out/m.csv" --insights-file "$out/i.json" --history-file "$out/h.json" \
  --listen off --log-dir "$out" --config-dir "$out/conf" --quiet </dev/null 2>"$out/monitor.err" || true
"$K" history --json --history-file "$out/h.json" >"$out/hist.json" 2>/dev/null || echo '[]' >"$out/hist.json"
faults=$(jq length "$out/truth.json")
cured=$(jq '[.[] | select(.ended_by != null and .ended_by != "duration")] | length' "$out/truth.json")
echo "scenario: $scen ($secs s at ${speed}x)"
echo "faults cured / faults: $cured / $faults"
jq -r '.[] | "  \(.type) \(.namespace // "")/\(.deployment // .node // "") -> " +
       (if .ended_by != null and .ended_by != "duration" then "cured by \(.ended_by) in \((((.end | fromdate) - (.start | fromdate))) ) s (virtual)"
        elif .ended_by == "duration" then "ended by its duration" else "not cured" end)' "$out/truth.json"
# writes by kubemend to objects that no fault is about
jq -r '.[] | (.namespace // "-") + "|" + (.deployment // "-") + "|" + (.node // "")' "$out/truth.json" >"$out/faulty.txt"
jq -c 'select(.userAgent | startswith("kubemend")) | select(.verb | test("^(create|update|patch|delete)$"))
       | select(.annotations["kubemend.io/dry-run"] == null)
       | {v: .verb, r: .objectRef.resource, s: (.objectRef.subresource // ""), ns: (.objectRef.namespace // ""), n: .objectRef.name, c: .responseStatus.code}' \
  "$out/audit.jsonl" >"$out/writes.jsonl" || true
healthy=0
while read -r w; do
  ns=$(jq -r .ns <<<"$w"); n=$(jq -r .n <<<"$w"); r=$(jq -r .r <<<"$w")
  hit=0
  while IFS='|' read -r fns fdep fnode; do
    if [ "$r" = nodes ] && [ -n "${fnode:-}" ] && [ "$n" = "$fnode" ]; then hit=1; fi
    if [ -z "${fnode:-}" ] && [ "$ns" = "$fns" ] && { [ "$n" = "$fdep" ] || [[ "$n" == "$fdep"-* ]]; }; then hit=1; fi
    # a drain evicts the pods of the node it is about
    if [ "$r" = pods ] && [ -n "${fnode:-}" ]; then
      jq -e --arg ns "$ns" --arg n "$n" --arg node "$fnode" '.[] | select(.action == "drain_node" and .target.name == $node) | .result.evicted | index($ns + "/" + $n)' "$out/hist.json" >/dev/null 2>&1 && hit=1
    fi
  done <"$out/faulty.txt"
  [ $hit = 1 ] || { healthy=$((healthy + 1)); echo "  write to a healthy target: $w"; }
done <"$out/writes.jsonl"
echo "writes by kubemend: $(wc -l <"$out/writes.jsonl"), to healthy targets: $healthy"
echo "refusals by rule:"
jq -r '[.[] | select(.status == "refused") | .result.rule // .result.answer] | group_by(.) | map("  \(.[0]): \(length)") | .[]' "$out/hist.json" 2>/dev/null || true
echo "needs_person records: $(jq '[.[] | select(.status == "needs_person")] | length' "$out/hist.json" 2>/dev/null || echo 0)"
jq -r '.[] | select(.status == "needs_person") | "  \(.target.namespace // "")/\(.target.name): \(.result.message)"' "$out/hist.json" 2>/dev/null | cut -c1-220 || true
echo "records: $(jq length "$out/hist.json" 2>/dev/null || echo 0) (out: $out)"
