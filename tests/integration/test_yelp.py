"""The Yelp plugin through the real binary against the fake Yelp
(tests/fakes/fake_yelp.py) over loopback: review excerpts read once across
polls, Pacific times, the low-rating fact; lead conversations in and out;
webhooks (handshake, URL token, deliveries that start a read); R2R's rules
refused before queueing (emoji, length, the daily quota); 422 for a private
answer to a review and for an account without partner access; the daily
limit; refused credentials; R2R's errors as readable failures.

Every test ends by asserting that each request the plugin sent was valid
against yelp.openapi.yaml (the fake checks them all), that the fake's
answers were too, and that no secret reached the log."""
import json
import os
import unittest
import urllib.error
import urllib.request

import jsonschema
import yaml

from gwtest import (SLOW, GatewayTestCase, FakeServer, config, read_jsonl, validate_events,
                    wait_for, SOURCE)

SECRETS = {"YELP_API_KEY": "yelp-key-Zq81x", "YELP_PARTNER": "yelp-partner-Mm20y",
           "YELP_HOOK": "hooktoken-Ab77"}
API_TOKEN = "yelp-test-api-token-0123456789"
with open(os.path.join(SOURCE, "docs", "openapi.yaml")) as _f:
    OPENAPI = yaml.safe_load(_f)
BIZ = "acme-sf"


def http(url, data=None, method=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def review(rid, rating, when, text="text", user="u1"):
    return {"id": rid, "text": text, "rating": rating, "time_created": when,
            "user": {"id": user, "name": "Ella A."}}


REVIEWS = [review("r1", 5, "2026-01-15 10:00:00", "Great tacos"),
           review("r2", 2, "2026-07-01 10:00:00", "Cold food and slow service", "u2")]


class YelpTestCase(GatewayTestCase):
    def start_fake(self, **fx):
        fake = FakeServer(self.dir, "fake_yelp.py")
        self.addCleanup(fake.stop)
        fx.setdefault("api_key", SECRETS["YELP_API_KEY"])
        fx.setdefault("partner_token", SECRETS["YELP_PARTNER"])
        self.admin(fake, "/_fake/setup", dict({"business": BIZ}, **fx))
        return fake

    def admin(self, fake, path, doc=None):
        data = json.dumps(doc).encode() if doc is not None else None
        status, body = http(fake.url(path), data, "POST" if data else "GET")
        self.assertEqual(200, status, body)
        return json.loads(body)

    def requests(self, fake, endpoint):
        return [r for r in self.admin(fake, "/_fake/requests") if r["endpoint"] == endpoint]

    def start(self, fake, poll="200ms", partner=True, **options):
        opts = {"base_url": fake.url(""), "partner_base_url": fake.url(""),
                "business_id": BIZ, "api_key": "${YELP_API_KEY}",
                "webhook_token": "${YELP_HOOK}"}
        if partner:
            opts["partner_token"] = "${YELP_PARTNER}"
        opts.update(options)
        acct = '[[account]]\nnetwork = "yelp"\nname = "acme"\npoll_interval = "%s"\n' % poll
        acct += "  [account.options]\n" + "".join(
            "  %s = %s\n" % (k, json.dumps(v)) for k, v in opts.items())
        text = config(accounts=[acct], gateway_extra='retry_base = "50ms"\nretry_max = "500ms"')
        text += '[api]\ntoken = "%s"\n' % API_TOKEN
        return self.gateway(text, env=dict(SECRETS)).start()

    def events(self, type_=None):
        events = read_jsonl(self.path("events.jsonl"))
        validate_events(self, events)
        return [e for e in events if type_ is None or e["type"] == type_]

    def wait_events(self, n, what, type_=None, timeout=20):
        return wait_for(lambda: len(self.events(type_)) >= n, timeout, what)

    def finish(self, fake, gw):
        self.assertEqual(0, gw.stop())
        self.assertEqual([], self.admin(fake, "/_fake/problems"),
                         "requests invalid against yelp.openapi.yaml")
        self.assertEqual([], self.admin(fake, "/_fake/response_problems"))
        log = gw.log()
        for name, value in SECRETS.items():
            self.assertNotIn(value, log, "%s leaked into the log" % name)
        ids = [e["id"] for e in self.events()]
        self.assertEqual(len(ids), len(set(ids)), "duplicate events")

    def call(self, gw, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        status, text = http(gw.url(path), data, method,
                            {"Authorization": "Bearer " + API_TOKEN,
                             "Content-Type": "application/json"})
        return status, json.loads(text) if text else None

    def submit(self, gw, kind, native, text, key):
        status, doc = self.call(gw, "POST", "/v1/actions", {
            "network": "yelp", "account": "acme", "kind": kind, "in_reply_to": "yelp:" + native,
            "text": text, "idempotency_key": key})
        if status == 422:
            # The refusals (refused_by_network too) are the documented ones.
            jsonschema.validate(doc, {"$ref": "#/components/schemas/ActionRefusal",
                                      "components": OPENAPI["components"]})
        return status, doc

    def act(self, gw, kind, native, text, key):
        status, doc = self.submit(gw, kind, native, text, key)
        self.assertEqual(202, status, doc)

        def done():
            status, d = self.call(gw, "GET", "/v1/actions/" + doc["id"])
            return d if d["state"] in ("succeeded", "failed") else None
        return wait_for(done, 20, "action %s to finish" % doc["id"])

    def hook(self, gw, query, body=None):
        return http(gw.url("/webhooks/yelp/acme?" + query), body, "POST" if body else "GET",
                    {"Content-Type": "application/json"})


class ReviewsTest(YelpTestCase):
    def test_reviews_once_across_polls_with_pacific_times_and_low_rating(self):
        fake = self.start_fake(reviews=REVIEWS)
        gw = self.start(fake)
        self.wait_events(2, "two reviews")
        n = len(self.requests(fake, "reviews"))
        wait_for(lambda: len(self.requests(fake, "reviews")) >= n + 3, 20, "more polls")
        self.finish(fake, gw)
        ev = {e["native_id"]: e for e in self.events()}
        self.assertEqual({"r1", "r2"}, set(ev))
        # PST in January (UTC-8), PDT in July (UTC-7).
        self.assertEqual("2026-01-15T18:00:00.000Z", ev["r1"]["created_at"])
        self.assertEqual("2026-07-01T17:00:00.000Z", ev["r2"]["created_at"])
        self.assertEqual(("review", "public", 2), (ev["r2"]["type"], ev["r2"]["visibility"],
                                                   ev["r2"]["rating"]))
        self.assertTrue(ev["r2"]["tags"]["low_rating"])
        self.assertNotIn("low_rating", ev["r1"].get("tags", {}))
        self.assertEqual("u2", ev["r2"]["author"]["id"])
        self.assertEqual("https://www.yelp.com/biz/acme-sf?hrid=r2", ev["r2"]["url"])
        reqs = self.requests(fake, "reviews")
        self.assertEqual("newest", reqs[0]["query"]["sort_by"])

    def test_daily_limit_waits_for_the_announced_reset(self):
        # The day is spent and Yelp announces its end (RateLimit-ResetTime)
        # a few seconds ahead: no read may reach Yelp before then, and the
        # reads go on after it without waiting for the poll after midnight.
        fake = self.start_fake(reviews=REVIEWS,
                               daily={"limit": 300, "remaining": 0, "reset_in": 3 * SLOW})
        reset_at = self.admin(fake, "/_fake/state")["reset_at"]
        gw = self.start(fake, poll="100ms")
        self.wait_events(2, "the reviews, read after the reset", "review", timeout=30)
        reads = self.requests(fake, "reviews")
        self.assertEqual("ACCESS_LIMIT_REACHED", reads[0]["error"])
        self.assertLess(reads[0]["t"], reset_at, "the first read came after the reset")
        # Both clocks are this machine's; the margin covers their reads only.
        early = [r for r in reads[1:] if r["t"] < reset_at - 0.05]
        self.assertEqual([], early, "reads sent before the announced reset")
        self.assertIsNone(reads[-1]["error"])
        self.finish(fake, gw)

    def test_per_second_limit_is_retried_shortly(self):
        fake = self.start_fake(reviews=REVIEWS)
        self.admin(fake, "/_fake/faults", {"endpoint": "reviews",
                                           "code": "TOO_MANY_REQUESTS_PER_SECOND"})
        gw = self.start(fake, poll="1h")
        self.wait_events(2, "the reviews after the retry", "review")
        reads = self.requests(fake, "reviews")
        self.assertEqual(["TOO_MANY_REQUESTS_PER_SECOND", None], [r["error"] for r in reads[:2]])
        self.finish(fake, gw)

    def test_refused_api_key_raises_the_credentials_alert(self):
        fake = self.start_fake(reviews=REVIEWS, api_key="another-key")
        gw = self.start(fake)
        self.wait_events(1, "account.credentials_failed", "account.credentials_failed")
        self.assertEqual("TOKEN_INVALID", self.requests(fake, "reviews")[0]["error"])
        self.finish(fake, gw)


class LeadsTest(YelpTestCase):
    def test_lead_conversation_in_and_message_out(self):
        fake = self.start_fake(leads={"L1": [{"id": "e1", "text": "Can you cater 40 people?"},
                                             {"id": "e2", "text": "Sure", "user_type": "BIZ"},
                                             {"id": "e3", "text": "On Friday?"}]})
        gw = self.start(fake, fetch_leads=True)
        self.wait_events(2, "two consumer messages")
        ev = {e["native_id"]: e for e in self.events("message")}
        self.assertEqual({"e1", "e3"}, set(ev))
        self.assertEqual(("private", "L1"), (ev["e3"]["visibility"], ev["e3"]["thread_id"]))
        done = self.act(gw, "private", "e3", "Yes, Friday works", "k-lead")
        self.assertEqual("succeeded", done["state"], done)
        created = self.admin(fake, "/_fake/state")["created"]
        self.assertEqual([("lead_message", "L1", "Yes, Friday works")],
                         [(c["kind"], c["lead"], c["text"]) for c in created])
        # Later reads go on from the cursor; a new message arrives once.
        self.admin(fake, "/_fake/setup", {"leads": {"L1": [{"id": "e9", "text": "Great!"}]}})
        self.wait_events(3, "the new message", "message")
        n = len(self.requests(fake, "lead_events"))
        wait_for(lambda: len(self.requests(fake, "lead_events")) >= n + 2, 20, "more polls")
        self.assertTrue(any("newer_than_cursor" in r["query"]
                            for r in self.requests(fake, "lead_events")))
        self.finish(fake, gw)
        self.assertEqual(3, len(self.events("message")))

    def test_leads_are_off_by_default(self):
        fake = self.start_fake(reviews=REVIEWS, leads={"L1": [{"text": "hello"}]})
        gw = self.start(fake)
        self.wait_events(2, "reviews")
        self.finish(fake, gw)
        self.assertEqual([], self.requests(fake, "lead_ids"))


class WebhookTest(YelpTestCase):
    def test_handshake_and_token(self):
        fake = self.start_fake()
        gw = self.start(fake, poll="1h")
        gw.wait_log("running: ")
        status, body = self.hook(gw, "verification=abc123&token=" + SECRETS["YELP_HOOK"])
        self.assertEqual(200, status, body)
        self.assertEqual({"verification": "abc123"}, json.loads(body))
        self.assertEqual(401, self.hook(gw, "verification=abc123")[0])
        self.assertEqual(401, self.hook(gw, "verification=abc123&token=nope")[0])
        self.finish(fake, gw)

    def test_deliveries_start_an_immediate_read(self):
        fake = self.start_fake(reviews=REVIEWS, leads={"L7": [{"id": "e70", "text": "Quote?"}]})
        gw = self.start(fake, poll="1h", fetch_leads=False)
        self.wait_events(2, "the first poll's reviews")
        self.admin(fake, "/_fake/setup", {"reviews": [review("r3", 1, "2026-11-19 18:33:21",
                                                             "Awful", "u3")]})
        delivery = {"time": "2026-11-20T02:33:21+00:00", "object": "business", "data": {
            "id": BIZ, "updates": [
                {"event_type": "NEW_REVIEW_EVENT", "review_id": "r3", "rating": 1,
                 "user_id": "u3"},
                {"event_type": "NEW_REVIEW_EVENT", "review_id": "gone", "rating": 2,
                 "user_id": "u9"},
                {"event_type": "NEW_EVENT", "event_id": "x", "lead_id": "L7",
                 "interaction_time": "2026-11-20T02:33:21+00:00"}]}}
        body = json.dumps(delivery).encode()
        self.assertEqual(401, self.hook(gw, "token=bad", body)[0])
        status, answer = self.hook(gw, "token=" + SECRETS["YELP_HOOK"], body)
        self.assertEqual(200, status, answer)
        self.wait_events(5, "r3, the delivery-only review and the lead message")
        self.finish(fake, gw)
        ev = {e["native_id"]: e for e in self.events()}
        self.assertEqual("Awful", ev["r3"]["text"])
        self.assertEqual("2026-11-20T02:33:21.000Z", ev["r3"]["created_at"])
        self.assertEqual((2, True, "u9"), (ev["gone"]["rating"], ev["gone"]["tags"]["low_rating"],
                                           ev["gone"]["author"]["id"]))
        self.assertEqual("message", ev["e70"]["type"])


class ActionsTest(YelpTestCase):
    def start_with_reviews(self, **kw):
        fake = self.start_fake(reviews=REVIEWS, **kw)
        gw = self.start(fake)
        self.wait_events(2, "reviews")
        return fake, gw

    def test_public_response_and_rules_refused_before_queueing(self):
        fake, gw = self.start_with_reviews(comment_quota=20)
        done = self.act(gw, "reply", "r2", "Sorry about that, please come back", "k1")
        self.assertEqual("succeeded", done["state"], done)
        status, doc = self.submit(gw, "reply", "r1", "Thanks \U0001F600!", "k2")
        self.assertEqual((422, "refused_by_network"), (status, doc["error"]), doc)
        self.assertIn("U+1F600 at character 8", doc["message"])
        status, doc = self.submit(gw, "reply", "r1", "x" * 5001, "k3")
        self.assertEqual((422, "text_too_long", 5000), (status, doc["error"], doc["limit"]), doc)
        created = self.admin(fake, "/_fake/state")["created"]
        self.assertEqual(["Sorry about that, please come back"], [c["text"] for c in created])
        self.assertEqual(1, len(self.requests(fake, "respond")))
        self.finish(fake, gw)

    def test_daily_quota_is_refused_once_spent(self):
        fake, gw = self.start_with_reviews()
        gw.stop()
        gw = self.start(fake, daily_comment_quota=1)
        self.assertEqual("succeeded", self.act(gw, "reply", "r2", "Sorry", "q1")["state"])
        status, doc = self.submit(gw, "reply", "r1", "Thank you", "q2")
        self.assertEqual((422, "refused_by_network"), (status, doc["error"]), doc)
        self.assertIn("spent for today", doc["message"])
        self.assertEqual(1, len(self.requests(fake, "respond")))
        self.finish(fake, gw)

    def test_private_answer_to_a_review_is_unsupported(self):
        fake, gw = self.start_with_reviews()
        status, doc = self.submit(gw, "private", "r2", "Let us make it right", "p1")
        self.assertEqual((422, "unsupported"), (status, doc["error"]), doc)
        self.assertIn("no private messages to a reviewer", doc["message"])
        self.assertEqual([], self.requests(fake, "write_lead_event"))
        self.finish(fake, gw)

    def test_without_partner_access_answers_are_unsupported(self):
        fake = self.start_fake(reviews=REVIEWS)
        gw = self.start(fake, partner=False)
        self.wait_events(2, "reviews")
        status, doc = self.submit(gw, "reply", "r2", "Sorry", "n1")
        self.assertEqual((422, "unsupported"), (status, doc["error"]), doc)
        self.assertIn("needs Yelp partner access", doc["message"])
        status, actions = self.call(gw, "GET", "/v1/actions")
        self.assertEqual([], self.requests(fake, "respond"))
        self.finish(fake, gw)

    def test_r2r_errors_fail_in_words(self):
        fake, gw = self.start_with_reviews()
        for code, key in (("R2R_PERMISSION_DENIED", "e1"), ("R2R_REVIEW_DOES_NOT_EXIST", "e2"),
                          ("R2R_COMMENT_QUOTA_EXCEEDED", "e3")):
            self.admin(fake, "/_fake/faults", {"endpoint": "respond", "code": code})
            done = self.act(gw, "reply", "r2", "Sorry", key)
            self.assertEqual("failed", done["state"], done)
            self.assertIn(code, json.dumps(done))
        # Yelp said the quota is spent: the next answer is refused up front.
        status, doc = self.submit(gw, "reply", "r1", "Thanks", "e4")
        self.assertEqual((422, "refused_by_network"), (status, doc["error"]), doc)
        self.finish(fake, gw)

    def test_r2r_invalid_token_raises_the_credentials_alert(self):
        fake, gw = self.start_with_reviews()
        self.assertEqual([], self.events("account.credentials_failed"))
        self.admin(fake, "/_fake/faults", {"endpoint": "respond", "code": "INVALID_TOKEN"})
        done = self.act(gw, "reply", "r2", "Sorry", "t1")
        self.assertEqual("failed", done["state"], done)
        self.assertIn("INVALID_TOKEN", json.dumps(done))
        self.wait_events(1, "account.credentials_failed", "account.credentials_failed")
        self.assertEqual([], self.admin(fake, "/_fake/state")["created"])
        self.finish(fake, gw)
        alert = self.events("account.credentials_failed")[0]
        self.assertEqual(("yelp", "acme"), (alert["network"], alert["account"]))
        self.assertIn("reason", alert["detail"])

    def test_r2r_per_second_limit_is_retried_shortly_then_succeeds(self):
        fake, gw = self.start_with_reviews()
        self.admin(fake, "/_fake/faults", {"endpoint": "respond",
                                           "code": "TOO_MANY_REQUESTS_PER_SECOND"})
        done = self.act(gw, "reply", "r2", "Sorry about that", "s1")
        self.assertEqual("succeeded", done["state"], done)
        self.assertEqual(["TOO_MANY_REQUESTS_PER_SECOND", None],
                         [r["error"] for r in self.requests(fake, "respond")])
        self.assertEqual(["Sorry about that"],
                         [c["text"] for c in self.admin(fake, "/_fake/state")["created"]])
        self.finish(fake, gw)


if __name__ == "__main__":
    unittest.main()
