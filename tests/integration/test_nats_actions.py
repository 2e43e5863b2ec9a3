"""The action API over NATS (a nats sink's actions_subject) against a real
nats-server: a request on gateway.actions.<network>.<account> is submitted
to the outbox and answered with the HTTP API's JSON and status; the same
request twice under one Idempotency-Key posts once; errors are the same
bytes as over HTTP; a body naming another account than its subject is
refused; a worker request while the broker restarts is served after it."""
import json
import os
import unittest
import urllib.error
import urllib.request

from gwtest import (SOURCE, GatewayTestCase, config, mock_account, read_jsonl, wait_for)
from natsserver import NatsServer

TOKEN = "nats-actions-api-token-0123456789"
CONVERSATION = os.path.join(SOURCE, "tests", "fixtures", "actions", "conversation.jsonl")
ITEMS = 5  # customer items in the conversation fixture


def http(gw, method, path, body=None):
    req = urllib.request.Request(gw.url(path), method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": "Bearer " + TOKEN,
                                          "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


class NatsActionsTest(GatewayTestCase):
    def start(self):
        srv = NatsServer(self.dir)
        self.addCleanup(srv.kill9)
        srv.start()
        sink = ('[[sink]]\nname = "bus"\ntype = "nats"\nurl = "%s"\nstream = "SOCIAL"\n'
                'create_stream = true\nactions_subject = "gateway.actions"\n'
                'retry_max = "200ms"\n' % srv.url)
        acct = mock_account(scenario=CONVERSATION, rate=0, actions_log="actions.jsonl")
        text = config(sinks=[sink], accounts=[acct]) + '[api]\ntoken = "${API_TOKEN}"\n'
        gw = self.gateway(text, env={"API_TOKEN": TOKEN}).start()
        gw.wait_log("action requests over NATS on gateway.actions.<network>.<account>")
        wait_for(lambda: srv.count("SOCIAL") >= ITEMS, 20, "the conversation in the stream")
        return srv, gw

    def posts(self):
        return read_jsonl(self.path("actions.jsonl"))

    def test_a_request_posts_once_and_is_answered_like_the_http_api(self):
        srv, gw = self.start()
        body = json.dumps({"network": "mock", "account": "acme", "kind": "reply",
                           "in_reply_to": "mock:m-1", "text": "On it, Ann!"})
        status, answer = srv.request("gateway.actions.mock.acme", body, key="k-nats-1")
        self.assertEqual("202", status, answer)
        doc = json.loads(answer)
        self.assertTrue(doc["id"].startswith("act_"))
        self.assertEqual("queued", doc["state"])
        # A worker that retries (its answer lost) gets the same action.
        status, again = srv.request("gateway.actions.mock.acme", body, key="k-nats-1")
        self.assertEqual("200", status, again)
        self.assertEqual(doc["id"], json.loads(again)["id"])
        # So does the key in the body, over HTTP.
        with_key = dict(json.loads(body), idempotency_key="k-nats-1")
        code, text = http(gw, "POST", "/v1/actions", with_key)
        self.assertEqual(200, code, text)
        self.assertEqual(doc["id"], json.loads(text)["id"])
        wait_for(lambda: json.loads(http(gw, "GET", "/v1/actions/" + doc["id"])[1])["state"] ==
                 "succeeded", 20, "the reply to be posted")
        self.assertEqual(1, len(self.posts()), self.posts())
        self.assertEqual(doc["id"], self.posts()[0]["action_id"])
        # The action.succeeded event reaches the stream too.
        wait_for(lambda: any(m["event"]["type"] == "action.succeeded"
                             for m in srv.messages("SOCIAL")), 20, "action.succeeded in NATS")
        self.assertEqual(0, gw.stop())
        self.assertEqual(1, len(self.posts()))

    def test_errors_are_the_http_api_bytes(self):
        srv, gw = self.start()
        cases = [
            {"network": "mock", "account": "acme", "kind": "reply", "text": "x",
             "idempotency_key": "e1"},                                  # 400 invalid_request
            {"network": "mock", "account": "acme", "kind": "reply", "in_reply_to": "mock:nope",
             "text": "x", "idempotency_key": "e2"},                     # 404 unknown_event
            {"network": "mock", "account": "acme", "kind": "reply", "in_reply_to": "mock:m-1",
             "text": "   ", "idempotency_key": "e3"},                   # 400 empty_text
        ]
        for body in cases:
            with self.subTest(body=body):
                code, text = http(gw, "POST", "/v1/actions", body)
                status, answer = srv.request("gateway.actions.mock.acme", json.dumps(body))
                self.assertEqual(str(code), status)
                self.assertEqual(text, answer)
                self.assertIn("error", json.loads(answer))
        status, answer = srv.request("gateway.actions.mock.acme", "{not json")
        self.assertEqual("400", status)
        self.assertEqual("invalid_json", json.loads(answer)["error"])
        # A key in the header that differs from the body's is refused.
        body = dict(cases[1], idempotency_key="one")
        status, answer = srv.request("gateway.actions.mock.acme", json.dumps(body), key="two")
        self.assertEqual("400", status)
        self.assertIn("Idempotency-Key", json.loads(answer)["message"])
        self.assertEqual(0, gw.stop())
        self.assertEqual([], self.posts())

    def test_a_body_for_another_account_than_its_subject_is_refused(self):
        srv, gw = self.start()
        body = {"network": "mock", "account": "other", "kind": "reply",
                "in_reply_to": "mock:m-1", "text": "hi", "idempotency_key": "x1"}
        status, answer = srv.request("gateway.actions.mock.acme", json.dumps(body))
        self.assertEqual("400", status)
        doc = json.loads(answer)
        self.assertEqual("invalid_request", doc["error"])
        self.assertIn("gateway.actions.mock.other", doc["message"])
        self.assertEqual(0, gw.stop())
        self.assertEqual([], self.posts())

    def test_requests_are_served_again_after_the_broker_restarts(self):
        srv, gw = self.start()
        srv.stop()
        srv.start()
        body = json.dumps({"network": "mock", "account": "acme", "kind": "private",
                           "to": "555", "text": "Hello again"})

        def served():
            try:
                return srv.request("gateway.actions.mock.acme", body, key="k-after")
            except AssertionError:  # no responders yet: the gateway is resubscribing
                return None
        status, answer = wait_for(served, 30, "the gateway to take requests again")
        self.assertIn(status, ("202", "200"))
        wait_for(lambda: len(self.posts()) == 1, 20, "the message to be posted")
        self.assertEqual(0, gw.stop())
        self.assertEqual(1, len(self.posts()))


if __name__ == "__main__":
    unittest.main(verbosity=2)
