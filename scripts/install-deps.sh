#!/usr/bin/env bash
# Installs every Debian package kubemend's build, tests and demo need.
# Idempotent: packages already present are skipped, and apt is not touched
# at all when nothing is missing. Runs `apt-get update` before installing.
set -euo pipefail

pkgs=(
  # build
  gcc make pkg-config
  libcurl4-openssl-dev   # net/: HTTP client (TLS, gzip, connection reuse)
  libjansson-dev         # JSON everywhere
  libyaml-dev            # conf/: kubeconfig, config files, sim scenarios
  libmicrohttpd-dev      # net/: HTTP server (sim, monitor endpoints)
  libgnutls28-dev        # net/: client-certificate checks in the HTTP server (libmicrohttpd uses GnuTLS)
  libssl-dev             # net/: generating the sim's CA, server and client certificates
  zlib1g-dev             # gzip of large API responses
  libcmocka-dev          # unit tests
  # tests
  clang libclang-rt-14-dev  # libFuzzer builds and sanitizers
  openssl                # e2e tests inspect generated certificates
  procps                 # ps/pgrep in e2e tests
  iproute2               # e2e: ss shows which process listens on a port (tests/e2e/lib/wait.sh start_on_free_port)
  jq                     # e2e tests read kubectl's JSON output and collect's rows
  curl                   # e2e tests call the sim's API and control endpoints directly
  prometheus             # e2e: a real Prometheus scrapes the sim (collect --prometheus-url reads it) and the monitor's /metrics (loopback, temp storage)
  prometheus-alertmanager  # e2e: a real Alertmanager receives the monitor's alerts (loopback, temp storage)
  python3-numpy          # make bench-lstm: numpy is the peer the LSTM inference is measured against
  chromium chromium-driver  # e2e web_browser: headless Chromium, driven over WebDriver, opens the page at / and clicks Approve
  python3                # e2e: the WebDriver client (web_browser.py) and the loopback webhook receiver (web_notify.py), stdlib only
  libopenblas0-pthread   # make bench-lstm: numpy on OpenBLAS, the strongest peer Debian offers (else reference BLAS flatters us ~6x)
)
# Go (make test-apiserver builds its real kube-apiserver test peer with it; never
# the product): the machine image ships 1.26 in /usr/local/go. Debian's
# golang-go (1.19) is too old for k8s.io/kubernetes v1.35, so it is not
# installed here; tests/apiserver/build.sh fails saying so when Go is missing.
# kubectl: the machine image ships 1.32; Debian's kubernetes-client is the fallback.
command -v kubectl >/dev/null 2>&1 || pkgs+=(kubernetes-client)

# KUBEMEND_DEPS_STAMP: a file touched once every package is there (tests use
# it to see that make ran this script before reading pkg-config's flags).
done_ok() { [ -z "${KUBEMEND_DEPS_STAMP:-}" ] || touch "$KUBEMEND_DEPS_STAMP"; exit 0; }

# One dpkg-query for all packages: every make runs this script first.
installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${pkgs[@]}" 2>/dev/null | awk '/ install ok installed$/ {print $1}' || true)
missing=()
for p in "${pkgs[@]}"; do
  grep -qxF "$p" <<<"$installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && done_ok

echo "install-deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
  command -v sudo >/dev/null 2>&1 || { echo "install-deps: not root and no sudo; please install: ${missing[*]}" >&2; exit 1; }
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
done_ok
