#!/usr/bin/python3
"""fake_yelp.py - a loopback stand-in for Yelp's Places (Fusion) reviews
read, the Leads API and the Respond-to-Reviews (R2R) partner API, for the
yelp plugin's integration tests. One port serves both of Yelp's hosts
(api.yelp.com and partner-api.yelp.com): a test points base_url and
partner_base_url at it.

Yelp publishes no OpenAPI document for these endpoints, so they are
described by hand in yelp.openapi.yaml beside this file (from the facts in
../shared/api-notes/NETWORKS.md section 3), and every request is checked
against it (openapi_check.py); a request outside it gets VALIDATION_ERROR
and is listed at GET /_fake/problems. The fake's answers are checked too
(GET /_fake/response_problems).

  GET  /v3/businesses/{id}/reviews   the newest `excerpts` reviews (3, as
                                     the standard plan), API key
  GET  /v3/businesses/{id}/lead_ids  lead ids, newest first, biz-user token
  GET  /v3/leads/{id}/events         oldest first; limit keeps the latest;
                                     newer_than_cursor honoured
  POST /v3/leads/{id}/events         {"request_content", "request_type":
                                     "TEXT"} -> 201
  POST /reviews/v1/{review_id}       R2R {"response_text", "response_type":
                                     "public_comment"}, biz-user token

Strict where Yelp is strict:
  - Authorization: Bearer <api_key> for reviews (else 401 TOKEN_INVALID),
    Bearer <partner_token> for leads (401 TOKEN_INVALID) and R2R (401
    INVALID_TOKEN);
  - R2R: an unknown review -> R2R_REVIEW_DOES_NOT_EXIST, more than
    `comment_quota` (20) comments a day -> R2R_COMMENT_QUOTA_EXCEEDED,
    emoji or more than 5,000 characters -> VALIDATION_ERROR;
  - every Places answer carries RateLimit-DailyLimit, -Remaining,
    -ResourceDailyLimit, -ResourceRemaining and -ResetTime (the next
    midnight UTC); `daily` {"limit", "remaining", "reset_in"?} sets the
    count, and a call with none left is refused 429 ACCESS_LIMIT_REACHED.
    With "reset_in" (seconds) the day instead ends that many whole seconds
    from now: ResetTime announces it (GET /_fake/state "reset_at", Unix
    seconds) and the first call at or after it finds the count back at
    "limit" (then the day ends at midnight again);
  - errors on demand: POST /_fake/faults {"endpoint", "code", "status"?,
    "times"? (default 1; 0 = until cleared)} answers the code in Yelp's
    shape for that host ({"error": {"code", "description"}} or, for R2R,
    {"error": {"id", "description", "http_code"}}); {"clear": true} removes
    them. Codes: TOO_MANY_REQUESTS_PER_SECOND, ACCESS_LIMIT_REACHED,
    TOKEN_INVALID, UNAUTHORIZED_API_KEY, INVALID_TOKEN,
    R2R_REVIEW_DOES_NOT_EXIST, R2R_PERMISSION_DENIED,
    R2R_COMMENT_QUOTA_EXCEEDED (any other code answers 400).

Fixture (JSON; POST /_fake/setup merges the same object):
  {"business": "acme-sf", "api_key": "...", "partner_token": "...",
   "excerpts": 3, "comment_quota": 20, "daily": {"limit", "remaining"},
   "reviews": [{"id", "text", "rating", "time_created": "YYYY-MM-DD HH:MM:SS"
                (Pacific), "user": {"id", "name"}}],
   "leads": {"<lead id>": [{"id"?, "text", "user_type"?: "CONSUMER",
                            "user_display_name"?, "time_created"?}]}}
Endpoints are named reviews, lead_ids, lead_events, write_lead_event,
respond.

Admin routes: GET /_fake/requests, /_fake/problems, /_fake/response_problems,
/_fake/state; POST /_fake/setup, /_fake/faults.

Usage: fake_yelp.py [--port 0] [--port-file FILE] [--fixture FILE.json]
"""

import argparse
import json
import os
import re
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakeserve import serve  # noqa: E402
from openapi_check import OpenApiChecker  # noqa: E402

SPEC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "yelp.openapi.yaml")
STATUS = {"TOO_MANY_REQUESTS_PER_SECOND": 429, "ACCESS_LIMIT_REACHED": 429,
          "TOKEN_INVALID": 401, "UNAUTHORIZED_API_KEY": 401, "INVALID_TOKEN": 401,
          "R2R_REVIEW_DOES_NOT_EXIST": 400, "R2R_PERMISSION_DENIED": 403,
          "R2R_COMMENT_QUOTA_EXCEEDED": 400, "BUSINESS_NOT_FOUND": 404,
          "VALIDATION_ERROR": 400}
NAMES = {"businessReviews": "reviews", "leadIds": "lead_ids", "leadEvents": "lead_events",
         "writeLeadEvent": "write_lead_event", "respondToReview": "respond"}
# Emoji as the R2R reference refuses them: pictographs, dingbats, flags,
# variation selector 16, keycaps' enclosing mark.
EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u20E3\u2B50\u2B55"
                   "\u231A\u231B\u23E9-\u23FA]")


def next_midnight_utc():
    now = datetime.now(timezone.utc)
    return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.business = "acme-sf"
        self.api_key = "yelp-api-key"
        self.partner_token = "yelp-partner-token"
        self.excerpts = 3
        self.comment_quota = 20
        self.daily = {"limit": 300, "remaining": 300}
        self.reset_at = None  # Unix seconds the day ends; None: next midnight UTC
        self.reviews, self.leads = {}, {}
        self.created, self.requests, self.problems, self.response_problems = [], [], [], []
        self.auth_failures, self.faults = [], []
        self.comments_today = 0
        self.next_id = 100

    def new_id(self, prefix):
        self.next_id += 1
        return "%s%d" % (prefix, self.next_id)

    def setup(self, fx):
        for key in ("business", "api_key", "partner_token", "excerpts", "comment_quota",
                    "daily"):
            if key in fx:
                setattr(self, key, fx[key])
        if "reset_in" in self.daily:
            self.daily = dict(self.daily)
            self.reset_at = int(time.time()) + 1 + int(self.daily.pop("reset_in"))
        for r in fx.get("reviews", []):
            self.reviews[r["id"]] = dict(r)
        for lead, events in fx.get("leads", {}).items():
            for e in events:
                self.add_event(lead, e)

    def add_event(self, lead, e):
        evs = self.leads.setdefault(lead, [])
        eid = e.get("id") or self.new_id("ev")
        ev = {"id": eid, "cursor": "c-" + eid, "event_type": "TEXT",
              "user_type": e.get("user_type", "CONSUMER"),
              "user_display_name": e.get("user_display_name", "Dee K."),
              "time_created": e.get("time_created") or
              datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00"),
              "event_content": {"text": e["text"], "fallback_text": e["text"]}}
        evs.append(ev)
        return ev


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake_yelp/1"
    sys_version = ""

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_GET

    # ---- plumbing -------------------------------------------------------

    def send_json(self, status, doc, headers=()):
        body = json.dumps(doc).encode()
        ct = "application/json"
        if self.endpoint is not None:
            probs = self.server.checker.check_response(self.command, self.path, status,
                                                       {"Content-Type": ct}, body)
            if probs:
                self.server.state.response_problems.extend(probs)
        self.send_response(status)
        self.send_header("Content-Type", ct)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.entry["status"] = status

    def rate_headers(self):
        st = self.server.state
        if self.endpoint != "reviews":
            return []
        d = st.daily
        when = (datetime.fromtimestamp(st.reset_at, timezone.utc) if st.reset_at is not None
                else next_midnight_utc())
        reset = when.strftime("%Y-%m-%dT%H:%M:%S+00:00")
        return [("RateLimit-DailyLimit", str(d["limit"])),
                ("RateLimit-Remaining", str(d["remaining"])),
                ("RateLimit-ResourceDailyLimit", str(d["limit"])),
                ("RateLimit-ResourceRemaining", str(d["remaining"])),
                ("RateLimit-ResetTime", reset)]

    def yelp_error(self, code, description=None, status=None):
        status = status or STATUS.get(code, 400)
        description = description or "%s (fake on demand)" % code
        if self.endpoint == "respond":
            doc = {"error": {"id": code, "description": description, "http_code": str(status)}}
        else:
            doc = {"error": {"code": code, "description": description}}
        self.entry["error"] = code
        self.send_json(status, doc, self.rate_headers())

    def dispatch(self):
        parts = urlsplit(self.path)
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n > 0 else b""
        self.endpoint = None
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        self.entry = {"t": time.time(), "method": self.command, "path": parts.path,
                      "query": query, "body": body.decode("utf-8", "replace"), "status": None,
                      "endpoint": None, "error": None}
        if parts.path.startswith("/_fake/"):
            self.admin(parts.path, body)
            return
        st = self.server.state
        problems = self.server.checker.check(self.command, self.path,
                                             headers=dict(self.headers.items()), body=body)
        m = self.server.checker.find(self.command, parts.path)
        self.endpoint = NAMES.get(m.operation.get("operationId")) if m else None
        self.entry["endpoint"] = self.endpoint
        with st.lock:
            st.requests.append(self.entry)
            st.problems.extend("%s (request %d)" % (p, len(st.requests)) for p in problems)
            if self.endpoint is None:
                return self.yelp_error("NOT_FOUND", "no such endpoint in the fake", 404)
            if problems:
                return self.yelp_error("VALIDATION_ERROR", problems[0])
            if self.auth_failed():
                return
            if self.fault():
                return
            if self.endpoint == "reviews":
                if st.reset_at is not None and self.entry["t"] >= st.reset_at:
                    st.daily["remaining"], st.reset_at = st.daily["limit"], None
                if st.daily["remaining"] <= 0:
                    return self.yelp_error("ACCESS_LIMIT_REACHED",
                                           "You've reached the access limit for this client.")
                st.daily["remaining"] -= 1
            getattr(self, "serve_" + self.endpoint)(m.path_params, query, body)

    def auth_failed(self):
        st = self.server.state
        want = st.api_key if self.endpoint == "reviews" else st.partner_token
        got = self.headers.get("Authorization", "")
        if want is not None and got == "Bearer " + want:
            return False
        st.auth_failures.append({"endpoint": self.endpoint})
        if self.endpoint == "respond":
            self.yelp_error("INVALID_TOKEN", "The access token provided is not valid.")
        else:
            self.yelp_error("TOKEN_INVALID", "Invalid access token or authorization header.")
        return True

    def fault(self):
        st = self.server.state
        for f in st.faults:
            if f["endpoint"] == self.endpoint:
                times = f.get("times", 1)
                if times > 0:
                    f["times"] = times - 1
                    if f["times"] == 0:
                        st.faults.remove(f)
                break
        else:
            return False
        if f["code"] == "ACCESS_LIMIT_REACHED":
            st.daily["remaining"] = 0
        self.yelp_error(f["code"], f.get("description"), f.get("status"))
        return True

    # ---- endpoints ----------------------------------------------------------

    def serve_reviews(self, params, query, body):
        st = self.server.state
        if params["business_id"] != st.business:
            return self.yelp_error("BUSINESS_NOT_FOUND",
                                   "The requested business could not be found.")
        newest = sorted(st.reviews.values(), key=lambda r: r["time_created"], reverse=True)
        limit = min(int(query.get("limit", 20)), st.excerpts)
        offset = int(query.get("offset", 0))
        chunk = newest[offset:offset + limit]
        out = [{"id": r["id"], "url": "https://www.yelp.com/biz/%s?hrid=%s" % (st.business,
                                                                              r["id"]),
                "text": r["text"], "rating": r["rating"], "time_created": r["time_created"],
                "user": dict({"profile_url": "https://www.yelp.com/user_details?userid=%s"
                              % r["user"]["id"], "image_url": None}, **r["user"])}
               for r in chunk]
        self.send_json(200, {"reviews": out, "total": len(st.reviews),
                             "possible_languages": ["en"]}, self.rate_headers())

    def serve_lead_ids(self, params, query, body):
        st = self.server.state
        if params["business_id"] != st.business:
            return self.yelp_error("BUSINESS_NOT_FOUND",
                                   "The requested business could not be found.")
        ids = list(reversed(list(st.leads)))
        offset, limit = int(query.get("offset", 0)), int(query.get("limit", 20))
        self.send_json(200, {"lead_ids": ids[offset:offset + limit],
                             "has_more": offset + limit < len(ids)})

    def serve_lead_events(self, params, query, body):
        st = self.server.state
        evs = st.leads.get(params["lead_id"])
        if evs is None:
            return self.yelp_error("NOT_FOUND", "Lead not found", 404)
        if "newer_than_cursor" in query:
            idx = next((i for i, e in enumerate(evs)
                        if e["cursor"] == query["newer_than_cursor"]), None)
            if idx is None:
                return self.yelp_error("VALIDATION_ERROR", "Unknown cursor")
            evs = evs[idx + 1:]
        limit = int(query.get("limit", 20))
        if "newer_than_cursor" in query:
            evs = evs[:limit]  # directly following the cursor
        else:
            evs = evs[-limit:]  # the latest
        self.send_json(200, {"events": evs})

    def serve_write_lead_event(self, params, query, body):
        st = self.server.state
        lead = params["lead_id"]
        if lead not in st.leads:
            return self.yelp_error("NOT_FOUND", "Lead not found", 404)
        doc = json.loads(body)
        ev = st.add_event(lead, {"text": doc["request_content"], "user_type": "BIZ",
                                 "user_display_name": "Acme"})
        st.created.append({"kind": "lead_message", "lead": lead, "id": ev["id"],
                           "text": doc["request_content"]})
        self.send_json(201, {})

    def serve_respond(self, params, query, body):
        st = self.server.state
        review = params["review_id"]
        doc = json.loads(body)
        text = doc["response_text"]
        if review not in st.reviews:
            return self.yelp_error("R2R_REVIEW_DOES_NOT_EXIST",
                                   "The review %s does not exist." % review)
        if EMOJI.search(text):
            return self.yelp_error("VALIDATION_ERROR", "Emoji are not allowed in responses.")
        if st.comments_today >= st.comment_quota:
            return self.yelp_error("R2R_COMMENT_QUOTA_EXCEEDED",
                                   "The daily comment quota for this location is spent.")
        st.comments_today += 1
        st.created.append({"kind": "public_comment", "review": review, "text": text})
        self.send_json(200, {})

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
                       "faults": st.faults, "daily": st.daily, "reset_at": st.reset_at,
                       "comments_today": st.comments_today}
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
