"""The SDK as a platform team outside this repository meets it: the build
installed into a temporary root (DESTDIR), `gateway plugin new` from that
installed gateway, the new plugin configured and built out of tree with
only pkg-config (gateway-sdk.pc), its own test run against the installed
gateway, and the installed files where the packaging promises them. Also
what `plugin new` refuses, and that the man pages name every command and
configuration section."""
import os
import re
import shutil
import subprocess
import unittest

from gwtest import BUILD, SLOW, SOURCE, GatewayTestCase, run_cli


def run(args, **kw):
    r = subprocess.run(args, capture_output=True, text=True, timeout=300 * SLOW, **kw)
    if r.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s\n%s" % (" ".join(args), r.returncode,
                                                          r.stdout[-3000:], r.stderr[-3000:]))
    return r


def sanitized():
    """True in the ASan/UBSan build (scripts/test --sanitize)."""
    with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
        return "GW_SANITIZE:BOOL=ON" in f.read()


def installed_prefix(root):
    """The configured prefix under DESTDIR root (where bin/gateway is)."""
    for dirpath, _, files in os.walk(root):
        if "gateway" in files and dirpath.endswith("/bin"):
            return os.path.dirname(dirpath)
    raise AssertionError("no bin/gateway under " + root)


class SdkTest(GatewayTestCase):
    def test_template_builds_out_of_tree_with_pkg_config_and_passes_its_test(self):
        root = self.path("root")
        run(["cmake", "--install", BUILD], env=dict(os.environ, DESTDIR=root))
        prefix = installed_prefix(root)
        gw = os.path.join(prefix, "bin", "gateway")
        pcs = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs
               if f == "gateway-sdk.pc"]
        self.assertEqual(1, len(pcs), pcs)
        pcdir = os.path.dirname(pcs[0])
        # What the packaging promises to install.
        for rel in ("include/gateway/plugin.h", "include/gateway/sdk.h",
                    "include/gateway/error.h", "share/man/man1/gateway.1",
                    "share/man/man5/gateway.toml.5", "lib/systemd/system/gateway.service",
                    "share/gateway/template/src/skeleton.c"):
            self.assertTrue(os.path.exists(os.path.join(prefix, rel)), rel)
        libdir = os.path.dirname(pcdir)
        for lib in ("libgateway-sdk.a", "libgateway-sdk.so", "libgateway-sdk.so.1"):
            self.assertTrue(os.path.exists(os.path.join(libdir, lib)), lib)
        plugins = os.path.join(libdir, "gateway", "plugins")
        self.assertEqual(["facebook.so", "forum.so", "mock.so", "twitter.so", "yelp.so",
                          "youtube.so"], sorted(os.listdir(plugins)))

        # gateway plugin new, then build with nothing but pkg-config.
        work = self.path("work")
        os.mkdir(work)
        r = run([gw, "plugin", "new", "acme_net"], cwd=work)
        self.assertIn("created acme_net/", r.stdout)
        src = os.path.join(work, "acme_net")
        self.assertEqual(["CMakeLists.txt", "README.md", "src/acme_net.c", "test/check.toml",
                          "test/fake_acme_net.py", "test/test_acme_net.py"],
                         sorted(os.path.relpath(os.path.join(d, f), src)
                                for d, _, fs in os.walk(src) for f in fs))
        for d, _, fs in os.walk(src):
            for f in fs:
                with open(os.path.join(d, f)) as fh:
                    self.assertNotRegex(fh.read(), "(?i)skeleton", f)
        env = dict(os.environ, PKG_CONFIG_PATH=pcdir, GATEWAY=gw)
        if sanitized():
            # The installed SDK archive is instrumented like the rest of this
            # build: a plugin linking it needs the same runtime.
            env["CFLAGS"] = env["LDFLAGS"] = "-fsanitize=address,undefined"
        env.pop("PKG_CONFIG_LIBDIR", None)
        run(["cmake", "-S", src, "-B", os.path.join(src, "build")], env=env)
        run(["cmake", "--build", os.path.join(src, "build")], env=env)
        so = os.path.join(src, "build", "acme_net.so")
        exported = run(["nm", "-D", "--defined-only", so]).stdout.split()
        self.assertIn("gw_plugin_entry", exported)
        self.assertEqual(["gw_plugin_entry"], [s for s in exported if s.startswith("gw_")],
                         "the SDK's helpers must stay hidden inside the plugin")
        self.assertNotIn("libgateway-sdk", run(["ldd", so]).stdout)
        r = run([gw, "plugins", so])
        self.assertRegex(r.stdout, r"^acme_net\s+0\.1\.0\s+abi 1\.\d+\s+"
                                   r"fetch,post-public,send-private,webhook")
        r = run(["ctest", "--test-dir", os.path.join(src, "build"), "--output-on-failure"],
                env=env)
        self.assertIn("100% tests passed", r.stdout)

    def test_plugin_new_refuses_a_bad_name_and_a_taken_folder(self):
        r = run_cli("plugin", "new", "Bad-Name", cwd=self.dir)
        self.assertEqual(2, r.returncode)
        self.assertIn('"Bad-Name" is not a network name', r.stderr)
        os.mkdir(self.path("taken"))
        with open(self.path("taken", "keep.txt"), "w") as f:
            f.write("mine")
        r = run_cli("plugin", "new", "tiktok", "taken", cwd=self.dir)
        self.assertEqual(1, r.returncode)
        self.assertIn("taken already exists and is not an empty folder", r.stderr)
        self.assertEqual(["keep.txt"], os.listdir(self.path("taken")))
        r = run_cli("plugin", "old", "x", cwd=self.dir)
        self.assertEqual(2, r.returncode)
        self.assertIn("expected `plugin new NAME [DIR]`", r.stderr)

    def test_man_pages_name_every_command_and_section(self):
        with open(os.path.join(SOURCE, "docs", "man", "gateway.1")) as f:
            man1 = f.read()
        with open(os.path.join(SOURCE, "docs", "man", "gateway.toml.5")) as f:
            man5 = f.read()
        overview = run_cli("--help").stdout
        commands = re.findall(r"^  ([a-z][a-z-]*)\b", overview.split("commands:")[1]
                              .split("options")[0], re.M)
        self.assertIn("run", commands)
        for c in commands:
            self.assertRegex(man1, r"\n\.B[R]? %s\b" % re.escape(c),
                             "gateway.1 does not describe the command %s" % c)
        with open(os.path.join(SOURCE, "docs", "configuration.md")) as f:
            sections = set(re.findall(r"^## `(\[\[?[a-z]+\]?\])`", f.read(), re.M))
        self.assertIn("[gateway]", sections)
        for s in sections:
            self.assertIn("\n.B %s\n" % s, man5, "gateway.toml.5 does not describe %s" % s)

    def test_systemd_unit_verifies(self):
        unit = os.path.join(BUILD, "packaging", "gateway.service")
        r = subprocess.run(["systemd-analyze", "verify", unit], capture_output=True, text=True)
        # verify also checks that ExecStart's binary and the Documentation
        # man pages exist, which they do only once installed; everything
        # else must be clean.
        problems = [l for l in (r.stdout + r.stderr).splitlines()
                    if l.strip() and "is not executable" not in l and "No such file" not in l
                    and "Command 'man " not in l]
        self.assertEqual([], problems)


if __name__ == "__main__":
    unittest.main(verbosity=2)
