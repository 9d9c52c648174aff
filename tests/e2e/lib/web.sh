# Shared by tests/e2e/web_*.sh: a sim whose shop/web is killed for memory,
# a monitor serving the page with --approval web, and waits on what the page
# and API show. Sourced, not run.
source "$(dirname "${BASH_SOURCE[0]}")/collect.sh"
need_sim

WEB_D=$TMPDIR_E2E
mkdir -p "$WEB_D/conf"
printf 'verify_window: 6s\n' > "$WEB_D/conf/agent_config.yaml"
shop_oom_scenario "$WEB_D/s.yaml" 3 200Mi 2m

# web_limit: shop/web's memory limit now.
web_limit() {
  kubectl --kubeconfig "$KC" get deploy -n shop web \
    -o jsonpath='{.spec.template.spec.containers[0].resources.limits.memory}'
}

# start_monitor NAME ARGS...: a monitor of the sim on 127.0.0.1:0 with
# --approval web; sets URL (http://127.0.0.1:PORT) and MON_LOG.
start_monitor() {
  local name=$1; shift
  MON_LOG=$WEB_D/$name/k8s_monitoring.log
  mkdir -p "$WEB_D/$name"
  "$KUBEMEND" monitor --kubeconfig "$KC" -A --interval 1s --approval web \
    --output-file "$WEB_D/$name/p.csv" --insights-file "$WEB_D/$name/p.json" \
    --history-file "$WEB_D/$name/h.json" --log-dir "$WEB_D/$name" \
    --config-dir "$WEB_D/conf" --quiet "$@" </dev/null >"$WEB_D/$name/out" 2>&1 &
  PIDS+=($!)
  local port=
  for _ in $(seq 1 300); do
    port=$(grep -o 'msg=serving.* port=[0-9]*' "$MON_LOG" 2>/dev/null | grep -o '[0-9]*$' | head -1 || true)
    [ -n "$port" ] && break
    kill -0 "${PIDS[-1]}" 2>/dev/null || { cat "$WEB_D/$name/out" >&2; fail "monitor $name exited"; }
    sleep 0.1
  done
  [ -n "$port" ] || fail "monitor $name does not say which port it serves"
  URL=http://127.0.0.1:$port
}

# wait_json SECONDS PATH JQ [CURL ARGS...]: polls URL/PATH until jq -e JQ holds; prints the document.
wait_json() {
  local secs=$1 path=$2 filter=$3; shift 3
  local doc=
  for _ in $(seq 1 $((secs * 5))); do
    doc=$(curl -fsS "$@" "$URL$path" 2>/dev/null || true)
    if [ -n "$doc" ] && echo "$doc" | jq -e "$filter" >/dev/null 2>&1; then
      echo "$doc"
      return 0
    fi
    sleep 0.2
  done
  fail "$path never satisfied $filter; last: $doc"
}

# wait_limit SECONDS VALUE: until shop/web's memory limit is VALUE.
wait_limit() {
  for _ in $(seq 1 $(($1 * 5))); do
    [ "$(web_limit)" = "$2" ] && return 0
    sleep 0.2
  done
  fail "shop/web's memory limit is $(web_limit), not $2"
}
