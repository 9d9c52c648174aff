# Shared by tests/e2e/remediate_*.sh: a sim with tests/fixtures/remedy
# scenarios, hand-made insights, history checks. Sourced, not run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/wait.sh"
: "${KUBEMEND:?KUBEMEND is the kubemend binary}"
: "${TMPDIR_E2E:=$(mktemp -d /tmp/kubemend-e2e.XXXXXX)}"
PIDS=()
# The repo's config/ files are another part's business: these tests run on
# the defaults (an empty config directory) plus their flags.
export KUBEMEND_CONFIG_DIR=$TMPDIR_E2E/remedy-config
mkdir -p "$KUBEMEND_CONFIG_DIR"
cleanup() {
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
  done
  return 0
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect() { [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; echo "ok: $1"; }
# hist_json FILE: a history file's records, each in its current state, as
# one JSON array (the file itself is JSON lines: docs/history.md).
hist_json() { "$KUBEMEND" history --json --history-file "$1"; }

# start_sim NAME SCENARIO SPEED [SIM ARGS...]: sets KC, SERVER, TOKEN, TRUTH;
# exports KUBECONFIG.
start_sim() {
  local name=$1 scen=$2 speed=$3
  shift 3
  KC=$TMPDIR_E2E/$name.kubeconfig
  TRUTH=$TMPDIR_E2E/$name.truth.json
  rm -f "$KC"
  "$KUBEMEND" sim --listen 127.0.0.1:0 --kubeconfig-out "$KC" --speed "$speed" \
    --scenario "$scen" --truth-out "$TRUTH" "$@" >"$TMPDIR_E2E/$name.sim.log" 2>&1 &
  PIDS+=($!)
  wait_file "$KC" 120 "${PIDS[-1]}" || { cat "$TMPDIR_E2E/$name.sim.log" >&2; fail "sim $name wrote no kubeconfig"; }
  export KUBECONFIG=$KC
  SERVER=$(awk '/server:/ {print $2; exit}' "$KC")
  TOKEN=$(awk '/token:/ {print $2; exit}' "$KC")
  K="kubectl --cache-dir $TMPDIR_E2E/kcache --request-timeout=20s"
}

sim_advance() {
  curl -fsS -X POST -H "Authorization: Bearer $TOKEN" "$SERVER/sim/v1/advance?seconds=$1" >/dev/null
}

# pods_of NS DEPLOYMENT: the deployment's pod names, one per line.
pods_of() {
  $K get pods -n "$1" -o json | jq -r --arg d "$2" \
    '.items[] | select(.metadata.name | startswith($d + "-")) | select(.metadata.ownerReferences[0].kind == "ReplicaSet") | .metadata.name'
}

# insight ID TYPE NS DEPLOYMENT NODE PROB RECS_JSON [PODS_JSON]: one insight object.
insight() {
  local pods=${8:-null}
  [ "$pods" = null ] && pods=$(pods_of "$3" "$4" | jq -R . | jq -s .)
  jq -n --arg id "$1" --arg type "$2" --arg ns "$3" --arg dep "$4" --arg node "$5" \
    --argjson p "$6" --argjson recs "$7" --argjson pods "$pods" '{
      id: $id, namespace: (if $ns == "" then null else $ns end),
      pod: ($pods[0] // null), pods: $pods,
      node: (if $node == "" then null else $node end),
      owner: {kind: (if $dep == "" then null else "Deployment" end), name: (if $dep == "" then null else $dep end)},
      detected_at: "2026-11-24T05:00:00Z", updated_at: "2026-11-24T05:00:00Z", resolved_at: null,
      probability: $p, severity: "critical", anomaly_type: $type,
      signals: [], evidence: [], summary: "test", recommendations: $recs,
      explanation: {text: "test", source: "rules", model: null},
      model: {name: "kubemend", version: "1"}}'
}

# insights_file FILE INSIGHT...: writes the file.
insights_file() {
  local f=$1; shift
  printf '%s\n' "$@" | jq -s '{generated_at: "2026-11-24T05:00:00Z", insights: .}' >"$f"
}

# rvs NS...: "kind/ns/name rv" of every pod, deployment, replicaset in the namespaces, and nodes.
rvs() {
  for ns in "$@"; do
    $K get pods,deployments,replicasets -n "$ns" -o json |
      jq -r '.items[] | "\(.kind)/\(.metadata.namespace)/\(.metadata.name) \(.metadata.resourceVersion)"'
  done
  $K get nodes -o json | jq -r '.items[] | "Node/\(.metadata.name) \(.metadata.resourceVersion)"'
}

# in_terminal ANSWER OUT ARGS...: runs kubemend ARGS on a pseudo-terminal
# (script(1)), waits for each "[y/N]" prompt and types ANSWER ("" answers
# nothing). The transcript goes to OUT; returns kubemend's exit status.
in_terminal() {
  local answer=$1 out=$2; shift 2
  local fifo=$out.fifo cmd="" a prompts=0
  for a in "$KUBEMEND" "$@"; do cmd+=" $(printf '%q' "$a")"; done
  rm -f "$fifo" "$out"; mkfifo "$fifo"
  script -qfec "$cmd" /dev/null <"$fifo" >"$out" 2>&1 &
  local pid=$!
  exec 7>"$fifo"
  while kill -0 "$pid" 2>/dev/null; do
    local n
    n=$(grep -c '\[y/N\]' "$out" 2>/dev/null || true)
    if [ "${n:-0}" -gt "$prompts" ]; then
      prompts=$n
      sleep 0.2
      [ -n "$answer" ] && printf '%s\r' "$answer" >&7
    fi
    sleep 0.1
  done
  exec 7>&-
  wait "$pid"
}
