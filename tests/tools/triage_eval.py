#!/usr/bin/env python3
"""Intent and sentiment accuracy of `gateway triage` on a labelled sample.

  triage_eval.py GATEWAY SAMPLE.jsonl [--config FILE] [--min-macro-f1 X] [--show-misses]

Each line of the sample is one post written for the tests: network, type,
rating (reviews), text, and the expected "intent" (a list, possibly
empty) and "sentiment" (negative, neutral or positive). Every post runs
through `GATEWAY triage --json` (the same code the pipeline runs); the
table gives precision, recall and F1 per intent and per sentiment label,
with the macro averages. Exit 1 when the macro F1 over the intents and the
sentiment labels together is below --min-macro-f1.
"""
import argparse
import json
import subprocess
import sys

INTENTS = ["purchase", "churn_risk", "question", "complaint", "kudos"]
LABELS = ["negative", "neutral", "positive"]


def triage(gateway, config, item):
    argv = [gateway, "-c", config, "triage", "--json", "--network", item["network"],
            "--type", item["type"]]
    if "rating" in item:
        argv += ["--rating", str(item["rating"])]
    argv += ["--", item["text"]]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise SystemExit("%s failed (%d): %s" % (" ".join(argv), out.returncode, out.stderr))
    return json.loads(out.stdout)


def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gateway")
    ap.add_argument("sample")
    ap.add_argument("--config", required=True)
    ap.add_argument("--min-macro-f1", type=float, default=0.0)
    ap.add_argument("--show-misses", action="store_true")
    a = ap.parse_args()
    items = [json.loads(line) for line in open(a.sample, encoding="utf-8") if line.strip()]
    counts = {t: [0, 0, 0] for t in INTENTS + ["sentiment:" + s for s in LABELS]}
    misses = []
    for item in items:
        tags = triage(a.gateway, a.config, item)
        got = set(tags.get("intent", []))
        want = set(item["intent"])
        for t in INTENTS:
            c = counts[t]
            c[0] += t in got and t in want
            c[1] += t in got and t not in want
            c[2] += t not in got and t in want
        gs, ws = tags["sentiment"], item["sentiment"]
        for s in LABELS:
            c = counts["sentiment:" + s]
            c[0] += gs == s and ws == s
            c[1] += gs == s and ws != s
            c[2] += gs != s and ws == s
        if got != want or gs != ws:
            misses.append((item["id"], sorted(want), sorted(got), ws, gs, item["text"]))
    print("%d labelled posts (%s)" % (len(items), a.sample))
    print("%-20s %9s %9s %9s %7s" % ("tag", "precision", "recall", "F1", "support"))
    f1s = []
    for t, (tp, fp, fn) in counts.items():
        p, r, f = prf(tp, fp, fn)
        f1s.append(f)
        print("%-20s %9.2f %9.2f %9.2f %7d" % (t, p, r, f, tp + fn))
    intent_macro = sum(f1s[:len(INTENTS)]) / len(INTENTS)
    sentiment_macro = sum(f1s[len(INTENTS):]) / len(LABELS)
    macro = sum(f1s) / len(f1s)
    exact = len(items) - len(misses)
    print("macro F1: intents %.2f, sentiment %.2f, all %.2f; %d of %d posts entirely right"
          % (intent_macro, sentiment_macro, macro, exact, len(items)))
    if a.show_misses:
        for m in misses:
            print("  #%d want %s/%s got %s/%s: %s" % (m[0], m[1], m[3], m[2], m[4], m[5]))
    if macro < a.min_macro_f1:
        print("FAIL: macro F1 %.2f is below the floor %.2f" % (macro, a.min_macro_f1))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
