#!/usr/bin/python3
"""Charts of the security measurements in DIR/security/ (scripts/security.sh):

    security_cost    CPU per delivered event (producer, consumer) and bytes per event for each
                     configuration: unsigned, HMAC, ed25519, plain and TLS with keep-alive or a
                     new connection per POST, under attack; median over repeats, bars min-max
    sign_verify      sign and verify time against payload size, HMAC vs ed25519 (from
                     DIR/security/micro.json; skipped with a note when there is none)
    attack_outcome   per attack kind the requests sent and how they were answered, the
                     rejections by reason, and the real events delivered vs expected

    scripts/plot_security.py DIR [--output DIR/security/charts]

Writes NAME.png and NAME.svg per chart and captions.json (each chart's caption, computed from the
same data), like scripts/plot.py; prints one line per chart.
"""

import sys

from hookbench.charts.security import make_charts
from hookbench.cli import folder_parser, run


def main(argv=None):
    args = folder_parser("Draw the security charts (PNG and SVG) of DIR/security/, written by "
                         "scripts/security.sh.", "results folder holding security/",
                         "where the charts go (default: DIR/security/charts)").parse_args(argv)
    return run("plot_security.py", lambda: make_charts(args.results, args.output, log=print))


if __name__ == "__main__":
    sys.exit(main())
