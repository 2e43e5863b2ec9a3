"""File sink rotation honours max_size, also for the big batch a sink gets
after a backlog (issue 16, point 7): every file stays within max_size and
the files together hold every event once, in seq order."""
import os
import unittest

from gwtest import GatewayTestCase, config, count_lines, mock_account, read_jsonl, wait_for

MAX_SIZE = 20 * 1024  # "20KB": sizes are in powers of 1024

FIRST = '[[sink]]\nname = "first"\ntype = "file"\npath = "first.jsonl"\n'
ARCHIVE = ('[[sink]]\nname = "archive"\ntype = "file"\npath = "archive/events.jsonl"\n'
           'max_size = "20KB"\nmax_files = 100\n')


class RotationTest(GatewayTestCase):
    def archive_files(self):
        """The archive's files, oldest first: events.jsonl.N ... .1, events.jsonl."""
        base = self.path("archive", "events.jsonl")
        n = 1
        while os.path.exists("%s.%d" % (base, n)):
            n += 1
        return ["%s.%d" % (base, i) for i in range(n - 1, 0, -1)] + [base]

    def archived_lines(self):
        """Lines in the whole archive; None (wait_for tries again) when a
        rotation renamed a file between listing and reading it."""
        try:
            return sum(count_lines(p) for p in self.archive_files())
        except FileNotFoundError:
            return None

    def assert_archive_holds(self, count):
        files = self.archive_files()
        for p in files:
            size = os.path.getsize(p)
            self.assertLessEqual(size, MAX_SIZE, "%s is %d bytes" % (p, size))
        events = [e for p in files for e in read_jsonl(p)]
        self.assert_exactly_once(events, count)
        self.assertEqual(list(range(1, count + 1)), [e["seq"] for e in events])
        return files

    def test_backlog_batch_is_split_across_files_within_max_size(self):
        # A backlog in the log the archive sink has not seen: 400 events.
        gw = self.gateway(config(accounts=[mock_account(rate=0, count=400)],
                                 sinks=[FIRST])).start()
        wait_for(lambda: count_lines(self.path("first.jsonl")) >= 400, 30, "400 events")
        self.assertEqual(0, gw.stop())
        self.assertGreater(os.path.getsize(self.path("first.jsonl")), 3 * MAX_SIZE)

        # The archive joins and gets the backlog in one batch (batch_size
        # 1024), several times max_size.
        gw = self.gateway(config(accounts=[mock_account(rate=0, count=400)],
                                 sinks=[FIRST, ARCHIVE])).start()
        wait_for(lambda: (self.archived_lines() or 0) >= 400, 30, "the backlog in the archive")
        self.assertEqual(0, gw.stop())
        files = self.assert_archive_holds(400)
        self.assertGreaterEqual(len(files), 4)

        # After a kill -9 with more events, the archive resumes after the
        # last seq its files hold: still within max_size, each event once.
        gw = self.gateway(config(accounts=[mock_account(rate=0, count=700)],
                                 sinks=[FIRST, ARCHIVE])).start()
        wait_for(lambda: (self.archived_lines() or 0) >= 700, 30, "700 events in the archive")
        gw.kill9()
        gw = self.gateway(config(accounts=[mock_account(rate=0, count=700)],
                                 sinks=[FIRST, ARCHIVE])).start()
        gw.wait_log("running")
        self.assertEqual(0, gw.stop())
        self.assert_archive_holds(700)


if __name__ == "__main__":
    unittest.main(verbosity=2)
