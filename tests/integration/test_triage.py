"""Triage enrichment through the real binary: labelled items a mock
scenario delivers come out of the pipeline with the expected tags and
reasons; host events and [triage] enabled = false carry none; a plugin's
own tags are kept; `gateway triage` prints tags for a sample and refuses
bad rules with file:line; the labelled sample of customer-service posts
(tests/data/triage_sample.jsonl) keeps its intent and sentiment accuracy
(tests/tools/triage_eval.py prints the table)."""
import json
import os
import subprocess
import sys
import unittest
import urllib.request

from gwtest import (GATEWAY, PLUGINS, SOURCE, GatewayTestCase, config, count_lines, mock_account, read_jsonl,
                    run_cli, validate_events, wait_for)

TRIAGE = """[triage]
brand_terms = ["Acme"]
brand_handles = ["@acme"]
competitors = ["Globex"]
influence_high = 10000
influence_top = 100000
"""

RULES = """[[rule]]
name = "vip_refund"
text = "refund|chargeback"
followers_min = 1000
points = 20
reason = "refund asked by a known customer"

[[rule]]
name = "yelp_low"
network = "mock"
type = "review"
rating_max = 2
level = "urgent"
"""

# Labelled items: what a network would deliver, and what triage must say.
SCENARIO = [
    {"type": "mention", "native_id": "p1", "text": "@acme where can I buy the new kettle?",
     "author": {"id": "a1", "followers": 120}},
    {"type": "mention", "native_id": "c1",
     "text": "@acme third broken kettle this year. Switching to Globex",
     "author": {"id": "a2", "followers": 120500}},
    {"type": "mention", "native_id": "k1",
     "text": "@acme thanks for replacing my kettle so fast, great service!",
     "author": {"id": "a3", "verified": True}},
    {"type": "message", "native_id": "m1",
     "text": "My kettle arrived damaged, I want a refund", "author": {"id": "a4", "followers": 5000}},
    {"type": "mention", "native_id": "u1",
     "text": "anyone else having trouble with the Acmé app today? it keeps crashing",
     "author": {"id": "a5"}},
    {"type": "review", "native_id": "r1", "rating": 1,
     "text": "Lovely staff, great location.", "author": {"id": "a6"}},
    {"type": "mention", "native_id": "t1", "text": "@acme not happy, never again",
     "tags": {"keywords": ["acme"], "mentioned": True, "campaign": "spring"},
     "author": {"id": "a7"}},
]


def by_id(events):
    return {e["native_id"]: e for e in events}


class TriagePipelineTest(GatewayTestCase):
    def run_scenario(self, triage_text):
        scenario = self.path("scenario.jsonl")
        with open(scenario, "w", encoding="utf-8") as f:
            for item in SCENARIO:
                f.write(json.dumps(item, ensure_ascii=False) + "\n")
        cfg = config(accounts=[mock_account(rate=0, scenario=scenario)]) + triage_text
        gw = self.gateway(cfg).start()
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= len(SCENARIO), 30,
                 "the scenario's items in the file sink")
        self.assertEqual(0, gw.stop())
        events = read_jsonl(self.path("events.jsonl"))
        validate_events(self, events)
        return by_id(events)

    def test_labelled_items_get_their_tags_and_reasons(self):
        ev = self.run_scenario(TRIAGE + RULES)
        p = ev["p1"]["tags"]
        self.assertEqual(["purchase", "question"], p["intent"])
        self.assertTrue(p["mentioned"])
        self.assertEqual(["Acme"], p["keywords"])
        self.assertEqual("normal", p["influence"])
        self.assertIn("purchase intent: 'where can i buy' (+30)", p["priority_reasons"])
        self.assertEqual("high", p["priority"])

        c = ev["c1"]["tags"]
        self.assertIn("churn_risk", c["intent"])
        self.assertIn("complaint", c["intent"])
        self.assertEqual("negative", c["sentiment"])
        self.assertEqual("top", c["influence"])
        self.assertEqual("urgent", c["priority"])
        self.assertIn("churn risk: 'switching to <competitor>', names Globex (+40)",
                      c["priority_reasons"])
        self.assertIn("author has 120k followers (+30)", c["priority_reasons"])

        k = ev["k1"]["tags"]
        self.assertEqual(["kudos"], k["intent"])
        self.assertEqual("positive", k["sentiment"])
        self.assertGreater(k["sentiment_score"], 0.5)
        self.assertEqual("high", k["influence"])
        self.assertIn("verified author (+20)", k["priority_reasons"])

        m = ev["m1"]["tags"]
        self.assertEqual(["complaint"], m["intent"])
        self.assertTrue(m["mentioned"])  # a private message is addressed to the brand
        self.assertIn("private message (+10)", m["priority_reasons"])
        self.assertIn("refund asked by a known customer (+20)", m["priority_reasons"])

        u = ev["u1"]["tags"]
        self.assertEqual(["Acme"], u["keywords"])  # accent and case ignored
        self.assertFalse(u["mentioned"])
        self.assertTrue(u["unaddressed"])
        self.assertIn("complaint", u["intent"])
        self.assertNotIn("influence", u)  # no follower count, no tier

        r = ev["r1"]["tags"]
        self.assertEqual("negative", r["sentiment"])  # one star, whatever the words
        self.assertLessEqual(r["sentiment_score"], -0.5)
        self.assertEqual("urgent", r["priority"])
        self.assertIn("rule yelp_low (level urgent)", r["priority_reasons"])
        self.assertGreaterEqual(r["priority_score"], 70)

        t = ev["t1"]["tags"]
        self.assertEqual("spring", t["campaign"])  # the plugin's own tag is kept
        self.assertEqual(["acme"], t["keywords"])  # not doubled as "Acme"
        self.assertIn("churn_risk", t["intent"])
        self.assertEqual("negative", t["sentiment"])
        for e in ev.values():
            for reasons in [e["tags"].get("priority_reasons", [])]:
                self.assertTrue(all(isinstance(x, str) and x for x in reasons))

    def test_disabled_triage_adds_nothing(self):
        ev = self.run_scenario("[triage]\nenabled = false\n")
        self.assertNotIn("tags", ev["p1"])
        self.assertEqual({"keywords": ["acme"], "mentioned": True, "campaign": "spring"},
                         ev["t1"]["tags"])

    def test_host_events_are_not_triaged(self):
        cfg = config(accounts=[mock_account(rate=0, count=20, seed=5, fail_op="fetch",
                                            fail_with="fatal")],
                     gateway_extra="max_failures = 1\n") + TRIAGE
        gw = self.gateway(cfg).start()
        wait_for(lambda: any(e["type"] == "account.stopped"
                             for e in read_jsonl(self.path("events.jsonl"))), 30,
                 "account.stopped in the file sink")
        self.assertEqual(0, gw.stop())
        stopped = [e for e in read_jsonl(self.path("events.jsonl"))
                   if e["type"] == "account.stopped"]
        self.assertNotIn("tags", stopped[0])


class TriageQueueTest(GatewayTestCase):
    """Triage and conversations together, as shipped (both on): the work
    queue (GET /v1/conversations?sort=priority) puts first what triage
    ranked first, so an agent opens the churn risk before the kudos."""

    def test_work_queue_follows_triage_priority(self):
        token = "triage-queue-token-0123456789"
        scenario = self.path("scenario.jsonl")
        with open(scenario, "w", encoding="utf-8") as f:
            for item in SCENARIO:
                f.write(json.dumps(item, ensure_ascii=False) + "\n")
        cfg = (config(accounts=[mock_account(rate=0, scenario=scenario)]) + TRIAGE +
               '[api]\ntoken = "%s"\n' % token)
        gw = self.gateway(cfg).start()
        wait_for(lambda: count_lines(self.path("events.jsonl")) >= len(SCENARIO), 30,
                 "the scenario's items in the file sink")
        events = by_id(read_jsonl(self.path("events.jsonl")))
        req = urllib.request.Request(gw.url("/v1/conversations?state=open&sort=priority"),
                                     headers={"Authorization": "Bearer " + token})
        with urllib.request.urlopen(req, timeout=10) as r:
            queue = json.loads(r.read())["conversations"]
        self.assertEqual(0, gw.stop())
        score = {e["conversation_id"]: e["tags"]["priority_score"] for e in events.values()}
        order = [c["id"] for c in queue]
        self.assertEqual(sorted(score), sorted(order))
        scores = [score[c] for c in order]
        self.assertEqual(sorted(scores, reverse=True), scores, "queue not in triage order")
        self.assertEqual(events["c1"]["conversation_id"], order[0],
                         "the churn risk from a 120k-follower author comes first")


class TriageCliTest(GatewayTestCase):
    def write(self, name, text):
        with open(self.path(name), "w", encoding="utf-8") as f:
            f.write(text)
        return self.path(name)

    def test_sample_text_json_and_human(self):
        cfg = self.write("gateway.toml", TRIAGE)
        out = run_cli("-c", cfg, "triage", "--json", "--followers", "120000",
                      "@acme where can I buy the kettle?")
        self.assertEqual(0, out.returncode, out.stderr)
        tags = json.loads(out.stdout)
        self.assertEqual(["purchase", "question"], tags["intent"])
        self.assertEqual("top", tags["influence"])
        self.assertEqual("urgent", tags["priority"])
        out = run_cli("-c", cfg, "triage", "--rating", "1", "Great place")
        self.assertEqual(0, out.returncode, out.stderr)
        self.assertIn("sentiment: negative", out.stdout)
        self.assertIn("1-star review (+15)", out.stdout)

    def test_usage_errors_say_what_to_change(self):
        cfg = self.write("gateway.toml", TRIAGE)
        out = run_cli("-c", cfg, "triage", "--rating", "9", "text")
        self.assertEqual(2, out.returncode)
        self.assertIn("--rating is \"9\"; give a number of stars from 1 to 5", out.stderr)
        out = run_cli("-c", cfg, "triage")
        self.assertEqual(2, out.returncode)
        self.assertIn("give the TEXT to triage", out.stderr)
        out = run_cli("-c", cfg, "triage", "--type", "message", "--rating", "2", "x")
        self.assertEqual(2, out.returncode)
        self.assertIn("--rating goes with a review", out.stderr)

    def test_bad_rules_and_lexicons_are_refused_with_file_and_line(self):
        os.mkdir(self.path("lex"))
        self.write("lex/kudos.txt", "# ours\nyou are the best, 2\nbad line, x\n")
        cfg = self.write("gateway.toml", '[gateway]\nplugin_dir = "%s"\n' % PLUGINS +
                         TRIAGE + 'lexicon_dir = "lex"\n' +
                         '[[rule]]\nname = "r"\ntext = "(unclosed"\npoints = 5\n'
                         '[[rule]]\nname = "idle"\nnetwork = "twitter"\n'
                         '[[rule]]\nname = "t"\ntype = "tweet"\nlevel = "high"\n')
        for argv in (["check-config"], ["triage", "hello"]):
            out = run_cli("-c", cfg, *argv)
            self.assertEqual(2, out.returncode, out.stdout)
            self.assertIn("lex/kudos.txt:3: expected \"phrase\" or \"phrase, weight\"", out.stderr)
            self.assertIn("gateway.toml:12:8: rule[0].text: not a valid extended regular "
                          "expression", out.stderr)
            self.assertIn("gateway.toml:14:1: rule[1]: the rule does nothing", out.stderr)
            self.assertIn("rule[2].type: \"tweet\" is not one of mention|comment|review|message",
                          out.stderr)

    def test_labelled_sample_accuracy(self):
        cfg = self.write("gateway.toml", TRIAGE)
        tool = os.path.join(SOURCE, "tests", "tools", "triage_eval.py")
        sample = os.path.join(SOURCE, "tests", "data", "triage_sample.jsonl")
        out = subprocess.run([sys.executable, tool, GATEWAY, sample, "--config", cfg,
                              "--min-macro-f1", "0.85"], capture_output=True, text=True,
                             timeout=600)
        print(out.stdout)
        self.assertEqual(0, out.returncode, out.stdout + out.stderr)
        first = out.stdout.splitlines()[0]
        self.assertGreaterEqual(int(first.split()[0]), 200, first)


if __name__ == "__main__":
    unittest.main()
