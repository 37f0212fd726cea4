#!/usr/bin/python3
"""Turns hookbench_micro's Google Benchmark JSON into a chart and a Markdown table.

Writes OUTPUT/micro.png and OUTPUT/micro.svg (real time per iteration on a linear axis, one panel
per area so that a 100 ns parse and a 50 µs round trip are each readable on their own scale, bars
showing the spread over repetitions) and OUTPUT/TABLE.md (time, items/s, bytes/s, cv). When the run
has repetitions, the median is used; the spread is the min-max of the repetitions when they are
in the JSON, otherwise median ± the stddev aggregate.
"""

import argparse
import os
import sys

from hookbench.charts.micro import plot_times, write_table
from hookbench.cli import run
from hookbench.micro_files import load, summarize


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Chart (PNG+SVG) and Markdown table of hookbench_micro's JSON output "
                    "(--benchmark_out=FILE --benchmark_out_format=json).")
    parser.add_argument("bench_json", metavar="BENCH.json", help="Google Benchmark JSON output")
    parser.add_argument("--output", default="results/micro",
                        help="folder for micro.png, micro.svg and TABLE.md (default: %(default)s)")
    args = parser.parse_args(argv)
    rows = []

    def draw():
        doc = load(args.bench_json)
        found, use_aggregates = summarize(doc)
        rows.extend(found)
        os.makedirs(args.output, exist_ok=True)
        ctx = doc.get("context", {}) if isinstance(doc.get("context"), dict) else {}
        plot_times(rows, ctx, os.path.join(args.output, "micro"))
        write_table(rows, ctx, use_aggregates, os.path.join(args.output, "TABLE.md"))

    status = run("plot_micro.py", draw, status=1,
                 os_error=lambda e: f"cannot write to {args.output}: {e.strerror}")
    if not status:
        print(f"plot_micro.py: {len(rows)} benchmarks -> {args.output}/micro.png, micro.svg, "
              "TABLE.md")
    return status


if __name__ == "__main__":
    sys.exit(main())
