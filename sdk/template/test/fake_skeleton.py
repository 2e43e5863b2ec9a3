"""A tiny fake of the network the skeleton plugin talks to, on loopback.

Every request must carry the bearer token; a reply needs a known item and
a non-empty text. GET /_calls lists what the plugin sent (for the test).
Usage: fake_skeleton.py --port-file FILE --token TOKEN
"""
import argparse
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

ITEMS = [{"id": "i1", "author": "u1", "text": "Where can I buy the blue one?",
          "created_at": "2026-12-01T10:00:00Z", "thread": "i1"},
         {"id": "i2", "author": "u2", "text": "My order never arrived",
          "created_at": "2026-12-01T10:05:00Z", "thread": "i2"},
         {"id": "d1", "author": "u2", "text": "order 1234", "private": True,
          "created_at": "2026-12-01T10:06:00Z"}]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--token", required=True)
    args = ap.parse_args()
    calls, lock = [], threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def answer(self, status, doc):
            body = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def handle_any(self, method):
            url = urlparse(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if url.path == "/_calls":
                with lock:
                    return self.answer(200, calls)
            if self.headers.get("Authorization") != "Bearer " + args.token:
                return self.answer(401, {"error": "unauthorized"})
            with lock:
                calls.append({"method": method, "path": url.path,
                              "body": body.decode("utf-8", "replace")})
            if method == "GET" and url.path == "/items":
                after = parse_qs(url.query).get("after", [""])[0]
                start = int(after) if after.isdigit() else 0
                return self.answer(200, {"items": ITEMS[start:], "cursor": str(len(ITEMS))})
            doc = json.loads(body or b"{}")
            if method == "POST" and url.path.startswith("/items/") and \
                    url.path.endswith("/replies"):
                target = url.path.split("/")[2]
                if target not in {i["id"] for i in ITEMS} or not doc.get("text"):
                    return self.answer(422, {"error": "bad reply"})
                return self.answer(201, {"id": "r-" + target,
                                         "url": "https://example.invalid/" + target})
            if method == "POST" and url.path == "/messages":
                if not doc.get("to") or not doc.get("text"):
                    return self.answer(422, {"error": "bad message"})
                return self.answer(201, {"id": "m-" + doc["to"]})
            return self.answer(404, {"error": "not found"})

        def do_GET(self):
            self.handle_any("GET")

        def do_POST(self):
            self.handle_any("POST")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
