"""The skeleton plugin in a real gateway, against test/fake_skeleton.py:
fetched items arrive in the event log; a signed webhook delivery is taken
and a badly signed one refused (401); a public reply and a private message
sent through the action API reach the fake network once; and
`gateway plugin-check` finds no breach of the plugin contract.

Usage: test_skeleton.py PLUGIN_DIR   (the folder holding skeleton.so)
The gateway is $GATEWAY, else `gateway` on PATH.
"""
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOKEN = "skeleton-test-token-0123456789"
SECRET = "skeleton-webhook-secret-0123456789"
API_TOKEN = "skeleton-api-token-0123456789"


def wait_for(what, timeout, cond):
    """Poll cond() until it is truthy or timeout seconds pass."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = cond()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def call(url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, headers=headers or {},
                                 method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def read_events(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.endswith("\n")]


def main():
    plugin_dir = os.path.abspath(sys.argv[1])
    gateway = os.environ.get("GATEWAY") or shutil.which("gateway")
    assert gateway, "no gateway: install it or set GATEWAY=/path/to/gateway"
    work = tempfile.mkdtemp(prefix="skeleton-test-")
    procs = []
    try:
        port_file = os.path.join(work, "fake.port")
        procs.append(subprocess.Popen([sys.executable, "-B", os.path.join(HERE, "fake_skeleton.py"),
                                       "--port-file", port_file, "--token", TOKEN]))
        fake = "http://127.0.0.1:%s" % wait_for("the fake to listen", 15,
                                                 lambda: os.path.exists(port_file) and
                                                 open(port_file).read())
        with open(os.path.join(work, "gateway.toml"), "w") as f:
            f.write('[gateway]\ndata_dir = "var"\nplugin_dir = "%s"\n'
                    '[http]\nlisten = "127.0.0.1:0"\n[api]\ntoken = "${API_TOKEN}"\n'
                    '[[sink]]\nname = "log"\ntype = "file"\npath = "var/events.jsonl"\n'
                    '[[account]]\nnetwork = "skeleton"\nname = "main"\npoll_interval = "1s"\n'
                    '  [account.options]\n  api_base = "%s"\n  token = "${SKELETON_TOKEN}"\n'
                    '  webhook_secret = "${SKELETON_WEBHOOK_SECRET}"\n' % (plugin_dir, fake))
        log_path = os.path.join(work, "gateway.log")
        env = dict(os.environ, API_TOKEN=API_TOKEN, SKELETON_TOKEN=TOKEN,
                   SKELETON_WEBHOOK_SECRET=SECRET)
        gw = subprocess.Popen([gateway, "-c", "gateway.toml", "run"], cwd=work, env=env,
                              stdout=subprocess.DEVNULL, stderr=open(log_path, "w"))
        procs.append(gw)
        port = wait_for("the HTTP server", 15, lambda: re.search(
            r"HTTP server listening on \S+ \(port (\d+)\)", open(log_path).read()))
        base = "http://127.0.0.1:%s" % port.group(1)
        events = os.path.join(work, "var", "events.jsonl")

        # 1. Fetch: the fake's three items, with ids the host made.
        got = wait_for("three fetched events", 20, lambda: len(read_events(events)) >= 3 and
                       read_events(events))
        assert [e["id"] for e in got[:3]] == ["skeleton:i1", "skeleton:i2", "skeleton:d1"], got
        assert got[2]["visibility"] == "private" and got[2]["type"] == "message", got[2]

        # 2. Webhooks: signed is taken, badly signed is refused.
        body = json.dumps({"items": [{"id": "w1", "author": "u3", "text": "love it"}]}).encode()
        sig = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        status, doc = call(base + "/webhooks/skeleton/main", body,
                           {"X-Skeleton-Signature": sig, "Content-Type": "application/json"})
        assert status == 200, (status, doc)
        status, doc = call(base + "/webhooks/skeleton/main", body,
                           {"X-Skeleton-Signature": "sha256=" + "0" * 64})
        assert status == 401 and doc["error"] == "bad_signature", (status, doc)
        wait_for("the webhook's event", 10, lambda: any(e["id"] == "skeleton:w1"
                                                        for e in read_events(events)))

        # 3. Answers through the action API reach the network once.
        auth = {"Authorization": "Bearer " + API_TOKEN, "Content-Type": "application/json"}
        for action in ({"kind": "reply", "in_reply_to": "skeleton:i1", "text": "Here: ..."},
                       {"kind": "private", "in_reply_to": "skeleton:i2", "text": "Order?"}):
            action.update(network="skeleton", account="main", idempotency_key=action["kind"])
            status, doc = call(base + "/v1/actions", json.dumps(action).encode(), auth)
            assert status == 202, (status, doc)
            wait_for("action " + action["kind"], 15, lambda: call(
                base + "/v1/actions/" + doc["id"], headers=auth)[1]["state"] == "succeeded")
        calls = call(fake + "/_calls")[1]
        posts = [(c["path"], json.loads(c["body"])) for c in calls if c["method"] == "POST"]
        assert posts == [("/items/i1/replies", {"text": "Here: ..."}),
                         ("/messages", {"to": "u2", "text": "Order?"})], posts

        # 4. The plugin contract, checked by the gateway against the same fake.
        r = subprocess.run([gateway, "plugin-check", os.path.join(plugin_dir, "skeleton.so"),
                            "--options", os.path.join(HERE, "check.toml"), "--fake", fake],
                           env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, "plugin-check found breaches:\n" + r.stdout + r.stderr
        for secret in (TOKEN, SECRET):
            assert secret not in r.stdout + r.stderr, "plugin-check printed a secret"

        # 5. No secret in the log; SIGTERM drains and exits 0.
        gw.send_signal(signal.SIGTERM)
        assert gw.wait(timeout=20) == 0, open(log_path).read()
        text = open(log_path).read()
        for secret in (TOKEN, SECRET, API_TOKEN):
            assert secret not in text, "a secret is in the log"
        print("skeleton: fetch, webhook, reply and message all work")
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
