#!/usr/bin/python3
"""fake_x.py - a loopback stand-in for the X API v2, for the twitter
plugin's integration tests.

It serves the endpoints the plugin uses with the response shapes of the
real API, and is strict where X is strict:

  GET  /2/users/{id}/mentions                 mentions timeline
  GET  /2/tweets/search/recent                recent search (a subset of
                                              X's query language: terms,
                                              "phrases", OR, ( ), -is:retweet,
                                              -from:user, -@user)
  GET  /2/dm_events                           the brand's DM events
  POST /2/tweets                              create a tweet (a reply)
  POST /2/dm_conversations/with/{id}/messages send a DM

  - every request is checked against X's published OpenAPI document
    (openapi_check.py, ../../../shared/api-specs/twitter/openapi.json by
    default): path, method, parameters, body schema. Problems are kept
    and served at GET /_fake/problems; tests assert there are none. The
    fake's own answers are checked too (GET /_fake/response_problems);
  - authentication: reads take the app bearer token or OAuth 1.0a; DMs
    need user context (a bearer gets X's 403 "Unsupported Authentication");
    writes need OAuth 1.0a. OAuth 1.0a headers are parsed and their HMAC-
    SHA1 signature verified with the known secrets over the request as
    received (timestamp within 5 minutes, nonce never reused). Failures
    answer 401 and are listed at GET /_fake/state ("auth_failures");
  - paging: newest first, max_results per page, meta.next_token (opaque,
    at least 16 characters) continuing below the page, since_id honoured;
  - rate limits: each endpoint has a budget (limit per window); every
    answer carries x-rate-limit-limit / -remaining / -reset (Unix seconds),
    and a request once the budget is spent gets 429 with X's problem body
    (refused credentials do not count against it);
  - faults on demand: an endpoint can be told to answer a status (401,
    403, 429, 503...), malformed JSON, a truncated body, or to stall;
  - every request is recorded (GET /_fake/requests) with its arrival time,
    so tests can check when requests were sent relative to announced
    resets.

Usage:
    fake_x.py [--host 127.0.0.1] [--port 0] [--port-file FILE]
              [--fixture FILE.json] [--spec openapi.json] [--verbose]

The chosen port is printed on stdout and, with --port-file, written to
FILE atomically. SIGTERM or SIGINT stops it.

Fixture / state (JSON; all keys optional; POST /_fake/setup takes the same
object and merges it in):
  {"credentials": {"bearer": "...", "consumer_key": "...",
                   "consumer_secret": "...", "access_token": "...",
                   "access_token_secret": "..."},
   "brand": "<user id>",
   "users":  [{"id", "name", "username", "followers": N, "verified": bool}],
   "tweets": [{"id"?, "text", "author_id", "created_at"?, "conversation_id"?,
               "in_reply_to"?: "<tweet id>", "retweet_of"?: "<tweet id>",
               "lang"?}],
   "dms":    [{"id"?, "text", "sender_id", "recipient_id"?, "created_at"?}],
   "rate_limits": {"<endpoint>": {"limit": N, "window": seconds}}}
Endpoints are named mentions, search, dm_events, create_tweet, create_dm.
Ids left out are assigned, increasing (snowflake-like).

Admin routes (not part of the API, never checked or recorded):
  GET  /_fake/requests             [{"t", "method", "path", "query", "auth",
                                     "endpoint", "status", "reset", "remaining",
                                     "body"}] (reset/remaining: the rate-limit
                                     headers sent, null when none)
  GET  /_fake/problems             OpenAPI problems of the requests
  GET  /_fake/response_problems    OpenAPI problems of the fake's answers
  GET  /_fake/state                tweets, dms, created, auth_failures, budgets
  POST /_fake/setup                merge a fixture object
  POST /_fake/faults               {"endpoint", "kind": "status"|"malformed"|
                                    "truncated"|"stall", "status"?, "times"?: n
                                    (default 1; 0 = until cleared),
                                    "reset_in"?: s (429), "seconds"?: s (stall),
                                    "detail"?} ; {"clear": true} removes all
  POST /_fake/exhaust              {"endpoint", "reset_in": s}: spend the budget
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
from urllib.parse import parse_qsl, quote, unquote, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakeserve import load_checker, serve  # noqa: E402

DEFAULT_SPEC = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "../../../shared/api-specs/twitter/openapi.json")
FIRST_ID = 1860000000000000000
TIMESTAMP_SKEW = 300
DEFAULT_LIMITS = {"mentions": (450, 900), "search": (450, 900), "dm_events": (300, 900),
                  "create_tweet": (200, 900), "create_dm": (200, 900)}

PROBLEM_401 = {"title": "Unauthorized", "type": "about:blank", "status": 401,
               "detail": "Unauthorized"}
PROBLEM_429 = {"title": "Too Many Requests", "detail": "Too Many Requests",
               "type": "about:blank", "status": 429}
PROBLEM_503 = {"title": "Service Unavailable", "detail": "Service Unavailable",
               "type": "about:blank", "status": 503}
PROBLEM_APP_ONLY = {
    "title": "Unsupported Authentication",
    "detail": "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  "
              "Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User "
              "Context].",
    "type": "https://api.twitter.com/2/problems/unsupported-authentication",
    "status": 403}
TWEET_DEFAULT_FIELDS = ("id", "text", "edit_history_tweet_ids")


def enc(s):
    return quote(s, safe="-._~")


def iso(ts):
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def word_in(text, word):
    return re.search(r"(?<![A-Za-z0-9_])" + re.escape(word) + r"(?![A-Za-z0-9_])", text,
                     re.IGNORECASE) is not None


class Query:
    """A small subset of X's search query language."""

    def __init__(self, text):
        self.any_of, self.excluded_from, self.no_retweets, self.not_mentioning = [], [], False, []
        tokens = re.findall(r'-?"[^"]*"|[()]|\S+', text)
        for tok in tokens:
            if tok in ("(", ")", "OR"):
                continue
            if tok == "-is:retweet":
                self.no_retweets = True
            elif tok.startswith("-from:"):
                self.excluded_from.append(tok[6:].lower())
            elif tok.startswith("-@"):
                self.not_mentioning.append(tok[2:].lower())
            else:
                self.any_of.append(tok.strip('"').strip("()"))

    def matches(self, tweet, author):
        if self.no_retweets and tweet.get("retweet_of"):
            return False
        if author and author.get("username", "").lower() in self.excluded_from:
            return False
        if any(word_in(tweet["text"], "@" + u) for u in self.not_mentioning):
            return False
        return any(word_in(tweet["text"], t) for t in self.any_of)


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.credentials = {"bearer": "test-bearer", "consumer_key": "test-ck",
                            "consumer_secret": "test-cs", "access_token": "test-at",
                            "access_token_secret": "test-ats"}
        self.brand = None
        self.users = {}
        self.tweets = {}     # id (int) -> tweet
        self.dms = {}        # id (int) -> dm
        self.created = []    # tweets and DMs made through the API
        self.next_id = FIRST_ID
        self.requests = []
        self.problems = []
        self.response_problems = []
        self.auth_failures = []
        self.nonces = set()
        self.faults = []
        self.budgets = {}    # endpoint -> {"limit", "window", "remaining", "reset"}
        self.limits = dict(DEFAULT_LIMITS)

    def new_id(self):
        self.next_id += 1 + int(time.time() * 1000) % 7  # increasing, not dense
        return self.next_id

    def take_id(self, given):
        if given is None:
            return self.new_id()
        given = int(given)
        self.next_id = max(self.next_id, given)
        return given

    def setup(self, fx):
        if "credentials" in fx:
            self.credentials.update(fx["credentials"])
        if "brand" in fx:
            self.brand = str(fx["brand"])
        for u in fx.get("users", []):
            self.users[str(u["id"])] = dict(u, id=str(u["id"]))
        for t in fx.get("tweets", []):
            self.add_tweet(t)
        for d in fx.get("dms", []):
            self.add_dm(d)
        for name, lim in fx.get("rate_limits", {}).items():
            self.limits[name] = (int(lim["limit"]), int(lim["window"]))
            self.budgets.pop(name, None)

    def add_tweet(self, t):
        tid = self.take_id(t.get("id"))
        tweet = {"id": str(tid), "text": t["text"], "author_id": str(t["author_id"]),
                 "created_at": t.get("created_at", iso(time.time())), "lang": t.get("lang", "en")}
        parent = t.get("in_reply_to")
        if parent is not None:
            tweet["in_reply_to"] = str(parent)
            root = self.tweets.get(int(parent), {}).get("conversation_id", str(parent))
            tweet["conversation_id"] = t.get("conversation_id", root)
        else:
            tweet["conversation_id"] = str(t.get("conversation_id", tid))
        if t.get("retweet_of"):
            tweet["retweet_of"] = str(t["retweet_of"])
        self.tweets[tid] = tweet
        return tweet

    def add_dm(self, d):
        did = self.take_id(d.get("id"))
        sender = str(d["sender_id"])
        recipient = str(d.get("recipient_id", self.brand))
        a, b = sorted([int(sender), int(recipient)])
        dm = {"id": str(did), "event_type": "MessageCreate", "text": d["text"],
              "sender_id": sender, "dm_conversation_id": "%d-%d" % (a, b),
              "created_at": d.get("created_at", iso(time.time())), "recipient_id": recipient}
        self.dms[did] = dm
        return dm


def token_for(kind, before_id):
    raw = ("%s:%d" % (kind, before_id)).encode()
    return base64.b32encode(raw).decode().rstrip("=").lower()


def token_parse(kind, token):
    try:
        pad = "=" * (-len(token) % 8)
        k, before = base64.b32decode(token.upper() + pad).decode().split(":")
        return int(before) if k == kind else None
    except Exception:
        return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "fake_x/1"
    sys_version = ""

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("fake_x: " + (fmt % args) + "\n")

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    # ---- plumbing -------------------------------------------------------

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def send_json(self, status, doc, headers=(), content_type=None):
        body = json.dumps(doc).encode()
        if content_type is None:
            content_type = "application/problem+json" if status >= 400 and isinstance(doc, dict) \
                and "title" in doc else "application/json; charset=utf-8"
        if self.endpoint is not None and self.command in ("GET", "POST"):
            st = self.server.state
            problems = self.server.checker.check_response(self.command, self.path, status,
                                                       {"Content-Type": content_type}, body)
            if problems:
                with st.lock:
                    st.response_problems.extend(problems)
        self.send_raw(status, body, content_type, headers)

    def send_raw(self, status, body, content_type, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.entry["status"] = status

    def dispatch(self):
        arrived = time.time()
        parts = urlsplit(self.path)
        body = self.read_body()
        self.endpoint = None
        self.entry = {"t": arrived, "method": self.command, "path": parts.path,
                      "query": dict(parse_qsl(parts.query, keep_blank_values=True)),
                      "body": body.decode("utf-8", "replace"), "status": None, "reset": None,
                      "remaining": None,
                      "auth": self.auth_kind(), "endpoint": None}
        if parts.path.startswith("/_fake/"):
            self.admin(parts.path, body)
            return
        st = self.server.state
        problems = self.server.checker.check(self.command, self.path,
                                             headers=dict(self.headers.items()), body=body)
        self.endpoint = self.classify(parts.path)
        self.entry["endpoint"] = self.endpoint
        with st.lock:
            st.requests.append(self.entry)
            st.problems.extend("%s (request %d)" % (p, len(st.requests)) for p in problems)
        if self.endpoint is None:
            self.send_json(404, {"title": "Not Found Error", "type": "about:blank",
                                 "status": 404, "detail": "no such endpoint in the fake"})
            return
        self.serve(parts, body)

    def auth_kind(self):
        auth = self.headers.get("Authorization", "")
        return auth.split(" ", 1)[0].lower() if auth else "none"

    @staticmethod
    def classify(path):
        if re.fullmatch(r"/2/users/[0-9]+/mentions", path):
            return "mentions"
        if path == "/2/tweets/search/recent":
            return "search"
        if path == "/2/dm_events":
            return "dm_events"
        if path == "/2/tweets":
            return "create_tweet"
        if re.fullmatch(r"/2/dm_conversations/with/[0-9]+/messages", path):
            return "create_dm"
        return None

    # ---- auth -------------------------------------------------------------

    def check_auth(self, body, user_only):
        """None when authorised, else (status, problem body)."""
        st = self.server.state
        cred = st.credentials
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            if user_only:
                return 403, PROBLEM_APP_ONLY
            if hmac.compare_digest(auth[7:].encode(), cred["bearer"].encode()):
                return None
            return self.auth_failed("wrong bearer token")
        if auth.startswith("OAuth "):
            why = self.verify_oauth(auth[6:], body)
            return None if why is None else self.auth_failed(why)
        return self.auth_failed("no Authorization header" if not auth else
                                "unknown scheme %r" % auth.split(" ")[0])

    def auth_failed(self, why):
        st = self.server.state
        with st.lock:
            st.auth_failures.append({"path": self.entry["path"], "why": why})
        return 401, PROBLEM_401

    def verify_oauth(self, header, body):
        st = self.server.state
        cred = st.credentials
        params = {}
        for m in re.finditer(r'\s*([A-Za-z0-9_]+)="([^"]*)"\s*(,|$)', header):
            params[unquote(m.group(1))] = unquote(m.group(2))
        required = ["oauth_consumer_key", "oauth_nonce", "oauth_signature",
                    "oauth_signature_method", "oauth_timestamp", "oauth_token", "oauth_version"]
        missing = [r for r in required if r not in params]
        if missing:
            return "OAuth header lacks %s" % ", ".join(missing)
        if params["oauth_signature_method"] != "HMAC-SHA1" or params["oauth_version"] != "1.0":
            return "OAuth method/version must be HMAC-SHA1/1.0"
        if params["oauth_consumer_key"] != cred["consumer_key"] or \
                params["oauth_token"] != cred["access_token"]:
            return "unknown consumer key or token"
        try:
            ts = int(params["oauth_timestamp"])
        except ValueError:
            return "oauth_timestamp is not a number"
        if abs(ts - time.time()) > TIMESTAMP_SKEW:
            return "oauth_timestamp is %d s off" % (ts - time.time())
        parts = urlsplit(self.path)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        pairs += [(k, v) for k, v in params.items() if k not in ("oauth_signature", "realm")]
        if "application/x-www-form-urlencoded" in self.headers.get("Content-Type", ""):
            pairs += parse_qsl(body.decode(), keep_blank_values=True)
        norm = "&".join("%s=%s" % p for p in sorted((enc(k), enc(v)) for k, v in pairs))
        host = self.headers.get("Host", "").lower()
        base = "&".join([self.command.upper(), enc("http://%s%s" % (host, parts.path)),
                         enc(norm)])
        key = "%s&%s" % (enc(cred["consumer_secret"]), enc(cred["access_token_secret"]))
        want = base64.b64encode(hmac.new(key.encode(), base.encode(),
                                         hashlib.sha1).digest()).decode()
        if not hmac.compare_digest(want, params["oauth_signature"]):
            return "OAuth signature does not verify (base string %s)" % base
        nonce = (params["oauth_consumer_key"], params["oauth_token"], params["oauth_nonce"])
        with st.lock:
            if nonce in st.nonces:
                return "OAuth nonce reused"
            st.nonces.add(nonce)
        return None

    # ---- rate limits and faults -------------------------------------------

    def budget(self, now, consume=True):
        """(allowed, headers) for one request of self.endpoint; with
        consume=False only the headers (for answers X gives before
        counting, such as 401)."""
        st = self.server.state
        with st.lock:
            limit, window = st.limits.get(self.endpoint, (450, 900))
            b = st.budgets.get(self.endpoint)
            if b is None or now >= b["reset"]:
                b = {"limit": limit, "window": window, "remaining": limit,
                     "reset": int(now) + window}
                st.budgets[self.endpoint] = b
            allowed = b["remaining"] > 0
            if allowed and consume:
                b["remaining"] -= 1
            headers = [("x-rate-limit-limit", str(b["limit"])),
                       ("x-rate-limit-remaining", str(b["remaining"])),
                       ("x-rate-limit-reset", str(b["reset"]))]
            self.entry["reset"] = b["reset"]
            self.entry["remaining"] = b["remaining"]
            return allowed, headers

    def exhaust(self, endpoint, reset_in, now):
        st = self.server.state
        with st.lock:
            limit, window = st.limits.get(endpoint, (450, 900))
            st.budgets[endpoint] = {"limit": limit, "window": window, "remaining": 0,
                                    "reset": int(now) + int(reset_in)}

    def take_fault(self):
        st = self.server.state
        with st.lock:
            for f in st.faults:
                if f["endpoint"] in (self.endpoint, "*") and f["left"] != 0:
                    if f["left"] > 0:
                        f["left"] -= 1
                    return dict(f)
        return None

    def apply_fault(self, fault, now):
        """True when the fault answered the request."""
        kind = fault.get("kind", "status")
        if kind == "stall":
            time.sleep(float(fault.get("seconds", 5)))
            return False
        if kind == "malformed":
            self.send_raw(200, b'{"data": [{"id": "1", "text": "broken', "application/json")
            return True
        if kind == "truncated":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "4096")
            self.end_headers()
            self.wfile.write(b'{"data": [{"id": "18600000000000')
            self.wfile.flush()
            self.close_connection = True
            self.entry["status"] = 200
            return True
        status = int(fault.get("status", 503))
        if status == 429:
            self.exhaust(self.endpoint, fault.get("reset_in", 2), now)
            _, headers = self.budget(now)
            self.send_json(429, PROBLEM_429, headers)
            return True
        problem = {401: PROBLEM_401, 503: PROBLEM_503}.get(status, {
            "title": fault.get("title", "Forbidden" if status == 403 else "Error"),
            "type": "about:blank", "status": status,
            "detail": fault.get("detail", "injected failure")})
        _, headers = self.budget(now)
        self.send_json(status, problem, headers)
        return True

    # ---- the API -------------------------------------------------------------

    def serve(self, parts, body):
        now = time.time()
        fault = self.take_fault()
        if fault is not None and self.apply_fault(fault, now):
            return
        user_only = self.endpoint in ("dm_events", "create_tweet", "create_dm")
        refused = self.check_auth(body, user_only)
        if refused is not None:
            _, headers = self.budget(time.time(), consume=False)
            self.send_json(refused[0], refused[1], headers)
            return
        allowed, headers = self.budget(time.time())
        if not allowed:
            self.send_json(429, PROBLEM_429, headers)
            return
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if self.endpoint == "mentions":
            self.serve_timeline(parts.path.split("/")[3], query, headers, None)
        elif self.endpoint == "search":
            self.serve_timeline(None, query, headers, Query(query.get("query", "")))
        elif self.endpoint == "dm_events":
            self.serve_dms(query, headers)
        elif self.endpoint == "create_tweet":
            self.create_tweet(body, headers)
        else:
            self.create_dm(parts.path.split("/")[4], body, headers)

    def render_user(self, uid, fields):
        u = self.server.state.users.get(uid)
        if u is None:
            return None
        out = {"id": uid, "name": u.get("name", "User %s" % uid),
               "username": u.get("username", "user%s" % uid[-4:])}
        if "public_metrics" in fields:
            out["public_metrics"] = {"followers_count": int(u.get("followers", 0)),
                                     "following_count": 10, "tweet_count": 100,
                                     "listed_count": 1, "like_count": 5}
        if "verified" in fields:
            out["verified"] = bool(u.get("verified", False))
        return out

    @staticmethod
    def fields(query, name):
        value = query.get(name, "")
        return set(value.split(",")) if value else set()

    def render_tweet(self, t, fields):
        out = {"id": t["id"], "text": t["text"], "edit_history_tweet_ids": [t["id"]]}
        refs = []
        if t.get("in_reply_to"):
            refs.append({"type": "replied_to", "id": t["in_reply_to"]})
        if t.get("retweet_of"):
            refs.append({"type": "retweeted", "id": t["retweet_of"]})
        extra = {"author_id": t["author_id"], "conversation_id": t["conversation_id"],
                 "created_at": t["created_at"], "lang": t.get("lang", "en")}
        if refs:
            extra["referenced_tweets"] = refs
        if t.get("in_reply_to"):
            parent = self.server.state.tweets.get(int(t["in_reply_to"]))
            if parent:
                extra["in_reply_to_user_id"] = parent["author_id"]
        mentions = []
        for m in re.finditer(r"(?<![A-Za-z0-9_])@([A-Za-z0-9_]{1,15})", t["text"]):
            user = next((u for u in self.server.state.users.values()
                         if u.get("username", "").lower() == m.group(1).lower()), None)
            entry = {"start": m.start(), "end": m.end(), "username": m.group(1)}
            if user:
                entry["id"] = user["id"]
            mentions.append(entry)
        if mentions:
            extra["entities"] = {"mentions": mentions}
        for k, v in extra.items():
            if k in fields:
                out[k] = v
        return out

    def page(self, items, query, kind, max_default, max_low):
        """(page items newest first, next_token or None)."""
        try:
            max_results = int(query.get("max_results", max_default))
        except ValueError:
            max_results = max_default
        max_results = max(max_low, min(100, max_results))
        since = int(query["since_id"]) if query.get("since_id", "").isdigit() else 0
        token = query.get("pagination_token") or query.get("next_token")
        before = None
        if token:
            before = token_parse(kind, token)
            if before is None:
                return None, "bad token"
        chosen = sorted((i for i in items if int(i["id"]) > since and
                         (before is None or int(i["id"]) < before)),
                        key=lambda i: int(i["id"]), reverse=True)
        page, rest = chosen[:max_results], chosen[max_results:]
        return page, token_for(kind, int(page[-1]["id"])) if rest else None

    def invalid_token(self, headers, name):
        self.send_json(400, {
            "errors": [{"parameters": {name: ["bad"]},
                        "message": "The `%s` query parameter value [bad] is not valid" % name}],
            "title": "Invalid Request", "detail": "One or more parameters to your request was "
            "invalid.", "type": "https://api.twitter.com/2/problems/invalid-request"}, headers)

    def serve_timeline(self, user_id, query, headers, search):
        st = self.server.state
        with st.lock:
            if user_id is not None and user_id not in st.users:
                self.send_json(200, {"errors": [{
                    "value": user_id, "detail": "Could not find user with id: [%s]." % user_id,
                    "title": "Not Found Error", "resource_type": "user", "parameter": "id",
                    "resource_id": user_id,
                    "type": "https://api.twitter.com/2/problems/resource-not-found"}]}, headers)
                return
            if user_id is not None:
                handle = st.users[user_id].get("username", "")
                items = [t for t in st.tweets.values() if word_in(t["text"], "@" + handle)]
            else:
                items = [t for t in st.tweets.values()
                         if search.matches(t, st.users.get(t["author_id"]))]
            page, nxt = self.page(items, query, "m" if user_id else "s", 10,
                                  5 if user_id else 10)
            if page is None:
                self.invalid_token(headers, "pagination_token" if user_id else "next_token")
                return
            tfields = self.fields(query, "tweet.fields")
            ufields = self.fields(query, "user.fields")
            doc = {"meta": {"result_count": len(page)}}
            if page:
                doc["data"] = [self.render_tweet(t, tfields) for t in page]
                doc["meta"]["newest_id"] = page[0]["id"]
                doc["meta"]["oldest_id"] = page[-1]["id"]
                if "author_id" in self.fields(query, "expansions"):
                    users = [self.render_user(uid, ufields) for uid in
                             dict.fromkeys(t["author_id"] for t in page)]
                    users = [u for u in users if u]
                    if users:
                        doc["includes"] = {"users": users}
            if nxt:
                doc["meta"]["next_token"] = nxt
        self.send_json(200, doc, headers)

    def serve_dms(self, query, headers):
        st = self.server.state
        with st.lock:
            types = self.fields(query, "event_types") or {"MessageCreate"}
            items = [d for d in st.dms.values() if d["event_type"] in types and
                     st.brand in (d["sender_id"], d["recipient_id"])]
            page, nxt = self.page(items, query, "d", 100, 1)
            if page is None:
                self.invalid_token(headers, "pagination_token")
                return
            dfields = self.fields(query, "dm_event.fields")
            ufields = self.fields(query, "user.fields")
            doc = {"meta": {"result_count": len(page)}}
            if page:
                doc["data"] = []
                for d in page:
                    out = {"id": d["id"], "event_type": d["event_type"], "text": d["text"]}
                    for k in ("sender_id", "dm_conversation_id", "created_at"):
                        if k in dfields:
                            out[k] = d[k]
                    doc["data"].append(out)
                if "sender_id" in self.fields(query, "expansions"):
                    users = [self.render_user(uid, ufields)
                             for uid in dict.fromkeys(d["sender_id"] for d in page)]
                    users = [u for u in users if u]
                    if users:
                        doc["includes"] = {"users": users}
            if nxt:
                doc["meta"]["next_token"] = nxt
        self.send_json(200, doc, headers)

    def create_tweet(self, body, headers):
        st = self.server.state
        try:
            req = json.loads(body)
        except ValueError:
            self.send_json(400, {"title": "Invalid Request", "type": "about:blank",
                                 "status": 400, "detail": "body is not JSON"}, headers)
            return
        text = req.get("text", "")
        parent = (req.get("reply") or {}).get("in_reply_to_tweet_id")
        with st.lock:
            if any(c.get("kind") == "tweet" and c["text"] == text for c in st.created):
                self.send_json(403, {"detail": "You are not allowed to create a Tweet with "
                                     "duplicate content.", "type": "about:blank",
                                     "title": "Forbidden", "status": 403}, headers)
                return
            if parent is not None and int(parent) not in st.tweets:
                self.send_json(403, {"detail": "You attempted to reply to a Tweet that is "
                                     "deleted or not visible to you.", "type": "about:blank",
                                     "title": "Forbidden", "status": 403}, headers)
                return
            tweet = st.add_tweet({"text": text, "author_id": st.brand, "in_reply_to": parent})
            st.created.append({"kind": "tweet", "id": tweet["id"], "text": text,
                               "in_reply_to": parent})
        self.send_json(201, {"data": {"id": tweet["id"], "text": text,
                                      "edit_history_tweet_ids": [tweet["id"]]}},
                       headers + self.daily_headers())

    def create_dm(self, participant, body, headers):
        st = self.server.state
        try:
            req = json.loads(body)
        except ValueError:
            req = {}
        with st.lock:
            dm = st.add_dm({"text": req.get("text", ""), "sender_id": st.brand,
                            "recipient_id": participant})
            st.created.append({"kind": "dm", "id": dm["id"], "text": dm["text"],
                               "to": participant})
        self.send_json(201, {"data": {"dm_conversation_id": dm["dm_conversation_id"],
                                      "dm_event_id": dm["id"]}},
                       headers + self.daily_headers())

    @staticmethod
    def daily_headers():
        reset = str(int(time.time()) + 86400)
        return [("x-user-limit-24hour-limit", "100"), ("x-user-limit-24hour-remaining", "99"),
                ("x-user-limit-24hour-reset", reset), ("x-app-limit-24hour-limit", "10000"),
                ("x-app-limit-24hour-remaining", "9999"), ("x-app-limit-24hour-reset", reset)]

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
                out = {"tweets": sorted(st.tweets.values(), key=lambda t: int(t["id"])),
                       "dms": sorted(st.dms.values(), key=lambda d: int(d["id"])),
                       "created": list(st.created), "auth_failures": list(st.auth_failures),
                       "budgets": dict(st.budgets), "next_id": st.next_id}
            elif path == "/_fake/setup" and self.command == "POST":
                st.setup(doc)
                out = {"ok": True, "next_id": st.next_id}
            elif path == "/_fake/faults" and self.command == "POST":
                if doc.get("clear"):
                    st.faults = []
                else:
                    f = dict(doc)
                    f["left"] = int(doc.get("times", 1)) or -1
                    st.faults.append(f)
                out = {"ok": True}
            elif path == "/_fake/exhaust" and self.command == "POST":
                out = None
            else:
                self.send_raw(404, b'{"error": "no such admin route"}', "application/json")
                return
        if path == "/_fake/exhaust":
            self.exhaust(doc["endpoint"], doc.get("reset_in", 2), time.time())
            out = {"ok": True}
        self.send_raw(200, json.dumps(out).encode(), "application/json")


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
    server.checker = load_checker(args.spec, "fake_x.py")
    server.verbose = args.verbose
    if args.fixture:
        with open(args.fixture) as f:
            server.state.setup(json.load(f))

    return serve(server, args.port_file)


if __name__ == "__main__":
    sys.exit(main())
