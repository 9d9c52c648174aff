#!/usr/bin/env bash
# Build the real control plane the conformance suite runs against, once, into
# a cache outside the repo keyed by version and by this module's go.sum:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/kubemend/apiserver/<k8s version>-<sum>/
# Prints that directory on stdout. Exits non-zero with the reason on stderr if
# Go is missing or the build fails: the caller must fail, never skip.
# Go is needed only here; the product build never runs this.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
die() { echo "test-apiserver: $*" >&2; exit 1; }

kver=$(awk '$1=="k8s.io/kubernetes" && $2 ~ /^v/ {print $2; exit}' "$here/go.mod")
[ -n "$kver" ] || kver=$(awk '/k8s.io\/kubernetes v/ {print $2; exit}' "$here/go.mod")
[ -n "$kver" ] || die "cannot find the k8s.io/kubernetes version in $here/go.mod"
sum=$(cat "$here/go.mod" "$here/go.sum" | sha256sum | cut -c1-12)
root=${XDG_CACHE_HOME:-$HOME/.cache}/kubemend/apiserver
out=$root/$kver-$sum
if [ -x "$out/kube-apiserver" ] && [ -x "$out/kube-controller-manager" ] && [ -x "$out/etcd" ] && [ -f "$out/BUILT" ]; then
	echo "$out"; exit 0
fi

# Go is needed from here on only.
command -v go >/dev/null 2>&1 || die "cannot build the real control plane: 'go' (1.25 or later) is not on PATH; Debian's golang-go is too old, use the toolchain from go.dev/dl"
gov=$(go env GOVERSION 2>/dev/null | sed 's/^go//')
case "$gov" in
1.2[5-9]*|1.[3-9][0-9]*|[2-9].*) ;;
*) [ "$(go env GOTOOLCHAIN 2>/dev/null)" = local ] &&
	die "cannot build the real control plane: go $gov is older than the 1.25 that go.mod needs (and GOTOOLCHAIN=local)" ;;
esac
minor=${kver#v1.}; minor=${minor%%.*}
ld="-s -w -X k8s.io/component-base/version.gitVersion=$kver -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
tmp=$(mktemp -d "$root.tmp.XXXXXX" 2>/dev/null || { mkdir -p "$root" && mktemp -d "$root.tmp.XXXXXX"; })
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
echo "test-apiserver: building kube-apiserver, kube-controller-manager and etcd $kver into $out (first time: ~8 min, ~730 MB of modules)" >&2
cd "$here"
export GOFLAGS="-mod=readonly -buildvcs=false"
nice go build -trimpath -ldflags "$ld" -o "$tmp/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver >&2 \
	|| die "go build kube-apiserver $kver failed (see above)"
nice go build -trimpath -ldflags "$ld" -o "$tmp/kube-controller-manager" k8s.io/kubernetes/cmd/kube-controller-manager >&2 \
	|| die "go build kube-controller-manager $kver failed (see above)"
nice go build -trimpath -o "$tmp/etcd" go.etcd.io/etcd/server/v3 >&2 \
	|| die "go build etcd failed (see above)"
secs=$(( $(date +%s) - start ))
size=$(du -sh "$tmp" | cut -f1)
printf 'version %s\ngo %s\nseconds %s\nsize %s\n' "$kver" "$(go env GOVERSION)" "$secs" "$size" > "$tmp/BUILT"
mkdir -p "$root"
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
echo "test-apiserver: built in ${secs}s, $size" >&2
echo "$out"
