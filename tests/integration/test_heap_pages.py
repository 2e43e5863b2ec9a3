"""[gateway] huge_pages through the real binary: with it on, the heap the
event loop grows under a flood with conversations is advised for
transparent huge pages (the kernel's VmFlags "hg" in /proc/<pid>/smaps);
with it off, no mapping is. A sanitizer's build does not use glibc's heap
and says so in its log; the positive check then has nothing to read."""
import os
import unittest

from gwtest import GatewayTestCase, config, count_lines, mock_account, wait_for

EVENTS = 30000


def advised_mappings(pid):
    """How many of the process' mappings carry the huge page advice."""
    with open("/proc/%d/smaps" % pid) as f:
        return sum(1 for line in f if line.startswith("VmFlags:") and " hg" in line)


class HeapPagesTest(GatewayTestCase):
    def flood(self, huge_pages):
        gw = self.gateway(config(accounts=[mock_account(poll="1s", count=EVENTS, rate=0,
                                                        batch=1000, seed=7)],
                                 gateway_extra="huge_pages = %s\n" % huge_pages)).start()
        events = self.path("events.jsonl")
        wait_for(lambda: count_lines(events) >= EVENTS, 60, "%d events in the sink" % EVENTS)
        return gw

    def test_the_loops_heap_is_advised_as_it_grows(self):
        if not os.path.exists("/sys/kernel/mm/transparent_hugepage"):
            self.skipTest("the kernel has no transparent huge pages")
        gw = self.flood("true")
        if "not advised for huge pages (not glibc's heap)" in gw.log():
            self.skipTest("a sanitizer's allocator: no heap of glibc's to advise")
        self.assertIn("heap: advised for transparent huge pages as it grows", gw.log())
        self.assertGreater(advised_mappings(gw.proc.pid), 0)
        self.assertEqual(0, gw.stop())

    def test_huge_pages_false_advises_nothing(self):
        gw = self.flood("false")
        self.assertIn("heap: not advised for huge pages ([gateway] huge_pages)", gw.log())
        self.assertEqual(0, advised_mappings(gw.proc.pid))
        self.assertEqual(0, gw.stop())


if __name__ == "__main__":
    unittest.main(verbosity=2)
