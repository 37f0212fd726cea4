#!/usr/bin/env bash
# The README's main command: installs what is missing, builds Release, runs the `default` sweep
# (every delivery mode at 10, 100 and 1000 events/s, pull modes at T = 3, 30 and 300 ms so that
# lambda*T spans 0.03 to 300, 3 repeats per point each planned to 30 events and 200 latency
# samples, and the push/poll latency ratio through an emulated link at 10 and 100 ms round trips:
# 147 runs, planned at about 12 minutes on 2 cores; `sweep` prints the plan at its start and
# `hookbench sweep bench/scenarios/default.json --dry-run` prints it alone), the security
# runs (signed, unsigned, TLS, under attack: about 3 minutes) and the fault runs (about 4
# minutes), draws the charts and writes the report.
#   HOOKBENCH_SCENARIO=quick ./scripts/run.sh     the quick sweep instead (a 1.5-minute first look
#                                                 with HOOKBENCH_SECURITY=0 HOOKBENCH_FAULTS=0)
#   HOOKBENCH_OUT=DIR                             results folder (default results/latest)
#   HOOKBENCH_FIND_MAX_RATE=1                     also search each mode's highest sustained rate
#                                                 (DIR/max_rate.json, a few minutes more)
#   HOOKBENCH_SECURITY=0                          skip the security runs (signing, TLS, attack:
#                                                 DIR/security/, about 3 minutes; scripts/security.sh)
#   HOOKBENCH_FAULTS=0                            skip the fault runs (consumer and receiver down,
#                                                 503s, link cuts, producer restarts: DIR/faults/,
#                                                 about 4 minutes; scripts/faults.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh release >/dev/null
scenario="${HOOKBENCH_SCENARIO:-default}"
out="${HOOKBENCH_OUT:-results/latest}"
bin=build/release/src/hookbench
# A failed step does not stop the others: the report names what failed, and run.sh exits with the
# first failure's status.
source scripts/soft_steps.sh
if [ -f "$out/runs.csv" ]; then
  soft "$bin" sweep "bench/scenarios/$scenario.json" --out "$out" --resume
else
  soft "$bin" sweep "bench/scenarios/$scenario.json" --out "$out"
fi
if [ "${HOOKBENCH_FIND_MAX_RATE:-0}" = "1" ]; then
  soft "$bin" sweep "bench/scenarios/$scenario.json" --out "$out" --find-max-rate
fi
if [ "${HOOKBENCH_SECURITY:-1}" = "1" ]; then
  soft ./scripts/security.sh "$out"
  soft /usr/bin/python3 scripts/plot_security.py "$out"
fi
if [ "${HOOKBENCH_FAULTS:-1}" = "1" ]; then
  soft ./scripts/faults.sh "$out"
  soft /usr/bin/python3 scripts/plot_faults.py "$out"
fi
/usr/bin/python3 scripts/report.py "$out"
echo "run.sh: runs $out/runs.csv, charts $out/charts/, report $out/REPORT.md and $out/REPORT.html"
exit "$status"
