#!/usr/bin/env bash
# deploy/ against `kubemend sim` with the real kubectl: `kubectl apply -k`
# creates every object (then again, unchanged), the Remediation CRD is served
# generically (discovery, create, merge patch, the status subresource, the
# printer columns, watch, delete with its CRD), generic kinds honour
# resourceVersion preconditions, and Leases answer 409 on a stale update.
set -euo pipefail
: "${KUBEMEND:?}" "${TMPDIR_E2E:?}"
command -v kubectl >/dev/null || { echo "kubectl not installed"; exit 1; }
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/tests/e2e/lib/wait.sh"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect() { [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; echo "ok: $1"; }
contains() { grep -q -- "$3" <<<"$2" || fail "$1: '$3' not in: $(head -c 600 <<<"$2")"; echo "ok: $1"; }

dir=$TMPDIR_E2E/deploy_apply
mkdir -p "$dir"
"$KUBEMEND" sim --listen 127.0.0.1:0 --kubeconfig-out "$dir/kc" --nodes 2 --pods 4 --seed 3 --speed 0 >"$dir/sim.log" 2>&1 &
pids+=($!)
wait_file "$dir/kc" 120 "${pids[-1]}" || true
[ -s "$dir/kc" ] || { cat "$dir/sim.log"; fail "sim did not start"; }
export KUBECONFIG=$dir/kc
K="kubectl --cache-dir $dir/cache --request-timeout=20s"

out=$($K apply -k "$root/deploy/" 2>&1) || fail "apply -k: $out"
for o in "namespace/kubemend created" "customresourcedefinition.apiextensions.k8s.io/remediations.kubemend.io created" \
	"serviceaccount/kubemend created" "clusterrole.rbac.authorization.k8s.io/kubemend-observe created" \
	"clusterrole.rbac.authorization.k8s.io/kubemend-remediate created" "role.rbac.authorization.k8s.io/kubemend-self created" \
	"configmap/kubemend-config created" "service/kubemend created" "deployment.apps/kubemend created" \
	"poddisruptionbudget.policy/kubemend created"; do
	contains "apply -k: $o" "$out" "$o"
done
out=$($K apply -k "$root/deploy/" 2>&1) || fail "second apply -k: $out"
contains "second apply: configmap unchanged" "$out" "configmap/kubemend-config unchanged"
contains "second apply: clusterrole unchanged" "$out" "clusterrole.rbac.authorization.k8s.io/kubemend-remediate unchanged"

expect "the Deployment runs 2 pods" "$($K get pods -n kubemend -l app.kubernetes.io/name=kubemend -o name | wc -l)" 2
expect "the remediate role can evict" \
	"$($K get clusterrole kubemend-remediate -o json | jq -r '.rules[] | select(.resources==["pods/eviction"]) | .verbs[0]')" create
expect "the config map holds the config" \
	"$($K get cm -n kubemend kubemend-config -o json | jq -r '.data | keys[0]')" agent_config.yaml
contains "api-resources lists the CRD" "$($K api-resources --api-group=kubemend.io)" "remediations *rem *kubemend.io/v1alpha1 *true *Remediation"

# kubectl create sends these as protobuf
$K create namespace pbtest >/dev/null || fail "kubectl create namespace"
$K create serviceaccount sa1 -n pbtest >/dev/null || fail "kubectl create serviceaccount"
$K create configmap cm1 -n pbtest --from-literal=a=b >/dev/null || fail "kubectl create configmap"
expect "a ConfigMap created from protobuf" "$($K get cm cm1 -n pbtest -o jsonpath='{.data.a}')" b
$K create secret generic s1 -n pbtest --from-literal=api-key=sekrit >/dev/null || fail "kubectl create secret"
expect "a Secret created from protobuf (base64 data)" "$($K get secret s1 -n pbtest -o jsonpath='{.data.api-key}' | base64 -d)" sekrit
expect "a Secret's default type" "$($K get secret s1 -n pbtest -o jsonpath='{.type}')" Opaque
$K delete namespace pbtest >/dev/null || fail "kubectl delete namespace"
out=$($K get sa -n pbtest sa1 2>&1) && fail "the namespace's objects outlived it"
echo "ok: kubectl create namespace/serviceaccount/configmap/secret; delete namespace takes its objects"

# a custom resource: create, patch, status, printer columns
cat >"$dir/rem.yaml" <<EOR
apiVersion: kubemend.io/v1alpha1
kind: Remediation
metadata: {name: r1, namespace: kubemend, labels: {app: x}}
spec: {action: change_limits, target: shop/cart, digest: "sha256:abc"}
EOR
$K apply -f "$dir/rem.yaml" >/dev/null
$K get rem -n kubemend r1 -o json >"$dir/r1.json"
rv0=$(jq -r .metadata.resourceVersion "$dir/r1.json")
$K patch rem r1 -n kubemend --type=merge -p '{"spec":{"decision":{"verdict":"approved","by":"alice"}}}' >/dev/null
$K patch rem r1 -n kubemend --type=merge -p '{"status":{"phase":"Ignored"}}' >/dev/null
expect "status is a subresource: a main write leaves it" "$($K get rem -n kubemend r1 -o jsonpath='{.status.phase}')" ""
$K patch rem r1 -n kubemend --subresource=status --type=merge -p '{"status":{"phase":"Done","outcome":"success"}}' >/dev/null
expect "status subresource" "$($K get rem -n kubemend r1 -o jsonpath='{.status.outcome}')" success
expect "generation follows spec" "$($K get rem -n kubemend r1 -o jsonpath='{.metadata.generation}')" 2
contains "kubectl get remediations -A shows the columns" "$($K get remediations -A)" \
	"kubemend *r1 *change_limits *shop/cart *approved *Done *success"
expect "label selector on a custom resource" "$($K get rem -A -l app=x -o name)" "remediation.kubemend.io/r1"
# the CRD's schema holds: required fields, types, enums
out=$(printf 'apiVersion: kubemend.io/v1alpha1\nkind: Remediation\nmetadata: {name: r2, namespace: kubemend}\nspec: {action: x, target: y}\n' | $K create -f - 2>&1) \
	&& fail "a Remediation without spec.digest was accepted"
contains "schema: required" "$out" 'Remediation.kubemend.io "r2" is invalid: spec.digest: Required value'
out=$($K patch rem r1 -n kubemend --type=merge -p '{"spec":{"decision":{"verdict":"maybe"}}}' 2>&1) \
	&& fail "a verdict outside the enum was accepted"
contains "schema: enum" "$out" 'spec.decision.verdict: Unsupported value: "maybe"'
# a stale resourceVersion is refused
jq '.spec.target="x/y"' "$dir/r1.json" >"$dir/r1-stale.json"
out=$($K replace -f "$dir/r1-stale.json" 2>&1) && fail "stale replace accepted (rv $rv0)"
contains "stale replace of a custom resource: 409" "$out" "the object has been modified"
# watch sees a change
$K get rem -n kubemend --watch-only -o name >"$dir/watch.txt" 2>&1 &
wpid=$!; pids+=($wpid)
# --watch-only prints nothing until a change, and on a busy machine the watch
# may connect late: change the object again until the watch has seen one.
n=0
relabel_seen() { n=$((n + 1)); $K label rem r1 -n kubemend --overwrite seen=$n >/dev/null; sleep 0.3; grep -q r1 "$dir/watch.txt"; }
wait_until 60 relabel_seen || true
contains "watch on a custom resource" "$(cat "$dir/watch.txt")" "remediation.kubemend.io/r1"
kill $wpid 2>/dev/null || true

# Leases: optimistic concurrency
cat >"$dir/lease.yaml" <<EOR
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: kubemend-leader, namespace: kubemend}
spec: {holderIdentity: a, leaseDurationSeconds: 15}
EOR
$K create -f "$dir/lease.yaml" >/dev/null
$K get lease -n kubemend kubemend-leader -o json >"$dir/lease.json"
jq '.spec.holderIdentity="b"' "$dir/lease.json" | $K replace -f - >/dev/null
out=$(jq '.spec.holderIdentity="c"' "$dir/lease.json" | $K replace -f - 2>&1) && fail "stale lease update accepted"
contains "stale Lease update: 409" "$out" "Conflict\|the object has been modified"
expect "the first writer holds the lease" "$($K get lease -n kubemend kubemend-leader -o jsonpath='{.spec.holderIdentity}')" b

# Events: core/v1 and events.k8s.io/v1 share one store
dep_uid=$($K get deploy -n kubemend kubemend -o jsonpath='{.metadata.uid}')
cat >"$dir/ev-core.yaml" <<EOR
apiVersion: v1
kind: Event
metadata: {name: kubemend.core1, namespace: kubemend}
involvedObject: {apiVersion: apps/v1, kind: Deployment, namespace: kubemend, name: kubemend, uid: "$dep_uid"}
reason: CoreReason
message: written as core/v1
type: Normal
source: {component: e2e}
count: 2
EOR
cat >"$dir/ev-v1.yaml" <<EOR
apiVersion: events.k8s.io/v1
kind: Event
metadata: {name: kubemend.v1, namespace: kubemend}
eventTime: "2026-01-01T00:00:00.000000Z"
reportingController: e2e
reportingInstance: e2e-1
action: Test
reason: V1Reason
note: written as events.k8s.io/v1
type: Warning
regarding: {apiVersion: apps/v1, kind: Deployment, namespace: kubemend, name: kubemend, uid: "$dep_uid"}
EOR
$K create -f "$dir/ev-core.yaml" >/dev/null
$K create -f "$dir/ev-v1.yaml" >/dev/null
out=$($K create -f "$dir/ev-v1.yaml" 2>&1) && fail "a duplicate Event was accepted"
sed 's/^action: Test$//' "$dir/ev-v1.yaml" | sed 's/kubemend.v1/kubemend.v2/' >"$dir/ev-bad.yaml"
out=$($K create -f "$dir/ev-bad.yaml" 2>&1) && fail "an events.k8s.io Event without action was accepted"
contains "events.k8s.io validation" "$out" "action: Required value"
desc=$($K describe deploy -n kubemend kubemend)
contains "describe shows the core Event" "$desc" "CoreReason"
contains "describe shows the events.k8s.io Event" "$desc" "V1Reason .*written as events.k8s.io/v1"
expect "the core Event read as events.k8s.io" \
	"$($K get events.v1.events.k8s.io -n kubemend kubemend.core1 -o jsonpath='{.note}')" "written as core/v1"

# RBAC: a service account token is held to the roles deploy/ binds
url=$(awk '/server:/ {print $2; exit}' "$dir/kc")
adm=$(awk '/token:/ {print $2; exit}' "$dir/kc")
tok=$(curl -sf -X POST -H "Authorization: Bearer $adm" "$url/sim/v1/serviceaccounts/kubemend/kubemend/token" | jq -r .token)
[ -n "$tok" ] && [ "$tok" != null ] || fail "no service account token"
code() { curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" "$@"; }
dep_ns=$($K get deploy -A -o json | jq -r '[.items[] | select(.metadata.namespace!="kubemend")][0].metadata.namespace')
dep=$($K get deploy -A -o json | jq -r '[.items[] | select(.metadata.namespace!="kubemend")][0].metadata.name')
expect "observe role: list pods" "$(code "$url/api/v1/pods")" 200
expect "observe role: no secrets" "$(code "$url/api/v1/secrets")" 403
expect "remediate role: patch a deployment" "$(code -X PATCH -H 'Content-Type: application/merge-patch+json' \
	-d '{"metadata":{"labels":{"touched":"yes"}}}' "$url/apis/apps/v1/namespaces/$dep_ns/deployments/$dep")" 200
expect "self role: get, not list, leases in kubemend" "$(code "$url/apis/coordination.k8s.io/v1/namespaces/kubemend/leases")" 403
expect "self role: get a lease in kubemend" "$(code "$url/apis/coordination.k8s.io/v1/namespaces/kubemend/leases/kubemend-leader")" 200
expect "no leases elsewhere" "$(code "$url/apis/coordination.k8s.io/v1/namespaces/default/leases/x")" 403
$K delete clusterrolebinding kubemend-remediate >/dev/null
out=$(curl -s -H "Authorization: Bearer $tok" -X PATCH -H 'Content-Type: application/merge-patch+json' \
	-d '{"metadata":{"labels":{"touched":"again"}}}' "$url/apis/apps/v1/namespaces/$dep_ns/deployments/$dep")
contains "observe only: 403 names the permission" "$(jq -r .message <<<"$out")" \
	'User "system:serviceaccount:kubemend:kubemend" cannot patch resource "deployments" in API group "apps"'

# deleting the CRD takes its resources with it
$K delete crd remediations.kubemend.io >/dev/null
out=$($K get rem -A 2>&1) && fail "remediations still served after the CRD was deleted: $out"
echo "ok: CRD deleted, its resource gone"
echo "PASS"
