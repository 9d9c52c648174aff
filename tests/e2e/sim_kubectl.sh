#!/usr/bin/env bash
# The real kubectl against `kubemend sim`, over HTTP and over HTTPS with a
# client certificate: reads (JSON and tables), top, scale with and without
# server-side dry run, pod replacement, watch, set resources, cordon,
# PodDisruptionBudgets and drain, and a wrong token refused.
set -euo pipefail
source "$(dirname "$0")/lib/wait.sh"
: "${KUBEMEND:?}" "${TMPDIR_E2E:?}"
command -v kubectl >/dev/null || { echo "kubectl not installed"; exit 1; }

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
expect() { # expect DESCRIPTION ACTUAL EXPECTED
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
	echo "ok: $1"
}
contains() { # contains DESCRIPTION HAYSTACK NEEDLE
	grep -q -- "$3" <<<"$2" || fail "$1: '$3' not in: $(head -c 600 <<<"$2")"
	echo "ok: $1"
}

start_sim() { # start_sim DIR [flags...]
	local dir=$1; shift
	mkdir -p "$dir"
	"$KUBEMEND" sim --listen 127.0.0.1:0 --kubeconfig-out "$dir/kc" "$@" >"$dir/sim.log" 2>&1 &
	pids+=($!)
	wait_file "$dir/kc" 120 && return 0
	cat "$dir/sim.log"; fail "sim did not write its kubeconfig"
}

suite() { # suite NAME [sim flags...]
	local name=$1; shift
	local dir=$TMPDIR_E2E/$name
	start_sim "$dir" --nodes 4 --pods 20 --seed 7 "$@"
	export KUBECONFIG=$dir/kc
	local K="kubectl --cache-dir $dir/cache --request-timeout=20s"
	echo "== $name"

	# reads, JSON and tables
	$K api-resources >"$dir/api-resources.txt" || fail "kubectl api-resources failed"
	contains "api-resources" "$(cat "$dir/api-resources.txt")" "poddisruptionbudgets *pdb *policy/v1"
	expect "nodes as JSON" "$($K get nodes -o json | jq '.items | length')" 4
	contains "nodes table" "$($K get nodes)" "node-3 .*Ready .*worker"
	local npods
	npods=$($K get pods -A -o json | jq '[.items[] | select(.metadata.ownerReferences[0].kind=="ReplicaSet")] | length')
	expect "deployment pods" "$npods" 20
	expect "daemonset pods, one per node" \
		"$($K get pods -n kube-system -o json | jq '[.items[].spec.nodeName] | unique | length')" 4
	contains "pods table" "$($K get pods -A)" "Running"
	local ns dep
	ns=$($K get deploy -A -o json | jq -r '.items[0].metadata.namespace')
	dep=$($K get deploy -A -o json | jq -r '.items[0].metadata.name')
	contains "deployments table" "$($K get deploy -n "$ns")" "^$dep "
	contains "field selector" "$($K get pods -A --field-selector spec.nodeName=node-1 -o json | jq -r '[.items[].spec.nodeName] | unique | .[]')" "^node-1$"
	contains "label selector" "$($K get pods -n "$ns" -l app="$dep" -o name)" "pod/$dep-"
	expect "paging (limit 3 chunks)" "$($K get pods -A --chunk-size=3 -o json | jq '.items | length')" 24

	# metrics
	contains "top pods" "$($K top pods -A)" "MEMORY(bytes)"
	contains "top nodes" "$($K top nodes)" "node-0 "
	local kb
	kb=$($K get --raw /api/v1/nodes/node-0/proxy/stats/summary | jq '.pods | length')
	[ "$kb" -gt 0 ] || fail "summary has no pods"
	echo "ok: kubelet summary ($kb pods)"

	# scale: dry run changes nothing, then for real
	local rv0 rv1 rep
	rep=$($K get deploy "$dep" -n "$ns" -o jsonpath='{.spec.replicas}')
	rv0=$($K get deploy "$dep" -n "$ns" -o jsonpath='{.metadata.resourceVersion}')
	contains "scale dry run" "$($K scale deploy/"$dep" -n "$ns" --replicas=$((rep + 2)) --dry-run=server)" "server dry run"
	rv1=$($K get deploy "$dep" -n "$ns" -o jsonpath='{.metadata.resourceVersion}')
	expect "dry run kept resourceVersion" "$rv1" "$rv0"
	expect "dry run kept replicas" "$($K get deploy "$dep" -n "$ns" -o jsonpath='{.spec.replicas}')" "$rep"
	$K scale deploy/"$dep" -n "$ns" --replicas=$((rep + 2)) >/dev/null
	expect "scaled pods" "$($K get pods -n "$ns" -l app="$dep" -o json | jq '.items | length')" $((rep + 2))
	$K rollout status deploy/"$dep" -n "$ns" --timeout=30s >/dev/null

	# delete a pod: the ReplicaSet replaces it, and a watch sees both
	local victim
	victim=$($K get pods -n "$ns" -l app="$dep" -o jsonpath='{.items[0].metadata.name}')
	$K get pods -n "$ns" -w --output-watch-events >"$dir/watch.out" 2>&1 &
	local wpid=$!
	pids+=($wpid)
	# the watch is up once it has listed the pods; it has seen what it needs once the deletion is in
	wait_until 60 grep -q "$victim" "$dir/watch.out" || true
	$K delete pod -n "$ns" "$victim" >/dev/null
	wait_until 60 grep -q "DELETED .*$victim" "$dir/watch.out" || true
	kill $wpid
	local now
	replaced() { now=$($K get pods -n "$ns" -l app="$dep" -o jsonpath='{.items[*].metadata.name}') &&
		! grep -q "$victim" <<<"$now" && [ "$(wc -w <<<"$now" | tr -d ' ')" = $((rep + 2)) ]; }
	wait_until 60 replaced || true
	now=$($K get pods -n "$ns" -l app="$dep" -o jsonpath='{.items[*].metadata.name}')
	grep -q "$victim" <<<"$now" && fail "deleted pod still listed"
	expect "replaced pod count" "$(wc -w <<<"$now" | tr -d ' ')" $((rep + 2))
	contains "watch saw the deletion" "$(cat "$dir/watch.out")" "DELETED .*$victim"
	contains "watch saw the replacement" "$(cat "$dir/watch.out")" "ADDED .*$dep-"
	contains "events" "$($K get events -n "$ns")" "SuccessfulCreate"
	expect "events as JSON" "$($K get events -n "$ns" -o json | jq '[.items[] | select(.reason=="Killing")] | length > 0')" true

	# set resources: a rollout whose pods carry the new limit
	$K set resources deploy/"$dep" -n "$ns" --limits=memory=512Mi >/dev/null
	$K rollout status deploy/"$dep" -n "$ns" --timeout=30s >/dev/null
	expect "new pods carry the limit" \
		"$($K get pods -n "$ns" -l app="$dep" -o json | jq -r '[.items[].spec.containers[0].resources.limits.memory] | unique | join(",")')" 512Mi

	# rollout undo goes back to the previous ReplicaSet (no new one), then redo
	local nrs
	nrs=$($K get rs -n "$ns" -l app="$dep" -o name | wc -l | tr -d ' ')
	$K rollout undo deploy/"$dep" -n "$ns" >/dev/null
	$K rollout status deploy/"$dep" -n "$ns" --timeout=30s >/dev/null
	[ "$($K get pods -n "$ns" -l app="$dep" -o json | jq -r '[.items[].spec.containers[0].resources.limits.memory] | unique | join(",")')" != 512Mi ] ||
		fail "rollout undo kept the new limit"
	expect "undo reused the old ReplicaSet" "$($K get rs -n "$ns" -l app="$dep" -o name | wc -l | tr -d ' ')" "$nrs"
	expect "undo bumped the revision" "$($K get deploy "$dep" -n "$ns" -o jsonpath='{.metadata.annotations.deployment\.kubernetes\.io/revision}')" 3
	$K rollout undo deploy/"$dep" -n "$ns" >/dev/null
	$K rollout status deploy/"$dep" -n "$ns" --timeout=30s >/dev/null

	# cordon / uncordon
	$K cordon node-2 >/dev/null
	contains "cordoned" "$($K get node node-2)" "SchedulingDisabled"
	expect "unschedulable" "$($K get node node-2 -o jsonpath='{.spec.unschedulable}')" true
	$K uncordon node-2 >/dev/null
	expect "uncordoned" "$($K get node node-2 -o jsonpath='{.spec.unschedulable}')" ""

	# a PDB that forbids any disruption blocks drain; without it drain succeeds
	local all target
	all=$($K get deploy "$dep" -n "$ns" -o jsonpath='{.spec.replicas}')
	$K create poddisruptionbudget "$dep-pdb" -n "$ns" --selector=app="$dep" --min-available="$all" >/dev/null
	pdb_computed() { [ "$($K get pdb "$dep-pdb" -n "$ns" -o jsonpath='{.status.disruptionsAllowed}')" = 0 ]; }
	wait_until 60 pdb_computed || true
	expect "pdb allows nothing" "$($K get pdb "$dep-pdb" -n "$ns" -o jsonpath='{.status.disruptionsAllowed}')" 0
	target=$($K get pods -n "$ns" -l app="$dep" -o jsonpath='{.items[0].spec.nodeName}')
	local before
	before=$($K get pods -n "$ns" -l app="$dep" --field-selector spec.nodeName="$target" -o name | wc -l | tr -d ' ')
	if $K drain "$target" --ignore-daemonsets --delete-emptydir-data --timeout=6s >"$dir/drain1.out" 2>&1; then
		fail "drain succeeded despite the PDB"
	fi
	contains "drain blocked by the PDB" "$(cat "$dir/drain1.out")" "disruption budget\|global timeout\|evict"
	expect "blocked pods still on the node" \
		"$($K get pods -n "$ns" -l app="$dep" --field-selector spec.nodeName="$target" -o name | wc -l | tr -d ' ')" "$before"
	$K delete pdb "$dep-pdb" -n "$ns" >/dev/null
	$K drain "$target" --ignore-daemonsets --delete-emptydir-data --timeout=30s >"$dir/drain2.out" 2>&1 ||
		{ cat "$dir/drain2.out"; fail "drain failed after the PDB was deleted"; }
	contains "drained" "$(cat "$dir/drain2.out")" "drained"
	expect "no deployment pods left on $target" \
		"$($K get pods -A --field-selector spec.nodeName="$target" -o json | jq '[.items[] | select(.metadata.ownerReferences[0].kind=="ReplicaSet")] | length')" 0
	expect "replicas rescheduled elsewhere" "$($K get pods -n "$ns" -l app="$dep" -o json | jq '.items | length')" "$all"
	$K uncordon "$target" >/dev/null

	# a wrong token is refused with a Status body
	local out
	out=$(curl -sk -H "Authorization: Bearer wrong" "$($K config view -o jsonpath='{.clusters[0].cluster.server}')/api/v1/pods" || true)
	expect "wrong token: Status 401" "$(jq -r '.code' <<<"$out")" 401
}

suite http
# kubectl sends tokens only over TLS: the wrong --token check needs --tls.
suite https --tls
K="kubectl --cache-dir $TMPDIR_E2E/https/cache --request-timeout=20s"
if out=$($K get pods --token=wrong 2>&1); then fail "wrong --token accepted"; fi
contains "kubectl --token wrong refused" "$out" "provide credentials\|Unauthorized"
grep -v 'token:' "$TMPDIR_E2E/https/kc" >"$TMPDIR_E2E/https/kc-cert"
expect "client certificate alone is enough" \
	"$(KUBECONFIG=$TMPDIR_E2E/https/kc-cert $K get nodes -o name | wc -l | tr -d ' ')" 4
server=$($K config view -o jsonpath='{.clusters[0].cluster.server}')
expect "no credentials over TLS: 401" "$(curl -sk -o /dev/null -w '%{http_code}' "$server/api/v1/pods")" 401
echo "all sim kubectl checks passed"
