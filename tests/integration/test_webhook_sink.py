"""The webhook sink against a real receiver on loopback
(tests/fakes/webhook_receiver.py, which checks every signature): a receiver
that is down, answers 500, 429 with Retry-After, drops the connection or
does not answer within the timeout
still gets every event once and in order; a 400 ends in the dead letters,
`gateway deadletter replay` redelivers it and `drop` forgets one; kill -9
mid-delivery loses nothing and every duplicate carries its delivery id;
the metrics move; docs/sinks.md's receiver examples (Python and Node)
verify what the gateway signed."""
import json
import os
import re
import shutil
import socket
import subprocess
import unittest
import urllib.request

from gwtest import (SOURCE, FakeServer, GatewayTestCase, config, mock_account, run_cli,
                    wait_for)

SECRET = "webhook-test-secret-0123456789"
TOKEN = "webhook-test-api-token-0123456789"
ENV = {"HOOK_SECRET": SECRET, "GATEWAY_API_TOKEN": TOKEN}
FAST = 'retry_max = "200ms"\n'


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sink(port, extra=""):
    return ('[[sink]]\nname = "hook"\ntype = "webhook"\nurl = "http://127.0.0.1:%d/hook"\n'
            'secret = "${HOOK_SECRET}"\n%s%s' % (port, FAST, extra))


def hook_config(port, count, extra="", **acct):
    text = config(sinks=[sink(port, extra)],
                  accounts=[mock_account(count=count, rate=0, **acct)])
    return text + '[api]\ntoken = "${GATEWAY_API_TOKEN}"\n'


def post_json(url, doc):
    req = urllib.request.Request(url, data=json.dumps(doc).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def metric(gw, name):
    with urllib.request.urlopen(gw.url("/metrics"), timeout=10) as r:
        text = r.read().decode()
    m = re.search(r'^%s\{sink="hook",type="webhook"\} (-?\d+)$' % name, text, re.M)
    return int(m.group(1)) if m else None


class WebhookSinkTest(GatewayTestCase):
    def receiver(self, port=0, control=None):
        fake = FakeServer(self.dir, "webhook_receiver.py", "--secret", SECRET) if port == 0 \
            else None
        if fake is None:
            fake = FakeServer.__new__(FakeServer)
            port_file = self.path("receiver.%d.port" % port)
            fake.port_file = port_file
            fake.proc = subprocess.Popen(
                ["/usr/bin/python3", "-B", os.path.join(SOURCE, "tests", "fakes",
                                                        "webhook_receiver.py"),
                 "--port", str(port), "--port-file", port_file, "--secret", SECRET,
                 "--control", json.dumps(control or {})],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_for(lambda: os.path.exists(port_file), 15, "the receiver to listen")
            fake.port = port
        self.addCleanup(fake.stop)
        return fake

    def received(self, rx):
        return rx.get_json("/received")

    def cli(self, gw, *args):
        return run_cli("-c", gw.config, "deadletter", *args, "--url", gw.url(""), cwd=self.dir,
                       env=dict(os.environ, **ENV))

    def test_failures_arrive_once_in_order_and_refused_ones_are_dead_letters(self):
        port = free_port()
        # The timeout must stay well above the receiver's answer time on a
        # loaded machine: an answer that comes too late reads as a timeout,
        # and the 429's Retry-After below would then not be what was seen.
        gw = self.gateway(hook_config(port, 20, 'max_attempts = 2\ntimeout = "2s"\n'),
                          env=ENV).start()
        # Down: nothing listens yet; the sink keeps trying.
        wait_for(lambda: (metric(gw, "gateway_sink_write_failures_total") or 0) >= 2, 15,
                 "failed attempts against a receiver that is down")
        self.assertEqual(0, metric(gw, "gateway_sink_up"))
        self.assertEqual(0, metric(gw, "gateway_sink_last_status"))
        self.assertEqual(20, metric(gw, "gateway_sink_lag_events"))

        rx = self.receiver(port, {"refuse_seq": [7, 9], "status": 400,
                                  "plan": [{"status": 500}, {"status": "close"},
                                           {"status": 429, "retry_after": "1"},
                                           {"status": 503},
                                           {"status": "hang", "seconds": 3}]})
        wait_for(lambda: metric(gw, "gateway_sink_dead_letters") == 2 and
                 metric(gw, "gateway_sink_lag_events") == 0, 30,
                 "every event delivered or parked")
        got = self.received(rx)
        seqs = [e["seq"] for e in got["accepted"]]
        self.assertEqual([s for s in range(1, 21) if s not in (7, 9)], seqs)
        deliveries = got["deliveries"]
        self.assertTrue(all(d["sig_ok"] for d in deliveries), "a signature did not verify")
        self.assertTrue(all(d["content_type"] == "application/json" for d in deliveries))
        for d in deliveries:
            self.assertEqual("hook.%d" % d["seqs"][0], d["delivery"])
        # Seq 1 met 500, close, 429, 503, a receiver that did not answer
        # within the timeout, and then went through, under one id.
        first = [d for d in deliveries if d["seqs"] == [1]]
        self.assertEqual([500, 0, 429, 503, -1, 200], [d["status"] for d in first])
        self.assertGreaterEqual(first[3]["t"] - first[2]["t"], 0.95,
                                "the retry after a 429 must wait for Retry-After: 1")
        # A refused event was sent max_attempts = 2 times, then parked.
        self.assertEqual([400, 400], [d["status"] for d in deliveries if d["seqs"] == [7]])
        self.assertEqual(18, metric(gw, "gateway_events_out_total"))
        self.assertEqual(2, metric(gw, "gateway_sink_dead_letters_total"))
        self.assertEqual(200, metric(gw, "gateway_sink_last_status"))
        self.assertEqual(1, metric(gw, "gateway_sink_up"))
        self.assertGreaterEqual(metric(gw, "gateway_sink_write_failures_total"), 6)
        self.assertIn("parked 1 event (seq 7-7) as dead letters", gw.log())
        self.assertNotIn(SECRET, gw.log())

        out = self.cli(gw, "list")
        self.assertEqual(0, out.returncode, out.stderr)
        rows = [line.split() for line in out.stdout.splitlines()]
        self.assertEqual(2, len(rows), out.stdout)
        self.assertIn("seq 7 ", out.stdout.replace("  ", " ").replace("  ", " "))
        ids = {int(r[4]): r[0] for r in rows}  # seq -> dead letter id
        shown = self.cli(gw, "show", ids[7])
        self.assertEqual(0, shown.returncode, shown.stderr)
        doc = json.loads(shown.stdout)
        self.assertEqual(7, doc["event"]["seq"])
        self.assertEqual(400, doc["status"])

        # The receiver is fixed: replay 7, drop 9.
        post_json(rx.url("/control"), {"refuse_seq": []})
        out = self.cli(gw, "replay", ids[7])
        self.assertEqual(0, out.returncode, out.stderr)
        wait_for(lambda: metric(gw, "gateway_sink_dead_letters") == 1, 15, "the replay")
        accepted = [e["seq"] for e in self.received(rx)["accepted"]]
        self.assertEqual(accepted.count(7), 1)
        self.assertEqual(7, accepted[-1])
        # the gauge is kept in memory, counted from the table at the start
        self.assertEqual(0, gw.stop())
        gw = self.gateway(hook_config(port, 20, 'max_attempts = 2\ntimeout = "2s"\n'),
                          env=ENV).start()
        self.assertEqual(1, metric(gw, "gateway_sink_dead_letters"))
        out = self.cli(gw, "drop", ids[9])
        self.assertEqual(0, out.returncode, out.stderr)
        self.assertEqual(0, metric(gw, "gateway_sink_dead_letters"))
        out = self.cli(gw, "list")
        self.assertEqual("no dead letters\n", out.stdout)
        out = self.cli(gw, "show", ids[9])
        self.assertEqual(1, out.returncode)
        self.assertIn("unknown_dead_letter", out.stderr)
        self.assertNotIn(9, [e["seq"] for e in self.received(rx)["accepted"]])
        self.assertEqual(0, gw.stop())

    def test_kill9_mid_delivery_loses_nothing_and_duplicates_keep_their_id(self):
        rx = self.receiver()
        n = 300
        gw = self.gateway(hook_config(rx.port, n), env=ENV).start()
        wait_for(lambda: len(self.received(rx)["accepted"]) >= 60, 30, "deliveries under way")
        gw.kill9()
        gw2 = self.gateway(hook_config(rx.port, n), env=ENV).start()
        wait_for(lambda: {e["seq"] for e in self.received(rx)["accepted"]} ==
                 set(range(1, n + 1)), 60, "every event after the restart")
        gw2.stop()
        got = self.received(rx)
        seqs = [e["seq"] for e in got["accepted"]]
        # In order: what the first process delivered, then the second from
        # its recorded cursor on (the events since its last checkpoint come
        # again); nothing lost, nothing out of order.
        drops = [i for i in range(1, len(seqs)) if seqs[i] != seqs[i - 1] + 1]
        self.assertLessEqual(len(drops), 1, "more than one restart point: %r" % drops)
        if drops:
            k, s = seqs[drops[0] - 1], seqs[drops[0]] - 1
            self.assertLessEqual(s, k)
            self.assertEqual(list(range(1, k + 1)) + list(range(s + 1, n + 1)), seqs)
        else:
            self.assertEqual(list(range(1, n + 1)), seqs)
        ids = {}
        for d in got["deliveries"]:
            self.assertTrue(d["sig_ok"])
            ids.setdefault(d["seqs"][0], set()).add(d["delivery"])
        self.assertTrue(all(v == {"hook.%d" % k} for k, v in ids.items()),
                        "a duplicate came under another delivery id")

    def test_kill9_resends_a_batch_as_the_same_range_under_the_same_id(self):
        # The first array goes out while only 3 events exist and the
        # receiver holds it unanswered; 7 more arrive; kill -9. The restart
        # must send events 1-3 again as "hook.1-3", not cut a new batch
        # 1-10 whose id the receiver never saw.
        rx = self.receiver()
        post_json(rx.url("/control"), {"plan": [{"status": "hang", "seconds": 60}]})
        empty = self.path("empty.jsonl")
        open(empty, "w").close()
        text = config(sinks=[sink(rx.port, 'batch = 10\ntimeout = "60s"\n')],
                      accounts=[mock_account(scenario=empty)])
        text += '[api]\ntoken = "${GATEWAY_API_TOKEN}"\n'
        gw = self.gateway(text, env=ENV).start()

        def items(lo, hi):
            return [{"type": "mention", "visibility": "public", "native_id": "wh-%d" % i,
                     "text": "@acme item %d" % i} for i in range(lo, hi)]
        self.assertEqual(3, post_json(gw.url("/webhooks/mock/acme"), items(1, 4))["accepted"])
        wait_for(lambda: self.received(rx)["deliveries"], 20, "the first array in flight")
        self.assertEqual(7, post_json(gw.url("/webhooks/mock/acme"), items(4, 11))["accepted"])
        gw.kill9()
        gw2 = self.gateway(text, env=ENV).start()
        wait_for(lambda: len(self.received(rx)["accepted"]) == 10, 30, "all ten events")
        gw2.stop()
        got = self.received(rx)
        self.assertEqual(list(range(1, 11)), [e["seq"] for e in got["accepted"]])
        self.assertEqual([("hook.1-3", [1, 2, 3], -1), ("hook.1-3", [1, 2, 3], 200),
                          ("hook.4-10", list(range(4, 11)), 200)],
                         [(d["delivery"], d["seqs"], d["status"]) for d in got["deliveries"]])

    def test_batch_sends_arrays_with_range_ids(self):
        rx = self.receiver()
        text = hook_config(rx.port, 12, 'batch = 5\n').replace(
            '/hook"', '/hook?token=url-token-0123456789"')
        gw = self.gateway(text, env=ENV).start()
        wait_for(lambda: len(self.received(rx)["accepted"]) == 12, 20, "12 events")
        # The start-up line names the receiver, its token redacted.
        self.assertIn("hook -> http://127.0.0.1:%d/hook?token=" % rx.port, gw.log())
        self.assertNotIn("url-token-0123456789", gw.log())
        got = self.received(rx)
        self.assertEqual(list(range(1, 13)), [e["seq"] for e in got["accepted"]])
        for d in got["deliveries"]:
            self.assertTrue(d["sig_ok"])
            self.assertTrue(d["body"].startswith("["))
            self.assertLessEqual(len(d["seqs"]), 5)
            self.assertEqual("hook.%d-%d" % (d["seqs"][0], d["seqs"][-1]), d["delivery"])
        self.assertEqual(0, gw.stop())

    def test_short_secret_is_refused_without_echoing_it(self):
        env = dict(ENV, HOOK_SECRET="short-secret")
        gw = self.gateway(hook_config(free_port(), 1), env=env).start()
        wait_for(lambda: gw.proc.poll() is not None, 20, "the gateway to give up")
        code = gw.stop()
        self.assertNotEqual(0, code)
        self.assertIn('sink "hook" (webhook): secret must be at least 16 characters', gw.log())
        self.assertNotIn("short-secret", gw.log())

    def test_documented_receivers_verify_what_the_gateway_signed(self):
        rx = self.receiver()
        gw = self.gateway(hook_config(rx.port, 1), env=ENV).start()
        wait_for(lambda: self.received(rx)["accepted"], 20, "one delivery")
        gw.stop()
        d = self.received(rx)["deliveries"][0]
        with open(os.path.join(SOURCE, "docs", "sinks.md")) as f:
            doc = f.read()
        python = re.search(r"```python\n(.*?)```", doc, re.S).group(1)
        js = re.search(r"```js\n(.*?)```", doc, re.S).group(1)
        t = int(d["signature"].split(",")[0][2:])
        body = d["body"].encode()
        cases = [(d["signature"], body, t + 10, True),
                 (d["signature"], body.replace(b"}", b" }", 1), t, False),
                 (d["signature"].replace("v1=", "v1=0"), body, t, False),
                 (d["signature"], body, t + 301, False),
                 ("", body, t, False)]
        scope = {}
        exec(compile(python, "docs/sinks.md python", "exec"), scope)
        for header, b, now, want in cases:
            self.assertEqual(want, scope["verify"](SECRET, header, b, now=now), (header, now))
            self.assertFalse(scope["verify"](SECRET + "x", header, b, now=now))
        node = shutil.which("node") or shutil.which("nodejs")
        self.assertIsNotNone(node, "node is needed (scripts/deps.sh test installs nodejs)")
        script = self.path("verify.js")
        with open(script, "w") as f:
            f.write(js + "\nconst cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n"
                    "console.log(JSON.stringify(cases.map(([s, h, b, now]) =>"
                    " verify(s, h, Buffer.from(b, 'base64'), now))));\n")
        import base64
        payload = [[SECRET, h, base64.b64encode(b).decode(), now] for h, b, now, _ in cases]
        payload += [[SECRET + "x", cases[0][0], base64.b64encode(body).decode(), t]]
        out = subprocess.run([node, script], input=json.dumps(payload), capture_output=True,
                             text=True, timeout=30)
        self.assertEqual(0, out.returncode, out.stderr)
        self.assertEqual([c[3] for c in cases] + [False], json.loads(out.stdout))


if __name__ == "__main__":
    unittest.main()
