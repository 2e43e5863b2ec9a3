"""Every loader refusal, through `gateway plugins` and `gateway run`; and
plugins of older ABI minors still loading and answering as before."""
import json
import os
import shutil
import unittest
import urllib.error
import urllib.request

from gwtest import (BAD_PLUGINS, PLUGINS, TEST_PLUGINS, GatewayTestCase, config, count_lines,
                    mock_account, read_jsonl, run_cli, wait_for)


def bad(name):
    return os.path.join(BAD_PLUGINS, name + ".so")


class LoaderTest(GatewayTestCase):
    def refusal(self, path):
        r = run_cli("plugins", path)
        self.assertEqual(1, r.returncode, r.stdout + r.stderr)
        lines = r.stdout.strip().splitlines()
        self.assertEqual(1, len(lines), r.stdout)
        self.assertTrue(lines[0].startswith("refused  " + path + ": "), lines[0])
        return lines[0]

    def test_good_plugin_is_listed_with_version_abi_and_capabilities(self):
        r = run_cli("plugins", os.path.join(PLUGINS, "mock.so"))
        self.assertEqual(0, r.returncode, r.stderr)
        self.assertRegex(r.stdout, r"^mock\s+\S+\s+abi 1\.\d+\s+fetch,post-public,send-private")

    def test_no_such_file(self):
        self.assertIn("no such file", self.refusal(self.path("nope.so")))

    def test_not_a_shared_object(self):
        self.assertIn("not a shared object", self.refusal(bad("not_elf")))

    def test_no_entry_symbol(self):
        self.assertIn("no entry symbol gw_plugin_entry", self.refusal(bad("no_entry")))

    def test_abi_major_differs(self):
        self.assertIn("ABI major 2 differs from the host's 1", self.refusal(bad("abi_major")))

    def test_abi_minor_newer_than_host(self):
        self.assertIn("ABI 1.99 is newer than the host's", self.refusal(bad("abi_minor")))

    def test_descriptor_too_small(self):
        self.assertIn("too small", self.refusal(bad("tiny")))

    def test_claimed_capability_without_hook(self):
        self.assertIn("claims the post-public capability but its post_public hook is missing",
                      self.refusal(bad("missing_hook")))

    def test_declared_default_outside_its_own_bounds(self):
        self.assertIn("option: rate: the declared default is invalid: expected an integer from "
                      "0 to 100, found 500", self.refusal(bad("bad_default")))

    def test_two_plugins_for_one_network(self):
        r = run_cli("plugins", os.path.join(PLUGINS, "mock.so"), bad("zz_second_mock"))
        self.assertEqual(1, r.returncode)
        self.assertIn('network "mock" is already provided by ' + os.path.join(PLUGINS, "mock.so"),
                      r.stdout)
        self.assertRegex(r.stdout, r"(?m)^mock\s")

    def plugin_dir_with_everything(self):
        d = self.path("plugins")
        os.mkdir(d)
        shutil.copy(os.path.join(PLUGINS, "mock.so"), d)
        for f in os.listdir(BAD_PLUGINS):
            shutil.copy(os.path.join(BAD_PLUGINS, f), d)
        return d

    def test_scan_lists_good_and_refused_side_by_side(self):
        d = self.plugin_dir_with_everything()
        cfg = config().replace('plugin_dir = "%s"' % PLUGINS, 'plugin_dir = "%s"' % d)
        with open(self.path("g.toml"), "w") as f:
            f.write(cfg)
        r = run_cli("-c", self.path("g.toml"), "plugins")
        self.assertEqual(1, r.returncode)
        refused = [l for l in r.stdout.splitlines() if l.startswith("refused")]
        self.assertEqual(8, len(refused), r.stdout)  # all bad ones but create_fails
        self.assertRegex(r.stdout, r"(?m)^mock\s")
        self.assertRegex(r.stdout, r"(?m)^createfails\s")

    def test_refused_plugins_and_failed_create_do_not_take_down_the_others(self):
        # An account of a refused plugin is an error of the file (see
        # test_check_config); a refused plugin nobody uses is only logged,
        # and an optional account whose create() fails is skipped.
        d = self.plugin_dir_with_everything()
        accounts = [mock_account(rate=0, count=25),
                    '[[account]]\nnetwork = "createfails"\nname = "x"\noptional = true\n']
        cfg = config(accounts=accounts).replace('plugin_dir = "%s"' % PLUGINS,
                                                'plugin_dir = "%s"' % d)
        gw = self.gateway(cfg).start()
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= 25, 20, "mock events")
        self.assertEqual(0, gw.stop())
        log = gw.log()
        self.assertIn('account "x": create failed: api_key is not set', log)
        self.assertIn("create_fails.so", log)
        self.assertIn("refused " + os.path.join(d, "abi_major.so"), log)


OLD_TOKEN = "old-abi-test-token-0123456789"


class OlderAbiTest(GatewayTestCase):
    """tests/plugins_test/old_abi.c as ABI 1.1 and 1.2 plugins: their
    descriptors end before validate (1.2) and check_action (1.3), and the
    hooks lying past that end refuse everything, so any read past
    struct_size shows as a refused config or a 422. Their accounts never
    narrow their capabilities (an ABI 1.3 host function they do not know)."""

    def test_listed_with_their_own_abi(self):
        for minor in (1, 2):
            path = os.path.join(TEST_PLUGINS, "old1%d.so" % minor)
            r = run_cli("plugins", path)
            self.assertEqual(0, r.returncode, r.stdout + r.stderr)
            self.assertRegex(r.stdout, r"^old1%d\s+0\.1\.0\s+abi 1\.%d\s+"
                             r"fetch,post-public,send-private" % (minor, minor))

    def call(self, gw, method, path, body=None):
        req = urllib.request.Request(
            gw.url(path), json.dumps(body).encode() if body is not None else None, method=method,
            headers={"Authorization": "Bearer " + OLD_TOKEN, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def answer_each(self, gw, targets):
        """A reply and a private message on each network of targets (network
        -> the event answered), each accepted at once (202: no check_action,
        no narrowing); the actions once all finished, in that order."""
        ids = []
        for net, event in targets.items():
            for kind in ("reply", "private"):
                status, doc = self.call(gw, "POST", "/v1/actions", {
                    "network": net, "account": "acme", "kind": kind, "in_reply_to": event,
                    "text": "thanks", "idempotency_key": net + kind})
                self.assertEqual(202, status, doc)
                ids.append(doc["id"])

        def finished():
            docs = [self.call(gw, "GET", "/v1/actions/" + i)[1] for i in ids]
            return docs if all(d["state"] in ("succeeded", "failed") for d in docs) else None
        return wait_for(finished, 20, "the answers")

    def test_answers_queue_and_succeed_without_pre_queue_checks(self):
        accounts = ['[[account]]\nnetwork = "old1%d"\nname = "acme"\npoll_interval = "1h"\n' % m
                    for m in (1, 2)]
        cfg = config(accounts=accounts).replace('plugin_dir = "%s"' % PLUGINS,
                                                'plugin_dir = "%s"' % TEST_PLUGINS)
        cfg += '[api]\ntoken = "%s"\n' % OLD_TOKEN
        gw = self.gateway(cfg).start()
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= 2, 20, "one comment each")
        docs = self.answer_each(gw, {"old1%d" % m: "old1%d:c1" % m for m in (1, 2)})
        self.assertEqual(["succeeded"] * 4, [d["state"] for d in docs])
        self.assertEqual(0, gw.stop())
        self.assertNotIn("trap:", gw.log())



ABI_PLUGINS = os.path.join(os.path.dirname(TEST_PLUGINS), "abiplugins")


class ReleasedAbiTest(OlderAbiTest):
    """tests/abi/abi_plugin.c built against the ABI 1.0 and 1.1 headers as
    released (kept verbatim in tests/abi/v1.0/ and v1.1/): listed with
    their own ABI, their fetches, webhooks and answers work unchanged in
    this gateway (the compatibility promise in include/gateway/plugin.h)."""

    def test_listed_with_their_own_abi(self):
        for minor in (0, 1):
            path = os.path.join(ABI_PLUGINS, "abi1%d.so" % minor)
            r = run_cli("plugins", path)
            self.assertEqual(0, r.returncode, r.stdout + r.stderr)
            self.assertRegex(r.stdout, r"^abi1%d\s+1\.0\.0\s+abi 1\.%d\s+"
                             r"fetch,post-public,send-private,webhook" % (minor, minor))

    def test_answers_queue_and_succeed_without_pre_queue_checks(self):
        accounts = ['[[account]]\nnetwork = "abi1%d"\nname = "acme"\npoll_interval = "1h"\n' % m
                    for m in (0, 1)]
        cfg = config(accounts=accounts).replace('plugin_dir = "%s"' % PLUGINS,
                                                'plugin_dir = "%s"' % ABI_PLUGINS)
        cfg += '[api]\ntoken = "%s"\n' % OLD_TOKEN
        gw = self.gateway(cfg).start()
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= 6, 20, "three mentions each")
        for minor in (0, 1):
            net = "abi1%d" % minor
            req = urllib.request.Request(gw.url("/webhooks/%s/acme" % net), json.dumps(
                [{"id": net + "-w", "text": "@acme pushed"}]).encode(), method="POST")
            with urllib.request.urlopen(req, timeout=10) as r:
                self.assertEqual(200, r.status)
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= 8, 20, "the webhook items")
        docs = self.answer_each(gw, {"abi1%d" % m: "abi1%d:abi1%d-1" % (m, m) for m in (0, 1)})
        self.assertEqual(["succeeded"] * 4, [d["state"] for d in docs], docs)
        self.assertEqual(["reply-abi10-1", "dm-u1", "reply-abi11-1", "dm-u1"],
                         [d["native_id"] for d in docs])
        self.assertEqual(0, gw.stop())
        events = {e["id"]: e for e in read_jsonl(self.path("events.jsonl"))}
        for net in ("abi10", "abi11"):
            for n in ("1", "2", "w"):
                self.assertIn("%s:%s-%s" % (net, net, n), events)
            # plugin.h's kv limits (GW_KV_KEY_MAX, GW_KV_VALUE_MAX) hold for
            # them too: the host refuses past them and stores within.
            self.assertEqual("kv key=refused value=refused small=stored",
                             events["%s:%s-kv" % (net, net)]["text"])


class UnusedPluginsTest(GatewayTestCase):
    """`gateway run` keeps mapped only the plugins its accounts use, and no
    TLS library; `gateway plugins` and check-config still read every
    descriptor."""

    def test_run_maps_only_used_plugins_and_plugins_lists_all(self):
        gw = self.gateway(config(accounts=[mock_account(rate=0, count=3)])).start()
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= 3, 20, "mock events")
        with open("/proc/%d/maps" % gw.proc.pid) as f:
            files = {os.path.basename(l.split()[-1]) for l in f if "/" in l}
        mapped = {f for f in files if f.endswith(".so")}
        self.assertEqual(0, gw.stop())
        self.assertIn("mock.so", mapped)
        self.assertNotIn("twitter.so", mapped)
        self.assertNotIn("forum.so", mapped)
        # No TLS library is even loaded while no account makes an HTTP
        # request and no nats sink is configured: libcurl comes on the
        # first request (test_http_client checks that), libnats (and the
        # libssl/libcrypto it pulls in) when a nats sink or actions_subject
        # opens, and the HTTP server is the gateway's own.
        for lib in ("libcurl", "libgnutls", "libmicrohttpd", "libssl", "libcrypto", "libnats"):
            self.assertEqual([], [f for f in files if f.startswith(lib + ".")], lib)
        r = run_cli("-c", gw.config, "plugins")
        self.assertRegex(r.stdout, r"(?m)^twitter\s")
        self.assertRegex(r.stdout, r"(?m)^mock\s")

if __name__ == "__main__":
    unittest.main(verbosity=2)
