#!/usr/bin/env bash
# A full monitor cycle (collect, CSV, detect, insights) against the sim at
# 1k, 10k and 100k pods, beside the floor measured in the same run: the
# time to download the pod list and the pod metrics list alone (curl, one
# request each, best of 3). Prints per size: the steady cycle (median of
# the cycles after the first), the floor, their ratio (goal <= 3x at 100k),
# the detector's state per pod (goal <= 4 KiB) and the peak RSS per pod
# (from /metrics and /proc), and at 1k and 10k kubectl's time for the same
# data (get pods -A -o json + top pods -A); then whether the cycle grows
# linearly with the pods. Not part of `make test`: minutes, and 100k pods
# need about 2 GiB.
#
#   make bench-cycle                       (all three sizes)
#   bench/cycle.sh 1000 10000              (chosen sizes)
#   CYCLES=6 KUBEMEND=... bench/cycle.sh
set -euo pipefail
cd "$(dirname "$0")/.."
KUBEMEND=${KUBEMEND:-$PWD/bin/kubemend}
CYCLES=${CYCLES:-5}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000 100000)
tmp=$(mktemp -d /tmp/kubemend-cycle.XXXXXX)
sim_pid= mon_pid=
cleanup() {
  [ -n "$mon_pid" ] && kill "$mon_pid" 2>/dev/null
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
now_ms() { date +%s%3N; }
mkdir -p "$tmp/config"   # the defaults: the repo's config/ is another part's business

printf '%8s %10s %9s %7s %12s %12s %11s %9s %13s\n' pods cycle_ms floor_ms ratio state_B/pod rss_B/pod kubectl_ms kc/cycle cycle_us/pod
results=()
for pods in "${sizes[@]}"; do
  nodes=$(( pods / 100 > 1 ? pods / 100 : 1 ))
  d=$tmp/$pods
  mkdir -p "$d"
  "$KUBEMEND" sim --listen 127.0.0.1:0 --kubeconfig-out "$d/kc" --pods "$pods" --nodes "$nodes" --speed 0 \
    >"$d/sim.log" 2>&1 &
  sim_pid=$!
  for _ in $(seq 1 3000); do [ -s "$d/kc" ] && break; sleep 0.1; done
  [ -s "$d/kc" ] || { cat "$d/sim.log"; echo "bench: the sim did not start" >&2; exit 1; }
  server=$(awk '/server:/ {print $2; exit}' "$d/kc")
  token=$(awk '/token:/ {print $2; exit}' "$d/kc")

  # The floor: the two lists, nothing else (gzip asked for, as kubemend does).
  floor=
  for _ in 1 2 3; do
    t0=$(now_ms)
    curl -fsS --compressed -H "Authorization: Bearer $token" "$server/api/v1/pods" -o /dev/null
    curl -fsS --compressed -H "Authorization: Bearer $token" "$server/apis/metrics.k8s.io/v1beta1/pods" -o /dev/null
    t=$(( $(now_ms) - t0 ))
    [ -z "$floor" ] || [ "$t" -lt "$floor" ] && floor=$t
  done

  kc=-
  if [ "$pods" -le 10000 ]; then
    for _ in 1 2; do
      t0=$(now_ms)
      kubectl --kubeconfig "$d/kc" --request-timeout=300s get pods -A -o json >/dev/null
      kubectl --kubeconfig "$d/kc" --request-timeout=300s top pods -A >/dev/null
      t=$(( $(now_ms) - t0 ))
      [ "$kc" = - ] || [ "$t" -lt "$kc" ] && kc=$t
    done
  fi

  # The monitor, as deployed: every stage, the CSV, the insights file, /metrics.
  "$KUBEMEND" monitor -A --kubeconfig "$d/kc" --interval 1 --output-file "$d/m.csv" \
    --insights-file "$d/i.json" --log-dir "$d" --config-dir "$tmp/config" --listen 127.0.0.1:0 --quiet \
    2>"$d/mon.err" &
  mon_pid=$!
  n=0
  for _ in $(seq 1 $((600 + pods / 50))); do
    n=$(cat "$d"/*.log 2>/dev/null | grep -c 'component=collect msg=cycle' || true)
    [ "${n:-0}" -ge "$CYCLES" ] && break
    kill -0 "$mon_pid" 2>/dev/null || { cat "$d/mon.err"; echo "bench: the monitor exited" >&2; exit 1; }
    sleep 0.5
  done
  [ "${n:-0}" -ge "$CYCLES" ] || { echo "bench: only $n cycles at $pods pods" >&2; exit 1; }
  port=$(grep -o 'msg=serving listen=[^ ]* port=[0-9]*' "$d/k8s_monitoring.log" | head -1 | sed 's/.*port=//')
  curl -fsS "http://127.0.0.1:$port/metrics" >"$d/metrics"
  hwm_kb=$(awk '/VmHWM/ {print $2}' "/proc/$mon_pid/status")
  kill -TERM "$mon_pid"; wait "$mon_pid" 2>/dev/null || true; mon_pid=
  kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true; sim_pid=

  # Steady cycles: all but the first (which lists everything), median.
  cycle=$(grep 'component=monitor msg=cycle' "$d/k8s_monitoring.log" | sed 's/.* msg=cycle ms=\([0-9]*\).*/\1/' \
    | tail -n +2 | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}' || true)
  # A build without the per-cycle log line (before issue 17): the latest
  # cycle's gauge, one sample.
  [ -n "$cycle" ] || cycle=$(awk '$1 == "kubemend_cycle_duration_seconds" {printf "%d", $2 * 1000}' "$d/metrics")
  tracked=$(awk '$1 == "kubemend_pods_tracked" {print $2}' "$d/metrics")
  state=$(awk '$1 == "kubemend_detector_pod_state_bytes" {print $2}' "$d/metrics")
  awk -v p="$pods" -v c="$cycle" -v f="$floor" -v s="${state:-0}" -v kb="$hwm_kb" -v t="${tracked:-$pods}" -v k="$kc" 'BEGIN {
    printf "%8d %10d %9d %6.1fx %12d %12.0f %11s %9s %13.1f\n", p, c, f, c / (f ? f : 1), s, kb * 1024 / (t ? t : 1),
      k, (k == "-" ? "-" : sprintf("%.1fx", k / (c ? c : 1))), c * 1000 / p }'
  results+=("$pods $cycle")
  # Where the steady cycles' time goes (medians of the same cycles): collect
  # (requests, parsing, rows), the CSV, detection; and the floor's share.
  for k in collect_ms csv_ms detect_ms; do
    grep 'component=monitor msg=cycle' "$d/k8s_monitoring.log" | tail -n +2 | grep -o " $k=[0-9]*" | cut -d= -f2 \
      | sort -n | awk '{ v[NR] = $1 } END { print (NR ? (NR % 2 ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)) : 0) }'
  done | paste -sd' ' | awk -v f="$floor" '{ printf "%8s stages (median ms): collect %d (%.1fx the floor), csv %d, detect %d\n",
    "", $1, $1 / (f ? f : 1), $2, $3 }'
done
# Linear growth: the cost per pod at the largest size against the smallest
# size of at least 10k (smaller ones are dominated by fixed costs).
printf '%s\n' "${results[@]}" | awk '{p[NR] = $1; c[NR] = $2} END {
  b = 0; for (i = 1; i <= NR; i++) if (p[i] >= 10000) { b = i; break }
  if (!b || b == NR) exit
  r = (c[NR] / p[NR]) / (c[b] / p[b])
  printf "growth: %.2fx the per-pod cost from %d to %d pods (linear: about 1x; flagged above 1.5x)%s\n", r, p[b], p[NR], (r > 1.5 ? "  NOT LINEAR" : "") }'
