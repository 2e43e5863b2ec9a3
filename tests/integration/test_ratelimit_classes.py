"""Rate-limit budgets per endpoint class, through the real binary against
the fake X server: X counts each endpoint in its own window, so a spent
mentions window must hold back the next mentions call until its reset and
nothing else. A reply (POST /2/tweets) and a DM (POST /2/dm_conversations)
sent through the action API while the mentions window is spent go out at
once; the mentions call waits for the announced reset. With one budget per
account (before rate classes) the reply and the DM waited for the mentions
reset too."""
import json
import re
import unittest
import urllib.request

# The module, not its names: importing its TestCase classes here would run
# them a second time under this file.
import test_twitter as tw
from gwtest import SLOW, wait_for


def metric(gw, name, cls):
    """The value of name{...,class="cls"} for the account acme, or 0."""
    with urllib.request.urlopen(gw.url("/metrics"), timeout=10) as r:
        text = r.read().decode()
    m = re.search(r'^%s\{network="twitter",account="acme",class="%s"\} (\d+)$'
                  % (re.escape(name), re.escape(cls)), text, re.M)
    return int(m.group(1)) if m else 0


class RateClassTest(tw.TwitterTestCase):
    # The action API helpers, not ActionsTest's tests.
    call = tw.ActionsTest.call
    wait_action = tw.ActionsTest.wait_action

    def test_a_spent_mentions_window_holds_back_only_mentions(self):
        # Long enough that the actions below certainly land inside it even
        # under a sanitizer, and beyond max_budget_wait (60 s), so the held
        # mentions call comes back RETRY at once; the test does not wait
        # for the window to end.
        window = int(90 * SLOW)
        fake = tw.FakeX(self, {
            "tweets": [tw.tweet(tw.T0 + 1, "@acme where is my parcel?", tw.ANN)],
            "rate_limits": {"mentions": {"limit": 1, "window": window}}})
        gw = self.start(fake, api=True, search_terms=[], fetch_dms=False, poll="100ms")
        gw.port()
        self.wait_events(1, "the mention")
        first = fake.requests("mentions")[0]
        self.assertEqual(0, first["remaining"], "the fake did not spend the window")
        reset = first["reset"]

        # The gateway read the spent window into the mentions class only.
        # (Held calls are not asserted through waits_total: a block longer
        # than max_budget_wait, as under a sanitizer, is answered RETRY
        # without waiting; the fake's records below show none went early.)
        wait_for(lambda: metric(gw, "gateway_ratelimit_blocked_seconds", "mentions") > 0, 20,
                 "the mentions class to be blocked")
        self.assertEqual(0, metric(gw, "gateway_ratelimit_blocked_seconds", "default"))

        ids = []
        for kind, key in (("reply", "k-reply"), ("private", "k-dm")):
            status, doc = self.call(gw, "POST", "/v1/actions", {
                "network": "twitter", "account": "acme", "kind": kind,
                "in_reply_to": "twitter:%d" % (tw.T0 + 1), "text": "acme here: on it",
                "idempotency_key": key})
            self.assertEqual(202, status, doc)
            ids.append(doc["id"])
        for action_id in ids:
            done = self.wait_action(gw, action_id)
            self.assertEqual("succeeded", done["state"], done)

        posts = fake.requests("create_tweet") + fake.requests("create_dm")
        self.assertEqual(2, len(posts), posts)
        for r in posts:
            self.assertLess(r["t"], reset, "%s waited for the mentions window" % r["path"])
        self.assertEqual(0, metric(gw, "gateway_ratelimit_waits_total", "post"))
        self.assertEqual(0, metric(gw, "gateway_ratelimit_waits_total", "dm_write"))
        self.finish(fake, gw)
        # Never called again before its reset (and never answered 429).
        mentions = fake.requests("mentions")
        self.assertEqual([], [r for r in mentions[1:] if r["t"] < reset],
                         "a mentions call was sent before the announced reset")
        self.assertEqual([], [r for r in fake.requests() if r["status"] == 429])
        self.assertEqual(1, len(self.events("mention")), json.dumps(self.events()))

    def test_stopping_releases_a_call_held_for_the_rate_limit(self):
        # A window shorter than max_budget_wait (60 s), so the second
        # mentions call is held rather than answered RETRY at once. The
        # drain must not wait it out: SIGTERM releases the held call (its
        # fetch ends as a retry and nothing was sent), the gateway exits 0
        # well inside shutdown_timeout, which is made longer than the
        # window so a drain that waited would show.
        window = 50
        fake = tw.FakeX(self, {
            "tweets": [tw.tweet(tw.T0 + 1, "@acme where is my parcel?", tw.ANN)],
            "rate_limits": {"mentions": {"limit": 1, "window": window}}})
        gw = self.start(fake, api=True, search_terms=[], fetch_dms=False, poll="100ms",
                        gateway_extra='shutdown_timeout = "2m"')
        self.wait_events(1, "the mention")
        reset = fake.requests("mentions")[0]["reset"]
        wait_for(lambda: metric(gw, "gateway_ratelimit_waits_total", "mentions") >= 1, 20,
                 "the next mentions call to be held for the window")
        self.finish(fake, gw)
        log = gw.log()
        self.assertIn("request(s) waiting for the rate limit or a retry released", log)
        self.assertNotIn("drain did not finish", log)
        self.assertEqual([], [r for r in fake.requests("mentions")[1:] if r["t"] < reset],
                         "the released call was sent anyway")
        self.assertEqual(1, len(self.events("mention")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
