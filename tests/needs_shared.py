#!/usr/bin/python3
"""needs_shared.py - tests that read the shared/ folder beside the clone
(../shared: the toml-test suite, the networks' published API specs) skip
with a clear reason when it is not there, so a clone elsewhere still runs
everything else.

In front of a test command (ctest, with SKIP_RETURN_CODE 77):

    needs_shared.py PATH [COMMAND ARGS...]

runs COMMAND (exit status passed through) when PATH exists. Otherwise it
prints

    skipped: ../shared/conformance/toml-test/tests not found (clone the
    project beside shared/ to run this)

and exits 77, which ctest reports as Skipped. With GW_REQUIRE_SHARED=1 in
the environment (CI, where shared/ must be there) the same case fails with
exit status 1 instead.

From a Python test, before anything else runs:

    import needs_shared
    spec = needs_shared.require(os.path.join(needs_shared.SHARED, "api-specs", ...))

exits the same way, so the whole test file is skipped (or fails).
"""
import os
import sys

SKIP = 77
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared"))


def shown(path):
    """path as a reader of the repository sees it: ../shared/... when it
    is beside the clone, else as given."""
    path = os.path.abspath(path)
    rel = os.path.relpath(path, ROOT)
    return rel if rel.startswith(os.path.join("..", "shared")) else path


def require(path):
    """Return path when it exists; otherwise print why and exit: 77
    (skipped), or 1 when GW_REQUIRE_SHARED=1."""
    if os.path.exists(path):
        return path
    if os.environ.get("GW_REQUIRE_SHARED", "") not in ("", "0"):
        print("FAILED: %s not found, and GW_REQUIRE_SHARED is set (CI needs shared/ beside "
              "the clone)" % shown(path), flush=True)
        sys.exit(1)
    print("skipped: %s not found (clone the project beside shared/ to run this)" % shown(path),
          flush=True)
    sys.exit(SKIP)


def main(argv):
    if len(argv) < 2:
        print("usage: needs_shared.py PATH [COMMAND ARGS...]", file=sys.stderr)
        return 2
    require(argv[1])
    if len(argv) == 2:
        return 0
    sys.stdout.flush()
    os.execvp(argv[2], argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
