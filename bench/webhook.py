#!/usr/bin/python3
"""Webhook sink benchmark beside a same-run baseline. Figures only.

A local receiver (Python's http.server, HTTP/1.1 keep-alive, checking every
Gateway-Signature as docs/sinks.md shows) takes N events:

1. baseline: a bare Python client, in a process of its own, POSTing N
   signed JSON events one at a time over one keep-alive connection (what
   the receiver takes from the simplest sequential sender);
2. the gateway: mock (rate 0, count N) -> SQLite log -> webhook sink, one
   event per request (the default), in order, each confirmed before the
   next;
3. the gateway with batch = 50 (a JSON array per request);
4. 2 and 3 again with the mock plugin in its own child process
   (isolation = "process", issue 17), with the isolated/inline ratio
   (goal >= 70%).

Events/s is N over the time from the first request's arrival to the last
one's, as the receiver saw them.

usage: bench/webhook.py [BUILD_DIR] [EVENTS]
"""
import os
import sys

from benchargs import check  # before the path is cut

if sys.argv[1:2] != ["--client"]:  # the script runs itself as its client
    check(__doc__)
# bench/http.py would shadow the standard library's http package.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != _here]

import hashlib  # noqa: E402
import hmac  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402

build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] != "--client"
                        else "build")
total = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[1] != "--client" else 5000
SECRET = "bench-webhook-secret-0123456789"


class Receiver:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()
        rx = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                f = dict(p.split("=", 1) for p in self.headers.get("Gateway-Signature", "")
                         .split(",") if "=" in p)
                mac = hmac.new(SECRET.encode(), f.get("t", "").encode() + b"." + body,
                               hashlib.sha256).hexdigest()
                ok = hmac.compare_digest(mac, f.get("v1", ""))
                n = body.count(b'"seq":') if ok else 0
                with rx.lock:
                    now = time.monotonic()
                    rx.first = rx.first or now
                    rx.last = now
                    rx.events += n
                    rx.bad += 0 if ok else 1
                self.send_response(200 if ok else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def reset(self):
        with self.lock:
            self.first = self.last = None
            self.events = self.bad = 0

    def wait(self, n, timeout=600):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.events >= n:
                    return n / (self.last - self.first) if self.last > self.first else 0.0
            time.sleep(0.05)
        raise SystemExit("the receiver got %d of %d events" % (self.events, n))


def client(port, n):
    """The baseline's sender, run in a process of its own as the gateway is
    (in the receiver's process it would skip the context switches)."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    for seq in range(1, n + 1):
        body = json.dumps({"id": "mock:%d" % seq, "seq": seq, "type": "mention",
                           "text": "benchmark event %d" % seq}).encode()
        t = str(int(time.time()))
        sig = hmac.new(SECRET.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
        conn.request("POST", "/hook", body, {"Content-Type": "application/json",
                                              "Gateway-Signature": "t=%s,v1=%s" % (t, sig),
                                              "Gateway-Delivery": "bench.%d" % seq})
        conn.getresponse().read()
    conn.close()


def baseline(rx, n):
    subprocess.run([sys.executable, os.path.abspath(__file__), "--client", str(rx.port), str(n)],
                   check=True)
    return rx.wait(n)


def gateway(rx, n, batch, isolation="inline"):
    d = tempfile.mkdtemp(prefix="gw-bench-webhook-")
    cfg = os.path.join(d, "gateway.toml")
    with open(cfg, "w") as f:
        f.write("""[gateway]
data_dir = "var"
plugin_dir = "%s/plugins"
log_level = "warn"
[http]
enabled = false
[[account]]
network = "mock"
name = "acme"
isolation = "%s"
  [account.options]
  rate = 0
  count = %d
[[sink]]
name = "hook"
type = "webhook"
url = "http://127.0.0.1:%d/hook"
secret = "${BENCH_SECRET}"
batch = %d
""" % (build, isolation, n, rx.port, batch))
    env = dict(os.environ, BENCH_SECRET=SECRET)
    p = subprocess.Popen([os.path.join(build, "gateway"), "-c", cfg, "run"], cwd=d, env=env,
                         stderr=open(os.path.join(d, "gw.log"), "w"))
    try:
        return rx.wait(n)
    finally:
        p.terminate()
        p.wait()


def main():
    rx = Receiver()
    base = baseline(rx, total)
    rx.reset()
    one = gateway(rx, total, 1)
    rx.reset()
    fifty = gateway(rx, total, 50)
    rx.reset()
    one_iso = gateway(rx, total, 1, "process")
    rx.reset()
    fifty_iso = gateway(rx, total, 50, "process")
    print("webhook sink, %d events to a local Python receiver checking signatures:" % total)
    print("  baseline (bare Python client process, one at a time): %8.0f events/s" % base)
    print("  gateway webhook sink, one event per request:          %8.0f events/s (%.2fx)"
          % (one, one / base if base else 0))
    print("  gateway webhook sink, batch = 50:                     %8.0f events/s (%.2fx)"
          % (fifty, fifty / base if base else 0))
    for name, inline, iso in (("one event per request", one, one_iso),
                              ("batch = 50", fifty, fifty_iso)):
        ratio = iso / inline if inline else 0
        print("  the same, %-21s mock plugin isolated: %8.0f events/s (%.0f%% of inline%s)"
              % (name + ",", iso, 100 * ratio, "" if ratio >= 0.7 else
                 "; goal 70%%, missed by %.0f points" % (100 * (0.7 - ratio))))
    if rx.bad:
        print("  (%d requests failed the signature check)" % rx.bad)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--client":
        client(int(sys.argv[2]), int(sys.argv[3]))
    else:
        main()
