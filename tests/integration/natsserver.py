"""A real nats-server with JetStream on loopback, and the stream read back
through tests/tools/nats_tool (libnats), for the nats sink's tests, bench
and soak run."""
import json
import os
import socket
import subprocess

from gwtest import BUILD, SLOW, wait_for

NATS_SERVER = "/usr/sbin/nats-server"
NATS_TOOL = os.path.join(BUILD, "tests", "nats_tool")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class NatsServer:
    """nats-server -js on 127.0.0.1:<port>, its store in <workdir>/jetstream;
    start() again after stop() or kill9() comes back on the same port with
    the same store. token: required from clients when set. tls: (cert, key)
    PEM files: TLS only (the cert serves as the clients' CA too)."""

    def __init__(self, workdir, token=None, port=None, tls=None):
        self.port = port or free_port()
        self.store = os.path.join(workdir, "jetstream")
        self.log_path = os.path.join(workdir, "nats-server.log")
        self.token = token
        self.tls = tls
        self.proc = None

    @property
    def url(self):
        return "%s://127.0.0.1:%d" % ("tls" if self.tls else "nats", self.port)

    def start(self):
        args = [NATS_SERVER, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", self.store,
                "-l", self.log_path]
        if self.token:
            args += ["--auth", self.token]
        if self.tls:
            args += ["--tls", "--tlscert", self.tls[0], "--tlskey", self.tls[1]]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def up():
            if self.proc.poll() is not None:
                raise AssertionError("nats-server exited early (see %s)" % self.log_path)
            return listening(self.port)
        wait_for(up, 20, "nats-server to listen on %d" % self.port)
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        wait_for(lambda: not listening(self.port), 10, "nats-server to close its port")

    def kill9(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def tool(self, *args, check=True):
        env = dict(os.environ)
        if self.token:
            env["NATS_TOKEN"] = self.token
        if self.tls:
            env["NATS_CA"] = self.tls[0]
        out = subprocess.run([NATS_TOOL, args[0], self.url] + list(args[1:]), env=env,
                             capture_output=True, text=True, timeout=120 * SLOW)
        if check and out.returncode != 0:
            raise AssertionError("nats_tool %s failed (%d): %s" % (args[0], out.returncode,
                                                                  out.stderr))
        return out

    def info(self, stream):
        """The stream's state and config, or None when it does not exist."""
        out = self.tool("info", stream, check=False)
        if out.returncode == 3:
            return None
        if out.returncode != 0:
            raise AssertionError("nats_tool info failed: %s" % out.stderr)
        return json.loads(out.stdout)

    def messages(self, stream):
        """Every message of the stream, in stream order."""
        return [json.loads(line) for line in self.tool("dump", stream).stdout.splitlines()]

    def count(self, stream):
        info = self.info(stream)
        return info["messages"] if info else 0

    def request(self, subject, body, key=None):
        args = ["request", subject, body] + ([key] if key else [])
        doc = json.loads(self.tool(*args).stdout)
        return doc["status"], doc["body"]
