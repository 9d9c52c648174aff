#!/usr/bin/env bash
# The scale check (bench/sim_scale.sh, `make bench-sim` runs it at 100,000
# pods) at a tenth of the size, so every test run pages kubectl through
# twenty pages of pods and scrapes /metrics for 10,100 pods.
set -euo pipefail
: "${KUBEMEND:?}"
KUBEMEND=$KUBEMEND bench/sim_scale.sh 10000 100
