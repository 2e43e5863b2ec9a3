"""Generated documentation must match the declarations in code."""
import os
import unittest

from gwtest import PLUGINS, SOURCE, GatewayTestCase, run_cli


class DocsTest(GatewayTestCase):
    def test_configuration_reference_is_current(self):
        cfg = self.path("g.toml")
        with open(cfg, "w") as f:
            f.write('[gateway]\nplugin_dir = "%s"\n' % PLUGINS)
        out = self.path("configuration.md")
        r = run_cli("-c", cfg, "config-docs", "-o", out)
        self.assertEqual(0, r.returncode, r.stderr)
        with open(out) as f:
            generated = f.read()
        with open(os.path.join(SOURCE, "docs", "configuration.md")) as f:
            committed = f.read()
        self.assertEqual(committed, generated,
                         "docs/configuration.md is stale: run "
                         "`build/gateway config-docs -o docs/configuration.md`")
        for key in ["data_dir", "poll_interval", "fsync", "rate", "actions_log"]:
            self.assertIn(key, generated)


if __name__ == "__main__":
    unittest.main(verbosity=2)
