#!/usr/bin/env bash
# What the harness adds to what it measures, side by side in one sitting (README "Harness
# overhead"): wrk's keep-alive POST round trip and throughput against hookbench's own webhook
# receiver, next to hookbench's webhook delivery (sleeping and spinning generator) and its
# highest sustained webhook rate to one subscriber. A benchmark, not a test: it prints figures.
#   bench/harness_overhead.sh [BUILD_DIR]      needs wrk (Debian: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/release}"
hb="$build/src/hookbench"
[ -x "$hb" ] || { echo "harness_overhead: $hb not built (scripts/build.sh release)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "harness_overhead: needs wrk (apt-get install wrk)" >&2; exit 1; }
tmp="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

# A producer that barely generates, and a webhook receiver registered with it: wrk then POSTs a
# valid event (id 1, inside the producer's range) to the receiver, which parses and records it
# exactly as it does a real delivery.
"$hb" serve --listen 127.0.0.1:0 --rate 0.01 --duration 600s --quiet >"$tmp/serve.out" &
pids+=($!)
for _ in $(seq 100); do grep -q ready "$tmp/serve.out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$tmp/serve.out")
# Unsigned: wrk replays one fixed POST, which a signed receiver would refuse as a replay.
"$hb" client --producer "http://127.0.0.1:$port" --mode webhook --listen 127.0.0.1:0 \
  --signature none --start-timeout 600s >"$tmp/client.out" &
pids+=($!)
for _ in $(seq 100); do grep -q ready "$tmp/client.out" 2>/dev/null && break; sleep 0.1; done
rport=$(sed -n 's/.*"receiver_port":\([0-9]*\).*/\1/p' "$tmp/client.out")
[ -n "$rport" ] || { echo "harness_overhead: the receiver did not start" >&2; exit 1; }
payload=$(head -c 256 /dev/zero | tr '\0' x)
cat >"$tmp/post.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"id":1,"t":1,"payload":"$payload"}'
EOF
url="http://127.0.0.1:$rport/hook/0"
echo "== wrk, 1 keep-alive connection, POST to hookbench's receiver (5 s)"
wrk -t1 -c1 -d5s --latency -s "$tmp/post.lua" "$url" | grep -E "50%|99%|Requests/sec"
echo "== wrk, 16 connections, 2 threads (5 s)"
wrk -t2 -c16 -d5s --latency -s "$tmp/post.lua" "$url" | grep -E "50%|Requests/sec"
cleanup
pids=()
tmp="$(mktemp -d)"

for timer in sleep spin; do
  echo "== hookbench webhook delivery at 200 events/s, --timer $timer, pinned 0,1 (5 s)"
  "$hb" run --mode webhook --rate 200 --duration 5s --warmup 0.5s --timer "$timer" --pin 0,1 \
    --quiet --out "$tmp/w.json" >/dev/null
  /usr/bin/python3 - "$tmp/w.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))["metrics"]
print("latency p50 %.0f us, p99 %.0f us; generator lag p50 %.0f us; POST round trip p50 %.0f us"
      % (m["latency_us"]["p50"], m["latency_us"]["p99"], m["generator_lag_us"]["p50"],
         m["webhook_round_trip_us"]["p50"]))
EOF
done
echo "== highest sustained webhook rate to one subscriber (p99 <= 10 ms, nothing lost)"
cat >"$tmp/one.json" <<'EOF'
{"name": "capacity", "description": "capacity search of one webhook subscriber, keep-alive",
 "modes": ["webhook"], "rates": [5000], "warmup_s": 0.5, "drain_s": 2, "pin": [0, 1]}
EOF
"$hb" sweep "$tmp/one.json" --find-max-rate --out "$tmp/cap" --quiet 2>&1 | grep "highest"
