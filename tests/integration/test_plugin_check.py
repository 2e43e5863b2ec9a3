"""`gateway plugin-check`: every fixture in tests/check_fixtures/ produces
its one breach and nothing else; the clean fixture and every in-tree plugin
(against its fake network from tests/fakes/) pass."""
import json
import os
import re
import unittest

from gwtest import BUILD, SLOW, SOURCE, GatewayTestCase, run_cli

FIXTURES = os.path.join(BUILD, "tests", "checkfixtures")
OPTIONS = os.path.join(SOURCE, "tests", "fixtures", "check")
SECRET = "fixture-secret-token-1234"  # tests/fixtures/check/fixture.toml


def sanitized():
    """True in a -DGW_SANITIZE=ON build: there LeakSanitizer, not the
    checker's heap count, finds the leak."""
    with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
        return re.search(r"^GW_SANITIZE:BOOL=ON$", f.read(), re.M) is not None


def check(path, *args):
    # Sanitizer builds run slower: scale the bounds, never the logic.
    return run_cli("plugin-check", path, "--max-block-ms", str(int(5 * SLOW)), *args)


def breaches(stdout):
    """The check names of the BREACH lines."""
    return [m.group(1) for m in re.finditer(r"^BREACH ([a-z-]+): .+ \(contract: .+\)$", stdout,
                                            re.M)]


class FixtureTest(GatewayTestCase):
    def run_fixture(self, name, *args):
        r = check(os.path.join(FIXTURES, name + ".so"), "--options",
                  os.path.join(OPTIONS, "fixture.toml"), *args)
        self.assertNotIn(SECRET, r.stdout + r.stderr)
        return r

    def assert_one_breach(self, name, check_name, *args):
        r = self.run_fixture(name, *args)
        self.assertEqual(1, r.returncode, r.stdout + r.stderr)
        self.assertEqual([check_name], breaches(r.stdout), r.stdout)
        self.assertRegex(r.stdout, r"\n\S+%s\.so: 1 breach of the plugin contract\n$" % name)
        return r

    def test_clean_fixture_passes(self):
        r = self.run_fixture("clean")
        self.assertEqual(0, r.returncode, r.stdout + r.stderr)
        self.assertEqual([], breaches(r.stdout))
        self.assertIn("OK, no breach of the plugin contract", r.stdout)

    def test_descriptor(self):
        r = self.assert_one_breach("descriptor", "descriptor")
        self.assertIn("region: the declaration has no help line", r.stdout)

    def test_descriptor_secret(self):
        r = self.assert_one_breach("descriptor_secret", "descriptor")
        self.assertIn("option api_password looks like a credential but is not flagged "
                      "GW_OPTF_SECRET", r.stdout)

    def test_create(self):
        self.assert_one_breach("create", "create")

    def test_leak(self):
        if sanitized():
            # The heap is ASan's: LeakSanitizer reports the lost instance.
            r = self.run_fixture("leak")
            self.assertNotEqual(0, r.returncode, r.stdout + r.stderr)
            self.assertIn("LeakSanitizer: detected memory leaks", r.stderr)
            self.assertIn("Direct leak", r.stderr)
        else:
            self.assert_one_breach("leak", "leak")

    def test_complete_once(self):
        r = self.assert_one_breach("complete_once", "complete-once")
        self.assertIn("hook fetch completed its op 2 times", r.stdout)

    def test_complete_deadline(self):
        r = self.assert_one_breach("complete_deadline", "complete-deadline", "--deadline-ms",
                                   str(int(300 * SLOW)))
        self.assertIn("hook fetch did not complete within", r.stdout)

    def test_block_loop(self):
        r = self.assert_one_breach("block_loop", "block-loop")
        self.assertRegex(r.stdout, r"hook fetch held the loop for \d+ ms")

    def test_block_loop_default_limit(self):
        # Without --max-block-ms: 5 ms, or 20 ms in a sanitizer build,
        # whose own part of every call runs several times slower (the
        # fixture works 50 ms, past either).
        r = run_cli("plugin-check", os.path.join(FIXTURES, "block_loop.so"))
        self.assertEqual(1, r.returncode, r.stdout + r.stderr)
        self.assertEqual(["block-loop"], breaches(r.stdout), r.stdout)
        self.assertIn("the limit is %d ms)" % (20 if sanitized() else 5), r.stdout)
        help_text = run_cli("plugin-check", "--help").stdout
        self.assertIn("(default 5; 20 in a sanitizer build)", help_text)

    def test_event_valid(self):
        r = self.assert_one_breach("event_valid", "event-valid")
        self.assertIn('"type" is "tweet"', r.stdout)

    def test_event_schema(self):
        r = self.assert_one_breach("event_schema", "event-schema")
        self.assertIn('"author.handle" must be a string, not null', r.stdout)

    def test_ids_stable(self):
        self.assert_one_breach("ids_stable", "ids-stable")

    def test_kv_limits(self):
        self.assert_one_breach("kv_limits", "kv-limits")

    def test_secrets(self):
        r = self.assert_one_breach("secrets", "secrets")
        self.assertIn("a log line contains the value of the secret option token", r.stdout)

    def test_unsupported_typed(self):
        r = self.assert_one_breach("unsupported_typed", "unsupported-typed")
        self.assertIn("completed FATAL", r.stdout)

    def test_webhook(self):
        self.assert_one_breach("webhook", "webhook")

    def test_timer_handle(self):
        self.assert_one_breach("timer_handle", "timer-handle")

    def test_json_report(self):
        r = self.run_fixture("complete_once", "--json")
        self.assertEqual(1, r.returncode, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual(1, doc["count"])
        self.assertEqual("complete-once", doc["breaches"][0]["check"])
        self.assertIn("exactly once", doc["breaches"][0]["contract"])

    def test_usage_errors_exit_2(self):
        r = run_cli("plugin-check")
        self.assertEqual(2, r.returncode)
        self.assertIn("give the plugin's FILE.so", r.stderr)
        r = run_cli("plugin-check", self.path("nope.so"))
        self.assertEqual(2, r.returncode)
        self.assertIn("no such file", r.stderr)
        r = run_cli("plugin-check", os.path.join(FIXTURES, "clean.so"), "--max-block-ms", "x")
        self.assertEqual(2, r.returncode)
        self.assertIn("--max-block-ms takes whole milliseconds", r.stderr)

    def test_options_the_declaration_refuses_exit_2_naming_the_line(self):
        path = self.path("bad.toml")
        with open(path, "w") as f:
            f.write('token = "%s"\ntokn = 1\n' % SECRET)
        r = check(os.path.join(FIXTURES, "clean.so"), "--options", path)
        self.assertEqual(2, r.returncode, r.stdout + r.stderr)
        self.assertRegex(r.stderr, r"bad\.toml:2:1: options\.tokn: ")
        self.assertNotIn(SECRET, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
