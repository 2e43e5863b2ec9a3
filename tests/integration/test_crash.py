"""Crash and restart: kill -9 in the middle of a flood loses nothing and
repeats nothing in the file sink."""
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

    def test_kill9_repeatedly_loses_nothing(self):
        events_path = self.path("events.jsonl")
        total = 20000
        cfg = config(accounts=[mock_account(rate=0, count=total, batch=200)])
        seen = 0
        for round_ in range(3):
            gw = self.gateway(cfg).start()
            target = seen + 2000
            wait_for(lambda: count_lines(events_path) >= min(target, total), 60,
                     "progress in round %d" % round_)
            gw.kill9()
            seen = count_lines(events_path)
        gw = self.gateway(cfg).start()
        wait_for(lambda: count_lines(events_path) >= total, 120, "all events")
        self.assertEqual(0, gw.stop())
        self.assert_exactly_once(read_jsonl(events_path), total)


if __name__ == "__main__":
    unittest.main(verbosity=2)
