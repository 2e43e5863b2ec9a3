"""GET /v1/events through the real binary: Server-Sent Events read with a
real client library (Node's "eventsource", Debian node-eventsource) that
resumes with Last-Event-ID, ?after= replays, filters, the JSON page mode
for pollers, auth and parameter errors, the slow client cut at its buffer's
bound that resumes with nothing lost, and the keep-alive comment."""
import json
import os
import queue
import shutil
import socket
import subprocess
import threading
import time
import unittest
import urllib.error
import urllib.request

from gwtest import SLOW, SOURCE, GatewayTestCase, config, mock_account, validate_events, wait_for

TOKEN = "events-test-token-0123456789"
ENV = {"GATEWAY_API_TOKEN": TOKEN}
CLIENT = os.path.join(SOURCE, "tests", "integration", "sse_client.js")
NODE_PATH = "/usr/share/nodejs"  # where Debian's node-eventsource lives


def have_eventsource():
    if shutil.which("node") is None:
        return False
    env = dict(os.environ, NODE_PATH=NODE_PATH)
    return subprocess.run(["node", "-e", "require('eventsource')"], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


if not have_eventsource():
    # scripts/deps.sh test installs nodejs and node-eventsource.
    print("node with the eventsource library is required (scripts/deps.sh test)")
    raise SystemExit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SseClient:
    """The Node client as a subprocess; its JSON lines arrive on a queue."""

    def __init__(self, url, last_id=None):
        args = ["node", CLIENT, url, TOKEN] + ([str(last_id)] if last_id is not None else [])
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env=dict(os.environ, NODE_PATH=NODE_PATH))
        self.lines = queue.Queue()
        self.events = []
        self.opens = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            for line in self.proc.stdout:
                self.lines.put(json.loads(line))
        except ValueError:  # stdout closed by stop()
            pass

    def _drain(self):
        while True:
            try:
                item = self.lines.get_nowait()
            except queue.Empty:
                return
            if "id" in item:
                self.events.append(item)
            elif item.get("open"):
                self.opens += 1

    def wait_events(self, n, timeout=15):
        def enough():
            self._drain()
            return len(self.events) >= n
        wait_for(enough, timeout, "%d events on the stream" % n)
        return self.events

    def wait_opens(self, n, timeout=15):
        def enough():
            self._drain()
            return self.opens >= n
        wait_for(enough, timeout, "%d stream openings" % n)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc.stdout.close()
        self._drain()


def request(url, headers=None, token=TOKEN):
    """(status, headers, body bytes) without raising on HTTP errors."""
    h = dict(headers or {})
    if token is not None:
        h["Authorization"] = "Bearer " + token
    req = urllib.request.Request(url, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=10 * SLOW) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def items(prefix, n, type_="mention", text_len=0):
    visibility = "private" if type_ == "message" else "public"
    return [{"type": type_, "visibility": visibility, "native_id": "%s-%d" % (prefix, i),
             "text": ("@acme %s %d " % (prefix, i)) + "x" * text_len} for i in range(n)]


class EventsStreamTest(GatewayTestCase):
    def start(self, api_extra="", http_extra='listen = "127.0.0.1:0"', accounts=("acme",)):
        empty = self.path("empty.jsonl")
        open(empty, "w").close()
        text = config(accounts=[mock_account(name=a, scenario=empty) for a in accounts])
        text = text.replace('listen = "127.0.0.1:0"', http_extra)
        text += '[api]\ntoken = "${GATEWAY_API_TOKEN}"\n%s\n' % api_extra
        gw = self.gateway(text, env=ENV).start()
        gw.port()
        return gw

    def post(self, gw, batch, account="acme"):
        req = urllib.request.Request(gw.url("/webhooks/mock/%s" % account),
                                     data=json.dumps(batch).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30 * SLOW) as r:
            self.assertEqual(200, r.status)
            self.assertEqual({"accepted": len(batch), "rejected": 0}, json.loads(r.read()))

    def page(self, gw, query, headers=None):
        status, hdrs, body = request(gw.url("/v1/events" + query), headers)
        self.assertEqual(200, status, body)
        self.assertTrue(hdrs["Content-Type"].startswith("application/json"))
        return json.loads(body)

    def client(self, gw, query="", last_id=None):
        c = SseClient(gw.url("/v1/events" + query), last_id)
        self.addCleanup(c.stop)
        return c

    def assertSeqs(self, want, events):
        self.assertEqual(list(want), [int(e["id"]) for e in events])
        for e in events:
            self.assertEqual(int(e["id"]), e["data"]["seq"])
            self.assertEqual(e["event"], e["data"]["type"])

    def test_replay_then_live_then_resume_after_disconnects(self):
        port = free_port()
        gw = self.start(http_extra='listen = "127.0.0.1:%d"' % port)
        self.post(gw, items("a", 5))
        c = self.client(gw, "?after=0")
        self.assertSeqs(range(1, 6), c.wait_events(5))  # replay from the log
        self.post(gw, items("b", 3, "comment"))
        self.assertSeqs(range(1, 9), c.wait_events(8))  # then live
        validate_events(self, [e["data"] for e in c.events])
        # The client goes away; a new one resumes after the last id it saw.
        c.stop()
        self.post(gw, items("c", 2))
        c2 = self.client(gw, last_id=8)
        by_after = self.client(gw, "?after=8")
        self.assertSeqs([9, 10], c2.wait_events(2))
        self.assertSeqs([9, 10], by_after.wait_events(2))
        # The gateway restarts under the library: it reconnects on its own
        # with Last-Event-ID (which wins over the URL's after=0).
        c3 = self.client(gw, "?after=0")
        c3.wait_events(10)
        self.assertEqual(0, gw.stop())
        gw2 = self.start(http_extra='listen = "127.0.0.1:%d"' % port)
        c3.wait_opens(2)
        self.post(gw2, items("d", 2, "review"))
        self.assertSeqs(range(1, 13), c3.wait_events(12))
        time.sleep(0.3)  # nothing more arrives: no duplicates after the resume
        c3._drain()
        self.assertEqual(12, len(c3.events))
        self.assertEqual(0, gw2.stop())

    def test_no_cursor_starts_at_the_live_end_and_after_zero_replays_all(self):
        gw = self.start()
        self.post(gw, items("old", 4))
        live = self.client(gw)
        live.wait_opens(1)
        replay = self.client(gw, "?after=0")
        middle = self.client(gw, "?after=2")
        replay.wait_events(4)
        self.post(gw, items("new", 2))
        self.assertSeqs([5, 6], live.wait_events(2))
        self.assertSeqs(range(1, 7), replay.wait_events(6))
        self.assertSeqs([3, 4, 5, 6], middle.wait_events(4))
        self.assertEqual(0, gw.stop())

    def test_filters_network_account_and_type_prefix_repeatable(self):
        gw = self.start(accounts=("acme", "beta"))
        self.post(gw, items("m", 2, "mention"))                   # 1, 2 acme
        self.post(gw, items("c", 2, "comment"), account="beta")   # 3, 4 beta
        self.post(gw, items("r", 1, "review"), account="beta")    # 5 beta
        self.post(gw, items("g", 1, "message"), account="acme")   # 6 acme
        beta = self.client(gw, "?after=0&account=beta")
        types = self.client(gw, "?after=0&type=com&type=mess")
        both = self.client(gw, "?after=0&network=mock&account=beta&type=rev")
        nothing = self.client(gw, "?after=0&network=twitter")
        self.assertSeqs([3, 4, 5], beta.wait_events(3))
        self.assertSeqs([3, 4, 6], types.wait_events(3))
        self.assertSeqs([5], both.wait_events(1))
        self.post(gw, items("m2", 1, "comment"), account="beta")  # 7: live, filtered too
        self.assertSeqs([3, 4, 5, 7], beta.wait_events(4))
        self.assertSeqs([3, 4, 6, 7], types.wait_events(4))
        nothing.wait_opens(1)
        time.sleep(0.2)
        nothing._drain()
        self.assertEqual([], nothing.events)
        # The JSON page applies the same filters.
        doc = self.page(gw, "?after=0&limit=10&account=acme")
        self.assertEqual([1, 2, 6], [e["seq"] for e in doc["events"]])
        self.assertEqual(0, gw.stop())

    def test_json_page_mode_for_pollers(self):
        gw = self.start()
        self.post(gw, items("p", 5))
        # The events leave once the conversation service has committed
        # their members, just after the log's commit that answered the post.
        wait_for(lambda: len(self.page(gw, "?after=0&limit=9")["events"]) == 5, 10,
                 "the posted events in a page")
        doc = self.page(gw, "?after=0&limit=2")
        self.assertEqual([1, 2], [e["seq"] for e in doc["events"]])
        self.assertEqual(2, doc["next_after"])
        validate_events(self, doc["events"])
        doc = self.page(gw, "?after=%d&limit=2" % doc["next_after"])
        self.assertEqual([3, 4], [e["seq"] for e in doc["events"]])
        # Accept: application/json without limit: a page of the default size.
        doc = self.page(gw, "?after=4", headers={"Accept": "application/json"})
        self.assertEqual({"events": [doc["events"][0]], "next_after": 5}, doc)
        # Caught up: empty, next_after stays; without after: the live end.
        self.assertEqual({"events": [], "next_after": 5}, self.page(gw, "?after=5&limit=9"))
        self.assertEqual({"events": [], "next_after": 5}, self.page(gw, "?limit=9"))
        # A filter that matches nothing still moves next_after past what it scanned.
        self.assertEqual({"events": [], "next_after": 5}, self.page(gw, "?after=0&limit=5&type=review"))
        self.assertEqual(0, gw.stop())

    def test_bad_token_401_and_bad_parameters_400(self):
        gw = self.start()
        for token in (None, "wrong-token-0123456789"):
            status, hdrs, body = request(gw.url("/v1/events"), token=token)
            self.assertEqual(401, status)
            self.assertEqual("unauthorized", json.loads(body)["error"])
            self.assertIn("Bearer", hdrs["WWW-Authenticate"])
        bad = ["?after=-1", "?after=x", "?after=1&after=2", "?limit=0", "?limit=1001",
               "?limit=abc", "?nope=1", "?type=", "?type", "?network=%zz", "?account=a%00b"]
        for query in bad:
            status, hdrs, body = request(gw.url("/v1/events" + query))
            self.assertEqual(400, status, query)
            doc = json.loads(body)
            self.assertEqual("bad_request", doc["error"], query)
            self.assertTrue(doc["message"], query)
        status, _, body = request(gw.url("/v1/events"), headers={"Last-Event-ID": "abc"})
        self.assertEqual(400, status)
        self.assertIn("Last-Event-ID", json.loads(body)["message"])
        self.assertEqual(0, gw.stop())

    def test_slow_client_is_cut_at_its_bound_and_resumes_with_nothing_lost(self):
        gw = self.start(api_extra='stream_buffer = "8KB"')
        # A live client that reads nothing, with a tiny receive window.
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", gw.port()))
        self.addCleanup(s.close)
        s.sendall(("GET /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n"
                   % TOKEN).encode())
        wait_for(lambda: b"gateway_event_streams_open 1" in request(gw.url("/metrics"))[2],
                 10, "the stream to open")
        total = 0
        while b"gateway_event_streams_cut_total 1" not in request(gw.url("/metrics"))[2]:
            self.assertLess(total, 20000, "the slow stream was never cut")
            self.post(gw, items("f%d" % total, 200, text_len=4000))
            total += 200
        # The cut stream ends; what arrived whole is a prefix of the log.
        s.settimeout(10 * SLOW)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        seqs = [int(line[4:]) for line in data.split(b"\n") if line.startswith(b"id: ")]
        self.assertLess(len(seqs), total)
        self.assertEqual(list(range(1, len(seqs) + 1)), seqs[:len(seqs)])
        last = seqs[-2] if len(seqs) > 1 else 0  # the last frame may be torn
        # Resuming by id delivers the rest, each once.
        c = self.client(gw, last_id=last)
        got = c.wait_events(total - last, timeout=60)
        self.assertSeqs(range(last + 1, total + 1), got)
        self.assertEqual(0, gw.stop())

    def test_keepalive_comment_on_idle_streams(self):
        gw = self.start(api_extra='stream_keepalive = "200ms"')
        s = socket.create_connection(("127.0.0.1", gw.port()), timeout=10 * SLOW)
        self.addCleanup(s.close)
        s.sendall(("GET /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n"
                   % TOKEN).encode())
        data = b""
        while data.count(b": keep-alive\n\n") < 2:
            chunk = s.recv(4096)
            self.assertTrue(chunk, "the stream ended")
            data += chunk
        head = data.split(b"\r\n\r\n", 1)[0].decode()
        self.assertIn("200 OK", head.split("\r\n")[0])
        self.assertIn("Content-Type: text/event-stream", head)
        self.assertIn("Transfer-Encoding: chunked", head)
        self.assertEqual(0, gw.stop())


if __name__ == "__main__":
    unittest.main()
