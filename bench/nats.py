#!/usr/bin/python3
"""NATS sink benchmark beside a same-run baseline. Figures only.

A real nats-server -js (Debian's) on loopback, its store in a temporary
directory, takes N events twice:

1. the gateway: mock (rate 0, count N) -> SQLite log -> nats sink
   (create_stream, batch_size 1024: a batch published pipelined, the next
   one once every PubAck of it is in), into stream SOCIAL;
2. the gateway's sink alone: a log already holding N events (a first run
   without sinks), drained by a nats sink added afterwards;
3. baseline: bench/nats_publish.c, a bare libnats asynchronous publisher
   with at most 1024 messages awaiting their PubAck, each with a
   Nats-Msg-Id, the same number of messages of the gateway's mean event
   size, into stream BASE.

The gateway's events/s is N over the time from the first event seen in
the stream to the N-th (polled every 20 ms through tests/tools/nats_tool);
the baseline's is N over its first publish to its last PubAck.

usage: bench/nats.py [BUILD_DIR] [EVENTS]
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from benchargs import check

check(__doc__)

build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
total = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "integration"))
os.environ.setdefault("GW_BUILD_DIR", build)
from natsserver import NatsServer  # noqa: E402


def write_config(d, n, sink):
    cfg = os.path.join(d, "gateway.toml")
    with open(cfg, "w") as f:
        f.write("""[gateway]
data_dir = "var"
plugin_dir = "%s/plugins"
log_level = "warn"
[http]
listen = "127.0.0.1:0"
[[account]]
network = "mock"
name = "acme"
poll_interval = "100ms"
  [account.options]
  rate = 0
  count = %d
  batch = 1000
%s""" % (build, n, sink))
    return cfg


def run_until(d, cfg, done):
    """Run the gateway until done() is true; returns done's last value."""
    err = open(os.path.join(d, "gateway.stderr"), "ab")
    proc = subprocess.Popen([os.path.join(build, "gateway"), "-c", cfg, "run"], cwd=d,
                            stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.monotonic() + 600
    try:
        while time.monotonic() < deadline:
            value = done()
            if value:
                return value
            time.sleep(0.02)
        raise SystemExit("timed out; see %s/gateway.stderr" % d)
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def timed_stream(srv, stream, n):
    """A done() for run_until: (first, last) times the stream held >0 and n events."""
    seen = {}

    def done():
        count = srv.count(stream)
        now = time.monotonic()
        if count > 0:
            seen.setdefault("first", now)
        return (seen["first"], now) if count >= n else None
    return done


def gateway(srv, d, n):
    """End to end: the mock floods, the sink follows."""
    sink = ('[[sink]]\nname = "bus"\ntype = "nats"\nurl = "%s"\nstream = "SOCIAL"\n'
            'create_stream = true\n' % srv.url)
    first, last = run_until(d, write_config(d, n, sink), timed_stream(srv, "SOCIAL", n))
    sizes = [len(json.dumps(m["event"], separators=(",", ":")))
             for m in srv.messages("SOCIAL")[:200]]
    return n / (last - first) if last > first else 0.0, sum(sizes) // len(sizes)


def drain(srv, n):
    """The sink alone: the log already holds n events (a first run without
    sinks), a nats sink added afterwards starts from seq 0."""
    d = tempfile.mkdtemp(prefix="gw-bench-nats-drain-")
    try:
        db = os.path.join(d, "var", "gateway.db")
        run_until(d, write_config(d, n, ""), lambda: os.path.exists(db) and logged(db) >= n)
        sink = ('[[sink]]\nname = "drain"\ntype = "nats"\nurl = "%s"\nstream = "DRAIN"\n'
                'subject = "drain.{network}.{account}.{type}"\ncreate_stream = true\n' % srv.url)
        first, last = run_until(d, write_config(d, n, sink), timed_stream(srv, "DRAIN", n))
        return n / (last - first) if last > first else 0.0
    finally:
        shutil.rmtree(d, ignore_errors=True)


def logged(db):
    import sqlite3
    try:
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=1)
        try:
            return con.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def baseline(srv, n, size):
    out = subprocess.run([os.path.join(build, "bench", "nats_publish"), srv.url, "BASE",
                          "bench.base", str(n), str(size), "1024"],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["events_per_s"]


def main():
    d = tempfile.mkdtemp(prefix="gw-bench-nats-")
    srv = NatsServer(d).start()
    try:
        rate, size = gateway(srv, d, total)
        drained = drain(srv, total)
        base = baseline(srv, total, size)
    finally:
        srv.stop()
        shutil.rmtree(d, ignore_errors=True)
    print("nats sink, %d events of %d bytes (mean) into a JetStream file stream on loopback:"
          % (total, size))
    print("  baseline  bare libnats async publisher (window 1024)  %9.0f events/s" % base)
    print("  gateway   nats sink draining a full log (batch 1024)   %9.0f events/s  (%.0f%%)"
          % (drained, 100.0 * drained / base if base else 0))
    print("  gateway   mock -> log -> nats sink, end to end         %9.0f events/s  (%.0f%%)"
          % (rate, 100.0 * rate / base if base else 0))


if __name__ == "__main__":
    main()
