#!/usr/bin/python3
"""Many accounts on one core: the gateway with BASE accounts, then with
COUNT accounts, in the same run, each account fetching one URL of a
loopback fake over HTTP at INTERVAL (the test plugin probe,
build/tests/testplugins/probe.so: one GET through the host's HTTP client
per fetch, an empty JSON array back, so what is measured is the host's
per-account cost, not a network's parsing).

For each run it prints the start-up time (exec to the first 200 of
/readyz), VmRSS and RssAnon once started and after the measured
intervals, the CPU share over ROUNDS intervals (from /proc/PID/stat), the
peak request rate seen by the fake and the spread of the first fetches,
and from the fake's request log whether every account fetched within
each interval (no starvation: the longest gap between two fetches of one
account, and the accounts that never fetched). The cost per added
account is (COUNT run - BASE run) / (COUNT - BASE). First, the idle
VmRSS and RssAnon with one mock account (the HTTP client never made, so
curl_global_init never runs) beside one probe account after its first
fetch. Figures only; nothing is asserted.

usage: bench/accounts.py [BUILD_DIR] [COUNT] [--base N] [--interval S] [--rounds R]
"""
import os
import sys

from procstat import cpu_seconds, status_kb  # before the path is cut
from benchargs import check  # before the path is cut

check(__doc__, valued=("--base", "--interval", "--rounds"))

# bench/http.py would shadow the standard library's http (urllib uses it).
sys.path = [x for x in sys.path if os.path.abspath(x or ".") != os.path.dirname(
    os.path.abspath(__file__))]

import asyncio  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402

args = sys.argv[1:]


def take(name, default):
    if "--" + name not in args:
        return default
    i = args.index("--" + name)
    value = args[i + 1]
    del args[i:i + 2]
    return type(default)(value)


base = take("base", 1000)
interval = take("interval", 60.0)
rounds = take("rounds", 2)
build = os.path.abspath(args[0] if len(args) > 0 else "build")
count = int(args[1]) if len(args) > 1 else 10000
gateway = os.path.join(build, "gateway")
probe_dir = os.path.join(build, "tests", "testplugins")


class Fake:
    """A loopback HTTP/1.1 server (keep-alive) answering [] to GET /a/<n>
    and logging (monotonic time, n) per request. asyncio in a thread of
    this process: it keeps up with thousands of requests a second, so the
    gateway, not the fake, is what is measured."""

    def __init__(self):
        self.log = []
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        self.ready.wait()

    def run(self):
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(
            asyncio.start_server(self.handle, "127.0.0.1", 0, backlog=1024))
        self.port = self.server.sockets[0].getsockname()[1]
        self.ready.set()
        self.loop.run_forever()

    async def handle(self, reader, writer):
        body = b"[]"
        answer = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(body)) + body
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1]
                if path.startswith(b"/a/"):
                    self.log.append((time.monotonic(), int(path[3:])))
                writer.write(answer)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, IndexError):
            pass
        writer.close()

    def take_log(self):
        log, self.log = self.log, []
        return log


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def config(d, n, fake_port, http_port):
    parts = ['[gateway]\ndata_dir = "var"\nplugin_dir = "%s"\nlog_level = "warn"\n'
             '[http]\nlisten = "127.0.0.1:%d"\n[api]\ntoken = "${GATEWAY_API_TOKEN}"\n'
             '[[sink]]\nname = "archive"\ntype = "file"\npath = "events.jsonl"\n'
             % (probe_dir, http_port)]
    for i in range(n):
        parts.append('[[account]]\nnetwork = "probe"\nname = "a%d"\npoll_interval = "%ds"\n'
                     '  [account.options]\n  url = "http://127.0.0.1:%d/a/%d"\n'
                     % (i, int(interval), fake_port, i))
    p = os.path.join(d, "gateway.toml")
    with open(p, "w") as f:
        f.write("".join(parts))
    return p


def get(url, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except OSError:
        return None, b""


TOKEN = "bench-accounts-token-0123456789"
os.environ["GATEWAY_API_TOKEN"] = TOKEN  # the gateways read [api] token from it


def timed_get(url, token=None):
    t0 = time.monotonic()
    if token:
        url = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
    status, body = get(url, timeout=60)
    return status, len(body), time.monotonic() - t0


def run(fake, n):
    with tempfile.TemporaryDirectory(prefix="gwbench-") as d:
        http_port = free_port()
        cfg = config(d, n, fake.port, http_port)
        fake.take_log()
        t0 = time.monotonic()
        p = subprocess.Popen([gateway, "-c", cfg], cwd=d, stderr=open(os.path.join(d, "log"), "w"))
        while get("http://127.0.0.1:%d/readyz" % http_port, timeout=2)[0] != 200:
            if p.poll() is not None:
                raise SystemExit("gateway exited early:\n" + open(os.path.join(d, "log")).read())
            time.sleep(0.05)
        t_ready = time.monotonic()
        r = {"n": n, "startup": t_ready - t0, "rss0": status_kb(p.pid, "VmRSS"),
             "anon0": status_kb(p.pid, "RssAnon")}
        # The first interval spreads the first fetches; measure the next ones.
        time.sleep(interval)
        cpu0, w0 = cpu_seconds(p.pid), time.monotonic()
        time.sleep(interval * rounds)
        cpu1, w1 = cpu_seconds(p.pid), time.monotonic()
        r["cpu"] = (cpu1 - cpu0) / (w1 - w0)
        r["cpu_start"] = cpu0
        r["rss"], r["anon"] = status_kb(p.pid, "VmRSS"), status_kb(p.pid, "RssAnon")
        r["hwm"] = status_kb(p.pid, "VmHWM")
        r["metrics"] = timed_get("http://127.0.0.1:%d/metrics" % http_port)
        r["readyz"] = timed_get("http://127.0.0.1:%d/readyz" % http_port)
        r["list"] = timed_get("http://127.0.0.1:%d/v1/accounts" % http_port, TOKEN)
        t_stop = time.monotonic()
        p.terminate()
        r["exit"] = p.wait()
        r["stop"] = time.monotonic() - t_stop
        log = fake.take_log()
        r.update(analyse(log, n, t0, t_ready, w1))
        return r


def analyse(log, n, t0, t_ready, t_end):
    by_acct = {}
    per_second = {}
    for t, a in log:
        by_acct.setdefault(a, []).append(t)
        per_second[int(t - t0)] = per_second.get(int(t - t0), 0) + 1
    firsts = sorted(ts[0] - t0 for ts in by_acct.values())
    gaps = [b - a for ts in by_acct.values() for a, b in zip(ts, ts[1:])]
    # The last fetch of each account to the end of the measurement: an
    # account starved at the end shows here, not in its gaps.
    tails = [t_end - ts[-1] for ts in by_acct.values()]
    return {
        "fetched": len(by_acct), "requests": len(log),
        "never": n - len(by_acct),
        "first_min": firsts[0] if firsts else 0, "first_max": firsts[-1] if firsts else 0,
        "peak_rps": max(per_second.values()) if per_second else 0,
        "gap_min": min(gaps) if gaps else 0, "gap_max": max(gaps) if gaps else 0,
        "tail_max": max(tails) if tails else 0,
    }


def idle(fake, network):
    """VmRSS and RssAnon of a gateway idling with one account: a mock one
    (no HTTP client is made, so curl_global_init and the TLS library it
    initialises never run) or a probe one, measured after its first fetch
    (the client made, curl and its TLS library initialised)."""
    with tempfile.TemporaryDirectory(prefix="gwbench-") as d:
        http_port = free_port()
        cfg = config(d, 1 if network == "probe" else 0, fake.port, http_port)
        if network == "mock":
            with open(cfg, "a") as f:
                f.write('[[account]]\nnetwork = "mock"\nname = "idle"\npoll_interval = "60s"\n'
                        '  [account.options]\n  count = 1\n')
            with open(cfg) as f:
                text = f.read().replace(probe_dir, os.path.join(build, "plugins"))
            with open(cfg, "w") as f:
                f.write(text)
        fake.take_log()
        p = subprocess.Popen([gateway, "-c", cfg], cwd=d, stderr=subprocess.DEVNULL)
        while get("http://127.0.0.1:%d/readyz" % http_port, timeout=2)[0] != 200:
            time.sleep(0.05)
        while network == "probe" and not fake.log:
            time.sleep(0.05)
        time.sleep(2)  # settle: the database created, the first fetch done
        rss = status_kb(p.pid, "VmRSS"), status_kb(p.pid, "RssAnon")
        p.terminate()
        p.wait()
        return rss


def show(r):
    print("  %6d accounts: start-up %.2f s; RSS %d KB (anon %d KB) started, %d KB (anon %d KB) "
          "after %d intervals, peak %d KB" % (r["n"], r["startup"], r["rss0"], r["anon0"],
                                              r["rss"], r["anon"], rounds + 1, r["hwm"]))
    print("          CPU %.1f%% of one core over %d x %.0f s (%.2f s CPU before, start-up "
          "included)" % (100 * r["cpu"], rounds, interval, r["cpu_start"]))
    print("          fetches: %d by %d accounts (%d never fetched); first fetch %.1f-%.1f s "
          "after exec; peak %d req/s" % (r["requests"], r["fetched"], r["never"],
                                         r["first_min"], r["first_max"], r["peak_rps"]))
    print("          gap between one account's fetches %.1f-%.1f s (interval %.0f s); longest "
          "since the last fetch at the end %.1f s" % (r["gap_min"], r["gap_max"], interval,
                                                      r["tail_max"]))
    print("          GET /metrics: %s, %d bytes in %.3f s; GET /readyz: %s, %d bytes in %.3f s; "
          "GET /v1/accounts: %s, %d bytes in %.3f s" % (r["metrics"] + r["readyz"] + r["list"]))
    print("          SIGTERM to exit (status %d): %.2f s" % (r["exit"], r["stop"]))


print("accounts: probe accounts fetching http://127.0.0.1/a/<n> every %.0f s; baseline %d, "
      "measured %d, in the same run" % (interval, base, count))
fake = Fake()
mock_idle, probe_idle = idle(fake, "mock"), idle(fake, "probe")
print("idle, one account: mock (no HTTP client, curl never initialised) VmRSS %d KB, RssAnon %d KB;"
      " probe after its first fetch over HTTP VmRSS %d KB, RssAnon %d KB (+%d KB, +%d KB)"
      % (mock_idle + probe_idle + (probe_idle[0] - mock_idle[0], probe_idle[1] - mock_idle[1])))
results = []
for n in (base, count):
    results.append(run(fake, n))
    show(results[-1])
b, m = results
added = m["n"] - b["n"]
print("per added account: RSS %.2f KB (anon %.2f KB), CPU %.4f%% of a core, start-up %.3f ms"
      % ((m["rss"] - b["rss"]) / added, (m["anon"] - b["anon"]) / added,
         100 * (m["cpu"] - b["cpu"]) / added, 1000 * (m["startup"] - b["startup"]) / added))
print("%d accounts: CPU %.1f%% of one core (goal <= 50%%), RSS per account %.2f KB (goal <= 16 KB)"
      % (m["n"], 100 * m["cpu"], (m["rss"] - b["rss"]) / added))
