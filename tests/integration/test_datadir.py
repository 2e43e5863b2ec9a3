"""One gateway per data directory. The reproduction of the data-loss bug:
gateway A has answers in flight (mock latency), gateway B is started on the
same data_dir. B must stop before it touches anything (exit 2, naming the
directory and A's pid); A must go on undisturbed: every answer posted once,
every event stored and delivered once. After A exits, the directory is free
again, also after A was killed with -9 (the kernel drops the lock). A new
directory's log takes [gateway] log_page_size (16KB by default); a log that
exists keeps its own."""
import json
import os
import sqlite3
import unittest
import urllib.request

from gwtest import SLOW, GatewayTestCase, config, count_lines, mock_account, read_jsonl, wait_for

TOKEN = "datadir-test-token-0123456789"
ENV = {"GATEWAY_API_TOKEN": TOKEN}
DMS = 6


def cfg(latency="300ms"):
    acct = mock_account(poll="100ms", rate=20, count=40, latency=latency,
                        actions_log="actions.jsonl")
    return config(accounts=[acct]) + '[api]\ntoken = "${GATEWAY_API_TOKEN}"\n'


def post(gw, body):
    req = urllib.request.Request(gw.url("/v1/actions"), data=json.dumps(body).encode(),
                                 method="POST",
                                 headers={"Authorization": "Bearer " + TOKEN,
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, json.loads(r.read())


def get(gw, path):
    req = urllib.request.Request(gw.url(path), headers={"Authorization": "Bearer " + TOKEN})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


class DataDirOwner(GatewayTestCase):
    def test_second_instance_refused_and_first_loses_nothing(self):
        a = self.gateway(cfg(), env=ENV).start()
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= 5, 20, "A's first events")
        ids = []
        for i in range(DMS):
            status, body = post(a, {"network": "mock", "account": "acme", "kind": "private",
                                    "to": "customer-%d" % i, "text": "answer %d" % i,
                                    "idempotency_key": "dm-%d" % i})
            self.assertEqual(202, status)
            ids.append(body["id"])

        # B: same data_dir, another config file (and so another HTTP port).
        b = self.gateway(cfg(), name="b.toml", env=ENV).start()
        code = b.proc.wait(timeout=30 * SLOW)  # it exits by itself
        b.errf.close()
        self.assertEqual(2, code, b.log())
        want = "data_dir %s is in use by pid %d" % (os.path.join(self.dir, "var"), a.proc.pid)
        self.assertIn(want, b.log())
        # B stopped before opening anything: no store, no outbox recovery.
        self.assertNotIn("outcome unknown", b.log())
        self.assertNotIn("action", b.log().replace("actions.jsonl", ""))

        # A goes on: every DM succeeds, each posted exactly once.
        def all_final():
            states = [get(a, "/v1/actions/" + i)["state"] for i in ids]
            return states if all(s in ("succeeded", "failed") for s in states) else None
        states = wait_for(all_final, 60, "every DM final")
        self.assertEqual(["succeeded"] * DMS, states)
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= 40 + DMS, 30,
                 "A's events and the action events")
        self.assertEqual(0, a.stop())
        posted = read_jsonl(self.path("actions.jsonl"))
        keys = [p.get("text") for p in posted]
        self.assertEqual(sorted("answer %d" % i for i in range(DMS)), sorted(keys))
        events = read_jsonl(self.path("events.jsonl"))
        mock = [e for e in events if not e["type"].startswith(("action.", "account."))]
        self.assert_exactly_once(mock, 40)
        self.assertNotIn("I/O error", a.log())

        # Free again once A has exited: B starts and drains cleanly.
        b2 = self.gateway(cfg(), name="b.toml", env=ENV).start()
        b2.port()
        self.assertEqual(0, b2.stop())

    def test_lock_is_dropped_when_the_holder_is_killed(self):
        a = self.gateway(cfg(latency="0ms"), env=ENV).start()
        a.port()
        with open(self.path("var", "gateway.lock")) as f:
            self.assertEqual(str(a.proc.pid), f.read().strip())
        a.kill9()
        b = self.gateway(cfg(latency="0ms"), name="b.toml", env=ENV).start()
        b.port()  # started: no stale lock to clean up by hand
        self.assertTrue(b.alive())
        self.assertEqual(0, b.stop())



def page_size(path):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return db.execute("PRAGMA page_size").fetchone()[0]
    finally:
        db.close()


class LogPageSize(GatewayTestCase):
    def run_until_stored(self, text, events):
        gw = self.gateway(text).start()
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= events, 20 * SLOW,
                 "%d events delivered" % events)
        self.assertEqual(0, gw.stop())

    def test_the_option_picks_a_new_logs_pages_and_an_old_log_keeps_its_own(self):
        self.run_until_stored(config(accounts=[mock_account(count=5)]), 5)
        self.assertEqual(16384, page_size(self.path("var", "gateway.db")))

        os.rename(self.path("var"), self.path("var.16k"))
        os.unlink(self.path("events.jsonl"))
        self.run_until_stored(config(accounts=[mock_account(count=5)],
                                     gateway_extra='log_page_size = "4KB"'), 5)
        self.assertEqual(4096, page_size(self.path("var", "gateway.db")))

        # made with 4 KiB pages, opened with the default: the file's own
        self.run_until_stored(config(accounts=[mock_account(count=10)]), 10)
        self.assertEqual(4096, page_size(self.path("var", "gateway.db")))
        self.assertEqual(10, len(read_jsonl(self.path("events.jsonl"))))


if __name__ == "__main__":
    unittest.main()
