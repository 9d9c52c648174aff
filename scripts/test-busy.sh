#!/usr/bin/env bash
# Runs a command (make test-busy: `make test`) while BUSY_CPUS processes
# (default 2, one per core here) burn CPU, and prints how long it took.
# The burners are this script's children and die with the run, whether it
# passes, fails or is interrupted; each also stops by itself once this script
# is gone (even after a kill -9), so none can outlive it.
set -u
n=${BUSY_CPUS:-2}
me=$$
burners=()
stop() {
  for p in "${burners[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  for p in "${burners[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
  return 0
}
trap stop EXIT
trap 'exit 130' INT TERM
for _ in $(seq 1 "$n"); do
  ( while kill -0 "$me" 2>/dev/null; do for ((i = 0; i < 200000; i++)); do :; done; done ) &
  burners+=($!)
done
echo "test-busy: $n CPU burners (pids ${burners[*]}) while running: $*" >&2
t0=$(date +%s)
"$@"
rc=$?
echo "test-busy: exit $rc after $(( $(date +%s) - t0 )) s with $n CPU burners" >&2
exit $rc
