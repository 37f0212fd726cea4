#!/usr/bin/env bash
# The README's main command: installs what is missing, builds Release, then compares polling and
# webhooks at a few event rates and prints them side by side. Results go to results/latest/.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh release
bin=build/release/src/hookbench
out=results/latest
mkdir -p "$out"
pin=()
[ "$(nproc)" -ge 2 ] && pin=(--pin 0,1)
files=()
for rate in 1 10 100; do
  for mode in poll webhook; do
    f="$out/${mode}-${rate}.json"
    "$bin" run --mode "$mode" --rate "$rate" --duration "${HOOKBENCH_DURATION:-10s}" \
      "${pin[@]}" --quiet --out "$f" >/dev/null
    echo "run.sh: $mode at $rate events/s done" >&2
    files+=("$f")
  done
done
"$bin" compare "${files[@]}"
echo "run.sh: results in $out/" >&2
