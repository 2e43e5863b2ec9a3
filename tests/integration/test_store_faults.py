"""A store that cannot write, with a real fault: the data directory on a
small tmpfs filled to the last byte. While it fails, /readyz says so and
names the store, /metrics counts it, webhooks and new actions get 503 (never
a 2xx for something not stored); when space returns the gateway recovers by
itself; a failure that retrying cannot fix ends the process with exit 1."""
import json
import os
import re
import subprocess
import unittest
import urllib.error
import urllib.request

from gwtest import (SLOW, GatewayTestCase, config, count_lines, mock_account, read_jsonl,
                    validate_events, wait_for)

TOKEN = "store-faults-token-0123456789"
ENV = {"GATEWAY_API_TOKEN": TOKEN}


def request(url, data=None, headers=None):
    """(status, body bytes) without raising on HTTP errors."""
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def metric(gw, name):
    _, text = request(gw.url("/metrics"))
    m = re.search(r"^%s (\d+)$" % re.escape(name), text.decode(), re.M)
    return int(m.group(1)) if m else None


def items(prefix, n, size):
    return json.dumps([{"type": "mention", "visibility": "public",
                        "native_id": "%s-%d" % (prefix, i),
                        "text": "@acme %s %d %s" % (prefix, i, "x" * size)}
                       for i in range(n)]).encode()


class StoreFaultTest(GatewayTestCase):
    def small_data_dir(self, size="1m"):
        """data_dir ("var") on a small tmpfs; skips without root."""
        var = self.path("var")
        os.mkdir(var)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", var],
                           capture_output=True)
        if r.returncode != 0:
            self.skipTest("needs root to mount a small tmpfs: %s" % r.stderr.decode().strip())
        self.addCleanup(subprocess.run, ["umount", "-l", var])
        return var

    def fill(self, directory):
        """Take every free byte of the filesystem; returns the filler's path."""
        filler = os.path.join(directory, "filler")
        with open(filler, "wb", buffering=0) as f:
            for size in (65536, 4096, 512, 1):
                try:
                    while True:
                        f.write(b"\0" * size)
                except OSError:
                    pass
        return filler

    def test_full_disk_answers_503_then_recovers_without_loss(self):
        var = self.small_data_dir()
        empty = self.path("empty.jsonl")
        open(empty, "w").close()
        cfg = config(accounts=[mock_account(scenario=empty)])
        cfg += '[api]\ntoken = "${GATEWAY_API_TOKEN}"\n'
        gw = self.gateway(cfg, env=ENV).start()
        wait_for(lambda: request(gw.url("/readyz"))[0] == 200, 10, "ready")
        self.assertEqual(0, metric(gw, "gateway_store_failing"))
        self.assertEqual(0, metric(gw, "gateway_store_errors_total"))
        hook = gw.url("/webhooks/mock/acme")
        json_ct = {"Content-Type": "application/json"}
        filler = self.fill(var)

        # The delivery's pages cannot be written: 503, nothing stored.
        status, body = request(hook, items("full", 20, 2000), json_ct)
        self.assertEqual(503, status, body)
        self.assertEqual("store_unavailable", json.loads(body)["error"])
        status, body = request(gw.url("/readyz"))
        self.assertEqual(503, status, body)
        problems = json.loads(body)["problems"]
        self.assertTrue(any(isinstance(p, str) and "gateway.db" in p and "full" in p
                            for p in problems), problems)
        self.assertGreater(metric(gw, "gateway_store_errors_total"), 0)
        self.assertEqual(1, metric(gw, "gateway_store_failing"))
        gw.wait_log("answering 503 to webhooks and actions")
        # While failing: a small delivery is refused too, and so is an action.
        status, body = request(hook, items("small", 1, 10), json_ct)
        self.assertEqual((503, "store_unavailable"), (status, json.loads(body)["error"]))
        action = {"network": "mock", "account": "acme", "kind": "private", "to": "someone",
                  "text": "hello", "idempotency_key": "k1"}
        status, body = request(gw.url("/v1/actions"), json.dumps(action).encode(),
                               dict(json_ct, Authorization="Bearer " + TOKEN))
        self.assertEqual(503, status, body)
        self.assertEqual({"error", "message"}, set(json.loads(body)))
        self.assertEqual("store_unavailable", json.loads(body)["error"])

        # Space comes back: the gateway recovers without any traffic.
        os.remove(filler)
        wait_for(lambda: request(gw.url("/readyz"))[0] == 200, 10, "ready again")
        self.assertEqual(0, metric(gw, "gateway_store_failing"))
        gw.wait_log("store recovered")
        # The sender delivers again: stored and delivered, each item once.
        status, body = request(hook, items("full", 20, 2000), json_ct)
        self.assertEqual(200, status, body)
        status, body = request(hook, items("full", 20, 2000), json_ct)
        self.assertEqual(200, status, body)
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= 20, 10, "delivery")
        self.assertEqual(0, gw.stop())
        events = read_jsonl(self.path("events.jsonl"))
        validate_events(self, events)
        self.assert_exactly_once(events, 20)
        self.assertEqual(["mock:full-%d" % i for i in range(20)], [e["id"] for e in events])
        self.assertNotIn("store unusable", gw.log())

    def test_lost_plugin_state_exits_1_and_the_restart_loses_nothing(self):
        """A poller's cursor was in the rolled-back tick: its in-memory copy is
        ahead of the database, so the gateway exits 1 and the restart
        fetches again from the durable cursor."""
        var = self.small_data_dir("8m")
        cfg = config(accounts=[mock_account(rate=50, count=300)])
        gw = self.gateway(cfg).start()
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= 5, 10, "first events")
        filler = self.fill(var)
        code = gw.proc.wait(timeout=20 * SLOW)
        gw.errf.close()
        log = gw.log()
        self.assertEqual(1, code, log)
        self.assertIn("store unusable: plugin or outbox state", log)
        self.assertNotIn("core: stopped", log)
        # The supervisor's restart, with space again: nothing lost, nothing twice.
        os.remove(filler)
        gw2 = self.gateway(cfg).start()
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= 300, 30, "all 300")
        self.assertEqual(0, gw2.stop())
        self.assert_exactly_once(read_jsonl(self.path("events.jsonl")), 300)


if __name__ == "__main__":
    unittest.main()
