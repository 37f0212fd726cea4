#!/usr/bin/python3
"""Turns hookbench_micro's Google Benchmark JSON into a chart and a Markdown table.

Writes OUTPUT/micro.png and OUTPUT/micro.svg (real time per iteration on a linear axis, one panel
per area so that a 100 ns parse and a 50 µs round trip are each readable on their own scale, bars
showing the spread over repetitions) and OUTPUT/TABLE.md (time, items/s, bytes/s, cv). When the run
has repetitions, the median is used; the spread is the min-max of the repetitions when they are
in the JSON, otherwise median ± the stddev aggregate.
"""

import argparse
import json
import math
import os
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.patches  # noqa: E402  (after use("Agg"))
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402

TIME_UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
AREA_COLOURS = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3",
                "#8c8c8c", "#ccb974", "#64b5cd"]


class InputError(Exception):
    """Bad input: reported as one line and a non-zero exit."""


def display_name(name):
    """The benchmark's name without the /real_time suffix UseRealTime() adds."""
    return name[: -len("/real_time")] if name.endswith("/real_time") else name


def family_of(name):
    return name.split("/", 1)[0]


def area_of(name):
    return family_of(name).split("_", 1)[0]


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror}") from e
    if not text.strip():
        raise InputError(f"{path} is empty")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"{path} is not valid JSON (line {e.lineno}: {e.msg})") from e
    if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks"), list):
        raise InputError(f"{path} is not Google Benchmark JSON (no \"benchmarks\" list)")
    if not doc["benchmarks"]:
        raise InputError(f"{path} has no benchmark results")
    for b in doc["benchmarks"]:
        if not isinstance(b, dict) or not isinstance(b.get("name"), str):
            raise InputError(f"{path}: a benchmark entry has no name")
        if b.get("error_occurred"):
            continue
        if not isinstance(b.get("real_time"), (int, float)) or b.get("time_unit") not in TIME_UNIT_NS:
            raise InputError(f"{path}: {b['name']} has no real_time with a known time_unit")
    return doc


def summarize(doc):
    """One row per benchmark, in first-seen order: median figures, cv, repetitions, error."""
    entries = doc["benchmarks"]
    use_aggregates = any(b.get("run_type") == "aggregate" for b in entries)
    rows = {}

    def row(name):
        return rows.setdefault(name, {"name": name, "runs": [], "median": None, "cv": None,
                                      "stddev": None, "error": None,
                                      "order": (math.inf, math.inf, len(rows))})

    for b in entries:
        name = display_name(b.get("run_name", b["name"]))
        r = row(name)
        # Registration order (random interleaving shuffles the output); first seen otherwise.
        if isinstance(b.get("family_index"), int):
            r["order"] = (b["family_index"], b.get("per_family_instance_index", 0), r["order"][2])
        if b.get("error_occurred"):
            r["error"] = b.get("error_message") or "error"
            continue
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                r["median"] = b
            elif b.get("aggregate_name") == "cv":
                # cv of the time is a ratio; the library reports it in the time fields.
                r["cv"] = b.get("real_time")
            elif b.get("aggregate_name") == "stddev":
                r["stddev"] = b
            r["repetitions"] = b.get("repetitions", r.get("repetitions"))
        elif not use_aggregates or b.get("run_type") in (None, "iteration"):
            r["runs"].append(b)

    out = []
    for r in sorted(rows.values(), key=lambda r: r["order"]):
        figures = None
        if r["median"] is not None:
            figures = figures_of(r["median"])
        elif r["runs"]:
            each = [figures_of(b) for b in r["runs"]]
            figures = {k: median_or_none([f[k] for f in each]) for k in each[0]}
            if len(each) > 1 and figures["time_ns"]:
                times = [f["time_ns"] for f in each]
                r["cv"] = statistics.stdev(times) / statistics.mean(times)
            r["repetitions"] = len(each)
        if figures is None and r["error"] is None:
            continue  # e.g. only mean/stddev aggregates were kept: nothing to show
        spread = None
        times = [figures_of(b)["time_ns"] for b in r["runs"]]
        if len(times) > 1:
            spread = (min(times), max(times), "min-max")
        elif figures is not None and r["stddev"] is not None:
            sd = figures_of(r["stddev"])["time_ns"]
            spread = (max(0.0, figures["time_ns"] - sd), figures["time_ns"] + sd, "stddev")
        out.append({"name": r["name"], "figures": figures, "cv": r["cv"],
                    "repetitions": r.get("repetitions"), "error": r["error"], "spread": spread})
    if not any(r["figures"] for r in out):
        raise InputError("no benchmark finished without an error: nothing to plot")
    return out, use_aggregates


def figures_of(b):
    scale = TIME_UNIT_NS[b["time_unit"]]
    return {"time_ns": b["real_time"] * scale,
            "cpu_ns": b.get("cpu_time", 0) * scale,
            "items_per_second": b.get("items_per_second"),
            "bytes_per_second": b.get("bytes_per_second")}


def median_or_none(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def format_time(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def format_rate(per_s, unit=""):
    if per_s is None:
        return "–"
    for prefix, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if per_s >= scale:
            return f"{per_s / scale:.3g} {prefix}{unit}/s"
    return f"{per_s:.3g} {unit}/s".replace(" /s", "/s")


def format_bytes_rate(per_s):
    if per_s is None:
        return "–"
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if per_s >= scale:
            return f"{per_s / scale:.3g} {unit}/s"
    return f"{per_s:.3g} B/s"


def describe_context(ctx):
    """Machine, build and run settings for the table's header, from the JSON context."""
    cpu = ctx.get("hookbench_cpu_model", "unknown CPU")
    cores = ctx.get("num_cpus", ctx.get("hookbench_cores", "?"))
    lines = [f"- CPU: {cpu}, {cores} logical CPUs"
             + (f" at {ctx['mhz_per_cpu']} MHz" if ctx.get("mhz_per_cpu") else "")]
    if "hookbench_compiler" in ctx:
        flags = (ctx.get("hookbench_cxx_flags") or "").strip() or "(none)"
        lines.append(f"- Compiler: {ctx['hookbench_compiler']}, {ctx.get('hookbench_build_type', '?')}"
                     f" build, flags `{flags}`")
    if "hookbench_git_revision" in ctx:
        dirty = " (with uncommitted changes)" if ctx.get("hookbench_git_dirty") == "true" else ""
        lines.append(f"- Revision: {ctx['hookbench_git_revision']}{dirty}")
    if "hookbench_kernel" in ctx:
        lines.append(f"- Kernel: {ctx['hookbench_kernel']}")
    if ctx.get("date"):
        load = ctx.get("load_avg")
        load_text = f", load average {', '.join(f'{x:.2f}' for x in load)}" if load else ""
        lines.append(f"- Run: {ctx['date']}{load_text}; Google Benchmark library built as "
                     f"{ctx.get('library_build_type', '?')}")
    return lines


def write_table(rows, ctx, use_aggregates, path):
    statistic = "median of the repetitions" if use_aggregates else "median of the runs"
    lines = ["# hookbench microbenchmarks", "",
             f"Real (wall-clock) time per iteration, {statistic}; cv = stddev / mean of the time.",
             "Generated by scripts/plot_micro.py from Google Benchmark JSON.", ""]
    lines += describe_context(ctx)
    lines += ["", "| benchmark | time | items/s | bytes/s | cv | reps |",
              "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        if r["figures"] is None:
            lines.append(f"| `{r['name']}` | error: {r['error']} | | | | |")
            continue
        f = r["figures"]
        cv = f"{100 * r['cv']:.1f}%" if r["cv"] is not None else "–"
        reps = r["repetitions"] if r["repetitions"] is not None else "–"
        lines.append(f"| `{r['name']}` | {format_time(f['time_ns'])} | "
                     f"{format_rate(f['items_per_second'])} | "
                     f"{format_bytes_rate(f['bytes_per_second'])} | {cv} | {reps} |")
    with open(path, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


def plot_times(rows, ctx, path_stem=None):
    """Horizontal bars of real time per iteration, one panel per area, each on its own linear
    axis (a log axis hides a 10% difference), with an error bar for the spread over repetitions.
    Returns the figure (saved as PNG and SVG when path_stem is given)."""
    shown = [r for r in rows if r["figures"] is not None]
    areas = []
    for r in shown:
        if area_of(r["name"]) not in areas:
            areas.append(area_of(r["name"]))
    colour = {a: AREA_COLOURS[i % len(AREA_COLOURS)] for i, a in enumerate(areas)}
    groups = {a: [r for r in shown if area_of(r["name"]) == a] for a in areas}
    heights = [max(1.0, 0.32 * len(g) + 0.7) for g in groups.values()]
    fig, axes = plt.subplots(len(areas), 1, figsize=(10, sum(heights) + 1.2),
                             gridspec_kw={"height_ratios": heights}, squeeze=False)
    spreads = set()
    for ax, area in zip(axes[:, 0], areas):
        group = groups[area]
        y = list(range(len(group)))
        values = [r["figures"]["time_ns"] for r in group]
        lo = [v - (r["spread"][0] if r["spread"] else v) for v, r in zip(values, group)]
        hi = [(r["spread"][1] if r["spread"] else v) - v for v, r in zip(values, group)]
        spreads |= {r["spread"][2] for r in group if r["spread"]}
        ax.barh(y, values, color=colour[area], height=0.7, gid=f"bars:{area}")
        bars = ax.errorbar(values, y, xerr=[lo, hi], fmt="none", ecolor="black", capsize=3,
                           linewidth=1)
        for collection in bars.lines[2]:
            collection.set_gid(f"spread:{area}")
        ax.set_yticks(y)
        ax.set_yticklabels([r["name"] for r in group], fontsize=8, family="monospace")
        ax.invert_yaxis()
        top = max(v + h for v, h in zip(values, hi))
        ax.set_xlim(0, top * 1.25)
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(
            lambda v, _: format_time(v) if v > 0 else "0"))
        for yy, v, h in zip(y, values, hi):
            ax.text(v + h + top * 0.01, yy, format_time(v), va="center", fontsize=7)
        ax.set_title(area, fontsize=9, loc="left")
        ax.grid(axis="x", alpha=0.3)
    spread_text = {"min-max": "bars: min–max over repetitions",
                   "stddev": "bars: median ± stddev"}
    what = "; ".join(spread_text[k] for k in sorted(spreads)) or "one run each: no spread"
    axes[-1, 0].set_xlabel(f"real time per iteration (linear, one scale per area; {what})")
    cpu = ctx.get("hookbench_cpu_model", "")
    fig.suptitle("hookbench microbenchmarks" + (f" — {cpu}" if cpu else ""), fontsize=10)
    fig.tight_layout()
    if path_stem:
        for ext in ("png", "svg"):
            fig.savefig(f"{path_stem}.{ext}", dpi=120)
        plt.close(fig)
    return fig


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Chart (PNG+SVG) and Markdown table of hookbench_micro's JSON output "
                    "(--benchmark_out=FILE --benchmark_out_format=json).")
    parser.add_argument("bench_json", metavar="BENCH.json", help="Google Benchmark JSON output")
    parser.add_argument("--output", default="results/micro",
                        help="folder for micro.png, micro.svg and TABLE.md (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        doc = load(args.bench_json)
        rows, use_aggregates = summarize(doc)
        os.makedirs(args.output, exist_ok=True)
        ctx = doc.get("context", {}) if isinstance(doc.get("context"), dict) else {}
        plot_times(rows, ctx, os.path.join(args.output, "micro"))
        write_table(rows, ctx, use_aggregates, os.path.join(args.output, "TABLE.md"))
    except InputError as e:
        print(f"plot_micro.py: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"plot_micro.py: error: cannot write to {args.output}: {e.strerror}", file=sys.stderr)
        return 1
    print(f"plot_micro.py: {len(rows)} benchmarks -> {args.output}/micro.png, micro.svg, TABLE.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
