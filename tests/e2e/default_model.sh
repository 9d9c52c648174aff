#!/usr/bin/env bash
# The shipped default model is what `make model` produces from this code:
# the LSTM trained on the sim's healthy workloads and calibrated on labelled
# sim runs (scripts/make-model.sh) gives the same bytes. And it is the model
# in use: config show names it, calibrated.
set -euo pipefail
scripts/make-model.sh "$KUBEMEND" "$TMPDIR_E2E/default.kmm" "$TMPDIR_E2E/model" > "$TMPDIR_E2E/make-model.txt"
grep -q '^calibration from [0-9]* insights' "$TMPDIR_E2E/make-model.txt"
cmp "$TMPDIR_E2E/default.kmm" models/default.kmm
cmp "$TMPDIR_E2E/default.kmm.loss.svg" models/default.kmm.loss.svg
"$KUBEMEND" config show --config-dir tests/fixtures/monitor > "$TMPDIR_E2E/show.txt"
grep -q '^model in use: models/default.kmm: LSTM 8 features, .*; calibrated' "$TMPDIR_E2E/show.txt"
MODEL_PATH=/nonexistent.kmm "$KUBEMEND" config show --config-dir tests/fixtures/monitor > "$TMPDIR_E2E/show2.txt"
grep -q '^model in use: none (/nonexistent.kmm' "$TMPDIR_E2E/show2.txt"
