#!/usr/bin/env bash
# make fuzz-smoke: every fuzz target under libFuzzer with ASan+UBSan (clang),
# for SECONDS each, starting from its corpus (fuzz/corpus/<name>). New inputs
# go to build-fuzz/corpus-<target> (copy the interesting ones into
# fuzz/corpus/); a crash leaves its input in build-fuzz/artifacts/ and fails
# the run. Usage: fuzz-smoke.sh SECONDS|build TARGET...   (MAKE: the make to use;
# "build" only builds build-fuzz/TARGET, for make fuzz)
set -u
secs=$1; shift
make=${MAKE:-make}
lib=build-fuzz/libkubemend.a
sanflags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
pkg_cflags=$(pkg-config --cflags libcurl jansson yaml-0.1 libmicrohttpd gnutls openssl zlib)
pkg_libs=$(pkg-config --libs libcurl jansson yaml-0.1 libmicrohttpd gnutls openssl zlib)

command -v clang >/dev/null || { echo "fuzz-smoke: clang is missing (scripts/install-deps.sh)" >&2; exit 1; }
"$make" --no-print-directory BUILD=build-fuzz BIN=build-fuzz/bin CC=clang \
  CFLAGS="-O1 -g -fsanitize=fuzzer-no-link $sanflags" "$lib" >/dev/null || { echo "fuzz-smoke: cannot build $lib" >&2; exit 1; }
mkdir -p build-fuzz/artifacts
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
pass=0; fail=0; failed=()
t0=$(date +%s)
for t in "$@"; do
  corpus=fuzz/corpus/${t#fuzz_}
  mkdir -p "$corpus" "build-fuzz/corpus-$t"
  # shellcheck disable=SC2086
  if ! clang -std=c11 -D_GNU_SOURCE -Isrc $pkg_cflags -g -O1 -fsanitize=fuzzer $sanflags \
      "fuzz/$t.c" "$lib" $pkg_libs -lm -lpthread -o "build-fuzz/$t" 2>"build-fuzz/$t.build.log"; then
    fail=$((fail + 1)); failed+=("$t"); echo "FAIL fuzz-smoke/$t (build)"; tail -5 "build-fuzz/$t.build.log" | sed 's/^/    /'
    continue
  fi
  if [ "$secs" = build ]; then
    pass=$((pass + 1)); echo "built build-fuzz/$t"
  elif "build-fuzz/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="build-fuzz/artifacts/$t-" "build-fuzz/corpus-$t" "$corpus" >"build-fuzz/$t.log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "build-fuzz/$t.log")
    pass=$((pass + 1)); echo "ok   fuzz-smoke/$t (${runs:-?} runs in ${secs}s)"
  else
    fail=$((fail + 1)); failed+=("$t"); echo "FAIL fuzz-smoke/$t"
    grep -E "ERROR|runtime error|SUMMARY|Test unit written" "build-fuzz/$t.log" | head -8 | sed 's/^/    /'
  fi
done
echo "fuzz-smoke: $pass passed, $fail failed in $(( $(date +%s) - t0 )) s${failed:+ (${failed[*]})}"
[ "$fail" -eq 0 ]
