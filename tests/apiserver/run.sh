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

# --- the sim
"$KUBEMEND" sim --listen 127.0.0.1:0 --kubeconfig-out "$work/sim.kubeconfig" \
	--nobody-kubeconfig-out "$work/sim-nobody.kubeconfig" --nodes 3 --pods 12 --seed 7 \
	>"$work/sim.log" 2>&1 &
SIM_PID=$!
for _ in $(seq 300); do
	[ -s "$work/sim.kubeconfig" ] && break
	kill -0 "$SIM_PID" 2>/dev/null || { cat "$work/sim.log" >&2; fail "the sim exited"; }
	sleep 0.1
done
[ -s "$work/sim.kubeconfig" ] || fail "the sim wrote no kubeconfig"
echo "test-apiserver: conformance checks against the sim" >&2
"$CONFORM" --target sim --kubeconfig "$work/sim.kubeconfig" \
	--nobody-kubeconfig "$work/sim-nobody.kubeconfig" >"$work/sim.out" 2>"$work/sim.err" || true
kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null || true
SIM_PID=

# --- the real control plane
cp_up "$bindir" "$work/cp" || fail "the real control plane did not start (logs in $work/cp; KEEP=1 keeps them)"
admin=$work/cp/admin.kubeconfig
echo "test-apiserver: conformance checks against kube-apiserver $(cat "$bindir/BUILT" | awk '/^version/ {print $2}')" >&2
"$CONFORM" --target real --kubeconfig "$admin" --nobody-kubeconfig "$work/cp/nobody.kubeconfig" \
	>"$work/real.out" 2>"$work/real.err" || true

# --- RBAC with the real authorizer: deploy/'s roles, or ours until deploy/ has them
K="kubectl --kubeconfig $admin --request-timeout=30s"
role_file() { if [ -f "$repo/deploy/$1" ]; then echo "$repo/deploy/$1"; else echo "$here/$1"; fi; }
observe=$(role_file rbac-observe.yaml)
remediate=$(role_file rbac-remediate.yaml)
$K create namespace kubemend >/dev/null 2>&1 || true
$K -n kubemend create serviceaccount kubemend >/dev/null 2>&1 || true
sa_token=$(curl -fsS --cacert "$CP_CA" -H "Authorization: Bearer $CP_ADMIN_TOKEN" \
	-H 'Content-Type: application/json' -X POST \
	-d '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":3600}}' \
	"$CP_SERVER/api/v1/namespaces/kubemend/serviceaccounts/kubemend/token" | jq -r .status.token)
[ -n "$sa_token" ] && [ "$sa_token" != null ] || fail "no ServiceAccount token from the TokenRequest API"
cp_kubeconfig "$work/sa.kubeconfig" "$CP_SERVER" "$CP_CA" "$sa_token"

# can_i VERB RESOURCE [SUBRESOURCE] GROUP: the authorizer's answer for the token
can_i() {
	curl -fsS --cacert "$CP_CA" -H "Authorization: Bearer $sa_token" -H 'Content-Type: application/json' \
		-X POST -d "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectAccessReview\",
		\"spec\":{\"resourceAttributes\":{\"verb\":\"$1\",\"resource\":\"$2\",\"subresource\":\"$3\",
		\"group\":\"$4\",\"namespace\":\"conform\"}}}" \
		"$CP_SERVER/apis/authorization.k8s.io/v1/selfsubjectaccessreviews" | jq -r .status.allowed
}
wait_can() { # wait_can WANT VERB RESOURCE SUB GROUP: RBAC changes reach the authorizer's cache
	for _ in $(seq 100); do [ "$(can_i "$2" "$3" "$4" "$5")" = "$1" ] && return 0; sleep 0.1; done
	fail "the authorizer never answered $1 for $2 $3/$4"
}

echo "test-apiserver: RBAC, observe role only ($observe)" >&2
$K apply -f "$observe" >"$work/rbac-apply.log" 2>&1 || { cat "$work/rbac-apply.log" >&2; fail "kubectl apply $observe"; }
wait_can true get deployments "" apps
"$CONFORM" --target real --kubeconfig "$work/sa.kubeconfig" --admin-kubeconfig "$admin" \
	--rbac denied >"$work/rbac-observe.out" 2>"$work/rbac-observe.err" || true
echo "test-apiserver: RBAC, observe + remediate ($remediate)" >&2
$K apply -f "$remediate" >>"$work/rbac-apply.log" 2>&1 || { cat "$work/rbac-apply.log" >&2; fail "kubectl apply $remediate"; }
wait_can true patch deployments scale apps
"$CONFORM" --target real --kubeconfig "$work/sa.kubeconfig" --admin-kubeconfig "$admin" \
	--rbac allowed >"$work/rbac-remediate.out" 2>"$work/rbac-remediate.err" || true

# --- the table
report=$work/report.txt
awk -F'\t' -v expf="$here/expected-differ.txt" '
	BEGIN {
		while ((getline line < expf) > 0) {
			if (line ~ /^#/ || line == "") continue
			split(line, p, "\t"); xd[p[1]] = p[2]
		}
	}
	{ src = FILENAME ~ /\/sim\.out$/ ? 1 : 2 }
	$1 != "RESULT" { next }
	src == 1 { sim[$2] = $3; sdet[$2] = $4; if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 } }
	src >= 2 { real[$2] = $3; rdet[$2] = $4; if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 } }
	END {
		bad = 0
		printf "%-44s %-6s %-6s %s\n", "check", "sim", "real", "verdict"
		for (i = 1; i <= n; i++) {
			c = order[i]; s = (c in sim) ? sim[c] : "-"; r = (c in real) ? real[c] : "-"
			rbac = c ~ /^rbac\./
			if (r != "pass") { v = "FAIL: the real server fails it: " rdet[c]; bad++ }
			else if (rbac) v = "ok (real authorizer only)"
			else if (s == "pass" && (c in xd)) v = "ok; now agrees: drop it from expected-differ.txt"
			else if (s == "pass") v = "ok"
			else if (c in xd) v = "expected to differ: " xd[c]
			else { v = "FAIL: the sim differs: " sdet[c]; bad++ }
			printf "%-44s %-6s %-6s %s\n", c, rbac ? "n/a" : s, r, v
		}
		printf "\n%d checks, %d failing\n", n, bad
		exit bad ? 1 : 0
	}' "$work/sim.out" "$work/real.out" "$work/rbac-observe.out" "$work/rbac-remediate.out" >"$report" \
	&& verdict=0 || verdict=1
cat "$report"
for f in sim real rbac-observe rbac-remediate; do
	grep -q RESULT "$work/$f.out" || { echo "--- $f.err" >&2; tail -20 "$work/$f.err" >&2; verdict=1; }
done
[ -n "${REPORT_OUT:-}" ] && cp "$report" "$REPORT_OUT"
echo "test-apiserver: $( [ $verdict = 0 ] && echo ok || echo FAILED ) in $(( $(date +%s) - t_start ))s (peer build cached in $bindir)" >&2
exit $verdict
