#!/usr/bin/env bash
# Runs the microbenchmarks into results/micro (or DIR) the way the committed figures are made:
# the Release build's hookbench_micro, 5 repetitions of 0.2 s in random interleaving, JSON kept
# with every repetition; then the load average at the end is added to the JSON's context (the
# start is written by hookbench_micro itself) and scripts/plot_micro.py writes TABLE.md and the
# chart. A run whose load average passes half the CPUs is flagged in the table, not hidden.
#   scripts/micro.sh [DIR]                    default DIR: results/micro
#   HOOKBENCH_MICRO_FILTER=REGEX              only the benchmarks whose names match
#   HOOKBENCH_MICRO_REPETITIONS=N             default 5
set -euo pipefail
cd "$(dirname "$0")/.."
die() { echo "micro.sh: error: $*" >&2; exit 2; }
out="${1:-results/micro}"
micro="build/release/bench/hookbench_micro"
reps="${HOOKBENCH_MICRO_REPETITIONS:-5}"
case "$reps" in ''|*[!0-9]*) die "HOOKBENCH_MICRO_REPETITIONS must be a whole number, got '$reps'";; esac
[ "$reps" -ge 2 ] || die "HOOKBENCH_MICRO_REPETITIONS must be at least 2 (a cv needs two), got $reps"
[ -x "$micro" ] || die "$micro not built (./scripts/build.sh release)"
build_type=$(grep -s '^CMAKE_BUILD_TYPE:' build/release/CMakeCache.txt | cut -d= -f2)
[ "$build_type" = Release ] || die "build/release is a '$build_type' build, not Release"
mkdir -p "$out"
filter=()
[ -n "${HOOKBENCH_MICRO_FILTER:-}" ] && filter=(--benchmark_filter="$HOOKBENCH_MICRO_FILTER")
echo "micro.sh: $micro, $reps repetitions, load average now $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$micro" ${filter[@]+"${filter[@]}"} --benchmark_repetitions="$reps" --benchmark_min_time=0.2 \
  --benchmark_enable_random_interleaving=true --benchmark_display_aggregates_only=true \
  --benchmark_out="$out/micro.json.tmp" --benchmark_out_format=json >&2 \
  || die "$micro failed (exit $?)"
/usr/bin/python3 - "$out/micro.json.tmp" <<'PY'
import json, sys
path = sys.argv[1]
with open(path, encoding="utf-8") as f:
    doc = json.load(f)
with open("/proc/loadavg", encoding="ascii") as f:
    doc.setdefault("context", {})["hookbench_load_average_end"] = f.read().split()[0]
with open(path, "w", encoding="utf-8") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
PY
mv "$out/micro.json.tmp" "$out/micro.json"
/usr/bin/python3 scripts/plot_micro.py "$out/micro.json" --output "$out"
