"""The X (Twitter) plugin through the real binary against the fake X server
(tests/fakes/fake_x.py) over loopback: mentions, keyword search and DMs
with their cursors and paging, rate limits, credential failures, broken
answers, webhooks (CRC and signatures), echo suppression, and replies and
DMs through the action API.

Every test ends by asserting that each request the plugin sent was valid
against X's published OpenAPI document (the fake checks them all), that
the fake's own answers were too, and that no secret reached the log."""
import base64
import hashlib
import hmac
import json
import os
import re
import sqlite3
import subprocess
import sys
import unittest
import urllib.error
import urllib.request

from gwtest import (SLOW, SOURCE, GatewayTestCase, config, count_lines, read_jsonl, require_shared,
                    validate_events, wait_for)

FAKE_X = os.path.join(SOURCE, "tests", "fakes", "fake_x.py")
# The fake checks every request against the published spec in ../shared.
require_shared("api-specs", "twitter", "openapi.json")

# Distinctive, so a leak into the log is found by a plain search.
SECRETS = {"X_BEARER_TOKEN": "bearer-Q7hd93ks",
           "X_CONSUMER_KEY": "ckey-Lp02xw",
           "X_CONSUMER_SECRET": "csecret-Zz81Kq",
           "X_ACCESS_TOKEN": "100-atoken-Hn3c",
           "X_ACCESS_TOKEN_SECRET": "atsecret-Vm55Rt"}
API_TOKEN = "twitter-test-api-token-0123456789"
BRAND, ANN, BOB = "100", "200", "300"
USERS = [{"id": BRAND, "name": "Acme Support", "username": "acme", "followers": 50000,
          "verified": True},
         {"id": ANN, "name": "Ann", "username": "ann", "followers": 1234, "verified": True},
         {"id": BOB, "name": "Bob", "username": "bob", "followers": 5, "verified": False}]
FAST = 'retry_base = "50ms"\nretry_max = "500ms"'


def http(url, data=None, method=None, headers=None):
    """(status, headers, body bytes) without raising on HTTP errors."""
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def x_signature(body):
    mac = hmac.new(SECRETS["X_CONSUMER_SECRET"].encode(), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(mac).decode()


class FakeX:
    """One fake_x.py process with its own fixture and admin client."""

    def __init__(self, testcase, fixture):
        fx = {"brand": BRAND, "users": USERS,
              "credentials": {"bearer": SECRETS["X_BEARER_TOKEN"],
                              "consumer_key": SECRETS["X_CONSUMER_KEY"],
                              "consumer_secret": SECRETS["X_CONSUMER_SECRET"],
                              "access_token": SECRETS["X_ACCESS_TOKEN"],
                              "access_token_secret": SECRETS["X_ACCESS_TOKEN_SECRET"]}}
        fx.update(fixture)
        path = testcase.path("fake_x.json")
        with open(path, "w") as f:
            json.dump(fx, f)
        port_file = testcase.path("fake_x.port")
        self.err = open(testcase.path("fake_x.stderr"), "wb")
        self.proc = subprocess.Popen([sys.executable, FAKE_X, "--port-file", port_file,
                                      "--fixture", path], stdout=subprocess.DEVNULL,
                                     stderr=self.err)
        testcase.addCleanup(self.stop)

        def port():
            if self.proc.poll() is not None:
                raise AssertionError("fake_x.py exited: see %s" % self.err.name)
            if os.path.exists(port_file):
                with open(port_file) as f:
                    return int(f.read())
            return None
        self.port = wait_for(port, 20, "fake_x.py to listen")
        self.base = "http://127.0.0.1:%d" % self.port

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()

    def admin(self, path, doc=None):
        data = json.dumps(doc).encode() if doc is not None else None
        status, _, body = http(self.base + path, data, "POST" if data else "GET",
                               {"Content-Type": "application/json"})
        assert status == 200, (path, status, body)
        return json.loads(body)

    def requests(self, endpoint=None):
        return [r for r in self.admin("/_fake/requests")
                if endpoint is None or r["endpoint"] == endpoint]

    def state(self):
        return self.admin("/_fake/state")

    def setup(self, **fx):
        return self.admin("/_fake/setup", fx)

    def fault(self, **f):
        return self.admin("/_fake/faults", f)


def account(fake, name="acme", poll="200ms", **options):
    opts = {"base_url": fake.base, "user_id": BRAND, "handle": "acme",
            "bearer_token": "${X_BEARER_TOKEN}", "consumer_key": "${X_CONSUMER_KEY}",
            "consumer_secret": "${X_CONSUMER_SECRET}", "access_token": "${X_ACCESS_TOKEN}",
            "access_token_secret": "${X_ACCESS_TOKEN_SECRET}", "search_terms": ["acme"]}
    opts.update(options)
    text = '[[account]]\nnetwork = "twitter"\nname = "%s"\npoll_interval = "%s"\n' % (name, poll)
    text += "  [account.options]\n"
    for k, v in opts.items():
        if v is not None:
            text += "  %s = %s\n" % (k, json.dumps(v))
    return text


def tweet(tid, text, author, **extra):
    t = {"id": str(tid), "text": text, "author_id": author,
         "created_at": "2026-11-20T10:%02d:00.000Z" % (tid % 60)}
    t.update(extra)
    return t


T0 = 1860000000000000000


class TwitterTestCase(GatewayTestCase):
    def start(self, fake, accounts=None, gateway_extra="", env=None, api=False, **options):
        text = config(accounts=accounts or [account(fake, **options)],
                      gateway_extra=gateway_extra)
        if api:
            text += '[api]\ntoken = "%s"\n' % API_TOKEN
        full_env = dict(SECRETS)
        full_env.update(env or {})
        gw = self.gateway(text, env=full_env).start()
        self.gw = gw
        return gw

    def events(self, type_=None):
        events = read_jsonl(self.path("events.jsonl"))
        validate_events(self, events)
        return [e for e in events if type_ is None or e["type"] == type_]

    def wait_events(self, n, what, type_=None, timeout=20):
        return wait_for(lambda: len(self.events(type_)) >= n, timeout, what)

    def finish(self, fake, gw, auth_failures=0):
        """Stop the gateway cleanly and check what every test promises."""
        # SIGTERM drains only once the loop runs (before, it kills).
        gw.wait_log("running: ")
        self.assertEqual(0, gw.stop())
        self.assertEqual([], fake.admin("/_fake/problems"),
                         "requests invalid against X's OpenAPI document")
        self.assertEqual([], fake.admin("/_fake/response_problems"),
                         "the fake's own answers are invalid")
        self.assertEqual(auth_failures, len(fake.state()["auth_failures"]),
                         fake.state()["auth_failures"])
        log = gw.log()
        for name, value in SECRETS.items():
            self.assertNotIn(value, log, "%s leaked into the log" % name)
        events = self.events()
        ids = [e["id"] for e in events]
        self.assertEqual(len(ids), len(set(ids)), "duplicate events")
        return events

    def echoes_skipped(self, gw):
        """How many of the brand's own items the plugin skipped so far."""
        return sum(int(n) for n in re.findall(r"(\d+) of the brand's own skipped", gw.log()))

    def by_native(self, type_=None):
        return {e["native_id"]: e for e in self.events(type_)}


class FetchTest(TwitterTestCase):
    def test_mentions_search_and_dms_fill_every_field(self):
        fake = FakeX(self, {
            "tweets": [tweet(T0 + 1, "@acme my order #1234 is late", ANN),
                       tweet(T0 + 2, "@ann @acme same here, 2 weeks", BOB,
                             in_reply_to=str(T0 + 1)),
                       tweet(T0 + 3, "acme support never answers", BOB),
                       tweet(T0 + 4, "Loving my new Acme blender", ANN, lang="und"),
                       tweet(T0 + 5, "nothing to see here", BOB),
                       tweet(T0 + 6, "RT @ann: @acme my order #1234 is late", BOB,
                             retweet_of=str(T0 + 1))],
            "dms": [{"id": str(T0 + 7), "text": "hi, any news on order 1234?", "sender_id": ANN,
                     "created_at": "2026-11-20T11:00:00.000Z"}]})
        gw = self.start(fake)
        self.wait_events(5, "3 mentions, 1 keyword match and 1 DM")
        wait_for(lambda: len(fake.requests("dm_events")) >= 2, 10, "a second fetch")
        events = self.finish(fake, gw)
        self.assertEqual(5, len(events))
        got = self.by_native()

        first = got[str(T0 + 1)]
        self.assertEqual("mention", first["type"])
        self.assertEqual("public", first["visibility"])
        self.assertEqual("twitter:%d" % (T0 + 1), first["id"])
        self.assertEqual(str(T0 + 1), first["thread_id"])
        self.assertNotIn("in_reply_to", first)
        self.assertEqual("https://x.com/ann/status/%d" % (T0 + 1), first["url"])
        self.assertEqual({"id": ANN, "handle": "ann", "name": "Ann", "followers": 1234,
                          "verified": True}, first["author"])
        self.assertEqual("@acme my order #1234 is late", first["text"])
        self.assertEqual("en", first["lang"])
        self.assertEqual("2026-11-20T10:01:00.000Z", first["created_at"])
        self.assertEqual({"keywords": ["acme"], "mentioned": True},  # plus triage's
                         {k: first["tags"][k] for k in ("keywords", "mentioned")})

        reply = got[str(T0 + 2)]
        self.assertEqual(str(T0 + 1), reply["in_reply_to"])
        self.assertEqual(str(T0 + 1), reply["thread_id"])
        self.assertEqual({"id": BOB, "handle": "bob", "name": "Bob", "followers": 5,
                          "verified": False}, reply["author"])

        keyword = got[str(T0 + 3)]
        self.assertEqual("mention", keyword["type"])
        self.assertEqual({"keywords": ["acme"], "mentioned": False},  # plus triage's
                         {k: keyword["tags"][k] for k in ("keywords", "mentioned")})
        self.assertNotIn("lang", got[str(T0 + 4)])  # X's "und" is no language
        self.assertNotIn(str(T0 + 5), got)  # matches nothing
        self.assertNotIn(str(T0 + 6), got)  # a retweet

        dm = got[str(T0 + 7)]
        self.assertEqual("message", dm["type"])
        self.assertEqual("private", dm["visibility"])
        self.assertEqual("%s-%s" % (BRAND, ANN), dm["thread_id"])
        self.assertEqual("https://x.com/messages/%s-%s" % (BRAND, ANN), dm["url"])
        self.assertEqual(ANN, dm["author"]["id"])
        self.assertEqual("2026-11-20T11:00:00.000Z", dm["created_at"])

        # Reads of public data with the app bearer, DMs in user context,
        # and the keyword search without the @ (mentions come from the
        # timeline, our own posts are excluded).
        self.assertEqual({"bearer"}, {r["auth"] for r in fake.requests("mentions")})
        self.assertEqual({"bearer"}, {r["auth"] for r in fake.requests("search")})
        self.assertEqual({"oauth"}, {r["auth"] for r in fake.requests("dm_events")})
        self.assertEqual("(acme) -is:retweet -from:acme -@acme",
                         fake.requests("search")[0]["query"]["query"])
        # The next fetch asks only for what is newer than the newest the
        # timeline held (the retweet, skipped but seen).
        later = fake.requests("mentions")[1:]
        self.assertTrue(later)
        self.assertEqual({str(T0 + 6)}, {r["query"].get("since_id") for r in later})

    def test_paging_walks_every_page_and_resumes_across_fetches(self):
        fake = FakeX(self, {"tweets": [tweet(T0 + i, "@acme issue %d" % i, ANN)
                                       for i in range(1, 31)]})
        gw = self.start(fake, max_results=10, max_pages=2, search_terms=[], fetch_dms=False)
        self.wait_events(30, "30 mentions over 3 pages")
        # Then 12 more: a walk of two pages below since_id.
        fake.setup(tweets=[tweet(T0 + 100 + i, "@acme later %d" % i, BOB) for i in range(12)])
        self.wait_events(42, "12 more mentions")
        events = self.finish(fake, gw)
        self.assert_exactly_once(events, 42)

        walk = [r["query"] for r in fake.requests("mentions")]
        first, second, third = walk[0], walk[1], walk[2]
        self.assertNotIn("pagination_token", first)
        self.assertNotIn("since_id", first)
        self.assertEqual("10", first["max_results"])
        # max_pages = 2 cut the first walk; the next fetch resumed it at
        # once with the stored token, still without since_id.
        self.assertIn("pagination_token", second)
        self.assertIn("pagination_token", third)
        self.assertNotEqual(second["pagination_token"], third["pagination_token"])
        self.assertNotIn("since_id", third)
        # Once the walk ended, since_id is the newest of all 30.
        after = [q for q in walk[3:] if "since_id" in q]
        self.assertTrue(after)
        self.assertEqual(str(T0 + 30), after[0]["since_id"])
        # The second backlog was walked below the same since_id.
        self.assertTrue(any("pagination_token" in q and q.get("since_id") == str(T0 + 30)
                            for q in walk), walk)

    def test_dms_without_since_id_are_delivered_once(self):
        fake = FakeX(self, {"dms": [{"id": str(T0 + i), "text": "question %d" % i,
                                     "sender_id": ANN if i % 2 else BOB} for i in range(1, 16)]
                            + [{"id": str(T0 + 20), "text": "our answer", "sender_id": BRAND,
                                "recipient_id": ANN}]})
        gw = self.start(fake, fetch_mentions=False, search_terms=[], max_results=10)
        self.wait_events(15, "15 DMs over 2 pages", "message")
        wait_for(lambda: len(fake.requests("dm_events")) >= 5, 20, "several more fetches")
        fake.setup(dms=[{"id": str(T0 + 30), "text": "one more", "sender_id": BOB}])
        self.wait_events(16, "the new DM", "message")
        wait_for(lambda: len(fake.requests("dm_events")) >= 8, 20, "fetches after the new DM")
        events = self.finish(fake, gw)
        self.assert_exactly_once(events, 16)
        self.assertNotIn(str(T0 + 20), self.by_native())  # the brand's own message
        # Only the first walk needed a second page: later fetches stop at
        # the first page, which already reaches known ids.
        paged = [r for r in fake.requests("dm_events") if "pagination_token" in r["query"]]
        self.assertEqual(1, len(paged))

    def test_same_tweet_from_mentions_and_search_is_one_event(self):
        fake = FakeX(self, {"tweets": [tweet(T0 + 1, "@acme acme is broken again", ANN),
                                       tweet(T0 + 2, "acme is broken", BOB)]})
        # Without a handle the search cannot exclude @-mentions, so both
        # streams return the first tweet.
        gw = self.start(fake, handle=None, fetch_dms=False)
        self.wait_events(2, "two tweets")
        wait_for(lambda: len(fake.requests("search")) >= 3, 10, "several searches")
        self.finish(fake, gw)
        got = self.by_native()
        self.assertEqual({str(T0 + 1), str(T0 + 2)}, set(got))
        self.assertTrue(got[str(T0 + 1)]["tags"]["mentioned"])
        self.assertFalse(got[str(T0 + 2)]["tags"]["mentioned"])
        self.assertEqual("(acme) -is:retweet", fake.requests("search")[0]["query"]["query"])

    def test_overlapping_fetch_after_a_timeout_delivers_no_duplicate(self):
        fake = FakeX(self, {"tweets": [tweet(T0 + i, "@acme stalled %d" % i, ANN)
                                       for i in range(1, 6)]})
        # The first mentions request stalls past fetch_timeout: the host
        # abandons that fetch and starts another while it is still out.
        fake.fault(endpoint="mentions", kind="stall", seconds=2.5)
        gw = self.start(fake, search_terms=[], fetch_dms=False,
                        gateway_extra='fetch_timeout = "1s"\n' + FAST)
        gw.wait_log("superseded", timeout=20)
        self.wait_events(5, "the 5 mentions")
        wait_for(lambda: len(fake.requests("mentions")) >= 4, 20, "later fetches")
        events = self.finish(fake, gw)
        self.assert_exactly_once(events, 5)
        self.assertIn("no completion within", gw.log())


class LimitsTest(TwitterTestCase):
    def assert_nothing_sent_before(self, requests, after_t, reset):
        early = [r for r in requests if r["t"] > after_t and r["t"] < reset]
        self.assertEqual([], early, "requests sent before the announced reset %d" % reset)

    def run_429(self, reset_in):
        fake = FakeX(self, {"tweets": [tweet(T0 + 1, "@acme rate limited", ANN)]})
        fake.fault(endpoint="mentions", status=429, reset_in=reset_in)
        gw = self.start(fake, search_terms=[], gateway_extra=FAST)
        self.wait_events(1, "the mention after the reset", timeout=20 + reset_in)
        events = self.finish(fake, gw)
        self.assertEqual(1, len(events))
        requests = fake.requests()
        limited = [r for r in requests if r["status"] == 429]
        self.assertEqual(1, len(limited), limited)
        reset = limited[0]["reset"]
        self.assertGreaterEqual(reset, int(limited[0]["t"]) + reset_in)
        self.assert_nothing_sent_before(requests, limited[0]["t"], reset)
        later = [r for r in requests if r["t"] > limited[0]["t"]]
        self.assertTrue(later, "nothing was sent after the reset")
        self.assertGreaterEqual(min(r["t"] for r in later), reset)
        return gw

    def test_429_waits_until_the_reset_short(self):
        # Within the host's own retry horizon: the host waits and resends.
        self.run_429(2)

    def test_429_waits_until_the_reset_long(self):
        # Beyond it: the plugin completes RETRY with the host's delay.
        gw = self.run_429(7)
        self.assertIn("fetch will be retried", gw.log())

    def test_spent_budget_holds_requests_until_the_reset(self):
        fake = FakeX(self, {"tweets": [tweet(T0 + 1, "@acme hello", ANN)],
                            "rate_limits": {"mentions": {"limit": 2, "window": 3}}})
        gw = self.start(fake, search_terms=[], fetch_dms=False, poll="100ms")
        self.wait_events(1, "the mention")
        wait_for(lambda: len(fake.requests("mentions")) >= 5, 30, "two windows of requests")
        self.finish(fake, gw)
        requests = fake.requests("mentions")
        self.assertEqual([], [r for r in requests if r["status"] == 429],
                         "the host let a request through on a spent budget")
        for r in requests:
            if r["remaining"] == 0:
                self.assert_nothing_sent_before(requests, r["t"], r["reset"])


class FailureTest(TwitterTestCase):
    def test_401_marks_the_account_and_emits_an_alert(self):
        fake = FakeX(self, {"tweets": [tweet(T0 + 1, "@acme hello", ANN)]})
        gw = self.start(fake, env={"X_BEARER_TOKEN": "bearer-revoked"},
                        gateway_extra=FAST + '\nmax_failures = 3')
        self.wait_events(1, "the credentials alert", "account.credentials_failed")
        gw.wait_log("account stopped after 3 consecutive failures", timeout=20)
        events = self.finish(fake, gw, auth_failures=len(fake.state()["auth_failures"]))
        alert = [e for e in events if e["type"] == "account.credentials_failed"]
        self.assertEqual(1, len(alert))
        self.assertEqual(401, alert[0]["detail"]["status"])
        self.assertEqual("twitter", alert[0]["network"])
        self.assertIn("the network refused the account's credentials (401)", gw.log())
        self.assertIn("HTTP 401", gw.log())
        self.assertEqual([], self.events("mention"))
        self.assertTrue(all(f["why"] == "wrong bearer token"
                            for f in fake.state()["auth_failures"]))

    def test_malformed_truncated_and_unavailable_answers_are_survived(self):
        fake = FakeX(self, {"tweets": [tweet(T0 + i, "@acme broken %d" % i, ANN)
                                       for i in range(1, 4)],
                            "dms": [{"id": str(T0 + 9), "text": "dm", "sender_id": BOB}]})
        fake.fault(endpoint="mentions", kind="malformed")
        fake.fault(endpoint="mentions", kind="truncated", times=3)
        fake.fault(endpoint="dm_events", kind="malformed")
        fake.fault(endpoint="dm_events", status=503, times=2)
        gw = self.start(fake, search_terms=[], gateway_extra=FAST)
        self.wait_events(4, "everything once the answers are whole again", timeout=30)
        events = self.finish(fake, gw)
        self.assert_exactly_once(events, 4)
        self.assertIn("malformed JSON", gw.log())
        statuses = [r["status"] for r in fake.requests()]
        self.assertIn(503, statuses)

    def test_unknown_user_id_fails_with_x_words(self):
        fake = FakeX(self, {})
        gw = self.start(fake, user_id="999", search_terms=[], fetch_dms=False,
                        gateway_extra=FAST + '\nmax_failures = 2')
        gw.wait_log("account stopped after 2 consecutive failures", timeout=20)
        self.finish(fake, gw)
        self.assertIn("Could not find user with id: [999]", gw.log())

    def test_bad_options_refuse_the_account_with_a_reason(self):
        fake = FakeX(self, {})
        cases = [
            ({"user_id": "@acme"}, "user_id must be the account's numeric id"),
            ({"access_token_secret": None}, "missing: access_token_secret"),
            ({"search_terms": ["@acme"]}, "search_terms are keywords without the @"),
            ({"bearer_token": None, "consumer_key": None, "consumer_secret": None,
              "access_token": None, "access_token_secret": None, "fetch_dms": False},
             "reading mentions or search needs bearer_token"),
            ({"base_url": "ftp://x"}, "base_url must start with https://"),
        ]
        accounts = [account(fake, name="bad%d" % i, **opts) for i, (opts, _) in enumerate(cases)]
        gw = self.start(fake, accounts=accounts)
        # Refused before start-up, every account in one pass, each line
        # naming the account's options (see test_check_config).
        self.assertEqual(2, gw.proc.wait(timeout=20 * SLOW))
        for i, (_, reason) in enumerate(cases):
            self.assertRegex(gw.log(), r"account\[%d\]\.options(\.\w+)?: twitter: .*%s"
                             % (i, re.escape(reason)))
        self.assertEqual([], fake.requests())


class WebhookTest(TwitterTestCase):
    def quiet(self, fake, **extra):
        """Webhooks only: nothing is polled (the keywords still tag)."""
        return self.start(fake, fetch_mentions=False, fetch_dms=False, fetch_search=False,
                          **extra)

    def post(self, gw, payload, signature=True, raw=None):
        body = raw if raw is not None else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if signature is True:
            headers["x-twitter-webhooks-signature"] = x_signature(body)
        elif signature:
            headers["x-twitter-webhooks-signature"] = signature
        return http(gw.url("/webhooks/twitter/acme"), body, "POST", headers)

    def stored(self):
        db = sqlite3.connect(self.path("var", "gateway.db"))
        try:
            return [r[0] for r in db.execute("SELECT id FROM events ORDER BY seq")]
        finally:
            db.close()

    def test_crc_challenge_is_answered_with_the_hmac(self):
        fake = FakeX(self, {})
        gw = self.quiet(fake)
        status, headers, body = http(gw.url("/webhooks/twitter/acme?crc_token=abc%2B123"))
        self.assertEqual(200, status, body)
        self.assertTrue(headers["Content-Type"].startswith("application/json"))
        mac = hmac.new(SECRETS["X_CONSUMER_SECRET"].encode(), b"abc+123", hashlib.sha256)
        self.assertEqual({"response_token": "sha256=" + base64.b64encode(mac.digest()).decode()},
                         json.loads(body))
        status, _, _ = http(gw.url("/webhooks/twitter/acme"))
        self.assertEqual(400, status)
        self.finish(fake, gw)
        self.assertEqual([], fake.requests())

    def test_signed_deliveries_are_stored_and_bad_ones_refused(self):
        fake = FakeX(self, {})
        gw = self.quiet(fake)
        tweets = {"for_user_id": BRAND, "tweet_create_events": [
            {"created_at": "Fri Nov 20 10:00:00 +0000 2026", "id_str": "1861000000000000001",
             "text": "@acme where is my refund?", "in_reply_to_status_id_str": None,
             "lang": "en", "user": {"id_str": ANN, "name": "Ann", "screen_name": "ann",
                                    "followers_count": 1234, "verified": False},
             "entities": {"user_mentions": [{"id_str": BRAND, "screen_name": "acme"}]}},
            {"created_at": "Fri Nov 20 10:01:00 +0000 2026", "id_str": "1861000000000000002",
             "text": "@ann sorry, checking", "in_reply_to_status_id_str": "1861000000000000001",
             "user": {"id_str": BRAND, "name": "Acme Support", "screen_name": "acme"}}]}
        status, _, body = self.post(gw, tweets)
        self.assertEqual(200, status, body)
        self.assertEqual({"accepted": 1, "ignored": 1}, json.loads(body))
        # The 200 promised durability: the log already holds the item.
        self.assertEqual(["twitter:1861000000000000001"], self.stored())

        dms = {"for_user_id": BRAND, "direct_message_events": [
            {"type": "message_create", "id": "1861000000000000003",
             "created_timestamp": "1795168800000",
             "message_create": {"target": {"recipient_id": BRAND}, "sender_id": BOB,
                                "message_data": {"text": "DM about my refund"}}}],
            "users": {BOB: {"id": BOB, "name": "Bob", "screen_name": "bob",
                            "followers_count": 5, "verified": False}}}
        status, _, body = self.post(gw, dms)
        self.assertEqual(200, status, body)

        before = self.stored()
        forged = json.dumps({"for_user_id": BRAND, "tweet_create_events": [
            {"id_str": "1861000000000000009", "text": "@acme forged",
             "user": {"id_str": BOB, "screen_name": "bob"}}]}).encode()
        for signature in (False, "sha256=" + base64.b64encode(b"x" * 32).decode(),
                          x_signature(forged + b" ")):
            status, _, body = self.post(gw, None, signature=signature, raw=forged)
            self.assertEqual(401, status, body)
            self.assertEqual("invalid_signature", json.loads(body)["error"])
        # Another user's delivery on the same webhook: taken, not ours.
        status, _, body = self.post(gw, dict(tweets, for_user_id="999"))
        self.assertEqual({"accepted": 0, "ignored": 2}, json.loads(body))
        self.assertEqual(before, self.stored())

        wait_for(lambda: count_lines(self.path("events.jsonl")) >= 2, 10, "the sink")
        self.finish(fake, gw)
        got = self.by_native()
        self.assertEqual({"1861000000000000001", "1861000000000000003"}, set(got))
        tw = got["1861000000000000001"]
        self.assertEqual("2026-11-20T10:00:00.000Z", tw["created_at"])
        self.assertEqual("https://x.com/ann/status/1861000000000000001", tw["url"])
        self.assertEqual("1861000000000000001", tw["thread_id"])
        self.assertEqual({"keywords": ["acme"], "mentioned": True},  # plus triage's
                         {k: tw["tags"][k] for k in ("keywords", "mentioned")})
        dm = got["1861000000000000003"]
        self.assertEqual("message", dm["type"])
        self.assertEqual("%s-%s" % (BRAND, BOB), dm["thread_id"])
        self.assertEqual({"id": BOB, "handle": "bob", "name": "Bob", "followers": 5,
                          "verified": False}, dm["author"])
        self.assertEqual("2026-11-20T10:00:00.000Z", dm["created_at"])
        self.assertIn("webhook delivery refused", self.gw.log())


class EchoTest(TwitterTestCase):
    def test_the_brands_own_posts_fetched_back_are_not_customer_events(self):
        fake = FakeX(self, {
            "tweets": [tweet(T0 + 1, "acme lost my parcel", ANN),
                       tweet(T0 + 2, "@ann acme here: sorry, we are on it", BRAND,
                             in_reply_to=str(T0 + 1))],
            "dms": [{"id": str(T0 + 3), "text": "parcel?", "sender_id": ANN},
                    {"id": str(T0 + 4), "text": "acme: sent you the tracking", "sender_id": BRAND,
                     "recipient_id": ANN}]})
        # Without a handle the search cannot exclude the brand's posts: the
        # reply comes back and only its author tells it apart.
        gw = self.start(fake, handle=None)
        self.wait_events(2, "the customer's tweet and DM")
        wait_for(lambda: self.echoes_skipped(gw) >= 2, 10, "the reply and the DM skipped")
        self.finish(fake, gw)
        self.assertEqual({str(T0 + 1), str(T0 + 3)}, set(self.by_native()))


class ActionsTest(TwitterTestCase):
    def call(self, gw, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        status, _, text = http(gw.url(path), data, method,
                               {"Authorization": "Bearer " + API_TOKEN,
                                "Content-Type": "application/json"})
        return status, json.loads(text) if text else None

    def wait_action(self, gw, action_id):
        def done():
            status, doc = self.call(gw, "GET", "/v1/actions/" + action_id)
            self.assertEqual(200, status, doc)
            return doc if doc["state"] in ("succeeded", "failed") else None
        return wait_for(done, 20, "action %s to finish" % action_id)

    def test_reply_and_dm_end_to_end_and_their_echo_is_skipped(self):
        fake = FakeX(self, {
            "tweets": [tweet(T0 + 1, "acme my parcel is lost", ANN)],
            "dms": [{"id": str(T0 + 2), "text": "acme, any update?", "sender_id": BOB}]})
        gw = self.start(fake, handle=None, api=True)
        gw.port()
        self.wait_events(2, "the customer's tweet and DM")

        status, doc = self.call(gw, "POST", "/v1/actions", {
            "network": "twitter", "account": "acme", "kind": "reply",
            "in_reply_to": "twitter:%d" % (T0 + 1), "text": "acme here: sorry Ann, on it",
            "idempotency_key": "k-reply"})
        self.assertEqual(202, status, doc)
        reply = self.wait_action(gw, doc["id"])
        status, doc = self.call(gw, "POST", "/v1/actions", {
            "network": "twitter", "account": "acme", "kind": "private",
            "in_reply_to": "twitter:%d" % (T0 + 2), "text": "acme: here is your tracking",
            "idempotency_key": "k-dm"})
        self.assertEqual(202, status, doc)
        dm = self.wait_action(gw, doc["id"])
        self.assertEqual("succeeded", reply["state"], reply)
        self.assertEqual("succeeded", dm["state"], dm)

        created = fake.state()["created"]
        self.assertEqual(["tweet", "dm"], [c["kind"] for c in created])
        self.assertEqual(str(T0 + 1), created[0]["in_reply_to"])
        self.assertEqual(BOB, created[1]["to"])
        posts = fake.requests("create_tweet") + fake.requests("create_dm")
        self.assertEqual({"oauth"}, {r["auth"] for r in posts})
        self.assertEqual({"text": "acme here: sorry Ann, on it",
                          "reply": {"in_reply_to_tweet_id": str(T0 + 1)}},
                         json.loads(fake.requests("create_tweet")[0]["body"]))

        # Both come back on the next fetches (search finds the reply, the
        # DM list shows the message sent) and are not customer items.
        before = len(fake.requests("dm_events"))
        wait_for(lambda: len(fake.requests("dm_events")) >= before + 2, 20, "two more fetches")
        wait_for(lambda: self.echoes_skipped(gw) >= 2, 10, "the reply and the DM skipped")
        self.finish(fake, gw)
        customer = [e for e in self.events() if e["type"] in ("mention", "message")]
        self.assertEqual({str(T0 + 1), str(T0 + 2)}, {e["native_id"] for e in customer})
        succeeded = self.events("action.succeeded")
        self.assertEqual({created[0]["id"], created[1]["id"]},
                         {e["detail"]["native_id"] for e in succeeded})
        urls = {e["detail"]["native_id"]: e["detail"].get("url") for e in succeeded}
        self.assertEqual("https://x.com/i/web/status/%s" % created[0]["id"],
                         urls[created[0]["id"]])

    def test_duplicate_reply_fails_with_x_words(self):
        fake = FakeX(self, {"tweets": [tweet(T0 + 1, "@acme hello", ANN),
                                       tweet(T0 + 2, "@acme hello again", ANN)]})
        gw = self.start(fake, api=True, fetch_dms=False, search_terms=[])
        gw.port()
        self.wait_events(2, "two mentions")
        ids = []
        for n, key in ((1, "k1"), (2, "k2")):
            status, doc = self.call(gw, "POST", "/v1/actions", {
                "network": "twitter", "account": "acme", "kind": "reply",
                "in_reply_to": "twitter:%d" % (T0 + n), "text": "Thanks, we are on it",
                "idempotency_key": key, "force": True})
            self.assertEqual(202, status, doc)
            ids.append(doc["id"])
            self.wait_action(gw, doc["id"])
        first, second = (self.wait_action(gw, i) for i in ids)
        self.assertEqual("succeeded", first["state"])
        self.assertEqual("failed", second["state"])
        self.finish(fake, gw)
        failed = self.events("action.failed")
        self.assertEqual(1, len(failed))
        self.assertIn("duplicate content", failed[0]["detail"]["reason"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
