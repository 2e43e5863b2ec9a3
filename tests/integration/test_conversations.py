"""Conversations and contacts through the real binary (issue 14, part 2):
conversation_id and contact on every customer item, the work queue
(GET /v1/conversations?state=open&sort=priority) and how a reply through
the action API answers a conversation and reorders it, a private message
joining the public conversation we answered, closing by the API and after
inactivity, contacts linked across two networks, and the state surviving a
restart."""
import json
import os
import sqlite3
import time
import unittest
import urllib.error
import urllib.request

from gwtest import (BUILD, SOURCE, GatewayTestCase, config, count_lines, mock_account, read_jsonl,
                    run_cli, validate_events, wait_for)

TOKEN = "conversations-test-token-0123"
ENV = {"GATEWAY_API_TOKEN": TOKEN}
FIXTURES = os.path.join(SOURCE, "tests", "fixtures", "conversations")
QUEUE = os.path.join(FIXTURES, "queue.jsonl")
ITEMS = 6


def gw_config(accounts=None, service="", plugin_dir=None):
    text = config(accounts=accounts or [account()])
    if plugin_dir:
        text = text.replace('plugin_dir = "%s"' % os.path.join(BUILD, "plugins"),
                            'plugin_dir = "%s"' % plugin_dir)
    # Triage off: the scenarios carry the priorities the queue is ordered
    # by (tags.priority_score), so the order is the test's, not the lexicons'.
    return text + ('[api]\ntoken = "${GATEWAY_API_TOKEN}"\n[triage]\nenabled = false\n'
                   '[service]\n%s\n' % service)


def account(name="acme", network="mock", scenario=QUEUE):
    text = mock_account(name=name, scenario=scenario, rate=0, actions_log="actions.jsonl")
    return text.replace('network = "mock"', 'network = "%s"' % network)


def call(gw, method, path, body=None, token=TOKEN):
    h = {"Authorization": "Bearer " + token} if token else {}
    data = json.dumps(body).encode() if body is not None else None
    if data is not None:
        h["Content-Type"] = "application/json"
    req = urllib.request.Request(gw.url(path), data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


class ConversationsTest(GatewayTestCase):
    def start(self, cfg=None, items=ITEMS):
        gw = self.gateway(cfg or gw_config(), env=ENV).start()
        gw.port()
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= items, 20, "the items")
        return gw

    def events(self):
        return {e["id"]: e for e in read_jsonl(self.path("events.jsonl"))}

    def get(self, gw, path, want=200):
        status, doc = call(gw, "GET", path)
        self.assertEqual(want, status, doc)
        return doc

    def queue(self, gw, **query):
        q = "&".join("%s=%s" % kv for kv in dict(dict(state="open", sort="priority"),
                                                 **query).items())
        return self.get(gw, "/v1/conversations?" + q)

    def reply(self, gw, event, key):
        body = {"network": event.split(":")[0], "account": "acme", "kind": "reply",
                "in_reply_to": event, "text": "We're on it", "idempotency_key": key}
        status, doc = call(gw, "POST", "/v1/actions", body)
        self.assertEqual(202, status, doc)
        wait_for(lambda: self.get(gw, "/v1/actions/" + doc["id"])["state"] == "succeeded", 20,
                 "the reply to be sent")
        return doc

    def test_items_carry_conversation_and_contact(self):
        gw = self.start()
        ev = self.events()
        validate_events(self, list(ev.values()))
        conv = {k: e.get("conversation_id") for k, e in ev.items()}
        self.assertTrue(all(c and c.startswith("cv_") for c in conv.values()), conv)
        # one thread, one conversation; each mention its own
        self.assertEqual(conv["mock:q-3"], conv["mock:q-4"])
        self.assertEqual(5, len(set(conv.values())))
        dana1, dana2 = ev["mock:q-1"]["contact"], ev["mock:q-5"]["contact"]
        self.assertEqual(dana1["id"], dana2["id"])
        self.assertEqual(("Dana", "dana", 12), (dana1["display_name"], dana1["handle"],
                                                dana1["followers"]))
        self.assertEqual((1, 1), (dana1["interactions"], dana1["open_conversations"]))
        self.assertEqual((2, 2), (dana2["interactions"], dana2["open_conversations"]))
        self.assertNotIn("contact", ev["mock:anon-1"])
        self.assertEqual(0, gw.stop())

    def test_contact_member_follows_profile_changes(self):
        # each item's contact member shows the profile as of that item,
        # whether the member's head was kept from the last item or made anew
        cfg = gw_config(accounts=[account(scenario=os.path.join(FIXTURES, "profile.jsonl"))])
        gw = self.start(cfg, items=6)
        ev = self.events()
        shown = [(c["display_name"], c["handle"], c["followers"], c["interactions"])
                 for c in (ev["mock:p-%d" % i]["contact"] for i in range(1, 7))]
        self.assertEqual([("Hana", "hana", 5, 1), ("Hana", "hana", 5, 2),
                          ("Hana K\u00e9", "hana", 50, 3), ("Hana K\u00e9", "hana", 50, 4),
                          ("Hana K\u00e9", "hanak", 50, 5), ("Hana K\u00e9", "hanak", 50, 6)],
                         shown)
        first = ev["mock:p-1"]["contact"]
        self.assertTrue(all(ev["mock:p-%d" % i]["contact"]["first_seen"] == first["first_seen"]
                            and ev["mock:p-%d" % i]["contact"]["id"] == first["id"]
                            for i in range(2, 7)))
        # the members are kept beside the log and added where events leave:
        # GET /v1/events gives each event what the sink got, byte for byte
        page = self.get(gw, "/v1/events?after=0&limit=100")["events"]
        self.assertEqual(6, len(page))
        for e in page:
            self.assertEqual(ev[e["id"]], e)
            self.assertEqual(list(ev[e["id"]].keys()), list(e.keys()))
        self.assertEqual(0, gw.stop())

    def test_reply_answers_the_conversation_and_the_queue_reorders(self):
        gw = self.start()
        ev = self.events()
        cv = lambda e: ev[e]["conversation_id"]
        order = [c["id"] for c in self.queue(gw)["conversations"]]
        # priority first (q-2 90, post-9 70, q-1 and q-5 40, anon 0), then waiting time
        self.assertEqual([cv("mock:q-2"), cv("mock:q-3"), cv("mock:q-1"), cv("mock:q-5"),
                          cv("mock:anon-1")], order)
        self.reply(gw, "mock:q-2", "k-1")
        order2 = [c["id"] for c in self.queue(gw)["conversations"]]
        self.assertEqual(order[1:], order2)
        one = self.get(gw, "/v1/conversations/" + cv("mock:q-2"))
        self.assertEqual("answered", one["state"])
        self.assertIsNotNone(one["answered_at"])
        self.assertGreaterEqual(one["first_response_seconds"], 0)
        self.assertEqual(["mention", "action.succeeded"], [i["type"] for i in one["items"]])
        self.assertEqual([cv("mock:q-2")] * 2, [i["conversation_id"] for i in one["items"]])
        # pagination: two pages of the queue give the same order
        page = self.queue(gw, limit=2)
        rest = self.queue(gw, limit=10, cursor=page["next_cursor"])
        self.assertEqual(order2, [c["id"] for c in page["conversations"] + rest["conversations"]])
        self.assertIsNone(rest["next_cursor"])
        # the open ones by id, a page of two at a time, and the answered one
        ids = []
        cursor = None
        while True:
            page = self.queue(gw, sort="id", limit=2, **({"cursor": cursor} if cursor else {}))
            ids += [c["id"] for c in page["conversations"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        self.assertEqual(sorted(order2, key=lambda c: int(c[3:], 16)), ids)
        for sort in ("id", "priority"):
            answered = self.queue(gw, state="answered", sort=sort)["conversations"]
            self.assertEqual([(cv("mock:q-2"), "answered")],
                             [(c["id"], c["state"]) for c in answered])
        # closed ones, or all, by priority would sort the whole table
        for query in ("sort=priority", "state=closed&sort=priority"):
            status, doc = call(gw, "GET", "/v1/conversations?" + query)
            self.assertEqual((400, "invalid_query"), (status, doc["error"]), query)
            self.assertIn("state=open", doc["message"])
        self.assertEqual(0, gw.stop())

    def test_private_message_after_our_public_reply_joins_and_state_survives_restart(self):
        gw = self.start()
        self.reply(gw, "mock:q-2", "k-1")
        self.assertEqual(0, gw.stop())
        cfg = gw_config(accounts=[account(scenario=os.path.join(FIXTURES, "dm.jsonl"))])
        gw = self.start(cfg, items=ITEMS + 2)
        ev = self.events()
        self.assertEqual(ev["mock:q-2"]["conversation_id"], ev["mock:dm-7"]["conversation_id"])
        one = self.get(gw, "/v1/conversations/" + ev["mock:dm-7"]["conversation_id"])
        self.assertEqual("open", one["state"])  # the customer wrote again
        self.assertEqual(["mention", "action.succeeded", "message"],
                         [i["type"] for i in one["items"]])
        self.assertEqual(0, gw.stop())

    def test_close_by_the_api_and_after_inactivity(self):
        gw = self.start()
        cid = self.events()["mock:q-1"]["conversation_id"]
        status, doc = call(gw, "POST", "/v1/conversations/%s/close" % cid)
        self.assertEqual((200, "closed"), (status, doc["state"]), doc)
        self.assertEqual(409, call(gw, "POST", "/v1/conversations/%s/close" % cid)[0])
        self.assertEqual(404, call(gw, "GET", "/v1/conversations/cv_ffffff")[0])
        self.assertEqual(401, call(gw, "GET", "/v1/conversations", token=None)[0])
        self.assertEqual(400, call(gw, "GET", "/v1/conversations?state=bogus")[0])
        self.assertNotIn(cid, [c["id"] for c in self.queue(gw)["conversations"]])
        closed = self.get(gw, "/v1/conversations?state=closed")["conversations"]
        self.assertEqual([cid], [c["id"] for c in closed])
        self.assertEqual(0, gw.stop())

        gw = self.start(gw_config(service='close_after = "1s"'))
        wait_for(lambda: not self.queue(gw)["conversations"], 20, "every conversation closed")
        self.assertEqual(5, len(self.get(gw, "/v1/conversations?state=closed")["conversations"]))
        dana = self.events()["mock:q-1"]["contact"]["id"]
        self.assertEqual(0, self.get(gw, "/v1/contacts/" + dana)["contact"]["open_conversations"])
        self.assertEqual(0, gw.stop())

    def test_contacts_link_across_two_networks(self):
        plugins = os.path.join(self.dir, "plugins")
        os.mkdir(plugins)
        os.symlink(os.path.join(BUILD, "plugins", "mock.so"), os.path.join(plugins, "mock.so"))
        os.symlink(os.path.join(BUILD, "tests", "actionplugins", "mock_public.so"),
                   os.path.join(plugins, "mock_public.so"))
        cfg = gw_config(accounts=[account(), account(network="mock_public")], plugin_dir=plugins)
        gw = self.start(cfg, items=2 * ITEMS)
        ev = self.events()
        a, b = ev["mock:q-1"]["contact"]["id"], ev["mock_public:q-1"]["contact"]["id"]
        self.assertNotEqual(a, b)  # one contact per author and network
        status, doc = call(gw, "POST", "/v1/contacts/%s/links" % a, {"contact": b})
        self.assertEqual(200, status, doc)
        for side in (a, b):
            person = self.get(gw, "/v1/contacts/" + side)
            self.assertEqual({a, b}, {c["id"] for c in person["linked"]})
            self.assertEqual({"mock", "mock_public"},
                             {c["network"] for c in person["conversations"]})
            self.assertEqual(4, len(person["conversations"]))  # q-1 and q-5 on each
        self.assertEqual(404, call(gw, "POST", "/v1/contacts/%s/links" % a,
                                   {"contact": "ct_fffff"})[0])
        self.assertEqual(400, call(gw, "POST", "/v1/contacts/%s/links" % a, {"x": 1})[0])
        self.assertEqual(0, gw.stop())

    def breaches(self):
        return [e for e in read_jsonl(self.path("events.jsonl")) if e["type"] == "sla.breached"]

    def test_unanswered_conversations_breach_the_target_once(self):
        cfg = gw_config(service='target = "1s"')
        gw = self.start(cfg)
        wait_for(lambda: len(self.breaches()) == 5, 20, "a breach per conversation")
        ev = self.events()
        first = self.breaches()
        validate_events(self, first)
        self.assertEqual({ev["mock:q-%d" % i]["conversation_id"] for i in (1, 2, 3, 5)}
                         | {ev["mock:anon-1"]["conversation_id"]},
                         {b["conversation_id"] for b in first})
        b = first[0]
        self.assertEqual((b["conversation_id"], 1.0), (b["detail"]["conversation_id"],
                                                        b["detail"]["target_seconds"]))
        self.assertGreaterEqual(b["detail"]["waited_seconds"], 1.0)
        one = self.get(gw, "/v1/conversations/" + b["conversation_id"])
        self.assertTrue(one["sla_breached"])
        self.assertIsNotNone(one["sla_deadline"])
        self.assertEqual(0, gw.stop())
        # A restart does not emit again; a new conversation breaches once.
        cfg = gw_config(accounts=[account(scenario=os.path.join(FIXTURES, "dm.jsonl"))],
                        service='target = "1s"')
        gw = self.start(cfg, items=ITEMS + 5 + 1)
        wait_for(lambda: len(self.breaches()) == 6, 20, "the new conversation's breach")
        self.assertEqual(0, gw.stop())
        again = self.breaches()
        self.assertEqual(6, len(again))
        self.assertEqual(6, len({b["conversation_id"] for b in again}))
        self.assertEqual(self.events()["mock:dm-7"]["conversation_id"], again[-1]["conversation_id"])

    def test_metrics_count_open_answered_and_priorities(self):
        gw = self.start()
        self.reply(gw, "mock:q-2", "k-1")
        with urllib.request.urlopen(gw.url("/metrics"), timeout=10) as r:
            text = r.read().decode()
        lines = dict(l.rsplit(" ", 1) for l in text.splitlines() if l and not l.startswith("#"))
        self.assertEqual("4", lines['gateway_conversations_open{network="mock",account="acme"}'])
        self.assertEqual("4",
                         lines['gateway_conversations_unanswered{network="mock",account="acme"}'])
        self.assertEqual("0", lines['gateway_conversations_priority{priority="urgent"}'])
        self.assertEqual("1", lines['gateway_conversations_priority{priority="high"}'])
        self.assertEqual("2", lines['gateway_conversations_priority{priority="normal"}'])
        self.assertEqual("1", lines['gateway_conversations_priority{priority="none"}'])
        self.assertEqual("1", lines["gateway_first_response_seconds_count"])
        self.assertEqual("1.0000", lines["gateway_first_response_within_target_ratio"])
        self.assertEqual("0", lines["gateway_conversations_store_failing"])
        # a handful of ticks never fills the writer's queue of 16 batches
        self.assertEqual("0", lines["gateway_conversations_writer_waits_total"])
        self.assertEqual(0, gw.stop())

    def metric(self, gw, name):
        with urllib.request.urlopen(gw.url("/metrics"), timeout=30) as r:
            for line in r.read().decode().splitlines():
                if line.startswith(name + " "):
                    return line.split(" ", 1)[1]
        return None

    def test_a_locked_conversations_file_is_written_once_released(self):
        # Someone's sqlite3 shell holds conversations.db in a write
        # transaction: the answer's commit fails (after the busy wait),
        # the gateway goes on from memory, and the retry writes it once
        # the lock is gone; a restart finds it.
        gw = self.start()
        cid = self.events()["mock:q-2"]["conversation_id"]
        shell = sqlite3.connect(self.path("var", "conversations.db"), isolation_level=None)
        shell.execute("BEGIN IMMEDIATE")
        self.reply(gw, "mock:q-2", "k-locked")
        wait_for(lambda: self.metric(gw, "gateway_conversations_store_failing") == "1", 30,
                 "the commit to fail")
        self.assertEqual("answered", self.get(gw, "/v1/conversations/" + cid)["state"])
        shell.execute("ROLLBACK")
        shell.close()
        wait_for(lambda: self.metric(gw, "gateway_conversations_store_failing") == "0", 60,
                 "the retry to write")
        gw.wait_log("conversations.db written again")
        gw.kill9()
        gw = self.gateway(gw_config(), env=ENV).start()
        gw.port()
        self.assertEqual("answered", self.get(gw, "/v1/conversations/" + cid)["state"])
        self.assertEqual(0, gw.stop())

    def test_a_bad_hours_or_timezone_names_the_line(self):
        for service, key in (('hours = "Mon-Fri 9-18"', "service.hours"),
                             ('timezone = "Mars/Olympus"', "service.timezone")):
            path = self.path("bad.toml")
            with open(path, "w") as f:
                f.write(gw_config(service=service))
            out = run_cli("check-config", "-c", path, cwd=self.dir)
            self.assertNotEqual(0, out.returncode)
            self.assertIn(key, out.stderr + out.stdout)
            self.assertRegex(out.stderr + out.stdout, r"bad\.toml:\d+")

    def test_report_matches_a_hand_computed_scenario(self):
        gw = self.start()
        db = sqlite3.connect(self.path("var", "conversations.db"))
        db.execute("DELETE FROM conversations")
        now = int(time.time() * 1000)
        h = 3600 * 1000
        # network, priority, first item (ms ago), first answer after (s), target (s)
        rows = [("mock", "urgent", 2 * h, 60, 3600), ("mock", "urgent", 3 * h, 600, 3600),
                ("mock", "normal", 24 * h, 7200, 3600), ("mock", "normal", 1 * h, None, 3600),
                ("forum", "high", h // 2, 30, None), ("mock", "low", 240 * h, 5, 3600)]
        for i, (net, prio, ago, answer, target) in enumerate(rows, 1):
            first = now - ago
            db.execute("INSERT INTO conversations VALUES (?, ?, 'acme', ?, NULL, NULL, 'public',"
                       " ?, 50, ?, 1, ?, 0, ?, ?, 0, ?, 0, '')",
                       (i, net, "t-%d" % i, "answered" if answer else "open", prio, first, first,
                        first + answer * 1000 if answer else 0,
                        first + target * 1000 if target else 0))
        db.commit()
        db.close()
        # read while the gateway runs: the report only reads
        out = run_cli("-c", gw.config, "report", "--since", "7d", "--json", cwd=self.dir,
                      env=dict(os.environ, **ENV))
        self.assertEqual(0, out.returncode, out.stderr)
        rep = json.loads(out.stdout)
        fig = lambda g: (g["conversations"], g["answered"], g["answered_share"],
                         g["within_target_share"], g["median_first_response_seconds"],
                         g["p90_first_response_seconds"])
        # the 10-day-old conversation is out; nearest-rank percentiles
        self.assertEqual((5, 4, 0.8, 0.5, 60, 7200), fig(rep["total"]))
        self.assertEqual((4, 3, 0.75, 0.5, 600, 7200), fig(rep["by_network"]["mock"]))
        self.assertEqual((1, 1, 1.0, None, 30, 30), fig(rep["by_network"]["forum"]))
        self.assertEqual((2, 2, 1.0, 1.0, 60, 600), fig(rep["by_priority"]["urgent"]))
        self.assertEqual((2, 1, 0.5, 0.0, 7200, 7200), fig(rep["by_priority"]["normal"]))
        self.assertEqual((1, 1, 1.0, None, 30, 30), fig(rep["by_priority"]["high"]))
        table = run_cli("-c", gw.config, "report", cwd=self.dir, env=dict(os.environ, **ENV))
        self.assertEqual(0, table.returncode, table.stderr)
        self.assertRegex(table.stdout, r"mock\s+4\s+3\s+75\.0%\s+50\.0%\s+10m00s\s+2h00m")
        self.assertEqual(0, gw.stop())

    def test_a_tick_of_many_conversations_is_written_whole_and_reloaded(self):  # noqa: C901
        # 200 synthetic items in one fetch: one tick flushes more than a
        # hundred conversations, in statements of several rows and single
        # ones (conv_store_put_conversations); every event's conversation
        # must be listed with its items, before and after a restart.
        cfg = gw_config(accounts=[mock_account(rate=0, count=200, batch=200, seed=42)])
        gw = self.start(cfg, items=200)
        ev = self.events()
        want = {}
        for e in sorted(ev.values(), key=lambda e: e["seq"]):
            want.setdefault(e["conversation_id"], []).append(e["id"])
        self.assertGreater(len(want), 2 * 16 + 1, "conversations in the tick")

        def listed():
            got = self.get(gw, "/v1/conversations?limit=1000")
            self.assertIsNone(got["next_cursor"])
            return {c["id"]: c["item_count"] for c in got["conversations"]}

        def by_contact():
            # a conversation is its first item's author's
            first, got = {}, {}
            for e in sorted(self.events().values(), key=lambda e: e["seq"]):
                first.setdefault(e["conversation_id"], e["contact"]["id"])
            for conv, contact in first.items():
                got.setdefault(contact, set()).add(conv)
            return got

        def histories(contacts):
            # a contact's history: the links written in batches
            # (conv_store_link_contacts) and the conversations after the
            # last batch, read from the table; either way, all of them
            return {c: {h["id"] for h in self.get(gw, "/v1/contacts/" + c)["conversations"]}
                    for c in contacts}

        before = listed()
        self.assertEqual({k: len(v) for k, v in want.items()}, before)
        longest = max(want, key=lambda k: len(want[k]))
        one = self.get(gw, "/v1/conversations/" + longest)
        self.assertEqual(want[longest], [i["id"] for i in one["items"]])
        owners = by_contact()
        busiest = sorted(owners, key=lambda c: -len(owners[c]))[:4]
        self.assertGreater(len(owners[busiest[0]]), 1)
        self.assertEqual({c: owners[c] for c in busiest}, histories(busiest))
        self.assertEqual(0, gw.stop())  # the stop links a batch: all 137 here
        gw = self.gateway(cfg, env=ENV).start()  # the mock emits its 200 once
        gw.port()
        self.assertEqual(before, listed())
        self.assertEqual({c: owners[c] for c in busiest}, histories(busiest))
        self.assertEqual(0, gw.stop())
        # 50 more: linked or not yet, the histories hold them
        gw = self.gateway(cfg.replace("count = 200", "count = 250"), env=ENV).start()
        gw.port()
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= 250, 20, "50 more items")
        owners = by_contact()
        self.assertEqual({c: owners[c] for c in busiest}, histories(busiest))
        self.assertEqual(0, gw.stop())

    def synthetic(self, count):
        return gw_config(accounts=[mock_account(rate=0, count=count, batch=50, seed=7)])

    def snapshot(self, gw):
        """What the help desk sees: every conversation with its state and
        items, and each contact's history."""
        got = self.get(gw, "/v1/conversations?limit=1000")
        self.assertIsNone(got["next_cursor"])
        convs = {c["id"]: c for c in got["conversations"]}
        items = {cid: [i["id"] for i in self.get(gw, "/v1/conversations/" + cid)["items"]]
                 for cid in convs}
        contacts = {e["contact"]["id"] for e in self.events().values()}
        hist = {c: sorted(h["id"] for h in self.get(gw, "/v1/contacts/" + c)["conversations"])
                for c in contacts}
        return convs, items, hist

    def test_a_crash_between_the_two_commits_loses_no_conversation(self):
        # The conversations commit in their own file after the log's tick
        # (service/conv_db.c). A crash after the log's commit and before
        # theirs is staged exactly: the file as it was after 200 events
        # is put back under a gateway killed after 300. The start applies
        # events 201-300 again from the log, with the ids they carry.
        gw = self.start(self.synthetic(200), items=200)
        self.assertEqual(0, gw.stop())
        saved = self.path("conversations-200.db")
        os.rename(self.path("var", "conversations.db"), saved)
        self.assertFalse(os.path.exists(self.path("var", "conversations.db-wal")),
                         "a clean stop leaves no WAL to copy")
        # a copy stands in for the file the gateway goes on writing
        with open(saved, "rb") as src, open(self.path("var", "conversations.db"), "wb") as dst:
            dst.write(src.read())
        gw = self.start(self.synthetic(300), items=300)
        before = self.snapshot(gw)
        self.assertEqual(300, sum(c["item_count"] for c in before[0].values()))
        gw.kill9()
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(self.path("var", "conversations.db" + suffix)):
                os.remove(self.path("var", "conversations.db" + suffix))
        os.rename(saved, self.path("var", "conversations.db"))
        gw = self.gateway(self.synthetic(300), env=ENV).start()
        gw.port()
        gw.wait_log("again: 100 concerned conversations")
        self.assertEqual(before, self.snapshot(gw))
        self.assertEqual(0, gw.stop())
        # and the next start has nothing left to apply
        gw = self.gateway(self.synthetic(300), env=ENV).start()
        gw.port()
        self.assertEqual(before, self.snapshot(gw))
        self.assertEqual(0, gw.stop())
        self.assertNotIn("applied the log's events", gw.log())

    def test_kill9_repeatedly_keeps_every_event_in_its_conversation(self):
        # Killed three times mid-flood, at whatever point of the two
        # commits: at the end every event's conversation lists it, once.
        total = 12000
        cfg = gw_config(accounts=[mock_account(rate=3000, count=total, batch=200, seed=11)])
        events_path = self.path("events.jsonl")
        seen = 0
        for round_ in range(3):
            gw = self.gateway(cfg, env=ENV).start()
            target = seen + 1500
            wait_for(lambda: count_lines(events_path) >= target, 60,
                     "progress in round %d" % round_)
            gw.kill9()
            seen = count_lines(events_path)
        self.assertLess(seen, total, "the flood finished before the last kill; nothing tested")
        gw = self.start(cfg, items=total)
        want = {}
        for e in sorted(self.events().values(), key=lambda e: e["seq"]):
            want.setdefault(e["conversation_id"], []).append(e["id"])
        got, cursor = {}, None
        while True:
            page = self.get(gw, "/v1/conversations?limit=1000" +
                            ("&cursor=" + cursor if cursor else ""))
            got.update((c["id"], c["item_count"]) for c in page["conversations"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        self.assertEqual({k: len(v) for k, v in want.items()}, got)
        for cid in sorted(want, key=lambda k: -len(want[k]))[:10]:
            one = self.get(gw, "/v1/conversations/" + cid)
            self.assertEqual(want[cid], [i["id"] for i in one["items"]])
        self.assertEqual(0, gw.stop())

    def test_tables_of_an_older_data_directory_move_into_their_own_file(self):
        # Until stop 33 the tables were in gateway.db. Put them back there
        # as an older gateway left them; the start moves them out.
        gw = self.start(self.synthetic(120), items=120)
        before = self.snapshot(gw)
        self.assertEqual(0, gw.stop())
        conv_db = self.path("var", "conversations.db")
        log = sqlite3.connect(self.path("var", "gateway.db"))
        try:
            log.execute("ATTACH DATABASE ? AS c", (conv_db,))
            for name, sql in log.execute("SELECT name, sql FROM c.sqlite_master WHERE sql IS NOT"
                                         " NULL AND name <> 'applied'").fetchall():
                log.execute(sql)
                if sql.startswith("CREATE TABLE"):
                    log.execute("INSERT INTO main.%s SELECT * FROM c.%s" % (name, name))
            log.commit()
            log.execute("DETACH DATABASE c")
        finally:
            log.close()
        os.remove(conv_db)
        # `gateway report` reads them where an older gateway left them
        out = run_cli("-c", gw.config, "report", "--since", "7d", "--json", cwd=self.dir,
                      env=dict(os.environ, **ENV))
        self.assertEqual(0, out.returncode, out.stderr)
        self.assertEqual(len(before[0]), json.loads(out.stdout)["total"]["conversations"])
        gw = self.gateway(self.synthetic(120), env=ENV).start()
        gw.port()
        gw.wait_log("moved %d conversations from" % len(before[0]))
        self.assertEqual(before, self.snapshot(gw))
        self.assertEqual(0, gw.stop())
        log = sqlite3.connect(self.path("var", "gateway.db"))
        try:
            left = log.execute("SELECT name FROM sqlite_master WHERE name LIKE 'conv%' OR name"
                               " LIKE 'contact%'").fetchall()
        finally:
            log.close()
        self.assertEqual([], left, "the log's copies are dropped")

    def test_a_long_conversation_lists_every_item_in_order(self):
        # 400 items in one thread, 25 a fetch: once the row's list of seqs
        # passes 512 bytes (CONV_ITEMS_CHUNK), the flush moves it to
        # conversation_items, so the row is not rewritten whole at every
        # tick; the conversation still lists every item, in order, before
        # and after a restart.
        path = os.path.join(self.dir, "long.jsonl")
        with open(path, "w") as f:
            for i in range(400):
                f.write(json.dumps({"type": "comment", "native_id": "l-%d" % i,
                                    "thread_id": "long-1", "in_reply_to": "long-1",
                                    "author": {"id": str(300 + i % 7)},
                                    "text": "item %d" % i}) + "\n")
        cfg = gw_config(accounts=[mock_account(scenario=path, rate=0, batch=25)])
        gw = self.start(cfg, items=400)
        ev = sorted(self.events().values(), key=lambda e: e["seq"])
        self.assertEqual({"mock:l-%d" % i for i in range(400)}, {e["id"] for e in ev})
        ids = {e["conversation_id"] for e in ev}
        self.assertEqual(1, len(ids))
        cid = ids.pop()

        def listed():
            one = self.get(gw, "/v1/conversations/" + cid)
            self.assertEqual(400, one["item_count"])
            return [i["id"] for i in one["items"]]

        self.assertEqual([e["id"] for e in ev], listed())
        self.assertEqual(0, gw.stop())
        db = sqlite3.connect(self.path("var", "conversations.db"))
        try:
            chunks = db.execute("SELECT count(*) FROM conversation_items WHERE conversation = ?",
                                (int(cid[3:], 16),)).fetchone()[0]
            row = db.execute("SELECT length(seqs) FROM conversations WHERE id = ?",
                             (int(cid[3:], 16),)).fetchone()[0]
        finally:
            db.close()
        self.assertGreaterEqual(chunks, 2, "the list moved out more than once")
        self.assertLess(row, 600, "the row keeps the latest seqs only")
        gw = self.gateway(cfg, env=ENV).start()
        gw.port()
        self.assertEqual([e["id"] for e in ev], listed())
        self.assertEqual(0, gw.stop())

    def test_service_off_leaves_events_as_they_were(self):
        gw = self.start(gw_config(service="conversations = false"))
        self.assertFalse(any("conversation_id" in e for e in self.events().values()))
        self.assertEqual(503, call(gw, "GET", "/v1/conversations")[0])
        self.assertEqual(0, gw.stop())


if __name__ == "__main__":
    unittest.main()
