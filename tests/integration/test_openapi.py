"""docs/openapi.yaml against the real binary: every operation it lists is
called, every answer's status must be listed for its operation, its media
type declared, its required headers present and its body valid against the
response schema; the request bodies the tests send are checked against the
request schema too. Every documented status of the action API must be
reached, except the few listed in UNREACHED with the reason."""
import json
import os
import re
import unittest
import urllib.error
import urllib.request

import jsonschema
import yaml

from gwtest import SOURCE, GatewayTestCase, count_lines, mock_account, read_jsonl, wait_for
from test_actions import ITEMS, TOKEN, ENV, acme, api_config, private, reply

SPEC_PATH = os.path.join(SOURCE, "docs", "openapi.yaml")
HOOK_SECRET = "openapi-webhook-secret-0123456789"

# Documented statuses no test here provokes on purpose, and why.
UNREACHED = {
    ("/v1/actions", "post", "503"): "store failures and shutdown races (covered in test_actions)",
    ("/v1/actions/{id}", "get", "503"): "as above; api_disabled is checked on POST",
    ("/v1/actions", "post", "413"): "the server's own limit (covered in test_http)",
}


def load_spec():
    with open(SPEC_PATH) as f:
        return yaml.safe_load(f)


class Checker:
    """Finds the operation of a request and validates its answer."""

    def __init__(self, testcase, spec):
        self.t = testcase
        self.spec = spec
        self.resolver = jsonschema.RefResolver.from_schema(spec)
        self.seen = set()  # (template, method, status key)
        self.templates = [(p, re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", p) + "$"))
                          for p in spec["paths"]]

    def schema_validate(self, schema, instance, what):
        cls = jsonschema.Draft202012Validator
        v = cls(schema, resolver=self.resolver, format_checker=cls.FORMAT_CHECKER)
        errors = sorted(v.iter_errors(instance), key=lambda e: list(e.path))
        self.t.assertEqual([], ["%s: %s" % (list(e.path), e.message) for e in errors],
                           "%s: %r" % (what, instance))

    def operation(self, method, path, status):
        path = path.split("?", 1)[0]
        matches = [p for p, rx in self.templates if rx.match(path)]
        self.t.assertTrue(matches, "%s is not documented" % path)
        # The most specific template: the one with the fewest parameters.
        template = min(matches, key=lambda p: p.count("{"))
        op = self.spec["paths"][template].get(method.lower())
        if op is None and status == 405:
            # A method the path does not have: the path's documented 405.
            ops = {m: o for m, o in self.spec["paths"][template].items()
                   if m != "parameters" and "405" in o["responses"]}
            self.t.assertTrue(ops, "%s: 405 is not documented" % template)
            for m in ops:
                self.seen.add((template, m, "405"))
            return template, next(iter(ops.values()))
        self.t.assertIsNotNone(op, "%s %s is not documented" % (method, template))
        return template, op

    def response_spec(self, op, status, what):
        responses = op["responses"]
        key = str(status)
        if key not in responses:
            key = "%dXX" % (status // 100) if "%dXX" % (status // 100) in responses else "default"
        self.t.assertTrue(key in responses, "%s: status %d is not documented" % (what, status))
        spec = responses[key]
        if "$ref" in spec:
            spec = self.resolver.resolve(spec["$ref"])[1]
        return key, spec

    def check(self, method, path, status, headers, body, request=None):
        template, op = self.operation(method, path, status)
        what = "%s %s -> %d" % (method, path, status)
        if request is not None:
            schema = op["requestBody"]["content"]["application/json"]["schema"]
            self.schema_validate(schema, request, what + " (request)")
        key, spec = self.response_spec(op, status, what)
        self.seen.add((template, method.lower(), key))
        for name, h in spec.get("headers", {}).items():
            if h.get("required"):
                self.t.assertIn(name.lower(), {k.lower() for k in headers},
                                "%s: header %s missing" % (what, name))
                value = {k.lower(): v for k, v in headers.items()}[name.lower()]
                self.schema_validate(h["schema"], value, what + " header " + name)
        content = spec.get("content", {})
        if not content:
            self.t.assertEqual(b"", body, what + ": no body documented")
            return
        ctype = headers.get("Content-Type", "").split(";")[0].strip()
        if ctype in content:
            media = content[ctype]
        else:
            self.t.assertIn("*/*", content, "%s: media type %r not documented" % (what, ctype))
            media = content["*/*"]
        if ctype == "application/json":
            instance = json.loads(body)
        else:
            instance = body.decode()
        self.schema_validate(media.get("schema", {}), instance, what)


def http(url, method="GET", data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


class OpenApiTest(GatewayTestCase):
    def setUp(self):
        super().setUp()
        self.spec = load_spec()
        self.checker = Checker(self, self.spec)

    def call(self, gw, method, path, body=None, token=TOKEN, raw=None):
        """Send, check against the document, return (status, parsed JSON)."""
        headers = {"Authorization": "Bearer " + token} if token else {}
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None
                                            else None)
        if data is not None:
            headers["Content-Type"] = "application/json"
        status, hdrs, text = http(gw.url(path), method, data, headers)
        request = body if (body is not None and path.startswith("/v1/") and status in (200, 202)
                           and raw is None) else None
        self.checker.check(method, path, status, hdrs, text, request=request)
        ctype = hdrs.get("Content-Type", "")
        return status, (json.loads(text) if ctype.startswith("application/json")
                        else text.decode(errors="replace"))

    def test_document_is_valid_openapi_31(self):
        self.assertEqual("3.1.0", self.spec["openapi"])
        # Every schema in it is a valid JSON Schema 2020-12 schema.
        for name, schema in self.spec["components"]["schemas"].items():
            jsonschema.Draft202012Validator.check_schema(schema)
        for path, item in self.spec["paths"].items():
            for method, op in item.items():
                if method == "parameters":
                    continue
                self.assertIn("responses", op, path)
                self.assertIn("operationId", op, path)
                for param in re.findall(r"\{([^}]+)\}", path):
                    declared = [p for p in item.get("parameters", []) + op.get("parameters", [])]
                    names = [self.checker.resolver.resolve(p["$ref"])[1]["name"]
                             if "$ref" in p else p["name"] for p in declared]
                    self.assertIn(param, names, "%s: {%s} not declared" % (path, param))

    def test_real_answers_match_the_document(self):
        gw = self.gateway(api_config(accounts=[acme(fail_op="send_private", fail_with="retry",
                                                    fail_times=1)],
                                     gateway_extra='retry_base = "20ms"\nretry_max = "50ms"'),
                          env=ENV).start()
        gw.port()
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= ITEMS, 20, "the items")

        # Operations.
        self.assertEqual(200, self.call(gw, "GET", "/healthz")[0])
        self.assertEqual(200, self.call(gw, "GET", "/readyz")[0])
        status, text = self.call(gw, "GET", "/metrics")
        self.assertEqual(200, status)
        self.assertIn("gateway_events_in_total", text)

        # Webhooks: the plugin's answers, and the gateway's own errors.
        item = [{"type": "mention", "native_id": "wh-1", "text": "@acme pushed"}]
        self.assertEqual(200, self.call(gw, "POST", "/webhooks/mock/acme", item)[0])
        self.assertEqual(405, self.call(gw, "GET", "/webhooks/mock/acme")[0])  # the mock's
        self.assertEqual(404, self.call(gw, "POST", "/webhooks/mock/nobody", item)[0])
        self.assertEqual(404, self.call(gw, "GET", "/webhooks/mock/nobody")[0])
        self.assertEqual(400, self.call(gw, "POST", "/webhooks/mock/acme", raw=b"{nope")[0])

        # Actions: acceptance, repeats, the final states.
        status, doc = self.call(gw, "POST", "/v1/actions", reply("mock:m-1", "On it", "k1"))
        self.assertEqual(202, status)
        status, repeat = self.call(gw, "POST", "/v1/actions", reply("mock:m-1", "On it", "k1"))
        self.assertEqual((200, doc["id"]), (status, repeat["id"]))
        status, dm = self.call(gw, "POST", "/v1/actions", private("DM", "k2", event="mock:m-1"))
        self.assertEqual(202, status)

        def final(action_id):
            status, d = self.call(gw, "GET", "/v1/actions/" + action_id)
            self.assertEqual(200, status)
            return d if d["state"] in ("succeeded", "failed") else None

        self.assertEqual("succeeded", wait_for(lambda: final(doc["id"]), 20, "reply")["state"])
        # The DM needed a retry; its states on the way were valid too.
        self.assertEqual(2, wait_for(lambda: final(dm["id"]), 20, "dm")["attempts"])

        # Refusals.
        refusals = [
            (reply("mock:m-1", "again", "k3"), 409),
            (reply("mock:m-1", "other text", "k1"), 422),
            (reply("mock:m-1", "x" * 281, "k4", force=True), 422),
            (reply("mock:dm-1", "public?", "k5"), 422),
            (private("hi", "k6", event="mock:anon-1"), 422),
            (reply("mock:nope", "hi", "k7"), 404),
            (dict(reply("mock:m-1", "hi", "k8"), account="nobody"), 404),
            (dict(reply("mock:m-1", "hi", "k9"), kind="tweet"), 400),
            (reply("mock:m-1", " \n\t", "k10"), 400),
        ]
        for body, want in refusals:
            self.assertEqual(want, self.call(gw, "POST", "/v1/actions", body)[0], body)
        self.assertEqual(400, self.call(gw, "POST", "/v1/actions", raw=b"not json")[0])
        self.assertEqual(405, self.call(gw, "GET", "/v1/actions")[0])
        self.assertEqual(404, self.call(gw, "GET", "/v1/actions/act_00000000000000000000")[0])
        self.assertEqual(401, self.call(gw, "POST", "/v1/actions", reply("mock:m-1", "x", "k"),
                                        token=None)[0])
        self.assertEqual(401, self.call(gw, "GET", "/v1/actions/" + doc["id"],
                                        token="wrong-token-0123456789")[0])

        # Accounts: the list, restarts (of a running account: a no-op).
        status, accounts = self.call(gw, "GET", "/v1/accounts")
        self.assertEqual((200, "running"), (status, accounts["accounts"][0]["state"]))
        self.assertEqual(401, self.call(gw, "GET", "/v1/accounts", token=None)[0])
        self.assertEqual(200, self.call(gw, "POST", "/v1/accounts/mock/acme/restart")[0])
        self.assertEqual(404, self.call(gw, "POST", "/v1/accounts/mock/nobody/restart")[0])
        self.assertEqual(401, self.call(gw, "POST", "/v1/accounts/mock/acme/restart",
                                        token="wrong-token-0123456789")[0])
        # The event log: a JSON page (the stream is tested in test_events_stream).
        status, page = self.call(gw, "GET", "/v1/events?after=0&limit=2")
        self.assertEqual((200, 2), (status, len(page["events"])))
        self.assertEqual(400, self.call(gw, "GET", "/v1/events?limit=0")[0])
        self.assertEqual(401, self.call(gw, "GET", "/v1/events?limit=1", token=None)[0])
        self.conversations(gw)
        self.assertEqual(0, gw.stop())

        # A gateway that is not ready, without the action API.
        broken = ('[[account]]\nnetwork = "mock"\nname = "broken"\noptional = true\n'
                  '  [account.options]\n  scenario = "/no/such/file.jsonl"\n')
        text = api_config(accounts=[mock_account(rate=0, count=1), broken], token=False)
        gw2 = self.gateway(text, name="notready.toml").start()
        gw2.port()
        self.assertEqual(503, self.call(gw2, "GET", "/readyz")[0])
        self.assertEqual(503, self.call(gw2, "POST", "/v1/actions",
                                        reply("mock:m-1", "x", "k"))[0])
        self.assertEqual(503, self.call(gw2, "GET", "/v1/accounts")[0])
        self.assertEqual(503, self.call(gw2, "GET", "/v1/events?limit=1")[0])
        self.assertEqual(503, self.call(gw2, "POST", "/v1/accounts/mock/acme/restart")[0])
        self.assertEqual(503, self.call(gw2, "GET", "/v1/deadletters")[0])
        self.assertEqual(503, self.call(gw2, "GET", "/v1/deadletters/1")[0])
        self.assertEqual(503, self.call(gw2, "DELETE", "/v1/deadletters/1")[0])
        self.assertEqual(503, self.call(gw2, "POST", "/v1/deadletters/1/replay")[0])
        for method, path in (("GET", "/v1/conversations"), ("GET", "/v1/conversations/cv_1"),
                             ("POST", "/v1/conversations/cv_1/close"),
                             ("GET", "/v1/contacts/ct_1")):
            self.assertEqual(503, self.call(gw2, method, path)[0])
        self.assertEqual(503, self.call(gw2, "POST", "/v1/contacts/ct_1/links",
                                        {"contact": "ct_2"})[0])
        self.assertEqual(0, gw2.stop())

        # A stopped account (the circuit breaker) and a disabled one.
        stopped = acme(fail_op="fetch", fail_with="fatal", fail_times=1)
        disabled = '[[account]]\nnetwork = "mock"\nname = "off"\nenabled = false\n'
        gw3 = self.gateway(api_config(accounts=[stopped, disabled],
                                      gateway_extra="max_failures = 1"),
                           name="stopped.toml", env=ENV).start()
        gw3.port()
        wait_for(lambda: self.call(gw3, "GET", "/v1/accounts")[1]["accounts"][0]["state"]
                 == "stopped", 20, "the account stopped")
        self.assertEqual(409, self.call(gw3, "POST", "/v1/actions",
                                        private("hi", "k-stopped", to="u-1"))[0])
        self.assertEqual(503, self.call(gw3, "POST", "/webhooks/mock/acme", item)[0])
        self.assertEqual(409, self.call(gw3, "POST", "/v1/accounts/mock/off/restart")[0])
        status, doc = self.call(gw3, "POST", "/v1/accounts/mock/acme/restart")
        self.assertEqual((200, True), (status, doc["restarted"]))
        self.assertEqual(0, gw3.stop())

        # Dead letters: a webhook sink whose receiver refuses seq 1.
        self.dead_letters(gw2)

        # Every operation was called; every status of the action API reached.
        for path, item in self.spec["paths"].items():
            for method, op in item.items():
                if method == "parameters":
                    continue
                called = {k for p, m, k in self.checker.seen if (p, m) == (path, method)}
                self.assertTrue(called, "%s %s was never called" % (method.upper(), path))
                if path.startswith("/v1/"):
                    missing = set(op["responses"]) - called - {
                        s for (p, m, s) in UNREACHED if (p, m) == (path, method)}
                    self.assertEqual(set(), missing,
                                     "%s %s: documented but never seen" % (method.upper(), path))

    def conversations(self, gw):
        """Conversations and contacts: every documented answer."""
        events = {e["id"]: e for e in read_jsonl(self.path("events.jsonl"))}
        m1, dm = events["mock:m-1"], events["mock:dm-1"]
        status, queue = self.call(gw, "GET", "/v1/conversations?state=open&sort=priority&limit=1")
        self.assertEqual((200, 1), (status, len(queue["conversations"])))
        self.assertEqual(200, self.call(gw, "GET", "/v1/conversations?state=open&sort=priority"
                                        "&cursor=" + queue["next_cursor"])[0])
        self.assertEqual(400, self.call(gw, "GET", "/v1/conversations?sort=bogus")[0])
        self.assertEqual(401, self.call(gw, "GET", "/v1/conversations", token=None)[0])
        one = "/v1/conversations/" + m1["conversation_id"]
        self.assertEqual(200, self.call(gw, "GET", one)[0])
        self.assertEqual(404, self.call(gw, "GET", "/v1/conversations/cv_fffff")[0])
        self.assertEqual(401, self.call(gw, "GET", one, token=None)[0])
        self.assertEqual(200, self.call(gw, "POST", one + "/close")[0])
        self.assertEqual(409, self.call(gw, "POST", one + "/close")[0])
        self.assertEqual(404, self.call(gw, "POST", "/v1/conversations/cv_fffff/close")[0])
        self.assertEqual(401, self.call(gw, "POST", one + "/close", token=None)[0])
        contact = "/v1/contacts/" + m1["contact"]["id"]
        self.assertEqual(200, self.call(gw, "GET", contact)[0])
        self.assertEqual(404, self.call(gw, "GET", "/v1/contacts/ct_fffff")[0])
        self.assertEqual(401, self.call(gw, "GET", contact, token=None)[0])
        other = {"contact": events["mock:c-1"]["contact"]["id"]}
        self.assertEqual(200, self.call(gw, "POST", contact + "/links", other)[0])
        self.assertEqual(404, self.call(gw, "POST", "/v1/contacts/ct_fffff/links", other)[0])
        self.assertEqual(400, self.call(gw, "POST", contact + "/links", {"contact": 1})[0])
        self.assertEqual(401, self.call(gw, "POST", contact + "/links", other, token=None)[0])
        self.assertEqual(m1["contact"]["id"], dm["contact"]["id"])

    def dead_letters(self, _):
        rx = self.fake("webhook_receiver.py", "--secret", HOOK_SECRET, "--control",
                       json.dumps({"refuse_seq": [1, 2], "status": 400}))
        hook = ('[[sink]]\nname = "hook"\ntype = "webhook"\nurl = "%s"\n'
                'secret = "${HOOK_SECRET}"\nmax_attempts = 1\nretry_max = "100ms"\n'
                % rx.url("/hook"))
        text = api_config(accounts=[mock_account(rate=0, count=3)]) + hook
        env = dict(ENV, HOOK_SECRET=HOOK_SECRET)
        gw = self.gateway(text, name="hook.toml", env=env).start()
        listed = wait_for(lambda: self.call(gw, "GET", "/v1/deadletters")[1]["deadletters"]
                          if len(self.call(gw, "GET", "/v1/deadletters")[1]["deadletters"]) == 2
                          else None, 20, "two dead letters")
        first, second = listed[0]["id"], listed[1]["id"]
        status, page = self.call(gw, "GET", "/v1/deadletters?sink=hook&limit=1")
        self.assertEqual((200, first), (status, page["next_after"]))
        self.assertEqual(400, self.call(gw, "GET", "/v1/deadletters?limit=0")[0])
        self.assertEqual(401, self.call(gw, "GET", "/v1/deadletters", token=None)[0])
        status, one = self.call(gw, "GET", "/v1/deadletters/%d" % first)
        self.assertEqual((200, 1), (status, one["event"]["seq"]))
        self.assertEqual(404, self.call(gw, "GET", "/v1/deadletters/999")[0])
        self.assertEqual(401, self.call(gw, "GET", "/v1/deadletters/1", token=None)[0])
        self.assertEqual(405, self.call(gw, "POST", "/v1/deadletters/%d" % first)[0])
        self.assertEqual(405, self.call(gw, "GET", "/v1/deadletters/%d/replay" % first)[0])
        self.assertEqual(202, self.call(gw, "POST", "/v1/deadletters/%d/replay" % first)[0])
        self.assertEqual(404, self.call(gw, "POST", "/v1/deadletters/999/replay")[0])
        self.assertEqual(401, self.call(gw, "POST", "/v1/deadletters/1/replay", token=None)[0])
        self.assertEqual(200, self.call(gw, "DELETE", "/v1/deadletters/%d" % first)[0])
        self.assertEqual(404, self.call(gw, "DELETE", "/v1/deadletters/%d" % first)[0])
        self.assertEqual(401, self.call(gw, "DELETE", "/v1/deadletters/1", token=None)[0])
        self.assertEqual(0, gw.stop())
        # The sink is gone from the configuration: its dead letter cannot replay.
        gw = self.gateway(api_config(accounts=[mock_account(rate=0, count=3)]),
                          name="hook.toml", env=env).start()
        self.assertEqual(409, self.call(gw, "POST", "/v1/deadletters/%d/replay" % second)[0])
        self.assertEqual(0, gw.stop())


if __name__ == "__main__":
    unittest.main(verbosity=2)
