// A Server-Sent Events client for test_events_stream.py, built on the
// "eventsource" library (Debian: node-eventsource), so the tests exercise
// what a Node help desk would run, reconnection with Last-Event-ID included.
//   node sse_client.js URL TOKEN [LAST_EVENT_ID]
// Prints one JSON line per event: {"id", "event", "data"}; {"open": true}
// on each (re)connection; {"error": status} on an error event.
const EventSource = require("eventsource");

const [url, token, lastId] = process.argv.slice(2);
const headers = { Authorization: "Bearer " + token };
if (lastId !== undefined) headers["Last-Event-ID"] = lastId;
const es = new EventSource(url, { headers });
es.reconnectInterval = 100; // the library's own reconnection, kept short for tests

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}
es.onopen = () => out({ open: true });
es.onerror = (e) => out({ error: e && e.status ? e.status : "disconnected" });
for (const type of ["mention", "comment", "review", "message", "action.succeeded", "action.failed",
                    "account.stopped", "account.credentials_failed"]) {
  es.addEventListener(type, (e) => out({ id: e.lastEventId, event: e.type, data: JSON.parse(e.data) }));
}
es.onmessage = (e) => out({ id: e.lastEventId, event: "message", data: JSON.parse(e.data) });
process.on("SIGTERM", () => { es.close(); process.exit(0); });
