#!/usr/bin/python3
"""GET /v1/events fan-out: STREAMS concurrent Server-Sent Events clients on
one gateway while EVENTS events are pushed through the mock's webhook in
batches. Figures only, beside a same-run baseline: the idle gateway's RSS.

Reports the gateway's RSS idle (baseline), with every stream open and idle,
and its peak during the flood; the lag from a batch's commit (its webhook's
200) to its last event reaching each client (p50, p99, max over clients x
batches); and whether every client got every event once, in order.

The clients are raw non-blocking sockets (selectors) in four processes, so
the bench needs nothing beyond Python; the real-client-library test is
tests/integration/test_events_stream.py.

usage: bench/sse.py [BUILD_DIR] [STREAMS] [EVENTS] [PAUSE_MS between batches of 100]
"""
import json
import multiprocessing
import os
import re
import selectors
import socket
import subprocess
import sys
import tempfile
import threading
import time

from procstat import cpu_seconds, status_kb  # noqa: E402 (before the path is cut)
from benchargs import check  # noqa: E402 (before the path is cut)

check(__doc__, positional=4)

# bench/http.py beside this file would shadow the standard library's http.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != _here]
import urllib.request  # noqa: E402

build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
streams = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
events = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
pause = float(sys.argv[4]) / 1000 if len(sys.argv) > 4 else 0.01  # between batches
BATCH = 100
WORKERS = 4  # client processes, so the clients' own loop is not what limits the figures
TOKEN = "bench-token-0123456789abcdef"


def start_gateway(d):
    empty = os.path.join(d, "empty.jsonl")
    open(empty, "w").close()
    cfg = os.path.join(d, "gateway.toml")
    with open(cfg, "w") as f:
        f.write("""[gateway]
data_dir = "var"
plugin_dir = "%s/plugins"
log_level = "info"
synchronous = "normal"
[http]
listen = "127.0.0.1:0"
max_connections = %d
[api]
token = "%s"
[[account]]
network = "mock"
name = "acme"
  [account.options]
  scenario = "%s"
[[sink]]
name = "archive"
type = "file"
path = "events.jsonl"
""" % (build, streams + 64, TOKEN, empty))
    log = os.path.join(d, "gw.log")
    p = subprocess.Popen([os.path.join(build, "gateway"), "-c", cfg, "run"], cwd=d,
                         stderr=open(log, "w"))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        m = re.search(r"\(port (\d+)\)", open(log).read())
        if m:
            return p, int(m.group(1))
        time.sleep(0.02)
    raise SystemExit("gateway did not start")


def metric(port, name):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
        m = re.search(r"^%s (\d+)$" % name, r.read().decode(), re.M)
    return int(m.group(1)) if m else 0


class Client:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.sendall(("GET /v1/events HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer %s"
                           "\r\n\r\n" % TOKEN).encode())
        self.sock.setblocking(False)
        self.tail = b""
        self.ids = 0          # frames seen
        self.last = 0         # highest id seen
        self.in_order = True
        self.seen_at = {}     # batch-final seq -> arrival time

    def feed(self, data, now):
        # Compact JSON never holds "id: " (no space after a colon), so the
        # frames' id lines are counted without parsing each one.
        buf = self.tail + data
        cut = buf.rfind(b"\n")
        whole, self.tail = buf[:cut + 1], buf[cut + 1:]
        n = whole.count(b"id: ")
        if n == 0:
            return
        first = int(whole[whole.find(b"id: ") + 4:whole.find(b"\n", whole.find(b"id: "))])
        at = whole.rfind(b"id: ")
        last = int(whole[at + 4:whole.find(b"\n", at)])
        self.in_order &= (self.last == 0 or first == self.last + 1) and last - first + 1 == n
        for seq in range((self.last // BATCH + 1) * BATCH, last + 1, BATCH):
            self.seen_at.setdefault(seq, now)
        self.last = last
        self.ids += n


def reader(port, n, want, ready, results):
    """One client process: n streams, read until each has want events."""
    clients = [Client(port) for _ in range(n)]
    sel = selectors.DefaultSelector()
    for c in clients:
        sel.register(c.sock, selectors.EVENT_READ, c)
    ready.put(n)
    done, start = 0, time.monotonic()
    while done < n and time.monotonic() - start < 300:
        for key, _ in sel.select(timeout=1):
            c = key.data
            try:
                data = c.sock.recv(262144)
            except BlockingIOError:
                continue
            if not data:
                sel.unregister(c.sock)
                continue
            was = c.last
            c.feed(data, time.monotonic())
            if was < want <= c.last:
                done += 1
    results.put([(c.ids, c.in_order, c.seen_at) for c in clients])


def flood(port, commits):
    for b in range(events // BATCH):
        items = [{"type": "mention", "visibility": "public", "native_id": "b%d-%d" % (b, i),
                  "text": "@acme bench item %d of batch %d, about the usual order" % (i, b)}
                 for i in range(BATCH)]
        req = urllib.request.Request("http://127.0.0.1:%d/webhooks/mock/acme" % port,
                                     data=json.dumps(items).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            r.read()
        seq = (b + 1) * BATCH
        commits[seq] = time.monotonic()
        time.sleep(pause)  # a steady stream rather than one burst


def main():
    with tempfile.TemporaryDirectory(prefix="gw-sse-bench-") as d:
        p, port = start_gateway(d)
        try:
            time.sleep(0.5)
            idle = status_kb(p.pid, "VmRSS")
            want = (events // BATCH) * BATCH
            ready, results = multiprocessing.Queue(), multiprocessing.Queue()
            procs = []
            for i in range(WORKERS):
                n = streams // WORKERS + (1 if i < streams % WORKERS else 0)
                procs.append(multiprocessing.Process(target=reader,
                                                     args=(port, n, want, ready, results)))
                procs[-1].start()
            for _ in procs:
                ready.get(timeout=60)
            deadline = time.monotonic() + 60
            while metric(port, "gateway_event_streams_open") < streams:
                if time.monotonic() > deadline:
                    raise SystemExit("not every stream opened")
                time.sleep(0.1)
            time.sleep(0.5)
            with_streams = status_kb(p.pid, "VmRSS")
            commits = {}
            t = threading.Thread(target=flood, args=(port, commits))
            start = time.monotonic()
            cpu0 = cpu_seconds(p.pid)
            t.start()
            clients = []
            for _ in procs:
                clients += results.get(timeout=400)
            elapsed = time.monotonic() - start
            t.join()
            for w in procs:
                w.join()
            cpu = cpu_seconds(p.pid) - cpu0
            peak = status_kb(p.pid, "VmHWM")
            after = status_kb(p.pid, "VmRSS")
            cut = metric(port, "gateway_event_streams_cut_total")
            lags = sorted(seen[s] - commits[s] for _, _, seen in clients for s in seen
                          if s in commits)
            complete = sum(1 for ids, in_order, _ in clients if ids == want and in_order)
            print("SSE fan-out: %d streams, %d events in batches of %d (%.1f s)"
                  % (streams, want, BATCH, elapsed))
            print("  baseline RSS, idle gateway           : %7d KB" % idle)
            print("  RSS with %d idle streams           : %7d KB (+%.1f KB per stream)"
                  % (streams, with_streams, (with_streams - idle) / streams))
            print("  peak RSS during the flood            : %7d KB; after: %d KB" % (peak, after))
            if lags:
                print("  lag commit -> client, p50 / p99 / max: %.1f / %.1f / %.1f ms"
                      % (lags[len(lags) // 2] * 1e3, lags[int(len(lags) * 0.99)] * 1e3,
                         lags[-1] * 1e3))
            span = max(commits.values()) - start if commits else 0
            print("  events pushed                        : %d in %.1f s (%.0f/s), %d frames to write/s"
                  % (want, span, want / span if span else 0,
                     want * streams / span if span else 0))
            print("  frames delivered                     : %d (%.0f/s)"
                  % (sum(c[0] for c in clients), sum(c[0] for c in clients) / elapsed))
            print("  gateway CPU during the flood         : %.1f s of %.1f s (%.0f%% of one core)"
                  % (cpu, elapsed, 100 * cpu / elapsed))
            print("  clients with every event once, in order: %d of %d; streams cut: %d"
                  % (complete, streams, cut))
        finally:
            p.terminate()
            p.wait(timeout=20)


main()
