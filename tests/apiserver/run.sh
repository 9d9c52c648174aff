#!/usr/bin/env bash
# make test-apiserver: kubemend's client against a real control plane and
# against `kubemend sim`, side by side (issue 16).
#
#  1. builds (once; cached outside the repo) kube-apiserver,
#     kube-controller-manager and etcd from tests/apiserver/go.mod;
#  2. runs tests/conform (the same checks of src/kube and src/remedy) against
#     the sim and against the real server started on loopback;
#  3. proves the RBAC roles with the real authorizer: a ServiceAccount token
#     bound to the observe role only (every write refused with a 403 naming
#     the permission), then to observe + remediate (every action done);
#  4. prints the table; fails when the real server fails a check, when the
#     sim differs from it on a check not listed in expected-differ.txt, or
#     when the peer cannot be built (never a silent skip).
#
# KUBEMEND and CONFORM name the binaries (make sets them). KEEP=1 keeps the
# work directory (logs, kubeconfigs, both runs' output).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
: "${KUBEMEND:=$repo/bin/kubemend}" "${CONFORM:=$repo/build/tests/conform}"
t_start=$(date +%s)

fail() { echo "test-apiserver: FAIL: $*" >&2; exit 1; }
[ -x "$KUBEMEND" ] || fail "$KUBEMEND is not built"
[ -x "$CONFORM" ] || fail "$CONFORM is not built"
command -v kubectl >/dev/null || fail "kubectl is needed to apply the RBAC manifests"

bindir=$("$here/build.sh") || fail "cannot build the real control plane (the reason is above)"

work=$(mktemp -d /tmp/kubemend-apiserver.XXXXXX)
SIM_PID=
# shellcheck source=up.sh
source "$here/up.sh"
cleanup() {
	if [ -n "$SIM_PID" ]; then kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true; fi
	cp_down
	if [ "${KEEP:-}" = 1 ]; then echo "test-apiserver: kept $work" >&2; else rm -rf "$work"; fi
	return 0
}
trap cleanup EXIT

# --- RBAC: deploy/'s roles, bound to a ServiceAccount, decided by the real
# authorizer and by the sim's
observe=$repo/deploy/rbac-observe.yaml
remediate=$repo/deploy/rbac-remediate.yaml

# rbac TARGET ADMIN_KUBECONFIG SA_KUBECONFIG_MAKER: observe only, then observe + remediate
rbac() {
	local target=$1 adm=$2 mk=$3
	local K="kubectl --kubeconfig $adm --request-timeout=30s"
	# (apply, not create: kubectl create sends protobuf, which the sim does not decode)
	printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kubemend\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: kubemend\n  namespace: kubemend\n' |
		$K apply -f - >>"$work/rbac-apply.log" 2>&1 || { cat "$work/rbac-apply.log" >&2; fail "kubectl apply the kubemend namespace and ServiceAccount ($target)"; }
	"$mk" "$work/$target-sa.kubeconfig"
	echo "test-apiserver: RBAC on $target, observe role only ($observe)" >&2
	$K apply -f "$observe" >>"$work/rbac-apply.log" 2>&1 || { cat "$work/rbac-apply.log" >&2; fail "kubectl apply $observe ($target)"; }
	wait_allowed "$work/$target-sa.kubeconfig" deployments
	"$CONFORM" --target "$target" --kubeconfig "$work/$target-sa.kubeconfig" --admin-kubeconfig "$adm" \
		--rbac denied >"$work/$target-rbac-observe.out" 2>"$work/$target-rbac-observe.err" || true
	echo "test-apiserver: RBAC on $target, observe + remediate ($remediate)" >&2
	$K apply -f "$remediate" >>"$work/rbac-apply.log" 2>&1 || { cat "$work/rbac-apply.log" >&2; fail "kubectl apply $remediate ($target)"; }
	wait_allowed "$work/$target-sa.kubeconfig" deployments/scale
	"$CONFORM" --target "$target" --kubeconfig "$work/$target-sa.kubeconfig" --admin-kubeconfig "$adm" \
		--rbac allowed >"$work/$target-rbac-remediate.out" 2>"$work/$target-rbac-remediate.err" || true
}

# wait_allowed KUBECONFIG RESOURCE: RBAC changes reach the authorizer's cache
# (a dry-run PATCH of the test Deployment must stop being refused)
wait_allowed() {
	local server tok ca=()
	server=$(awk '/server:/ {print $2; exit}' "$1")
	tok=$(awk '/token:/ {print $2; exit}' "$1")
	grep -q certificate-authority: "$1" && ca=(--cacert "$(awk '/certificate-authority:/ {print $2; exit}' "$1")")
	for _ in $(seq 100); do
		if [ "$2" = deployments ]; then
			curl -fsS "${ca[@]}" -H "Authorization: Bearer $tok" "$server/apis/apps/v1/deployments" >/dev/null 2>&1 && return 0
		else
			curl -sS "${ca[@]}" -H "Authorization: Bearer $tok" -H 'Content-Type: application/merge-patch+json' \
				-X PATCH -d '{}' "$server/apis/apps/v1/namespaces/x/deployments/none/scale?dryRun=All" \
				-o /dev/null -w '%{http_code}' | grep -qv 403 && return 0
		fi
		sleep 0.1
	done
	fail "the authorizer never allowed $2 for $1"
}

# --- the sim
"$KUBEMEND" sim --listen 127.0.0.1:0 --kubeconfig-out "$work/sim.kubeconfig" --nodes 3 --pods 12 --seed 7 \
	>"$work/sim.log" 2>&1 &
SIM_PID=$!
for _ in $(seq 300); do
	[ -s "$work/sim.kubeconfig" ] && break
	kill -0 "$SIM_PID" 2>/dev/null || { cat "$work/sim.log" >&2; fail "the sim exited"; }
	sleep 0.1
done
[ -s "$work/sim.kubeconfig" ] || fail "the sim wrote no kubeconfig"
sim_url=$(awk '/server:/ {print $2; exit}' "$work/sim.kubeconfig")
sim_admin=$(awk '/token:/ {print $2; exit}' "$work/sim.kubeconfig")
# sim_sa NS NAME FILE: a kubeconfig with a token the sim minted for that ServiceAccount
sim_sa() {
	local tok
	tok=$(curl -fsS -X POST -H "Authorization: Bearer $sim_admin" \
		"$sim_url/sim/v1/serviceaccounts/$1/$2/token" | jq -r .token)
	[ -n "$tok" ] && [ "$tok" != null ] || fail "the sim minted no token for $1/$2"
	cp_kubeconfig "$3" "$sim_url" "" "$tok"
}
sim_sa kubemend nobody "$work/sim-nobody.kubeconfig"
kubectl --kubeconfig "$work/sim.kubeconfig" apply -f "$repo/deploy/crd-remediation.yaml" >>"$work/crd-apply.log" 2>&1 ||
	{ cat "$work/crd-apply.log" >&2; fail "kubectl apply deploy/crd-remediation.yaml (sim)"; }
echo "test-apiserver: conformance checks against the sim" >&2
"$CONFORM" --target sim --kubeconfig "$work/sim.kubeconfig" \
	--nobody-kubeconfig "$work/sim-nobody.kubeconfig" >"$work/sim.out" 2>"$work/sim.err" || true
sim_kubemend_sa() { sim_sa kubemend kubemend "$1"; }
rbac sim "$work/sim.kubeconfig" sim_kubemend_sa
kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null || true
SIM_PID=

# --- the real control plane
cp_up "$bindir" "$work/cp" || fail "the real control plane did not start (logs in $work/cp; KEEP=1 keeps them)"
admin=$work/cp/admin.kubeconfig
kubectl --kubeconfig "$admin" apply -f "$repo/deploy/crd-remediation.yaml" >>"$work/crd-apply.log" 2>&1 ||
	{ cat "$work/crd-apply.log" >&2; fail "kubectl apply deploy/crd-remediation.yaml (real)"; }
echo "test-apiserver: conformance checks against kube-apiserver $(cat "$bindir/BUILT" | awk '/^version/ {print $2}')" >&2
"$CONFORM" --target real --kubeconfig "$admin" --nobody-kubeconfig "$work/cp/nobody.kubeconfig" \
	>"$work/real.out" 2>"$work/real.err" || true

real_sa() {
	local tok
	tok=$(curl -fsS --cacert "$CP_CA" -H "Authorization: Bearer $CP_ADMIN_TOKEN" \
		-H 'Content-Type: application/json' -X POST \
		-d '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":3600}}' \
		"$CP_SERVER/api/v1/namespaces/kubemend/serviceaccounts/kubemend/token" | jq -r .status.token)
	[ -n "$tok" ] && [ "$tok" != null ] || fail "no ServiceAccount token from the TokenRequest API"
	cp_kubeconfig "$1" "$CP_SERVER" "$CP_CA" "$tok"
}
rbac real "$admin" real_sa

# --- "exactly those rules": each rule of deploy/'s remediate roles is needed.
# Take one rule out, and some action must then fail with a 403 naming it.
# (Real authorizer only: the sim's was compared above.)
ssar() { # ssar VERB GROUP RESOURCE[/SUB] NAMESPACE: the authorizer's answer for the ServiceAccount
	local res=${3%%/*} sub=
	[ "$res" != "$3" ] && sub=${3#*/}
	curl -fsS --cacert "$CP_CA" -H "Authorization: Bearer $CP_ADMIN_TOKEN" -H 'Content-Type: application/json' \
		-X POST -d "$(jq -nc --arg v "$1" --arg g "$2" --arg r "$res" --arg s "$sub" --arg n "$4" \
		'{apiVersion:"authorization.k8s.io/v1",kind:"SubjectAccessReview",spec:{user:"system:serviceaccount:kubemend:kubemend",
		  groups:["system:serviceaccounts","system:serviceaccounts:kubemend","system:authenticated"],
		  resourceAttributes:{verb:$v,group:$g,resource:$r,subresource:$s,namespace:$n}}}')" \
		"$CP_SERVER/apis/authorization.k8s.io/v1/subjectaccessreviews" | jq -r .status.allowed
}
K="kubectl --kubeconfig $admin --request-timeout=30s"
: >"$work/real-rbac-needed.out"
for role in clusterrole/kubemend-remediate role/kubemend-self; do
	ns_flag=; ns=conform
	[ "${role%%/*}" = role ] && ns_flag="-n kubemend" && ns=kubemend
	$K $ns_flag get "$role" -o json >"$work/role.json" 2>/dev/null || continue
	nrules=$(jq '.rules | length' "$work/role.json")
	for ((i = 0; i < nrules; i++)); do
		rule=$(jq -c ".rules[$i]" "$work/role.json")
		verb=$(jq -r '.verbs[0]' <<<"$rule"); group=$(jq -r '.apiGroups[0]' <<<"$rule")
		res=$(jq -r '.resources[0]' <<<"$rule")
		jq "del(.rules[$i]) | del(.metadata.resourceVersion)" "$work/role.json" | $K replace -f - >>"$work/rbac-apply.log" 2>&1 ||
			fail "cannot take rule $i out of $role"
		for _ in $(seq 100); do [ "$(ssar "$verb" "$group" "$res" "$ns")" = false ] && break; sleep 0.1; done
		"$CONFORM" --target real --kubeconfig "$work/real-sa.kubeconfig" --admin-kubeconfig "$admin" \
			--rbac allowed >"$work/needed-${role#*/}-$i.out" 2>&1 || true
		# the failures that name the rule's verbs and resources
		hit=$(jq -r '[.verbs[] as $v | .resources[] as $r | "cannot \($v) resource \"\($r)\""] | .[]' <<<"$rule" |
			{ grep -F -f - "$work/needed-${role#*/}-$i.out" || true; } | awk -F'\t' '$3 == "fail" {print $2}' | head -3 | tr '\n' ' ')
		label="rbac.needed.${role#*/}.$(jq -r '(.resources | join("+")) + "." + (.verbs | join("+"))' <<<"$rule")"
		if [ -n "$hit" ]; then
			printf 'RESULT\t%s\tpass\twithout it, refused: %s\n' "$label" "$hit" >>"$work/real-rbac-needed.out"
		else
			printf 'RESULT\t%s\tfail\tnothing kubemend does needed it (no 403 named it)\n' "$label" >>"$work/real-rbac-needed.out"
		fi
		jq 'del(.metadata.resourceVersion)' "$work/role.json" | $K replace -f - >>"$work/rbac-apply.log" 2>&1 ||
			fail "cannot put rule $i back into $role"
		for _ in $(seq 100); do [ "$(ssar "$verb" "$group" "$res" "$ns")" = true ] && break; sleep 0.1; done
	done
done

# --- the table
report=$work/report.txt
awk -F'\t' -v expf="$here/expected-differ.txt" '
	BEGIN {
		while ((getline line < expf) > 0) {
			if (line ~ /^#/ || line == "") continue
			split(line, p, "\t"); xd[p[1]] = p[2]
		}
	}
	{ src = FILENAME ~ /\/sim[-.][^\/]*$/ ? 1 : 2 }
	$1 != "RESULT" { next }
	src == 1 { sim[$2] = $3; sdet[$2] = $4; if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 } }
	src >= 2 { real[$2] = $3; rdet[$2] = $4; if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 } }
	END {
		bad = 0
		printf "%-44s %-6s %-6s %s\n", "check", "sim", "real", "verdict"
		for (i = 1; i <= n; i++) {
			c = order[i]; s = (c in sim) ? sim[c] : "-"; r = (c in real) ? real[c] : "-"
			if (r != "pass") { v = "FAIL: the real server fails it: " rdet[c]; bad++ }
			else if (c ~ /^rbac\.needed\./) { s = "n/a"; v = "ok (real authorizer only)" }
			else if (s == "pass" && (c in xd)) v = "ok; now agrees: drop it from expected-differ.txt"
			else if (s == "pass") v = "ok"
			else if (c in xd) v = "expected to differ: " xd[c]
			else { v = "FAIL: the sim differs: " sdet[c]; bad++ }
			printf "%-44s %-6s %-6s %s\n", c, s, r, v
		}
		printf "\n%d checks, %d failing\n", n, bad
		exit bad ? 1 : 0
	}' "$work"/sim.out "$work"/sim-rbac-observe.out "$work"/sim-rbac-remediate.out "$work"/real.out \
	"$work"/real-rbac-observe.out "$work"/real-rbac-remediate.out "$work"/real-rbac-needed.out >"$report" \
	&& verdict=0 || verdict=1
cat "$report"
for f in sim real sim-rbac-observe sim-rbac-remediate real-rbac-observe real-rbac-remediate; do
	grep -q RESULT "$work/$f.out" || { echo "--- $f.err" >&2; tail -20 "$work/$f.err" >&2; verdict=1; }
done
[ -n "${REPORT_OUT:-}" ] && cp "$report" "$REPORT_OUT"
echo "test-apiserver: $( [ $verdict = 0 ] && echo ok || echo FAILED ) in $(( $(date +%s) - t_start ))s (peer build cached in $bindir)" >&2
exit $verdict
