#!/usr/bin/python3
"""Charts of the fault runs in DIR/faults/ (scripts/faults.sh): the recovery timeline after an
outage (events delivered over time, per mode) and lost, duplicated and late events against the
outage's length.

Writes NAME.png and NAME.svg per chart and captions.json (each chart's caption, computed from the
data it draws) into DIR/faults/charts (or --output).
"""

import sys

from hookbench.charts.faults import make_charts
from hookbench.cli import fail, folder_parser, run


def main(argv=None):
    args = folder_parser("Draw the fault charts (PNG and SVG) of DIR/faults/, written by "
                         "scripts/faults.sh.", "results folder holding faults/",
                         "where the charts go (default: DIR/faults/charts)").parse_args(argv)
    try:
        return run("plot_faults.py", lambda: make_charts(args.results, args.output, log=print))
    except (KeyError, TypeError, IndexError) as e:
        return fail("plot_faults.py", f"malformed fault result ({e!r})", 2)


if __name__ == "__main__":
    sys.exit(main())
