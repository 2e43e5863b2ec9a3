"""The YouTube plugin through the real binary against the fake YouTube
server and token endpoint (tests/fakes/fake_youtube.py) over loopback:
comment threads across pages, replies beyond the embedded ones, replies
through the action API under the right thread, the private action refused,
OAuth 2.0 refresh (before expiry, on a 401, invalid_grant), and the daily
quota (pacing, the reply reserve, quotaExceeded waiting for the reset,
/metrics).

Every test ends by asserting that each request the plugin sent was valid
against the published OpenAPI subset (the fake checks them all), that the
fake's answers were too, and that no secret reached the log."""
import json
import os
import re
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from gwtest import (SLOW, SOURCE, GatewayTestCase, config, read_jsonl, require_shared,
                    validate_events, wait_for)

FAKE = os.path.join(SOURCE, "tests", "fakes", "fake_youtube.py")
require_shared("api-specs", "youtube", "openapi-comments-subset.json")

CHANNEL = "UCbrandAcme0000000000001"
SECRETS = {"YT_API_KEY": "AIzaKey-Q7hd93ks",
           "YT_CLIENT_ID": "client-Lp02xw.apps.googleusercontent.com",
           "YT_CLIENT_SECRET": "csecret-Zz81Kq",
           "YT_REFRESH_TOKEN": "1//refresh-Hn3cVm55Rt"}
API_TOKEN = "youtube-test-api-token-0123456789"
FAST = 'retry_base = "50ms"\nretry_max = "500ms"'
ANN, BOB = "UCann000000000000000000A", "UCbob000000000000000000B"


def http(url, data=None, method=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def stamp(minute):
    return "2026-11-20T10:%02d:00Z" % minute


def next_pacific_midnight(now):
    """The reference for the plugin's hand-made rule: zoneinfo's."""
    la = ZoneInfo("America/Los_Angeles")
    local = datetime.fromtimestamp(now, la)
    midnight = datetime(local.year, local.month, local.day, tzinfo=la) + timedelta(days=1)
    midnight = midnight.replace(tzinfo=None).replace(tzinfo=la)  # wall-clock midnight
    return midnight.astimezone(timezone.utc)


class FakeYouTube:
    def __init__(self, testcase, fixture):
        fx = {"channel": CHANNEL, "api_key": SECRETS["YT_API_KEY"],
              "client_id": SECRETS["YT_CLIENT_ID"], "client_secret": SECRETS["YT_CLIENT_SECRET"],
              "refresh_token": SECRETS["YT_REFRESH_TOKEN"]}
        fx.update(fixture)
        path = testcase.path("fake_youtube.json")
        with open(path, "w") as f:
            json.dump(fx, f)
        port_file = testcase.path("fake_youtube.port")
        self.err = open(testcase.path("fake_youtube.stderr"), "wb")
        self.proc = subprocess.Popen([sys.executable, FAKE, "--port-file", port_file,
                                      "--fixture", path], stdout=subprocess.DEVNULL,
                                     stderr=self.err)
        testcase.addCleanup(self.stop)

        def port():
            if self.proc.poll() is not None:
                raise AssertionError("fake_youtube.py exited: see %s" % self.err.name)
            if os.path.exists(port_file):
                with open(port_file) as f:
                    return int(f.read())
            return None
        self.port = wait_for(port, 20, "fake_youtube.py to listen")
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


def account(fake, name="acme", poll="200ms", **options):
    opts = {"base_url": fake.base + "/youtube/v3", "token_url": fake.base + "/token",
            "channel_id": CHANNEL, "api_key": "${YT_API_KEY}", "client_id": "${YT_CLIENT_ID}",
            "client_secret": "${YT_CLIENT_SECRET}", "refresh_token": "${YT_REFRESH_TOKEN}",
            # Plenty, so polls are not paced (10000 units a day paces a
            # poll costing 1 unit to one every ~10 s) unless a test asks.
            "daily_quota": 100000000}
    opts.update(options)
    text = '[[account]]\nnetwork = "youtube"\nname = "%s"\npoll_interval = "%s"\n' % (name, poll)
    text += "  [account.options]\n"
    for k, v in opts.items():
        if v is not None:
            text += "  %s = %s\n" % (k, json.dumps(v))
    return text


def thread(tid, text, author=ANN, minute=0, replies=(), video="vidAAAAAAA1", **extra):
    t = {"id": tid, "text": text, "author": author, "published": stamp(minute), "video": video,
         "replies": [dict(r) for r in replies]}
    t.update(extra)
    return t


def reply(rid, text, author=BOB, minute=0):
    return {"id": rid, "text": text, "author": author, "published": stamp(minute)}


class YouTubeTestCase(GatewayTestCase):
    def start(self, fake, accounts=None, gateway_extra="", env=None, api=False, **options):
        text = config(accounts=accounts or [account(fake, **options)],
                      gateway_extra=gateway_extra)
        if api:
            text += '[api]\ntoken = "%s"\n' % API_TOKEN
        full_env = dict(SECRETS)
        full_env.update(env or {})
        self.gw = self.gateway(text, env=full_env).start()
        return self.gw

    def events(self, type_=None):
        events = read_jsonl(self.path("events.jsonl"))
        validate_events(self, events)
        return [e for e in events if type_ is None or e["type"] == type_]

    def wait_events(self, n, what, type_="comment", timeout=20):
        return wait_for(lambda: len(self.events(type_)) >= n, timeout, what)

    def by_native(self):
        return {e["native_id"]: e for e in self.events("comment")}

    def finish(self, fake, gw):
        gw.wait_log("running: ")
        self.assertEqual(0, gw.stop())
        self.assertEqual([], fake.admin("/_fake/problems"),
                         "requests invalid against the published description")
        self.assertEqual([], fake.admin("/_fake/response_problems"))
        log = gw.log()
        for name, value in SECRETS.items():
            self.assertNotIn(value, log, "%s leaked into the log" % name)
        self.assertNotIn("ya29.", log, "an access token leaked into the log")
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

    def wait_action(self, gw, action_id):
        def done():
            status, doc = self.call(gw, "GET", "/v1/actions/" + action_id)
            self.assertEqual(200, status, doc)
            return doc if doc["state"] in ("succeeded", "failed") else None
        return wait_for(done, 20, "action %s to finish" % action_id)

    def metrics(self, gw):
        status, _, body = http(gw.url("/metrics"))
        self.assertEqual(200, status)
        out = {}
        for m in re.finditer(r'^gateway_plugin_(\w+)\{network="youtube",account="(\w+)"\} (\S+)$',
                             body.decode(), re.M):
            out[m.group(1)] = float(m.group(3))
        return out


class FetchTest(YouTubeTestCase):
    def test_threads_across_pages_and_replies_beyond_the_embedded(self):
        many = [reply("Ugw1.r%02d" % i, "me too %d" % i, BOB if i % 2 else ANN, 30 + i)
                for i in range(8)]
        fake = FakeYouTube(self, {"embedded_replies": 2, "threads": [
            thread("Ugw1", "my blender broke after a week", ANN, 1, many),
            thread("Ugw2", "where is my refund?", BOB, 2, [reply("Ugw2.a", "same", ANN, 3)]),
            thread("Ugw3", "our own pinned comment", CHANNEL, 4,
                   [reply("Ugw3.a", "question under the pin", ANN, 5)], video="vidBBBBBBB2"),
            thread("Ugw4", "great video", BOB, 6),
            thread("Ugw5", "love it", ANN, 7)]})
        gw = self.start(fake, max_results=2, api_key="${YT_API_KEY}")
        # 5 customer top-level comments minus ours = 4, 8 + 1 + 1 replies.
        self.wait_events(14, "every customer comment and reply")
        wait_for(lambda: len(fake.requests("threads")) >= 5, 20, "more fetches")
        events = self.finish(fake, gw)
        got = self.by_native()
        self.assertEqual(14, len(got))
        self.assertNotIn("Ugw3", got)  # the channel's own comment
        first = got["Ugw1"]
        self.assertEqual("comment", first["type"])
        self.assertEqual("public", first["visibility"])
        self.assertEqual("youtube:Ugw1", first["id"])
        self.assertEqual("Ugw1", first["thread_id"])
        self.assertNotIn("in_reply_to", first)
        self.assertEqual("https://www.youtube.com/watch?v=vidAAAAAAA1&lc=Ugw1", first["url"])
        self.assertEqual({"kind": "video", "id": "vidAAAAAAA1",
                          "url": "https://www.youtube.com/watch?v=vidAAAAAAA1"},
                         first["context"])
        self.assertEqual(ANN, first["author"]["id"])
        self.assertEqual("my blender broke after a week", first["text"])
        self.assertEqual("2026-11-20T10:01:00.000Z", first["created_at"])
        r = got["Ugw1.r07"]
        self.assertEqual("Ugw1", r["thread_id"])
        self.assertEqual("Ugw1", r["in_reply_to"])
        self.assertEqual("https://www.youtube.com/watch?v=vidAAAAAAA1&lc=Ugw1.r07", r["url"])
        self.assertEqual("vidBBBBBBB2", got["Ugw3.a"]["context"]["id"])
        # Reads with the API key; replies beyond the two embedded read once
        # with comments.list (8 replies, 2 per page = 4 pages), never again.
        self.assertEqual({"key"}, {r["auth"] for r in fake.requests("threads")})
        parents = [r["query"]["parentId"] for r in fake.requests("replies")]
        self.assertEqual(["Ugw1"] * 4, parents)
        q = fake.requests("threads")[0]["query"]
        self.assertEqual({"part": "snippet,replies", "allThreadsRelatedToChannelId": CHANNEL,
                          "order": "time", "textFormat": "plainText", "maxResults": "2",
                          "key": SECRETS["YT_API_KEY"]}, q)
        self.assertTrue(events)

    def test_later_fetches_stop_at_the_first_known_comment_and_deliver_once(self):
        fake = FakeYouTube(self, {"threads": [thread("Ugx%d" % i, "comment %d" % i, ANN, i)
                                              for i in range(1, 8)]})
        gw = self.start(fake, max_results=3)
        self.wait_events(7, "the first walk")
        n = len(fake.requests("threads"))
        wait_for(lambda: len(fake.requests("threads")) >= n + 3, 20, "three more polls")
        # Polls after the walk read one page: the newest thread is known.
        later = fake.requests("threads")[n:]
        self.assertTrue(all("pageToken" not in r["query"] for r in later), later)
        fake.setup(threads=[thread("Ugy%d" % i, "new %d" % i, BOB, 20 + i) for i in range(5)],
                   replies=[dict(reply("Ugx7.late", "a follow-up", ANN, 40), parent="Ugx7")])
        self.wait_events(13, "five new threads and a reply in a known one")
        wait_for(lambda: len(fake.requests("threads")) >= n + 8, 20, "more polls")
        events = self.finish(fake, gw)
        self.assert_exactly_once([e for e in events if e["type"] == "comment"], 13)

    def test_overlapping_fetch_after_a_timeout_delivers_once(self):
        fake = FakeYouTube(self, {"threads": [thread("Ugs%d" % i, "stalled %d" % i, ANN, i)
                                              for i in range(1, 6)]})
        # The first read stalls past fetch_timeout: the host abandons that
        # fetch and starts another while the first request is still out.
        fake.admin("/_fake/faults", {"endpoint": "threads", "kind": "stall", "seconds": 2.5})
        gw = self.start(fake, max_results=2, gateway_extra='fetch_timeout = "1s"\n' + FAST)
        gw.wait_log("superseded", timeout=20)
        self.wait_events(5, "the 5 comments")
        n = len(fake.requests("threads"))
        wait_for(lambda: len(fake.requests("threads")) >= n + 3, 20, "later fetches")
        events = self.finish(fake, gw)
        self.assert_exactly_once(events, 5)

    def test_held_comments_are_read_with_oauth(self):
        fake = FakeYouTube(self, {"threads": [
            thread("Ugh1", "visible", ANN, 1),
            thread("Ugh2", "buy cheap watches", BOB, 2, status="heldForReview")]})
        gw = self.start(fake, include_held=True)
        self.wait_events(2, "the published and the held comment")
        self.finish(fake, gw)
        got = self.by_native()
        self.assertEqual("heldForReview", got["Ugh2"]["context"]["moderation_status"])
        self.assertNotIn("moderation_status", got["Ugh1"]["context"])
        held = [r for r in fake.requests("threads")
                if r["query"].get("moderationStatus") == "heldForReview"]
        self.assertTrue(held)
        self.assertEqual({"bearer"}, {r["auth"] for r in held})


class ActionTest(YouTubeTestCase):
    def test_reply_lands_under_the_thread_and_is_not_delivered_back(self):
        fake = FakeYouTube(self, {"threads": [
            thread("Ugr1", "broken lid", ANN, 1, [reply("Ugr1.b", "mine too", BOB, 2)],
                   video="vidCCCCCCC3")]})
        gw = self.start(fake, api=True)
        gw.port()
        self.wait_events(2, "the comment and its reply")
        # Answer the reply: YouTube has one level, so it goes to its thread.
        status, doc = self.call(gw, "POST", "/v1/actions", {
            "network": "youtube", "account": "acme", "kind": "reply",
            "in_reply_to": "youtube:Ugr1.b", "text": "Sorry Bob, we'll send a new lid",
            "idempotency_key": "k-reply"})
        self.assertEqual(202, status, doc)
        done = self.wait_action(gw, doc["id"])
        self.assertEqual("succeeded", done["state"], done)
        created = fake.state()["created"]
        self.assertEqual(1, len(created))
        self.assertEqual("Ugr1", created[0]["parent"])
        insert = fake.requests("insert")[0]
        self.assertEqual("bearer", insert["auth"])
        self.assertEqual({"snippet": {"parentId": "Ugr1",
                                      "textOriginal": "Sorry Bob, we'll send a new lid"}},
                         json.loads(insert["body"]))
        n = len(fake.requests("threads"))
        wait_for(lambda: len(fake.requests("threads")) >= n + 2, 20, "polls after the reply")
        gw.wait_log("of the channel's own skipped")
        self.finish(fake, gw)
        self.assertEqual({"Ugr1", "Ugr1.b"}, set(self.by_native()))
        ok = self.events("action.succeeded")
        self.assertEqual(created[0]["id"], ok[0]["detail"]["native_id"])
        self.assertEqual("https://www.youtube.com/watch?v=vidCCCCCCC3&lc=%s" % created[0]["id"],
                         ok[0]["detail"]["url"])
        self.assertEqual(50, fake.state()["used"] - len(fake.requests("threads"))
                         - len(fake.requests("replies")))

    def test_private_is_refused_before_anything_is_queued(self):
        fake = FakeYouTube(self, {"threads": [thread("Ugp1", "hello", ANN, 1)]})
        gw = self.start(fake, api=True)
        gw.port()
        self.wait_events(1, "the comment")
        status, doc = self.call(gw, "POST", "/v1/actions", {
            "network": "youtube", "account": "acme", "kind": "private",
            "in_reply_to": "youtube:Ugp1", "text": "hi in private",
            "idempotency_key": "k-private"})
        self.assertEqual(422, status, doc)
        self.assertEqual("unsupported", doc["error"])
        self.finish(fake, gw)
        self.assertEqual([], fake.requests("insert"))
        self.assertEqual([], [e for e in self.events() if e["type"].startswith("action.")])

    def test_comments_disabled_fails_in_words(self):
        fake = FakeYouTube(self, {"threads": [thread("Ugd1", "hello", ANN, 1,
                                                     video="vidDDDDDDD4")],
                                  "videos": {"vidDDDDDDD4": {"comments_disabled": True}}})
        gw = self.start(fake, api=True)
        gw.port()
        self.wait_events(1, "the comment")
        status, doc = self.call(gw, "POST", "/v1/actions", {
            "network": "youtube", "account": "acme", "kind": "reply",
            "in_reply_to": "youtube:Ugd1", "text": "thanks",
            "idempotency_key": "k-disabled"})
        self.assertEqual(202, status, doc)
        done = self.wait_action(gw, doc["id"])
        self.assertEqual("failed", done["state"])
        self.finish(fake, gw)
        reason = self.events("action.failed")[0]["detail"]["reason"]
        self.assertIn("comments are disabled on this video", reason)
        self.assertIn("commentsDisabled", reason)


    def test_forbidden_and_processing_failure_fail_in_words(self):
        fake = FakeYouTube(self, {"threads": [thread("Ugf1", "hello", ANN, 1),
                                              thread("Ugf2", "again", BOB, 2)]})
        fake.admin("/_fake/faults", {"endpoint": "insert", "status": 403, "reason": "forbidden"})
        fake.admin("/_fake/faults", {"endpoint": "insert", "status": 500,
                                     "reason": "processingFailure"})
        gw = self.start(fake, api=True)
        gw.port()
        self.wait_events(2, "the comments")
        states = []
        for n in (1, 2):
            status, doc = self.call(gw, "POST", "/v1/actions", {
                "network": "youtube", "account": "acme", "kind": "reply",
                "in_reply_to": "youtube:Ugf%d" % n, "text": "thanks", "idempotency_key": "f%d" % n})
            self.assertEqual(202, status, doc)
            states.append(self.wait_action(gw, doc["id"])["state"])
        self.assertEqual(["failed", "failed"], states)
        self.finish(fake, gw)
        reasons = [e["detail"]["reason"] for e in self.events("action.failed")]
        self.assertIn("the channel may not comment here (forbidden)", reasons[0])
        self.assertIn("could not process the comment (processingFailure)", reasons[1])
        self.assertEqual(2, len(fake.requests("insert")), "neither is sent twice")

    def test_a_refused_read_fails_the_fetch_in_googles_words(self):
        fake = FakeYouTube(self, {})
        fake.admin("/_fake/faults", {"endpoint": "threads", "status": 403, "reason": "forbidden",
                                     "message": "The channel's comments are not yours to read.",
                                     "times": 0})
        gw = self.start(fake, gateway_extra=FAST + "\nmax_failures = 2")
        gw.wait_log("account stopped after 2 consecutive failures", timeout=20)
        self.finish(fake, gw)
        self.assertIn("HTTP 403 forbidden: The channel's comments are not yours to read.",
                      self.gw.log())


class OAuthTest(YouTubeTestCase):
    def test_token_refreshed_before_expiry_and_once_on_a_401(self):
        fake = FakeYouTube(self, {"token_lifetime": 2,
                                  "threads": [thread("Ugo1", "hello", ANN, 1)]})
        # Without an API key every read carries the bearer token.
        gw = self.start(fake, api_key=None)
        self.wait_events(1, "the comment")
        wait_for(lambda: fake.state()["token_grants"] >= 3, 20 * SLOW,
                 "tokens refreshed as they near their expiry")
        self.assertEqual([], [r for r in fake.requests() if r["status"] == 401],
                         "a refreshed token is never refused")
        fake.admin("/_fake/expire_tokens", {})
        wait_for(lambda: any(r["status"] == 401 for r in fake.requests()), 10, "a 401")
        grants = fake.state()["token_grants"]
        wait_for(lambda: fake.state()["token_grants"] > grants, 10, "a refresh after the 401")
        n = len(fake.requests("threads"))
        wait_for(lambda: len([r for r in fake.requests("threads")[n:] if r["status"] == 200])
                 >= 2, 10, "reads succeeding again")
        self.finish(fake, gw)
        self.assertIn("the access token was refused (401); refreshing it", self.gw.log())
        self.assertEqual({"bearer"}, {r["auth"] for r in fake.requests("threads")})
        # A 401 the plugin healed by refreshing is no credentials alert.
        self.assertEqual([], self.events("account.credentials_failed"))
        self.assertNotIn("refused the account's credentials", self.gw.log())

    def test_invalid_grant_raises_the_credentials_alert(self):
        fake = FakeYouTube(self, {"threads": [thread("Ugi1", "hello", ANN, 1)]})
        fake.admin("/_fake/revoke", {})
        gw = self.start(fake, api_key=None, gateway_extra=FAST)
        self.wait_events(1, "the alert", "account.credentials_failed")
        self.finish(fake, gw)
        alert = self.events("account.credentials_failed")
        self.assertEqual(1, len(alert))
        self.assertIn("invalid_grant", alert[0]["detail"]["reason"])
        self.assertEqual([], fake.requests("threads"), "no read without a token")


class QuotaTest(YouTubeTestCase):
    def test_polls_are_paced_so_the_day_lasts_and_replies_keep_their_reserve(self):
        fake = FakeYouTube(self, {"threads": [thread("Ugq1", "hello", ANN, 1),
                                              thread("Ugq2", "hello again", BOB, 2)]})
        # 80 units, 55 kept for replies: polling may spend 25 today, which
        # stretched over the hours until midnight Pacific is a few polls.
        gw = self.start(fake, api=True, poll="100ms", daily_quota=80, reply_reserve=55)
        gw.port()
        self.wait_events(2, "the comments")
        gw.wait_log("pacing polls", timeout=20)
        time.sleep(1.5)  # polls at 100ms would have spent the day several times over
        polls = len(fake.requests("threads"))
        self.assertLessEqual(polls, 25)
        self.assertLess(polls, 10)
        m = self.metrics(gw)
        self.assertEqual(80, m["quota_limit_units"])
        self.assertEqual(polls, m["quota_used_units"])
        self.assertEqual(80 - polls, m["quota_remaining_units"])
        reset = next_pacific_midnight(time.time())
        self.assertEqual(int(reset.timestamp()), m["quota_reset_timestamp_seconds"])
        # The reserve pays for one reply (50 units); a second one does not
        # fit today and waits for the reset instead of failing.
        ids = []
        for n in (1, 2):
            status, doc = self.call(gw, "POST", "/v1/actions", {
                "network": "youtube", "account": "acme", "kind": "reply",
                "in_reply_to": "youtube:Ugq%d" % n, "text": "thanks %d" % n,
                "idempotency_key": "k%d" % n})
            self.assertEqual(202, status, doc)
            ids.append(doc["id"])
        self.assertEqual("succeeded", self.wait_action(gw, ids[0])["state"])
        gw.wait_log("the day's quota cannot pay for it")
        status, doc = self.call(gw, "GET", "/v1/actions/" + ids[1])
        self.assertNotIn(doc["state"], ("succeeded", "failed"), doc)
        self.assertEqual(1, len(fake.requests("insert")))
        self.assertEqual(polls + 50, self.metrics(gw)["quota_used_units"])
        self.finish(fake, gw)

    def test_quota_exceeded_waits_until_the_reset(self):
        fake = FakeYouTube(self, {"daily_quota": 2, "threads": [thread("Ugz1", "hi", ANN, 1)]})
        gw = self.start(fake, api=True, gateway_extra=FAST + "\nmax_failures = 2")
        gw.port()
        wait_for(lambda: any(r["reason"] == "quotaExceeded" for r in fake.requests()), 20,
                 "Google's quotaExceeded")
        gw.wait_log("waiting until the reset")
        n = len(fake.requests())
        time.sleep(1.0)
        self.assertEqual(n, len(fake.requests()), "nothing is asked before the reset")
        status, doc = self.call(gw, "GET", "/v1/accounts")
        self.assertEqual(200, status, doc)
        acct = doc["accounts"][0]
        self.assertEqual("running", acct["state"], acct)
        reset = next_pacific_midnight(time.time())
        self.assertIn("waiting until the reset at %s" % reset.strftime("%Y-%m-%dT%H:%M:%S"),
                      gw.log())
        # The next try is after the reset, not after the host's backoff.
        self.assertGreaterEqual(acct["next_retry_at"] or "", reset.strftime("%Y-%m-%dT%H:%M:%S"), acct)
        m = self.metrics(gw)
        self.assertEqual(0, m["quota_remaining_units"])
        self.finish(fake, gw)


class OptionsTest(YouTubeTestCase):
    def test_bad_options_refuse_the_account_with_a_reason(self):
        fake = FakeYouTube(self, {})
        cases = [
            ({"channel_id": "@acme"}, "channel_id must be the channel's id"),
            ({"client_secret": None}, "client_secret is missing"),
            ({"api_key": None, "client_id": None, "client_secret": None, "refresh_token": None},
             "reading comments needs api_key"),
            ({"client_id": None, "client_secret": None, "refresh_token": None,
              "include_held": True}, "include_held needs OAuth 2.0"),
            ({"daily_quota": 100, "reply_reserve": 100}, "reply_reserve must be below"),
        ]
        accounts = [account(fake, name="bad%d" % i, **opts) for i, (opts, _) in enumerate(cases)]
        gw = self.start(fake, accounts=accounts)
        self.assertEqual(2, gw.proc.wait(timeout=20 * SLOW))
        for i, (_, reason) in enumerate(cases):
            self.assertRegex(gw.log(), r"account\[%d\]\.options(\.\w+)?: youtube: .*%s"
                             % (i, re.escape(reason)))
        self.assertEqual([], fake.requests())


if __name__ == "__main__":
    unittest.main(verbosity=2)
