"""The command line: check-config, help, version, bad configs."""
import os
import unittest

from gwtest import PLUGINS, SOURCE, GatewayTestCase, config, mock_account, run_cli


class CliTest(GatewayTestCase):
    def write(self, name, text):
        p = self.path(name)
        with open(p, "w") as f:
            f.write(text)
        return p

    def test_shipped_config_is_valid(self):
        # The shipped file points at build/plugins relative to the repo.
        r = run_cli("-c", os.path.join(SOURCE, "gateway.toml"), "check-config",
                    cwd=self.dir)
        if not os.path.exists(os.path.join(SOURCE, "build", "plugins", "mock.so")):
            # Built elsewhere (e.g. build-asan): check against that build's plugins.
            text = open(os.path.join(SOURCE, "gateway.toml")).read()
            text = text.replace('plugin_dir = "build/plugins"', 'plugin_dir = "%s"' % PLUGINS)
            r = run_cli("-c", self.write("gateway.toml", text), "check-config")
        self.assertEqual(0, r.returncode, r.stderr)
        self.assertIn("OK", r.stdout)

    def test_help_and_version(self):
        r = run_cli("--help")
        self.assertEqual(0, r.returncode)
        for word in ["run", "check-config", "plugins", "-c", "--version"]:
            self.assertIn(word, r.stdout)
        r = run_cli("--version")
        self.assertEqual(0, r.returncode)
        self.assertRegex(r.stdout, r"^gateway \d+\.\d+\.\d+ \(plugin ABI 1\.\d+\)")
        r = run_cli("frobnicate")
        self.assertEqual(2, r.returncode)
        self.assertIn('unknown command "frobnicate"', r.stderr)

    def check(self, text, name="bad.toml"):
        p = self.write(name, text)
        r = run_cli("-c", p, "check-config")
        self.assertEqual(2, r.returncode, r.stdout + r.stderr)
        return p, r.stderr

    def test_syntax_error_names_file_line_column(self):
        p, err = self.check('[gateway]\ndata_dir = "var\n')
        self.assertRegex(err, "^" + p + r":2:\d+: ")

    def test_unknown_key_with_suggestion(self):
        p, err = self.check(config().replace('log_level = "debug"', 'log_levl = "debug"'))
        self.assertIn(p + ":4:1: gateway.log_levl: unknown key; did you mean \"log_level\"?", err)

    def test_bad_plugin_option_names_key_and_position(self):
        text = config(accounts=[mock_account(rate="fast")])
        line = text.splitlines().index('  rate = "fast"') + 1
        p, err = self.check(text)
        # The column is the value's: that is what has to change.
        self.assertIn('%s:%d:10: account[0].options.rate: expected a number from 0 to 1000000, '
                      'found "fast"' % (p, line), err)

    def test_unknown_network(self):
        text = config(accounts=['[[account]]\nnetwork = "myspace"\nname = "a"\n'])
        line = text.splitlines().index('network = "myspace"') + 1
        p, err = self.check(text)
        self.assertIn('%s:%d:1: account[0].network: expected a network with a plugin' % (p, line),
                      err)
        self.assertIn('found "myspace"', err)

    def test_missing_file(self):
        r = run_cli("-c", self.path("absent.toml"), "check-config")
        self.assertEqual(2, r.returncode)
        self.assertIn("absent.toml", r.stderr)

    def test_run_refuses_bad_config_with_exit_2(self):
        p = self.write("bad.toml", "[gateway]\nlog_level = \"loud\"\n")
        r = run_cli("-c", p, "run")
        self.assertEqual(2, r.returncode)
        self.assertIn(p + ":2:", r.stderr)
        self.assertIn("log_level", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
