"""The Discourse ("forum") plugin end to end: the real gateway with
plugins/forum.so against tests/fakes/fake_discourse.py.

Every test starts its own fake forum (a subprocess on an ephemeral port)
and gateway, and ends by asserting that the fake found no request the
published Discourse OpenAPI document would refuse. Waits are bounded polls,
never blind sleeps; time bounds scale with GW_TEST_SLOWDOWN.
"""
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

from gwtest import (SOURCE, GatewayTestCase, config, count_lines, read_jsonl, require_shared,
                    validate_events, wait_for)

FAKE = os.path.join(SOURCE, "tests", "fakes", "fake_discourse.py")
# The fake checks every request against the published spec in ../shared.
require_shared("api-specs", "discourse", "openapi.json")
API_KEY = "forum-test-key-0123"
SECRET = "forum-webhook-secret"
API_TOKEN = "forum-actions-token-0123456789"
ENV = {"DISCOURSE_API_KEY": API_KEY, "DISCOURSE_WEBHOOK_SECRET": SECRET,
       "GATEWAY_API_TOKEN": API_TOKEN}
FAST_RETRY = 'retry_base = "100ms"\nretry_max = "1s"'


def http(url, data=None, method=None, headers=None):
    """(status, headers, body bytes) without raising on HTTP errors."""
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


class FakeForum:
    """tests/fakes/fake_discourse.py in a subprocess."""

    def __init__(self, workdir):
        port_file = os.path.join(workdir, "fake_discourse.port")
        self.err_path = os.path.join(workdir, "fake_discourse.stderr")
        self.errf = open(self.err_path, "wb")
        self.proc = subprocess.Popen([sys.executable, "-B", FAKE, "--port", "0", "--port-file",
                                      port_file, "--api-key", API_KEY],
                                     stdout=subprocess.DEVNULL, stderr=self.errf)
        try:
            port = wait_for(lambda: self._read_port(port_file), 20, "the fake forum to listen")
        except AssertionError:
            self.stop()
            with open(self.err_path, errors="replace") as f:
                raise AssertionError("the fake forum did not start:\n" + f.read()[-2000:])
        self.url = "http://127.0.0.1:%d" % port

    def _read_port(self, path):
        if self.proc.poll() is not None:
            raise AssertionError("it exited with %s" % self.proc.returncode)
        try:
            with open(path) as f:
                return int(f.read())
        except (OSError, ValueError):
            return None

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        status, _, text = http(self.url + path, data, method)
        if status != 200:
            raise AssertionError("fake %s %s -> %d %s" % (method, path, status, text))
        return json.loads(text)

    def topic(self, title, username, raw, **kw):
        return self.call("POST", "/_fake/topic", dict(title=title, username=username, raw=raw,
                                                      **kw))

    def post(self, topic_id, username, raw, **kw):
        return self.call("POST", "/_fake/post", dict(topic_id=topic_id, username=username,
                                                     raw=raw, **kw))

    def configure(self, **kw):
        return self.call("POST", "/_fake/config", kw)

    def fault(self, mode, count=1, match=None, **kw):
        return self.call("POST", "/_fake/fault", dict(mode=mode, count=count, match=match, **kw))

    def log(self):
        return self.call("GET", "/_fake/log")["requests"]

    def problems(self):
        return self.call("GET", "/_fake/problems")["problems"]

    def posts(self):
        return self.call("GET", "/_fake/posts")["posts"]

    def webhook(self, post_id):
        return self.call("GET", "/_fake/webhook/%d" % post_id)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.errf.close()


def forum_account(base, name="acme", poll="200ms", **options):
    text = '[[account]]\nnetwork = "forum"\nname = "%s"\npoll_interval = "%s"\n' % (name, poll)
    text += "  [account.options]\n"
    opts = {"base_url": base, "api_key": "${DISCOURSE_API_KEY}", "api_username": "acme_support",
            "webhook_secret": "${DISCOURSE_WEBHOOK_SECRET}"}
    opts.update(options)
    for k, v in opts.items():
        text += "  %s = %s\n" % (k, json.dumps(v))
    return text


class ForumTest(GatewayTestCase):
    def setUp(self):
        super().setUp()
        try:
            self.fake = FakeForum(self.dir)
        except BaseException:
            super().tearDown()  # unittest skips tearDown when setUp fails
            raise

    def tearDown(self):
        try:
            problems = self.fake.problems()
        finally:
            self.fake.stop()
            super().tearDown()
        self.assertEqual([], problems, "requests the Discourse OpenAPI document refuses")

    def start(self, api=False, **options):
        text = config(accounts=[forum_account(self.fake.url, **options)],
                      gateway_extra=FAST_RETRY)
        if api:
            text += '[api]\ntoken = "${GATEWAY_API_TOKEN}"\n'
        gw = self.gateway(text, env=ENV).start()
        gw.port()
        return gw

    def events(self):
        events = read_jsonl(self.path("events.jsonl"))
        validate_events(self, events)
        return events

    def items(self):
        """Events from the network (not the gateway's own)."""
        return [e for e in self.events() if "." not in e["type"]]

    def wait_items(self, n, timeout=20):
        return wait_for(lambda: (lambda items: items if len(items) >= n else None)(self.items()),
                        timeout, "%d items in the sink" % n)

    def assert_once(self, events):
        ids = [e["id"] for e in events]
        self.assertEqual(len(ids), len(set(ids)), "duplicates: %s" % ids)

    # ---- fetch -----------------------------------------------------------

    def test_fetch_delivers_posts_mentions_and_private_messages(self):
        fake = self.fake
        t = fake.topic("Export broken", "ann", "@acme_support the export is broken since Monday")
        bob = fake.post(t["topic_id"], "bob", "Same here, the CSV is empty.",
                        reply_to_post_number=1)
        fake.post(t["topic_id"], "acme_support", "Thanks, we are looking into it right now.")
        other = fake.topic("Off topic", "bob", "@acme_support what about the roadmap?",
                           category_id=7)
        pm = fake.topic("My order", "ann", "Where is my order 1234? It is late.",
                        private_to=["acme_support"])
        gw = self.start(categories=["4"])
        items = {e["native_id"]: e for e in self.wait_items(4)}
        self.assertEqual({str(t["post_id"]), str(bob["post_id"]), str(other["post_id"]),
                          str(pm["post_id"])}, set(items))

        first = items[str(t["post_id"])]
        self.assertEqual("mention", first["type"])
        self.assertEqual("public", first["visibility"])
        self.assertEqual("forum:%d" % t["post_id"], first["id"])
        self.assertEqual(str(t["topic_id"]), first["thread_id"])
        self.assertEqual("%s/t/export-broken/%d/1" % (fake.url, t["topic_id"]), first["url"])
        self.assertEqual({"id": "10", "handle": "ann", "name": "Ann Smith"}, first["author"])
        self.assertEqual("@acme_support the export is broken since Monday", first["text"])
        reply = items[str(bob["post_id"])]
        self.assertEqual("comment", reply["type"])
        self.assertEqual(str(t["post_id"]), reply["in_reply_to"])
        # Outside the category filter, but it mentions the brand: through
        # notifications.json.
        self.assertEqual("mention", items[str(other["post_id"])]["type"])
        message = items[str(pm["post_id"])]
        self.assertEqual(("message", "private"), (message["type"], message["visibility"]))
        self.assertEqual(str(pm["topic_id"]), message["thread_id"])
        # The brand's own post is nobody's customer item.
        self.assertNotIn("acme_support", [e["author"]["handle"] for e in self.items()])

        # Every request carried the key and the brand's name.
        paths = [r["path"] for r in fake.log()]
        self.assertTrue(all(r["username"] == "acme_support" for r in fake.log()))
        for want in ("/posts.json", "/notifications.json",
                     "/topics/private-messages/acme_support.json", "/t/%d.json" % pm["topic_id"]):
            self.assertIn(want, paths)
        self.assertEqual(0, gw.stop())
        self.assert_once(self.events())
        self.assertEqual(4, len(self.items()))

    def test_paging_and_overlapping_fetches_deliver_each_post_once(self):
        fake = self.fake
        fake.configure(page_size=3)
        t = fake.topic("Old news", "bob", "An old post nobody needs to see again.")
        gw = self.start(backfill_pages=0, max_pages=2)
        # The first fetch took the forum as it was: the cursor is past it.
        wait_for(lambda: any(r["path"].startswith("/topics/private-messages")
                             for r in fake.log()), 20, "the first fetch")
        made = []
        for batch in range(3):
            for i in range(5):
                raw = "Question %d.%d: @acme_support how do I export?" % (batch, i)
                made.append(fake.post(t["topic_id"], "ann" if i % 2 else "bob", raw)["post_id"])
            # A batch lands between fetches; the next one overlaps the last.
            n = len(made)
            wait_for(lambda: len(self.items()) >= n, 20, "%d items" % n)
        items = self.items()
        self.assertEqual(sorted(str(p) for p in made), sorted(e["native_id"] for e in items))
        self.assert_once(items)
        # Five new posts, three per page, two pages per fetch: the walk went
        # down with before=.
        self.assertTrue(any("before=" in r["path"] for r in fake.log()))
        # Every item was mentioned, and notifications.json said so too: still once.
        self.assertTrue(all(e["type"] == "mention" for e in items))
        self.assertEqual(0, gw.stop())
        self.assert_once(self.events())

    def burst_between_two_polls(self, make, **options):
        """Start, let the first fetch take the forum as it is, stop; make
        the burst while no gateway runs; start again. Returns the ids made."""
        gw = self.start(backfill_pages=0, **options)
        last = ("/topics/private-messages" if options.get("fetch_private", True)
                else "/notifications.json")  # the last phase of a fetch
        # A second fetch has begun: the first one is over, its cursors stored.
        wait_for(lambda: sum(r["path"].startswith(last) and r.get("status") == 200
                             for r in self.fake.log()) >= 2, 20, "the first fetch")
        self.assertEqual(0, gw.stop())
        made = make()
        return self.start(backfill_pages=0, **options), made

    def test_a_burst_of_mentions_over_three_pages_is_delivered_once(self):
        fake = self.fake

        def make():
            made = []
            topic = None
            for i in range(130):  # Discourse lists 60 notifications a page
                raw = "Burst %d: @acme_support the export fails again" % i
                if i % 20 == 0:
                    topic = fake.topic("Burst %d" % i, "ann", raw)
                    made.append(topic["post_id"])
                else:
                    made.append(fake.post(topic["topic_id"], "bob", raw)["post_id"])
            return made

        gw, made = self.burst_between_two_polls(make, fetch_posts=False, fetch_private=False)
        self.wait_items(len(made), timeout=60)
        items = self.items()
        self.assertEqual(sorted(str(p) for p in made), sorted(e["native_id"] for e in items))
        self.assertTrue(all(e["type"] == "mention" for e in items))
        # The walk followed load_more_notifications down to the third page.
        self.assertTrue(any(r["path"].startswith("/notifications?offset=120")
                            for r in fake.log()))
        self.assertEqual(0, gw.stop())
        self.assert_once(self.events())

    def test_a_burst_of_private_messages_beyond_the_inbox_page_is_delivered_once(self):
        fake = self.fake
        # The inbox lists 30 topics and the API gives it no next page: the
        # topics below are found through the brand's notifications.
        gw, made = self.burst_between_two_polls(
            lambda: [fake.topic("Order %d" % i, "ann" if i % 2 else "bob",
                                "Where is my order %d? It is late." % i,
                                private_to=["acme_support"])["post_id"] for i in range(70)],
            fetch_posts=False)
        self.wait_items(len(made), timeout=60)
        items = self.items()
        self.assertEqual(sorted(str(p) for p in made), sorted(e["native_id"] for e in items))
        self.assertTrue(all(e["type"] == "message" for e in items))
        self.assertEqual(0, gw.stop())
        self.assert_once(self.events())

    def make_mentions(self, n, tag):
        """n posts that @mention the brand, ten to a topic. Returns their ids."""
        made = []
        topic = None
        for i in range(n):
            raw = "%s %d: @acme_support the export fails again" % (tag, i)
            if i % 10 == 0:
                topic = self.fake.topic("%s %d" % (tag, i), "ann", raw)
                made.append(topic["post_id"])
            else:
                made.append(self.fake.post(topic["topic_id"], "bob", raw)["post_id"])
        return made

    def assert_delivered_once(self, made):
        items = self.items()
        self.assertEqual(sorted(str(p) for p in made), sorted(e["native_id"] for e in items))
        self.assertTrue(all(e["type"] == "mention" for e in items))
        self.assert_once(self.events())

    def offset_requests(self, status=200):
        return [r for r in self.fake.log()
                if r["path"].startswith("/notifications?offset=") and r.get("status") == status]

    # A capped walk: five notifications a page, one or two pages a fetch.
    CAPPED = dict(fetch_posts=False, fetch_private=False, max_notification_pages=1)

    def test_a_backlog_deeper_than_max_notification_pages_spreads_over_fetches(self):
        self.fake.configure(notifications_page_size=5)
        gw, made = self.burst_between_two_polls(lambda: self.make_mentions(23, "Backlog"),
                                                **dict(self.CAPPED, max_notification_pages=2))
        self.wait_items(len(made), timeout=60)
        # Five pages at two a fetch: the third fetch read on from the second's link.
        self.assertTrue(any(r["path"].startswith("/notifications?offset=20")
                            for r in self.offset_requests()))
        self.assertEqual(0, gw.stop())
        self.assert_delivered_once(made)

    def test_a_mention_arriving_during_a_capped_walk_is_delivered_once(self):
        fake = self.fake
        fake.configure(notifications_page_size=5)
        # The walk stalls at its second page until the mentions below exist.
        fake.fault("503", count=2, match="/notifications?offset=")
        gw, made = self.burst_between_two_polls(lambda: self.make_mentions(30, "Backlog"),
                                                **self.CAPPED)
        wait_for(lambda: self.offset_requests(503), 20, "the walk to go on below its first page")
        made += self.make_mentions(3, "Meanwhile")
        self.wait_items(len(made), timeout=60)
        self.assertEqual(0, gw.stop())
        self.assert_delivered_once(made)

    def test_a_restart_in_the_middle_of_a_capped_walk_loses_nothing(self):
        fake = self.fake
        fake.configure(notifications_page_size=5)
        fake.fault("503", count=2, match="/notifications?offset=")
        gw, made = self.burst_between_two_polls(lambda: self.make_mentions(30, "Backlog"),
                                                **self.CAPPED)
        # The first page is handled and the walk is under way when it dies.
        self.wait_items(5)
        wait_for(lambda: self.offset_requests(503), 20, "the walk to go on below its first page")
        gw.kill9()
        gw = self.start(backfill_pages=0, **self.CAPPED)
        self.wait_items(len(made), timeout=60)
        self.assertTrue(self.offset_requests())
        self.assertEqual(0, gw.stop())
        self.assert_delivered_once(made)

    def test_private_messages_beyond_the_inbox_page_without_fetch_mentions(self):
        fake = self.fake
        gw, made = self.burst_between_two_polls(
            lambda: [fake.topic("Order %d" % i, "ann", "Where is my order %d? It is late." % i,
                                private_to=["acme_support"])["post_id"] for i in range(40)],
            fetch_posts=False, fetch_mentions=False)
        self.wait_items(len(made), timeout=60)
        items = self.items()
        self.assertEqual(sorted(str(p) for p in made), sorted(e["native_id"] for e in items))
        self.assertTrue(all(e["type"] == "message" for e in items))
        self.assertEqual(0, gw.stop())
        self.assert_once(self.events())

    def test_rate_limit_makes_the_account_wait_until_the_reset(self):
        fake = self.fake
        t = fake.topic("Busy forum", "ann", "First post of a busy forum, please help.")
        fake.configure(budget={"limit": 4, "window": 3})
        gw = self.start(poll="100ms")
        for i in range(6):
            fake.post(t["topic_id"], "bob", "Follow-up number %d on the busy forum." % i)
        self.wait_items(7, timeout=40)

        def limited():
            log = fake.log()
            hits = [r for r in log if r.get("status") == 429]
            return log if hits and any(r["t"] > hits[0]["t"] + 1 for r in log) else None
        log = wait_for(limited, 40, "a 429 and requests after it")
        self.assertEqual([], [r for r in log if r["early"]],
                         "requests sent before the time a 429's Retry-After named")
        # Check the rule from the log itself: after each 429 the next
        # request came no earlier than its window's reset.
        for i, r in enumerate(log):
            if r.get("status") == 429:
                later = [x for x in log[i + 1:]]
                if later:
                    self.assertGreaterEqual(later[0]["t"], r["t"] + 0.9,
                                            "a request %.2fs after a 429" % (later[0]["t"] - r["t"]))
        self.assertEqual(0, gw.stop())
        self.assert_once(self.events())
        self.assertEqual(7, len(self.items()))

    def test_401_marks_the_account_and_emits_an_alert(self):
        fake = self.fake
        fake.topic("Hello", "ann", "A question before the key was revoked.")
        fake.fault("401", count=2)
        gw = self.start()
        alert = wait_for(lambda: [e for e in self.events()
                                  if e["type"] == "account.credentials_failed"], 20,
                         "account.credentials_failed in the sink")
        self.assertEqual("forum", alert[0]["network"])
        self.assertEqual("acme", alert[0]["account"])
        self.assertIn("reason", alert[0]["detail"])
        gw.wait_log("401")
        # Once the forum takes the key again, the account goes on.
        self.wait_items(1)
        self.assertEqual(0, gw.stop())
        self.assertEqual(1, len([e for e in self.events()
                                 if e["type"] == "account.credentials_failed"]))

    def test_revoked_key_403_invalid_access_also_raises_the_alert(self):
        # Real Discourse answers a bad or revoked key with 403, not 401.
        text = config(accounts=[forum_account(self.fake.url)], gateway_extra=FAST_RETRY)
        env = dict(ENV, DISCOURSE_API_KEY="revoked-key-000000")
        gw = self.gateway(text, env=env).start()
        alert = wait_for(lambda: [e for e in self.events()
                                  if e["type"] == "account.credentials_failed"], 20,
                         "account.credentials_failed in the sink")
        self.assertIn("403 invalid_access", alert[0]["detail"]["reason"])
        self.assertNotIn("revoked-key-000000", gw.log())
        self.assertEqual(0, gw.stop())
        self.assertEqual(1, len([e for e in self.events()
                                 if e["type"] == "account.credentials_failed"]))

    def test_malformed_and_truncated_bodies_are_survived(self):
        fake = self.fake
        t = fake.topic("Flaky", "ann", "The forum behind this proxy is flaky today.")
        fake.fault("malformed", count=2, match="/posts.json")
        fake.fault("truncated", count=2)
        fake.fault("malformed", count=1, match="/notifications.json")
        fake.fault("503", count=1)
        gw = self.start()
        fake.post(t["topic_id"], "bob", "Still flaky here, answers are cut short.")
        self.wait_items(2, timeout=30)
        self.assertTrue(gw.alive())
        statuses = [r.get("status") for r in fake.log()]
        self.assertIn(503, statuses)
        self.assertEqual(0, gw.stop())
        self.assert_once(self.events())
        self.assertEqual(2, len(self.items()))

    # ---- webhooks -----------------------------------------------------------

    def deliver(self, gw, body, signature, event="post_created"):
        headers = {"Content-Type": "application/json", "X-Discourse-Event": event,
                   "X-Discourse-Event-Type": "post", "X-Discourse-Instance": self.fake.url}
        if signature is not None:
            headers["X-Discourse-Event-Signature"] = signature
        status, _, text = http(gw.url("/webhooks/forum/acme"), body, "POST", headers)
        return status, json.loads(text)

    def stored_ids(self):
        db = sqlite3.connect(os.path.join(self.dir, "var", "gateway.db"))
        try:
            return [r[0] for r in db.execute("SELECT id FROM events ORDER BY seq")]
        finally:
            db.close()

    def test_webhook_signature_decides(self):
        fake = self.fake
        t = fake.topic("Pushed", "ann", "@acme_support this one comes by webhook")
        gw = self.start(fetch_posts=False, fetch_mentions=False, fetch_private=False)
        delivery = fake.webhook(t["post_id"])
        body = delivery["body"].encode()
        good = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        wrong = "sha256=" + hmac.new(b"not-the-secret", body, hashlib.sha256).hexdigest()

        for signature in (wrong, None, good[7:], "sha256=", good[:-2]):
            status, doc = self.deliver(gw, body, signature)
            self.assertEqual(401, status, signature)
            self.assertEqual("invalid_signature", doc["error"])
            self.assertTrue(doc["message"])
        # Discourse only POSTs: a GET is the plugin's 405, with Allow.
        status, headers, text = http(gw.url("/webhooks/forum/acme"))
        self.assertEqual((405, "POST"), (status, headers.get("Allow")))
        self.assertEqual("method_not_allowed", json.loads(text)["error"])
        self.assertTrue(json.loads(text)["message"])
        self.assertEqual([], self.stored_ids())

        status, doc = self.deliver(gw, body, good)
        self.assertEqual(200, status, doc)
        # The 200 came after the commit: the item is already in the log.
        self.assertEqual(["forum:%d" % t["post_id"]], self.stored_ids())
        ping = b'{"ping":"OK"}'
        status, _ = self.deliver(gw, ping, "sha256=" + hmac.new(SECRET.encode(), ping,
                                                                hashlib.sha256).hexdigest(),
                                 event="ping")
        self.assertEqual(200, status)
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= 1, 10, "the sink")
        item = self.items()[0]
        self.assertEqual("mention", item["type"])
        self.assertEqual("%s/t/pushed/%d/1" % (fake.url, t["topic_id"]), item["url"])
        self.assertEqual(0, gw.stop())
        self.assertEqual(1, len(self.events()))

    # ---- answering back -----------------------------------------------------

    def test_reply_through_the_action_api_is_not_fetched_back(self):
        fake = self.fake
        t = fake.topic("Refund", "ann", "@acme_support I want a refund for order 1234.")
        pm = fake.topic("Private", "bob", "Can we talk about my account privately?",
                        private_to=["acme_support"])
        gw = self.start(api=True)
        self.wait_items(2)

        def act(body):
            data = json.dumps(body).encode()
            status, _, text = http(gw.url("/v1/actions"), data, "POST",
                                   {"Authorization": "Bearer " + API_TOKEN,
                                    "Content-Type": "application/json"})
            self.assertEqual(202, status, text)
            return json.loads(text)["id"]

        def done(action_id):
            def state():
                _, _, text = http(gw.url("/v1/actions/" + action_id), None, "GET",
                                  {"Authorization": "Bearer " + API_TOKEN})
                doc = json.loads(text)
                return doc if doc["state"] in ("succeeded", "failed") else None
            return wait_for(state, 20, "action %s to finish" % action_id)

        reply = done(act({"network": "forum", "account": "acme", "kind": "reply",
                          "in_reply_to": "forum:%d" % t["post_id"],
                          "text": "Sorry Ann, the refund is on its way today.",
                          "idempotency_key": "refund-1"}))
        self.assertEqual("succeeded", reply["state"], reply)
        private = done(act({"network": "forum", "account": "acme", "kind": "private",
                            "in_reply_to": "forum:%d" % pm["post_id"],
                            "text": "Sure Bob, what is the account name?",
                            "idempotency_key": "private-1"}))
        self.assertEqual("succeeded", private["state"], private)

        posts = {p["id"]: p for p in fake.posts()}
        ours = posts[int(reply["native_id"])]
        self.assertEqual(("acme_support", t["topic_id"], 1),
                         (ours["username"], ours["topic_id"], ours["reply_to_post_number"]))
        self.assertEqual("%s/t/refund/%d/2" % (fake.url, t["topic_id"]), reply["url"])
        answer = posts[int(private["native_id"])]
        self.assertEqual(pm["topic_id"], answer["topic_id"])  # inside the conversation

        # A customer writes again; once that is in, the fetches have
        # walked over our own posts without delivering them.
        later = fake.post(t["topic_id"], "ann", "Thanks, received it, all good now!")
        wait_for(lambda: str(later["post_id"]) in [e["native_id"] for e in self.items()], 20,
                 "the customer's next post")
        delivered = [e["native_id"] for e in self.items()]
        self.assertNotIn(reply["native_id"], delivered)
        self.assertNotIn(private["native_id"], delivered)
        kinds = [e["type"] for e in self.events()]
        self.assertEqual(2, kinds.count("action.succeeded"))
        self.assertEqual(0, gw.stop())

    def test_own_post_is_not_delivered_as_a_customer_item(self):
        fake = self.fake
        t = fake.topic("Echo", "ann", "A question the brand will answer in the forum.")
        gw = self.start()
        self.wait_items(1)
        ours = fake.post(t["topic_id"], "acme_support", "Our answer, posted on the forum itself.",
                         reply_to_post_number=1)
        later = fake.post(t["topic_id"], "ann", "Thank you, that worked for me.")
        wait_for(lambda: str(later["post_id"]) in [e["native_id"] for e in self.items()], 20,
                 "the customer's next post")
        self.assertNotIn(str(ours["post_id"]), [e["native_id"] for e in self.items()])
        self.assertEqual(0, gw.stop())


if __name__ == "__main__":
    unittest.main(verbosity=2)
