#!/usr/bin/python3
"""HTTP benchmarks, each beside a same-run baseline. Figures only.

1. Client: many concurrent loopback GETs through the gateway's HTTP client
   (bench/http_client_bench: curl multi-socket on libuv) against plain
   curl multi with its own poll loop (bench/http_load), both hitting the
   gateway's /healthz. Requests/s and peak RSS.
2. Server: webhook POSTs into /webhooks/mock/acme, each answered only after
   its event is committed to the SQLite log (synchronous = full), against
   GET /healthz on the same server (no storage). Requests/s, p50, p99.
3. The same webhook POSTs with the mock plugin in its own child process
   (isolation = "process", issue 17), with the isolated/inline ratio
   (goal >= 70%).

usage: bench/http.py [BUILD_DIR] [REQUESTS] [CONCURRENCY]
"""
import os
import re
import subprocess
import sys
import tempfile
import time

from benchargs import check

check(__doc__, positional=3)

build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
total = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
conc = int(sys.argv[3]) if len(sys.argv) > 3 else 32
bench = os.path.join(build, "bench")


def start_gateway(d, isolation="inline"):
    empty = os.path.join(d, "empty.jsonl")
    open(empty, "w").close()
    cfg = os.path.join(d, "gateway.toml")
    with open(cfg, "w") as f:
        f.write("""[gateway]
data_dir = "var"
plugin_dir = "%s/plugins"
log_level = "info"
[http]
listen = "127.0.0.1:0"
max_connections = 1024
[[account]]
network = "mock"
name = "acme"
isolation = "%s"
  [account.options]
  scenario = "%s"
[[sink]]
name = "archive"
type = "file"
path = "events.jsonl"
""" % (build, isolation, empty))
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


def timed(cmd):
    """Run under /usr/bin/time; returns (stdout line, peak RSS KB)."""
    r = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("%s failed: %s" % (cmd[0], r.stderr))
    return r.stdout.strip(), int(r.stderr.strip().splitlines()[-1])


with tempfile.TemporaryDirectory(prefix="gwbench-") as d:
    gw, port = start_gateway(d)
    try:
        base = "http://127.0.0.1:%d" % port
        print("HTTP client: %d GETs of /healthz, %d in flight" % (total, conc))
        out, rss = timed([os.path.join(bench, "http_load"), base + "/healthz", str(conc),
                          str(total)])
        print("  baseline curl multi + curl_multi_poll : %-48s peak RSS %6d KB" % (out, rss))
        out, rss = timed([os.path.join(bench, "http_client_bench"), base + "/healthz",
                          str(conc), str(total)])
        print("  gateway client (multi-socket on libuv): %-48s peak RSS %6d KB" % (out, rss))

        print("HTTP server: %d requests, %d in flight" % (total, conc))
        out, _ = timed([os.path.join(bench, "http_load"), base + "/healthz", str(conc),
                        str(total)])
        print("  baseline GET /healthz (no storage)          : " + out)
        body = ('[{"type":"mention","visibility":"public","native_id":"wh-{n}",'
                '"text":"@acme bench webhook {n}"}]')
        out, _ = timed([os.path.join(bench, "http_load"), base + "/webhooks/mock/acme",
                        str(conc), str(total), body])
        print("  POST /webhooks/mock/acme (200 after commit) : " + out)
    finally:
        gw.terminate()
        gw.wait()

with tempfile.TemporaryDirectory(prefix="gwbench-") as d:
    gw, port = start_gateway(d, "process")
    try:
        iso, _ = timed([os.path.join(bench, "http_load"),
                        "http://127.0.0.1:%d/webhooks/mock/acme" % port, str(conc), str(total),
                        body])
        print("  the same, mock plugin isolated (process)    : " + iso)
        ratio = float(iso.split()[0]) / float(out.split()[0])
        print("    isolated / inline: %.0f%% of the requests/s%s" % (
            100 * ratio, "" if ratio >= 0.7 else
            " (goal 70%%, missed by %.0f points)" % (100 * (0.7 - ratio))))
    finally:
        gw.terminate()
        gw.wait()
