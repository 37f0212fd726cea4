#!/usr/bin/env bash
# The fault measurements (issue 10): short runs with a fault in the window, each mode under
# consumer-down (the consumer process stopped, then continued) at three outage lengths, webhooks
# under receiver-down (port closed) at the same lengths and under receiver-5xx; with every
# --retry policy the binary knows (none, standard) for the webhook receiver faults; then, at 1 s,
# the link between the sides cut (poll, sse, webhook) and the producer killed and restarted
# from its event log (poll, long-poll, sse, websocket, webhook).
#   scripts/faults.sh DIR       writes DIR/faults/<mode>-<fault kind>-<length>[-retry-<policy>].json
#   HOOKBENCH_FAULTS_RATE=100        event rate (events/s)
#   HOOKBENCH_FAULTS_DURATION=4s     measured window per run (faults start 1 s into it)
#   HOOKBENCH_FAULTS_LENGTHS="0.5s 1s 2s"   outage lengths
#   HOOKBENCH_FAULTS_SEED=1          seed of every run (all runs see the same events)
#   HOOKBENCH_BIN=PATH               the hookbench binary (default build/release/src/hookbench)
# About 4 minutes. Then: scripts/plot_faults.py DIR; scripts/report.py DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$#" -ne 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
  echo "usage: scripts/faults.sh DIR   (writes DIR/faults/*.json)" >&2
  exit 2
fi
out="$1/faults"
bin="${HOOKBENCH_BIN:-build/release/src/hookbench}"
rate="${HOOKBENCH_FAULTS_RATE:-100}"
duration="${HOOKBENCH_FAULTS_DURATION:-4s}"
lengths="${HOOKBENCH_FAULTS_LENGTHS:-0.5s 1s 2s}"
seed="${HOOKBENCH_FAULTS_SEED:-1}"

die() {
  echo "faults.sh: error: $*" >&2
  exit 1
}

[ -x "$bin" ] || die "$bin not found or not executable: build it first (scripts/build.sh release)"
help="$("$bin" run --help 2>&1)" || die "$bin run --help failed: $help"
grep -q -- "--fault" <<<"$help" || die "$bin run has no --fault option (too old a build?)"
# The dispatcher's retry policies, when the binary has them.
policies=("")
if grep -q -- "--retry" <<<"$help"; then policies=("none" "standard"); fi

mkdir -p "$out"
n=0
one() { # NAME ARGS...
  local name="$1"
  shift
  n=$((n + 1))
  echo "faults.sh: [$n] $name" >&2
  if ! "$bin" run --quiet --rate "$rate" --duration "$duration" --warmup 500ms --drain 1s \
    --seed "$seed" --out "$out/$name.json" "$@" >/dev/null 2>"$out/$name.err"; then
    echo "faults.sh: $name failed: $(tail -n 1 "$out/$name.err")" >&2
  fi
  rm -f "$out/$name.err"
}

for length in $lengths; do
  for mode in poll long-poll sse webhook; do
    extra=()
    [ "$mode" = "poll" ] && extra=(--interval 100ms)
    one "$mode-consumer-down-$length" --mode "$mode" "${extra[@]}" \
      --fault "consumer-down:1s:$length"
  done
  for policy in "${policies[@]}"; do
    suffix="" retry=()
    if [ -n "$policy" ]; then suffix="-retry-$policy" retry=(--retry "$policy"); fi
    one "webhook-receiver-down-$length$suffix" --mode webhook "${retry[@]}" \
      --fault "receiver-down:1s:$length"
  done
done
for policy in "${policies[@]}"; do
  suffix="" retry=()
  if [ -n "$policy" ]; then suffix="-retry-$policy" retry=(--retry "$policy"); fi
  one "webhook-receiver-5xx-1s$suffix" --mode webhook "${retry[@]}" \
    --fault "receiver-5xx:1s:1s:0.5"
  # The link between the sides cut for 1 s (every connection reset, new ones refused).
  one "webhook-link-cut-1s$suffix" --mode webhook "${retry[@]}" --fault "link-cut:1s:1s"
done
for mode in poll sse; do
  extra=()
  [ "$mode" = "poll" ] && extra=(--interval 100ms)
  one "$mode-link-cut-1s" --mode "$mode" "${extra[@]}" --fault "link-cut:1s:1s"
done
# The producer killed (SIGKILL) 1 s into the window and started again 1 s later from its event
# log file: every mode resumes from its cursor (webhooks: the dispatcher's delivered cursor).
if grep -q -- "producer-restart" <<<"$help"; then
  for mode in poll long-poll sse websocket webhook; do
    extra=()
    [ "$mode" = "poll" ] && extra=(--interval 100ms)
    one "$mode-producer-restart-1s" --mode "$mode" "${extra[@]}" \
      --fault "producer-restart:1s:1s"
  done
fi
echo "faults.sh: $n runs -> $out" >&2
