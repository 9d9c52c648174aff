#!/usr/bin/env bash
# make bench-lstm: kubemend's batched LSTM inference against numpy, same
# network, same 10,000 windows, one core each. Prints ratio_vs_numpy (numpy
# time / kubemend time) and kubemend's GFLOP/s against this core's FP32 peak.
set -euo pipefail
bin=$1 model=$2
dir=$(mktemp -d /tmp/kubemend-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
# one core for both sides
c=$(taskset -c 0 "$bin" "$model" "$dir")
echo "$c"
# Debian's python3 has python3-numpy; another python3 first on PATH may not.
py=/usr/bin/python3
[ -x "$py" ] || py=python3
# The machine may set OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE; numpy runs with
# its own defaults, single-threaded.
n=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 \
    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 taskset -c 0 "$py" bench/lstm_numpy.py "$dir")
echo "$n"
echo "$n" | grep -q '^outputs_equal=yes$' || { echo "bench-lstm: outputs differ" >&2; exit 1; }
cs=$(echo "$c" | sed -n 's/^c_seconds=//p')
ns=$(echo "$n" | sed -n 's/^numpy_seconds=//p')
g=$(echo "$c" | sed -n 's/^c_gflops=//p')
pk=$(echo "$c" | sed -n 's/^peak_measured_gflops=//p')
awk -v g="$g" -v p="$pk" 'BEGIN { if (p > 0) printf "fraction_of_peak=%.2f (%.2f of %.2f GFLOP/s measured FMA peak)\n", g / p, g, p }'
awk -v n="$ns" -v c="$cs" 'BEGIN { printf "ratio_vs_numpy=%.2f\n", n / c }'
