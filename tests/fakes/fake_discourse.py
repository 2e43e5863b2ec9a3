#!/usr/bin/python3
"""fake_discourse.py - a small Discourse forum for the forum plugin's tests.

It serves the parts of the Discourse JSON API the plugin uses, with the
response shapes a real forum sends (field for field as far as the plugin's
tests can tell), checks the credentials, pages the way Discourse pages,
enforces a per-key rate-limit budget, and misbehaves on request. Every API
request is also checked against Discourse's published OpenAPI document
(tests/fakes/openapi_check.py); a test asserts the list of problems stays
empty, so a request the real forum would refuse fails the test.

Standard library plus python3-jsonschema (through openapi_check). Threaded;
HTTP/1.1 keep-alive. Where the published document and the real forum
disagree, the fake sends what the forum sends: reply_to_post_number is an
integer (the document types it "string").

Usage:
    fake_discourse.py [--host 127.0.0.1] [--port 0] [--port-file FILE]
                      [--spec openapi.json] [--api-key KEY] [--verbose]

With --port 0 the kernel picks the port; it is printed on stdout and, with
--port-file, written to FILE atomically (via a rename). The spec defaults
to <repo>/../shared/api-specs/discourse/openapi.json. SIGTERM stops it.

The forum starts with users "system" (id -1, admin), "acme_support"
(id 2, admin: the brand) and "ann" (id 10), "bob" (id 11), one category
(id 4, "support"), no topics. Ids: topics from 400, posts from 9000,
notifications from 700.

API (Api-Key + Api-Username required on every call; a wrong key or an
unknown user gets 403 invalid_access as Discourse answers):
  GET  /posts.json[?before=ID]      latest public posts, newest first,
                                    page_size (default 50) per page
  GET  /posts/{id}.json             one post (with raw)
  POST /posts.json                  create: a reply {topic_id, raw,
                                    reply_to_post_number?}, a new PM {title,
                                    raw, target_recipients, archetype:
                                    "private_message"} or a topic {title, raw,
                                    category?}; 422 for a body too short
                                    (20 characters, 10 in PMs) or an unknown
                                    recipient
  GET  /notifications.json          the Api-Username user's notifications,
                                    newest first, notifications_page_size
                                    (60, as Discourse) per page, with
                                    load_more_notifications: the link to the
                                    next page, "/notifications?offset=N&
                                    username=U" as Discourse sends it
  GET  /notifications?offset=N&username=U
                                    that next page, served only as a link the
                                    fake handed out (see below)
  GET  /topics/private-messages/{username}.json
                                    that user's PM topics, most recently
                                    bumped first, the first 30 (per_page)
                                    only: the published document gives the
                                    list no way to a next page (no page
                                    parameter, no more_topics_url), so the
                                    fake offers none (only the user or an
                                    admin)
  GET  /t/{id}.json                 a topic: first chunk_size (20) posts and
                                    the stream of all ids; a PM only for its
                                    participants and admins
Links: the published document declares no parameter of GET
/notifications.json; its way to the next page is the response field
load_more_notifications, a link the client follows as given. A request for
exactly a link the fake handed out is therefore checked against the
operation that documented the link (GET /notifications.json), without the
link's own query; anything else (a client that builds ?offset= itself, or
changes the link) is checked as sent and so refused.

Rate limit: with a budget {limit, window} (seconds), each API key may make
`limit` calls per window; then 429 with Retry-After, Discourse's
rate-limit headers and JSON body until the window ends. A request that
arrives before the time a 429 named is marked "early" in the log.

Test controls (no auth, never checked against the spec):
  GET  /_fake/health                 200 {"ok": true}
  POST /_fake/topic {title, username, raw, category_id?, private_to?: [..],
                     created_at?}    a new topic (a PM with private_to) with
                                     its first post -> {topic_id, post_id}
  POST /_fake/post {topic_id, username, raw, reply_to_post_number?,
                    post_type?, created_at?}
                                     a new post -> {post_id, post_number}
  POST /_fake/config {page_size?, chunk_size?, notifications_page_size?,
                      budget?: {limit, window} | null}
  POST /_fake/fault {mode, count?, match?, retry_after?}
                                     the next `count` (1) API requests whose
                                     path contains `match` fail: mode "503",
                                     "500", "401", "429", "malformed" (200
                                     with broken JSON), "truncated" (200 whose
                                     body stops short of its Content-Length)
  DELETE /_fake/post/{id}            mark a post deleted
  GET  /_fake/log[?since=N]          {"requests": [{n, t, method, path,
                                     status, username, early}, ...]}
  GET  /_fake/problems               {"problems": [...]}: OpenAPI violations
  GET  /_fake/posts                  every post as stored (with raw)
  GET  /_fake/webhook/{post_id}      {"event", "headers", "body"}: the exact
                                     post_created delivery a Discourse
                                     webhook would send for the post
"""

import argparse
import datetime
import html
import json
import math
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakeserve import load_checker, serve  # noqa: E402

DEFAULT_SPEC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                            "shared", "api-specs", "discourse", "openapi.json")
DEFAULT_KEY = "test-api-key"
LOG_LIMIT = 100000

NOTIFY_MENTIONED = 1
NOTIFY_REPLIED = 2
NOTIFY_PRIVATE_MESSAGE = 6


def now_iso(t=None):
    t = time.time() if t is None else t
    d = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (d.microsecond // 1000)


def slugify(title):
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return slug or "topic"


def cook(raw):
    """Markdown-ish raw -> the HTML Discourse would render, enough for
    tests: paragraphs, line breaks, @mentions as links, HTML escaped."""
    paragraphs = [p for p in re.split(r"\n\s*\n", raw.strip()) if p.strip()]
    out = []
    for p in paragraphs:
        text = html.escape(p, quote=False).replace("\n", "<br>\n")
        text = re.sub(r"(?<![\w@])@([\w.-]*\w)",
                      lambda m: '<a class="mention" href="/u/%s">@%s</a>' % (
                          m.group(1).lower(), m.group(1)), text)
        out.append("<p>%s</p>" % text)
    return "\n".join(out)


class Forum:
    """The forum's content and the fake's own bookkeeping, behind a lock."""

    def __init__(self, api_key):
        self.lock = threading.RLock()
        self.api_keys = {api_key: None}  # key -> None (all users) or username
        self.users = {}
        for uid, name, display, admin in ((-1, "system", "system", True),
                                          (2, "acme_support", "Acme Support", True),
                                          (10, "ann", "Ann Smith", False),
                                          (11, "bob", "Bob Jones", False)):
            self.users[name.lower()] = {"id": uid, "username": name, "name": display,
                                        "admin": admin}
        self.categories = {4: "support"}
        self.topics = {}
        self.posts = {}
        self.notifications = []
        self.next_topic = 400
        self.next_post = 9000
        self.next_notification = 700
        self.page_size = 50
        self.notifications_page_size = 60  # Discourse's NotificationsController limit
        self.links = set()  # load_more_notifications links handed out
        self.chunk_size = 20
        self.budget = None  # {"limit": n, "window": seconds}
        self.windows = {}   # key -> [window start, calls]
        self.blocked_until = {}  # key -> time the last 429 allowed the next call
        self.faults = []
        self.log = []
        self.count = 0
        self.problems = []

    # ---- content ------------------------------------------------------

    def user(self, username):
        u = self.users.get((username or "").lower())
        if u is None:
            raise ValueError("no such user %r" % username)
        return u

    def add_topic(self, title, username, raw, category_id=4, private_to=None, created_at=None):
        with self.lock:
            author = self.user(username)
            tid = self.next_topic
            self.next_topic += 1
            allowed = None
            if private_to is not None:
                allowed = [author["username"]] + [self.user(u)["username"] for u in private_to]
            self.topics[tid] = {
                "id": tid, "title": title, "slug": slugify(title),
                "archetype": "private_message" if allowed else "regular",
                "category_id": None if allowed else category_id,
                "user_id": author["id"], "allowed": allowed, "posts": [],
                "created_at": created_at or now_iso(), "bumped_at": created_at or now_iso(),
            }
            post = self.add_post(tid, username, raw, created_at=created_at)
            return {"topic_id": tid, "post_id": post["id"]}

    def add_post(self, topic_id, username, raw, reply_to_post_number=None, post_type=1,
                 created_at=None):
        with self.lock:
            topic = self.topics[topic_id]
            author = self.user(username)
            pid = self.next_post
            self.next_post += 1
            post = {
                "id": pid, "topic_id": topic_id, "post_number": len(topic["posts"]) + 1,
                "user_id": author["id"], "username": author["username"], "name": author["name"],
                "raw": raw, "cooked": cook(raw), "post_type": post_type,
                "reply_to_post_number": reply_to_post_number,
                "created_at": created_at or now_iso(), "deleted_at": None,
            }
            self.posts[pid] = post
            topic["posts"].append(pid)
            topic["bumped_at"] = post["created_at"]
            self._notify(topic, post)
            return post

    def _notify(self, topic, post):
        """The notifications Discourse would create for a new post."""
        if post["post_type"] != 1:
            return
        targets = {}
        if topic["allowed"]:
            for name in topic["allowed"]:
                if name.lower() != post["username"].lower():
                    targets[name.lower()] = NOTIFY_PRIVATE_MESSAGE
        else:
            if post["reply_to_post_number"]:
                parent = self.post_by_number(topic, post["reply_to_post_number"])
                if parent and parent["username"].lower() != post["username"].lower():
                    targets[parent["username"].lower()] = NOTIFY_REPLIED
            for m in re.finditer(r"(?<![\w@])@([\w.-]*\w)", post["raw"]):
                name = m.group(1).lower()
                if name in self.users and name != post["username"].lower():
                    targets[name] = NOTIFY_MENTIONED
        for name, kind in targets.items():
            self.notifications.append({
                "id": self.next_notification, "user": name, "notification_type": kind,
                "read": False, "created_at": post["created_at"], "post_number": post["post_number"],
                "topic_id": topic["id"], "slug": topic["slug"],
                "data": {"topic_title": topic["title"], "original_post_id": post["id"],
                         "original_post_type": 1, "original_username": post["username"],
                         "revision_number": None, "display_username": post["username"]},
            })
            self.next_notification += 1

    def post_by_number(self, topic, number):
        for pid in topic["posts"]:
            if self.posts[pid]["post_number"] == number:
                return self.posts[pid]
        return None

    def visible_topic(self, topic, user):
        if topic["allowed"] is None:
            return True
        return user["admin"] or user["username"].lower() in [a.lower() for a in topic["allowed"]]

    # ---- shapes -------------------------------------------------------

    def post_json(self, post, flavour, viewer):
        """A post as Discourse serialises it. flavour: latest (posts.json),
        topic (/t/{id}.json), single (/posts/{id}.json), created (POST
        /posts.json), webhook (the post_created payload)."""
        topic = self.topics[post["topic_id"]]
        author = self.user(post["username"])
        p = {
            "id": post["id"], "name": post["name"], "username": post["username"],
            "avatar_template": "/letter_avatar_proxy/v4/letter/%s/{size}.png" %
                               post["username"][0].lower(),
            "created_at": post["created_at"], "cooked": post["cooked"],
            "post_number": post["post_number"], "post_type": post["post_type"],
            "posts_count": len(topic["posts"]),
            "updated_at": post["created_at"], "reply_count": 0,
            "reply_to_post_number": post["reply_to_post_number"],
            "quote_count": 0, "incoming_link_count": 0, "reads": 1, "readers_count": 0,
            "score": 0.2, "yours": viewer is not None and viewer["id"] == post["user_id"],
            "topic_id": topic["id"], "topic_slug": topic["slug"],
            "display_username": post["name"], "primary_group_name": None, "flair_name": None,
            "flair_url": None, "flair_bg_color": None, "flair_color": None,
            "flair_group_id": None, "badges_granted": [], "version": 1, "can_edit": True,
            "can_delete": True, "can_recover": False, "can_see_hidden_post": True,
            "can_wiki": True, "user_title": None, "bookmarked": False,
            "actions_summary": [{"id": 2, "can_act": True}], "moderator": False,
            "admin": author["admin"], "staff": author["admin"], "user_id": post["user_id"],
            "hidden": False, "trust_level": 1, "deleted_at": post["deleted_at"],
            "user_deleted": False, "edit_reason": None, "can_view_edit_history": True,
            "wiki": False, "reviewable_id": None, "reviewable_score_count": 0,
            "reviewable_score_pending_count": 0,
            "post_url": "/t/%s/%d/%d" % (topic["slug"], topic["id"], post["post_number"]),
        }
        if flavour == "latest":
            p.update({"topic_title": topic["title"], "topic_html_title": html.escape(topic["title"]),
                      "category_id": topic["category_id"], "raw": post["raw"],
                      "excerpt": html.escape(post["raw"][:100]), "truncated": len(post["raw"]) > 100})
        elif flavour == "topic":
            for k in ("posts_count", "badges_granted", "flair_group_id", "post_url"):
                del p[k]
            p.update({"link_counts": [], "read": True, "reviewable_id": 0})
        elif flavour == "single":
            p["raw"] = post["raw"]
            p["mentioned_users"] = []
        elif flavour == "created":
            p.update({"raw": post["raw"], "draft_sequence": 1, "mentioned_users": [],
                      "post_localizations": []})
        elif flavour == "webhook":
            for k in ("can_edit", "can_delete", "can_recover", "can_see_hidden_post",
                      "can_wiki", "yours", "actions_summary", "badges_granted", "post_url",
                      "can_view_edit_history", "bookmarked"):
                p.pop(k, None)
            p.update({"raw": post["raw"], "topic_title": topic["title"],
                      "category_id": topic["category_id"],
                      "category_slug": self.categories.get(topic["category_id"]),
                      "topic_posts_count": len(topic["posts"]),
                      "topic_filtered_posts_count": len(topic["posts"]),
                      "topic_archetype": topic["archetype"]})
        return p

    def user_json(self, user_id):
        for u in self.users.values():
            if u["id"] == user_id:
                return {"id": u["id"], "username": u["username"], "name": u["name"],
                        "avatar_template": "/letter_avatar_proxy/v4/letter/%s/{size}.png" %
                                           u["username"][0].lower()}
        return {"id": user_id, "username": "unknown", "name": None, "avatar_template": ""}

    def topic_list_item(self, topic):
        posts = [self.posts[pid] for pid in topic["posts"]]
        last = posts[-1]
        return {
            "id": topic["id"], "title": topic["title"], "fancy_title": html.escape(topic["title"]),
            "slug": topic["slug"], "posts_count": len(posts), "reply_count": len(posts) - 1,
            "highest_post_number": last["post_number"], "image_url": None,
            "created_at": topic["created_at"], "last_posted_at": last["created_at"],
            "bumped": True, "bumped_at": topic["bumped_at"], "archetype": topic["archetype"],
            "unseen": False, "last_read_post_number": 1, "unread_posts": 0, "pinned": False,
            "unpinned": None, "visible": True, "closed": False, "archived": False,
            "notification_level": 3, "bookmarked": False, "liked": False, "views": 1,
            "like_count": 0, "has_summary": False, "last_poster_username": last["username"],
            "category_id": None, "pinned_globally": False, "featured_link": None,
            "allowed_user_count": len(topic["allowed"] or []),
            "posters": [{"extras": "latest single", "description": "Original Poster",
                         "user_id": topic["user_id"], "primary_group_id": None}],
            "participants": [{"extras": "", "description": None,
                              "user_id": self.user(a)["id"], "primary_group_id": None}
                             for a in (topic["allowed"] or [])],
        }

    def topic_json(self, topic, viewer):
        posts = [self.posts[pid] for pid in topic["posts"]
                 if self.posts[pid]["deleted_at"] is None]
        first, last = self.posts[topic["posts"][0]], self.posts[topic["posts"][-1]]
        creator, poster = self.user_json(first["user_id"]), self.user_json(last["user_id"])
        return {
            "post_stream": {
                "posts": [self.post_json(p, "topic", viewer) for p in posts[:self.chunk_size]],
                "stream": [p["id"] for p in posts],
            },
            "timeline_lookup": [[1, 0]], "suggested_topics": [], "tags": [],
            "tags_descriptions": {}, "id": topic["id"], "title": topic["title"],
            "fancy_title": html.escape(topic["title"]), "posts_count": len(posts),
            "created_at": topic["created_at"], "views": 1, "reply_count": len(posts) - 1,
            "like_count": 0, "last_posted_at": last["created_at"], "visible": True,
            "closed": False, "archived": False, "has_summary": False,
            "archetype": topic["archetype"], "slug": topic["slug"],
            "category_id": topic["category_id"] or 0, "word_count": None, "deleted_at": None,
            "user_id": topic["user_id"], "featured_link": None, "pinned_globally": False,
            "pinned_at": None, "pinned_until": None, "image_url": None,
            "slow_mode_seconds": 0, "draft": None, "draft_key": "topic_%d" % topic["id"],
            "draft_sequence": 0, "unpinned": None, "pinned": False, "current_post_number": 1,
            "highest_post_number": last["post_number"], "deleted_by": None,
            "has_deleted": False, "actions_summary": [], "chunk_size": self.chunk_size,
            "bookmarked": False, "bookmarks": [], "topic_timer": None,
            "message_bus_last_id": 0, "participant_count": 1, "show_read_indicator": False,
            "thumbnails": None, "slow_mode_enabled_until": None,
            "details": {
                "can_edit": True, "notification_level": 3, "can_move_posts": True,
                "can_delete": True, "can_remove_allowed_users": True, "can_create_post": True,
                "can_reply_as_new_topic": True, "can_convert_topic": True,
                "can_review_topic": True, "can_close_topic": True, "can_archive_topic": True,
                "can_split_merge_topic": True, "can_edit_staff_notes": True,
                "can_toggle_topic_visibility": True, "can_pin_unpin_topic": True,
                "can_moderate_category": True, "can_remove_self_id": viewer["id"],
                "participants": [], "created_by": creator, "last_poster": poster,
            },
        }


def errors_body(messages, error_type=None, **extra):
    body = {"errors": messages}
    if error_type:
        body["error_type"] = error_type
    body.update(extra)
    return body


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "fake_discourse/1"
    sys_version = ""

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("fake-discourse: " + (fmt % args) + "\n")

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_GET

    @property
    def forum(self):
        return self.server.forum

    def read_body(self):
        length = self.headers.get("Content-Length")
        try:
            n = int(length) if length is not None else 0
        except ValueError:
            n = 0
        return self.rfile.read(n) if n > 0 else b""

    def send(self, status, body, content_type="application/json; charset=utf-8", headers=()):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def dispatch(self):
        arrived = time.time()
        parts = urlsplit(self.path)
        body = self.read_body()
        if parts.path.startswith("/_fake/"):
            self.control(parts.path, parse_qs(parts.query), body)
            return
        forum = self.forum
        checked = self.path
        with forum.lock:
            followed = self.command == "GET" and self.path in forum.links
        if followed:
            checked = "/notifications.json"  # the operation that documented the link
        problems = self.server.checker.check(self.command, checked,
                                             headers=list(self.headers.items()), body=body)
        entry = {"t": arrived, "method": self.command, "path": self.path,
                 "username": self.headers.get("Api-Username"), "early": False}
        with forum.lock:
            forum.count += 1
            entry["n"] = forum.count
            forum.log.append(entry)
            if len(forum.log) > LOG_LIMIT:
                del forum.log[:len(forum.log) - LOG_LIMIT]
            forum.problems += ["%s %s: %s" % (self.command, self.path, p) for p in problems]
        status = self.api(parts.path, parse_qs(parts.query), body, entry, arrived, followed)
        entry["status"] = status

    # ---- the API -------------------------------------------------------

    def api(self, path, query, body, entry, arrived, followed=False):
        forum = self.forum
        key = self.headers.get("Api-Key")
        with forum.lock:
            if key not in forum.api_keys:
                return self.refuse_credentials()
            try:
                viewer = forum.user(self.headers.get("Api-Username"))
            except ValueError:
                return self.refuse_credentials()
            scoped = forum.api_keys[key]
            if scoped is not None and scoped.lower() != viewer["username"].lower():
                return self.refuse_credentials()
            blocked = forum.blocked_until.get(key, 0)
            if arrived < blocked:
                entry["early"] = True
            fault = self.take_fault(path)
            limited = self.spend_budget(key, arrived)
        if limited is not None:
            return self.too_many(key, limited, arrived)
        if fault is not None:
            return self.fail(fault)
        method = self.command
        try:
            m = re.fullmatch(r"/posts/(\d+)\.json", path)
            if method == "GET" and path == "/posts.json":
                return self.list_posts(query, viewer)
            if method == "POST" and path == "/posts.json":
                return self.create_post(body, viewer)
            if method == "GET" and m:
                return self.get_post(int(m.group(1)), viewer)
            if method == "GET" and path == "/notifications.json" and not query:
                return self.list_notifications(viewer, 0)
            if method == "GET" and followed:
                if query.get("username", [""])[0].lower() != viewer["username"].lower():
                    self.send(403, errors_body(["You are not permitted to view the requested "
                                                "resource."], "invalid_access"))
                    return 403
                return self.list_notifications(viewer, int(query["offset"][0]))
            m = re.fullmatch(r"/topics/private-messages/([^/]+)\.json", path)
            if method == "GET" and m:
                return self.list_private(unquote(m.group(1)), viewer)
            m = re.fullmatch(r"/t/(\d+)\.json", path)
            if method == "GET" and m:
                return self.get_topic(int(m.group(1)), viewer)
        except (KeyError, ValueError, TypeError) as e:
            self.send(400, errors_body(["bad request: %s" % e], "invalid_parameters"))
            return 400
        return self.not_found()

    def refuse_credentials(self):
        self.send(403, errors_body(["You are not permitted to view the requested resource. "
                                    "The API username or key is invalid."], "invalid_access"))
        return 403

    def not_found(self):
        self.send(404, errors_body(["The requested URL or resource could not be found."],
                                   "not_found"))
        return 404

    def take_fault(self, path):
        forum = self.forum
        for fault in forum.faults:
            if fault.get("match") and fault["match"] not in self.path:
                continue
            fault["count"] -= 1
            if fault["count"] <= 0:
                forum.faults.remove(fault)
            return fault
        return None

    def spend_budget(self, key, now):
        """None when the call is within the key's budget, else the time the
        next call is allowed."""
        forum = self.forum
        if forum.budget is None:
            return None
        window = forum.windows.get(key)
        if window is None or now >= window[0] + forum.budget["window"]:
            window = [now, 0]
            forum.windows[key] = window
        if window[1] >= forum.budget["limit"]:
            return window[0] + forum.budget["window"]
        window[1] += 1
        return None

    def too_many(self, key, allowed_at, now):
        wait = max(1, int(math.ceil(allowed_at - now)))
        with self.forum.lock:
            # Retry-After is whole seconds, so the client may come back at
            # now + wait; that is the time it must not beat.
            self.forum.blocked_until[key] = max(self.forum.blocked_until.get(key, 0), now + wait)
        self.send(429, errors_body(
            ["You’ve performed this action too many times. Please wait %d seconds before trying "
             "again." % wait], "rate_limit",
            extras={"wait_seconds": wait, "time_left": "%d seconds" % wait}),
            headers=[("Retry-After", str(wait)),
                     ("Discourse-Rate-Limit-Error-Code", "admin_api_key_rate_limit")])
        return 429

    def fail(self, fault):
        mode = fault["mode"]
        if mode == "429":
            return self.too_many(self.headers.get("Api-Key"),
                                 time.time() + fault.get("retry_after", 2), time.time())
        if mode == "401":
            self.send(401, errors_body(["You are not permitted to view the requested resource. "
                                        "The API key has been revoked."], "invalid_access"))
            return 401
        if mode in ("500", "503"):
            headers = []
            if fault.get("retry_after") is not None:
                headers.append(("Retry-After", str(fault["retry_after"])))
            self.send(int(mode), "<html><body><h1>Service Unavailable</h1></body></html>",
                      "text/html", headers)
            return int(mode)
        if mode == "malformed":
            self.send(200, b'{"latest_posts": [{"id": 9001, "username": "ann", "raw": "cut')
            return 200
        if mode == "truncated":
            body = json.dumps({"latest_posts": [], "notifications": []}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body) + 100))
            self.end_headers()
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return 200
        raise ValueError("unknown fault mode %r" % mode)

    def list_posts(self, query, viewer):
        forum = self.forum
        before = int(query["before"][0]) if "before" in query else None
        with forum.lock:
            ids = sorted((pid for pid, p in forum.posts.items()
                          if forum.topics[p["topic_id"]]["archetype"] == "regular"
                          and p["deleted_at"] is None and p["post_type"] == 1
                          and (before is None or pid < before)), reverse=True)
            page = [forum.post_json(forum.posts[pid], "latest", viewer)
                    for pid in ids[:forum.page_size]]
        self.send(200, {"latest_posts": page})
        return 200

    def get_post(self, pid, viewer):
        forum = self.forum
        with forum.lock:
            post = forum.posts.get(pid)
            if post is None or post["deleted_at"] is not None:
                return self.not_found()
            if not forum.visible_topic(forum.topics[post["topic_id"]], viewer):
                self.send(403, errors_body(["You are not permitted to view the requested "
                                            "resource."], "invalid_access"))
                return 403
            doc = forum.post_json(post, "single", viewer)
        self.send(200, doc)
        return 200

    def list_notifications(self, viewer, offset):
        """A page as Discourse's NotificationsController#index sends it:
        newest first from offset, and the link to the page after it
        (always there, even past the end, where the page is empty)."""
        forum = self.forum
        with forum.lock:
            size = forum.notifications_page_size
            mine = [n for n in forum.notifications if n["user"] == viewer["username"].lower()]
            mine.sort(key=lambda n: n["id"], reverse=True)
            items = []
            for n in mine[offset:offset + size]:
                item = {k: v for k, v in n.items() if k != "user"}
                item["user_id"] = viewer["id"]
                items.append(item)
            link = "/notifications?offset=%d&username=%s" % (offset + size, viewer["username"])
            forum.links.add(link)
        self.send(200, {"notifications": items, "total_rows_notifications": len(mine),
                        "seen_notification_id": 0, "load_more_notifications": link})
        return 200

    def list_private(self, username, viewer):
        forum = self.forum
        with forum.lock:
            try:
                owner = forum.user(username)
            except ValueError:
                return self.not_found()
            if owner["id"] != viewer["id"] and not viewer["admin"]:
                self.send(403, errors_body(["You are not permitted to view the requested "
                                            "resource."], "invalid_access"))
                return 403
            topics = [t for t in forum.topics.values() if t["allowed"] and
                      owner["username"].lower() in [a.lower() for a in t["allowed"]]]
            topics.sort(key=lambda t: (t["bumped_at"], t["posts"][-1]), reverse=True)
            users = {}
            for t in topics:
                users[t["user_id"]] = forum.user_json(t["user_id"])
            doc = {"users": list(users.values()), "primary_groups": [],
                   "topic_list": {"can_create_topic": True, "draft": None,
                                  "draft_key": "new_topic", "draft_sequence": 0, "per_page": 30,
                                  "topics": [forum.topic_list_item(t) for t in topics[:30]]}}
        self.send(200, doc)
        return 200

    def get_topic(self, tid, viewer):
        forum = self.forum
        with forum.lock:
            topic = forum.topics.get(tid)
            if topic is None:
                return self.not_found()
            if not forum.visible_topic(topic, viewer):
                self.send(403, errors_body(["You are not permitted to view the requested "
                                            "resource."], "invalid_access"))
                return 403
            doc = forum.topic_json(topic, viewer)
        self.send(200, doc)
        return 200

    def unprocessable(self, message):
        self.send(422, {"action": "create_post", "errors": [message]})
        return 422

    def create_post(self, body, viewer):
        forum = self.forum
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            return self.unprocessable("the body is not JSON")
        raw = req.get("raw") or ""
        with forum.lock:
            if req.get("topic_id") is not None:
                topic = forum.topics.get(req["topic_id"])
                if topic is None or not forum.visible_topic(topic, viewer):
                    return self.not_found()
                minimum = 10 if topic["allowed"] else 20
                if len(raw.strip()) < minimum:
                    return self.unprocessable("Body is too short (minimum is %d characters)" %
                                              minimum)
                post = forum.add_post(topic["id"], viewer["username"], raw,
                                      reply_to_post_number=req.get("reply_to_post_number"))
            elif req.get("archetype") == "private_message":
                if not req.get("title"):
                    return self.unprocessable("Title can't be blank")
                names = [n.strip() for n in (req.get("target_recipients") or "").split(",")
                         if n.strip()]
                if not names:
                    return self.unprocessable("You must choose a valid user.")
                for name in names:
                    if name.lower() not in forum.users:
                        return self.unprocessable("The user %s could not be found." % name)
                if len(raw.strip()) < 10:
                    return self.unprocessable("Body is too short (minimum is 10 characters)")
                made = forum.add_topic(req["title"], viewer["username"], raw, private_to=names)
                post = forum.posts[made["post_id"]]
            else:
                if not req.get("title"):
                    return self.unprocessable("Title can't be blank")
                if len(raw.strip()) < 20:
                    return self.unprocessable("Body is too short (minimum is 20 characters)")
                made = forum.add_topic(req["title"], viewer["username"], raw,
                                       category_id=req.get("category", 4))
                post = forum.posts[made["post_id"]]
            doc = forum.post_json(post, "created", viewer)
        self.send(200, doc)
        return 200

    # ---- test controls ------------------------------------------------

    def control(self, path, query, body):
        forum = self.forum
        try:
            req = json.loads(body) if body else {}
        except ValueError:
            self.send(400, {"error": "body is not JSON"})
            return
        try:
            if path == "/_fake/health":
                self.send(200, {"ok": True})
            elif path == "/_fake/topic" and self.command == "POST":
                self.send(200, forum.add_topic(req["title"], req["username"], req["raw"],
                                               req.get("category_id", 4), req.get("private_to"),
                                               req.get("created_at")))
            elif path == "/_fake/post" and self.command == "POST":
                post = forum.add_post(req["topic_id"], req["username"], req["raw"],
                                      req.get("reply_to_post_number"), req.get("post_type", 1),
                                      req.get("created_at"))
                self.send(200, {"post_id": post["id"], "post_number": post["post_number"]})
            elif path.startswith("/_fake/post/") and self.command == "DELETE":
                with forum.lock:
                    forum.posts[int(path.rsplit("/", 1)[1])]["deleted_at"] = now_iso()
                self.send(200, {"ok": True})
            elif path == "/_fake/config" and self.command == "POST":
                with forum.lock:
                    for name in ("page_size", "chunk_size", "notifications_page_size"):
                        if name in req:
                            setattr(forum, name, int(req[name]))
                    if "budget" in req:
                        forum.budget = req["budget"]
                        forum.windows.clear()
                self.send(200, {"ok": True})
            elif path == "/_fake/fault" and self.command == "POST":
                with forum.lock:
                    forum.faults.append({"mode": req["mode"], "count": int(req.get("count", 1)),
                                         "match": req.get("match"),
                                         "retry_after": req.get("retry_after")})
                self.send(200, {"ok": True})
            elif path == "/_fake/log":
                since = int(query.get("since", ["0"])[0])
                with forum.lock:
                    self.send(200, {"requests": [e for e in forum.log if e["n"] > since]})
            elif path == "/_fake/problems":
                with forum.lock:
                    self.send(200, {"problems": list(forum.problems)})
            elif path == "/_fake/posts":
                with forum.lock:
                    self.send(200, {"posts": sorted(forum.posts.values(), key=lambda p: p["id"])})
            elif path.startswith("/_fake/webhook/"):
                with forum.lock:
                    post = forum.posts[int(path.rsplit("/", 1)[1])]
                    payload = {"post": forum.post_json(post, "webhook", None)}
                self.send(200, {"event": "post_created",
                                "headers": {"X-Discourse-Instance": "http://forum.test",
                                            "X-Discourse-Event-Id": str(post["id"]),
                                            "X-Discourse-Event-Type": "post",
                                            "X-Discourse-Event": "post_created"},
                                "body": json.dumps(payload)})
            else:
                self.send(404, {"error": "no such control", "path": path})
        except (KeyError, ValueError, TypeError) as e:
            self.send(400, {"error": "%s: %s" % (type(e).__name__, e)})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    parser.add_argument("--spec", default=os.environ.get("FAKE_DISCOURSE_SPEC", DEFAULT_SPEC))
    parser.add_argument("--api-key", default=DEFAULT_KEY)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()

    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    server.verbose = args.verbose
    server.forum = Forum(args.api_key)
    server.checker = load_checker(args.spec, "fake_discourse.py")
    return serve(server, args.port_file)


if __name__ == "__main__":
    sys.exit(main())
