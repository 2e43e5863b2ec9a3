#!/bin/bash
# bench/peer.sh - the gateway beside Node-RED on the same job, for anyone
# to rerun: HTTP POST webhook -> append a line to a file -> answer.
#
#   gateway : POST /webhooks/mock/acme, 2xx after the SQLite commit
#             (synchronous as shipped), file sink fsync as shipped
#   Node-RED: http in -> file (append, newline) -> http response, as
#             installed from npm into a temporary folder (no fsync: its
#             file node has none)
#
# Both driven by wrk (Debian: apt-get install wrk), alternating ROUNDS
# times, each run DURATION seconds at CONNS connections, each request with
# a unique id. After each run the file must hold a line for every 2xx
# answer (at least; requests in flight when wrk stops may add lines) and no
# id twice. Prints requests/s, p50, p99, CPU seconds per 1k requests and
# peak RSS (VmHWM) of each, and gateway/Node-RED ratios of the means.
#
# usage: bench/peer.sh [BUILD_DIR] [DURATION] [CONNS] [ROUNDS]
set -euo pipefail
BUILD=$(realpath "${1:-build}")
DUR=${2:-10}
CONNS=${3:-16}
ROUNDS=${4:-2}
NODE_RED_VERSION=${NODE_RED_VERSION:-4}

command -v wrk >/dev/null || { echo "bench/peer.sh: wrk not found: apt-get install wrk"; exit 0; }
command -v npm >/dev/null && command -v node >/dev/null ||
    { echo "bench/peer.sh: skipped: npm/node not found (apt-get install npm), Node-RED not run"; exit 0; }

WORK=$(mktemp -d /tmp/gwpeer-XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

NR=${NODE_RED_DIR:-$WORK/nr} # NODE_RED_DIR: reuse an earlier install
mkdir -p "$NR"
[ -f "$NR/node_modules/node-red/red.js" ] || {
echo "installing node-red@$NODE_RED_VERSION from npm into $NR ..."
(cd "$NR" && npm install --no-audit --no-fund --loglevel=error "node-red@$NODE_RED_VERSION" \
    >"$WORK/npm.log" 2>&1) || { echo "npm install failed:"; tail -5 "$WORK/npm.log"; exit 1; }
}

cat >"$WORK/post.lua" <<'EOF'
-- wrk runs a Lua state per thread: setup numbers them, so ids never clash
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local n = 0
local run = os.time()
request = function()
  n = n + 1
  local id = string.format("%d%d-%d", run, tid, n)
  local body = '[{"type":"mention","visibility":"public","native_id":"wh-' .. id ..
               '","text":"@acme bench webhook ' .. id .. '"}]'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
EOF

wait_port() { # file regex -> port
    for _ in $(seq 300); do
        if p=$(grep -oE "$2" "$1" 2>/dev/null | head -1 | grep -oE '[0-9]+$'); then
            [ -n "$p" ] && { echo "$p"; return; }
        fi
        sleep 0.1
    done
    echo "server did not start: $(tail -5 "$1")" >&2; exit 1
}

cpu_s() { awk '{printf "%.2f", ($14 + $15) / '"$(getconf CLK_TCK)"'}' "/proc/$1/stat"; }

start_gateway() { # dir -> sets PID PORT FILE
    local d=$1; mkdir -p "$d"; : >"$d/empty.jsonl"
    cat >"$d/g.toml" <<EOF
[gateway]
data_dir = "var"
plugin_dir = "$BUILD/plugins"
log_level = "info"
[http]
listen = "127.0.0.1:0"
max_connections = 1024
[[account]]
network = "mock"
name = "acme"
  [account.options]
  scenario = "$d/empty.jsonl"
[[sink]]
name = "archive"
type = "file"
path = "events.jsonl"
EOF
    (cd "$d" && exec "$BUILD/gateway" -c g.toml run 2>gw.log) & PID=$!; PIDS+=("$PID")
    PORT=$(wait_port "$d/gw.log" '\(port [0-9]+')
    URL="http://127.0.0.1:$PORT/webhooks/mock/acme"; FILE="$d/events.jsonl"
}

start_nodered() { # dir -> sets PID PORT FILE
    local d=$1; mkdir -p "$d"; FILE="$d/out.jsonl"
    cat >"$d/flows.json" <<EOF
[{"id":"t1","type":"tab","label":"peer"},
 {"id":"n1","type":"http in","z":"t1","url":"/hook","method":"post","wires":[["n2"]]},
 {"id":"n2","type":"file","z":"t1","filename":"$FILE","filenameType":"str",
  "appendNewline":true,"createDir":true,"overwriteFile":"false","encoding":"none",
  "wires":[["n3"]]},
 {"id":"n3","type":"http response","z":"t1","statusCode":"200","wires":[]}]
EOF
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    node "$NR/node_modules/node-red/red.js" -u "$d" -p "$PORT" "$d/flows.json" \
        >"$d/nr.log" 2>&1 & PID=$!; PIDS+=("$PID")
    for _ in $(seq 300); do grep -q "Started flows" "$d/nr.log" && break; sleep 0.1; done
    URL="http://127.0.0.1:$PORT/hook"
}

run_one() { # name -> one line of figures; checks the file
    local name=$1 dir=$WORK/$1-$2
    if [ "$name" = gateway ]; then start_gateway "$dir"; else start_nodered "$dir"; fi
    local c0; c0=$(cpu_s "$PID")
    local out; out=$(wrk -t2 -c"$CONNS" -d"${DUR}s" --latency -s "$WORK/post.lua" "$URL")
    local c1; c1=$(cpu_s "$PID")
    local hwm; hwm=$(awk '/VmHWM/ {print $2}' "/proc/$PID/status")
    local reqs non2xx ok lines dups
    reqs=$(echo "$out" | awk '/requests in/ {print $1}')
    non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}'); non2xx=${non2xx:-0}
    ok=$((reqs - non2xx))
    # the gateway answers after the commit; its file sink follows the log
    for _ in $(seq 600); do [ "$(wc -l <"$FILE")" -ge "$ok" ] && break; sleep 0.05; done
    kill -TERM "$PID"; wait "$PID" 2>/dev/null || true
    lines=$(wc -l <"$FILE")
    dups=$(grep -oE '"native_id":"wh-[0-9]+-[0-9]+"' "$FILE" | sort | uniq -d | wc -l)
    [ "$lines" -ge "$ok" ] && [ "$dups" -eq 0 ] && [ "$non2xx" -eq 0 ] ||
        { echo "$name: file check failed: $lines lines for $ok 2xx, $dups ids twice, $non2xx non-2xx" >&2; exit 1; }
    echo "$out" | awk -v n="$name" -v c0="$c0" -v c1="$c1" -v hwm="$hwm" -v reqs="$reqs" '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; return v * 1000 }
        / 50%/ {p50 = ms($2)} / 99%/ {p99 = ms($2)} /Requests\/sec/ {rps = $2}
        END {printf "%-8s %10.0f %8.2f %8.2f %12.3f %10d\n", n, rps, p50, p99,
             (c1 - c0) * 1000 / reqs, hwm}'
}

echo "webhook -> file, wrk -t2 -c$CONNS -d${DUR}s, $ROUNDS rounds alternating; $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
printf "%-8s %10s %8s %8s %12s %10s\n" server "req/s" "p50 ms" "p99 ms" "CPU s/1k req" "peak KB"
: >"$WORK/rows"
for r in $(seq "$ROUNDS"); do
    # not in a pipeline: run_one must run in this shell, so the EXIT trap
    # knows the PIDs it started
    for s in gateway node-red; do run_one "$s" "$r" >"$WORK/row"; cat "$WORK/row" >>"$WORK/rows"; cat "$WORK/row"; done
done
awk '{n[$1]++; for (i = 2; i <= 6; i++) s[$1, i] += $i}
     END {printf "%-8s", "ratio"; for (i = 2; i <= 6; i++)
          printf (i == 2 ? " %10.2fx" : i == 5 ? " %11.2fx" : i == 6 ? " %9.2fx" : " %7.2fx"),
                 (s["gateway", i] / n["gateway"]) / (s["node-red", i] / n["node-red"]); print ""
          print "(ratio = gateway mean / Node-RED mean; the gateway fsyncs the log and the file, Node-RED neither)"}' "$WORK/rows"
