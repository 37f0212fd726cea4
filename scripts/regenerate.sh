#!/usr/bin/env bash
# Makes every committed results folder again, from one clean revision, the way the README's
# figures were made (about 127 minutes on 2 cores; every sweep pinned to cores 0 and 1):
#   reference   hookbench sweep bench/scenarios/default.json (with the traced runs)
#   network     hookbench sweep bench/scenarios/network.json, then scripts/faults.sh into it
#   social, ecommerce, analytics, fanout   their scenarios
#   security    scripts/security.sh
#   capacity    hookbench sweep bench/scenarios/capacity.json --find-max-rate (confirmed)
#   micro       scripts/micro.sh
#   calibration hookbench calibrate (pinned to cores 0 and 1, about 2 minutes), then every sweep
#               folder predicted from it alone (hookbench validate: DIR's folders, or
#               results/'s where DIR has none), its validated range written into it, and the
#               chart and table of predicted against measured (scripts/plot_validation.py)
# then the charts and reports of each folder. It writes into DIR, never into results/: look at
# DIR, then copy the folders over results/ and run scripts/readme_figures.py.
#   scripts/regenerate.sh DIR                  every folder
#   scripts/regenerate.sh DIR social micro     only these folders
#   HOOKBENCH_ALLOW_MODIFIED=1                 run from a modified tree (the results say so)
# Keep other work off the machine meanwhile: every result records the load it ran beside only
# as noise in its own figures.
set -euo pipefail
# DIR is taken from where the command was run, before moving to the checkout.
if [ "$#" -ge 1 ] && [ "$1" != "-h" ] && [ "$1" != "--help" ]; then
  set -- "$(realpath -m "$1")" "${@:2}"
fi
cd "$(dirname "$0")/.."
die() { echo "regenerate.sh: error: $*" >&2; exit 2; }

all=(reference network social ecommerce analytics fanout security capacity micro calibration)
if [ "$#" -lt 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
  echo "usage: scripts/regenerate.sh DIR [FOLDER...]   (folders: ${all[*]})" >&2
  exit 2
fi
out="$1"
shift
folders=("$@")
[ "${#folders[@]}" -gt 0 ] || folders=("${all[@]}")
for f in "${folders[@]}"; do
  case " ${all[*]} " in *" $f "*) ;; *) die "unknown folder '$f' (folders: ${all[*]})";; esac
done
case "$out/" in
  "$PWD/"*) die "DIR must be outside the checkout (write elsewhere, then copy into results/)";;
esac
if [ -n "$(git status --porcelain 2>/dev/null)" ] && [ "${HOOKBENCH_ALLOW_MODIFIED:-0}" != 1 ]; then
  die "the tree has uncommitted changes: results must come from a clean revision" \
      "(commit or stash them, or set HOOKBENCH_ALLOW_MODIFIED=1)"
fi
for f in "${folders[@]}"; do
  [ ! -e "$out/$f" ] || die "$out/$f exists: remove it, or name another DIR"
done

./scripts/setup.sh
./scripts/build.sh release >/dev/null
bin=build/release/src/hookbench
py=/usr/bin/python3
started=$(date +%s)
echo "regenerate.sh: revision $(git rev-parse --short HEAD), folders ${folders[*]} -> $out" >&2

step() { echo "regenerate.sh: [$(( ($(date +%s) - started) / 60 )) min] $*" >&2; }
# A failed step does not stop the other folders or the reports; regenerate.sh exits with the first
# failure's status.
source scripts/soft_steps.sh
for f in "${folders[@]}"; do
  step "$f"
  case "$f" in
    reference) soft "$bin" sweep bench/scenarios/default.json --out "$out/reference" ;;
    network)
      soft "$bin" sweep bench/scenarios/network.json --out "$out/network"
      soft ./scripts/faults.sh "$out/network"
      soft "$py" scripts/plot_faults.py "$out/network" ;;
    social | ecommerce | analytics | fanout)
      soft "$bin" sweep "bench/scenarios/$f.json" --out "$out/$f" ;;
    security)
      soft ./scripts/security.sh "$out/security"
      soft "$py" scripts/plot_security.py "$out/security" ;;
    capacity) soft "$bin" sweep bench/scenarios/capacity.json --out "$out/capacity" --find-max-rate ;;
    micro) soft ./scripts/micro.sh "$out/micro" ;;
    calibration)
      mkdir -p "$out/calibration"
      soft "$bin" calibrate --pin 0,1 --out "$out/calibration/calibration.json"
      sweeps=()
      for s in reference network social ecommerce analytics; do
        if [ -d "$out/$s/runs" ]; then sweeps+=("$out/$s"); else sweeps+=("results/$s"); fi
      done
      soft "$bin" validate --calibration "$out/calibration/calibration.json" \
        --json "$out/calibration/validation.json" \
        --update-calibration "$out/calibration/calibration.json" "${sweeps[@]}"
      soft "$py" scripts/plot_validation.py "$out/calibration/validation.json" \
        --output "$out/calibration" ;;
  esac
  case "$f" in
    capacity | micro | calibration) ;;
    *) soft "$py" scripts/report.py "$out/$f" ;;
  esac
done
step "done (exit $status): now copy the folders over results/ and run $py scripts/readme_figures.py"
exit "$status"
