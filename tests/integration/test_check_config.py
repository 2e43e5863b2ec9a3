"""check-config and run agree: whatever run refuses for a reason of the
file (a listen address that cannot be bound as written, an account whose
options its plugin refuses), check-config refuses with the same
file:line:col line and exit 2, and run exits 2 with that line before it
opens anything. An account whose plugin's create() fails stops start-up
unless the account says optional = true."""
import os
import re
import shutil
import unittest

from gwtest import (BAD_PLUGINS, PLUGINS, GatewayTestCase, config, count_lines, mock_account,
                    run_cli, wait_for)

TWITTER_PARTIAL = ('[[account]]\nnetwork = "twitter"\nname = "brand"\n'
                   '  [account.options]\n  user_id = "12345"\n  consumer_key = "ck-not-secret"\n')


class CheckConfigTest(GatewayTestCase):
    def write(self, text):
        p = self.path("gateway.toml")
        with open(p, "w") as f:
            f.write(text)
        return p

    def refused_alike(self, text, pattern):
        """check-config and run both exit 2 with one line matching pattern
        (a regex after "<file>:"); returns that line."""
        p = self.write(text)
        check = run_cli("-c", p, "check-config", cwd=self.dir)
        self.assertEqual(2, check.returncode, check.stdout + check.stderr)
        lines = [l for l in check.stderr.splitlines()
                 if re.match(re.escape(p) + r":\d+:\d+: " + pattern, l)]
        self.assertEqual(1, len(lines), check.stderr)
        run = run_cli("-c", p, "run", cwd=self.dir)
        self.assertEqual(2, run.returncode, run.stderr)
        self.assertIn(lines[0], run.stderr.splitlines())
        # Refused before anything was opened: no data directory was made.
        self.assertFalse(os.path.exists(self.path("var")), run.stderr)
        return lines[0]

    def test_bad_listen_addresses_are_refused_by_both(self):
        for listen, why in [("garbage", "the port is missing"),
                            ("localhost:8080", 'host names such as "localhost"'),
                            ("127.0.0.1:99999", "between 0 and 65535"),
                            ("::1:80", "an IPv6 address goes in brackets")]:
            with self.subTest(listen=listen):
                text = config(accounts=[mock_account(count=1)]).replace(
                    'listen = "127.0.0.1:0"', 'listen = "%s"' % listen)
                line = self.refused_alike(text, r"http\.listen: ")
                self.assertIn(why, line)
                self.assertIn('found "%s"' % listen, line)
                # The line of the listen key.
                n = text.splitlines().index('listen = "%s"' % listen) + 1
                self.assertIn(":%d:10: " % n, line)

    def test_a_log_page_size_sqlite_has_not_is_refused_by_both(self):
        text = config(accounts=[mock_account(count=1)], gateway_extra='log_page_size = "10KB"')
        line = self.refused_alike(text, r"gateway\.log_page_size: ")
        self.assertIn('"16KB"', line)
        self.assertIn('"10KB"', line)
        n = text.splitlines().index('log_page_size = "10KB"') + 1
        self.assertIn(":%d:" % n, line)

    def test_partial_twitter_credentials_are_refused_by_both(self):
        line = self.refused_alike(config(accounts=[TWITTER_PARTIAL]),
                                  r"account\[0\]\.options\.consumer_secret: ")
        self.assertIn("OAuth 1.0a needs all four credentials", line)
        self.assertIn("missing: consumer_secret, access_token, access_token_secret", line)
        self.assertNotIn("ck-not-secret", line)

    def test_partial_twitter_credentials_point_at_the_key_they_name(self):
        acct = TWITTER_PARTIAL.replace('consumer_key = "ck-not-secret"',
                                       'consumer_key = "a"\n  consumer_secret = "b"\n'
                                       '  access_token = ""')
        text = config(accounts=[acct])
        line = self.refused_alike(text, r"account\[0\]\.options\.access_token: ")
        n = text.splitlines().index('  access_token = ""') + 1
        self.assertIn(":%d:18: " % n, line)

    def test_forum_api_key_with_white_space_is_refused_by_both(self):
        acct = ('[[account]]\nnetwork = "forum"\nname = "f"\n  [account.options]\n'
                '  base_url = "https://forum.example.com"\n  api_username = "support"\n'
                '  api_key = "pasted with a space"\n')
        line = self.refused_alike(config(accounts=[acct]), r"account\[0\]\.options\.api_key: ")
        self.assertIn("holds white space or control characters", line)
        self.assertNotIn("pasted", line)

    def test_missing_plugin_is_refused_by_both(self):
        acct = '[[account]]\nnetwork = "nosuch"\nname = "x"\n'
        line = self.refused_alike(config(accounts=[acct]), r"account\[0\]\.network: ")
        self.assertIn('found "nosuch"', line)

    def test_good_config_passes_and_runs(self):
        text = config(accounts=[mock_account(count=3, rate=0)])
        p = self.write(text)
        check = run_cli("-c", p, "check-config", cwd=self.dir)
        self.assertEqual(0, check.returncode, check.stderr)
        self.assertIn("OK (1 account, 1 sink)", check.stdout)
        gw = self.gateway(text).start()
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= 3, 20, "mock events")
        self.assertEqual(0, gw.stop())

    def create_fails_dir(self):
        d = self.path("plugins")
        os.mkdir(d)
        shutil.copy(os.path.join(PLUGINS, "mock.so"), d)
        shutil.copy(os.path.join(BAD_PLUGINS, "create_fails.so"), d)
        return d

    def test_failed_create_stops_start_up(self):
        d = self.create_fails_dir()
        text = config(accounts=[mock_account(count=1),
                                '[[account]]\nnetwork = "createfails"\nname = "x"\n']).replace(
            'plugin_dir = "%s"' % PLUGINS, 'plugin_dir = "%s"' % d)
        p = self.write(text)
        # Nothing in the file is wrong: check-config passes...
        check = run_cli("-c", p, "check-config", cwd=self.dir)
        self.assertEqual(0, check.returncode, check.stderr)
        # ...but run does not start without the account.
        run = run_cli("-c", p, "run", cwd=self.dir)
        self.assertEqual(2, run.returncode, run.stderr)
        n = text.splitlines().index('network = "createfails"')  # line of [[account]]
        self.assertRegex(run.stderr, re.escape(p) + r":%d:1: account\[1\]: .*create_fails\.so: "
                         r'account "x": create failed: api_key is not set \(set optional = true'
                         % n)
        self.assertNotIn("running", run.stderr)

    def test_optional_account_whose_create_fails_is_skipped(self):
        d = self.create_fails_dir()
        text = config(accounts=[mock_account(count=5, rate=0),
                                '[[account]]\nnetwork = "createfails"\nname = "x"\n'
                                'optional = true\n']).replace(
            'plugin_dir = "%s"' % PLUGINS, 'plugin_dir = "%s"' % d)
        gw = self.gateway(text).start()
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= 5, 20, "mock events")
        self.assertEqual(0, gw.stop())
        self.assertIn('account "x": create failed: api_key is not set (optional: starting '
                      'without it)', gw.log())


if __name__ == "__main__":
    unittest.main(verbosity=2)
