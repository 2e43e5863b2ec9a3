"""The Facebook Pages plugin through the real binary against the fake Graph
server (tests/fakes/fake_facebook.py) over loopback: visitor posts,
comments and replies, tagged posts and Messenger with their cursors and
paging; webhooks (handshake, signatures, multi-entry deliveries, edits and
removals); comments, private replies and Messenger answers through the
action API; throttling and refused tokens.

Every test ends by asserting that each request the plugin sent was valid
against facebook-graph.openapi.yaml (the fake checks them all), that the
fake's answers were too, that no request failed authentication
(access_token and appsecret_proof) unless the test meant it, and that no
secret reached the log."""
import hashlib
import hmac
import json
import os
import sqlite3
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request

from gwtest import SOURCE, GatewayTestCase, config, read_jsonl, validate_events, wait_for

FAKE = os.path.join(SOURCE, "tests", "fakes", "fake_facebook.py")
SECRETS = {"FB_PAGE_TOKEN": "EAAG-page-token-Qx81", "FB_APP_SECRET": "appsecret-Lk20z",
           "FB_VERIFY_TOKEN": "verify-Pq77"}
API_TOKEN = "facebook-test-api-token-0123456789"
PAGE = "1000"
ANN = {"id": "201", "name": "Ann"}
BOB = {"id": "202", "name": "Bob"}
PAGE_FROM = {"id": PAGE, "name": "Acme"}
NOW = int(time.time())


def http(url, data=None, method=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def signature(body):
    return "sha256=" + hmac.new(SECRETS["FB_APP_SECRET"].encode(), body,
                                hashlib.sha256).hexdigest()


class FakeFacebook:
    def __init__(self, testcase, fixture):
        fx = {"page": PAGE_FROM, "token": SECRETS["FB_PAGE_TOKEN"],
              "app_secret": SECRETS["FB_APP_SECRET"]}
        fx.update(fixture)
        path = testcase.path("fake_facebook.json")
        with open(path, "w") as f:
            json.dump(fx, f)
        port_file = testcase.path("fake_facebook.port")
        self.err = open(testcase.path("fake_facebook.stderr"), "wb")
        self.proc = subprocess.Popen([sys.executable, FAKE, "--port-file", port_file,
                                      "--fixture", path], stdout=subprocess.DEVNULL,
                                     stderr=self.err)
        testcase.addCleanup(self.stop)

        def port():
            if self.proc.poll() is not None:
                raise AssertionError("fake_facebook.py exited: see %s" % self.err.name)
            if os.path.exists(port_file):
                with open(port_file) as f:
                    return int(f.read())
            return None
        self.base = "http://127.0.0.1:%d" % wait_for(port, 20, "fake_facebook.py to listen")

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


def account(fake, poll="200ms", **options):
    opts = {"base_url": fake.base, "page_id": PAGE, "page_access_token": "${FB_PAGE_TOKEN}",
            "app_secret": "${FB_APP_SECRET}", "verify_token": "${FB_VERIFY_TOKEN}"}
    opts.update(options)
    text = '[[account]]\nnetwork = "facebook"\nname = "acme"\npoll_interval = "%s"\n' % poll
    text += "  [account.options]\n"
    for k, v in opts.items():
        text += "  %s = %s\n" % (k, json.dumps(v))
    return text


def post(pid, message, author, t, **extra):
    return dict({"id": pid, "message": message, "from": author, "created_time": t}, **extra)


def comment(cid, post_id, message, author, t, parent=None):
    return {"id": cid, "post_id": post_id, "message": message, "from": author,
            "created_time": t, "parent": parent}


class FacebookTestCase(GatewayTestCase):
    def start(self, fake, **options):
        text = config(accounts=[account(fake, **options)],
                      gateway_extra='retry_base = "50ms"\nretry_max = "500ms"')
        text += '[api]\ntoken = "%s"\n' % API_TOKEN
        gw = self.gateway(text, env=dict(SECRETS)).start()
        return gw

    def events(self, type_=None):
        events = read_jsonl(self.path("events.jsonl"))
        validate_events(self, events)
        return [e for e in events if type_ is None or e["type"] == type_]

    def by_native(self, type_=None):
        return {e["native_id"]: e for e in self.events(type_)}

    def wait_events(self, n, what, type_=None, timeout=20):
        return wait_for(lambda: len(self.events(type_)) >= n, timeout, what)

    def finish(self, fake, gw, auth_failures=0):
        gw.wait_log("running: ")
        self.assertEqual(0, gw.stop())
        self.assertEqual([], fake.admin("/_fake/problems"),
                         "requests invalid against facebook-graph.openapi.yaml")
        self.assertEqual([], fake.admin("/_fake/response_problems"))
        self.assertEqual(auth_failures, len(fake.state()["auth_failures"]),
                         fake.state()["auth_failures"])
        log = gw.log()
        for name, value in SECRETS.items():
            self.assertNotIn(value, log, "%s leaked into the log" % name)
        events = self.events()
        ids = [e["id"] for e in events]
        self.assertEqual(len(ids), len(set(ids)), "duplicate events")
        return events

    def call(self, gw, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        status, _, text = http(gw.url(path), data, method,
                               {"Authorization": "Bearer " + API_TOKEN,
                                "Content-Type": "application/json"})
        return status, json.loads(text) if text else None

    def act(self, gw, kind, in_reply_to, text, key):
        status, doc = self.call(gw, "POST", "/v1/actions", {
            "network": "facebook", "account": "acme", "kind": kind,
            "in_reply_to": "facebook:" + in_reply_to, "text": text, "idempotency_key": key})
        self.assertEqual(202, status, doc)

        def done():
            status, d = self.call(gw, "GET", "/v1/actions/" + doc["id"])
            return d if d["state"] in ("succeeded", "failed") else None
        return wait_for(done, 20, "action %s to finish" % doc["id"])


FIXTURE = {
    "posts": [post("1000_1", "Our new blender is out", PAGE_FROM, NOW - 3000),
              post("1000_2", "My order #1234 never arrived", ANN, NOW - 2000),
              post("900_3", "Dinner with @Acme tonight", BOB, NOW - 1500, tagged=True)],
    "comments": [comment("1_10", "1000_1", "Does it crush ice?", ANN, NOW - 1000),
                 comment("1_11", "1000_1", "Yes it does!", PAGE_FROM, NOW - 900, "1_10"),
                 comment("1_12", "1000_1", "Mine broke after a week", BOB, NOW - 800, "1_10")],
    "conversations": [{"id": "t_1", "psid": "301", "name": "Cat",
                       "messages": [{"id": "m_1", "message": "Where is my refund?",
                                     "created_time": NOW - 600},
                                    {"id": "m_2", "message": "We are on it", "from_page": True,
                                     "created_time": NOW - 500}]}]}


class FetchTest(FacebookTestCase):
    def test_visitor_posts_comments_replies_tagged_and_messages(self):
        fake = FakeFacebook(self, FIXTURE)
        gw = self.start(fake, include_raw=True)
        self.wait_events(5, "visitor post, two comments, tagged post, message")
        events = self.finish(fake, gw)
        ev = {e["native_id"]: e for e in events}
        self.assertEqual({"1000_2", "1_10", "1_12", "900_3", "m_1"}, set(ev))
        self.assertEqual("mention", ev["1000_2"]["type"])
        self.assertEqual("1000_2", ev["1000_2"]["thread_id"])
        self.assertEqual("https://www.facebook.com/1000_2", ev["1000_2"]["url"])
        self.assertEqual({"id": "201", "name": "Ann"}, ev["1000_2"]["author"])
        self.assertEqual("My order #1234 never arrived", ev["1000_2"]["text"])
        # A top-level comment answers the post, a reply its parent comment.
        self.assertEqual(("comment", "1000_1", "1000_1"),
                         (ev["1_10"]["type"], ev["1_10"]["thread_id"], ev["1_10"]["in_reply_to"]))
        self.assertEqual(("1000_1", "1_10"), (ev["1_12"]["thread_id"], ev["1_12"]["in_reply_to"]))
        self.assertTrue(ev["1_12"]["url"].startswith("https://www.facebook.com/"))
        self.assertEqual(time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(NOW - 800)),
                         ev["1_12"]["created_at"])
        self.assertEqual("mention", ev["900_3"]["type"])
        self.assertTrue(ev["900_3"]["tags"]["mentioned"])
        self.assertEqual(("message", "private", "301", "Where is my refund?"),
                         (ev["m_1"]["type"], ev["m_1"]["visibility"],
                          ev["m_1"]["author"]["id"], ev["m_1"]["text"]))
        self.assertIn("raw", ev["m_1"])
        # Comments were asked for with replies (filter=stream).
        comments = fake.requests("comments")
        self.assertTrue(comments)
        self.assertTrue(all(r["query"].get("filter") == "stream" for r in comments))
        self.assertEqual("messenger", fake.requests("conversations")[0]["query"]["platform"])

    def test_backlog_pages_across_fetches_and_overlapping_fetches_deliver_once(self):
        posts = [post("1000_%d" % i, "visitor %d" % i, ANN, NOW - 5000 + i) for i in range(1, 8)]
        fake = FakeFacebook(self, {"posts": posts})
        gw = self.start(fake, limit=2, max_pages=1, fetch_tagged=False, fetch_messages=False,
                        fetch_comments=False)
        self.wait_events(7, "seven visitor posts over several fetches")
        feed = fake.requests("feed")
        self.assertTrue(any("after" in r["query"] for r in feed), "a walk resumed at a cursor")
        # New posts arrive; later fetches overlap (since is inclusive).
        fake.setup(posts=[post("1000_20", "another one", BOB, NOW - 10)])
        self.wait_events(8, "the new post")
        n = len(fake.requests("feed"))
        wait_for(lambda: len(fake.requests("feed")) >= n + 3, 20, "more polls")
        events = self.finish(fake, gw)
        self.assertEqual(8, len(events))
        self.assertTrue(any("since" in r["query"] for r in fake.requests("feed")))

    def test_throttling_waits_for_the_announced_regain_time(self):
        fake = FakeFacebook(self, {"posts": FIXTURE["posts"][:2]})
        fake.fault(endpoint="feed", code=80001, regain=0.05)  # 3 s
        gw = self.start(fake, fetch_tagged=False, fetch_messages=False, fetch_comments=False)
        self.wait_events(1, "the visitor post after the throttle")
        feed = fake.requests("feed")
        self.assertEqual(80001, feed[0]["error"])
        self.assertGreaterEqual(feed[1]["t"] - feed[0]["t"], 2.9, "waited for the regain time")
        self.finish(fake, gw)

    def test_usage_headers_slow_the_account_without_an_error(self):
        fake = FakeFacebook(self, {"posts": FIXTURE["posts"][:2],
                                   "usage": {"percent": 100, "regain": 0.05}})
        gw = self.start(fake, fetch_tagged=False, fetch_messages=False, fetch_comments=False,
                        poll="100ms")
        self.wait_events(1, "the visitor post")
        wait_for(lambda: len(fake.requests("feed")) >= 2, 20, "a second poll")
        feed = fake.requests("feed")
        self.assertEqual([200, 200], [r["status"] for r in feed[:2]])
        self.assertGreaterEqual(feed[1]["t"] - feed[0]["t"], 2.9,
                                "the host's budget held the account back")
        self.finish(fake, gw)

    def test_refused_token_raises_the_credentials_alert(self):
        fake = FakeFacebook(self, {"posts": FIXTURE["posts"][:2]})
        fake.fault(endpoint="feed", code=190, times=0)
        gw = self.start(fake)
        self.wait_events(1, "account.credentials_failed", "account.credentials_failed")
        self.finish(fake, gw)


class WebhookTest(FacebookTestCase):
    def quiet(self, fake):
        gw = self.start(fake, fetch_comments=False, fetch_visitor_posts=False,
                        fetch_tagged=False, fetch_messages=False)
        gw.port()
        return gw

    def stored(self):
        db = sqlite3.connect(self.path("var", "gateway.db"))
        try:
            return [r[0] for r in db.execute("SELECT id FROM events ORDER BY seq")]
        finally:
            db.close()

    def test_handshake_right_and_wrong_token(self):
        fake = FakeFacebook(self, {})
        gw = self.quiet(fake)
        status, headers, body = http(gw.url(
            "/webhooks/facebook/acme?hub.mode=subscribe&hub.verify_token=%s&hub.challenge=1158201444"
            % SECRETS["FB_VERIFY_TOKEN"]))
        self.assertEqual((200, b"1158201444"), (status, body))
        self.assertTrue(headers["Content-Type"].startswith("text/plain"))
        status, _, body = http(gw.url(
            "/webhooks/facebook/acme?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1"))
        self.assertEqual(403, status)
        self.assertNotIn(b"1", body.replace(b"403", b""))
        # Found by fuzz_facebook_webhook: a challenge that is not UTF-8 was
        # answered with no result at all (the host's 500 plugin_error).
        status, _, body = http(gw.url(
            "/webhooks/facebook/acme?hub.mode=subscribe&hub.verify_token=%s&hub.challenge=1%%FF"
            % SECRETS["FB_VERIFY_TOKEN"]))
        self.assertEqual((400, "bad_handshake"), (status, json.loads(body)["error"]))
        self.finish(fake, gw)

    def test_signed_multi_entry_delivery_once_and_bad_signatures_refused(self):
        fake = FakeFacebook(self, {})
        gw = self.quiet(fake)
        doc = {"object": "page", "entry": [
            {"id": PAGE, "time": NOW, "changes": [
                {"field": "feed", "value": {"item": "comment", "verb": "add",
                                            "comment_id": "1_50", "post_id": "1000_1",
                                            "parent_id": "1000_1", "message": "where is my refund?",
                                            "from": ANN, "created_time": NOW - 5}},
                {"field": "feed", "value": {"item": "comment", "verb": "add",
                                            "comment_id": "1_51", "post_id": "1000_1",
                                            "parent_id": "1_50", "message": "thanks",
                                            "from": PAGE_FROM, "created_time": NOW - 4}},
                {"field": "feed", "value": {"item": "comment", "verb": "edited",
                                            "comment_id": "1_50", "post_id": "1000_1",
                                            "message": "where is my refund??", "from": ANN,
                                            "created_time": NOW - 3}}]},
            {"id": PAGE, "time": NOW, "changes": [
                {"field": "feed", "value": {"item": "status", "verb": "add", "post_id": "1000_7",
                                            "message": "hello Acme", "from": BOB,
                                            "created_time": NOW - 2}},
                {"field": "feed", "value": {"item": "comment", "verb": "remove",
                                            "comment_id": "1_40", "post_id": "1000_1",
                                            "created_time": NOW - 1}}],
             "messaging": [{"sender": {"id": "301"}, "recipient": {"id": PAGE},
                            "timestamp": NOW * 1000, "message": {"mid": "m_abc",
                                                                 "text": "hello"}}]}]}
        body = json.dumps(doc).encode()
        for bad in (None, "sha256=" + "0" * 64, signature(body + b" ")):
            headers = {"Content-Type": "application/json"}
            if bad is not None:
                headers["X-Hub-Signature-256"] = bad
            status, _, answer = http(gw.url("/webhooks/facebook/acme"), body, "POST", headers)
            self.assertEqual(401, status, answer)
            self.assertEqual("invalid_signature", json.loads(answer)["error"])
        self.assertEqual([], self.stored())
        for _ in range(2):  # a redelivery changes nothing
            status, _, answer = http(gw.url("/webhooks/facebook/acme"), body, "POST",
                                     {"Content-Type": "application/json",
                                      "X-Hub-Signature-256": signature(body)})
            self.assertEqual(200, status, answer)
        events = self.finish(fake, gw)
        ev = {e["native_id"]: e for e in events}
        self.assertEqual(5, len(events), sorted(ev))
        self.assertEqual(("comment", "1000_1", "1000_1"),
                         (ev["1_50"]["type"], ev["1_50"]["thread_id"], ev["1_50"]["in_reply_to"]))
        self.assertEqual("mention", ev["1000_7"]["type"])
        self.assertEqual("message", ev["m_abc"]["type"])
        edited = [e for e in events if e["type"] == "item.edited"]
        removed = [e for e in events if e["type"] == "item.removed"]
        self.assertEqual("1_50", edited[0]["detail"]["item_id"])
        self.assertEqual("where is my refund??", edited[0]["text"])
        self.assertEqual("1_40", removed[0]["detail"]["item_id"])


class ActionTest(FacebookTestCase):
    def test_reply_private_reply_and_messenger_and_own_reply_not_delivered(self):
        fake = FakeFacebook(self, FIXTURE)
        gw = self.start(fake)
        gw.port()
        self.wait_events(5, "the fixture's items")
        reply = self.act(gw, "reply", "1_12", "Sorry Bob, we will replace it", "k1")
        private = self.act(gw, "private", "1_10", "Here are the details", "k2")
        dm = self.act(gw, "private", "m_1", "Your refund was sent today", "k3")
        for a in (reply, private, dm):
            self.assertEqual("succeeded", a["state"], a)
        created = fake.state()["created"]
        self.assertEqual(["comment", "message", "message"], [c["kind"] for c in created])
        # A reply to a reply threads under the top-level comment.
        self.assertEqual("1_10", created[0]["on"])
        self.assertEqual({"comment_id": "1_10"}, created[1]["recipient"])
        self.assertEqual(({"id": "301"}, "RESPONSE"),
                         (created[2]["recipient"], created[2]["messaging_type"]))
        # Our own comment comes back in the next fetch and is skipped.
        n = len(fake.requests("comments"))
        wait_for(lambda: len(fake.requests("comments")) >= n + 2, 20, "the comments read again")
        gw.wait_log("of the Page's own skipped")
        events = self.finish(fake, gw)
        self.assertNotIn(created[0]["id"], {e["native_id"] for e in events})
        self.assertEqual(3, len([e for e in events if e["type"] == "action.succeeded"]))

    def test_outside_the_messaging_window(self):
        fx = {"conversations": [{"id": "t_9", "psid": "309", "messages": [
            {"id": "m_9", "message": "hello?", "created_time": NOW - 2 * 86400}]}],
              "posts": [post("1000_1", "news", PAGE_FROM, NOW - 9 * 86400),
                        post("1000_2", "hi", ANN, NOW - 9 * 86400)],
              "comments": [comment("1_10", "1000_1", "old question", ANN, NOW - 8 * 86400)]}
        fake = FakeFacebook(self, fx)
        gw = self.start(fake, fetch_tagged=False)
        gw.port()
        self.wait_events(3, "the old message, post and comment")
        for n, target in enumerate(("m_9", "1_10")):
            a = self.act(gw, "private", target, "Sorry for the wait", "k%d" % n)
            self.assertEqual("failed", a["state"])
            self.assertTrue(a["reason"].startswith("outside_messaging_window"), a["reason"])
        # A post cannot be answered privately at all.
        a = self.act(gw, "private", "1000_2", "Hello", "k9")
        self.assertEqual("failed", a["state"])
        self.assertIn("not to a post", a["reason"])
        self.assertEqual([], fake.requests("send"), "refused before any request")
        self.finish(fake, gw)

    def test_window_runs_from_the_customers_newest_message(self):
        # Cat wrote two days ago and again an hour ago: answering the old
        # message is inside the 24-hour window, because Messenger counts
        # from the customer's last message, not the one answered.
        fx = {"conversations": [{"id": "t_9", "psid": "309", "name": "Cat", "messages": [
            {"id": "m_8", "message": "hello?", "created_time": NOW - 2 * 86400},
            {"id": "m_9", "message": "anyone there?", "created_time": NOW - 3600}]}]}
        fake = FakeFacebook(self, fx)
        gw = self.start(fake, fetch_comments=False, fetch_visitor_posts=False,
                        fetch_tagged=False)
        gw.port()
        self.wait_events(2, "both messages")
        a = self.act(gw, "private", "m_8", "Sorry for the wait", "k1")
        self.assertEqual("succeeded", a["state"], a)
        sent = fake.state()["created"][0]
        self.assertEqual(({"id": "309"}, "RESPONSE"), (sent["recipient"], sent["messaging_type"]))
        self.finish(fake, gw)

    def test_human_agent_answers_within_seven_days(self):
        fx = {"conversations": [{"id": "t_9", "psid": "309", "messages": [
            {"id": "m_9", "message": "hello?", "created_time": NOW - 2 * 86400}]}]}
        fake = FakeFacebook(self, fx)
        gw = self.start(fake, fetch_comments=False, fetch_visitor_posts=False,
                        fetch_tagged=False, human_agent=True)
        gw.port()
        self.wait_events(1, "the old message")
        a = self.act(gw, "private", "m_9", "Sorry for the wait", "k1")
        self.assertEqual("succeeded", a["state"], a)
        sent = fake.state()["created"][0]
        self.assertEqual(("MESSAGE_TAG", "HUMAN_AGENT"), (sent["messaging_type"], sent["tag"]))
        self.finish(fake, gw)

    def test_policy_and_permission_errors_fail_with_facebooks_words_transient_ones_retry(self):
        fake = FakeFacebook(self, FIXTURE)
        gw = self.start(fake, fetch_messages=False, fetch_tagged=False)
        gw.port()
        self.wait_events(2, "the comments")
        for n, (code, words) in enumerate(((368, "You can't comment right now."),
                                           (200, "The Page lacks pages_manage_engagement."),
                                           (10, "This action needs a permission."))):
            fake.fault(endpoint="create_comment", code=code, user_msg=words)
            a = self.act(gw, "reply", "1_10", "hello", "k%d" % n)
            self.assertEqual("failed", a["state"])
            self.assertIn(words, a["reason"])
        self.assertEqual([], fake.state()["created"])
        # Codes 1 and 2 are transient: the same answer goes out again.
        fake.fault(endpoint="create_comment", code=2, times=1)
        a = self.act(gw, "reply", "1_10", "hello again", "k9")
        self.assertEqual("succeeded", a["state"], a)
        self.assertEqual([2, None], [r["error"] for r in fake.requests("create_comment")[-2:]])
        self.finish(fake, gw)


if __name__ == "__main__":
    unittest.main()
