#!/usr/bin/env bash
# The fault measurements: short runs with a fault in the window. The modes come from the
# binary's descriptors (hookbench modes --json): the first mode of each family under
# consumer-down (the consumer process stopped, then continued) at three outage lengths; the push
# reference (webhook) under receiver-down (port closed) at the same lengths, under receiver-5xx
# and under receiver-slow (answers after 6 s, past the sender's 5 s timeout, so a retry re-sends
# what the receiver already took: the duplicates of at-least-once delivery), with every --retry
# policy the binary knows (none, standard); then, at 1 s, the
# link between the sides cut (the first mode of each family) and the producer killed and
# restarted from its event log (every mode that varies no other).
#   scripts/faults.sh DIR       writes DIR/faults/<mode>-<fault kind>-<length>[-retry-<policy>].json
#   HOOKBENCH_FAULTS_RATE=100        event rate (events/s)
#   HOOKBENCH_FAULTS_DURATION=4s     measured window per run (faults start 1 s into it)
#   HOOKBENCH_FAULTS_LENGTHS="0.5s 1s 2s"   outage lengths
#   HOOKBENCH_FAULTS_SEED=1          seed of every run (all runs see the same events)
#   HOOKBENCH_FAULTS_PIN=0,1         producer and consumer cores (empty: not pinned)
#   HOOKBENCH_BIN=PATH               the hookbench binary (default build/release/src/hookbench)
# About 5 minutes. Then: scripts/plot_faults.py DIR; scripts/report.py DIR.
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
pin="${HOOKBENCH_FAULTS_PIN:-0,1}"

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

# The modes, by their descriptors' roles.
modes_json="$("$bin" modes --json)" || die "$bin modes --json failed"
select_modes() { # PYTHON-EXPRESSION over m (one descriptor) -> the names it keeps, in order
  /usr/bin/python3 -c "import json, sys
seen = set()
def first_of_family(m):
    new = m['family'] not in seen
    seen.add(m['family'])
    return new
print(' '.join(m['name'] for m in json.load(sys.stdin) if $1))" <<<"$modes_json"
}
family_firsts="$(select_modes 'first_of_family(m)')"
push_reference="$(select_modes "m['reference'] == 'push'")"
plain_modes="$(select_modes "m['variation_of'] is None")"
pull_modes=" $(select_modes "m['pull']") "
[ -n "$push_reference" ] || die "$bin modes --json names no push reference"
# A mode paced by T polls every 100 ms here.
interval_of() { [[ "$pull_modes" == *" $1 "* ]] && echo --interval 100ms || true; }

mkdir -p "$out"
n=0
one() { # NAME ARGS...
  local name="$1"
  shift
  n=$((n + 1))
  echo "faults.sh: [$n] $name" >&2
  if ! "$bin" run --quiet --rate "$rate" --duration "$duration" --warmup 500ms --drain 1s \
    --seed "$seed" ${pin:+--pin "$pin"} --out "$out/$name.json" "$@" >/dev/null \
    2>"$out/$name.err"; then
    echo "faults.sh: $name failed: $(tail -n 1 "$out/$name.err")" >&2
  fi
  rm -f "$out/$name.err"
}

for length in $lengths; do
  for mode in $family_firsts; do
    # shellcheck disable=SC2046
    one "$mode-consumer-down-$length" --mode "$mode" $(interval_of "$mode") \
      --fault "consumer-down:1s:$length"
  done
  for policy in "${policies[@]}"; do
    suffix="" retry=()
    if [ -n "$policy" ]; then suffix="-retry-$policy" retry=(--retry "$policy"); fi
    one "$push_reference-receiver-down-$length$suffix" --mode "$push_reference" "${retry[@]}" \
      --fault "receiver-down:1s:$length"
  done
done
for policy in "${policies[@]}"; do
  suffix="" retry=()
  if [ -n "$policy" ]; then suffix="-retry-$policy" retry=(--retry "$policy"); fi
  one "$push_reference-receiver-5xx-1s$suffix" --mode "$push_reference" "${retry[@]}" \
    --fault "receiver-5xx:1s:1s:0.5"
  # Every answer held for 6 s (the default delay) during 1 s: the sender times out at 5 s.
  one "$push_reference-receiver-slow-1s$suffix" --mode "$push_reference" "${retry[@]}" \
    --fault "receiver-slow:1s:1s"
  # The link between the sides cut for 1 s (every connection reset, new ones refused).
  one "$push_reference-link-cut-1s$suffix" --mode "$push_reference" "${retry[@]}" \
    --fault "link-cut:1s:1s"
done
for mode in $family_firsts; do
  [ "$mode" = "$push_reference" ] && continue  # above, under each retry policy
  # shellcheck disable=SC2046
  one "$mode-link-cut-1s" --mode "$mode" $(interval_of "$mode") --fault "link-cut:1s:1s"
done
# The producer killed (SIGKILL) 1 s into the window and started again 1 s later from its event
# log file: every mode resumes from its cursor (webhooks: the dispatcher's delivered cursor).
if grep -q -- "producer-restart" <<<"$help"; then
  for mode in $plain_modes; do
    # shellcheck disable=SC2046
    one "$mode-producer-restart-1s" --mode "$mode" $(interval_of "$mode") \
      --fault "producer-restart:1s:1s"
  done
fi
echo "faults.sh: $n runs -> $out" >&2
