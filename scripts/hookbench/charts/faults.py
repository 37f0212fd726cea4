"""The fault runs' charts (DIR/faults/, scripts/faults.sh): the recovery timeline after an outage
(events delivered over time, per mode) and lost, duplicated and late events against the outage's
length. Each mode keeps its palette colour and marker from the sweep charts.
"""

import os

from ..faults_files import FAULTS_DIR, describe, load_runs
from ..figures import Chart, bottom_legend, caption_of, finish, new_figure, save, write_captions
from ..style import Palette
from .overlap import nest_coinciding, nested_sentence


def chart_recovery(runs, palette):
    """Deliveries per second against time from the window's start, one line per run with a
    1 s outage (the middle of faults.sh's lengths when there is none of 1 s), one panel per
    fault kind (at most four, the outages first)."""
    lengths = sorted({describe(r)[2] for _, r in runs})
    pick = 1.0 if 1.0 in lengths else lengths[len(lengths) // 2]
    chosen = [(n, r) for n, r in runs if describe(r)[2] == pick]
    order = ("consumer-down", "receiver-down", "link-cut", "producer-restart")
    kinds = sorted({describe(r)[1] for _, r in chosen},
                   key=lambda k: (order.index(k) if k in order else len(order), k))[:4]
    fig, axes, legend_ax = new_figure(ncols=len(kinds))
    worst = []
    # One colour per mode in every panel (the panel names the fault), dashed without retries:
    # the legend then names each line once.
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
            ax.plot(xs, ys, label=line, linewidth=1.2, color=palette.colour(mode),
                    linestyle="--" if policy == "none" else "-")
            label = describe(r)[0]
            pf = f["per_fault"][0]
            worst.append((label, pf["lost"], pf.get("catch_up_s")))
        at = next(r for _, r in chosen
                  if describe(r)[1] == kind)["metrics"]["faults"]["per_fault"][0]["at_s"]
        ax.axvspan(at, at + pick, color="0.85", zorder=0)
        ax.set_xlabel("time from start (s)")
        ax.set_title(kind, fontsize=10)
    axes[0].set_ylabel("first deliveries per second")
    fig.suptitle(f"Recovery after a {pick:g} s outage")
    bottom_legend(legend_ax, list(axes))
    widened = []
    for ax in axes:  # runs that deliver alike draw the same line: the first one as a rim
        widened += nest_coinciding(ax, [(a.get_label(), [a]) for a in ax.lines
                                        if not a.get_label().startswith("_")])
    parts = [f"Deliveries per {chosen[0][1]['metrics']['faults']['timeline']['bucket_ms']:g} ms "
             f"of receive time, as a rate, for every run with a {pick:g} s outage; grey: the "
             "outage; time from the measured window's start.", nested_sentence(widened)]
    for label, lost, catch in worst:
        if lost:
            parts.append(f"{label}: {lost} lost, never caught up.")
        elif catch is not None:
            parts.append(f"{label}: nothing lost, caught up {catch * 1e3:.0f} ms after the end.")
    return finish(fig, parts)


# A fault kind's marker in the size chart: the mode is the colour, the kind the marker, the
# retry policy the fill and line (none: hollow, dotted).
KIND_MARKERS = {"consumer-down": "o", "receiver-down": "v", "link-cut": "s",
                "producer-restart": "^", "receiver-5xx": "D", "receiver-slow": "X"}
SPARE_KIND_MARKERS = ("P", "h", "*", "<", ">", "p")
DODGE_BAND = 0.8  # share of the gap between two outage lengths that the spread points use


def config_style(palette, mode, kind, policy, kinds):
    """Colour from the mode, marker from the fault kind, hollow and dotted without retries."""
    spare = [k for k in kinds if k not in KIND_MARKERS]
    marker = KIND_MARKERS.get(kind) or SPARE_KIND_MARKERS[spare.index(kind) %
                                                          len(SPARE_KIND_MARKERS)]
    colour = palette.colour(mode)
    hollow = policy == "none"
    return dict(color=colour, marker=marker, markersize=7, linewidth=1.4,
                linestyle=":" if hollow else "-", markeredgecolor=colour,
                markerfacecolor="white" if hollow else colour)


def chart_size(runs, palette):
    """Lost, duplicated and late (worst delay) against the outage's length, per configuration.
    The lengths are categories; within each, the configurations sit side by side, so that none
    hides another where their values coincide."""
    series, mode_of, style_of = {}, {}, {}
    for _, r in runs:
        label, kind, length, policy = describe(r)
        mode_of[label] = r["config"]["mode"]
        style_of[label] = (kind, policy)
        pf = r["metrics"]["faults"]["per_fault"][0]
        series.setdefault(label, []).append(
            (length, pf["lost"], pf["duplicates"], (pf["delay_us"].get("max") or 0) / 1e6))
    order = {m: i for i, m in enumerate(runs.modes.names)}
    labels = sorted(series, key=lambda lab: (order.get(mode_of[lab], len(order)), lab))
    lengths = sorted({p[0] for pts in series.values() for p in pts})
    kinds = sorted({k for k, _ in style_of.values()})
    fig, axes, legend_ax = new_figure(ncols=3)
    step = DODGE_BAND / max(1, len(labels))
    for n, label in enumerate(labels):
        pts = sorted(series[label])
        kind, policy = style_of[label]
        style = config_style(palette, mode_of[label], kind, policy, kinds)
        xs = [lengths.index(p[0]) + (n - (len(labels) - 1) / 2) * step for p in pts]
        for ax, i in zip(axes, (1, 2, 3)):
            ax.plot(xs, [p[i] for p in pts], label=label, gid=f"fault:{label}", **style)
    for ax, title in zip(axes, ("lost deliveries", "duplicates", "worst delay after AT (s)")):
        ax.set_xticks(range(len(lengths)))
        ax.set_xticklabels([f"{length:g}" for length in lengths])
        ax.set_xlim(-0.5, len(lengths) - 0.5)
        ax.grid(axis="x", alpha=0)
        ax.set_xlabel("outage length (s)")
        ax.set_title(title)
    bottom_legend(legend_ax, axes)
    lossy = sorted(label for label, pts in series.items() if any(p[1] for p in pts))
    parts = ["Per configuration, against the outage's length: deliveries never made, duplicates "
             "received, and the worst delay of an event created from the fault's start on.",
             "Colour: the mode; marker: the fault; hollow and dotted: no retries. Within each "
             "outage length the configurations are set side by side (the x offset carries no "
             "value), so that coinciding values stay visible."]
    parts.append("Lost deliveries: " + (", ".join(lossy) if lossy else "none") + ".")
    dups = sorted(label for label, pts in series.items() if any(p[2] for p in pts))
    parts.append("Duplicates: " + (", ".join(dups) if dups else "none in any run") + ".")
    return finish(fig, parts)


CHARTS = (
    Chart("fault_recovery", "Recovery timeline after a 1 s outage", chart_recovery),
    Chart("fault_size", "Lost, duplicated and late events against the outage's length",
          chart_size),
)


def make_charts(folder, output=None, log=None):
    """Writes the fault charts and captions.json into OUTPUT (default DIR/faults/charts);
    returns {name: png path}. Raises ResultsError (FaultsError) on missing input."""
    runs = load_runs(folder)
    palette = Palette(runs.modes)
    output = output or os.path.join(folder, FAULTS_DIR, "charts")
    written, captions = {}, {}
    for chart in CHARTS:
        fig = chart.draw(runs, palette)
        captions[chart.name] = caption_of(fig)
        written[chart.name] = save(fig, output, chart.name)
        if log:
            log(f"plot_faults.py: wrote {written[chart.name]}")
    write_captions(output, captions)
    return written
