#!/usr/bin/env bash
# The page in a real browser: headless Chromium (driven through
# chromedriver's WebDriver API by web_browser.py) opens the page against the
# sim, signs in with the token (--ui-token-file: a cookie session and its
# CSRF token), sees the insight and the pending proposal, clicks Approve,
# and the sim's deployment changes. Screenshots are kept in $E2E_ARTIFACTS
# (default build/e2e-artifacts): web_browser-pending.png, -approved.png.
source "$(dirname "$0")/lib/web.sh"
command -v chromium >/dev/null && command -v chromedriver >/dev/null \
  || fail "chromium and chromium-driver are needed (scripts/install-deps.sh)"
art=${E2E_ARTIFACTS:-build/e2e-artifacts}
mkdir -p "$art"
rm -f "$art"/web_browser-*.png

start_sim browser --scenario "$WEB_D/s.yaml" --speed 20
kubectl --kubeconfig "$KC" create pdb web-pdb -n shop --selector=app=web --min-available=1 >/dev/null
printf 'browser-token-%s\n' "$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$WEB_D/token"
start_monitor browser --listen 127.0.0.1:0 --ui-token-file "$WEB_D/token"
doc=$(wait_json 120 /api/remediations 'any(.remediations[]; .status == "pending")')
WANT=$(echo "$doc" | jq -r '[.remediations[] | select(.status == "pending")][0] | (.params.memory_limit_after / 1048576 | floor | tostring) + "Mi"')
[ "$(web_limit)" = 128Mi ] || fail "the limit changed before anyone approved: $(web_limit)"
python3 "$(dirname "$0")/web_browser.py" "$URL/" "$art/web_browser" "$WEB_D/chromium-profile" "$(cat "$WEB_D/token")" \
  || fail "the browser run failed"
wait_limit 60 "$WANT"
hist_json "$WEB_D/browser/h.json" > "$WEB_D/hist.json"
jq -e 'any(.[]; .action == "change_limits" and .approval == "web" and .decided_by == "web")' \
  "$WEB_D/hist.json" >/dev/null || fail "the history does not say the page approved it: $(cat "$WEB_D/hist.json")"
[ -s "$art/web_browser-pending.png" ] && [ -s "$art/web_browser-approved.png" ] || fail "no screenshots"
echo "ok: Approve in Chromium raised shop/web's memory limit to $(web_limit); screenshots in $art"
