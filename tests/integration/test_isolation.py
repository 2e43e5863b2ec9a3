"""Plugin isolation (isolation = "process", issue 17) through the real
gateway: the mock plugin in its child delivers events, posts an action and
answers a webhook as inline; the crashy plugin dies on demand (segfault,
abort, endless loop; in fetch, in an action, in a webhook) and the
gateway stays up, the other account keeps delivering, /readyz names the
crashed account while it restarts, nothing committed is lost or doubled,
and an action in flight fails "outcome unknown" and is never posted
twice. Without isolation a crash takes the gateway down and a restart
loses nothing. The sandbox stops a plugin's own socket.
"""
import json
import os
import re
import signal
import unittest
import urllib.error
import urllib.request

from gwtest import (PLUGINS, SLOW, TEST_PLUGINS, GatewayTestCase, config, count_lines,
                    mock_account, read_jsonl, wait_for)
from test_actions import ENV, acme, api_config, call, reply

# AddressSanitizer catches a segfault itself and aborts (abort_on_error=1).
SEGV = "signal 6 (SIGABRT)" if "abort_on_error=1" in os.environ.get("ASAN_OPTIONS", "") \
    else "signal 11 (SIGSEGV)"
# A sanitizer's crash report takes longer than a fast heartbeat.
HEARTBEAT_MS = int(300 * SLOW)
FAST = ('retry_base = "50ms"\nretry_max = "200ms"\nisolation_heartbeat = "%dms"\n'
        % HEARTBEAT_MS)


def isolated(account_text, mode="process"):
    """An [[account]] table with its isolation key set."""
    return account_text.replace("  [account.options]",
                                'isolation = "%s"\n  [account.options]' % mode, 1)


def crashy_account(name="bad", **options):
    text = mock_account(name=name, poll="100ms", **options)
    return text.replace('network = "mock"', 'network = "crashy"')


def http_json(url, body=None, method="GET"):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def metric(gw, name, account):
    with urllib.request.urlopen(gw.url("/metrics"), timeout=10) as r:
        text = r.read().decode()
    m = re.search(r'^%s\{network="[a-z]+",account="%s"\} (\d+)$' % (name, account), text, re.M)
    return int(m.group(1)) if m else None


class IsolationTestCase(GatewayTestCase):
    def plugin_dir(self):
        """mock and crashy side by side, so one gateway runs both."""
        d = self.path("plugins")
        if not os.path.isdir(d):
            os.mkdir(d)
            os.symlink(os.path.join(PLUGINS, "mock.so"), os.path.join(d, "mock.so"))
            os.symlink(os.path.join(TEST_PLUGINS, "crashy.so"), os.path.join(d, "crashy.so"))
        return d

    def cfg(self, accounts, gateway_extra=FAST):
        text = api_config(accounts=accounts, gateway_extra=gateway_extra)
        return text.replace('plugin_dir = "%s"' % PLUGINS, 'plugin_dir = "%s"' % self.plugin_dir())

    def events(self):
        return read_jsonl(self.path("events.jsonl"))

    def native_ids(self, prefix):
        return [e["native_id"] for e in self.events() if e["native_id"].startswith(prefix)]


class IsolatedMockTest(IsolationTestCase):
    def test_events_action_and_webhook_through_the_child(self):
        gw = self.gateway(self.cfg([isolated(acme())]), env=ENV).start()
        gw.port()
        gw.wait_log("the plugin runs in its own process")
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= 5, 20, "the conversation")
        doc = call(gw, "POST", "/v1/actions", reply("mock:m-1", "On it!", "k-1"))[2]
        done = wait_for(lambda: (lambda d: d if d["state"] in ("succeeded", "failed") else None)(
            call(gw, "GET", "/v1/actions/" + doc["id"])[2]), 20, "the action")
        self.assertEqual("succeeded", done["state"], done)
        self.assertEqual("reply-1", done["native_id"])
        status, answer = http_json(gw.url("/webhooks/mock/acme"), method="POST", body=[
            {"type": "mention", "visibility": "public", "native_id": "wh-1", "text": "pushed"}])
        self.assertEqual((200, 1), (status, answer["accepted"]))
        # Answered only once committed: the item is in the log by now.
        wait_for(lambda: "wh-1" in [e["native_id"] for e in self.events()], 10, "wh-1")
        self.assertEqual(0, metric(gw, "gateway_plugin_crashes_total", "acme"))
        self.assertEqual(200, http_json(gw.url("/readyz"))[0])
        self.assertEqual(0, gw.stop())
        posted = read_jsonl(self.path("actions.jsonl"))
        self.assertEqual([doc["id"]], [p["action_id"] for p in posted])
        self.assertNotIn("crashed", gw.log())


class CrashTest(IsolationTestCase):
    def crash_and_recover(self, mode):
        """crashy/bad dies in its third fetch each time it starts; mock/acme
        delivers beside it."""
        text = self.cfg([isolated(crashy_account(mode=mode, after=2)),
                         mock_account(rate=50, count=100000)])
        gw = self.gateway(text, env=ENV).start()
        gw.port()
        line = gw.wait_log("plugin crashy/bad crashed in fetch", timeout=20)
        self.assertTrue(line)
        if mode == "loop":
            gw.wait_log("stopped answering (no heartbeat answer within %d ms)" % HEARTBEAT_MS)
        else:
            sig = {"segv": SEGV, "abort": "signal 6 (SIGABRT)"}[mode]
            gw.wait_log("crashed in fetch: " + sig)
        # The other account keeps delivering while crashy restarts.
        before = len(self.events())
        wait_for(lambda: len(self.events()) > before + 20, 20, "mock items after the crash")
        wait_for(lambda: gw.log().count("crashed in fetch") >= 2, 20, "a second crash (restarted)")
        self.assertTrue(gw.alive())
        self.assertGreaterEqual(metric(gw, "gateway_plugin_crashes_total", "bad"), 2)
        self.assertEqual(0, gw.stop())
        events = self.events()
        crashed = [e for e in events if e["type"] == "account.crashed"]
        self.assertGreaterEqual(len(crashed), 2)
        self.assertEqual("fetch", crashed[0]["detail"]["hook"])
        ids = [e["id"] for e in events]
        self.assertEqual(len(ids), len(set(ids)), "an event delivered twice")
        # Each life emits crashy-1..3; the third dies with its child, the
        # first two were committed once and only once.
        self.assertEqual(["crashy-1", "crashy-2"],
                         sorted(e["native_id"] for e in events if e["account"] == "bad"
                                and e["native_id"].startswith("crashy-")))

    def test_segfault_in_fetch_restarts_the_child_only(self):
        self.crash_and_recover("segv")

    def test_abort_in_fetch_restarts_the_child_only(self):
        self.crash_and_recover("abort")

    def test_endless_loop_in_fetch_is_killed_by_the_heartbeat(self):
        self.crash_and_recover("loop")

    def test_readyz_names_the_restarting_account_then_the_breaker_stops_it(self):
        slow = FAST.replace('retry_base = "50ms"', 'retry_base = "1s"').replace(
            'retry_max = "200ms"', 'retry_max = "1s"')
        text = self.cfg([isolated(crashy_account(mode="segv")), mock_account(rate=20)],
                        gateway_extra=slow + "max_failures = 3\n")
        gw = self.gateway(text, env=ENV).start()
        gw.port()
        gw.wait_log("plugin crashy/bad crashed in fetch")

        def restarting():
            status, doc = http_json(gw.url("/readyz"))
            probs = doc.get("problems", []) if status == 503 else []
            return [p for p in probs if isinstance(p, dict) and p.get("account") == "bad"
                    and "restarting" in p["problem"]]
        wait_for(restarting, 10, "/readyz naming crashy/bad")
        gw.wait_log("account stopped after 3 consecutive failures", timeout=30)
        status, doc = http_json(gw.url("/readyz"))
        self.assertEqual(503, status)
        self.assertIn("stopped", json.dumps(doc))
        self.assertTrue(gw.alive())
        # The operator's restart starts a child again (which crashes again).
        crashes = gw.log().count("plugin crashy/bad crashed")
        self.assertEqual(200, call(gw, "POST", "/v1/accounts/crashy/bad/restart")[0])
        gw.wait_log("plugin process restarted")
        wait_for(lambda: gw.log().count("plugin crashy/bad crashed") > crashes, 20,
                 "a crash after the restart")
        self.assertEqual(0, gw.stop())
        self.assertTrue([e for e in self.events() if e["type"] == "account.stopped"])

    def test_action_in_flight_fails_outcome_unknown_and_is_never_posted_twice(self):
        text = self.cfg([isolated(crashy_account(mode="segv", hook="post",
                                                 actions_log="posted.jsonl"))])
        gw = self.gateway(text, env=ENV).start()
        gw.port()
        wait_for(lambda: self.native_ids("crashy-1"), 20, "crashy's first item")
        body = {"network": "crashy", "account": "bad", "kind": "reply",
                "in_reply_to": "crashy:crashy-1", "text": "sorry", "idempotency_key": "k"}
        status, _, doc = call(gw, "POST", "/v1/actions", body)
        self.assertEqual(202, status, doc)
        done = wait_for(lambda: (lambda d: d if d["state"] in ("succeeded", "failed") else None)(
            call(gw, "GET", "/v1/actions/" + doc["id"])[2]), 20, "the action to end")
        self.assertEqual("failed", done["state"])
        self.assertIn("outcome unknown", done["reason"])
        gw.wait_log("plugin crashy/bad crashed in post_public: " + SEGV)
        # The child is back: fetches go on, the action is not sent again.
        wait_for(lambda: gw.log().count("plugin process restarted") >= 1, 20, "the restart")
        self.assertEqual(0, gw.stop())
        posted = read_jsonl(self.path("posted.jsonl"))
        self.assertEqual([doc["id"]], [p["action_id"] for p in posted])

    def test_crash_in_a_webhook_answers_503_and_the_child_comes_back(self):
        text = self.cfg([isolated(crashy_account(mode="abort", hook="webhook", after=1))])
        gw = self.gateway(text, env=ENV).start()
        gw.port()
        url = gw.url("/webhooks/crashy/bad")
        self.assertEqual(200, http_json(url, method="POST", body={})[0])
        status, doc = http_json(url, method="POST", body={})
        self.assertEqual(503, status, doc)
        gw.wait_log("plugin crashy/bad crashed in webhook: signal 6 (SIGABRT)")
        # The network delivers again once the child is back.
        wait_for(lambda: http_json(url, method="POST", body={})[0] == 200, 20,
                 "a delivery accepted by the restarted child")
        self.assertEqual(0, gw.stop())
        ids = self.native_ids("crashy-wh-")
        self.assertEqual(len(ids), len(set(ids)))
        self.assertIn("crashy-wh-1", ids)


class InlineCrashTest(IsolationTestCase):
    def test_inline_crash_takes_the_gateway_down_and_a_restart_loses_nothing(self):
        text = self.cfg([crashy_account(mode="segv", after=3)])
        gw = self.gateway(text, env=ENV).start()
        wait_for(lambda: not gw.alive(), 30, "the gateway to die with its plugin")
        self.assertIn(gw.proc.returncode, (-signal.SIGSEGV, -signal.SIGABRT))
        # What a supervisor (systemd Restart=on-failure) does next:
        gw2 = self.gateway(self.cfg([crashy_account()]), env=ENV).start()
        gw2.port()
        wait_for(lambda: len(self.native_ids("crashy-")) >= 5, 20, "items after the restart")
        self.assertEqual(0, gw2.stop())
        ids = self.native_ids("crashy-")
        self.assertEqual(len(ids), len(set(ids)), "an item delivered twice")
        self.assertEqual(["crashy-%d" % i for i in range(1, len(ids) + 1)],
                         sorted(ids, key=lambda s: int(s.split("-")[1])))


class SandboxTest(IsolationTestCase):
    def test_the_child_gets_the_memory_limit_and_no_listening_socket(self):
        text = self.cfg([isolated(acme())], gateway_extra=FAST + 'isolation_memory_limit = "256MB"\n')
        gw = self.gateway(text, env=ENV).start()
        gw.port()
        gw.wait_log("the plugin runs in its own process")
        with open("/proc/%d/task/%d/children" % (gw.proc.pid, gw.proc.pid)) as f:
            [child] = [int(c) for c in f.read().split()]
        with open("/proc/%d/limits" % child) as f:
            limit = [line.split()[3] for line in f if line.startswith("Max address space")][0]
        if "ASAN_OPTIONS" not in os.environ:  # no limit under AddressSanitizer
            self.assertEqual(str(256 * 1024 * 1024), limit)
        # Besides 0-2 and the socketpair only what the plugin opened itself
        # (the mock keeps its actions log open): nothing of the gateway's.
        fd = "/proc/%d/fd" % child
        targets = {int(n): os.readlink(os.path.join(fd, n)) for n in os.listdir(fd)}
        self.assertTrue(targets[3].startswith("socket:"), targets)
        self.assertEqual({}, {n: t for n, t in targets.items()
                              if n > 3 and not t.endswith("/actions.jsonl")})
        self.assertEqual(0, gw.stop())


    def test_a_plugin_opening_its_own_socket_is_stopped_and_reported(self):
        text = self.cfg([isolated(crashy_account(mode="socket"))])
        gw = self.gateway(text, env=ENV).start()
        gw.port()
        gw.wait_log("crashy: socket() = -1 (Operation not permitted)", timeout=20)
        gw.wait_log("crashy: execve() = -1 (Operation not permitted)")
        self.assertTrue(gw.alive())
        self.assertEqual(0, gw.stop())


if __name__ == "__main__":
    unittest.main()
