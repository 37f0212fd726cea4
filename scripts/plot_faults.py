#!/usr/bin/python3
"""Charts of the fault runs in DIR/faults/ (scripts/faults.sh): the recovery timeline after an
outage (events delivered over time, per mode) and lost, duplicated and late events against the
outage's length.

Writes NAME.png and NAME.svg per chart and captions.json (each chart's caption, computed from the
data it draws) into DIR/faults/charts (or --output).
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plot  # noqa: E402  (its rcParams, figure helpers, save())
from plot import plt  # noqa: E402

FAULTS_DIR = "faults"
CHARTS = (
    ("fault_recovery", "Recovery timeline after a 1 s outage"),
    ("fault_size", "Lost, duplicated and late events against the outage's length"),
)


class FaultsError(Exception):
    pass


def load_runs(folder):
    """[(name, result)] of DIR/faults/*.json whose result has metrics.faults, sorted by name."""
    d = os.path.join(folder, FAULTS_DIR)
    if not os.path.isdir(d):
        raise FaultsError(f"{d}: no such folder: run scripts/faults.sh first")
    runs = []
    for n in sorted(os.listdir(d)):
        if not n.endswith(".json"):
            continue
        path = os.path.join(d, n)
        try:
            with open(path, encoding="utf-8") as f:
                r = json.load(f)
        except (OSError, ValueError) as e:
            raise FaultsError(f"{path}: not a result JSON ({e})") from e
        if not isinstance(r, dict) or "faults" not in r.get("metrics", {}):
            raise FaultsError(f"{path}: no metrics.faults (not a fault run)")
        runs.append((n[:-5], r))
    if not runs:
        raise FaultsError(f"{d}: no fault runs (*.json)")
    return runs


def describe(r):
    """(label, kind, outage length s, retry policy or None) of a run's first fault."""
    m = r["metrics"]["faults"]
    f = m["per_fault"][0]
    policy = (m.get("retry") or {}).get("policy")
    label = f"{r['config']['mode']} {f['kind']}"
    if policy:
        label += f" (--retry {policy})"
    return label, f["kind"], f["for_s"], policy


def chart_recovery(runs):
    """Deliveries per second against time from the window's start, one line per run with a
    1 s outage (the middle of faults.sh's lengths when there is none of 1 s), one panel per
    fault kind (at most four, the outages first)."""
    lengths = sorted({describe(r)[2] for _, r in runs})
    pick = 1.0 if 1.0 in lengths else lengths[len(lengths) // 2]
    chosen = [(n, r) for n, r in runs if describe(r)[2] == pick]
    order = ("consumer-down", "receiver-down", "link-cut", "producer-restart")
    kinds = sorted({describe(r)[1] for _, r in chosen},
                   key=lambda k: (order.index(k) if k in order else len(order), k))[:4]
    fig, axes, legend_ax = plot.new_figure(ncols=len(kinds))
    worst = []
    # One colour per mode in every panel (the panel names the fault), dashed without retries:
    # the legend then names each line once.
    modes = sorted({r["config"]["mode"] for _, r in chosen})
    colour = {m: f"C{i}" for i, m in enumerate(modes)}
    for ax, kind in zip(axes, kinds):
        for _, r in chosen:
            if describe(r)[1] != kind:
                continue
            f = r["metrics"]["faults"]
            tl = f["timeline"]
            b = tl["bucket_ms"] / 1e3
            xs = [i * b for i in range(len(tl["delivered"]))]
            ys = [n / b for n in tl["delivered"]]
            mode, policy = r["config"]["mode"], describe(r)[3]
            line = mode + (f" (--retry {policy})" if policy else "")
            ax.plot(xs, ys, label=line, linewidth=1.2, color=colour[mode],
                    linestyle="--" if policy == "none" else "-")
            label = describe(r)[0]
            pf = f["per_fault"][0]
            worst.append((label, pf["lost"], pf.get("catch_up_s")))
        at = next(r for _, r in chosen
                  if describe(r)[1] == kind)["metrics"]["faults"]["per_fault"][0]["at_s"]
        ax.axvspan(at, at + pick, color="0.85", zorder=0)
        ax.set_xlabel("time from the window's start (s)")
        ax.set_title(kind, fontsize=10)
    axes[0].set_ylabel("first deliveries per second")
    fig.suptitle(f"Recovery after a {pick:g} s outage")
    plot.bottom_legend(legend_ax, list(axes))
    parts = [f"Deliveries per {chosen[0][1]['metrics']['faults']['timeline']['bucket_ms']:g} ms "
             f"of receive time, as a rate, for every run with a {pick:g} s outage; grey: the "
             "outage."]
    for label, lost, catch in worst:
        if lost:
            parts.append(f"{label}: {lost} lost, never caught up.")
        elif catch is not None:
            parts.append(f"{label}: nothing lost, caught up {catch * 1e3:.0f} ms after the end.")
    return plot.finish(fig, parts)


def chart_size(runs):
    """Lost, duplicated and late (worst delay) against the outage's length, per configuration."""
    series = {}
    for _, r in runs:
        label, _, length, _ = describe(r)
        pf = r["metrics"]["faults"]["per_fault"][0]
        series.setdefault(label, []).append(
            (length, pf["lost"], pf["duplicates"], (pf["delay_us"].get("max") or 0) / 1e6))
    fig, axes, legend_ax = plot.new_figure(ncols=3)
    for label, pts in sorted(series.items()):
        pts.sort()
        xs = [p[0] for p in pts]
        for ax, i in zip(axes, (1, 2, 3)):
            ax.plot(xs, [p[i] for p in pts], marker="o", label=label)
    for ax, title in zip(axes, ("lost deliveries", "duplicates", "worst delay after AT (s)")):
        ax.set_xlabel("outage length (s)")
        ax.set_title(title)
    plot.bottom_legend(legend_ax, axes)
    lossy = sorted(label for label, pts in series.items() if any(p[1] for p in pts))
    parts = ["Per configuration, against the outage's length: deliveries never made, duplicates "
             "received, and the worst delay of an event created from the fault's start on."]
    parts.append("Lost deliveries: " + (", ".join(lossy) if lossy else "none") + ".")
    return plot.finish(fig, parts)


def make_charts(folder, output=None, log=None):
    runs = load_runs(folder)
    output = output or os.path.join(folder, FAULTS_DIR, "charts")
    written, captions = {}, {}
    for name, fn in (("fault_recovery", chart_recovery), ("fault_size", chart_size)):
        fig = fn(runs)
        captions[name] = plot.caption_of(fig)
        written[name] = plot.save(fig, output, name)
        if log:
            log(f"plot_faults.py: wrote {written[name]}")
    with open(os.path.join(output, "captions.json"), "w", encoding="utf-8") as f:
        json.dump(captions, f, indent=1, ensure_ascii=False)
    return written


def main(argv=None):
    p = argparse.ArgumentParser(description="Draw the fault charts (PNG and SVG) of DIR/faults/, "
                                "written by scripts/faults.sh.")
    p.add_argument("results", metavar="DIR", help="results folder holding faults/")
    p.add_argument("--output", metavar="DIR", help="where the charts go (default: DIR/faults/charts)")
    args = p.parse_args(argv)
    try:
        make_charts(args.results, args.output, log=print)
    except FaultsError as e:
        print(f"plot_faults.py: error: {e}", file=sys.stderr)
        return 2
    except (KeyError, TypeError, IndexError) as e:
        print(f"plot_faults.py: error: malformed fault result ({e!r})", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
