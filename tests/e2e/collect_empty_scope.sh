#!/usr/bin/env bash
# collect and monitor say so when the chosen namespace holds no pods (the
# kubeconfig's namespace by default, as kubectl), and suggest -A (issue 12).
source "$(dirname "$0")/lib/collect.sh"
need_sim
d=$TMPDIR_E2E/emptyscope
mkdir -p "$d"
start_sim emptyscope --speed 0
"$KUBEMEND" collect --kubeconfig "$KC" --namespace nothing-here --cycles 1 --output-file "$d/c.csv" 2>"$d/c.err" >/dev/null \
  || fail "collect exited $?"
grep -q 'namespace "nothing-here" holds no pods; collect every namespace with -A' "$d/c.err" || fail "collect: $(cat "$d/c.err")"
"$KUBEMEND" monitor --kubeconfig "$KC" --namespace nothing-here --cycles 1 --listen off --log-dir "$d" \
  --output-file "$d/m.csv" --insights-file "$d/i.json" --quiet 2>"$d/m.err" || fail "monitor exited $?"
grep -q 'namespace "nothing-here" holds no pods; watch every namespace with -A' "$d/m.err" || fail "monitor: $(cat "$d/m.err")"
"$KUBEMEND" collect --kubeconfig "$KC" -A --cycles 1 --output-file "$d/a.csv" 2>"$d/a.err" >/dev/null || fail "collect -A exited $?"
grep -q 'holds no pods' "$d/a.err" && fail "a warning with -A"
echo "ok: an empty namespace is named, with -A suggested; none with -A"
