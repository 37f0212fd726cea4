#!/usr/bin/python3
"""The teaching report of a `hookbench sweep` results folder: the question, the setup, what the
data says (every number and every conclusion computed here from runs.csv and the run JSONs), the
charts, a table per mode and the model checked against the measurement.

    scripts/report.py results/NAME [--charts results/NAME/charts]

Writes results/NAME/REPORT.md and results/NAME/REPORT.html (one self-contained file, charts
embedded). Draws the charts with scripts/plot.py first when they are missing or stale.
"""

import argparse
import sys

from hookbench.cli import run
from hookbench.report.sweep import build


def main(argv=None):
    p = argparse.ArgumentParser(
        description="Write REPORT.md and a self-contained REPORT.html for a hookbench sweep "
        "results folder (draws the charts first if they are missing or older than runs.csv).")
    p.add_argument("results", metavar="DIR",
                   help="results folder with runs.csv, security/ (scripts/security.sh) or both")
    p.add_argument("--charts", metavar="DIR", help="chart folder (default: DIR/charts)")
    args = p.parse_args(argv)
    written = []
    status = run("report.py", lambda: written.extend(build(args.results, args.charts,
                                                           log=print)))
    if not status:
        print(f"report.py: wrote {written[0]} and {written[1]}")
    return status


if __name__ == "__main__":
    sys.exit(main())
