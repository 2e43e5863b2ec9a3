"""Faults users fear: a plugin failing, a sink down, a hung operation,
log rotation."""
import os
import signal
import subprocess
import unittest

from gwtest import (FILE_SINK, GATEWAY, GatewayTestCase, config, count_lines, mock_account,
                    read_jsonl, validate_events, wait_for)

def read_text(path):
    with open(path, errors="replace") as f:
        return f.read()


FAST_RETRY = 'retry_base = "20ms"\nretry_max = "200ms"'


class FaultTest(GatewayTestCase):
    def test_repeated_fatal_stops_the_account_with_log_line_and_event(self):
        cfg = config(accounts=[mock_account(fail_op="fetch", fail_with="fatal")],
                     gateway_extra=FAST_RETRY + "\nmax_failures = 3")
        gw = self.gateway(cfg).start()
        gw.wait_log("account stopped after 3 consecutive failures")
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= 1, 10, "stop event")
        self.assertEqual(0, gw.stop())
        events = read_jsonl(self.path("events.jsonl"))
        validate_events(self, events)
        self.assertEqual(["account.stopped"], [e["type"] for e in events])
        self.assertEqual(3, events[0]["detail"]["failures"])

    def test_retry_twice_then_ok_delivers_events(self):
        cfg = config(accounts=[mock_account(rate=0, count=30, fail_op="fetch",
                                            fail_with="retry", fail_times=2)],
                     gateway_extra=FAST_RETRY)
        gw = self.gateway(cfg).start()
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= 30, 20, "30 events")
        self.assertEqual(0, gw.stop())
        self.assertEqual(2, gw.log().count("fetch will be retried"))
        self.assert_exactly_once(read_jsonl(self.path("events.jsonl")), 30)

    def test_full_disk_sink_recovers_without_loss_and_never_stalls_the_other(self):
        """A file sink on a full filesystem keeps failing while the other sink
        gets everything; when space comes back it catches up, each event once."""
        full = self.path("full")
        os.mkdir(full)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", full],
                           capture_output=True)
        if r.returncode != 0:
            self.skipTest("needs root to mount a small tmpfs: %s" % r.stderr.decode().strip())
        self.addCleanup(subprocess.run, ["umount", "-l", full])
        small = ('[[sink]]\nname = "small"\ntype = "file"\npath = "%s/events.jsonl"\n'
                 'retry_max = "200ms"\n' % full)
        cfg = config(accounts=[mock_account(rate=0, count=500)], sinks=[small, FILE_SINK])
        gw = self.gateway(cfg).start()
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= 500, 30,
                 "healthy sink gets everything")
        gw.wait_log("sink write failed")
        self.assertLess(count_lines(os.path.join(full, "events.jsonl")), 500)
        subprocess.run(["mount", "-o", "remount,size=8m", full], check=True)
        wait_for(lambda: count_lines(os.path.join(full, "events.jsonl")) >= 500, 30,
                 "the recovered sink catches up")
        gw.wait_log("sink recovered")
        self.assertEqual(0, gw.stop())
        self.assert_exactly_once(read_jsonl(os.path.join(full, "events.jsonl")), 500)
        self.assert_exactly_once(read_jsonl(self.path("events.jsonl")), 500)

    def test_dead_stdout_reader_does_not_stall_the_file_sink(self):
        cfg = config(accounts=[mock_account(rate=0, count=300)],
                     sinks=['[[sink]]\nname = "console"\ntype = "stdout"\n', FILE_SINK])
        with open(self.path("gateway.toml"), "w") as f:
            f.write(cfg)
        err = open(self.path("stdout-test.stderr"), "wb")
        proc = subprocess.Popen([GATEWAY, "-c", self.path("gateway.toml")], cwd=self.dir,
                                stdout=subprocess.PIPE, stderr=err)
        proc.stdout.close()  # the consumer of the stream is gone
        try:
            wait_for(lambda: count_lines(self.path("events.jsonl")) >= 300, 30,
                     "file sink gets everything")
            wait_for(lambda: "Broken pipe" in read_text(self.path("stdout-test.stderr")),
                     10, "the stdout sink reports EPIPE")
            self.assertIsNone(proc.poll(), "SIGPIPE must not kill the gateway")
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(0, proc.wait(timeout=20))
        finally:
            if proc.poll() is None:
                proc.kill()
            err.close()
        self.assert_exactly_once(read_jsonl(self.path("events.jsonl")), 300)

    def test_hung_operation_times_out_and_late_completion_is_ignored(self):
        # fetch_timeout has a floor of 1s; a 1.5s latency outlives it.
        cfg = config(accounts=[mock_account(rate=0, count=10, latency="1500ms")],
                     gateway_extra=FAST_RETRY + '\nfetch_timeout = "1s"')
        gw = self.gateway(cfg).start()
        gw.wait_log("no completion within 1000 ms", timeout=10)
        gw.wait_log("late completion ignored", timeout=10)
        self.assertTrue(gw.alive())
        self.assertEqual(0, gw.stop())

    def test_sighup_reopens_the_file_after_rotation(self):
        events_path = self.path("events.jsonl")
        gw = self.gateway(config(accounts=[mock_account(rate=100)])).start()
        wait_for(lambda: count_lines(events_path) >= 5, 20, "first events")
        os.rename(events_path, self.path("events.jsonl.old"))
        gw.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: count_lines(events_path) >= 5, 20, "events in the reopened file")
        self.assertEqual(0, gw.stop())
        old = read_jsonl(self.path("events.jsonl.old"))
        new = read_jsonl(events_path)
        validate_events(self, old + new)
        seqs = [e["seq"] for e in old + new]
        self.assertEqual(list(range(1, len(seqs) + 1)), seqs)


if __name__ == "__main__":
    unittest.main(verbosity=2)
