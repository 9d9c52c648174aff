#!/usr/bin/env bash
# The shipped default model is what `make model` produces from this code:
# training on the built-in simulated data with seed 1 gives the same bytes.
set -euo pipefail
"$KUBEMEND" train --simulate --seed 1 --quiet --model-out "$TMPDIR_E2E/default.kmm" > "$TMPDIR_E2E/train.txt"
cmp "$TMPDIR_E2E/default.kmm" models/default.kmm
cmp "$TMPDIR_E2E/default.kmm.loss.svg" models/default.kmm.loss.svg
