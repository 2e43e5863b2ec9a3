#!/usr/bin/env python3
"""With synchronous = "full" the loop commits without waiting for the disk
and a worker runs fdatasync on the WAL (core/store/store_sync.c,
core/daemon/durable.c). The promise that must survive: nothing is
acknowledged before an fdatasync covering it has returned.

Watched from outside with strace -f (the loop and the worker threads):
for each webhook, between the moment its request was read and the moment
its 2xx was written, an fdatasync of gateway.db-wal completed. With
synchronous = "normal" (no fsync at commit, by design) the same watch sees
none, so the check can tell the two apart. Then kill -9 right after the
answers: every acknowledged event is in the log after the restart."""
import json
import os
import re
import shutil
import signal
import subprocess
import unittest
import urllib.request

from gwtest import GATEWAY, SLOW, Gateway, GatewayTestCase, config, mock_account, read_jsonl, \
    wait_for

STRACE = shutil.which("strace")


class TracedGateway(Gateway):
    """The gateway under strace -f; signals go to the gateway itself
    (strace would detach on them and leave it running)."""

    def __init__(self, workdir, text, trace):
        super().__init__(workdir, text)
        self.trace = trace
        self.strace = None
        # LeakSanitizer cannot run under ptrace (the sanitizer build); the
        # other suites check for leaks
        opts = self.env.get("ASAN_OPTIONS", "")
        self.env["ASAN_OPTIONS"] = (opts + ":" if opts else "") + "detect_leaks=0"

    def start(self):
        self.errf = open(self.stderr_path, "ab")
        self.strace = subprocess.Popen(
            [STRACE, "-f", "-y", "-qq", "-s", "40", "-e",
             "trace=fdatasync,recvfrom,read,sendto,sendmsg,writev,write", "-o", self.trace,
             GATEWAY, "-c", self.config, "run"],
            cwd=self.workdir, stdout=subprocess.DEVNULL, stderr=self.errf, env=self.env)

        def child():
            # strace forks short-lived probes of its own before the
            # tracee: the gateway is the child running its binary
            try:
                with open("/proc/%d/task/%d/children" % (self.strace.pid, self.strace.pid)) as f:
                    pids = f.read().split()
            except FileNotFoundError:
                return None
            for pid in pids:
                try:
                    if os.path.samefile(os.readlink("/proc/%s/exe" % pid), GATEWAY):
                        return int(pid)
                except OSError:
                    pass
            return None
        self.pid = wait_for(child, 10 * SLOW, "the traced gateway to start")

        class Proc:  # what Gateway's helpers use of a Popen
            def __init__(p):
                p.pid = self.pid

            def poll(p):
                return None if os.path.exists("/proc/%d" % self.pid) and \
                    self.strace.poll() is None else 0

            def send_signal(p, sig):
                os.kill(self.pid, sig)

            def kill(p):
                os.kill(self.pid, signal.SIGKILL)

            def wait(p, timeout=None):
                return self.strace.wait(timeout=timeout)
        self.proc = Proc()
        return self


def post(gw, native_id):
    body = json.dumps([{"type": "mention", "native_id": native_id, "text": "hello"}]).encode()
    req = urllib.request.Request(gw.url("/webhooks/mock/acme"), data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30 * SLOW) as r:
        return r.status


def syncs_between_read_and_answer(trace):
    """For each webhook request, in order: how many fdatasyncs of the WAL
    completed between reading it and writing its 2xx."""
    done = 0                # WAL fdatasyncs completed so far
    pending = set()         # pids inside a WAL fdatasync
    read_at = []            # `done` when each request was read
    answered = []
    with open(trace, errors="replace") as f:
        lines = f.readlines()
    for line in lines:
        m = re.match(r"(\d+)\s+(.*)", line)
        if not m:
            continue
        pid, rest = m.group(1), m.group(2)
        if rest.startswith("fdatasync(") and "-wal>" in rest:
            if "<unfinished" in rest:
                pending.add(pid)
            elif rest.rstrip().endswith("= 0"):
                done += 1
        elif rest.startswith("<... fdatasync resumed>") and pid in pending:
            pending.discard(pid)
            if rest.rstrip().endswith("= 0"):
                done += 1
        elif "POST /webhooks/mock/acme" in rest:
            read_at.append(done)
        elif re.search(r"HTTP/1\.[01] 2\d\d", rest) and len(answered) < len(read_at):
            answered.append(done - read_at[len(answered)])
    return answered


@unittest.skipUnless(STRACE, "strace is not installed (scripts/deps.sh test installs it)")
class DurableTest(GatewayTestCase):
    def traced(self, synchronous):
        # an empty scenario: the account emits nothing of its own, so
        # every commit and sync in the trace is the webhooks'
        open(self.path("empty.jsonl"), "w").close()
        text = config(accounts=[mock_account(poll="1h", scenario=self.path("empty.jsonl"))],
                      gateway_extra='synchronous = "%s"' % synchronous)
        gw = TracedGateway(self.dir, text, self.path("strace.%s.txt" % synchronous))
        self.gateways.append(gw)
        return gw.start()

    def test_no_answer_before_its_fdatasync(self):
        gw = self.traced("full")
        for i in range(6):
            self.assertEqual(200, post(gw, "full-%d" % i))
        gw.kill9()
        between = syncs_between_read_and_answer(gw.trace)
        self.assertEqual(6, len(between), between)
        self.assertTrue(all(n >= 1 for n in between),
                        "a 2xx left before an fdatasync of the WAL covered it: %s" % between)
        # what was acknowledged is there after kill -9 and a restart
        again = self.gateway(gw_config_text(gw))
        again.start()
        again.port()  # started: its signal handlers are in place
        wait_for(lambda: len(read_jsonl(self.path("events.jsonl"))) >= 6, 20 * SLOW,
                 "the acknowledged events in the file sink")
        ids = sorted(e["native_id"] for e in read_jsonl(self.path("events.jsonl")))
        self.assertEqual(["full-%d" % i for i in range(6)], ids)  # each once
        self.assertEqual(0, again.stop())

    def test_the_watch_tells_normal_from_full(self):
        gw = self.traced("normal")
        for i in range(3):
            self.assertEqual(200, post(gw, "normal-%d" % i))
        self.assertEqual(0, gw.stop())
        self.assertEqual([0, 0, 0], syncs_between_read_and_answer(gw.trace))


def gw_config_text(gw):
    with open(gw.config) as f:
        return f.read()


if __name__ == "__main__":
    unittest.main()
