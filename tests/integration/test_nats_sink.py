"""The nats sink against a real nats-server -js on loopback (Debian's
nats-server), the stream read back through libnats (tests/tools/nats_tool):
events land once each, in seq order, with Nats-Msg-Id = the event id and
the subject from the template; create_stream makes the stream with the
configured limits; a server that is down at start or goes away mid-flow
gets everything once and in order when it is back (the cursor moved only
on PubAcks); kill -9 of the gateway, repeatedly, under a flood leaves
every event exactly once in the stream; the token never reaches the log;
bad options are refused with file:line."""
import os
import re
import subprocess
import unittest
import urllib.request

from gwtest import (SOURCE, GatewayTestCase, config, mock_account, run_cli,
                    validate_events, wait_for)
from natsserver import NatsServer, free_port

TOKEN = "nats-test-token-0123456789abcdef"
FAST = 'retry_max = "200ms"\n'


def nats_sink(url, extra="", stream="SOCIAL"):
    return ('[[sink]]\nname = "bus"\ntype = "nats"\nurl = "%s"\nstream = "%s"\n'
            'create_stream = true\n%s%s' % (url, stream, FAST, extra))


def metric(gw, name):
    with urllib.request.urlopen(gw.url("/metrics"), timeout=10) as r:
        text = r.read().decode()
    m = re.search(r'^%s\{sink="bus",type="nats"\} (-?\d+)$' % name, text, re.M)
    return int(m.group(1)) if m else None


class NatsSinkTest(GatewayTestCase):
    def server(self, **kw):
        srv = NatsServer(self.dir, **kw)
        self.addCleanup(srv.kill9)
        return srv

    def assert_once_in_order(self, msgs, total):
        ids = [m["msg_id"] for m in msgs]
        self.assertEqual(len(ids), len(set(ids)), "an event is in the stream twice")
        self.assertEqual(list(range(1, total + 1)), [m["gateway_seq"] for m in msgs])
        for m in msgs:
            self.assertEqual(m["event"]["id"], m["msg_id"])
            self.assertEqual(m["event"]["seq"], m["gateway_seq"])

    def test_events_flow_with_ids_subjects_and_a_created_stream(self):
        srv = self.server(token=TOKEN).start()
        extra = 'token = "${NATS_TOKEN}"\nmax_age = "2h"\nduplicate_window = "20m"\n'
        gw = self.gateway(config(sinks=[nats_sink(srv.url, extra)],
                                 accounts=[mock_account(count=40, rate=0)]),
                          env={"NATS_TOKEN": TOKEN}).start()
        wait_for(lambda: srv.count("SOCIAL") == 40, 30, "40 events in the stream")
        info = srv.info("SOCIAL")
        self.assertEqual(["social.*.*.*"], info["subjects"])
        self.assertEqual(2 * 3600 * 1000, info["max_age_ms"])
        self.assertEqual(20 * 60 * 1000, info["duplicate_window_ms"])
        msgs = srv.messages("SOCIAL")
        self.assert_once_in_order(msgs, 40)
        for m in msgs:
            ev = m["event"]
            self.assertEqual("social.mock.acme.%s" % ev["type"].replace(".", "_"), m["subject"])
        validate_events(self, [m["event"] for m in msgs])
        wait_for(lambda: metric(gw, "gateway_sink_lag_events") == 0, 10, "the cursor")
        self.assertEqual(1, metric(gw, "gateway_sink_up"))
        self.assertEqual(0, gw.stop())
        self.assertNotIn(TOKEN, gw.log())
        self.assertIn("bus -> nats://127.0.0.1:%d" % srv.port, gw.log())

    @unittest.skipUnless(os.access("/usr/bin/openssl", os.X_OK), "needs openssl for a cert")
    def test_tls_is_verified_against_tls_ca(self):
        cert, key = self.path("cert.pem"), self.path("key.pem")
        # A self-signed certificate for 127.0.0.1 serves as its own CA.
        subprocess.run(["/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
                        "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
        srv = self.server(tls=(cert, key)).start()
        good = nats_sink(srv.url, 'tls_ca = "%s"\n' % cert)
        untrusted = nats_sink(srv.url, 'subject = "other.{type}"\n', stream="OTHER").replace(
            'name = "bus"', 'name = "untrusted"')
        plain = nats_sink(srv.url.replace("tls://", "nats://"),
                          'tls_ca = "%s"\nsubject = "plain.{type}"\n' % cert,
                          stream="PLAIN").replace('name = "bus"', 'name = "plain"')
        gw = self.gateway(config(sinks=[good, untrusted, plain],
                                 accounts=[mock_account(count=10, rate=0)])).start()
        wait_for(lambda: srv.count("SOCIAL") == 10, 30, "10 events over TLS")
        self.assert_once_in_order(srv.messages("SOCIAL"), 10)
        # Without the CA the server's certificate is not trusted: no events.
        gw.wait_log('sink/untrusted: sink write failed', 20)
        self.assertIsNone(srv.info("OTHER"))
        # tls_ca turns TLS on for a nats:// url too.
        wait_for(lambda: srv.count("PLAIN") == 10, 30, "10 events with tls_ca on nats://")
        self.assertEqual(0, gw.stop())

    def test_subject_template_and_an_existing_stream(self):
        srv = self.server().start()
        srv.tool("create", "EVENTS", "acme.>")
        sink = ('[[sink]]\nname = "bus"\ntype = "nats"\nurl = "%s"\nstream = "EVENTS"\n'
                'subject = "acme.{type}.from.{network}"\n%s' % (srv.url, FAST))
        gw = self.gateway(config(sinks=[sink], accounts=[mock_account(count=10, rate=0)])).start()
        wait_for(lambda: srv.count("EVENTS") == 10, 30, "10 events in EVENTS")
        msgs = srv.messages("EVENTS")
        self.assert_once_in_order(msgs, 10)
        self.assertTrue(all(re.match(r"^acme\.[a-z_]+\.from\.mock$", m["subject"]) for m in msgs))
        self.assertEqual(0, gw.stop())

    def test_no_stream_without_create_stream_is_retried_until_it_exists(self):
        srv = self.server().start()
        sink = nats_sink(srv.url).replace("create_stream = true\n", "")
        gw = self.gateway(config(sinks=[sink], accounts=[mock_account(count=5, rate=0)])).start()
        wait_for(lambda: (metric(gw, "gateway_sink_write_failures_total") or 0) >= 2, 20,
                 "failed attempts without a stream")
        self.assertIsNone(srv.info("SOCIAL"))
        srv.tool("create", "SOCIAL", "social.>")
        wait_for(lambda: srv.count("SOCIAL") == 5, 30, "the events once the stream exists")
        self.assert_once_in_order(srv.messages("SOCIAL"), 5)
        self.assertEqual(0, gw.stop())
        # A stream that cannot be created (its subjects overlap SOCIAL's)
        # is a failed attempt like any other, retried; the other sink and
        # the gateway go on.
        clash = nats_sink(srv.url, stream="CLASH").replace('name = "bus"', 'name = "clash"')
        gw = self.gateway(config(sinks=[sink, clash],
                                 accounts=[mock_account(count=5, rate=0)])).start()
        gw.wait_log("subjects overlap with an existing stream", 20)
        wait_for(lambda: (metric(gw, "gateway_sink_lag_events") == 0), 20, "bus caught up")
        self.assertIsNone(srv.info("CLASH"))
        self.assertEqual(0, gw.stop())

    def test_server_down_at_start_and_mid_flow_loses_nothing_and_keeps_order(self):
        srv = self.server()
        total = 150
        gw = self.gateway(config(sinks=[nats_sink(srv.url)],
                                 accounts=[mock_account(count=total, rate=30)])).start()
        # Down at start: the gateway runs, the sink keeps trying.
        wait_for(lambda: (metric(gw, "gateway_sink_write_failures_total") or 0) >= 2, 20,
                 "failed attempts against a server that is down")
        self.assertEqual(0, metric(gw, "gateway_sink_up"))
        srv.start()
        wait_for(lambda: srv.count("SOCIAL") >= 20, 30, "delivery once the server is up")
        # Gone mid-flow (the events keep coming into the log), then back.
        srv.kill9()
        failures = metric(gw, "gateway_sink_write_failures_total")
        wait_for(lambda: metric(gw, "gateway_sink_write_failures_total") >= failures + 2, 30,
                 "failed attempts while the server is gone")
        srv.start()
        wait_for(lambda: srv.count("SOCIAL") >= total, 60, "every event after the restart")
        self.assertEqual(0, gw.stop())
        self.assert_once_in_order(srv.messages("SOCIAL"), total)

    def test_kill9_repeatedly_under_a_flood_leaves_every_event_once(self):
        srv = self.server().start()
        total = 20000
        cfg = config(sinks=[nats_sink(srv.url)],
                     accounts=[mock_account(count=total, rate=0, batch=500)])
        seen = 0
        for round_ in range(3):
            gw = self.gateway(cfg).start()
            target = min(seen + 2000, total)
            wait_for(lambda: srv.count("SOCIAL") >= target, 90, "progress in round %d" % round_)
            gw.kill9()
            seen = srv.count("SOCIAL")
        self.assertLess(seen, total, "the flood finished before the last kill; nothing tested")
        gw = self.gateway(cfg).start()
        wait_for(lambda: srv.count("SOCIAL") >= total, 180, "every event")
        self.assertEqual(0, gw.stop())
        msgs = srv.messages("SOCIAL")
        self.assert_once_in_order(msgs, total)

    def test_the_docs_consumer_takes_every_event_as_a_group(self):
        with open(os.path.join(SOURCE, "docs", "sinks.md")) as f:
            text = f.read()
        code = [b for b in re.findall(r"```c\n(.*?)```", text, re.S) if "int main" in b][0]
        src, exe = self.path("helpdesk.c"), self.path("helpdesk")
        with open(src, "w") as f:
            f.write(code)
        subprocess.run(["cc", "-Wall", "-Werror", src, "-o", exe, "-lnats"], check=True)
        srv = self.server().start()
        gw = self.gateway(config(sinks=[nats_sink(srv.url)],
                                 accounts=[mock_account(count=30, rate=0)])).start()
        wait_for(lambda: srv.count("SOCIAL") == 30, 30, "30 events in the stream")
        self.assertEqual(0, gw.stop())
        # Two workers of one group: each event goes to one of them.
        outs = [subprocess.run([exe, srv.url, "--once"], capture_output=True, text=True,
                               timeout=60) for _ in range(2)]
        lines = [l for o in outs for l in o.stdout.splitlines()]
        self.assertTrue(all(o.returncode == 0 for o in outs), [o.stderr for o in outs])
        ids = [l.split(" ")[1] for l in lines]
        self.assertEqual(30, len(ids))
        self.assertEqual(30, len(set(ids)))
        self.assertTrue(all(l.startswith("social.mock.acme.") for l in lines))

    def test_bad_options_are_refused(self):
        cases = [
            ('url = "http://127.0.0.1:4222"', "url must be nats://"),
            ('url = "nats://user:pw@127.0.0.1:4222"', "must not carry a user or password"),
            ('subject = "social.{network}x.{type}"', "must be literal text"),
            ('subject = "social..{type}"', "empty token"),
            ('stream = "a.b"', "stream must be a name"),
            ('timeout = "1ms"', "from 100ms"),
            ('actions_subject = "social.actions"', "would also match the events' subjects"),
            ('actions_subject = "a.{type}"', "literal tokens"),
        ]
        for line, why in cases:
            with self.subTest(line=line):
                key = line.split(" ")[0]
                sink = ('[[sink]]\nname = "bus"\ntype = "nats"\nstream = "S"\n%s\n' % line)
                if key == "stream":
                    sink = '[[sink]]\nname = "bus"\ntype = "nats"\n%s\n' % line
                text = config(sinks=[sink], accounts=[mock_account(count=1)])
                p = self.path("bad.toml")
                with open(p, "w") as f:
                    f.write(text)
                n = text.splitlines().index(line) + 1
                out = run_cli("-c", p, "check-config", cwd=self.dir)
                self.assertEqual(2, out.returncode, out.stdout + out.stderr)
                self.assertRegex(out.stderr, r"%s:%d:\d+: sink\[0\]\.%s: .*%s" % (
                    re.escape(p), n, key, re.escape(why)))
                run = run_cli("-c", p, "run", cwd=self.dir)
                self.assertEqual(2, run.returncode, run.stderr)
        # The token is a secret: a bad one is not echoed.
        sink = ('[[sink]]\nname = "bus"\ntype = "nats"\nstream = "S"\ntoken = 42\n')
        out = run_cli("-c", self.write_config(sink), "check-config", cwd=self.dir)
        self.assertEqual(2, out.returncode)
        self.assertNotIn("42", out.stderr.split("token")[-1])

    def write_config(self, sink):
        p = self.path("bad2.toml")
        with open(p, "w") as f:
            f.write(config(sinks=[sink], accounts=[mock_account(count=1)]))
        return p


if __name__ == "__main__":
    unittest.main(verbosity=2)
