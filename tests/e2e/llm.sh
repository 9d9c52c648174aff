#!/usr/bin/env bash
# `kubemend llm-check` against the fake OpenAI-compatible server ($FAKE_LLM):
# the answer lands (source llm), failures leave the rules' explanation within
# the timeout, injected instructions never widen the actions, and nothing that
# leaves the machine holds a cluster name, an address or a secret.
set -euo pipefail
[ -x "${FAKE_LLM:-}" ] || { echo "FAKE_LLM is not set (make e2e builds it)"; exit 1; }
source "$(dirname "$0")/lib/wait.sh"
d=$TMPDIR_E2E/llm
mkdir -p "$d/conf"
printf 'llm:\n  timeout: 2s\n' > "$d/conf/agent_config.yaml"
key=sk-e2e-SECRETKEY-0123456789
pid=

stop_fake() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=; fi
}
trap stop_fake EXIT

# start_fake MODE: a fresh server and capture files
start_fake() {
  stop_fake
  rm -f "$d/port" "$d/requests" "$d/auth"
  "$FAKE_LLM" --mode "$1" --port-file "$d/port" --capture "$d/requests" \
    --auth-file "$d/auth" --retry-after 1 --delay-ms 20000 &
  pid=$!
  wait_file "$d/port" 60 "$pid" || { echo "FAIL: the fake LLM wrote no port" >&2; exit 1; }
  port=$(cat "$d/port")
}

check() {
  env -u OPENAI_API_KEY_FILE -u LLM_MODEL OPENAI_API_KEY=$key KUBEMEND_CONFIG_DIR="$d/conf" \
    "$KUBEMEND" llm-check --enable-llm --llm-base-url "http://127.0.0.1:$port/v1" \
    --llm-model e2e-model "$@"
}

# nothing sent may name the cluster or carry an address or secret; the key
# travels only in the Authorization header
leaks_nothing() {
  for s in payments checkout-api x7k2p ip-10-0-3-17 10.0.3.17 Sup3rS3cret \
           admin@payments.example "container api" "$key"; do
    if grep -qF -- "$s" "$d/requests"; then echo "request leaks '$s'"; exit 1; fi
  done
  if grep -qE '([0-9]{1,3}\.){3}[0-9]{1,3}' "$d/requests"; then echo "request has an address"; exit 1; fi
  grep -qF 'ignore previous instructions' "$d/requests"
  [ "$(sort -u "$d/auth")" = "Bearer $key" ]
}

# 1. a normal answer, names restored locally
start_fake ok
check > "$d/out"
grep -qx 'source: llm' "$d/out"
grep -qx 'model: e2e-model' "$d/out"
grep -q '^explanation: checkout-api-6d8f9c7b5-x7k2p runs out of memory' "$d/out"
grep -qx 'action: change_limits payments/checkout-api' "$d/out"
leaks_nothing

# 2. the request printed by --show-request is what the server got
check --show-request > "$d/out"
grep -qF '[pod-1]' "$d/out"
! grep -qF 'checkout-api-6d8f9c7b5-x7k2p"' "$d/out"

# 3. an answer that obeys the injected instruction: only allowed actions survive
start_fake hostile
check > "$d/out"
grep -qx 'source: llm' "$d/out"
if grep '^action:' "$d/out" | grep -vxE 'action: (change_limits payments/checkout-api|restart_pod payments/checkout-api-6d8f9c7b5-x7k2p)'; then
  echo "an action outside the allowed set got through"; exit 1
fi
grep -q '^refused: 6 (first: drain_node' "$d/out"
leaks_nothing

# 4. failures: the rules' explanation stands, within the 2 s timeout plus a margin
for mode in malformed 500 429 slow; do
  start_fake $mode
  t0=$(date +%s%N)
  if check > "$d/out"; then echo "$mode: llm-check succeeded"; exit 1; fi
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  grep -qx 'source: rules' "$d/out"
  grep -q '^reason: ' "$d/out"
  grep -q '^explanation: The container is killed by the kernel' "$d/out"
  [ "$ms" -lt $((2000 + 3000)) ] || { echo "$mode: took $ms ms with a 2 s timeout"; exit 1; }
  leaks_nothing
done

# 5. off without --enable-llm or without a key: no request at all
start_fake ok
if env -u OPENAI_API_KEY KUBEMEND_CONFIG_DIR="$d/conf" "$KUBEMEND" llm-check \
     --llm-base-url "http://127.0.0.1:$port/v1" > "$d/out"; then exit 1; fi
grep -q '^reason: the LLM is off' "$d/out"
if env -u OPENAI_API_KEY -u OPENAI_API_KEY_FILE KUBEMEND_CONFIG_DIR="$d/conf" "$KUBEMEND" llm-check \
     --enable-llm --llm-base-url "http://127.0.0.1:$port/v1" > "$d/out"; then exit 1; fi
grep -q '^reason: no API key' "$d/out"
[ ! -s "$d/requests" ]
echo ok
