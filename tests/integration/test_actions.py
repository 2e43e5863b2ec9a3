"""Answering back through the real binary and the mock plugin: the action
API (POST /v1/actions, GET /v1/actions/<id>), its outbox across restarts and
kill -9, idempotency, collisions, the plugin's RETRY / FATAL answers, the
action.* events in the stream, echo suppression, tokens, bad bodies, and the
`gateway reply` / `gateway dm` commands."""
import json
import os
import re
import sqlite3
import unittest
import urllib.error
import urllib.request

from gwtest import (BUILD, SOURCE, GatewayTestCase, raw_request, config, count_lines, mock_account,
                    read_jsonl, run_cli, validate_events, wait_for)

TOKEN = "actions-test-token-0123456789"
ENV = {"GATEWAY_API_TOKEN": TOKEN}
CONVERSATION = os.path.join(SOURCE, "tests", "fixtures", "actions", "conversation.jsonl")
ITEMS = 5  # customer items in the conversation fixture
FAST_RETRY = 'retry_base = "20ms"\nretry_max = "100ms"'
FINAL = ("succeeded", "failed")


def api_config(accounts=None, api_extra="", gateway_extra="", plugin_dir=None, token=True):
    """A config with the action API on (token from the environment)."""
    text = config(accounts=accounts if accounts is not None else [acme()],
                  gateway_extra=gateway_extra)
    if plugin_dir:
        text = text.replace('plugin_dir = "%s"' % os.path.join(BUILD, "plugins"),
                            'plugin_dir = "%s"' % plugin_dir)
    if token:
        text += '[api]\ntoken = "${GATEWAY_API_TOKEN}"\n%s\n' % api_extra
    return text


def acme(network="mock", **options):
    """The account the tests answer from, replaying the conversation."""
    opts = dict(scenario=CONVERSATION, rate=0, actions_log="actions.jsonl")
    opts.update(options)
    text = mock_account(**opts)
    return text.replace('network = "mock"', 'network = "%s"' % network)


def call(gw, method, path, body=None, token=TOKEN, headers=None, raw=None):
    """(status, headers, parsed JSON or None) without raising on HTTP errors."""
    h = dict(headers or {})
    if token is not None:
        h["Authorization"] = "Bearer " + token
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    if data is not None:
        h.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(gw.url(path), data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            status, hdrs, text = r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        status, hdrs, text = e.code, dict(e.headers), e.read()
    return status, hdrs, json.loads(text) if text else None


def reply(event, text, key, **extra):
    body = {"network": "mock", "account": "acme", "kind": "reply", "in_reply_to": event,
            "text": text, "idempotency_key": key}
    body.update(extra)
    return body


def private(text, key, to=None, event=None, network="mock"):
    body = {"network": network, "account": "acme", "kind": "private", "text": text,
            "idempotency_key": key}
    if to is not None:
        body["to"] = to
    if event is not None:
        body["in_reply_to"] = event
    return body


class ActionsTestCase(GatewayTestCase):
    def start(self, cfg=None, env=ENV, wait_items=True):
        gw = self.gateway(cfg or api_config(), env=env).start()
        gw.port()
        if wait_items:
            wait_for(lambda: count_lines(self.path("events.jsonl")) >= ITEMS, 20,
                     "the conversation in the log")
        return gw

    def post(self, gw, body, want=202):
        status, headers, doc = call(gw, "POST", "/v1/actions", body)
        self.assertEqual(want, status, doc)
        return doc

    def action(self, gw, action_id):
        status, _, doc = call(gw, "GET", "/v1/actions/" + action_id)
        self.assertEqual(200, status, doc)
        return doc

    def wait_state(self, gw, action_id, states=FINAL, timeout=20):
        return wait_for(lambda: (lambda d: d if d["state"] in states else None)(
            self.action(gw, action_id)), timeout, "action %s to be %s" % (action_id, states))

    def actions_log(self):
        return read_jsonl(self.path("actions.jsonl"))

    def events(self):
        events = read_jsonl(self.path("events.jsonl"))
        validate_events(self, events)
        return events

    def action_events(self):
        return {e["detail"]["action_id"]: e for e in self.events()
                if e["type"].startswith("action.")}

    def outbox_rows(self):
        db = sqlite3.connect(self.path("var", "gateway.db"))
        try:
            return {r[0]: r[1] for r in db.execute("SELECT id, state FROM outbox")}
        finally:
            db.close()


class ActionsTest(ActionsTestCase):
    def test_reply_is_posted_and_reported_in_the_stream(self):
        gw = self.start()
        doc = self.post(gw, reply("mock:m-1", "Sorry Ann, we're on it!", "k-reply"))
        self.assertEqual("queued", doc["state"])
        self.assertTrue(doc["id"].startswith("act_"))
        self.assertIsNone(doc["native_id"])
        done = self.wait_state(gw, doc["id"])
        self.assertEqual("succeeded", done["state"], done)
        self.assertEqual("reply-1", done["native_id"])
        self.assertEqual("https://mock.example/acme/reply-1", done["url"])
        self.assertEqual(1, done["attempts"])
        wait_for(lambda: doc["id"] in self.action_events(), 10, "the action.succeeded event")
        self.assertEqual(0, gw.stop())

        [posted] = self.actions_log()
        self.assertEqual({"kind": "reply", "action_id": doc["id"], "in_reply_to": "m-1",
                          "to": None, "text": "Sorry Ann, we're on it!", "native_id": "reply-1"},
                         {k: v for k, v in posted.items() if k != "ts"})
        ev = self.action_events()[doc["id"]]
        self.assertEqual("action.succeeded", ev["type"])
        self.assertEqual("mock:action:" + doc["id"], ev["id"])
        self.assertEqual(("public", "m-1", "m-1"),
                         (ev["visibility"], ev["thread_id"], ev["in_reply_to"]))
        self.assertEqual({"action_id": doc["id"], "kind": "reply", "native_id": "reply-1",
                          "url": "https://mock.example/acme/reply-1", "attempts": 1},
                         {k: ev["detail"][k] for k in ("action_id", "kind", "native_id", "url",
                                                       "attempts")})

    def test_private_message_to_a_public_authors_and_to_a_recipient(self):
        gw = self.start()
        # The usual "we'll DM you": private, in reply to a public mention.
        dm = self.post(gw, private("Sent you a DM", "k-dm", event="mock:m-1"))
        self.assertEqual("100", dm["to"])
        direct = self.post(gw, private("Hello Bob", "k-direct", to="555"))
        self.assertEqual("succeeded", self.wait_state(gw, dm["id"])["state"])
        self.assertEqual("succeeded", self.wait_state(gw, direct["id"])["state"])
        # Private answers never collide with each other or with a reply.
        again = self.post(gw, private("One more thing", "k-dm2", event="mock:m-1"))
        self.assertEqual("succeeded", self.wait_state(gw, again["id"])["state"])
        wait_for(lambda: len(self.action_events()) == 3, 10, "three action events")
        self.assertEqual(0, gw.stop())
        sent = {p["action_id"]: p for p in self.actions_log()}
        self.assertEqual(("private", "100", "m-1"),
                         (sent[dm["id"]]["kind"], sent[dm["id"]]["to"],
                          sent[dm["id"]]["in_reply_to"]))
        self.assertEqual(("555", None), (sent[direct["id"]]["to"], sent[direct["id"]]["in_reply_to"]))
        ev = self.action_events()[dm["id"]]
        self.assertEqual(("private", "100"), (ev["visibility"], ev["detail"]["to"]))

    def test_unsupported_operation_is_refused_before_anything_is_queued(self):
        plugins = os.path.join(BUILD, "tests", "actionplugins")
        gw = self.start(api_config(accounts=[acme(network="mock_public")], plugin_dir=plugins),
                        wait_items=False)
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= ITEMS, 20, "items")
        status, _, doc = call(gw, "POST", "/v1/actions",
                              private("hi", "k1", to="100", network="mock_public"))
        self.assertEqual(422, status, doc)
        self.assertEqual("unsupported", doc["error"])
        self.assertIn("private messages", doc["message"])
        self.assertEqual({}, self.outbox_rows())
        # What the network can do still works.
        body = reply("mock_public:m-1", "public answer", "k2", network="mock_public")
        done = self.wait_state(gw, self.post(gw, body)["id"])
        self.assertEqual("succeeded", done["state"])
        self.assertEqual(0, gw.stop())

    def test_idempotent_repeat_posts_once_also_across_a_restart(self):
        cfg = api_config()
        gw = self.start(cfg)
        body = reply("mock:m-1", "once only", "help-desk-key-1")
        first = self.post(gw, body, want=202)
        again = self.post(gw, body, want=200)  # answered with the same action
        self.assertEqual(first["id"], again["id"])
        self.wait_state(gw, first["id"])
        self.assertEqual(first["id"], self.post(gw, body, want=200)["id"])
        # The same key for a different answer is a mistake, not a repeat.
        status, _, doc = call(gw, "POST", "/v1/actions", dict(body, text="changed"))
        self.assertEqual((422, "idempotency_key_reused", first["id"]),
                         (status, doc["error"], doc["action_id"]))
        self.assertEqual(0, gw.stop())

        gw2 = self.start(cfg, wait_items=False)
        repeat = self.post(gw2, body, want=200)
        self.assertEqual((first["id"], "succeeded", "reply-1"),
                         (repeat["id"], repeat["state"], repeat["native_id"]))
        self.assertEqual(0, gw2.stop())
        self.assertEqual([first["id"]], [p["action_id"] for p in self.actions_log()])

    def test_collision_is_refused_with_409_unless_forced(self):
        gw = self.start()
        first = self.post(gw, reply("mock:c-1", "It's 49 EUR", "k1"))
        # c-2 is in the same thread (post-1): a second reply collides,
        # whether the first is still queued or already posted.
        status, _, doc = call(gw, "POST", "/v1/actions", reply("mock:c-2", "49 EUR", "k2"))
        self.assertEqual((409, "collision", first["id"]),
                         (status, doc["error"], doc["action_id"]))
        self.wait_state(gw, first["id"])
        status, _, doc = call(gw, "POST", "/v1/actions", reply("mock:c-1", "again", "k3"))
        self.assertEqual((409, first["id"]), (status, doc["action_id"]))
        forced = self.post(gw, reply("mock:c-2", "49 EUR, Cat", "k4", force=True))
        self.assertTrue(forced["force"])
        self.assertEqual("succeeded", self.wait_state(gw, forced["id"])["state"])
        self.assertEqual(0, gw.stop())
        self.assertEqual([first["id"], forced["id"]],
                         [p["action_id"] for p in self.actions_log()])
        self.assertEqual({first["id"]: "succeeded", forced["id"]: "succeeded"},
                         self.outbox_rows())

    def test_failed_reply_does_not_block_the_thread(self):
        cfg = api_config(accounts=[acme(fail_op="post_public", fail_with="fatal", fail_times=1)])
        gw = self.start(cfg)
        first = self.post(gw, reply("mock:m-1", "first try", "k1"))
        self.assertEqual("failed", self.wait_state(gw, first["id"])["state"])
        second = self.post(gw, reply("mock:m-1", "second try", "k2"))
        self.assertEqual("succeeded", self.wait_state(gw, second["id"])["state"])
        self.assertEqual(0, gw.stop())

    def test_retry_twice_then_ok(self):
        cfg = api_config(accounts=[acme(fail_op="post_public", fail_with="retry", fail_times=2)],
                         gateway_extra=FAST_RETRY)
        gw = self.start(cfg)
        doc = self.post(gw, reply("mock:m-1", "third time lucky", "k1"))
        done = self.wait_state(gw, doc["id"])
        self.assertEqual(("succeeded", 3, "reply-1"),
                         (done["state"], done["attempts"], done["native_id"]))
        self.assertEqual(0, gw.stop())
        self.assertEqual(2, gw.log().count("will be retried"))
        self.assertEqual(1, len(self.actions_log()))
        ev = self.action_events()[doc["id"]]
        self.assertEqual(("action.succeeded", 3), (ev["type"], ev["detail"]["attempts"]))

    def test_retries_run_out_after_max_attempts(self):
        cfg = api_config(accounts=[acme(fail_op="send_private", fail_with="retry")],
                         gateway_extra=FAST_RETRY, api_extra="max_attempts = 3")
        gw = self.start(cfg)
        doc = self.post(gw, private("never gets through", "k1", to="100"))
        done = self.wait_state(gw, doc["id"])
        self.assertEqual(("failed", 3), (done["state"], done["attempts"]))
        self.assertIn("gave up after 3 attempts", done["reason"])
        self.assertEqual(0, gw.stop())
        self.assertEqual([], self.actions_log())

    def test_fatal_fails_the_action_with_the_reason_in_the_stream(self):
        cfg = api_config(accounts=[acme(fail_op="post_public", fail_with="fatal")])
        gw = self.start(cfg)
        doc = self.post(gw, reply("mock:m-1", "refused", "k1"))
        done = self.wait_state(gw, doc["id"])
        self.assertEqual(("failed", 1, "mock: injected failure (fail_op)", None),
                         (done["state"], done["attempts"], done["reason"], done["native_id"]))
        wait_for(lambda: doc["id"] in self.action_events(), 10, "the action.failed event")
        self.assertEqual(0, gw.stop())
        ev = self.action_events()[doc["id"]]
        self.assertEqual("action.failed", ev["type"])
        self.assertEqual("mock: injected failure (fail_op)", ev["detail"]["reason"])
        self.assertFalse(ev["detail"]["outcome_unknown"])
        self.assertEqual([], self.actions_log())

    def test_echo_of_our_own_reply_is_not_delivered_as_a_customer_item(self):
        cfg = api_config(accounts=[acme(echo_actions=True, poll="100ms")])
        gw = self.start(cfg)
        doc = self.post(gw, reply("mock:m-1", "Thanks for your patience", "k1"))
        self.wait_state(gw, doc["id"])
        gw.wait_log("dropped item reply-1: our own post (action %s)" % doc["id"])
        with urllib.request.urlopen(gw.url("/metrics"), timeout=10) as r:
            metrics = r.read().decode()
        self.assertIn('gateway_actions_total{result="accepted"} 1', metrics)
        self.assertIn('gateway_actions_total{result="succeeded"} 1', metrics)
        self.assertIn("gateway_echoes_dropped_total 1", metrics)
        self.assertEqual(0, gw.stop())
        ids = [e["id"] for e in self.events()]
        self.assertNotIn("mock:reply-1", ids)
        self.assertIn("mock:action:" + doc["id"], ids)
        self.assertEqual(ITEMS + 1, len(ids))


class RestartTest(ActionsTestCase):
    def test_queued_actions_survive_a_graceful_restart(self):
        # One action at a time per account: with a slow network the others
        # wait in the queue when the gateway is told to stop.
        slow = api_config(accounts=[acme(latency="1500ms")])
        gw = self.start(slow)
        ids = [self.post(gw, private("message %d" % i, "k%d" % i, to="10%d" % i))["id"]
               for i in range(3)]
        self.wait_state(gw, ids[0], states=("sending",))
        self.assertEqual(0, gw.stop())
        # The one in the plugin finished during the drain; the rest wait.
        self.assertEqual({ids[0]: "succeeded", ids[1]: "queued", ids[2]: "queued"},
                         self.outbox_rows())

        gw2 = self.start(api_config(), wait_items=False)
        for action_id in ids:
            self.assertEqual("succeeded", self.wait_state(gw2, action_id)["state"])
        wait_for(lambda: len(self.action_events()) == 3, 10, "three action events")
        self.assertEqual(0, gw2.stop())
        self.assertEqual(ids, [p["action_id"] for p in self.actions_log()])

    def test_kill9_with_an_action_in_flight_never_posts_it_twice(self):
        slow = api_config(accounts=[acme(latency="3s")])
        gw = self.start(slow)
        in_flight = self.post(gw, private("in flight", "k1", to="100"))["id"]
        queued = self.post(gw, private("queued", "k2", to="101"))["id"]
        self.wait_state(gw, in_flight, states=("sending",))
        gw.kill9()

        gw2 = self.start(api_config(), wait_items=False)
        lost = self.wait_state(gw2, in_flight)
        self.assertEqual("failed", lost["state"])
        self.assertIn("outcome unknown", lost["reason"])
        self.assertEqual("succeeded", self.wait_state(gw2, queued)["state"])
        wait_for(lambda: len(self.action_events()) == 2, 10, "two action events")
        self.assertEqual(0, gw2.stop())
        self.assertTrue(self.action_events()[in_flight]["detail"]["outcome_unknown"])
        # The mock never finished the first; nothing was posted twice.
        self.assertEqual([queued], [p["action_id"] for p in self.actions_log()])


class AuthAndValidationTest(ActionsTestCase):
    def test_bad_tokens_get_401_with_a_bearer_challenge(self):
        gw = self.start(wait_items=False)
        body = private("hi", "k1", to="100")
        for token, headers in [(None, {}), ("wrong-token-0123456789", {}), (TOKEN + "x", {}),
                               (TOKEN[:-1], {}), ("", {}),
                               (None, {"Authorization": "Basic " + TOKEN}),
                               (None, {"Authorization": TOKEN})]:
            status, hdrs, doc = call(gw, "POST", "/v1/actions", body, token=token,
                                     headers=headers)
            self.assertEqual(401, status, (token, headers))
            self.assertEqual("unauthorized", doc["error"])
            self.assertEqual('Bearer realm="gateway"', hdrs.get("WWW-Authenticate"))
        status, _, _ = call(gw, "GET", "/v1/actions/act_00", token=None)
        self.assertEqual(401, status)
        # The scheme is case-insensitive (RFC 7235).
        status, _, doc = call(gw, "GET", "/v1/actions/act_00", token=None,
                              headers={"Authorization": "bearer " + TOKEN})
        self.assertEqual((404, "unknown_action"), (status, doc["error"]))
        self.assertEqual(0, gw.stop())
        self.assertNotIn(TOKEN, gw.log())
        self.assertEqual({}, self.outbox_rows())

    def test_a_token_with_a_nul_and_more_is_refused(self):
        gw = self.start(wait_items=False)
        for tail in (b"\x00junk", b"\x00", b"junk"):
            status, _, raw_body = raw_request(
                gw.port(), b"GET /v1/actions/act_00000000000000000000 HTTP/1.1\r\nHost: t\r\n"
                b"Connection: close\r\nAuthorization: Bearer " + TOKEN.encode() + tail
                + b"\r\n\r\n")
            body = json.loads(raw_body)
            # A NUL is a malformed request (400); a longer token a wrong one.
            self.assertEqual((400, "bad_request") if b"\x00" in tail else (401, "unauthorized"),
                             (status, body["error"]), tail)
            self.assertTrue(body["message"])
        status, _, doc = call(gw, "GET", "/v1/actions/act_00000000000000000000")
        self.assertEqual((404, "unknown_action"), (status, doc["error"]))
        self.assertEqual(0, gw.stop())

    def test_without_a_token_the_api_is_disabled_not_open(self):
        gw = self.start(api_config(token=False), wait_items=False)
        for method, path, body in [("POST", "/v1/actions", private("hi", "k", to="1")),
                                   ("GET", "/v1/actions/act_00", None)]:
            status, _, doc = call(gw, method, path, body)
            self.assertEqual((503, "api_disabled"), (status, doc["error"]))
        self.assertEqual(0, gw.stop())
        self.assertIn("the action API is disabled", gw.log())

    def test_short_token_is_a_config_error_that_does_not_echo_it(self):
        cfg = self.path("short.toml")
        with open(cfg, "w") as f:
            f.write(api_config(accounts=[]))
        r = run_cli("-c", cfg, "check-config", cwd=self.dir,
                    env=dict(os.environ, GATEWAY_API_TOKEN="tooshort"))
        self.assertEqual(2, r.returncode)
        self.assertIn("api.token: expected a secret of at least 16 characters, found one of 8",
                      r.stderr)
        self.assertNotIn("tooshort", r.stderr)

    def test_bad_bodies_are_refused_and_queue_nothing(self):
        gw = self.start()
        good = reply("mock:m-1", "hello", "k1")
        cases = [
            (b"not json", 400, "invalid_json"),
            (b'{"network": "mock", "network": "mock"}', 400, "invalid_json"),
            (b"[]", 400, "invalid_request"),
            ({}, 400, "invalid_request"),
            (dict(good, in_reply_too="x"), 400, "invalid_request"),
            ({k: v for k, v in good.items() if k != "idempotency_key"}, 400, "invalid_request"),
            ({k: v for k, v in good.items() if k != "text"}, 400, "invalid_request"),
            (dict(good, kind="tweet"), 400, "invalid_request"),
            (dict(good, text=""), 400, "empty_text"),
            (dict(good, text="   \n\t"), 400, "empty_text"),
            (dict(good, text="\u00a0\u3000\u200b"), 400, "empty_text"),
            (dict(good, text=5), 400, "invalid_request"),
            (dict(good, force="yes"), 400, "invalid_request"),
            (dict(good, to="100"), 400, "invalid_request"),
            (dict(good, idempotency_key="k" * 201), 400, "invalid_request"),
            ({k: v for k, v in good.items() if k != "in_reply_to"}, 400, "invalid_request"),
            (private("hi", "k1"), 400, "invalid_request"),
            (dict(good, account="nobody"), 404, "unknown_account"),
            (dict(good, network="yelp"), 404, "unknown_account"),
            (dict(good, in_reply_to="mock:nope"), 404, "unknown_event"),
            (dict(good, in_reply_to="m-1"), 404, "unknown_event"),
            (dict(good, in_reply_to="mock:dm-1"), 422, "not_answerable"),
            (private("hi", "k1", event="mock:anon-1"), 422, "no_recipient"),
            (dict(good, text="x" * 281), 422, "text_too_long"),
        ]
        for body, want_status, want_error in cases:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            status, hdrs, doc = call(gw, "POST", "/v1/actions", raw=raw)
            self.assertEqual((want_status, want_error), (status, doc["error"]), body)
            self.assertTrue(doc["message"])
            self.assertTrue(hdrs["Content-Type"].startswith("application/json"))
        status, _, doc = call(gw, "POST", "/v1/actions", dict(good, text="é" * 281))
        self.assertEqual((422, 280, 281), (status, doc["limit"], doc["length"]))
        # Blank texts: the limit said is the network's, in characters.
        status, _, doc = call(gw, "POST", "/v1/actions", dict(good, text=" \n\t "))
        self.assertEqual((400, "empty_text", 280), (status, doc["error"], doc["limit"]))
        self.assertIn("nothing but whitespace", doc["message"])
        self.assertIn("1 to 280 characters", doc["message"])
        status, _, doc = call(gw, "POST", "/v1/actions", dict(good, text=""))
        self.assertEqual("the text is empty; write 1 to 280 characters", doc["message"])
        self.assertNotIn("bytes", doc["message"])
        for path in ["/v1/actions/act_0000", "/v1/actions/", "/v1/actions/a%2Fb",
                     "/v1/actions/" + "a" * 80]:
            status, _, doc = call(gw, "GET", path)
            self.assertEqual((404, "unknown_action"), (status, doc["error"]), path)
        status, _, _ = call(gw, "PUT", "/v1/actions", good)
        self.assertEqual(405, status)
        self.assertEqual(0, gw.stop())
        self.assertEqual({}, self.outbox_rows())
        self.assertEqual([], self.actions_log())


class CliTest(ActionsTestCase):
    def cli(self, *args, token=TOKEN):
        env = dict(os.environ)
        env.pop("GATEWAY_API_TOKEN", None)
        if token is not None:
            env["GATEWAY_API_TOKEN"] = token
        return run_cli("-c", self.gw.config, *args, cwd=self.dir, env=env)

    def test_reply_and_dm_commands_call_the_api_and_print_the_outcome(self):
        self.gw = self.start()
        base = self.gw.url("")
        r = self.cli("reply", "--url", base, "mock:m-1", "On it, Ann!")
        self.assertEqual(0, r.returncode, r.stderr)
        self.assertRegex(r.stdout, r"action act_\w+ succeeded: reply-1 "
                                   r"https://mock\.example/acme/reply-1")
        # Same thread again: the API's 409 reaches the user, exit 1.
        r = self.cli("reply", "--url", base, "mock:m-1", "again")
        self.assertEqual(1, r.returncode)
        self.assertIn("409 collision", r.stderr)
        self.assertIn("--force", r.stderr)
        r = self.cli("reply", "--url", base, "--force", "--key", "cli-k1", "mock:m-1", "again")
        self.assertEqual(0, r.returncode, r.stderr)
        r = self.cli("reply", "--url", base, "--force", "--key", "cli-k1", "mock:m-1", "again")
        self.assertEqual(0, r.returncode, r.stderr)
        self.assertIn("sent before", r.stdout)
        # dm: to an event's author, or to a user id (the account is the
        # configuration's only one).
        r = self.cli("dm", "--url", base, "mock:m-1", "Check your DMs")
        self.assertEqual(0, r.returncode, r.stderr)
        self.assertIn("succeeded: reply-3", r.stdout)
        r = self.cli("dm", "--url", base, "--to", "555", "Hello")
        self.assertEqual(0, r.returncode, r.stderr)
        # --wait 0: accepted but not done yet is 3 ("accepted but not done
        # within --wait"), never 0, which means posted.
        r = self.cli("dm", "--url", base, "--wait", "0", "--to", "556", "Hello")
        self.assertEqual(3, r.returncode, r.stderr)
        self.assertIn("not waited for", r.stdout)
        queued = re.match(r"action (act_\w+) queued", r.stdout)
        self.assertTrue(queued, r.stdout)
        self.wait_state(self.gw, queued.group(1))
        # Refusals and usage errors.
        r = self.cli("dm", "--url", base, "--to", "555", "x" * 300)
        self.assertEqual(1, r.returncode)
        self.assertIn("422 text_too_long", r.stderr)
        for blank in (" \n\t", ""):
            r = self.cli("reply", "--url", base, "mock:m-1", blank)
            self.assertEqual(1, r.returncode)
            self.assertIn("400 empty_text", r.stderr)
            self.assertIn("1 to 280 characters", r.stderr)
        r = self.cli("dm", "--url", base, "--to", "555", "   ")
        self.assertEqual(1, r.returncode)
        self.assertIn("the text has nothing but whitespace", r.stderr)
        r = self.cli("reply", "--url", base, "mock:m-1", "hi", token="wrong-token-0123456789")
        self.assertEqual(1, r.returncode)
        self.assertIn("401 unauthorized", r.stderr)
        r = self.cli("reply", "--url", base, "mock:m-1", "hi", token=None)
        self.assertEqual(2, r.returncode)
        self.assertIn("GATEWAY_API_TOKEN", r.stderr)
        r = self.cli("reply", "--url", base, "mock:m-1")
        self.assertEqual(2, r.returncode)
        r = self.cli("reply", "mock:m-1", "hi")  # port 0 in the config: no address
        self.assertEqual(2, r.returncode)
        self.assertIn("--url", r.stderr)
        self.assertEqual(0, self.gw.stop())
        self.assertEqual(5, len(self.actions_log()))


if __name__ == "__main__":
    unittest.main(verbosity=2)
