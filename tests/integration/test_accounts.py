"""The circuit breaker seen from outside: an account stopped after
[gateway] max_failures failed fetches refuses new actions (409
account_stopped, nothing posted) and webhooks (503 with Retry-After), shows
as stopped in GET /v1/accounts and `gateway accounts`, and runs again after
POST /v1/accounts/<network>/<name>/restart or `gateway accounts restart`."""
import os
import re
import unittest

from gwtest import GatewayTestCase, count_lines, read_jsonl, run_cli, wait_for
from test_actions import ENV, TOKEN, acme, api_config, call, private

# The mock's fetch fails fatally twice, then succeeds: with max_failures = 2
# the account stops at once, and fetches succeed after a restart.
BREAKER = 'max_failures = 2\nretry_base = "20ms"\nretry_max = "2s"'
DISABLED = '[[account]]\nnetwork = "mock"\nname = "off"\nenabled = false\n'


def broken(name):
    text = acme(fail_op="fetch", fail_with="fatal", fail_times=2,
                actions_log="%s-actions.jsonl" % name)
    return text.replace('name = "acme"', 'name = "%s"' % name)


class AccountsTest(GatewayTestCase):
    def start(self):
        text = api_config(accounts=[broken("acme"), broken("beta"), DISABLED],
                          gateway_extra=BREAKER)
        self.gw = self.gateway(text, env=ENV).start()
        self.gw.port()
        return self.gw

    def accounts(self):
        status, _, doc = call(self.gw, "GET", "/v1/accounts")
        self.assertEqual(200, status, doc)
        return {"%s/%s" % (a["network"], a["name"]): a for a in doc["accounts"]}

    def wait_state(self, name, state):
        return wait_for(lambda: self.accounts()[name]
                        if self.accounts()[name]["state"] == state else None,
                        20, "%s %s" % (name, state))

    def cli(self, *args):
        return run_cli("-c", self.gw.config, "accounts", "--url", self.gw.url(""), *args,
                       cwd=self.dir, env=dict(os.environ, **ENV))

    def test_stopped_account_refuses_and_runs_again_after_a_restart(self):
        gw = self.start()
        acme_doc = self.wait_state("mock/acme", "stopped")
        self.wait_state("mock/beta", "stopped")
        self.assertEqual((2, 2, None), (acme_doc["consecutive_failures"],
                                        acme_doc["max_failures"], acme_doc["next_retry_at"]))
        self.assertIn("fail", acme_doc["last_error"])
        self.assertEqual("disabled", self.accounts()["mock/off"]["state"])

        # A DM to the stopped account: 409, with how to restart it; nothing posted.
        status, _, doc = call(gw, "POST", "/v1/actions", private("hello", "k1", to="u-1"))
        self.assertEqual((409, "account_stopped"), (status, doc["error"]), doc)
        self.assertIn("circuit breaker after 2 consecutive failures", doc["message"])
        self.assertIn(acme_doc["last_error"][:60], doc["message"])
        self.assertIn("gateway accounts restart mock/acme", doc["message"])
        self.assertEqual(0, count_lines(self.path("acme-actions.jsonl")))

        # Its webhook: 503 with Retry-After, so the network delivers again.
        status, headers, doc = call(gw, "POST", "/webhooks/mock/acme",
                                    [{"type": "mention", "native_id": "wh-1", "text": "hi"}])
        self.assertEqual((503, "account_stopped"), (status, doc["error"]), doc)
        self.assertRegex(headers.get("Retry-After", ""), r"^[1-9][0-9]*$")
        self.assertIn("gateway accounts restart mock/acme", doc["message"])

        # `gateway accounts` shows it stopped, with its last error.
        r = self.cli()
        self.assertEqual(0, r.returncode, r.stderr)
        line = [l for l in r.stdout.splitlines() if l.startswith("mock/acme ")]
        self.assertEqual(1, len(line), r.stdout)
        self.assertRegex(line[0], r"^mock/acme\s+stopped\s+failures 2/2")
        self.assertIn(acme_doc["last_error"], line[0])
        self.assertIn("gateway accounts restart mock/acme", r.stdout)
        self.assertRegex(r.stdout, r"(?m)^mock/off\s+disabled")

        # Restart through the API: it runs, fetches succeed, events arrive.
        status, _, doc = call(gw, "POST", "/v1/accounts/mock/acme/restart")
        self.assertEqual(200, status, doc)
        self.assertEqual((True, "running", 0), (doc["restarted"], doc["state"],
                                                doc["consecutive_failures"]))
        wait_for(lambda: [e for e in read_jsonl(self.path("events.jsonl"))
                          if e.get("account") == "acme" and e["type"] == "message"],
                 20, "acme's events after the restart")
        self.assertEqual(None, self.accounts()["mock/acme"]["last_error"])
        # Again: nothing to restart, and it says so.
        status, _, doc = call(gw, "POST", "/v1/accounts/mock/acme/restart")
        self.assertEqual((200, False, "running"), (status, doc["restarted"], doc["state"]))

        # The DM now goes out.
        status, _, doc = call(gw, "POST", "/v1/actions", private("hello", "k2", to="u-1"))
        self.assertEqual(202, status, doc)
        wait_for(lambda: count_lines(self.path("acme-actions.jsonl")) == 1, 20, "the DM posted")
        status, _, doc = call(gw, "POST", "/webhooks/mock/acme",
                              [{"type": "mention", "native_id": "wh-2", "text": "hi"}])
        self.assertEqual(200, status, doc)

        # Restart through the CLI.
        r = self.cli("restart", "mock/beta")
        self.assertEqual((0, "mock/beta restarted: running"), (r.returncode, r.stdout.strip()),
                         r.stderr)
        wait_for(lambda: self.accounts()["mock/beta"]["last_error"] is None, 20,
                 "beta fetching again")
        r = self.cli()
        self.assertRegex(r.stdout, r"(?m)^mock/beta\s+running\s+failures 0/2")
        self.assertEqual(0, gw.stop())

    def test_restart_refusals(self):
        gw = self.start()
        status, _, doc = call(gw, "POST", "/v1/accounts/mock/nobody/restart")
        self.assertEqual((404, "unknown_account"), (status, doc["error"]))
        status, _, doc = call(gw, "POST", "/v1/accounts/mock/off/restart")
        self.assertEqual((409, "account_disabled"), (status, doc["error"]))
        status, headers, doc = call(gw, "GET", "/v1/accounts", token="wrong-token-0123456789")
        self.assertEqual((401, "unauthorized"), (status, doc["error"]))
        status, _, doc = call(gw, "POST", "/v1/accounts/mock/acme/restart", token=None)
        self.assertEqual(401, status)
        r = self.cli("restart", "acme")
        self.assertEqual(2, r.returncode)
        self.assertIn("NETWORK/NAME", r.stderr)
        r = self.cli("restart", "mock/nobody")
        self.assertEqual(1, r.returncode)
        self.assertIn("unknown_account", r.stderr)
        r = self.cli("frobnicate")
        self.assertEqual(2, r.returncode)
        self.assertEqual(0, gw.stop())

    def test_the_list_escapes_names_and_keeps_every_member(self):
        # accounts_api.c writes the list as text: a name with a quote, a
        # backslash and a non-ASCII letter comes back as configured, and
        # every account has the same members in the same order.
        odd = acme().replace('name = "acme"', 'name = "caf\u00e9 \\"q\\\\"')
        self.gw = self.gateway(api_config(accounts=[acme(), odd, DISABLED]), env=ENV).start()
        status, _, doc = call(self.gw, "GET", "/v1/accounts")
        self.assertEqual(200, status, doc)
        self.assertEqual(["acme", 'caf\u00e9 "q\\', "off"], [a["name"] for a in doc["accounts"]])
        members = ["network", "name", "state", "last_error", "consecutive_failures",
                   "max_failures", "next_retry_at"]
        for a in doc["accounts"]:
            self.assertEqual(members, list(a), a)
        self.assertEqual("disabled", doc["accounts"][2]["state"])
        self.assertEqual(0, self.gw.stop())


if __name__ == "__main__":
    unittest.main(verbosity=2)
