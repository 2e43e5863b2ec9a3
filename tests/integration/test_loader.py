"""Every loader refusal, through `gateway plugins` and `gateway run`."""
import os
import shutil
import unittest

from gwtest import (BAD_PLUGINS, PLUGINS, GatewayTestCase, config, count_lines, mock_account,
                    read_jsonl, run_cli, wait_for)


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


if __name__ == "__main__":
    unittest.main(verbosity=2)
