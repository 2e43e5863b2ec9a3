#!/usr/bin/python3
"""fake_facebook.py - a loopback stand-in for the Facebook Graph API (Page
feed, tagged posts, comments, Messenger conversations and the Send API),
for the facebook plugin's integration tests.

Meta publishes no OpenAPI document, so the endpoints are described by hand
in facebook-graph.openapi.yaml beside this file (from the reference facts
in ../shared/api-notes/NETWORKS.md section 2), and every request is checked
against it (openapi_check.py); a request outside it gets Graph's error 100
and is listed at GET /_fake/problems. The fake's answers are checked too
(GET /_fake/response_problems).

  GET  /{v}/{page}/feed            posts on the Page, newest first
  GET  /{v}/{page}/tagged          posts tagging the Page, newest first
  GET  /{v}/{object}/comments      comments, chronological by default;
                                   replies only with filter=stream
  POST /{v}/{object}/comments      comment / threaded reply (form: message)
  GET  /{v}/{page}/conversations   platform=messenger, most recent first,
                                   with messages.limit(n){...} newest first
  POST /{v}/{page}/messages        Send API (recipient.id or comment_id)

Strict where Graph is strict:
  - access_token (query) must be the Page token, else error 190; with an
    app secret configured, appsecret_proof = hex(HMAC-SHA256(app_secret,
    token)) is required (error 100 when missing or wrong);
  - paging: limit per page, paging.cursors.after (opaque) and paging.next,
    since (Unix seconds) honoured;
  - the Messenger window: RESPONSE within 24 h of the customer's last
    message, MESSAGE_TAG + HUMAN_AGENT within 7 days, else error 10 with
    subcode 2018278;
  - every answer carries X-App-Usage and X-Business-Use-Case-Usage; a
    throttling fault adds estimated_time_to_regain_access (minutes,
    fractions allowed so tests stay short);
  - faults on demand: {"endpoint", "code", "subcode"?, "user_msg"?,
    "regain"? (minutes), "status"? (default 400), "times"? (0 = until
    cleared)} at POST /_fake/faults; {"clear": true} removes them.

Fixture (JSON; POST /_fake/setup merges the same object):
  {"page": {"id", "name"}, "token": "...", "app_secret": "..." | null,
   "posts":  [{"id"?, "message", "from": {"id","name"}, "created_time": unix,
               "tagged"?: true}],
   "comments": [{"id"?, "post_id", "parent"?: comment id, "message", "from",
                 "created_time": unix}],
   "conversations": [{"id"?, "psid", "name"?, "messages": [{"id"?, "message",
                      "from_page"?: bool, "created_time": unix}]}]}
Endpoints are named feed, tagged, comments, create_comment, conversations,
send.

Admin routes: GET /_fake/requests, /_fake/problems, /_fake/response_problems,
/_fake/state; POST /_fake/setup, /_fake/faults.

Usage: fake_facebook.py [--port 0] [--port-file FILE] [--fixture FILE.json]
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakeserve import serve  # noqa: E402
from openapi_check import OpenApiChecker  # noqa: E402

SPEC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "facebook-graph.openapi.yaml")
DAY = 86400


def fbtime(ts):
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")


def cursor(i):
    return base64.urlsafe_b64encode(("fbc:%d" % i).encode()).decode().rstrip("=")


def uncursor(c):
    try:
        raw = base64.urlsafe_b64decode(c + "=" * (-len(c) % 4)).decode()
        return int(raw.split(":")[1]) if raw.startswith("fbc:") else None
    except Exception:
        return None


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.page = {"id": "1000", "name": "Acme"}
        self.token = "page-token"
        self.app_secret = None
        self.posts, self.comments, self.conversations = {}, {}, {}
        self.created, self.requests, self.problems, self.response_problems = [], [], [], []
        self.auth_failures, self.faults = [], []
        self.next_id = 5000
        self.calls = 0
        self.usage = None  # one-shot {"percent", "regain"} for the next answer

    def new_id(self):
        self.next_id += 1
        return self.next_id

    def setup(self, fx):
        for key in ("page", "token", "app_secret", "usage"):
            if key in fx:
                setattr(self, key, fx[key])
        for p in fx.get("posts", []):
            self.add_post(p)
        for c in fx.get("comments", []):
            self.add_comment(c)
        for c in fx.get("conversations", []):
            cid = c.get("id") or "t_%d" % self.new_id()
            conv = self.conversations.setdefault(cid, {"id": cid, "psid": c["psid"],
                                                       "name": c.get("name", "Customer"),
                                                       "messages": []})
            for m in c.get("messages", []):
                self.add_message(conv, m)

    def add_post(self, p):
        pid = p.get("id") or "%s_%d" % (self.page["id"], self.new_id())
        self.posts[pid] = {"id": pid, "message": p["message"], "from": p["from"],
                           "created_time": int(p.get("created_time", time.time())),
                           "tagged": bool(p.get("tagged"))}
        return self.posts[pid]

    def add_comment(self, c):
        post = c["post_id"]
        cid = c.get("id") or "%s_%d" % (post.split("_")[-1], self.new_id())
        self.comments[cid] = {"id": cid, "post_id": post, "parent": c.get("parent"),
                              "message": c["message"], "from": c["from"],
                              "created_time": int(c.get("created_time", time.time()))}
        return self.comments[cid]

    def add_message(self, conv, m):
        mid = m.get("id") or "m_%d" % self.new_id()
        sender = self.page if m.get("from_page") else {"id": conv["psid"], "name": conv["name"]}
        msg = {"id": mid, "message": m["message"], "from": dict(sender),
               "created_time": int(m.get("created_time", time.time()))}
        conv["messages"].append(msg)
        return msg


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake_facebook/1"
    sys_version = ""

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_GET

    # ---- plumbing -------------------------------------------------------

    def send_json(self, status, doc, headers=()):
        body = json.dumps(doc).encode()
        ct = "application/json; charset=UTF-8"
        if self.endpoint is not None:
            probs = self.server.checker.check_response(self.command, self.path, status,
                                                       {"Content-Type": ct}, body)
            if probs:
                with self.server.state.lock:
                    self.server.state.response_problems.extend(probs)
        self.send_response(status)
        self.send_header("Content-Type", ct)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.entry["status"] = status

    def graph_error(self, code, message, subcode=None, user_msg=None, status=400,
                    headers=()):
        err = {"message": message, "type": "OAuthException" if code == 190 else
               "GraphMethodException", "code": code, "fbtrace_id": "Fk%d" % int(time.time())}
        if subcode is not None:
            err["error_subcode"] = subcode
        if user_msg is not None:
            err["error_user_title"] = "Refused"
            err["error_user_msg"] = user_msg
        self.entry["error"] = code
        self.send_json(status, {"error": err}, headers)

    def usage_headers(self, regain=None):
        st = self.server.state
        pct = min(99, st.calls) if regain is None else 100
        if regain is None and st.usage:
            pct, regain = st.usage.get("percent", 100), st.usage.get("regain")
            st.usage = None
        app = {"call_count": pct, "total_cputime": 1, "total_time": 1}
        buc = {"type": "pages", "call_count": pct, "total_cputime": 1, "total_time": 1,
               "estimated_time_to_regain_access": regain if regain is not None else 0}
        return [("X-App-Usage", json.dumps(app)),
                ("X-Business-Use-Case-Usage", json.dumps({st.page["id"]: [buc]}))]

    def dispatch(self):
        parts = urlsplit(self.path)
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n > 0 else b""
        self.endpoint = None
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        self.entry = {"t": time.time(), "method": self.command, "path": parts.path,
                      "query": {k: v for k, v in query.items()
                                if k not in ("access_token", "appsecret_proof")},
                      "body": body.decode("utf-8", "replace"), "status": None,
                      "endpoint": None, "error": None}
        if parts.path.startswith("/_fake/"):
            self.admin(parts.path, body)
            return
        st = self.server.state
        problems = self.server.checker.check(self.command, self.path,
                                             headers=dict(self.headers.items()), body=body)
        m = self.server.checker.find(self.command, parts.path)
        names = {"pageFeed": "feed", "pageTagged": "tagged", "objectComments": "comments",
                 "createComment": "create_comment", "pageConversations": "conversations",
                 "sendMessage": "send"}
        self.endpoint = names.get(m.operation.get("operationId")) if m else None
        self.entry["endpoint"] = self.endpoint
        with st.lock:
            st.requests.append(self.entry)
            st.problems.extend("%s (request %d)" % (p, len(st.requests)) for p in problems)
            st.calls += 1
        if self.endpoint is None:
            self.graph_error(100, "Unsupported %s request: no such endpoint in the fake"
                             % self.command)
            return
        if problems:
            self.graph_error(100, "(#100) " + problems[0])
            return
        why = self.auth_problem(query)
        if why is not None:
            with st.lock:
                st.auth_failures.append({"path": parts.path, "why": why})
            if why.startswith("token"):
                self.graph_error(190, "Invalid OAuth access token - Cannot parse access token",
                                 headers=self.usage_headers())
            else:
                self.graph_error(100, why, headers=self.usage_headers())
            return
        if self.fault():
            return
        handler = getattr(self, "serve_" + self.endpoint)
        with st.lock:
            handler(m.path_params, query, body)

    def auth_problem(self, query):
        st = self.server.state
        token = query.get("access_token", "")
        if not hmac.compare_digest(token.encode(), st.token.encode()):
            return "token: wrong access_token"
        if st.app_secret:
            proof = query.get("appsecret_proof")
            if proof is None:
                return "API calls from the server require an appsecret_proof argument"
            want = hmac.new(st.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(proof.encode(), want.encode()):
                return "Invalid appsecret_proof provided in the API argument"
        return None

    def fault(self):
        st = self.server.state
        with st.lock:
            for f in st.faults:
                if f["endpoint"] == self.endpoint:
                    if f.get("times", 1) > 0:
                        f["times"] = f.get("times", 1) - 1
                        if f["times"] == 0:
                            st.faults.remove(f)
                    break
            else:
                return False
        regain = f.get("regain")
        self.graph_error(f["code"], f.get("message", "(#%d) fault on demand" % f["code"]),
                         f.get("subcode"), f.get("user_msg"), f.get("status", 400),
                         self.usage_headers(regain))
        return True

    def page_of(self, items, query, render, newest_first=True, key="created_time"):
        since = int(query.get("since", 0) or 0)
        limit = int(query.get("limit", 25) or 25)
        items = sorted((i for i in items if i[key] >= since), key=lambda i: (i[key], i["id"]),
                       reverse=newest_first)
        start = 0
        if "after" in query:
            start = uncursor(query["after"])
            if start is None:
                self.graph_error(100, "(#100) Invalid cursor")
                return
        chunk = items[start:start + limit]
        doc = {"data": [render(i) for i in chunk]}
        if chunk:
            doc["paging"] = {"cursors": {"before": cursor(start), "after":
                                         cursor(start + len(chunk))}}
            if start + len(chunk) < len(items):
                q = dict(query, after=cursor(start + len(chunk)))
                doc["paging"]["next"] = "http://%s%s?%s" % (
                    self.headers.get("Host"), urlsplit(self.path).path, urlencode(q))
        self.send_json(200, doc, self.usage_headers())

    # ---- endpoints ----------------------------------------------------------

    def render_post(self, p):
        return {"id": p["id"], "message": p["message"], "from": p["from"],
                "created_time": fbtime(p["created_time"]),
                "permalink_url": "https://www.facebook.com/%s" % p["id"]}

    def serve_feed(self, params, query, body):
        if params["page_id"] != self.server.state.page["id"]:
            return self.graph_error(100, "(#100) Unknown page")
        posts = [p for p in self.server.state.posts.values() if not p["tagged"]]
        self.page_of(posts, query, self.render_post)

    def serve_tagged(self, params, query, body):
        posts = [p for p in self.server.state.posts.values() if p["tagged"]]
        self.page_of(posts, query, self.render_post)

    def serve_comments(self, params, query, body):
        st = self.server.state
        obj = params["object_id"]
        if obj in st.posts:
            cs = [c for c in st.comments.values() if c["post_id"] == obj and
                  (query.get("filter") == "stream" or c["parent"] is None)]
        elif obj in st.comments:
            cs = [c for c in st.comments.values() if c["parent"] == obj]
        else:
            return self.graph_error(100, "(#100) Object %s does not exist" % obj, 33)

        def render(c):
            doc = {"id": c["id"], "message": c["message"], "from": c["from"],
                   "created_time": fbtime(c["created_time"]),
                   "permalink_url": "https://www.facebook.com/%s?comment_id=%s"
                   % (c["post_id"], c["id"])}
            if c["parent"] is not None and query.get("filter") == "stream":
                doc["parent"] = {"id": c["parent"]}
            return doc
        self.page_of(cs, query, render,
                     newest_first=query.get("order") == "reverse_chronological")

    def serve_create_comment(self, params, query, body):
        st = self.server.state
        obj = params["object_id"]
        message = dict(parse_qsl(body.decode())).get("message", "")
        if obj in st.posts:
            post, parent = obj, None
        elif obj in st.comments:
            post, parent = st.comments[obj]["post_id"], obj
        else:
            return self.graph_error(100, "(#100) Object %s does not exist" % obj, 33)
        c = st.add_comment({"post_id": post, "parent": parent, "message": message,
                            "from": dict(st.page)})
        st.created.append({"kind": "comment", "id": c["id"], "on": obj, "message": message})
        self.send_json(200, {"id": c["id"]}, self.usage_headers())

    def serve_conversations(self, params, query, body):
        st = self.server.state
        m = re.search(r"messages\.limit\((\d+)\)", query.get("fields", ""))
        mlimit = int(m.group(1)) if m else 25
        convs = []
        for c in st.conversations.values():
            if c["messages"]:
                convs.append(dict(c, created_time=max(x["created_time"] for x in c["messages"])))

        def render(c):
            msgs = sorted(c["messages"], key=lambda x: x["created_time"], reverse=True)[:mlimit]
            return {"id": c["id"], "updated_time": fbtime(c["created_time"]),
                    "messages": {"data": [dict(x, created_time=fbtime(x["created_time"]))
                                          for x in msgs]}}
        self.page_of(convs, {k: v for k, v in query.items() if k != "since"}, render)

    def serve_send(self, params, query, body):
        st = self.server.state
        doc = json.loads(body)
        rcpt, text = doc["recipient"], doc["message"]["text"]
        now = time.time()
        if "comment_id" in rcpt:
            c = st.comments.get(rcpt["comment_id"])
            if c is None:
                return self.graph_error(100, "(#100) No matching comment", 2018001)
            psid = c["from"]["id"]
            conv = next((x for x in st.conversations.values() if x["psid"] == psid), None)
            if conv is None:
                cid = "t_%d" % st.new_id()
                conv = st.conversations[cid] = {"id": cid, "psid": psid,
                                                "name": c["from"].get("name", ""),
                                                "messages": []}
        else:
            conv = next((x for x in st.conversations.values() if x["psid"] == rcpt["id"]), None)
            if conv is None:
                return self.graph_error(100, "(#100) No matching user found", 2018001)
            last = max((m["created_time"] for m in conv["messages"]
                        if m["from"]["id"] != st.page["id"]), default=0)
            kind = doc.get("messaging_type", "RESPONSE")
            tagged = kind == "MESSAGE_TAG" and doc.get("tag") == "HUMAN_AGENT"
            if now - last > (7 * DAY if tagged else DAY):
                return self.graph_error(10, "(#10) This message is sent outside of allowed "
                                        "window.", 2018278)
        msg = st.add_message(conv, {"message": text, "from_page": True, "created_time": now})
        st.created.append({"kind": "message", "id": msg["id"], "recipient": rcpt,
                           "messaging_type": doc.get("messaging_type"), "tag": doc.get("tag"),
                           "message": text})
        self.send_json(200, {"recipient_id": conv["psid"], "message_id": msg["id"]},
                       self.usage_headers())

    # ---- admin ----------------------------------------------------------------

    def admin(self, path, body):
        st = self.server.state
        with st.lock:
            if path == "/_fake/requests":
                doc = st.requests
            elif path == "/_fake/problems":
                doc = st.problems
            elif path == "/_fake/response_problems":
                doc = st.response_problems
            elif path == "/_fake/state":
                doc = {"created": st.created, "auth_failures": st.auth_failures,
                       "faults": st.faults}
            elif path == "/_fake/setup" and self.command == "POST":
                st.setup(json.loads(body))
                doc = {"ok": True}
            elif path == "/_fake/faults" and self.command == "POST":
                f = json.loads(body)
                if f.get("clear"):
                    st.faults = []
                else:
                    st.faults.append(f)
                doc = {"ok": True}
            else:
                doc = None
            out = json.dumps(doc).encode()
        self.send_response(200 if doc is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--fixture")
    args = ap.parse_args()
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    server.state = State()
    with open(SPEC, encoding="utf-8") as f:
        server.checker = OpenApiChecker(yaml.safe_load(f))
    if args.fixture:
        with open(args.fixture) as f:
            server.state.setup(json.load(f))
    return serve(server, args.port_file)


if __name__ == "__main__":
    sys.exit(main())
