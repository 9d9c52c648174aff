#!/usr/bin/env bash
# Project rules that a compiler does not check (DESIGN.md §3 and §6):
#  - every source file includes base/banned.h;
#  - a folder includes headers only from layers below its own, sim/ is
#    reached only from cli/ (and uses base, conf and net only), and so is
#    eval/ (what only scores against ground truth stays out of the product);
#  - files stay under 1,000 lines.
set -u
cd "$(dirname "$0")/.."
rc=0
layer() {
  case $1 in
    base) echo 1 ;; conf|net) echo 2 ;; kube) echo 3 ;; metrics) echo 4 ;;
    detect) echo 5 ;; insight) echo 6 ;; remedy|serve|eval) echo 7 ;; run) echo 8 ;; cli) echo 9 ;;
    sim) echo 3 ;; *) echo 99 ;;
  esac
}
for f in $(find src -name '*.c' | sort); do
  grep -q '#include "base/banned.h"' "$f" || { echo "lint: $f does not include base/banned.h"; rc=1; }
done
for f in $(find src -name '*.[ch]' | sort); do
  dir=$(basename "$(dirname "$f")")
  [ "$dir" = src ] && continue
  mine=$(layer "$dir")
  for inc in $(sed -n 's/^#include "\([a-z]*\)\/.*"/\1/p' "$f" | sort -u); do
    [ "$inc" = "$dir" ] && continue
    theirs=$(layer "$inc")
    if [ "$inc" = sim ] && [ "$dir" != cli ]; then
      echo "lint: $f includes sim/ (only cli/ may)"; rc=1
    elif [ "$inc" = eval ] && [ "$dir" != cli ]; then
      echo "lint: $f includes eval/ (scoring against ground truth; only cli/ may)"; rc=1
    elif [ "$dir" = sim ] && ! [[ "$inc" =~ ^(base|conf|net)$ ]]; then
      echo "lint: $f (sim) includes $inc/ (sim uses base, conf and net only)"; rc=1
    elif [ "$dir" != sim ] && [ "$theirs" -ge "$mine" ]; then
      echo "lint: $f ($dir, layer $mine) includes $inc/ (layer $theirs)"; rc=1
    fi
  done
done
for f in $(find src tests fuzz bench -name '*.[ch]' 2>/dev/null); do
  n=$(wc -l < "$f")
  [ "$n" -gt 1000 ] && { echo "lint: $f has $n lines (keep files under 1,000)"; rc=1; }
done
[ $rc -eq 0 ] && echo "lint: ok"
exit $rc
