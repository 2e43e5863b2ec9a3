"""webhook_receiver.py - a help desk's webhook endpoint for the gateway's
webhook sink, on loopback, that checks every request's Gateway-Signature
and fails on demand.

    POST /hook        a delivery: the signature is checked (401 when it
                      does not verify), then the next planned failure is
                      answered, or 200 and the events are kept
    POST /control     {"plan": [{"status": 500}, {"status": 429,
                      "retry_after": "1"}, {"status": "close"},
                      {"status": "hang", "seconds": 2}, ...]}
                      appends failures answered to the next deliveries in
                      turn; {"refuse_seq": [seq...], "status": 400} refuses
                      every delivery holding one of those seqs until
                      {"refuse_seq": []} clears it
    GET  /received    {"accepted": [event...], "deliveries": [{"delivery",
                      "status", "sig_ok", "seqs", "t",
                      "signature", "body"}...]} in arrival order

Verification is the one docs/sinks.md shows: HMAC-SHA256 over
"<t>.<body>" with the secret, compared in constant time, t within a
tolerance window of now.
"""
import argparse
import hashlib
import hmac
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(__file__))
from fakeserve import serve  # noqa: E402

TOLERANCE = 300


def verify(secret, header, body, now=None):
    parts = dict(p.split("=", 1) for p in (header or "").split(",") if "=" in p)
    try:
        t = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - t) > TOLERANCE:
        return False
    mac = hmac.new(secret.encode(), str(t).encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, parts.get("v1", ""))


class State:
    def __init__(self, secret):
        self.secret = secret
        self.lock = threading.Lock()
        self.plan = []
        self.refuse = set()
        self.refuse_status = 400
        self.accepted = []
        self.deliveries = []

    def control(self, doc):
        with self.lock:
            self.plan.extend(doc.get("plan", []))
            if "refuse_seq" in doc:
                self.refuse = set(doc["refuse_seq"])
                self.refuse_status = doc.get("status", 400)


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self, status, doc, extra=None):
            body = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path != "/received":
                return self.answer(404, {"error": "not_found"})
            with state.lock:
                self.answer(200, {"accepted": state.accepted, "deliveries": state.deliveries})

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path == "/control":
                state.control(json.loads(body))
                return self.answer(200, {"ok": True})
            if self.path.split("?", 1)[0] != "/hook":
                return self.answer(404, {"error": "not_found"})
            sig_ok = verify(state.secret, self.headers.get("Gateway-Signature"), body)
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
            events = parsed if isinstance(parsed, list) else [parsed]
            seqs = [e.get("seq") for e in events if isinstance(e, dict)]
            record = {"delivery": self.headers.get("Gateway-Delivery"), "sig_ok": sig_ok,
                      "seqs": seqs, "t": time.time(),
                      "content_type": self.headers.get("Content-Type"),
                      "signature": self.headers.get("Gateway-Signature"),
                      "body": body.decode("utf-8", "replace")}
            with state.lock:
                state.deliveries.append(record)
                if not sig_ok:
                    record["status"] = 401
                    return self.answer(401, {"error": "bad_signature"})
                step = state.plan.pop(0) if state.plan else None
                if step is None and state.refuse.intersection(seqs):
                    step = {"status": state.refuse_status}
                if step is not None and step["status"] == "hang":
                    # Answer nothing for a while (past the sender's timeout),
                    # then drop the connection: the events are not taken.
                    record["status"] = -1
                    state.lock.release()
                    try:
                        time.sleep(step.get("seconds", 2))
                    finally:
                        state.lock.acquire()
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return None
                if step is not None and step["status"] == "close":
                    record["status"] = 0
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return None
                if step is not None:
                    record["status"] = step["status"]
                    extra = {"Retry-After": step["retry_after"]} if "retry_after" in step else {}
                    return self.answer(step["status"], {"error": "planned failure"}, extra)
                record["status"] = 200
                state.accepted.extend(events)
            return self.answer(200, {"ok": True})

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--secret", required=True)
    ap.add_argument("--control", help="a /control document applied before listening")
    args = ap.parse_args()
    state = State(args.secret)
    if args.control:
        state.control(json.loads(args.control))
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(state))
    server.daemon_threads = True
    return serve(server, args.port_file)


if __name__ == "__main__":
    sys.exit(main())
