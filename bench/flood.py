#!/usr/bin/python3
"""Flood benchmark: mock plugin -> SQLite log -> file sink, beside a
same-run baseline (bench/baseline_append: the same kind of events built
with jansson and appended with one fsync per batch, without the gateway).

Prints durable events/s and peak RSS for each, and the gateway's idle RSS
with the mock plugin loaded. Figures only; nothing is asserted.

usage: bench/flood.py [BUILD_DIR] [COUNT]
"""
import os
import subprocess
import sys
import tempfile
import time

build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
count = int(sys.argv[2]) if len(sys.argv) > 2 else 200000
gateway = os.path.join(build, "gateway")


def status_kb(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class LineCounter:
    """Counts newlines appended to a file, reading only what is new, so
    polling does not steal the CPU the measured process needs."""

    def __init__(self, path):
        self.path, self.offset, self.count = path, 0, 0

    def __call__(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                chunk = f.read()
        except FileNotFoundError:
            return 0
        self.offset += len(chunk)
        self.count += chunk.count(b"\n")
        return self.count


def config(d, synchronous, rate, cnt, conversations=True):
    text = """[service]
conversations = %s
[gateway]
data_dir = "var"
plugin_dir = "%s/plugins"
log_level = "warn"
synchronous = "%s"
[http]
listen = "127.0.0.1:0"
[[account]]
network = "mock"
name = "acme"
poll_interval = "1s"
  [account.options]
  rate = %s
  count = %d
  batch = 1000
  seed = 42
[[sink]]
name = "archive"
type = "file"
path = "events.jsonl"
batch_size = 1024
fsync = "batch"
max_size = "0"
""" % ("true" if conversations else "false", build, synchronous, rate, cnt)
    p = os.path.join(d, "gateway.toml")
    with open(p, "w") as f:
        f.write(text)
    return p


def flood(synchronous, conversations=True):
    with tempfile.TemporaryDirectory(prefix="gwbench-") as d:
        cfg = config(d, synchronous, 0, count, conversations)
        lines = LineCounter(os.path.join(d, "events.jsonl"))
        t0 = time.monotonic()
        p = subprocess.Popen([gateway, "-c", cfg], cwd=d, stderr=subprocess.DEVNULL)
        peak = 0
        while lines() < count:
            if p.poll() is not None:
                raise SystemExit("gateway exited early")
            peak = max(peak, status_kb(p.pid, "VmHWM"))
            time.sleep(0.05)
        dt = time.monotonic() - t0
        peak = max(peak, status_kb(p.pid, "VmHWM"))
        p.terminate()
        p.wait()
        return count / dt, peak


def baseline():
    with tempfile.TemporaryDirectory(prefix="gwbench-") as d:
        out = subprocess.run(["/usr/bin/time", "-f", "%M", os.path.join(build, "bench",
                                                                        "baseline_append"),
                              str(count), "1024", os.path.join(d, "e.jsonl")],
                             capture_output=True, text=True, check=True)
        return float(out.stdout.strip()), int(out.stderr.strip().splitlines()[-1])


def idle_rss():
    with tempfile.TemporaryDirectory(prefix="gwbench-") as d:
        cfg = config(d, "full", 0.001, 0)
        p = subprocess.Popen([gateway, "-c", cfg], cwd=d, stderr=subprocess.DEVNULL)
        # Let start-up finish (the database is created, the plugin loaded).
        time.sleep(2)
        rss = (status_kb(p.pid, "VmRSS"), status_kb(p.pid, "RssAnon"))
        p.terminate()
        p.wait()
        return rss


print("flood of %d mock events into the file sink (fsync per 1024-event batch)" % count)
b_rate, b_rss = baseline()
print("  baseline  (jansson + append + fdatasync per batch): %9.0f events/s  peak RSS %6d KB"
      % (b_rate, b_rss))
for sync in ("full", "normal"):
    rate, peak = flood(sync)
    print("  gateway   (log synchronous=%-6s, durable)       : %9.0f events/s  peak RSS %6d KB"
          "  (%.2fx baseline)" % (sync, rate, peak, rate / b_rate))
    # the conversation service's cost, same run: [service] conversations = false
    off, off_peak = flood(sync, conversations=False)
    print("  gateway   (same, conversations off)             : %9.0f events/s  peak RSS %6d KB"
          "  (on is %.1f%% slower)" % (off, off_peak, 100.0 * (off - rate) / off))
total, private = idle_rss()
print("idle RSS with the mock plugin loaded: %d KB (private %d KB; the rest is shared library "
      "text)" % (total, private))
