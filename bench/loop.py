#!/usr/bin/python3
"""Loop stalls under webhook load. Figures only.

POST /webhooks/mock/acme (each answered 2xx only after its event is
committed, the file sink fsyncing as shipped) with wrk at 16 and 64
connections, with [gateway] synchronous = "full" (shipped) and "normal",
against GET /healthz on the same gateway (same run, no storage). Prints
requests/s, p50, p99, p99/p50, the gateway's CPU time per request
(user + system, which hardly moves when the host takes CPU away), the
loop's longest tick
(gateway_loop_tick_max_seconds from /metrics) and its p99 estimated from
the gateway_loop_tick_seconds histogram (an iteration of 50 ms or more
is also printed as the gateway logged it, with how much of it was spent
on the CPU), and the share of the gateway's
CPU the hypervisor took while wrk ran ("steal", from /proc/stat), and
the largest size of gateway.db-wal seen while wrk ran (read every 0.2 s;
it stays near 16 MiB while checkpoints let the WAL start over). On a
virtual machine a case with steal above a few per cent measured the host
as much as the gateway, and its p99 says little.

With two CPUs or more, wrk (one thread) runs on CPU 0 and the gateway (all
its threads: loop, fsync, checkpoints, libuv workers) on CPU 1, with
taskset, as if the load came from another machine: sharing the cores,
wrk's threads preempt the loop thread for a scheduler slice at a time,
and the p99 measured is the scheduler's (GET /healthz, which touches no
storage, then shows p99 5-22x its p50). --shared-cores runs both unpinned
(wrk with two threads), as before.

usage: bench/loop.py [BUILD_DIR] [SECONDS] [--shared-cores]
needs wrk (apt-get install wrk) and taskset (util-linux)
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import socket
import threading

from benchargs import check
from procstat import cpu_seconds, steal_jiffies, steal_share

check(__doc__, flags=("--shared-cores",))

args = [a for a in sys.argv[1:] if a != "--shared-cores"]
build = os.path.abspath(args[0] if args else "build")
seconds = int(args[1]) if len(args) > 1 else 10
pinned = ("--shared-cores" not in sys.argv and (os.cpu_count() or 1) >= 2
          and shutil.which("taskset") is not None)
GATEWAY_CPU = ["taskset", "-c", "1"] if pinned else []
WRK_CPU = ["taskset", "-c", "0"] if pinned else []

LUA = r"""
-- wrk runs a Lua state per thread: setup numbers them, so ids never clash
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local n = 0
local run = os.time()
request = function()
  n = n + 1
  local id = string.format("%d%d-%d", run, tid, n)
  local body = '[{"type":"mention","visibility":"public","native_id":"wh-' .. id ..
               '","text":"@acme bench webhook ' .. id .. '"}]'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
"""


def start_gateway(d, sync):
    empty = os.path.join(d, "empty.jsonl")
    open(empty, "w").close()
    cfg = os.path.join(d, "gateway.toml")
    with open(cfg, "w") as f:
        f.write("""[gateway]
data_dir = "var"
plugin_dir = "%s/plugins"
log_level = "info"
synchronous = "%s"
[http]
listen = "127.0.0.1:0"
max_connections = 1024
[[account]]
network = "mock"
name = "acme"
  [account.options]
  scenario = "%s"
[[sink]]
name = "archive"
type = "file"
path = "events.jsonl"
""" % (build, sync, empty))
    log = os.path.join(d, "gw.log")
    p = subprocess.Popen(GATEWAY_CPU + [os.path.join(build, "gateway"), "-c", cfg, "run"], cwd=d,
                         stderr=open(log, "w"))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        m = re.search(r"\(port (\d+)\)", open(log).read())
        if m:
            return p, int(m.group(1))
        if p.poll() is not None:
            break
        time.sleep(0.02)
    raise SystemExit("gateway did not start: " + open(log).read())


def ms(v, unit):
    return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url, conns, script=None):
    cmd = ["wrk", "-t", "1" if pinned else "2", "-c", str(conns), "-d", "%ds" % seconds,
           "--latency", url]
    if script:
        cmd[1:1] = ["-s", script]
    cmd = WRK_CPU + cmd
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    pct = {}
    for m in re.finditer(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M):
        pct[int(m.group(1))] = ms(m.group(2), m.group(3))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    done = int(re.search(r"(\d+) requests in", out).group(1))
    return rps, pct[50], pct[99], int(bad.group(1)) if bad else 0, done


STEAL_CPU = "cpu1" if pinned else "cpu"


def ticks(port):
    # a raw GET: bench/http.py shadows the http package for scripts here
    with socket.create_connection(("127.0.0.1", port)) as c:
        c.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        chunks = []
        while True:
            b = c.recv(65536)
            if not b:
                break
            chunks.append(b)
    text = b"".join(chunks).decode()
    mx = float(re.search(r"^gateway_loop_tick_max_seconds (\S+)", text, re.M).group(1))
    buckets = [(float(m.group(1)) if m.group(1) != "+Inf" else float("inf"), int(m.group(2)))
               for m in re.finditer(r'^gateway_loop_tick_seconds_bucket\{le="([^"]+)"\} (\d+)',
                                    text, re.M)]
    total = buckets[-1][1]
    p99 = next(le for le, c in buckets if c >= 0.99 * total)
    return mx * 1000, p99 * 1000, total


def wal_watch(path):
    """Sample path's size every 0.2 s until the returned stop() is called;
    stop() returns the largest size seen, in MiB."""
    done = threading.Event()
    peak = [0]

    def run():
        while not done.wait(0.2):
            try:
                peak[0] = max(peak[0], os.path.getsize(path))
            except OSError:
                pass
    t = threading.Thread(target=run)
    t.start()

    def stop():
        done.set()
        t.join()
        return peak[0] / 1048576
    return stop


def main():
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: install it (apt-get install wrk)")
    with tempfile.TemporaryDirectory(prefix="gwbench-") as d:
        script = os.path.join(d, "post.lua")
        open(script, "w").write(LUA)
        print("webhook -> file, wrk -d %ds, 2xx only after commit, file sink fsync as shipped"
              % seconds)
        print("wrk on CPU 0 (1 thread), the gateway on CPU 1" if pinned else
              "wrk (2 threads) and the gateway sharing every CPU")
        print("%-8s %5s %-16s %9s %8s %8s %7s %7s %10s %12s %5s %6s %8s" % (
            "sync", "conns", "request", "req/s", "p50 ms", "p99 ms", "p99/p50", "CPU us",
            "tick max", "tick p99 <=", "non2xx", "steal", "WAL MiB"))
        for sync in ("full", "normal"):
            for conns in (16, 64):
                wd = os.path.join(d, "%s-%d" % (sync, conns))
                os.mkdir(wd)
                gw, port = start_gateway(wd, sync)
                try:
                    base = "http://127.0.0.1:%d" % port
                    for name, url, s in (("GET /healthz", base + "/healthz", None),
                                         ("POST webhook", base + "/webhooks/mock/acme", script)):
                        before = steal_jiffies(STEAL_CPU)
                        cpu0 = cpu_seconds(gw.pid)
                        stop_watch = wal_watch(os.path.join(wd, "var", "gateway.db-wal"))
                        rps, p50, p99, bad, done = wrk(url, conns, s)
                        wal_mib = stop_watch()
                        cpu_us = (cpu_seconds(gw.pid) - cpu0) * 1e6 / max(done, 1)
                        steal = steal_share(before, steal_jiffies(STEAL_CPU))
                        tmax, tp99, _ = ticks(port)
                        print("%-8s %5d %-16s %9.0f %8.2f %8.2f %7.1f %7.1f %8.2fms %10.2fms %5d "
                              "%5.1f%% %8.1f" % (sync, conns, name, rps, p50, p99, p99 / p50,
                                                 cpu_us, tmax, tp99, bad, steal, wal_mib))
                finally:
                    gw.terminate()
                    gw.wait()
                # the gateway logs an iteration of 50 ms or more, with its CPU share
                for line in open(os.path.join(wd, "gw.log")):
                    if "loop iteration took" in line:
                        print("    " + line.strip())


main()
