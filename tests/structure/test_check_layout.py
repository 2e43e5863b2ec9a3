#!/usr/bin/env python3
"""The layout checker catches what it is for: a file over the limit, an
include cycle between two files, a cycle around three, a call cycle that a
shared header hides; and passes a tree that has none."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK = os.path.join(HERE, "check_layout.py")


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


class CheckLayout(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="layout-")
        write(self.root, "core/base/a.h", "int a(void);\n")
        write(self.root, "core/base/a.c", '#include "base/a.h"\nint a(void) { return 1; }\n')
        write(self.root, "core/engine/b.h", "int b(void);\n")
        write(self.root, "core/engine/b.c",
              '#include "engine/b.h"\n#include "base/a.h"\nint b(void) { return a(); }\n')

    def tearDown(self):
        shutil.rmtree(self.root)

    def run_check(self, *build):
        r = subprocess.run([sys.executable, CHECK, self.root, *build],
                           capture_output=True, text=True)
        return r.returncode, r.stdout

    def test_clean_tree_passes(self):
        rc, out = self.run_check()
        self.assertEqual(rc, 0, out)
        self.assertIn("layout: 0 problem(s)", out)

    def test_file_over_the_limit_fails(self):
        write(self.root, "plugins/x/big.c", "int x;\n" * 801)
        rc, out = self.run_check()
        self.assertEqual(rc, 1)
        self.assertIn("plugins/x/big.c: 801 lines", out)

    def test_two_files_including_each_other_fail(self):
        write(self.root, "core/base/a.c", '#include "base/a.h"\n#include "engine/b.h"\n')
        rc, out = self.run_check()
        self.assertEqual(rc, 1)
        self.assertIn("include cycle", out)
        self.assertIn("core/base/a -> core/engine/b", out)
        self.assertIn("core/engine/b -> core/base/a", out)

    def test_folders_using_each_other_fail(self):
        # No two files in a cycle, but base/ uses engine/ and engine/ base/.
        write(self.root, "core/base/c.c", '#include "engine/b.h"\n')
        rc, out = self.run_check()
        self.assertEqual(rc, 1)
        self.assertIn("folder cycle", out)
        self.assertIn("core/base -> core/engine", out)
        self.assertNotIn("include cycle", out)

    def test_cycle_around_three_fails(self):
        write(self.root, "sdk/c.h", '#include "d.h"\n')
        write(self.root, "sdk/d.h", '#include "e.h"\n')
        write(self.root, "sdk/e.h", "int e(void);\n")
        write(self.root, "sdk/e.c", '#include "c.h"\n')
        rc, out = self.run_check()
        self.assertEqual(rc, 1)
        self.assertIn("sdk/e -> sdk/c", out)

    @unittest.skipUnless(shutil.which("cc") and shutil.which("nm"), "needs cc and nm")
    def test_call_cycle_behind_a_shared_header_fails(self):
        # Both files include only shared.h: the include graph has no cycle,
        # the objects do.
        write(self.root, "plugins/p/shared.h", "int f(int);\nint g(int);\n")
        write(self.root, "plugins/p/f.c",
              '#include "shared.h"\nint f(int n) { return n ? g(n - 1) : 0; }\n')
        write(self.root, "plugins/p/g.c",
              '#include "shared.h"\nint g(int n) { return n ? f(n - 1) : 1; }\n')
        build = os.path.join(self.root, "build")
        objdir = os.path.join(build, "plugins", "p", "CMakeFiles", "p.dir")
        os.makedirs(objdir)
        for name in ("f", "g"):
            subprocess.run(["cc", "-c", "-o", os.path.join(objdir, name + ".c.o"),
                            os.path.join(self.root, "plugins/p", name + ".c")], check=True)
        rc, out = self.run_check()
        self.assertEqual(rc, 0, out)
        rc, out = self.run_check(build)
        self.assertEqual(rc, 1)
        self.assertIn("call cycle", out)
        self.assertIn("plugins/p/f -> plugins/p/g  (g)", out)


if __name__ == "__main__":
    unittest.main()
