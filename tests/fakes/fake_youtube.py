#!/usr/bin/python3
"""fake_youtube.py - a loopback stand-in for the YouTube Data API v3
(comments) and Google's OAuth 2.0 token endpoint, for the youtube plugin's
integration tests.

Served (paths as on youtube.googleapis.com):

  GET  /youtube/v3/commentThreads   commentThreads.list (1 unit):
                                    allThreadsRelatedToChannelId, order=time
                                    (newest top-level comment first),
                                    moderationStatus, maxResults, pageToken,
                                    part snippet[,replies] (at most
                                    `embedded_replies` replies embedded)
  GET  /youtube/v3/comments         comments.list?parentId= (1 unit), oldest
                                    reply first, paged
  POST /youtube/v3/comments         comments.insert (50 units): a reply under
                                    a top-level comment, written by the channel
  POST /token                       the OAuth 2.0 token endpoint
                                    (grant_type=refresh_token)

It is strict where Google is strict:

  - every API request is checked against the published OpenAPI subset
    (openapi_check.py; ../../../shared/api-specs/youtube/
    openapi-comments-subset.json by default); problems are kept at
    GET /_fake/problems, the fake's own answers' problems at
    GET /_fake/response_problems. The token endpoint is not in that
    document: its form is checked here (problems listed alike). Any other
    path answers 404 notFound and is a problem too;
  - credentials: reads take ?key=<api key> or a live bearer access token;
    held comments (moderationStatus other than published) and writes need
    the bearer token. Access tokens expire after `token_lifetime` seconds
    (401 authError after that, or at once after POST /_fake/expire_tokens);
    the refresh token can be revoked (POST /_fake/revoke: the token endpoint
    answers 400 invalid_grant);
  - quota: every request that passed authentication costs units (list 1,
    insert 50) against `daily_quota`; a request the rest of the day cannot
    pay is answered 403 quotaExceeded (domain youtube.quota) without being
    charged. POST /_fake/quota {"used": n} or {"reset": true} moves the day;
  - paging tokens are opaque and name the last item served, so items
    arriving between two pages neither repeat nor vanish; a token that
    does not parse is 400 invalidPageToken;
  - faults on demand: POST /_fake/faults {"endpoint": "threads"|"replies"|
    "insert"|"token", "status": 403, "reason": "commentsDisabled",
    "times": 1} answers Google's error body with that reason; {"endpoint",
    "kind": "stall", "seconds": s} answers late.

Usage:
    fake_youtube.py [--host 127.0.0.1] [--port 0] [--port-file FILE]
                    [--fixture FILE.json] [--spec FILE.json] [--verbose]

Fixture (JSON, all keys optional; POST /_fake/setup merges the same):
  {"channel": "UC...", "api_key": "...", "client_id": "...",
   "client_secret": "...", "refresh_token": "...", "token_lifetime": 3600,
   "daily_quota": 10000, "embedded_replies": 5,
   "videos": {"<video id>": {"comments_disabled": bool}},
   "threads": [{"id"?, "video": "<video id>", "text", "author": "UC...",
                "name"?, "published"?: "RFC 3339", "status"?: "published"|
                "heldForReview"|"likelySpam",
                "replies"?: [{"id"?, "text", "author", "name"?, "published"?}]}],
   "replies": [{"parent": "<thread id>", ...a reply as above}]}

Admin routes (never checked or charged): GET /_fake/requests, /_fake/problems,
/_fake/response_problems, /_fake/state; POST /_fake/setup, /_fake/faults,
/_fake/quota, /_fake/expire_tokens, /_fake/revoke.
"""

import argparse
import base64
import json
import os
import secrets
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakeserve import load_checker, serve  # noqa: E402

DEFAULT_SPEC = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "../../../shared/api-specs/youtube/openapi-comments-subset.json")
API = "/youtube/v3"
COST = {"threads": 1, "replies": 1, "insert": 50}
START = 1795000000  # 2026-11-18: published times count up from here


def iso(ts):
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text):
    return datetime.strptime(text.replace(".000", ""), "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=timezone.utc).timestamp()


def google_error(code, reason, message, domain="youtube.commentThread"):
    return {"error": {"code": code, "message": message,
                      "errors": [{"message": message, "domain": domain, "reason": reason}]}}


QUOTA_EXCEEDED = ("youtube.quota", "quotaExceeded",
                  "The request cannot be completed because you have exceeded your "
                  "<a href=\"/youtube/v3/getting-started#quota\">quota</a>.")


def token_for(kind, key):
    raw = json.dumps([kind, key]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def token_parse(kind, token):
    try:
        k, key = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return key if k == kind else None
    except Exception:
        return None


class State:
    def __init__(self):
        self.lock = threading.RLock()  # answers are sent with it held
        self.channel = "UCbrand0000000000000000A"
        self.api_key = "test-api-key"
        self.client_id = "test-client.apps.googleusercontent.com"
        self.client_secret = "test-client-secret"
        self.refresh_token = "test-refresh-token"
        self.refresh_revoked = False
        self.token_lifetime = 3600
        self.daily_quota = 10000
        self.used = 0
        self.embedded = 5
        self.videos = {}
        self.threads = {}      # id -> thread (top-level comment + replies)
        self.access = {}       # access token -> expiry (time.time())
        self.clock = START
        self.serial = 0
        self.created = []
        self.requests, self.problems, self.response_problems = [], [], []
        self.faults = []
        self.token_grants = 0

    def new_id(self, prefix):
        self.serial += 1
        return "%s%s%04d" % (prefix, secrets.token_hex(8), self.serial)

    def stamp(self, given):
        if given:
            return parse_iso(given)
        self.clock += 60
        return self.clock

    def comment(self, c, parent=None):
        cid = c.get("id") or (parent + "." + self.new_id("Rz") if parent else self.new_id("Ugz"))
        return {"id": cid, "text": c["text"], "author": c.get("author", "UCanon"),
                "name": c.get("name", "@" + c.get("author", "anon")[-6:]),
                "published": self.stamp(c.get("published")), "parent": parent}

    def add_thread(self, t):
        top = self.comment(t)
        th = {"id": top["id"], "video": t.get("video", "vid00000001"), "top": top,
              "status": t.get("status", "published"), "replies": []}
        self.videos.setdefault(th["video"], {})
        self.threads[th["id"]] = th
        for r in t.get("replies", []):
            th["replies"].append(self.comment(r, th["id"]))
        return th

    def setup(self, fx):
        for key in ("channel", "api_key", "client_id", "client_secret", "refresh_token",
                    "token_lifetime", "daily_quota"):
            if key in fx:
                setattr(self, key, fx[key])
        if "embedded_replies" in fx:
            self.embedded = fx["embedded_replies"]
        for vid, v in fx.get("videos", {}).items():
            self.videos.setdefault(vid, {}).update(v)
        for t in fx.get("threads", []):
            self.add_thread(t)
        for r in fx.get("replies", []):
            th = self.threads[r["parent"]]
            th["replies"].append(self.comment(r, th["id"]))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "fake_youtube/1"
    sys_version = ""

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("fake_youtube: " + (fmt % args) + "\n")

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    # ---- plumbing -------------------------------------------------------

    def send_json(self, status, doc):
        body = json.dumps(doc).encode()
        if self.endpoint in COST:
            problems = self.server.checker.check_response(
                self.command, self.path, status, {"Content-Type": "application/json"}, body)
            if problems:
                with self.server.state.lock:
                    self.server.state.response_problems.extend(problems)
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.entry["status"] = status

    def error(self, code, reason, message, domain="youtube.commentThread"):
        self.entry["reason"] = reason
        self.send_json(code, google_error(code, reason, message, domain))

    def dispatch(self):
        parts = urlsplit(self.path)
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n > 0 else b""
        self.endpoint = None
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        auth = self.headers.get("Authorization", "")
        self.entry = {"t": time.time(), "method": self.command, "path": parts.path,
                      "query": query, "body": body.decode("utf-8", "replace"),
                      "auth": "bearer" if auth.lower().startswith("bearer ")
                      else "key" if "key" in query else "none",
                      "endpoint": None, "status": None, "reason": None, "cost": 0}
        if parts.path.startswith("/_fake/"):
            self.admin(parts.path, body)
            return
        st = self.server.state
        self.endpoint = {("GET", API + "/commentThreads"): "threads",
                         ("GET", API + "/comments"): "replies",
                         ("POST", API + "/comments"): "insert",
                         ("POST", "/token"): "token"}.get((self.command, parts.path))
        self.entry["endpoint"] = self.endpoint
        if self.endpoint == "token":
            problems = self.check_token_form(body)
        else:
            problems = self.server.checker.check(self.command, self.path,
                                                 headers=dict(self.headers.items()), body=body)
            if self.endpoint is None and not problems:
                problems = ["%s %s: not served by the fake" % (self.command, parts.path)]
        with st.lock:
            st.requests.append(self.entry)
            st.problems.extend("%s (request %d)" % (p, len(st.requests)) for p in problems)
        if self.endpoint is None:
            self.error(404, "notFound", "Not Found", "global")
            return
        if self.endpoint == "token":
            self.serve_token(body)
            return
        with st.lock:
            fault = self.take_fault()
            who = self.authenticate(query, auth)
        if who is None:
            return
        if fault is not None and fault.get("kind") == "stall":
            # Answer late (past the gateway's fetch_timeout), but answer.
            time.sleep(float(fault.get("seconds", 2)))
            fault = None
        if fault is not None:
            self.error(fault.get("status", 403), fault.get("reason", "forbidden"),
                       fault.get("message", "fault on demand: %s" % fault.get("reason")))
            return
        with st.lock:
            cost = COST[self.endpoint]
            if st.used + cost > st.daily_quota:
                domain, reason, message = QUOTA_EXCEEDED
                self.error(403, reason, message, domain)
                return
            st.used += cost
            self.entry["cost"] = cost
        if self.endpoint == "threads":
            self.serve_threads(query, who)
        elif self.endpoint == "replies":
            self.serve_replies(query)
        else:
            self.serve_insert(body)

    def take_fault(self):
        st = self.server.state
        for f in st.faults:
            if f["endpoint"] == self.endpoint and f["left"] != 0:
                f["left"] -= 1
                return f
        return None

    def authenticate(self, query, auth):
        """"bearer" or "key", or None after answering the refusal."""
        st = self.server.state
        if auth.lower().startswith("bearer "):
            expiry = st.access.get(auth[7:].strip())
            if expiry is None or expiry <= time.time():
                self.error(401, "authError", "Request had invalid authentication credentials. "
                           "Expected OAuth 2 access token.", "global")
                return None
            return "bearer"
        if "key" in query and self.endpoint != "insert":
            if query["key"] != st.api_key:
                self.error(400, "keyInvalid", "API key not valid. Please pass a valid API key.",
                           "usageLimits")
                return None
            return "key"
        self.error(401, "required", "Login Required.", "global")
        return None

    # ---- the token endpoint ----------------------------------------------

    def check_token_form(self, body):
        ctype = self.headers.get("Content-Type", "")
        if not ctype.startswith("application/x-www-form-urlencoded"):
            return ["POST /token: Content-Type %r, expected application/x-www-form-urlencoded"
                    % ctype]
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        missing = [k for k in ("grant_type", "client_id", "client_secret", "refresh_token")
                   if not form.get(k)]
        return ["POST /token: form field %r is missing" % k for k in missing]

    def serve_token(self, body):
        st = self.server.state
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        with st.lock:
            fault = self.take_fault()
        if fault is not None:
            self.send_json(fault.get("status", 500), {"error": fault.get("reason", "internal")})
            return
        if form.get("grant_type") != "refresh_token":
            self.send_json(400, {"error": "unsupported_grant_type",
                                 "error_description": "Invalid grant_type"})
            return
        if form.get("client_id") != st.client_id or form.get("client_secret") != st.client_secret:
            self.send_json(401, {"error": "invalid_client", "error_description": "Unauthorized"})
            return
        if form.get("refresh_token") != st.refresh_token or st.refresh_revoked:
            self.send_json(400, {"error": "invalid_grant",
                                 "error_description": "Token has been expired or revoked."})
            return
        with st.lock:
            token = "ya29.fake-" + secrets.token_urlsafe(24)
            st.access[token] = time.time() + st.token_lifetime
            st.token_grants += 1
        self.send_json(200, {"access_token": token, "expires_in": st.token_lifetime,
                             "scope": "https://www.googleapis.com/auth/youtube.force-ssl",
                             "token_type": "Bearer"})

    # ---- resources ---------------------------------------------------------

    def render(self, c, th):
        snip = {"channelId": self.server.state.channel, "videoId": th["video"],
                "textDisplay": c["text"], "textOriginal": c["text"],
                "authorDisplayName": c["name"],
                "authorChannelUrl": "http://www.youtube.com/channel/" + c["author"],
                "authorChannelId": {"value": c["author"]}, "canRate": True,
                "viewerRating": "none", "likeCount": 0,
                "publishedAt": iso(c["published"]), "updatedAt": iso(c["published"])}
        if c["parent"]:
            snip["parentId"] = c["parent"]
        return {"kind": "youtube#comment", "etag": "e" + c["id"][-6:], "id": c["id"],
                "snippet": snip}

    @staticmethod
    def page_size(query):
        return int(query.get("maxResults", "20"))

    def serve_threads(self, query, who):
        st = self.server.state
        parts = query.get("part", "").split(",")
        status = query.get("moderationStatus", "published")
        if query.get("allThreadsRelatedToChannelId") != st.channel:
            self.error(404, "channelNotFound", "The channel could not be found.")
            return
        if status != "published" and who != "bearer":
            self.error(403, "forbidden", "The request is not properly authorized to retrieve "
                       "the specified comment threads (moderationStatus needs OAuth).")
            return
        with st.lock:
            rows = sorted((t for t in st.threads.values() if t["status"] == status),
                          key=lambda t: (-t["top"]["published"], t["id"]))
        start = 0
        if "pageToken" in query:
            after = token_parse("threads", query["pageToken"])
            if after is None:
                self.error(400, "invalidPageToken", "The request specifies an invalid page token.")
                return
            key = (-after[0], after[1])
            start = next((i for i, t in enumerate(rows)
                          if (-t["top"]["published"], t["id"]) > key), len(rows))
        size = self.page_size(query)
        page = rows[start:start + size]
        items = []
        for th in page:
            item = {"kind": "youtube#commentThread", "etag": "t" + th["id"][-6:], "id": th["id"],
                    "snippet": {"channelId": st.channel, "videoId": th["video"],
                                "topLevelComment": self.render(th["top"], th),
                                "canReply": True, "totalReplyCount": len(th["replies"]),
                                "isPublic": True}}
            if "replies" in parts and th["replies"]:
                item["replies"] = {"comments": [self.render(r, th)
                                                for r in th["replies"][:st.embedded]]}
            items.append(item)
        doc = {"kind": "youtube#commentThreadListResponse", "etag": "list",
               "pageInfo": {"totalResults": len(page), "resultsPerPage": size}, "items": items}
        if start + size < len(rows):
            last = page[-1]
            doc["nextPageToken"] = token_for("threads", [last["top"]["published"], last["id"]])
        self.send_json(200, doc)

    def serve_replies(self, query):
        st = self.server.state
        th = st.threads.get(query.get("parentId", ""))
        if th is None:
            self.error(404, "commentNotFound", "The comment could not be found.", "youtube.comment")
            return
        rows = list(th["replies"])
        start = 0
        if "pageToken" in query:
            after = token_parse("replies", query["pageToken"])
            if after is None:
                self.error(400, "invalidPageToken", "The request specifies an invalid page token.",
                           "youtube.comment")
                return
            start = next((i + 1 for i, r in enumerate(rows) if r["id"] == after), len(rows))
        size = self.page_size(query)
        page = rows[start:start + size]
        doc = {"kind": "youtube#commentListResponse", "etag": "list",
               "pageInfo": {"totalResults": len(page), "resultsPerPage": size},
               "items": [self.render(r, th) for r in page]}
        if start + size < len(rows):
            doc["nextPageToken"] = token_for("replies", page[-1]["id"])
        self.send_json(200, doc)

    def serve_insert(self, body):
        st = self.server.state
        snip = (json.loads(body or b"{}").get("snippet") or {})
        parent = snip.get("parentId", "")
        text = snip.get("textOriginal", "")
        with st.lock:
            th = st.threads.get(parent)
            if th is None:
                # A reply's id, or nothing at all: YouTube has one level.
                self.error(400, "invalidCommentMetadata" if parent else "parentIdMissing",
                           "The parentId does not name a top-level comment.", "youtube.comment")
                return
            if st.videos.get(th["video"], {}).get("comments_disabled"):
                self.error(403, "commentsDisabled", "The video identified by the videoId "
                           "parameter has disabled comments.", "youtube.comment")
                return
            if not text.strip():
                self.error(400, "commentTextRequired", "The comment must contain text.",
                           "youtube.comment")
                return
            c = st.comment({"text": text, "author": st.channel, "name": "@brand"}, th["id"])
            c["published"] = max(time.time(), st.clock)
            th["replies"].append(c)
            st.created.append({"id": c["id"], "parent": th["id"], "text": text})
        self.send_json(200, self.render(c, th))

    # ---- admin ---------------------------------------------------------------

    def admin(self, path, body):
        st = self.server.state
        doc = json.loads(body) if body else {}
        with st.lock:
            if path == "/_fake/requests":
                out = list(st.requests)
            elif path == "/_fake/problems":
                out = list(st.problems)
            elif path == "/_fake/response_problems":
                out = list(st.response_problems)
            elif path == "/_fake/state":
                out = {"created": list(st.created), "used": st.used,
                       "daily_quota": st.daily_quota, "token_grants": st.token_grants,
                       "threads": {k: {"replies": [r["id"] for r in t["replies"]],
                                       "video": t["video"]} for k, t in st.threads.items()}}
            elif path == "/_fake/setup" and self.command == "POST":
                st.setup(doc)
                out = {"ok": True, "threads": sorted(st.threads)}
            elif path == "/_fake/faults" and self.command == "POST":
                if doc.get("clear"):
                    st.faults = []
                else:
                    st.faults.append(dict(doc, left=int(doc.get("times", 1)) or -1))
                out = {"ok": True}
            elif path == "/_fake/quota" and self.command == "POST":
                if doc.get("reset"):
                    st.used = 0
                if "used" in doc:
                    st.used = int(doc["used"])
                if "daily_quota" in doc:
                    st.daily_quota = int(doc["daily_quota"])
                out = {"used": st.used}
            elif path == "/_fake/expire_tokens" and self.command == "POST":
                st.access = {k: 0 for k in st.access}
                out = {"ok": True}
            elif path == "/_fake/revoke" and self.command == "POST":
                st.refresh_revoked = bool(doc.get("revoked", True))
                out = {"ok": True}
            else:
                out = None
        if out is None:
            body = b'{"error": "no such admin route"}'
            status = 404
        else:
            body, status = json.dumps(out).encode(), 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        if self.verbose:
            super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--fixture")
    ap.add_argument("--spec", default=DEFAULT_SPEC)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    server = Server((args.host, args.port), Handler)
    server.state = State()
    server.checker = load_checker(args.spec, "fake_youtube.py")
    server.verbose = args.verbose
    if args.fixture:
        with open(args.fixture) as f:
            server.state.setup(json.load(f))
    return serve(server, args.port_file)


if __name__ == "__main__":
    sys.exit(main())
