"""The first run: scripts/run hands its arguments to `gateway run` and keeps
the build's output out of the way; the gateway says in one "ready" line
where its log, sinks and HTTP server are; the stdout sink writes JSON lines
into a pipe (format = "auto") and readable lines when asked for text."""
import json
import os
import re
import signal
import subprocess
import unittest

from gwtest import (BUILD, GATEWAY, SLOW, SOURCE, GatewayTestCase, config, count_lines,
                    mock_account, run_cli, validate_events, wait_for)

EVENTS = 5


class FirstRun(GatewayTestCase):
    def start_piped(self, sink_extra=""):
        """The gateway with its stdout a pipe, a stdout sink and a file sink;
        returns (stdout text, stderr text) once EVENTS events were delivered
        to the file and the gateway drained on SIGTERM."""
        stdout_sink = '[[sink]]\nname = "console"\ntype = "stdout"\n' + sink_extra
        file_sink = '[[sink]]\nname = "archive"\ntype = "file"\npath = "events.jsonl"\n'
        text = config(sinks=[stdout_sink, file_sink],
                      accounts=[mock_account(rate=50, count=EVENTS)])
        with open(self.path("gateway.toml"), "w") as f:
            f.write(text)
        err_path = self.path("stderr")
        with open(err_path, "wb") as errf:
            proc = subprocess.Popen([GATEWAY, "-c", "gateway.toml", "run"], cwd=self.dir,
                                    stdout=subprocess.PIPE, stderr=errf)
            try:
                wait_for(lambda: count_lines(self.path("events.jsonl")) >= EVENTS,
                         10 * SLOW, "%d events in the file sink" % EVENTS)
                proc.send_signal(signal.SIGTERM)
                out, _ = proc.communicate(timeout=20 * SLOW)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        self.assertEqual(0, proc.returncode)
        with open(err_path, errors="replace") as f:
            return out.decode(), f.read()

    def test_pipe_gets_json_lines_and_the_ready_line_says_where(self):
        out, err = self.start_piped()
        events = [json.loads(line) for line in out.splitlines()]
        self.assertEqual(EVENTS, len(events))
        validate_events(self, events)

        m = re.search(r"ready: data_dir (\S+) \(event log (\S+)\); sinks: (.*); HTTP on "
                      r"http://127\.0\.0\.1:(\d+)", err)
        self.assertIsNotNone(m, err)
        data_dir = os.path.realpath(self.path("var"))
        self.assertEqual(data_dir, os.path.realpath(m.group(1)))
        self.assertTrue(os.path.exists(m.group(2)), m.group(2))
        self.assertEqual("console -> stdout, archive -> " + self.path("events.jsonl"),
                         m.group(3).replace(os.path.realpath(self.dir), self.dir))
        port = re.search(r"HTTP server listening on \S+ \(port (\d+)\)", err).group(1)
        self.assertEqual(port, m.group(4))

    def test_text_format_into_a_pipe(self):
        out, _ = self.start_piped('format = "text"\n')
        lines = out.splitlines()
        self.assertEqual(EVENTS, len(lines))
        for line in lines:
            self.assertRegex(line, r"^\d\d:\d\d:\d\d mock/acme (mention|comment|review|message) ")
            self.assertFalse(line.startswith("{"))
            self.assertLessEqual(len(line), 100)  # no terminal, no $COLUMNS: 100

    def test_unknown_format_is_a_config_error(self):
        text = config(sinks=['[[sink]]\nname = "console"\ntype = "stdout"\nformat = "xml"\n'])
        path = self.path("gateway.toml")
        with open(path, "w") as f:
            f.write(text)
        r = run_cli("-c", path, "check-config")
        self.assertNotEqual(0, r.returncode)
        self.assertRegex(r.stderr, r"gateway\.toml:\d+:\d+: .*format")
        self.assertIn("auto", r.stderr)

    def test_scripts_run_passes_arguments_to_gateway_run(self):
        want = run_cli("run", "--help")
        self.assertEqual(0, want.returncode)
        env = dict(os.environ, GW_BUILD_DIR=os.path.realpath(BUILD))
        r = subprocess.run([os.path.join(SOURCE, "scripts", "run"), "--help"], env=env,
                           capture_output=True, text=True, timeout=300 * SLOW)
        self.assertEqual(0, r.returncode, r.stderr)
        # nothing of the (up to date) build on either stream: only run's help
        self.assertEqual(want.stdout, r.stdout)
        self.assertEqual("", r.stderr)


if __name__ == "__main__":
    unittest.main()
