#!/usr/bin/env python3
"""Drives headless Chromium through chromedriver's WebDriver HTTP API (the
W3C protocol, stdlib only): opens the page, waits until it shows the open
insight and the pending proposal, saves a screenshot, clicks Approve and
waits for the page to say it was approved.

usage: web_browser.py URL SCREENSHOT_PREFIX USER_DATA_DIR [TOKEN]
With TOKEN the page must ask for it first (sign-in form), as it does when
the monitor has --ui-token-file.
Exit 0 on success; 1 with a reason on stderr otherwise."""
import base64, json, re, subprocess, sys, time, urllib.request

url, shot, profile = sys.argv[1], sys.argv[2], sys.argv[3]
token = sys.argv[4] if len(sys.argv) > 4 else None
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1400,1100", "--user-data-dir=" + profile]


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


drv = subprocess.Popen(["chromedriver", "--port=0"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
port = None
deadline = time.time() + 30
while time.time() < deadline:
    line = drv.stdout.readline()
    if not line:
        break
    m = re.search(r"started successfully on port (\d+)", line)
    if m:
        port = int(m.group(1))
        break
if not port:
    drv.kill()
    fail("chromedriver did not say which port it listens on")
base = "http://127.0.0.1:%d" % port


class Stale(Exception):
    """The page re-rendered the element between finding and using it."""


def call(method, path, body=None, timeout=60):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read() or b"{}").get("value")
    except urllib.error.HTTPError as e:
        body = e.read()
        if b"stale element" in body or b"no such element" in body:
            raise Stale()
        fail("%s %s: HTTP %d %s" % (method, path, e.code, body[:400]))


sid = None
try:
    caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
        "binary": "/usr/bin/chromium", "args": FLAGS}}}}
    sid = call("POST", "/session", caps, timeout=120)["sessionId"]
    S = "/session/" + sid
    call("POST", S + "/url", {"url": url})

    def find_all(css):
        return [list(e.values())[0] for e in
                call("POST", S + "/elements", {"using": "css selector", "value": css})]

    def text(css):
        for _ in range(20):
            try:
                return "\n".join(call("GET", S + "/element/%s/text" % e) for e in find_all(css))
            except Stale:
                time.sleep(0.1)
        return ""

    def wait(what, pred, secs):
        end = time.time() + secs
        while time.time() < end:
            try:
                v = pred()
            except Stale:
                v = None
            if v:
                return v
            time.sleep(0.3)
        fail("the page never showed " + what + "; it shows:\n" + text("body")[:2000])

    if token:
        def login_form():
            forms = find_all("#login")
            if forms and call("GET", S + "/element/%s/displayed" % forms[0]):
                return forms
            return None
        wait("the sign-in form", login_form, 30)
        field = find_all("#token")[0]
        call("POST", S + "/element/%s/value" % field, {"text": token})
        call("POST", S + "/element/%s/click" % find_all("#login button")[0], {})
        wait("the sign-in form gone", lambda: not call("GET", S + "/element/%s/displayed" % find_all("#login")[0]), 30)
        print("signed in with the token")
    ins = wait("the open insight", lambda: (lambda t: t if "oom" in t or "memory" in t else None)(text("#insights .card")), 120)
    pend = wait("the pending proposal with its change",
                lambda: (lambda t: t if "change_limits" in t and "MiB" in t else None)(text("#pending .card.pending")), 120)
    wait("the pods' sparklines", lambda: find_all("#pods svg.spark polyline"), 30)
    png = call("GET", S + "/screenshot")
    with open(shot + "-pending.png", "wb") as f:
        f.write(base64.b64decode(png))
    print("page shows insight: " + ins.splitlines()[0])
    print("page shows proposal: " + pend.splitlines()[0])
    def click_approve():
        buttons = find_all("#pending .card.pending button.approve")
        if not buttons:
            return None
        call("POST", S + "/element/%s/click" % buttons[0], {})
        return True
    wait("an Approve button that takes the click", click_approve, 30)
    done = wait("the decision", lambda: (lambda t: t if "approved" in t else None)(text("#pending .msg, #history")), 30)
    print("page says: " + done.splitlines()[0])
    # the record leaves "pending" and shows up in the history as acted on
    wait("the record in the history", lambda: (lambda t: t if re.search(r"\bweb\b", t) and
         re.search(r"executing|succeeded|unverified", t) else None)(text("#history")), 60)
    png = call("GET", S + "/screenshot")
    with open(shot + "-approved.png", "wb") as f:
        f.write(base64.b64decode(png))
finally:
    if sid:
        try:
            call("DELETE", "/session/" + sid, timeout=30)
        except SystemExit:
            pass
    drv.terminate()
    try:
        drv.wait(timeout=10)
    except subprocess.TimeoutExpired:
        drv.kill()
