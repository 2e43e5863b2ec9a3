"""Mock plugin -> log -> file sink, through the real binary."""
import os
import signal
import unittest

from gwtest import (FILE_SINK, GatewayTestCase, config, count_lines, mock_account, read_jsonl,
                    validate_events, wait_for)


class PipelineTest(GatewayTestCase):
    def test_mock_events_reach_the_file_sink_valid_and_in_order(self):
        gw = self.gateway(config(accounts=[mock_account(rate=0, count=500, seed=7)])).start()
        events_path = self.path("events.jsonl")
        wait_for(lambda: count_lines(events_path) >= 500, 30, "500 events in the file")
        self.assertEqual(0, gw.stop())
        events = read_jsonl(events_path)
        validate_events(self, events)
        self.assert_exactly_once(events, 500)
        self.assertEqual(list(range(1, 501)), [e["seq"] for e in events])
        for e in events:
            self.assertEqual("mock", e["network"])
            self.assertEqual("acme", e["account"])
            self.assertEqual("mock:" + e["native_id"], e["id"])
        kinds = {e["type"] for e in events}
        self.assertTrue({"mention", "comment", "review", "message"} <= kinds, kinds)
        self.assertIn("private", {e["visibility"] for e in events})
        self.assertTrue(any("rating" in e for e in events if e["type"] == "review"))

    def test_same_seed_gives_same_events(self):
        a = self.gateway(config(accounts=[mock_account(rate=0, count=50, seed=3)])).start()
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= 50, 30, "50 events")
        self.assertEqual(0, a.stop())
        first = read_jsonl(self.path("events.jsonl"))
        os.rename(self.path("var"), self.path("var.first"))
        os.rename(self.path("events.jsonl"), self.path("events.first"))
        b = self.gateway(config(accounts=[mock_account(rate=0, count=50, seed=3)])).start()
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= 50, 30, "50 events again")
        self.assertEqual(0, b.stop())
        second = read_jsonl(self.path("events.jsonl"))
        strip = lambda evs: [(e["id"], e.get("text"), e["type"]) for e in evs]
        self.assertEqual(strip(first), strip(second))

    def test_restart_resumes_with_nothing_lost_or_repeated(self):
        events_path = self.path("events.jsonl")
        gw = self.gateway(config(accounts=[mock_account(rate=0, count=300, batch=50)])).start()
        wait_for(lambda: count_lines(events_path) >= 300, 30, "first 300 events")
        self.assertEqual(0, gw.stop())
        # A larger count on restart: the mock continues from its stored
        # position, the sink from its cursor.
        gw2 = self.gateway(config(accounts=[mock_account(rate=0, count=700, batch=50)])).start()
        wait_for(lambda: count_lines(events_path) >= 700, 30, "700 events after restart")
        self.assertEqual(0, gw2.stop())
        events = read_jsonl(events_path)
        validate_events(self, events)
        self.assert_exactly_once(events, 700)
        self.assertEqual(list(range(1, 701)), [e["seq"] for e in events])
        # A restart with nothing new delivers nothing again.
        gw3 = self.gateway(config(accounts=[mock_account(rate=0, count=700)])).start()
        gw3.wait_log("running")
        self.assertEqual(0, gw3.stop())
        self.assertEqual(700, count_lines(events_path))

    def test_duplicate_items_are_stored_once(self):
        scenario = self.path("dupes.jsonl")
        with open(scenario, "w") as f:
            for i in [1, 2, 2, 3, 1, 3, 4]:
                f.write('{"type":"mention","visibility":"public","native_id":"t-%d",'
                        '"text":"@acme where is order %d"}\n' % (i, i))
        gw = self.gateway(config(accounts=[mock_account(scenario=scenario, rate=0)])).start()
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= 4, 20, "4 unique events")
        self.assertEqual(0, gw.stop())
        events = read_jsonl(self.path("events.jsonl"))
        validate_events(self, events)
        self.assertEqual(["mock:t-1", "mock:t-2", "mock:t-3", "mock:t-4"],
                         [e["id"] for e in events])

    def test_sigint_drains_and_exits_zero(self):
        gw = self.gateway(config(accounts=[mock_account(rate=200)])).start()
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= 10, 20, "some events")
        self.assertEqual(0, gw.stop(signal.SIGINT))
        self.assertIn("draining", gw.log())
        # Everything in the log was delivered before exit.
        events = read_jsonl(self.path("events.jsonl"))
        self.assertEqual(list(range(1, len(events) + 1)), [e["seq"] for e in events])

    def test_stdout_sink_writes_jsonl(self):
        import subprocess
        from gwtest import GATEWAY
        cfg = config(accounts=[mock_account(rate=0, count=20)],
                     sinks=['[[sink]]\nname = "console"\ntype = "stdout"\n'])
        with open(self.path("gateway.toml"), "w") as f:
            f.write(cfg)
        proc = subprocess.Popen([GATEWAY, "-c", self.path("gateway.toml")], cwd=self.dir,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        lines = []
        import json
        while len(lines) < 20:
            line = proc.stdout.readline()
            self.assertTrue(line, "stdout closed early")
            lines.append(json.loads(line))
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(0, proc.wait(timeout=20))
        validate_events(self, lines)
        self.assertEqual(list(range(1, 21)), [e["seq"] for e in lines])


if __name__ == "__main__":
    unittest.main(verbosity=2)
