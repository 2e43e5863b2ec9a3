"""Pruning finished actions ([gateway] action_retention) while their
idempotency keys keep answering ([gateway] idempotency_window), through the
real binary and the mock plugin: a finished action disappears from
GET /v1/actions/<id> and gateway_actions_pruned_total moves, while a repeat
of its key inside the window returns the original action (what is left of
it) and is not posted again; the settings are checked like any other."""
import re
import unittest
import urllib.request

from gwtest import run_cli, wait_for
from test_actions import ActionsTestCase, api_config, call, private, reply


def pruned_total(gw):
    with urllib.request.urlopen(gw.url("/metrics"), timeout=10) as r:
        text = r.read().decode()
    m = re.search(r"^gateway_actions_pruned_total (\d+)$", text, re.M)
    return int(m.group(1)) if m else None


class OutboxRetentionTest(ActionsTestCase):
    def test_finished_action_is_pruned_but_its_key_still_answers(self):
        cfg = api_config(gateway_extra='action_retention = "2s"\nidempotency_window = "1h"')
        gw = self.start(cfg)
        self.assertEqual(0, pruned_total(gw))
        body = reply("mock:m-1", "Sorry Ann, we're on it!", "k-pruned")
        doc = self.post(gw, body)
        done = self.wait_state(gw, doc["id"])
        self.assertEqual("succeeded", done["state"], done)

        def gone():
            status, _, err = call(gw, "GET", "/v1/actions/" + doc["id"])
            return err if status == 404 else None
        err = wait_for(gone, 20, "the finished action to be pruned")
        self.assertEqual("unknown_action", err["error"])
        self.assertIn("action_retention", err["message"])
        self.assertGreaterEqual(pruned_total(gw), 1)
        self.assertNotIn(doc["id"], self.outbox_rows())

        # The same request with the same key: the original action, not a
        # second post; what is left of it says so and holds no text.
        again = self.post(gw, body, want=200)
        self.assertEqual(doc["id"], again["id"])
        self.assertEqual("succeeded", again["state"])
        self.assertEqual("reply-1", again["native_id"])
        self.assertEqual("k-pruned", again["idempotency_key"])
        self.assertIs(True, again["pruned"])
        self.assertNotIn("text", again)
        # The key with another request is still refused as reused.
        status, _, refused = call(gw, "POST", "/v1/actions",
                                  reply("mock:m-1", "Something else", "k-pruned"))
        self.assertEqual(422, status, refused)
        self.assertEqual("idempotency_key_reused", refused["error"])
        self.assertEqual(doc["id"], refused["action_id"])

        # A new key is a new action, posted as usual.
        other = self.post(gw, private("Anything else?", "k-new", to="u-ann"))
        self.wait_state(gw, other["id"])
        self.assertEqual(0, gw.stop())
        posted = [p["action_id"] for p in self.actions_log()]
        self.assertEqual([doc["id"], other["id"]], posted)

    def test_key_is_kept_across_a_restart(self):
        cfg = api_config(gateway_extra='action_retention = "1s"\nidempotency_window = "1h"')
        gw = self.start(cfg)
        body = private("Your refund is on its way", "k-restart", to="u-ann")
        doc = self.post(gw, body)
        self.wait_state(gw, doc["id"])
        wait_for(lambda: pruned_total(gw), 20, "the action to be pruned")
        self.assertEqual(0, gw.stop())

        gw = self.start(cfg, wait_items=False)
        again = self.post(gw, body, want=200)
        self.assertEqual(doc["id"], again["id"])
        self.assertIs(True, again["pruned"])
        self.assertEqual(0, gw.stop())
        self.assertEqual(1, len(self.actions_log()))

    def test_settings_are_checked(self):
        p = self.path("gateway.toml")
        for extra, pattern in [('idempotency_window = "400d"', r"gateway\.idempotency_window"),
                               ('action_retention = "soon"', r"gateway\.action_retention")]:
            with open(p, "w") as f:
                f.write(api_config(gateway_extra=extra))
            check = run_cli("-c", p, "check-config", cwd=self.dir)
            self.assertEqual(2, check.returncode, check.stderr)
            self.assertRegex(check.stderr, re.escape(p) + r":\d+:\d+: .*" + pattern)


if __name__ == "__main__":
    unittest.main()
