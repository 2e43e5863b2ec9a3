"""The documentation's examples work when followed literally (issue 16):
every fenced ```sh block of README.md, then of docs/**/*.md, runs in order
in one shell, as a reader typing them would (exported variables,
background jobs and $! carry over), from a directory laid out as the
repository after a build (build/, the shipped gateway.toml, docs/). A
block marked `<!-- not-run: reason -->` on the line before its fence is
skipped. Each command must exit 0, or N when its comment says "exits N".

Two things differ from a reader's terminal, so that tests run in
parallel: the HTTP port of the shipped 127.0.0.1:8080 is a free one, in
gateway.toml and in the commands alike; and a `build/gateway run` in the
foreground (Ctrl-C to stop) runs in the background until /readyz says
ready, then gets SIGINT, as Ctrl-C would send it, and must exit 0."""
import glob
import os
import re
import select
import shlex
import shutil
import signal
import socket
import subprocess
import time
import unittest
import urllib.error
import urllib.request

from gwtest import (BUILD, SLOW, SOURCE, GatewayTestCase, read_jsonl, sh_blocks, shell_commands,
                    wait_for)

LISTEN = "127.0.0.1:8080"  # the shipped gateway.toml's [http] listen
COMMANDS = ["run", "check-config", "plugins", "config-docs", "reply", "dm", "help"]
HELP = {"-h", "--help", "help"}
COMMAND_TIMEOUT = 60  # seconds, times GW_TEST_SLOWDOWN


def documents():
    return [os.path.join(SOURCE, "README.md")] + sorted(
        glob.glob(os.path.join(SOURCE, "docs", "**", "*.md"), recursive=True))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def expected_exit(text):
    """0, or N when the command's comment says "exits N"."""
    m = re.search(r"#.*\bexits (\d+)\b", text)
    return int(m.group(1)) if m else 0


def is_foreground_daemon(argv):
    """`build/gateway ... run ...` that runs until Ctrl-C (not --help, not
    put in the background by the example itself)."""
    return (bool(argv) and argv[0] == "build/gateway" and "run" in argv
            and not HELP & set(argv) and argv[-1] != "&")


class Shell:
    """One bash reading commands from a pipe; after each it reports "rc N"
    (or "pid N") on a status pipe of its own. Its session holds every
    process the examples start, background ones too."""

    def __init__(self, cwd, env, transcript):
        r, w = os.pipe()
        self.transcript = transcript
        self.out = open(transcript, "wb")
        self.proc = subprocess.Popen(["bash", "--noprofile", "--norc"], stdin=subprocess.PIPE,
                                     stdout=self.out, stderr=subprocess.STDOUT, cwd=cwd, env=env,
                                     pass_fds=(w,), start_new_session=True)
        os.close(w)
        self.status_fd, self.child_fd, self.pending = r, w, b""

    def send(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def report(self, what, timeout):
        """The next status line, "what N"; fails after timeout seconds."""
        deadline = time.monotonic() + timeout * SLOW
        while b"\n" not in self.pending:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                raise AssertionError("no %s after %.0fs (shell %s)" % (
                    what, timeout * SLOW, "alive" if self.proc.poll() is None else "exited"))
            if select.select([self.status_fd], [], [], left)[0]:
                self.pending += os.read(self.status_fd, 4096)
        line, self.pending = self.pending.split(b"\n", 1)
        word, value = line.decode().split()
        assert word == what, line
        return int(value)

    def run(self, text):
        """Run text (one command, as written) with stdin from /dev/null, in
        this shell; returns its exit code."""
        self.send('{ %s\n} </dev/null\necho "rc $?" >&%d\n' % (text, self.child_fd))
        return self.report("rc", COMMAND_TIMEOUT)

    def start(self, argv, out, err):
        """Start argv (a simple command) in the background, itself the
        shell's child; returns its pid."""
        self.send('%s </dev/null >%s 2>%s &\necho "pid $!" >&%d\n' % (
            shlex.join(argv), shlex.quote(out), shlex.quote(err), self.child_fd))
        return self.report("pid", COMMAND_TIMEOUT)

    def wait(self, pid):
        self.send('wait %d\necho "rc $?" >&%d\n' % (pid, self.child_fd))
        return self.report("rc", COMMAND_TIMEOUT)

    def output_since(self, offset):
        with open(self.transcript, "rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # background jobs left by a failure
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.out.close()
        os.close(self.status_fd)


class ReadmeTest(GatewayTestCase):
    def setUp(self):
        super().setUp()
        self.port = free_port()
        self.listen = "127.0.0.1:%d" % self.port
        # The repository after `scripts/test`'s build: build/ (this build,
        # build-asan under the sanitizers), the shipped gateway.toml, docs/.
        os.symlink(os.path.realpath(BUILD), self.path("build"))
        with open(os.path.join(SOURCE, "gateway.toml")) as f:
            shipped = f.read()
        self.assertIn('listen = "%s"' % LISTEN, shipped)
        self.assertIn('plugin_dir = "build/plugins"', shipped)
        with open(self.path("gateway.toml"), "w") as f:
            f.write(shipped.replace(LISTEN, self.listen))
        shutil.copytree(os.path.join(SOURCE, "docs"), self.path("docs"))
        env = dict(os.environ)
        env.pop("GATEWAY_API_TOKEN", None)  # the README says how to set it
        self.shell = Shell(self.dir, env, self.path("shell.out"))
        self.addCleanup(self.shell.close)

    def test_examples_run_as_written(self):
        ran, posts, daemons = [], 0, 0
        for doc in documents():
            for block in sh_blocks(doc):
                if block["skip"] is not None:
                    continue
                where = "%s:%d (%s)" % (os.path.relpath(doc, SOURCE), block["line"],
                                        block["heading"])
                for text, argv in shell_commands(block["code"]):
                    self.assertNotEqual("gateway", argv[0],
                                        "%s: gateway is not on PATH; write build/gateway" % where)
                    text = text.replace(LISTEN, self.listen)
                    argv = [a.replace(LISTEN, self.listen) for a in argv]
                    if is_foreground_daemon(argv):
                        self.run_until_ready(text, argv, where, daemons)
                        daemons += 1
                    else:
                        self.run_example(text, where)
                    ran.append(argv)
                    if argv[0] == "build/gateway" and {"reply", "dm"} & set(argv) and \
                            not HELP & set(argv):
                        posts += 1
                    elif argv[0] == "curl" and any(a.endswith("/v1/actions") for a in argv):
                        posts += 1
        gateway_words = {a for argv in ran if argv[0] == "build/gateway" for a in argv[1:]}
        self.assertTrue(set(COMMANDS) <= gateway_words, "an example of every command")
        self.assertGreaterEqual(daemons, 1, "an example of the gateway running")
        # What the examples say they do, they did: the reference written
        # is the committed one, and every answer reached the mock network.
        with open(os.path.join(SOURCE, "docs", "configuration.md")) as f, \
                open(self.path("docs", "configuration.md")) as g:
            self.assertEqual(f.read(), g.read())
        self.assertGreaterEqual(posts, 3)
        self.assertEqual(posts, len(read_jsonl(self.path("var", "mock-actions.jsonl"))))

    def run_example(self, text, where):
        offset = os.path.getsize(self.shell.transcript)
        code = self.shell.run(text)
        self.assertEqual(expected_exit(text), code, "%s: %s\nexited %d; its output:\n%s" % (
            where, text, code, self.shell.output_since(offset)))

    def run_until_ready(self, text, argv, where, n):
        """A gateway run in the foreground: ready, then Ctrl-C, exit 0."""
        err = self.path("daemon.%d.stderr" % n)
        pid = self.shell.start(argv, self.path("daemon.%d.stdout" % n), err)

        def log():
            with open(err, errors="replace") as f:
                return f.read()

        def ready():
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                raise AssertionError("%s: %s exited early:\n%s" % (where, argv, log()))
            try:
                with urllib.request.urlopen("http://%s/readyz" % self.listen, timeout=5) as r:
                    return r.status == 200 and "(port %d)" % self.port in log()
            except (urllib.error.URLError, ConnectionError):
                return False
        wait_for(ready, 20, "%s: %s to be ready" % (where, argv), interval=0.1)
        os.kill(pid, signal.SIGINT)  # Ctrl-C
        code = self.shell.wait(pid)
        self.assertEqual(expected_exit(text), code, "%s: %s after Ctrl-C:\n%s" % (
            where, argv, log()))
        self.assertIn("SIGINT: draining", log())


if __name__ == "__main__":
    unittest.main(verbosity=2)
