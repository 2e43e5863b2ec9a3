"""Many accounts in one gateway: their first fetches are spread (over
count / 200 s, at most the poll interval, at least 250 ms) rather than all
opened in the first quarter second, and lookups by network and name
(webhooks, GET /v1/accounts, /readyz) find every one of them.

The spread is read from each account's debug line "first fetch in D ms
(spread over W ms)", so nothing here depends on timing."""
import re
import unittest
import urllib.request

from gwtest import GatewayTestCase, config, wait_for
from test_actions import ENV, api_config, call

LINE = re.compile(r"mock/(a\d+): first fetch in (\d+) ms \(spread over (\d+) ms\)")


def accounts(count, poll):
    """Quiet mock accounts: each replays an empty scenario (empty.jsonl,
    written by setUp), so they fetch and find nothing."""
    return ['[[account]]\nnetwork = "mock"\nname = "a%d"\npoll_interval = "%s"\n'
            '  [account.options]\n  scenario = "empty.jsonl"\n' % (i, poll)
            for i in range(count)]


class ManyAccountsTest(GatewayTestCase):
    def setUp(self):
        super().setUp()
        open(self.path("empty.jsonl"), "w").close()

    def first_fetches(self, gw, count):
        found = wait_for(lambda: (lambda f: f if len(f) == count else None)(
            LINE.findall(gw.log())), 30, "a first-fetch line for every account")
        return {name: (int(delay), int(window)) for name, delay, window in found}

    def check_spread(self, count, poll, window):
        """count accounts polling every poll: each first fetch is spread
        over window ms, and the delays fill it (not only its first half)."""
        gw = self.gateway(config(accounts=accounts(count, poll))).start()
        first = self.first_fetches(gw, count)
        self.assertEqual(count, len(first))
        self.assertEqual({window}, {w for _, w in first.values()})
        delays = [d for d, _ in first.values()]
        self.assertTrue(all(0 <= d < window for d in delays), delays)
        self.assertEqual(0, gw.stop())
        return delays

    def test_first_fetches_of_400_accounts_are_spread_over_two_seconds(self):
        # 400 accounts / 200 per second = 2 s, below the 10 s interval.
        delays = self.check_spread(400, "10s", 2000)
        # Uniform over [0, 2000): all 400 in one half has odds of 2^-399.
        self.assertGreaterEqual(max(delays), 1000)
        self.assertLess(min(delays), 1000)

    def test_the_spread_never_exceeds_the_interval(self):
        self.check_spread(400, "1s", 1000)

    def test_a_few_accounts_still_start_within_a_quarter_second(self):
        self.check_spread(3, "100ms", 250)

    def test_every_account_is_found_by_network_and_name(self):
        gw = self.gateway(api_config(accounts=accounts(300, "60s")), env=ENV).start()
        self.first_fetches(gw, 300)
        status, _, doc = call(gw, "GET", "/v1/accounts")
        self.assertEqual(200, status, doc)
        self.assertEqual(sorted("a%d" % i for i in range(300)),
                         sorted(a["name"] for a in doc["accounts"]))
        self.assertEqual({"running"}, {a["state"] for a in doc["accounts"]})
        for name in ("a0", "a150", "a299"):
            status, _, doc = call(gw, "POST", "/webhooks/mock/%s" % name, body=[], token=None)
            self.assertEqual(200, status, (name, doc))
        status, _, doc = call(gw, "POST", "/webhooks/mock/a300", body=[], token=None)
        self.assertEqual(404, status, doc)
        with urllib.request.urlopen(gw.url("/readyz"), timeout=10) as r:
            self.assertEqual(200, r.status)
        self.assertEqual(0, gw.stop())


if __name__ == "__main__":
    unittest.main()
