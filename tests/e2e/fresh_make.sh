#!/usr/bin/env bash
# The first command a user types on a machine that lacks the -dev packages
# works: `make` and `make demo` in a fresh copy of the repository, with a
# pkg-config that knows nothing until scripts/install-deps.sh has run (the
# script touches $KUBEMEND_DEPS_STAMP when every package is there). A Makefile
# that reads pkg-config's flags before installing links without them and fails.
set -euo pipefail
: "${TMPDIR_E2E:=$(mktemp -d /tmp/kubemend-e2e.XXXXXX)}"
fail() { echo "FAIL: $*" >&2; exit 1; }

root=$(pwd)
real_pkgconfig=$(command -v pkg-config) || fail "no pkg-config on PATH"
fake=$TMPDIR_E2E/fakebin
mkdir -p "$fake"
cat >"$fake/pkg-config" <<EOF
#!/bin/sh
# Fails (as on a fresh machine) until install-deps.sh has touched the stamp.
if [ ! -e "\$KUBEMEND_DEPS_STAMP" ]; then echo "refused \$*" >>"$TMPDIR_E2E/pkg-config.calls"; exit 1; fi
echo "answered \$*" >>"$TMPDIR_E2E/pkg-config.calls"
exec "$real_pkgconfig" "\$@"
EOF
chmod +x "$fake/pkg-config"

# The wrapper really hides the packages until the stamp exists.
! KUBEMEND_DEPS_STAMP=$TMPDIR_E2E/stamp "$fake/pkg-config" --exists jansson || fail "the pkg-config wrapper does not hide packages"
rm -f "$TMPDIR_E2E/pkg-config.calls"

# copy TREE: the files git knows (tracked, and new ones not ignored), as a
# fresh clone of this work tree would have them, without build outputs.
copy() {
  mkdir -p "$1"
  (cd "$root" && git ls-files -z --cached --others --exclude-standard) |
    (cd "$root" && tar --null -T - -cf - 2>/dev/null) | tar -xf - -C "$1"
  [ -f "$1/Makefile" ] && [ ! -e "$1/build" ] && [ ! -e "$1/bin" ] || fail "copy of the tree is incomplete"
}

# first_make DIR ARGS...: runs make as a user would, in a clean environment
# (none of the outer make's variables), with the stamp not yet there.
first_make() {
  local dir=$1; shift
  rm -f "$TMPDIR_E2E/stamp"
  (cd "$dir" && env -i PATH="$fake:$PATH" HOME="${HOME:-/root}" LANG=C.UTF-8 \
     KUBEMEND_DEPS_STAMP="$TMPDIR_E2E/stamp" make -j2 "$@")
}

# 1. `make` (the default goal) in a fresh copy.
copy "$TMPDIR_E2E/a"
first_make "$TMPDIR_E2E/a" >"$TMPDIR_E2E/make.log" 2>&1 || { tail -20 "$TMPDIR_E2E/make.log"; fail "first make failed"; }
[ -e "$TMPDIR_E2E/stamp" ] || fail "make did not run scripts/install-deps.sh"
"$TMPDIR_E2E/a/bin/kubemend" version >/dev/null || fail "the binary make built does not run"
grep -q '^answered --cflags' "$TMPDIR_E2E/pkg-config.calls" || fail "the build never read pkg-config's flags after the install"

# 2. `make demo` on a machine still lacking the packages: what failed was the
# link, so the copy loses its binary (not its objects: one full build per run
# is enough on a busy machine) and the stamp, and make demo must link again
# with the flags read after the install, then run a short demo.
: >"$TMPDIR_E2E/pkg-config.calls"
rm -rf "$TMPDIR_E2E/a/bin"
first_make "$TMPDIR_E2E/a" demo DEMO_ARGS="--seconds 5 --dir $TMPDIR_E2E/demo" </dev/null \
  >"$TMPDIR_E2E/demo.log" 2>&1 || { tail -20 "$TMPDIR_E2E/demo.log"; fail "first make demo failed"; }
grep -q '^== summary' "$TMPDIR_E2E/demo.log" || { tail -20 "$TMPDIR_E2E/demo.log"; fail "make demo printed no summary"; }
grep -q '^answered --cflags' "$TMPDIR_E2E/pkg-config.calls" || fail "make demo never read pkg-config's flags after the install"

# 3. Packages still missing after the install: one clear line, no link error.
rm -f "$TMPDIR_E2E/stamp"
printf '#!/bin/sh\nexit 0\n' >"$TMPDIR_E2E/noop-install"
chmod +x "$TMPDIR_E2E/noop-install"
cp "$TMPDIR_E2E/noop-install" "$TMPDIR_E2E/a/scripts/install-deps.sh"
rm -rf "$TMPDIR_E2E/a/bin"
if (cd "$TMPDIR_E2E/a" && env -i PATH="$fake:$PATH" HOME="${HOME:-/root}" \
     KUBEMEND_DEPS_STAMP="$TMPDIR_E2E/stamp" make all) >"$TMPDIR_E2E/missing.log" 2>&1; then
  fail "make succeeded although pkg-config finds nothing"
fi
grep -q '^make: pkg-config finds no libcurl' "$TMPDIR_E2E/missing.log" || { cat "$TMPDIR_E2E/missing.log"; fail "no clear error for missing packages"; }
! grep -q 'undefined reference' "$TMPDIR_E2E/missing.log" || fail "missing packages ended in a link error"
echo "ok: fresh make and make demo install first, then read pkg-config"
