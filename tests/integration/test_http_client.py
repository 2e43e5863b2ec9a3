"""The host's HTTP client under faults, through the real gateway: a test
plugin (tests/plugins_test/http_probe.c) fetches one URL of the fault
server per poll through host->http_request."""
import os
import re
import time
import unittest
import urllib.request

from gwtest import (TEST_PLUGINS, GatewayTestCase, config, count_lines, read_jsonl,
                    validate_events, wait_for)

FAST = 'retry_base = "50ms"\nretry_max = "500ms"\nmax_failures = 3'


def probe_account(url, poll="100ms", immediate=False, name="p", gauge=False):
    return ('[[account]]\nnetwork = "probe"\nname = "%s"\npoll_interval = "%s"\n'
            '  [account.options]\n  url = "%s"\n  immediate = %s\n  gauge = %s\n'
            % (name, poll, url, "true" if immediate else "false", "true" if gauge else "false"))


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class HttpClientFaultTest(GatewayTestCase):
    def setUp(self):
        super().setUp()
        self.server = self.fake("http_fault_server.py")

    def gw(self, path, **kw):
        cfg = config(accounts=[probe_account(self.server.url(path), **kw)], gateway_extra=FAST)
        cfg = cfg.replace('plugin_dir = "', 'plugin_dir = "%s" #' % TEST_PLUGINS, 1)
        return self.gateway(cfg).start()

    def requests_to(self, match):
        return self.server.get_json("/count?match=" + match)["requests"]

    def metrics(self, gw):
        with urllib.request.urlopen(gw.url("/metrics"), timeout=10) as r:
            return r.read().decode()

    def test_429_is_never_retried_before_the_announced_reset(self):
        gw = self.gw("/429?reset=2")
        wait_for(lambda: len(self.requests_to("/429")) >= 3, 30, "three attempts at /429")
        self.assertTrue(gw.alive())
        reqs = self.requests_to("/429")
        for before, after in zip(reqs, reqs[1:]):
            # Each 429 announced "reset at" (Unix seconds); the next attempt
            # must not come before it (1 s resolution of the header).
            self.assertGreaterEqual(after["t"], before["reset"] - 0.001, reqs)
        wait_for(lambda: "fetch will be retried" in gw.log(), 10, "the account backs off")
        self.assertIn('gateway_http_client_status_total{code="429"}', self.metrics(gw))
        self.assertEqual(0, gw.stop())

    def test_libcurl_is_loaded_for_the_first_request(self):
        # test_loader checks that an idle gateway has no libcurl mapped; the
        # first request loads it (http/curl_lib.c) and goes through.
        gw = self.gw("/ok")
        wait_for(lambda: len(self.requests_to("/ok")) >= 1, 30, "the probe's first request")
        with open("/proc/%d/maps" % gw.proc.pid) as f:
            files = {os.path.basename(l.split()[-1]) for l in f if "/" in l}
        self.assertTrue([f for f in files if f.startswith("libcurl.so.4")], files)
        wait_for(lambda: re.search(r'(?m)^gateway_http_client_responses_total\{class="2xx"\} [1-9]',
                                   self.metrics(gw)), 10, "a 2xx answer counted")
        self.assertEqual(0, gw.stop())

    def test_plugin_gauges_and_escaped_labels_for_every_account(self):
        # Two accounts set the probe's own gauge: one # TYPE for the name,
        # a line per account; a name with a quote and a backslash is
        # escaped in every per-account series (metrics.c renders each
        # account's labels once per scrape).
        odd = 'q\\"\\\\x'  # TOML for q"\x
        cfg = config(accounts=[probe_account(self.server.url("/ok"), gauge=True),
                               probe_account(self.server.url("/ok"), name=odd, gauge=True)],
                     gateway_extra=FAST)
        cfg = cfg.replace('plugin_dir = "', 'plugin_dir = "%s" #' % TEST_PLUGINS, 1)
        gw = self.gateway(cfg).start()
        line = r'(?m)^gateway_plugin_answers\{network="probe",account="%s"\} ([1-9][0-9]*)$'
        wait_for(lambda: re.search(line % "p", self.metrics(gw))
                 and re.search(line % re.escape('q\\"\\\\x'), self.metrics(gw)),
                 30, "both accounts' answers gauge")
        text = self.metrics(gw)
        self.assertEqual(1, text.count("# TYPE gateway_plugin_answers gauge\n"), text)
        self.assertIn("# HELP gateway_plugin_answers HTTP answers the probe received.\n", text)
        self.assertRegex(text, r'(?m)^gateway_fetch_total\{network="probe",account="q\\"'
                               r'\\\\x",outcome="ok"\} [1-9]')
        self.assertIn('gateway_account_up{network="probe",account="q\\"\\\\x"} 1\n', text)
        self.assertEqual(0, gw.stop())

    def test_503_is_retried_with_backoff_and_reported_as_retry(self):
        gw = self.gw("/503")
        gw.wait_log("fetch will be retried", timeout=20)
        self.assertTrue(gw.alive())
        text = self.metrics(gw)
        self.assertRegex(text, r'gateway_fetch_total\{network="probe",account="p",'
                               r'outcome="retry"\} [1-9]')
        self.assertRegex(text, r"gateway_http_client_retries_total [1-9]")
        self.assertEqual(0, gw.stop())

    def test_hang_past_the_timeout_is_abandoned_and_the_gateway_keeps_serving(self):
        cfg = config(accounts=[probe_account(self.server.url("/hang?ms=60000"))],
                     gateway_extra=FAST + '\nfetch_timeout = "1s"')
        cfg = cfg.replace('plugin_dir = "', 'plugin_dir = "%s" #' % TEST_PLUGINS, 1)
        gw = self.gateway(cfg).start()
        gw.wait_log("no completion within 1000 ms", timeout=20)
        with urllib.request.urlopen(gw.url("/healthz"), timeout=5) as r:
            self.assertEqual(200, r.status)
        self.assertEqual(0, gw.stop(timeout=30))

    def test_truncated_body_is_a_transport_error_and_survived(self):
        gw = self.gw("/truncated")
        gw.wait_log("fetch will be retried", timeout=20)
        self.assertRegex(self.metrics(gw), r"gateway_http_client_transport_errors_total [1-9]")
        self.assertEqual(0, gw.stop())

    def test_malformed_json_stops_the_account_but_not_the_gateway(self):
        gw = self.gw("/badjson")
        gw.wait_log("account stopped after 3 consecutive failures", timeout=20)
        self.assertIn("malformed JSON", gw.log())
        self.assertTrue(gw.alive())
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(gw.url("/readyz"), timeout=5)
        self.assertEqual(503, cm.exception.code)
        self.assertEqual(0, gw.stop())
        events = read_jsonl(self.path("events.jsonl"))
        validate_events(self, events)
        self.assertEqual(["account.stopped"], [e["type"] for e in events])

    def test_oversized_body_is_refused_without_reading_it_all(self):
        gw = self.gw("/big?bytes=20000000")
        gw.wait_log("larger than", timeout=20)
        self.assertTrue(gw.alive())
        self.assertEqual(0, gw.stop())

    def test_401_marks_the_credentials_and_emits_an_alert_event(self):
        gw = self.gw("/status?code=401")
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= 1, 20, "an alert event")
        self.assertIn("refused the account's credentials", gw.log())
        self.assertIn('gateway_account_credentials_ok{network="probe",account="p"} 0',
                      self.metrics(gw))
        self.assertEqual(0, gw.stop())
        events = read_jsonl(self.path("events.jsonl"))
        validate_events(self, events)
        self.assertEqual("account.credentials_failed", events[0]["type"])
        # Said once, not once per failed request.
        self.assertEqual(1, sum(e["type"] == "account.credentials_failed" for e in events))

    def test_memory_stays_flat_over_a_long_run(self):
        if os.environ.get("GW_TEST_SLOWDOWN", "1") != "1":
            self.skipTest("RSS is not meaningful under ASan (its quarantine grows by design)")
        gw = self.gw("/ok", immediate=True)
        wait_for(lambda: self.server.get_json("/count?match=/ok")["count"] >= 500, 60,
                 "500 requests")
        early = rss_kb(gw.proc.pid)
        wait_for(lambda: self.server.get_json("/count?match=/ok")["count"] >= 5000, 120,
                 "5000 requests")
        late = rss_kb(gw.proc.pid)
        print("RSS after 500 requests: %d KB, after 5000: %d KB" % (early, late))
        self.assertLess(late - early, 2048, "RSS grew by %d KB" % (late - early))
        self.assertEqual(0, gw.stop())


if __name__ == "__main__":
    unittest.main(verbosity=2)
