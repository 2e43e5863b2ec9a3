"""Helpers for integration tests that start the real gateway binary.

Every wait is a bounded poll for a condition (never a blind sleep), every
event the tests read is validated against docs/event.schema.json, and each
test gets its own temporary directory holding config, log and sinks.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

BUILD = os.environ.get("GW_BUILD_DIR", os.path.join(os.path.dirname(__file__), "../../build"))
SOURCE = os.environ.get("GW_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))
GATEWAY = os.path.join(BUILD, "gateway")
PLUGINS = os.path.join(BUILD, "plugins")
BAD_PLUGINS = os.path.join(BUILD, "tests", "badplugins")
TEST_PLUGINS = os.path.join(BUILD, "tests", "testplugins")
FAKES = os.path.join(SOURCE, "tests", "fakes")
SCHEMA = os.path.join(SOURCE, "docs", "event.schema.json")

# Sanitizer builds run several times slower; scale the bounds, not the logic.
SLOW = float(os.environ.get("GW_TEST_SLOWDOWN", "1"))

sys.path.insert(0, os.path.join(SOURCE, "tests"))
import needs_shared  # noqa: E402


def require_shared(*parts):
    """The path of parts inside the shared/ folder beside the clone. Call it
    at import: when the path is missing the whole test file stops here as
    skipped (exit 77, ctest's SKIP_RETURN_CODE), or fails under
    GW_REQUIRE_SHARED=1 (CI)."""
    return needs_shared.require(os.path.join(needs_shared.SHARED, *parts))


def wait_for(cond, timeout, what, interval=0.02):
    """Poll cond() until it returns a truthy value or timeout seconds pass."""
    deadline = time.monotonic() + timeout * SLOW
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1fs waiting for %s" % (timeout * SLOW, what))
        time.sleep(interval)


def read_jsonl(path):
    """Complete lines of a JSONL file, parsed; a torn last line is ignored."""
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    if lines and lines[-1] != b"":
        lines = lines[:-1]  # a line still being written
    return [json.loads(l) for l in lines if l.strip()]


def count_lines(path):
    if not os.path.exists(path):
        return 0
    with open(path, "rb") as f:
        return f.read().count(b"\n")


_validator = None


def validate_events(testcase, events):
    """Assert every event is a valid gateway.event/1."""
    global _validator
    if _validator is None:
        import jsonschema
        with open(SCHEMA) as f:
            schema = json.load(f)
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        _validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    for ev in events:
        errors = sorted(_validator.iter_errors(ev), key=lambda e: e.path)
        testcase.assertEqual([], [e.message for e in errors], "invalid event: %s" % ev)


# GW_TEST_ISOLATION=process runs a suite with every account's plugin in
# its own child process (isolation = "process"), e.g. the ctest variants
# integration.test_twitter.isolated: the same tests must pass both ways.
ISOLATION = os.environ.get("GW_TEST_ISOLATION", "")
ALL_NETWORKS = '["mock", "twitter", "forum", "facebook", "yelp", "youtube", "crashy", "probe"]'


def with_isolation(text):
    if ISOLATION != "process" or "[gateway]\n" not in text or "isolate_networks" in text:
        return text
    return text.replace("[gateway]\n", "[gateway]\nisolate_networks = %s\n" % ALL_NETWORKS, 1)


class Gateway:
    """One gateway process with its own config file in a temp directory."""

    def __init__(self, workdir, config_text, name="gateway.toml", env=None):
        self.workdir = workdir
        self.config = os.path.join(workdir, name)
        config_text = with_isolation(config_text)
        with open(self.config, "w") as f:
            f.write(config_text)
        self.proc = None
        # One stderr file per process, so a restart's waits never match
        # what an earlier process logged.
        n = 1
        while os.path.exists(os.path.join(workdir, "gateway.%d.stderr" % n)):
            n += 1
        self.stderr_path = os.path.join(workdir, "gateway.%d.stderr" % n)
        open(self.stderr_path, "w").close()
        self.env = dict(os.environ)
        if env:
            self.env.update(env)

    def start(self):
        self.errf = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen([GATEWAY, "-c", self.config, "run"], cwd=self.workdir,
                                     stdout=subprocess.DEVNULL, stderr=self.errf, env=self.env)
        return self

    def log(self):
        with open(self.stderr_path, "r", errors="replace") as f:
            return f.read()

    def wait_log(self, text, timeout=10):
        return wait_for(lambda: text in self.log(), timeout, "log line %r" % text)

    def stop(self, sig=signal.SIGTERM, timeout=20):
        """Signal and wait; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=timeout * SLOW)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("gateway did not exit within %ss of signal %s" % (timeout, sig))
        self.errf.close()
        return code

    def port(self, timeout=10):
        """The HTTP server's port, from its "listening on" log line."""
        import re
        def find():
            m = re.search(r"HTTP server listening on \S+ \(port (\d+)\)", self.log())
            return int(m.group(1)) if m else None
        return wait_for(find, timeout, "the HTTP server to listen")

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port(), path)

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self.errf.close()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None


class FakeServer:
    """A fake network server from tests/fakes/, on an ephemeral port."""

    def __init__(self, workdir, script, *args):
        self.port_file = os.path.join(workdir, os.path.basename(script) + ".port")
        self.proc = subprocess.Popen(["/usr/bin/python3", "-B", os.path.join(FAKES, script),
                                      "--port", "0", "--port-file", self.port_file] + list(args),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def read_port():
            if self.proc.poll() is not None:
                raise AssertionError("fake server %s exited early" % script)
            try:
                with open(self.port_file) as f:
                    return int(f.read().strip())
            except (FileNotFoundError, ValueError):
                return None

        self.port = wait_for(read_port, 15, "fake server %s to listen" % script)

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def get_json(self, path):
        import urllib.request
        with urllib.request.urlopen(self.url(path), timeout=10) as r:
            return json.loads(r.read())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def raw_request(port, data):
    """Send raw bytes as one HTTP/1.1 request (the caller writes the whole
    head, with Connection: close) and read to EOF; returns
    (status, headers, body bytes)."""
    import socket
    with socket.create_connection(("127.0.0.1", port), timeout=10 * SLOW) as s:
        s.sendall(data)
        answer = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


NOT_RUN = re.compile(r"<!--\s*not-run:\s*(.*?)\s*-->")


def sh_blocks(path):
    """The fenced ```sh blocks of a Markdown file, in order, as dicts with
    "line" (of the fence), "code", "heading" (the section's "## " title) and
    "skip": the reason of a `<!-- not-run: reason -->` line just before the
    fence, or None when the block is meant to run as written."""
    with open(path) as f:
        lines = f.read().split("\n")
    blocks, heading, i = [], "", 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## "):
            heading = line[3:].strip()
        if line.strip() == "```sh":
            end = lines.index("```", i + 1)
            marker = NOT_RUN.search(lines[i - 1]) if i > 0 else None
            blocks.append({"line": i + 1, "code": "\n".join(lines[i + 1:end]) + "\n",
                           "heading": heading, "skip": marker.group(1) if marker else None})
            i = end
        i += 1
    return blocks


def shell_commands(code):
    """Split shell code into its commands, as the shell reads them: a
    command goes on over lines while a quote is open or a line ends in a
    backslash. Blank and comment-only lines are dropped. Returns a list of
    (text, argv) with argv the shlex words (trailing comment dropped)."""
    import shlex
    commands, pending = [], ""
    for line in code.split("\n"):
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line + "\n"
        if line.endswith("\\"):
            continue
        try:
            argv = shlex.split(pending, comments=True)
        except ValueError:  # a quote still open
            continue
        commands.append((pending.rstrip("\n"), argv))
        pending = ""
    if pending:
        raise ValueError("unterminated command: %r" % pending)
    return commands


def run_cli(*args, cwd=None, env=None):
    """Run the gateway CLI to completion; returns CompletedProcess."""
    return subprocess.run([GATEWAY] + list(args), cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=60 * SLOW)


def config(sinks=None, accounts=None, gateway_extra="", http_extra=""):
    """Build a config text using the build's plugin dir. The HTTP server
    takes an ephemeral port (see Gateway.port()) so tests run in parallel."""
    text = '[gateway]\ndata_dir = "var"\nplugin_dir = "%s"\nlog_level = "debug"\n%s\n' % (
        PLUGINS, gateway_extra)
    text += '[http]\nlisten = "127.0.0.1:0"\n%s\n' % http_extra
    for acct in accounts or []:
        text += acct + "\n"
    for sink in sinks if sinks is not None else [FILE_SINK]:
        text += sink + "\n"
    return text


FILE_SINK = '[[sink]]\nname = "archive"\ntype = "file"\npath = "events.jsonl"\n'


def mock_account(name="acme", poll="100ms", **options):
    text = '[[account]]\nnetwork = "mock"\nname = "%s"\npoll_interval = "%s"\n' % (name, poll)
    text += "  [account.options]\n"
    for k, v in options.items():
        text += "  %s = %s\n" % (k, json.dumps(v))
    return text


class GatewayTestCase(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="gwtest-")
        self.gateways = []

    def tearDown(self):
        for gw in self.gateways:
            if gw.alive():
                gw.kill9()
        if os.environ.get("GW_KEEP_TEST_DIRS"):
            print("kept", self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def fake(self, script, *args):
        fake = FakeServer(self.dir, script, *args)
        self.addCleanup(fake.stop)
        return fake

    def gateway(self, config_text, **kw):
        gw = Gateway(self.dir, config_text, **kw)
        self.gateways.append(gw)
        return gw

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def assert_exactly_once(self, events, expected_count):
        ids = [e["id"] for e in events]
        dupes = len(ids) - len(set(ids))
        self.assertEqual(0, dupes, "%d duplicate ids" % dupes)
        self.assertEqual(expected_count, len(ids))
        seqs = [e["seq"] for e in events]
        self.assertEqual(seqs, sorted(seqs), "seq must increase along the file")
        self.assertEqual(len(seqs), len(set(seqs)))
