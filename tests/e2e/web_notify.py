#!/usr/bin/env python3
"""A loopback webhook receiver for tests/e2e/web_notify.sh (stdlib only).

usage: web_notify.py DIR
Listens on 127.0.0.1:0 and writes the port to DIR/port. Each request is kept
as DIR/req-N.json (path, headers) and DIR/req-N.body (the raw bytes). Paths:
  /flaky   answers 503 to the first request of each X-Kubemend-Delivery, then 200
  /hang    answers after 60 s (a receiver that does not answer)
  else     200"""
import http.server, json, os, signal, sys, threading, time

out = sys.argv[1]
lock = threading.Lock()
count = [0]
seen = set()


class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        with lock:
            count[0] += 1
            i = count[0]
            with open(os.path.join(out, "req-%d.body" % i), "wb") as f:
                f.write(body)
            with open(os.path.join(out, "req-%d.json" % i), "w") as f:
                json.dump({"path": self.path, "headers": dict(self.headers.items())}, f)
            first = self.headers.get("X-Kubemend-Delivery") not in seen
            seen.add(self.headers.get("X-Kubemend-Delivery"))
        if self.path == "/hang":
            time.sleep(60)
        code = 503 if self.path == "/flaky" and first else 200
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"ok" if code == 200 else b"try later")


# a clean exit on SIGTERM: the tests' cleanup waits on it under set -e
signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.daemon_threads = True
with open(os.path.join(out, "port.tmp"), "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(os.path.join(out, "port.tmp"), os.path.join(out, "port"))
srv.serve_forever()
