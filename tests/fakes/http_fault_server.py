#!/usr/bin/python3
"""http_fault_server.py - a loopback HTTP server that misbehaves on request.

Used by the HTTP client's unit tests and by integration tests to provoke
rate limits, server errors, hangs, truncated and oversized bodies without
the network. Standard library only; one thread per connection, HTTP/1.1
keep-alive, so connection reuse and per-host caps are observable.

Usage:
    http_fault_server.py [--host 127.0.0.1] [--port 0] [--port-file FILE]
                         [--cert PEM --key PEM] [--verbose]

With --port 0 the kernel picks the port. The chosen port is printed on
stdout (one line) and, with --port-file, written to FILE atomically (via a
rename), so a test can poll for the file and never read half a number.
--cert/--key serve HTTPS instead of HTTP. SIGTERM or SIGINT stops it.

Routes (any method unless noted; query parameters in brackets):
  /ok                    200 {"ok": true}
  /echo                  200 {"method", "path", "query", "headers" (names
                         lower-cased), "body" (text), "body_len"}
  /429[?reset=N&date=1]  429 with x-rate-limit-limit/-remaining (0)/-reset
                         (Unix seconds, now + N, default 2) and Retry-After
                         (seconds, or an HTTP-date with date=1)
  /limited[?remaining=R&reset=N]
                         200 with x-rate-limit-* headers (remaining R,
                         default 0; reset now + N seconds, default 2)
  /503[?retry_after=N]   503, with Retry-After when given
  /status?code=N         an empty-JSON answer with that status
  /hang[?ms=N]           sleep N ms (default 60000), then 200
  /truncated             Content-Length 100, 10 bytes of body, then close
  /badjson               200, Content-Type JSON, malformed body
  /big[?bytes=N&chunked=1]
                         N bytes (default 1 MiB) of 'x'; chunked=1 sends
                         them with Transfer-Encoding: chunked (no length)
  /count[?match=S]       {"count": n, "requests": [...]}: every request seen
                         so far except /count itself (with match, only those
                         whose path and query contain S), each {"method",
                         "path" (with query), "t" (Unix seconds, float, when
                         the request arrived), "port" (the client's port),
                         "reset" (the x-rate-limit-reset sent, if any)}
Anything else: 404.
"""

import argparse
import email.utils
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from fakeserve import serve

LOG_LIMIT = 100000  # requests remembered for /count


class State:
    """What the server has seen, shared by the handler threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.count = 0
        self.requests = []

    def record(self, entry):
        with self.lock:
            self.count += 1
            self.requests.append(entry)
            if len(self.requests) > LOG_LIMIT:
                del self.requests[: len(self.requests) - LOG_LIMIT]

    def snapshot(self, match=None):
        with self.lock:
            if match is None:
                return {"count": self.count, "requests": list(self.requests)}
            hits = [r for r in self.requests if match in r["path"]]
            return {"count": len(hits), "requests": hits}


def int_param(query, name, default):
    try:
        return int(query.get(name, [default])[0])
    except (TypeError, ValueError):
        return default


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so reuse is observable
    # Headers and body go out in separate writes; with Nagle on, the body
    # waits for the client's delayed ACK (~40 ms per response).
    disable_nagle_algorithm = True
    server_version = "http_fault_server/1"
    sys_version = ""

    def setup(self):
        # TLS handshakes happen here, on the connection's own thread, so a
        # slow or failing client cannot stall accept() for everyone else.
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()
        super().setup()

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("fault-server: " + (fmt % args) + "\n")

    # One entry point for every method the client may send.
    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def read_body(self):
        length = self.headers.get("Content-Length")
        if length is not None:
            try:
                n = int(length)
            except ValueError:
                n = 0
            return self.rfile.read(n) if n > 0 else b""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        return b""

    def send(self, status, body, content_type="application/json", headers=()):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def dispatch(self):
        arrived = time.time()
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        body = self.read_body()
        entry = {
            "method": self.command,
            "path": self.path,
            "t": arrived,
            "port": self.client_address[1],
        }
        if path == "/count":
            self.send(200, self.server.state.snapshot(query.get("match", [None])[0]))
            return
        route = ROUTES.get(path)
        if route is None:
            self.server.state.record(entry)
            self.send(404, {"error": "no such route", "path": path})
            return
        route(self, query, body, entry)

    # ---- routes ---------------------------------------------------------

    def route_ok(self, query, body, entry):
        self.server.state.record(entry)
        self.send(200, {"ok": True})

    def route_echo(self, query, body, entry):
        self.server.state.record(entry)
        parts = urlsplit(self.path)
        self.send(
            200,
            {
                "method": self.command,
                "path": parts.path,
                "query": parts.query,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
                "body_len": len(body),
            },
        )

    def route_429(self, query, body, entry):
        wait = int_param(query, "reset", 2)
        now = time.time()
        reset = int(now) + wait
        entry["reset"] = reset
        self.server.state.record(entry)
        if query.get("date", ["0"])[0] == "1":
            retry_after = email.utils.formatdate(reset, usegmt=True)
        else:
            retry_after = str(max(0, int(reset - now + 0.999)))
        self.send(
            429,
            {"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429},
            headers=[
                ("x-rate-limit-limit", "15"),
                ("x-rate-limit-remaining", "0"),
                ("x-rate-limit-reset", str(reset)),
                ("Retry-After", retry_after),
            ],
        )

    def route_limited(self, query, body, entry):
        remaining = int_param(query, "remaining", 0)
        reset = int(time.time()) + int_param(query, "reset", 2)
        entry["reset"] = reset
        self.server.state.record(entry)
        self.send(
            200,
            {"ok": True},
            headers=[
                ("x-rate-limit-limit", "15"),
                ("x-rate-limit-remaining", str(remaining)),
                ("x-rate-limit-reset", str(reset)),
            ],
        )

    def route_503(self, query, body, entry):
        self.server.state.record(entry)
        headers = []
        if "retry_after" in query:
            headers.append(("Retry-After", query["retry_after"][0]))
        self.send(503, {"error": "service unavailable"}, headers=headers)

    def route_status(self, query, body, entry):
        self.server.state.record(entry)
        self.send(int_param(query, "code", 200), {})

    def route_hang(self, query, body, entry):
        self.server.state.record(entry)
        time.sleep(int_param(query, "ms", 60000) / 1000.0)
        self.send(200, {"ok": True, "slept_ms": int_param(query, "ms", 60000)})

    def route_truncated(self, query, body, entry):
        self.server.state.record(entry)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "100")
        self.end_headers()
        self.wfile.write(b'{"data": [')
        self.wfile.flush()
        self.close_connection = True

    def route_badjson(self, query, body, entry):
        self.server.state.record(entry)
        self.send(200, b'{"data": [1, 2,', content_type="application/json")

    def route_big(self, query, body, entry):
        self.server.state.record(entry)
        n = max(0, int_param(query, "bytes", 1 << 20))
        if query.get("chunked", ["0"])[0] != "1":
            self.send(200, b"x" * n, content_type="application/octet-stream")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        block = b"x" * 65536
        left = n
        while left > 0:
            piece = block[: min(left, len(block))]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            left -= len(piece)
        self.wfile.write(b"0\r\n\r\n")


ROUTES = {
    "/ok": Handler.route_ok,
    "/echo": Handler.route_echo,
    "/429": Handler.route_429,
    "/limited": Handler.route_limited,
    "/503": Handler.route_503,
    "/status": Handler.route_status,
    "/hang": Handler.route_hang,
    "/truncated": Handler.route_truncated,
    "/badjson": Handler.route_badjson,
    "/big": Handler.route_big,
}


class Server(ThreadingHTTPServer):
    daemon_threads = True  # a hanging handler must not block shutdown
    allow_reuse_address = True
    request_queue_size = 256  # bursts of concurrent connects from tests

    def handle_error(self, request, client_address):
        # Clients hang up on /hang and /big on purpose; stay quiet.
        if self.verbose:
            super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--cert", help="PEM certificate chain: serve HTTPS")
    ap.add_argument("--key", help="PEM private key for --cert")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    server = Server((args.host, args.port), Handler)
    server.state = State()
    server.verbose = args.verbose
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        server.socket = ctx.wrap_socket(
            server.socket, server_side=True, do_handshake_on_connect=False
        )

    return serve(server, args.port_file)


if __name__ == "__main__":
    sys.exit(main())
