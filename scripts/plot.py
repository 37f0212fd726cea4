#!/usr/bin/python3
"""Charts of a `hookbench sweep` results folder with the model drawn over the measurements
(docs/DESIGN.md): latency, requests per second and per event, a latency budget, CPU as cores and
per event, bytes per event, the empty-poll fraction vs lambda*T, a latency CDF, the recorded
timeline, the push/poll ratio against the round trip and the fan-out (latency, producer cores and
memory against N) when the folder has the points for them. Every point shows its spread (min-max over repeats, or the run's 95% CI); saturated and
thin points are drawn apart. Model lines come from DIR/model.csv only: no formula is evaluated
here.

    scripts/plot.py results/NAME [--output results/NAME/charts] [--cdf-rate 10]

Writes NAME.png and NAME.svg per chart and captions.json (each chart's caption, computed from the
same data as the chart); prints one line per chart.
"""

import sys

from hookbench.charts.sweep import make_charts
from hookbench.cli import folder_parser, run


def parse_args(argv):
    p = folder_parser("Draw the charts of a hookbench sweep results folder (PNG and SVG).",
                      "results folder with runs.csv (and model.csv, runs/, trace.jsonl)",
                      "where the charts go (default: DIR/charts)")
    p.add_argument("--cdf-rate", type=float, metavar="R",
                   help="event rate (events/s) of the latency CDF chart; the nearest measured "
                   "rate is used (default: the rate measured for the most modes)")
    args = p.parse_args(argv)
    if args.cdf_rate is not None and not args.cdf_rate > 0:
        p.error("--cdf-rate must be > 0")
    return args


def main(argv=None):
    args = parse_args(argv)
    return run("plot.py", lambda: make_charts(args.results, args.output, args.cdf_rate,
                                              log=print))


if __name__ == "__main__":
    sys.exit(main())
