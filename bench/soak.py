#!/usr/bin/python3
"""Soak: the exactly-once promise under load, faults and kill -9.

Runs the real gateway (BUILD/gateway, BUILD/plugins) with --accounts mock
accounts fetching at a steady --rate with injected faults (error_rate:
fetches and posts answer "retry"; latency: every operation is slow), while
two threads push work through its HTTP server:

  * webhooks: POST /webhooks/mock/<account> deliveries of 1-4 items with
    ids unique to the run (the mock network has no signature to check). A
    delivery is sent again, unchanged, until it is answered 2xx, as a
    network redelivers; answers while the gateway is down are counted.
  * actions: POST /v1/actions, replies and private messages to fetched
    events, each with a unique Idempotency-Key, sent again with the same
    key on a connection error or a 503 until answered 202 (or 200, the
    key's action already exists), as a help desk retries.

The main thread kills the gateway with SIGKILL after a random pause in
--kill-every (seeded by --seed), starts it again and waits for /readyz
(with a bound; no blind sleeps; one start in five is first killed 0-300 ms
in, while it is still recovering), --cycles times or until --duration runs
out. Then it starts the gateway once more with the accounts at rate 0
(so the rest of each account's `count` events comes at once), finishes the
senders' last requests, waits until everything promised is delivered
(every synthetic event, every item of a delivery answered 2xx, every
accepted action in a final state with its action.* event), stops it with
SIGTERM and checks:

  * every sink holds every event exactly once: no id twice, no
    (account, native_id) twice, seq increasing; none of the expected ids
    missing (synthetic ids are deterministic: <seed>-0 .. <seed>-<count-1>
    per account);
  * every accepted action is succeeded, or failed with a reason; none lost;
  * no action posted twice: the mock's actions_log (what the network
    shows) holds each action id at most once, each succeeded action
    exactly once, and no action failed for a reason other than "outcome
    unknown" was posted.

It prints the counts and exits 1 naming each violation (2 on a usage or
start-up error). The whole run, drain included, stays within --duration.

Sinks: a sink check is `check_sink(name, events)` over the events a sink
received, in order. Four sinks are checked: the file sink
(`sink_readers()`); the webhook sink, whose receiver (HookReceiver, in this
process, so it outlives every kill) checks every signature and answers 500
to one request in five hundred, a redelivery under the same Gateway-Delivery id
counting once and the same event under two ids twice; a
GET /v1/events client (StreamReader) that resumes by Last-Event-ID after
every kill; and the nats sink, into a real nats-server -js started here
(it outlives every kill), whose stream must hold every event once, in seq
order, each under Nats-Msg-Id = its id.

usage: bench/soak.py [--build DIR] [--cycles N] [--duration S] [--kill-every A-B] ...
"""
import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

# bench/http.py (a bench) would shadow the standard library's http package
# that urllib imports: drop this script's folder from the import path.
sys.path = [p for p in sys.path
            if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]
import hashlib  # noqa: E402
import hmac  # noqa: E402
import http.client  # noqa: E402
import http.server  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402

TOKEN = "soak-token-0123456789abcdef"
NATS_STREAM = "SOAK"
HOOK_SECRET = "soak-webhook-secret-0123456789"
# Sanitizer builds run several times slower; scale the bounds, not the logic.
SLOW = float(os.environ.get("GW_TEST_SLOWDOWN", "1"))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", default="build", help="build directory (gateway, plugins/)")
    p.add_argument("--cycles", type=int, default=100, help="kill -9 / restart cycles")
    p.add_argument("--duration", type=float, default=600, help="hard bound on the run, seconds")
    p.add_argument("--kill-every", default="2-5", help="seconds between kills, A-B (random)")
    p.add_argument("--seed", type=int, default=1, help="seed of the kill pauses and the workload")
    p.add_argument("--accounts", type=int, default=3, help="mock accounts")
    p.add_argument("--rate", type=float, default=20, help="events/s of each account")
    p.add_argument("--count", type=int, default=8000, help="events of each account in all")
    p.add_argument("--error-rate", type=float, default=0.05, help="mock error_rate")
    p.add_argument("--latency", default="20ms", help="mock latency")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    a = p.parse_args()
    lo, _, hi = a.kill_every.partition("-")
    a.kill_lo, a.kill_hi = float(lo), float(hi or lo)
    if not 0 < a.kill_lo <= a.kill_hi or a.cycles < 1 or a.accounts < 1:
        p.error("--kill-every must be A-B with 0 < A <= B; --cycles, --accounts >= 1")
    return a


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed_of(i):
    """Distinct seeds: an event id is network:native_id and synthetic
    native ids are <seed>-<n>, so accounts must not share a seed."""
    return 1000 + i


def config_text(args, workdir, port, rate, hook_port, nats_url):
    text = """[gateway]
data_dir = "var"
plugin_dir = "%s"
log_level = "info"
max_failures = 1000
retry_base = "100ms"
retry_max = "1s"
[http]
listen = "127.0.0.1:%d"
[api]
token = "%s"
max_attempts = 10
""" % (os.path.join(args.build, "plugins"), port, TOKEN)
    for i in range(args.accounts):
        text += """[[account]]
network = "mock"
name = "acct%d"
poll_interval = "100ms"
  [account.options]
  seed = %d
  rate = %s
  count = %d
  batch = 200
  error_rate = %s
  latency = "%s"
  actions_log = "%s"
""" % (i, seed_of(i), rate, args.count, args.error_rate, args.latency,
       os.path.join(workdir, "actions.jsonl"))
    # The sinks checked at the end (see sink_readers()).
    text += '[[sink]]\nname = "archive"\ntype = "file"\npath = "events.jsonl"\nmax_size = "0"\n'
    text += ('[[sink]]\nname = "helpdesk"\ntype = "webhook"\nurl = "http://127.0.0.1:%d/hook"\n'
             'secret = "${SOAK_WEBHOOK_SECRET}"\ntimeout = "2s"\nbatch = 25\n' % hook_port)
    text += ('[[sink]]\nname = "bus"\ntype = "nats"\nurl = "%s"\nstream = "%s"\n'
             'create_stream = true\ntimeout = "2s"\n' % (nats_url, NATS_STREAM))
    return text


def nats_server(args, workdir):
    """A nats-server -js of the run's own (tests/integration/natsserver.py)."""
    os.environ["GW_BUILD_DIR"] = args.build
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                    "integration"))
    from natsserver import NatsServer
    return NatsServer(workdir).start()


class HookReceiver:
    """The webhook sink's receiver, in this process so it outlives every
    kill: checks each signature, answers 500 to one request in five hundred (a
    help desk hiccup the sink must retry), and records every accepted
    (delivery id, event) in arrival order. The sink sends arrays of up to 25
    events: a delivery id seen again must carry the same events (a batch
    resent after a kill is the same range, not one cut anew)."""

    def __init__(self, seed):
        self.lock = threading.Lock()
        self.got = []          # (delivery id, event), accepted, in order
        self.bad = []          # signature or shape problems
        self.refused = 0       # the 500s injected
        self.batches = {}      # delivery id -> the event ids it carried
        rng = random.Random(seed * 7 + 3)
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                sig = self.headers.get("Gateway-Signature", "")
                delivery = self.headers.get("Gateway-Delivery", "")
                parts = dict(p.split("=", 1) for p in sig.split(",") if "=" in p)
                want = hmac.new(HOOK_SECRET.encode(), parts.get("t", "").encode() + b"." + body,
                                hashlib.sha256).hexdigest()
                with outer.lock:
                    if not hmac.compare_digest(want, parts.get("v1", "")) or not delivery:
                        outer.bad.append("bad signature or no delivery id (%s)" % delivery)
                        self.send_response(400)
                        self.end_headers()
                        return
                    if rng.random() < 0.002:
                        outer.refused += 1
                        self.send_response(500)
                        self.end_headers()
                        return
                    doc = json.loads(body)
                    events = doc if isinstance(doc, list) else [doc]
                    ids = [e["id"] for e in events]
                    if outer.batches.setdefault(delivery, ids) != ids:
                        outer.bad.append("delivery %s came again with other events (%d, was %d)"
                                         % (delivery, len(ids), len(outer.batches[delivery])))
                    for e in events:
                        outer.got.append((delivery, e))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def ids(self):
        with self.lock:
            return {e["id"] for _, e in self.got}

    def events(self):
        """What the help desk keeps: a retried delivery (same id) once.
        The same event under two delivery ids stays twice: a violation."""
        out, seen = [], set()
        with self.lock:
            got = list(self.got)
        for delivery, e in got:
            if (delivery, e["id"]) not in seen:
                seen.add((delivery, e["id"]))
                out.append(e)
        return out

    def close(self):
        self.server.shutdown()


class StreamReader:
    """A help desk on GET /v1/events: reads from the start of the log,
    and after each kill reconnects with Last-Event-ID, as every SSE client
    does. Records every event received, in order."""

    def __init__(self, port):
        self.port = port
        self.lock = threading.Lock()
        self.got = []
        self.reconnects = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        last = 0
        while not self.stop.is_set():
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/v1/events?after=0", headers={
                    "Authorization": "Bearer " + TOKEN, "Accept": "text/event-stream",
                    "Last-Event-ID": str(last)} if last else {
                    "Authorization": "Bearer " + TOKEN, "Accept": "text/event-stream"})
                resp = conn.getresponse()
                if resp.status != 200:
                    resp.read()
                    conn.close()
                    time.sleep(0.05)
                    continue
                data = None
                while not self.stop.is_set():
                    line = resp.readline()
                    if not line:
                        break
                    line = line.rstrip(b"\r\n")
                    if line.startswith(b"data: "):
                        data = line[6:]
                    elif line == b"" and data is not None:
                        e = json.loads(data)
                        with self.lock:
                            self.got.append(e)
                        last = e["seq"]
                        data = None
                conn.close()
            except (OSError, http.client.HTTPException, ValueError):
                pass
            self.reconnects += 1
            time.sleep(0.05)

    def ids(self):
        with self.lock:
            return {e["id"] for e in self.got}

    def events(self):
        with self.lock:
            return list(self.got)

    def close(self):
        self.stop.set()
        self.thread.join(10)


class Http:
    """Plain HTTP to the gateway. request() returns (status, doc) or
    (None, reason) when the gateway did not answer (down, or killed
    mid-request)."""

    def __init__(self, port):
        self.base = "http://127.0.0.1:%d" % port

    def request(self, method, path, body=None, token=False, timeout=5):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + TOKEN
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout * SLOW) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw)
            except ValueError:
                return e.code, raw.decode("latin-1")
        except (OSError, ValueError) as e:  # refused, reset, timed out, torn answer
            return None, repr(e)


class Tail:
    """The complete lines appended to a JSONL file, read incrementally."""

    def __init__(self, path):
        self.path, self.offset, self.rest = path, 0, b""

    def new_events(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                chunk = f.read()
        except FileNotFoundError:
            return []
        self.offset += len(chunk)
        data = self.rest + chunk
        lines = data.split(b"\n")
        self.rest = lines.pop()
        return [json.loads(l) for l in lines if l.strip()]


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.webhook_items = set()      # native ids of items answered 2xx
        self.webhook_deliveries = 0     # deliveries answered 2xx
        self.webhook_down = 0           # attempts answered by nobody, or 503
        self.webhook_other = []         # unexpected answers
        self.actions = {}               # action id -> idempotency key, answered 202/200
        self.action_keys = 0            # keys the sender finished with
        self.action_down = 0
        self.action_refused = {}        # error code -> count (4xx by the rules)
        self.targets = []               # public synthetic events: (account, id)


def webhook_sender(http, args, stats, stop, rng):
    k = 0
    while not stop.is_set():
        acct = "acct%d" % rng.randrange(args.accounts)
        items = []
        for _ in range(rng.randint(1, 4)):
            items.append({"type": "mention", "visibility": "public", "native_id": "wh-%d" % k,
                          "text": "@acme soak webhook item %d" % k,
                          "author": {"id": "wh-author-%d" % (k % 97), "handle": "whuser"}})
            k += 1
        # Redeliver the same delivery until it is answered 2xx (the sender
        # finishes its delivery even once told to stop).
        while True:
            status, doc = http.request("POST", "/webhooks/mock/" + acct, items)
            if status is not None and 200 <= status < 300:
                with stats.lock:
                    stats.webhook_deliveries += 1
                    if doc.get("accepted") != len(items):
                        stats.webhook_other.append("accepted %r of %d" % (doc, len(items)))
                    stats.webhook_items.update((acct, it["native_id"]) for it in items)
                break
            with stats.lock:
                if status is None or status == 503:
                    stats.webhook_down += 1
                else:
                    stats.webhook_other.append("%s %s" % (status, doc))
                    break
            time.sleep(0.05)
        time.sleep(rng.uniform(0.01, 0.08))


def action_sender(http, args, stats, stop, rng):
    k = 0
    while not stop.is_set():
        with stats.lock:
            target = rng.choice(stats.targets) if stats.targets else None
        if target is None:
            time.sleep(0.05)
            continue
        acct, event_id = target
        kind = "reply" if k % 2 == 0 else "private"
        key = "soak-%d-%d" % (args.seed, k)
        k += 1
        body = {"network": "mock", "account": acct, "kind": kind, "in_reply_to": event_id,
                "text": "soak answer %s" % key, "idempotency_key": key}
        if kind == "reply":
            body["force"] = True  # several answers to one thread are the workload here
        while True:
            status, doc = http.request("POST", "/v1/actions", body, token=True)
            if status in (200, 202):
                with stats.lock:
                    stats.actions[doc["id"]] = key
                    stats.action_keys += 1
                break
            with stats.lock:
                if status is None or status == 503:
                    stats.action_down += 1
                else:
                    code = doc.get("error") if isinstance(doc, dict) else str(status)
                    stats.action_refused[code] = stats.action_refused.get(code, 0) + 1
                    break
            time.sleep(0.05)
        time.sleep(rng.uniform(0.02, 0.12))


class Soak:
    def __init__(self, args):
        self.args = args
        args.build = os.path.abspath(args.build)
        self.gateway = os.path.join(args.build, "gateway")
        if not os.access(self.gateway, os.X_OK):
            raise SystemExit("soak: no gateway binary at %s (build first, or --build DIR)"
                             % self.gateway)
        self.dir = tempfile.mkdtemp(prefix="gwsoak-")
        self.port = free_port()
        self.http = Http(self.port)
        self.stats = Stats()
        self.proc = None
        self.final = {}
        self.starts = self.kills = self.early_kills = 0
        self.violations = []
        self.t0 = time.monotonic()
        self.deadline = self.t0 + args.duration
        self.events_tail = Tail(os.path.join(self.dir, "events.jsonl"))
        os.environ["SOAK_WEBHOOK_SECRET"] = HOOK_SECRET  # the gateway reads it
        self.hooks = HookReceiver(args.seed)
        self.stream = None
        self.nats = nats_server(args, self.dir)
        self.nats_events = []

    def write_config(self, rate):
        with open(os.path.join(self.dir, "gateway.toml"), "w") as f:
            f.write(config_text(self.args, self.dir, self.port, rate, self.hooks.port,
                                self.nats.url))

    def spawn(self):
        self.starts += 1
        err = open(os.path.join(self.dir, "gateway.%d.stderr" % self.starts), "wb")
        self.proc = subprocess.Popen([self.gateway, "-c", "gateway.toml", "run"], cwd=self.dir,
                                     stdout=subprocess.DEVNULL, stderr=err)
        err.close()

    def kill_during_start(self, rng):
        """A kill while the gateway is still recovering (reconciling sinks,
        failing in-flight actions as outcome unknown, reopening accounts):
        the window a kill after /readyz never reaches."""
        self.spawn()
        time.sleep(rng.uniform(0.0, 0.3))
        self.early_kills += self.proc.poll() is None
        self.proc.kill()
        self.proc.wait()

    def start(self):
        self.spawn()
        # Ready: the log takes writes and every account runs.
        bound = time.monotonic() + 30 * SLOW
        while True:
            if self.proc.poll() is not None:
                self.fail_start("exited with %d at start" % self.proc.returncode)
            if self.http.request("GET", "/readyz", timeout=2)[0] == 200:
                return
            if time.monotonic() > bound:
                self.fail_start("not ready within %.0f s" % (30 * SLOW))
            time.sleep(0.02)

    def fail_start(self, what):
        path = os.path.join(self.dir, "gateway.%d.stderr" % self.starts)
        with open(path, errors="replace") as f:
            tail = f.read()[-2000:]
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.nats.kill9()
        raise SystemExit("soak: start %d: gateway %s; its log (%s) ends:\n%s"
                         % (self.starts, what, path, tail))

    def check_alive(self):
        """Only the soak may end the gateway: an exit of its own (a crash,
        a sanitizer's abort) is a violation, not one more kill."""
        if self.proc.poll() is not None:
            self.violations.append("start %d: the gateway exited on its own with %d (log: "
                                   "gateway.%d.stderr)" % (self.starts, self.proc.returncode,
                                                           self.starts))

    def collect_targets(self):
        """Public synthetic events in the file: what the action sender answers."""
        fresh = [(e["account"], e["id"]) for e in self.events_tail.new_events()
                 if e.get("visibility") == "public" and e.get("author")
                 and not e["type"].startswith(("action.", "account."))
                 and not e["native_id"].startswith("wh-")]
        if fresh:
            with self.stats.lock:
                self.stats.targets.extend(fresh)
                del self.stats.targets[:-500]  # recent ones suffice

    def wait(self, cond, bound, what):
        """Poll cond() until truthy or the run's deadline; a violation (what()
        says what was missing) if not."""
        end = min(time.monotonic() + bound * SLOW, self.deadline)
        while time.monotonic() < end:
            if cond():
                return True
            time.sleep(0.1)
        if cond():
            return True
        self.violations.append("drain: not reached before the bound: " + what())
        return False

    def run(self):
        a = self.args
        rng = random.Random(a.seed)
        self.write_config(a.rate)
        stop = threading.Event()
        senders = [threading.Thread(target=f, args=(self.http, a, self.stats, stop,
                                                    random.Random(a.seed * 31 + i)))
                   for i, f in enumerate((webhook_sender, action_sender))]
        self.start()
        self.stream = StreamReader(self.port)
        for t in senders:
            t.start()
        # Keep the last quarter (at most two minutes) of --duration for the drain.
        reserve = min(120.0, a.duration / 4)
        cycles = 0
        while cycles < a.cycles and time.monotonic() + a.kill_hi < self.deadline - reserve:
            end = time.monotonic() + rng.uniform(a.kill_lo, a.kill_hi)
            while time.monotonic() < end and self.proc.poll() is None:
                self.collect_targets()
                time.sleep(0.05)
            self.kills += self.proc.poll() is None
            self.check_alive()
            self.proc.kill()
            self.proc.wait()
            cycles += 1
            if rng.random() < 0.2:
                self.kill_during_start(rng)
            self.start()
        self.cycles_done = cycles
        # The last start: the rest of each account's events at once.
        self.kills += self.proc.poll() is None
        self.check_alive()
        self.proc.kill()
        self.proc.wait()
        self.write_config(0)
        self.start()
        stop.set()
        for t in senders:
            t.join(max(1, self.deadline - time.monotonic()))
        if any(t.is_alive() for t in senders):
            self.violations.append("a sender was still retrying at the deadline")
        self.drain()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(30 * SLOW)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            code = "none (killed after 30 s)"
        if code != 0:
            self.violations.append("SIGTERM after the drain: exit code %s, not 0" % code)
        self.wall = time.monotonic() - self.t0
        self.stream.close()
        self.check()
        self.hooks.close()
        return self.report()

    def expected_ids(self):
        ids = {"mock:%d-%d" % (seed_of(i), n) for i in range(self.args.accounts)
               for n in range(self.args.count)}
        with self.stats.lock:
            ids |= {"mock:" + nid for _, nid in self.stats.webhook_items}
        return ids

    def final_actions(self):
        """Action id -> document, for the accepted actions in a final state
        (self.final; asks only about those not final yet)."""
        for aid in list(self.stats.actions):
            if aid in self.final:
                continue
            status, doc = self.http.request("GET", "/v1/actions/" + aid, token=True)
            if status == 200 and doc.get("state") in ("succeeded", "failed"):
                self.final[aid] = doc
        return self.final

    def drain(self):
        seen = set()
        tail = Tail(self.events_tail.path)
        expected = self.expected_ids()

        def all_events():
            seen.update(e["id"] for e in tail.new_events())
            return expected <= seen
        self.wait(all_events, 240, lambda: "every expected event in the file sink "
                  "(%d missing)" % len(expected - seen))
        self.wait(lambda: len(self.final_actions()) == len(self.stats.actions), 120,
                  lambda: "every accepted action in a final state (%d not)"
                  % (len(self.stats.actions) - len(self.final)))
        outcome_ids = {"mock:action:" + aid for aid in self.stats.actions}
        self.wait(lambda: all_events() and outcome_ids <= seen, 60,
                  lambda: "every action's outcome event in the file sink (%d missing)"
                  % len(outcome_ids - seen))
        every = expected | outcome_ids
        self.wait(lambda: every <= self.hooks.ids(), 120,
                  lambda: "every event at the webhook receiver (%d missing)"
                  % len(every - self.hooks.ids()))
        self.wait(lambda: every <= self.stream.ids(), 60,
                  lambda: "every event on the live stream (%d missing)"
                  % len(every - self.stream.ids()))
        self.wait(lambda: self.nats.count(NATS_STREAM) >= len(every), 120,
                  lambda: "every event in the NATS stream (%d of %d)"
                  % (self.nats.count(NATS_STREAM), len(every)))

    def check(self):
        msgs = self.nats.messages(NATS_STREAM)
        self.nats.stop()
        self.nats_events = [m["event"] for m in msgs]
        self.violations += ["nats sink: message %d has Nats-Msg-Id %s, event id %s"
                            % (m["stream_seq"], m["msg_id"], m["event"]["id"])
                            for m in msgs if m["msg_id"] != m["event"]["id"]][:5]
        readers = sink_readers(self.dir) + [("webhook sink", self.hooks.events()),
                                            ("live stream", self.stream.events()),
                                            ("nats sink", self.nats_events)]
        self.violations += ["webhook sink: " + b for b in self.hooks.bad[:5]]
        expected = self.expected_ids() | {"mock:action:" + a for a in self.stats.actions}
        for name, events in readers:
            self.violations += check_sink(name, events, expected)
        self.events = dict(readers)["file sink"]  # for the counts
        self.violations += check_actions(self.stats.actions, self.final,
                                         read_jsonl(os.path.join(self.dir, "actions.jsonl")))
        for line in self.stats.webhook_other:
            self.violations.append("webhook answer not expected: " + line)

    def report(self):
        a, s = self.args, self.stats
        kinds = {}
        for e in self.events:
            k = ("webhook" if e["native_id"].startswith("wh-") else
                 e["type"] if e["type"].startswith(("action.", "account.")) else "synthetic")
            kinds[k] = kinds.get(k, 0) + 1
        posted = read_jsonl(os.path.join(self.dir, "actions.jsonl"))
        ids = [p.get("action_id") for p in posted]
        states = {}
        for aid, d in self.final.items():
            st = d["state"]
            if st == "failed" and d.get("reason", "").startswith("outcome unknown"):
                # A crash cut the call off; the network may or may not show it.
                st = "failed (outcome unknown; posted)" if aid in ids else \
                    "failed (outcome unknown; not posted)"
            states[st] = states.get(st, 0) + 1
        print("soak: %d cycles of kill -9 (every %g-%g s), %d accounts at %g events/s, "
              "error_rate %g, latency %s, seed %d"
              % (self.cycles_done, a.kill_lo, a.kill_hi, a.accounts, a.rate, a.error_rate,
                 a.latency, a.seed))
        print("  file sink events     %d (%s)" % (len(self.events), ", ".join(
            "%s %d" % kv for kv in sorted(kinds.items()))))
        print("  webhooks             %d deliveries (%d items) accepted, %d attempts refused "
              "or unanswered while down" % (s.webhook_deliveries, len(s.webhook_items),
                                             s.webhook_down))
        print("  actions              %d accepted, %d attempts unanswered while down, "
              "refused by rule %s" % (len(s.actions), s.action_down, s.action_refused or "none"))
        print("  action outcomes      %s" % (", ".join("%s %d" % kv for kv in sorted(
            states.items())) or "none"))
        print("  posted (actions_log) %d, duplicates %d" % (len(ids), len(ids) - len(set(ids))))
        print("  webhook sink         %d events received once each, %d redelivered "
              "after a kill or a 500 (same delivery id), %d requests answered 500 on purpose"
              % (len(self.hooks.events()), len(self.hooks.got) - len(self.hooks.events()),
                 self.hooks.refused))
        print("  live stream          %d events received, %d reconnects (Last-Event-ID)"
              % (len(self.stream.events()), self.stream.reconnects))
        print("  nats sink            %d events in the stream, once each (Nats-Msg-Id)"
              % len(self.nats_events))
        print("  kills %d after ready, %d during start-up, starts %d, wall time %.1f s, "
              "%.0f events/s through the file sink"
              % (self.kills, self.early_kills, self.starts, self.wall,
                 len(self.events) / self.wall))
        if self.violations:
            print("FAILED: %d violation(s):" % len(self.violations))
            for v in self.violations:
                print("  - " + v)
            print("work directory kept: " + self.dir)
            return 1
        print("OK: every event exactly once, every accepted webhook item and action "
              "accounted for, nothing posted twice")
        if self.args.keep:
            print("work directory kept: " + self.dir)
        else:
            import shutil
            shutil.rmtree(self.dir, ignore_errors=True)
        return 0


def read_jsonl(path):
    """The complete lines of a JSONL file, parsed."""
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    return [json.loads(l) for l in lines[:-1] if l.strip()]


def sink_readers(workdir):
    """(name, events in the order the sink received them) of every sink
    checked. A webhook or SSE sink adds its reader here."""
    return [("file sink", read_jsonl(os.path.join(workdir, "events.jsonl")))]


def check_sink(name, events, expected):
    """Violations of exactly-once in what one sink received: an id or an
    (account, native_id) twice, seq not increasing, an expected id missing."""
    out, ids, natives, last_seq = [], {}, set(), 0
    for e in events:
        ids[e["id"]] = ids.get(e["id"], 0) + 1
        key = (e["account"], e["native_id"])
        if key in natives and ids[e["id"]] == 1:
            out.append("%s: (account, native_id) %s twice under two ids" % (name, key))
        natives.add(key)
        if e["seq"] <= last_seq:
            out.append("%s: seq %d after %d (id %s)" % (name, e["seq"], last_seq, e["id"]))
        last_seq = e["seq"]
    twice = sorted(i for i, n in ids.items() if n > 1)
    if twice:
        out.append("%s: %d event id(s) more than once, e.g. %s" % (name, len(twice), twice[:5]))
    missing = sorted(expected - ids.keys())
    if missing:
        out.append("%s: %d expected event(s) missing, e.g. %s" % (name, len(missing), missing[:5]))
    return out


def check_actions(accepted, final, posted):
    """Violations of the action promises: an accepted action not final, a
    failure without a reason, an action posted twice, a succeeded action
    not posted, or a posted one reported failed for a known reason."""
    out = []
    lost = sorted(set(accepted) - final.keys())
    if lost:
        out.append("actions: %d accepted but not final, e.g. %s" % (len(lost), lost[:5]))
    times = {}
    for p in posted:
        times[p.get("action_id")] = times.get(p.get("action_id"), 0) + 1
    twice = sorted(a for a, n in times.items() if n > 1)
    if twice:
        out.append("actions: %d posted twice, e.g. %s" % (len(twice), twice[:5]))
    for aid, doc in sorted(final.items()):
        if doc["state"] == "succeeded" and times.get(aid, 0) != 1:
            out.append("actions: %s succeeded but posted %d times" % (aid, times.get(aid, 0)))
        if doc["state"] == "failed":
            reason = doc.get("reason") or ""
            if not reason:
                out.append("actions: %s failed without a reason" % aid)
            elif aid in times and not reason.startswith("outcome unknown"):
                out.append("actions: %s posted, yet failed: %s" % (aid, reason))
    unknown = sorted(set(times) - set(accepted))
    if unknown:
        out.append("actions: %d posted that no answer accepted, e.g. %s" % (len(unknown),
                                                                            unknown[:5]))
    return out


if __name__ == "__main__":
    soak = Soak(parse_args())
    try:
        sys.exit(soak.run())
    finally:
        soak.nats.kill9()  # a no-op once check() stopped it
