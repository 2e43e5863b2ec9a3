"""Crash and restart: kill -9 in the middle of a flood loses nothing and
repeats nothing in the file sink; with conversations on, every event
leaves with its conversation and contact, the same ones on both sides of
a crash (they are committed beside the log before the event leaves)."""
import sqlite3
import unittest

from gwtest import (GatewayTestCase, config, count_lines, mock_account, read_jsonl,
                    validate_events, wait_for)

TOTAL = 100000


class CrashTest(GatewayTestCase):
    def test_kill9_mid_flood_then_restart_delivers_each_event_exactly_once(self):
        events_path = self.path("events.jsonl")
        cfg = config(accounts=[mock_account(rate=0, count=TOTAL, batch=1000)],
                     gateway_extra='synchronous = "normal"')
        gw = self.gateway(cfg).start()
        # Kill while events are still flowing into both the log and the file.
        wait_for(lambda: count_lines(events_path) >= TOTAL // 5, 120, "a fifth of the flood")
        gw.kill9()
        at_kill = count_lines(events_path)
        self.assertLess(at_kill, TOTAL, "the flood finished before the kill; nothing tested")

        gw2 = self.gateway(cfg).start()
        wait_for(lambda: count_lines(events_path) >= TOTAL, 300, "all events after restart")
        self.assertEqual(0, gw2.stop())
        events = read_jsonl(events_path)
        self.assert_exactly_once(events, TOTAL)
        self.assertEqual(list(range(1, TOTAL + 1)), [e["seq"] for e in events])
        native = sorted(int(e["native_id"].rsplit("-", 1)[1]) for e in events)
        self.assertEqual(native, sorted(set(native)))
        self.assertEqual(TOTAL, len(native))
        validate_events(self, events[:: max(1, TOTAL // 2000)])

    def kill9_rounds(self, cfg, total, rounds, step):
        """Start, let step more events reach the sink, kill -9; rounds
        times; then start once more and let the flood finish. Returns the
        events in the sink."""
        events_path = self.path("events.jsonl")
        seen = 0
        for round_ in range(rounds):
            gw = self.gateway(cfg).start()
            target = seen + step
            wait_for(lambda: count_lines(events_path) >= min(target, total), 60,
                     "progress in round %d" % round_)
            gw.kill9()
            seen = count_lines(events_path)
        self.assertLess(seen, total, "the flood finished before the last kill; nothing tested")
        gw = self.gateway(cfg).start()
        wait_for(lambda: count_lines(events_path) >= total, 120, "all events")
        self.assertEqual(0, gw.stop())
        return read_jsonl(events_path)

    def test_kill9_repeatedly_loses_nothing(self):
        total = 20000
        cfg = config(accounts=[mock_account(rate=0, count=total, batch=200)])
        self.assert_exactly_once(self.kill9_rounds(cfg, total, 3, 2000), total)

    def test_kill9_with_conversations_leaves_every_event_with_its_members(self):
        total = 20000
        cfg = (config(accounts=[mock_account(rate=0, count=total, batch=500)]) +
               "[service]\nconversations = true\n")
        events = self.kill9_rounds(cfg, total, 2, 3000)
        self.assert_exactly_once(events, total)
        threads, authors = {}, {}
        for e in events:
            self.assertIn("conversation_id", e, e["id"])
            self.assertIn("contact", e, e["id"])
            threads.setdefault(e.get("thread_id") or e["native_id"], set()).add(
                e["conversation_id"])
            authors.setdefault(e["author"]["id"], set()).add(e["contact"]["id"])
        # nothing closes within the test (no close_after, no answers): one
        # conversation per thread and one contact per author, before and
        # after each crash alike
        split = [t for t, ids in threads.items() if len(ids) != 1]
        self.assertEqual([], split[:5], "threads with more than one conversation")
        split = [a for a, ids in authors.items() if len(ids) != 1]
        self.assertEqual([], split[:5], "authors with more than one contact")
        validate_events(self, events[:: max(1, total // 500)])

    def test_sigterm_with_conversations_delivers_every_stored_event(self):
        # The drain waits for the service's last commit as well as the
        # log's: every event the log holds at exit reached the sink, with
        # its members, though the stop came in the middle of a flood.
        events_path = self.path("events.jsonl")
        total = 200000
        cfg = (config(accounts=[mock_account(rate=0, count=total, batch=1000)]) +
               "[service]\nconversations = true\n")
        for round_ in range(3):
            gw = self.gateway(cfg).start()
            target = count_lines(events_path) + 5000
            wait_for(lambda: count_lines(events_path) >= target, 60, "progress %d" % round_)
            self.assertEqual(0, gw.stop())
            db = sqlite3.connect(self.path("var/gateway.db"))
            stored = db.execute("SELECT count(*) FROM events").fetchone()[0]
            db.close()
            self.assertLess(stored, total, "the flood finished before the stop; nothing tested")
            events = read_jsonl(events_path)
            self.assertEqual(stored, len(events), "round %d: events stored but not delivered"
                             % round_)
            self.assert_exactly_once(events, stored)
            self.assertEqual([], [e["id"] for e in events if "conversation_id" not in e][:5])


if __name__ == "__main__":
    unittest.main(verbosity=2)
