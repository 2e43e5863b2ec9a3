"""The gateway's own HTTP endpoints, through the real binary: health,
readiness, Prometheus metrics, webhook routing with the answer sent only
after the delivery's events are durable."""
import json
import os
import re
import sqlite3
import unittest
import urllib.error
import urllib.request

from gwtest import (GatewayTestCase, raw_request, config, count_lines, mock_account, read_jsonl,
                    validate_events, wait_for)


def request(url, data=None, method=None, headers=None):
    """(status, headers, body bytes) without raising on HTTP errors."""
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


class HttpTest(GatewayTestCase):
    def start(self, accounts=None, **kw):
        gw = self.gateway(config(accounts=accounts if accounts is not None
                                 else [mock_account(rate=0, count=10)], **kw)).start()
        gw.port()
        return gw

    def test_healthz_and_readyz(self):
        gw = self.start()
        status, headers, body = request(gw.url("/healthz"))
        self.assertEqual(200, status)
        self.assertEqual({"status": "ok"}, json.loads(body))
        self.assertTrue(headers["Content-Type"].startswith("application/json"))
        status, _, body = request(gw.url("/readyz"))
        self.assertEqual(200, status, body)
        self.assertEqual(0, gw.stop())

    def test_readyz_names_the_account_that_did_not_start(self):
        gw = self.start(accounts=[mock_account(rate=0, count=1),
                                  '[[account]]\nnetwork = "mock"\nname = "broken"\n'
                                  'optional = true\n'
                                  '  [account.options]\n  scenario = "/no/such/file.jsonl"\n'])
        status, _, body = request(gw.url("/readyz"))
        self.assertEqual(503, status)
        doc = json.loads(body)
        self.assertEqual("not_ready", doc["status"])
        self.assertEqual([{"network": "mock", "account": "broken",
                           "problem": "not started (see the log)"}], doc["problems"])
        self.assertEqual(0, gw.stop())

    def test_metrics_count_events_in_and_out(self):
        gw = self.start()
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= 10, 20, "10 events")

        def metrics():
            status, headers, body = request(gw.url("/metrics"))
            self.assertEqual(200, status)
            self.assertTrue(headers["Content-Type"].startswith("text/plain; version=0.0.4"))
            return body.decode()

        wait_for(lambda: 'gateway_events_out_total{sink="archive",type="file"} 10' in metrics(),
                 10, "the sink's count in /metrics")
        text = metrics()
        self.assertIn('gateway_events_in_total{network="mock",account="acme"} 10', text)
        self.assertIn('gateway_sink_lag_events{sink="archive",type="file"} 0', text)
        self.assertIn('gateway_account_up{network="mock",account="acme"} 1', text)
        self.assertIn("# TYPE gateway_events_in_total counter", text)
        # the loop's ticks: a histogram whose +Inf bucket counts them all
        self.assertIn("# TYPE gateway_loop_tick_seconds histogram", text)
        ticks = re.search(r'(?m)^gateway_loop_tick_seconds_bucket\{le="\+Inf"\} (\d+)$', text)
        count = re.search(r"(?m)^gateway_loop_tick_seconds_count (\d+)$", text)
        self.assertTrue(ticks and count and ticks.group(1) == count.group(1), text)
        self.assertGreater(int(count.group(1)), 0)
        self.assertRegex(text, r"(?m)^gateway_loop_tick_max_seconds [0-9.]+$")
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name_labels, value = line.rsplit(" ", 1)
                float(value)  # every sample line ends in a number
        self.assertEqual(0, gw.stop())

    def quiet_account(self):
        """A mock account that fetches nothing: an empty scenario."""
        empty = self.path("empty.jsonl")
        open(empty, "w").close()
        return mock_account(scenario=empty)

    def test_webhook_events_are_durable_before_the_200(self):
        gw = self.start(accounts=[self.quiet_account()])
        items = [{"type": "mention", "visibility": "public", "native_id": "wh-%d" % i,
                  "text": "@acme webhook item %d" % i} for i in range(3)]
        status, _, body = request(gw.url("/webhooks/mock/acme"), json.dumps(items).encode(),
                                  headers={"Content-Type": "application/json"})
        self.assertEqual(200, status, body)
        self.assertEqual({"accepted": 3, "rejected": 0}, json.loads(body))
        # The 200 promised durability: the log already holds the items.
        db = sqlite3.connect(os.path.join(self.dir, "var", "gateway.db"))
        ids = [r[0] for r in db.execute("SELECT id FROM events ORDER BY seq")]
        db.close()
        self.assertEqual(["mock:wh-0", "mock:wh-1", "mock:wh-2"], ids)
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= 3, 10, "delivery to the sink")
        validate_events(self, read_jsonl(self.path("events.jsonl")))
        # The same delivery again is accepted and stored once.
        status, _, _ = request(gw.url("/webhooks/mock/acme"), json.dumps(items).encode())
        self.assertEqual(200, status)
        self.assertEqual(0, gw.stop())
        self.assertEqual(3, count_lines(self.path("events.jsonl")))

    def test_webhook_errors_are_json_with_proper_status(self):
        gw = self.start()
        cases = [
            ("/webhooks/mock/nobody", b"[]", None, 404, "unknown_account"),
            ("/webhooks/mock", b"[]", None, 404, "not_found"),
            ("/webhooks/mock/acme/extra", b"[]", None, 404, "not_found"),
            ("/nowhere", None, None, 404, None),
            ("/webhooks/mock/acme", b"[]", "PUT", 405, None),
            ("/metrics", b"x", "POST", 405, None),
        ]
        for path, data, method, want, code in cases:
            status, headers, body = request(gw.url(path), data, method)
            self.assertEqual(want, status, path)
            doc = json.loads(body)
            self.assertIn("error", doc)
            self.assertIn("message", doc)
            if code:
                self.assertEqual(code, doc["error"], path)
        # The plugin's own refusals pass through as their status, in the
        # same shape; its 405 carries Allow like the server's own.
        status, _, body = request(gw.url("/webhooks/mock/acme"), b"{not json")
        self.assertEqual(400, status)
        doc = json.loads(body)
        self.assertEqual("invalid_json", doc["error"])
        self.assertIn("not JSON", doc["message"])
        for method in ("GET", "PUT"):  # the mock's 405, the server's 405
            status, headers, body = request(gw.url("/webhooks/mock/acme"), None, method)
            self.assertEqual(405, status, method)
            self.assertEqual("method_not_allowed", json.loads(body)["error"])
            self.assertTrue(json.loads(body)["message"])
            self.assertIn("POST", headers.get("Allow", ""), method)
        self.assertEqual(0, gw.stop())

    def raw(self, gw, data):
        return raw_request(gw.port(), data)

    def test_nul_bytes_in_the_request_are_400(self):
        gw = self.start()
        close = b"Host: t\r\nConnection: close\r\n"
        for target in (b"/healthz%00", b"/healthz\x00junk", b"/healthz?x=%00",
                       b"/webhooks/mock/acme%00", b"/webhooks/mock/acme\x00/x"):
            status, headers, body = self.raw(gw, b"GET " + target + b" HTTP/1.1\r\n" + close
                                             + b"\r\n")
            self.assertEqual(400, status, target)
            self.assertTrue(headers["Content-Type"].startswith("application/json"))
            doc = json.loads(body)
            self.assertEqual("bad_request", doc["error"], target)
            self.assertTrue(doc["message"])
        status, _, body = self.raw(gw, b"GET /healthz HTTP/1.1\r\n" + close
                                   + b"X-Note: a\x00b\r\n\r\n")
        self.assertEqual((400, "bad_request"), (status, json.loads(body)["error"]))
        self.assertIn("NUL", json.loads(body)["message"])
        # The same request without the NUL is fine.
        status, _, _ = self.raw(gw, b"GET /healthz HTTP/1.1\r\n" + close
                                + b"X-Note: a b\r\n\r\n")
        self.assertEqual(200, status)
        self.assertEqual(0, gw.stop())

    def test_oversized_webhook_body_is_refused_413_and_nothing_stored(self):
        gw = self.start(accounts=[self.quiet_account()], http_extra='max_body = "1KB"')
        big = json.dumps([{"type": "mention", "visibility": "public", "native_id": "big",
                           "text": "x" * 4000}]).encode()
        status, _, body = request(gw.url("/webhooks/mock/acme"), big)
        self.assertEqual(413, status)
        self.assertIn("error", json.loads(body))
        self.assertEqual(0, gw.stop())
        self.assertEqual(0, count_lines(self.path("events.jsonl")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
