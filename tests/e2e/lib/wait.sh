# Readiness and port helpers for end-to-end tests. Sourced, not run.
#
# The rule (DESIGN.md section 8): wait on readiness, never race a fixed
# sleep; let our own servers pick port 0 and read the port back; for servers
# we do not own (Prometheus, Alertmanager) take a port the kernel says is
# free and start again on another when it was taken meanwhile. Every wait has
# a deadline, which is an upper bound for a busy machine, not a sleep: the
# helpers return as soon as the condition holds, and early (with the log)
# when the process they wait for has died.
#
#   wait_until SECS CMD...          retries CMD (quietly) until it succeeds; 1 on timeout
#   wait_file FILE SECS [PID]       until FILE is non-empty; 1 on timeout or when PID died
#   wait_port PORT SECS [PID]       until 127.0.0.1:PORT accepts a connection
#   wait_ready URL SECS [PID]       until URL answers 2xx (e.g. /-/ready, /readyz)
#   free_port                       prints a loopback port that was free a moment ago
#   start_on_free_port VAR URLPATH SECS LOG CMD... ({PORT} in CMD is the port)
#                                   starts CMD in the background on a free port and
#                                   waits until http://127.0.0.1:PORT URLPATH answers
#                                   from that very process; retries on another port
#                                   when the port was taken. Sets VAR to the port,
#                                   STARTED_PID to the pid, appends it to PIDS.
#   log_port LOGFILE SECS [PID]     prints the port a kubemend server logged
#                                   (msg=serving ... port=N), e.g. after --listen 127.0.0.1:0
#
# E2E_WAIT_SCALE (default 1) multiplies every deadline for very slow machines.

# deadline SECS: the wall-clock second (bash's $SECONDS) a wait gives up at.
e2e_deadline() {
  local s=$1
  s=$(awk -v s="$s" -v k="${E2E_WAIT_SCALE:-1}" 'BEGIN { printf "%d", s * k + 0.999 }')
  echo $(( SECONDS + s ))
}

wait_until() {
  local end; end=$(e2e_deadline "$1"); shift
  while :; do
    "$@" >/dev/null 2>&1 && return 0
    [ "$SECONDS" -lt "$end" ] || return 1
    sleep 0.1
  done
}

# alive PID: true when PID is empty or names a live process.
e2e_alive() { [ -z "${1:-}" ] || kill -0 "$1" 2>/dev/null; }

wait_file() {
  local f=$1 end pid=${3:-}; end=$(e2e_deadline "$2")
  while [ ! -s "$f" ]; do
    e2e_alive "$pid" || { [ -s "$f" ] && return 0; return 1; }
    [ "$SECONDS" -lt "$end" ] || return 1
    sleep 0.05
  done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local port=$1 end pid=${3:-}; end=$(e2e_deadline "$2")
  until port_open "$port"; do
    e2e_alive "$pid" || return 1
    [ "$SECONDS" -lt "$end" ] || return 1
    sleep 0.1
  done
}

wait_ready() {
  local url=$1 end pid=${3:-}; end=$(e2e_deadline "$2")
  until curl -fsS -o /dev/null --max-time 5 "$url" 2>/dev/null; do
    e2e_alive "$pid" || return 1
    [ "$SECONDS" -lt "$end" ] || return 1
    sleep 0.1
  done
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# listens PORT PID: PID (or a thread or child of it) holds the listening socket on PORT.
e2e_listens() {
  local out
  out=$(ss -Hltnp "sport = :$1" 2>/dev/null) || return 0   # no ss: trust the answer
  grep -q "pid=$2," <<<"$out"
}

start_on_free_port() {
  local _v=$1 _path=$2 _secs=$3 _log=$4; shift 4
  local _try _port _pid _args _a
  for _try in 1 2 3 4 5; do
    # E2E_TAKEN_PORT (tests of this file): the first try gets a port known to be taken.
    if [ "$_try" = 1 ] && [ -n "${E2E_TAKEN_PORT:-}" ]; then _port=$E2E_TAKEN_PORT; else _port=$(free_port); fi
    _args=()
    for _a in "$@"; do _args+=("${_a//\{PORT\}/$_port}"); done
    "${_args[@]}" >"$_log" 2>&1 &
    _pid=$!
    if wait_ready "http://127.0.0.1:$_port$_path" "$_secs" "$_pid"; then
      if e2e_listens "$_port" "$_pid"; then
        PIDS+=("$_pid")
        STARTED_PID=$_pid
        printf -v "$_v" '%s' "$_port"
        return 0
      fi
      # Another process answered on that port: ours lost the race for it.
      kill "$_pid" 2>/dev/null; wait "$_pid" 2>/dev/null || true
    elif kill -0 "$_pid" 2>/dev/null; then
      kill "$_pid" 2>/dev/null; wait "$_pid" 2>/dev/null || true
      echo "start_on_free_port: $1 not ready in ${_secs}s:" >&2; tail -5 "$_log" >&2; return 1
    else
      wait "$_pid" 2>/dev/null || true
      grep -qi 'address already in use' "$_log" || { echo "start_on_free_port: $1 exited:" >&2; tail -5 "$_log" >&2; return 1; }
    fi
    echo "start_on_free_port: port $_port was taken, trying another (attempt $_try)" >&2
  done
  return 1
}

log_port() {
  local log=$1 end pid=${3:-} p; end=$(e2e_deadline "$2")
  while :; do
    p=$(sed -n 's/.*msg=serving .*port=\([0-9][0-9]*\).*/\1/p' "$log" 2>/dev/null | tail -1)
    [ -n "$p" ] && [ "$p" != 0 ] && { echo "$p"; return 0; }
    e2e_alive "$pid" || return 1
    [ "$SECONDS" -lt "$end" ] || return 1
    sleep 0.05
  done
}
