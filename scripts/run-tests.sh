#!/usr/bin/env bash
# Runs one kind of test (unit, fuzz, e2e) and prints a closing line
# "<kind>: N passed, N failed". Exits non-zero when any test failed.
# E2E tests get $KUBEMEND (the binary) and a scratch directory in $TMPDIR_E2E.
set -u
kind=$1; shift
pass=0; fail=0; failed=()
for t in "$@"; do
  name=$(basename "$t")
  case $kind in
    unit) out=$("$t" 2>&1); rc=$? ;;
    fuzz) corpus=fuzz/corpus/${name#replay_fuzz_}
          out=$("$t" "$corpus" 2>&1); rc=$? ;;
    e2e)  scratch=$(mktemp -d /tmp/kubemend-e2e.XXXXXX)
          # a test may ask for more than the default 600 s: "# e2e-timeout: SECONDS"
          limit=$(sed -n 's/^# e2e-timeout: \([0-9]*\)$/\1/p' "$t" | head -1)
          out=$(cd "$(dirname "$0")/.." && TMPDIR_E2E=$scratch timeout "${E2E_TIMEOUT:-${limit:-600}}" bash "$t" 2>&1); rc=$?
          [ $rc -eq 0 ] && rm -rf "$scratch" ;;
  esac
  if [ $rc -eq 0 ]; then
    pass=$((pass+1)); echo "ok   $kind/$name"
  else
    fail=$((fail+1)); failed+=("$name"); echo "FAIL $kind/$name (exit $rc)"
    echo "$out" | tail -n 40 | sed 's/^/    /'
  fi
done
echo "$kind: $pass passed, $fail failed"
[ $fail -eq 0 ]
