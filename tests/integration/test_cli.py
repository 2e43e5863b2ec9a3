"""The command line: check-config, help, version, bad configs; global
options before or after the command and mixed with the command's own;
unknown options and missing arguments; every command's help; `run -c F`
really running. The README's examples: test_readme.py."""
import json
import os
import re
import subprocess
import unittest
import urllib.error
import urllib.request

from gwtest import (GATEWAY, PLUGINS, SOURCE, Gateway, GatewayTestCase, config, count_lines,
                    mock_account, read_jsonl, run_cli, wait_for)

COMMANDS = ["run", "check-config", "plugins", "config-docs", "reply", "dm", "plugin-check",
            "help"]
# Each command's own options, as its help shows them.
OWN_OPTIONS = {"config-docs": ["-o, --output FILE"],
               "plugin-check": ["--options FILE.toml", "--fake URL", "--max-block-ms MS",
                                "--deadline-ms MS", "--json"],
               "reply": ["--force", "--account NAME", "--network NAME", "--key KEY",
                         "--url URL", "--wait SECONDS"],
               "dm": ["--to USER_ID", "--account NAME", "--network NAME", "--key KEY",
                      "--url URL", "--wait SECONDS"]}
TOKEN = "cli-test-token-0123456789"
CONVERSATION = os.path.join(SOURCE, "tests", "fixtures", "actions", "conversation.jsonl")


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

    def test_directory_as_config_file(self):
        r = run_cli("-c", self.dir, "check-config")
        self.assertEqual(2, r.returncode)
        self.assertIn("%s: is a directory, not a configuration file" % self.dir, r.stderr)
        self.assertNotIn("bytes", r.stderr)

    def test_run_refuses_bad_config_with_exit_2(self):
        p = self.write("bad.toml", "[gateway]\nlog_level = \"loud\"\n")
        r = run_cli("-c", p, "run")
        self.assertEqual(2, r.returncode)
        self.assertIn(p + ":2:", r.stderr)
        self.assertIn("log_level", r.stderr)
        # The same with the file named after the command.
        r = run_cli("run", "-c", p)
        self.assertEqual(2, r.returncode)
        self.assertIn(p + ":2:", r.stderr)

    def test_run_refuses_extra_arguments(self):
        for args in (["run", "extra"], ["check-config", "extra"], ["config-docs", "x"],
                     ["help", "run", "dm"]):
            r = run_cli(*args)
            self.assertEqual(2, r.returncode, args)
            self.assertEqual('gateway %s: unexpected argument "%s" (see gateway %s --help)\n'
                             % (args[0], args[-1], args[0]), r.stderr)


class GlobalOptionsTest(GatewayTestCase):
    """-c/--config before or after the command, in every spelling."""

    def setUp(self):
        super().setUp()
        self.cfg = self.path("g.toml")
        with open(self.cfg, "w") as f:
            f.write(config(accounts=[mock_account()]))

    def forms(self, command, *rest):
        """Every way of giving the configuration to command."""
        c = self.cfg
        return [["-c", c, command, *rest], ["--config", c, command, *rest],
                ["--config=" + c, command, *rest], ["-c" + c, command, *rest],
                [command, "-c", c, *rest], [command, "--config", c, *rest],
                [command, "--config=" + c, *rest], [command, "-c" + c, *rest],
                [command, *rest, "-c", c], ["-c", c, "--", command, *rest],
                # The last -c wins.
                ["-c", self.path("absent.toml"), command, "-c", c, *rest]]

    def test_check_config_before_and_after(self):
        for args in self.forms("check-config"):
            # In a directory without gateway.toml: only -c can name the file.
            r = run_cli(*args, cwd=self.dir)
            self.assertEqual(0, r.returncode, (args, r.stderr))
            self.assertEqual("%s: OK (1 account, 1 sink)\n" % self.cfg, r.stdout, args)

    def test_plugins_before_and_after(self):
        for args in self.forms("plugins"):
            r = run_cli(*args, cwd=self.dir)
            self.assertEqual(0, r.returncode, (args, r.stderr))
            self.assertIn(os.path.join(PLUGINS, "mock.so"), r.stdout, args)
        # A configuration that cannot be read is an error only when named:
        # proof that -c after the command is the one used.
        r = run_cli("plugins", "-c", self.path("absent.toml"), cwd=self.dir)
        self.assertEqual(2, r.returncode)
        self.assertIn("absent.toml", r.stderr)

    def test_config_docs_options_in_any_order(self):
        outputs = []
        for i, args in enumerate([["-c", self.cfg, "config-docs", "-o", "1.md"],
                                  ["config-docs", "-o", "2.md", "-c", self.cfg],
                                  ["config-docs", "--config=" + self.cfg, "--output=3.md"],
                                  ["config-docs", "-o4.md", "--config", self.cfg],
                                  ["--config", self.cfg, "config-docs", "--output", "5.md"]]):
            r = run_cli(*args, cwd=self.dir)
            self.assertEqual(0, r.returncode, (args, r.stderr))
            with open(self.path("%d.md" % (i + 1))) as f:
                outputs.append(f.read())
        self.assertIn("poll_interval", outputs[0])
        self.assertEqual([outputs[0]] * len(outputs), outputs)

    def test_double_dash_ends_options(self):
        # After --, "-c" is a FILE for plugins to inspect, not an option.
        r = run_cli("plugins", "-c", self.cfg, "--", "-c", cwd=self.dir)
        self.assertEqual(1, r.returncode, r.stderr)
        self.assertRegex(r.stdout, r"^refused  -c: ")
        r = run_cli("-c", self.cfg, "check-config", "--", "-c", cwd=self.dir)
        self.assertEqual(2, r.returncode)
        self.assertEqual('gateway check-config: unexpected argument "-c" '
                         '(see gateway check-config --help)\n', r.stderr)

    def test_version_before_or_after_the_command(self):
        for args in (["-V"], ["--version"], ["run", "-V"], ["check-config", "--version"],
                     ["-c", self.cfg, "plugins", "-V"]):
            r = run_cli(*args)
            self.assertEqual(0, r.returncode, args)
            self.assertRegex(r.stdout, r"^gateway \d+\.\d+\.\d+ \(plugin ABI 1\.\d+\)\n$")


class UsageErrorsTest(GatewayTestCase):
    def assert_usage(self, args, stderr):
        r = run_cli(*args, cwd=self.dir)
        self.assertEqual(2, r.returncode, (args, r.stderr))
        self.assertEqual(stderr + "\n", r.stderr, args)
        self.assertEqual("", r.stdout, args)

    def test_unknown_option_names_itself_and_the_command(self):
        for cmd in COMMANDS:
            for opt in ("--frobnicate", "-x", "--frobnicate=1"):
                self.assert_usage([cmd, opt], 'gateway %s: unknown option "%s" '
                                  '(see gateway %s --help)' % (cmd, opt, cmd))
        self.assert_usage(["run", "--frobnicate"], 'gateway run: unknown option '
                          '"--frobnicate" (see gateway run --help)')
        # Before the command, only the global options are known.
        self.assert_usage(["--frobnicate"], 'gateway: unknown option "--frobnicate" '
                          '(see gateway --help)')
        self.assert_usage(["--account", "acme", "reply"], 'gateway: unknown option '
                          '"--account" (see gateway --help)')
        # One command's options are not another's; nor are flags bundled.
        self.assert_usage(["run", "--account", "acme"], 'gateway run: unknown option '
                          '"--account" (see gateway run --help)')
        self.assert_usage(["reply", "--to", "555", "hi"], 'gateway reply: unknown option '
                          '"--to" (see gateway reply --help)')
        self.assert_usage(["dm", "--force", "mock:1", "hi"], 'gateway dm: unknown option '
                          '"--force" (see gateway dm --help)')
        self.assert_usage(["run", "-hV"], 'gateway run: unknown option "-hV" '
                          '(see gateway run --help)')
        self.assert_usage(["reply", "--force=yes", "mock:1", "hi"],
                          'gateway reply: --force takes no value (see gateway reply --help)')

    def test_missing_option_argument(self):
        self.assert_usage(["-c"], "gateway: -c needs a FILE (see gateway --help)")
        self.assert_usage(["run", "-c"], "gateway run: -c needs a FILE (see gateway run --help)")
        self.assert_usage(["check-config", "--config"], "gateway check-config: --config needs "
                          "a FILE (see gateway check-config --help)")
        self.assert_usage(["config-docs", "-o"], "gateway config-docs: -o needs a FILE "
                          "(see gateway config-docs --help)")
        self.assert_usage(["reply", "mock:1", "hi", "--account"], "gateway reply: --account "
                          "needs a NAME (see gateway reply --help)")
        self.assert_usage(["dm", "--to"], "gateway dm: --to needs a USER_ID "
                          "(see gateway dm --help)")
        self.assert_usage(["dm", "--wait"], "gateway dm: --wait needs SECONDS "
                          "(see gateway dm --help)")

    def test_unknown_command(self):
        for args in (["frobnicate"], ["-c", "g.toml", "frobnicate"], ["help", "frobnicate"]):
            self.assert_usage(args, 'gateway: unknown command "frobnicate" (try --help)')


class HelpTest(GatewayTestCase):
    def test_every_command_has_its_help(self):
        for cmd in COMMANDS:
            forms = [[cmd, "--help"], [cmd, "-h"], ["help", cmd], ["-c", "absent.toml", cmd, "-h"],
                     ["help", cmd, "-c", "absent.toml"]]
            texts = set()
            for args in forms:
                r = run_cli(*args, cwd=self.dir)
                self.assertEqual(0, r.returncode, (args, r.stderr))
                self.assertEqual("", r.stderr, args)
                texts.add(r.stdout)
            self.assertEqual(1, len(texts), "%s: the forms disagree" % cmd)
            text = texts.pop()
            self.assertTrue(text.startswith("usage: gateway %s" % cmd), text)
            self.assertIn("\noptions:\n", text)
            for opt in OWN_OPTIONS.get(cmd, []) + ["-c, --config FILE", "-h, --help"]:
                self.assertIn("  " + opt, text, cmd)
            self.assertRegex(text, r"\nexit codes: 0 ", cmd)
            for line in text.splitlines():
                self.assertLessEqual(len(line), 79, line)
        # Each command's own help, not one text for all.
        self.assertIn("--to USER_ID", run_cli("dm", "--help").stdout)
        self.assertNotIn("--to", run_cli("reply", "--help").stdout)
        self.assertIn("3 accepted but not done", run_cli("reply", "--help").stdout)
        self.assertIn("SIGTERM", run_cli("run", "--help").stdout)
        # -h acts where it stands: after a command's options and arguments too.
        r = run_cli("reply", "--account", "acme", "mock:1", "-h")
        self.assertEqual(0, r.returncode, r.stderr)
        self.assertTrue(r.stdout.startswith("usage: gateway reply"))

    def test_overview(self):
        texts = set()
        for args in (["--help"], ["-h"], ["help"], ["-c", "absent.toml", "--help"]):
            r = run_cli(*args, cwd=self.dir)
            self.assertEqual(0, r.returncode, args)
            self.assertEqual("", r.stderr, args)
            texts.add(r.stdout)
        self.assertEqual(1, len(texts))
        text = texts.pop()
        for cmd in COMMANDS:
            self.assertRegex(text, r"\n  %s\b" % cmd)
        self.assertIn("gateway COMMAND --help", text)
        self.assertIn("before or after the command", text)


class RunTest(GatewayTestCase):
    """`run` with the configuration named after the command really runs."""

    def start(self, workdir, args):
        """A gateway started with args ("CONFIG" stands for its g.toml),
        in its own directory: its own log, state and sink."""
        os.makedirs(workdir)
        gw = Gateway(workdir, config(accounts=[mock_account(rate=50)]), name="g.toml")
        self.gateways.append(gw)
        gw.errf = open(gw.stderr_path, "ab")
        argv = [GATEWAY] + [a.replace("CONFIG", gw.config) for a in args]
        gw.proc = subprocess.Popen(argv, cwd=workdir, stdout=subprocess.DEVNULL,
                                   stderr=gw.errf, env=gw.env)
        return gw

    def test_run_with_config_after_the_command(self):
        # No gateway.toml in the working directory: the run works only
        # when -c is read, wherever it stands.
        forms = [["run", "-c", "CONFIG"], ["run", "--config", "CONFIG"],
                 ["run", "--config=CONFIG"], ["run", "-cCONFIG"], ["--config", "CONFIG"],
                 ["-c", "CONFIG", "--", "run"]]
        for i, args in enumerate(forms):
            gw = self.start(self.path("form%d" % i), args)

            def port():
                if gw.proc.poll() is not None:
                    raise AssertionError("%s exited %s: %s" % (args, gw.proc.returncode, gw.log()))
                m = re.search(r"HTTP server listening on \S+ \(port (\d+)\)", gw.log())
                return int(m.group(1)) if m else None
            url = "http://127.0.0.1:%d/readyz" % wait_for(port, 20, "%s to listen" % args)

            def ready():
                try:
                    with urllib.request.urlopen(url, timeout=5) as r:
                        return r.status == 200 and json.loads(r.read())["status"] == "ready"
                except (urllib.error.URLError, OSError):
                    return False  # not answering yet (a loaded machine, a sanitizer build)
            wait_for(ready, 20, "%s to be ready" % args)
            events = os.path.join(gw.workdir, "events.jsonl")
            wait_for(lambda: read_jsonl(events), 20, "%s to write its first event" % args)
            self.assertEqual(0, gw.stop(), gw.log())
            self.assertIn("SIGTERM: draining", gw.log())


class ReplyOptionsTest(GatewayTestCase):
    """reply and dm with -c and their own options in any order, against a
    running gateway."""

    def test_reply_and_dm_with_options_in_any_order(self):
        def text(port, *more):
            acct = mock_account(scenario=CONVERSATION, rate=0, actions_log="actions.jsonl")
            t = config(accounts=[acct, *more]) + '[api]\ntoken = "${GATEWAY_API_TOKEN}"\n'
            return t.replace("127.0.0.1:0", "127.0.0.1:%d" % port)
        env = dict(os.environ, GATEWAY_API_TOKEN=TOKEN)
        gw = self.gateway(text(0), env=env).start()
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= 5, 20, "the conversation")
        # The client's own configuration holds the gateway's address: the
        # reply reaches it only when -c is read, wherever it stands. Two
        # mock accounts: only --account says which.
        c = self.path("client.toml")
        with open(c, "w") as f:
            f.write(text(gw.port(), mock_account(name="other")))
        r = run_cli("reply", "-c", c, "mock:m-1", "no account", cwd=self.dir, env=env)
        self.assertEqual(2, r.returncode)
        self.assertIn("say which with --account", r.stderr)
        forms = [["-c", c, "reply", "--account", "acme", "--force", "mock:m-1", "T1"],
                 ["reply", "-c", c, "--account", "acme", "--force", "mock:m-1", "T2"],
                 ["reply", "--account", "acme", "-c", c, "--force", "mock:m-1", "T3"],
                 ["reply", "--account=acme", "--config=" + c, "--force", "mock:m-1", "T4"],
                 ["reply", "--force", "mock:m-1", "T5", "--account", "acme", "-c", c],
                 ["reply", "-c", c, "--account", "acme", "--force", "--", "mock:m-1", "-T6"],
                 ["dm", "--to", "555", "-c", c, "--network", "mock", "--account", "acme", "T7"],
                 ["dm", "-c", c, "--wait=0", "--account=acme", "--to=556", "--network=mock",
                  "T8"]]
        for args in forms:
            r = run_cli(*args, cwd=self.dir, env=env)
            # --wait=0 is read: the action is only queued, so 3 (accepted,
            # not done), where the others wait for the post and exit 0.
            self.assertEqual(3 if "--wait=0" in args else 0, r.returncode, (args, r.stderr))
            self.assertRegex(r.stdout, r"^action act_\w+ ", args)
        wanted = ["T1", "T2", "T3", "T4", "T5", "-T6", "T7", "T8"]

        def sent():
            texts = [a.get("text") for a in read_jsonl(self.path("actions.jsonl"))]
            return texts if all(t in texts for t in wanted) else None
        wait_for(sent, 20, "every answer at the mock network")
        self.assertEqual(0, gw.stop())


if __name__ == "__main__":
    unittest.main(verbosity=2)
