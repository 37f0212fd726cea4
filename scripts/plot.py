#!/usr/bin/python3
"""Charts of a `hookbench sweep` results folder with the model drawn over the measurements
(docs/DESIGN.md): latency, requests per second and per event, a latency budget, CPU as cores and
per event, bytes per event, the empty-poll fraction vs lambda*T, a latency CDF and the recorded
timeline. Every point shows its spread (min-max over repeats, or the run's 95% CI); saturated and
thin points are drawn apart. Model lines come from DIR/model.csv only: no formula is evaluated
here.

    scripts/plot.py results/NAME [--output results/NAME/charts] [--cdf-rate 10]

Writes NAME.png and NAME.svg per chart and captions.json (each chart's caption, computed from the
same data as the chart); prints one line per chart.
"""

import argparse
import json
import math
import os
import sys
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import LinearSegmentedColormap  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hookbench_results as hr  # noqa: E402

# File name (without extension) and title of each chart, in the order the report shows them.
CHARTS = (
    ("latency_vs_rate", "Delivery latency vs event rate"),
    ("requests_per_s", "Requests per second vs event rate"),
    ("requests_per_event", "Requests per delivered event vs event rate"),
    ("latency_budget", "What a latency target costs: poll interval and requests per event"),
    ("cpu_cores", "CPU used (cores) vs event rate, with the idle baseline"),
    ("cpu_per_event", "CPU time per delivered event, net of the idle baseline"),
    ("bytes_per_event", "Bytes on the wire per delivered event vs event rate"),
    ("empty_poll_fraction", "Empty polls vs events per poll interval (λT)"),
    ("latency_cdf", "Latency distribution at one event rate"),
    ("timeline", "Where the latency comes from: a recorded timeline"),
    ("rtt_ratio", "Push/poll latency ratio vs round trip (emulated link)"),
)
TITLES = dict(CHARTS)

# One colour family and one marker per mode; several series of a mode (poll intervals, consumer
# stacks) are shades of its family with its marker. Browns are not among matplotlib's sequential
# maps, so poll-adaptive's family is made here.
BROWNS = LinearSegmentedColormap.from_list("hookbench_browns", ["#f0d9b5", "#8c5a2b", "#3b2108"])
MODE_CMAPS = {"poll": "Blues", "poll-conditional": "Greens", "poll-adaptive": BROWNS,
              "long-poll": "Purples", "sse": "RdPu", "websocket": "Greys", "webhook": "Oranges",
              "webhook-batch": "Reds"}
MODE_MARKERS = {"poll": "o", "poll-conditional": "s", "poll-adaptive": "D", "long-poll": "v",
                "sse": "^", "websocket": "P", "webhook": "p", "webhook-batch": "X"}
SPARE_CMAPS = ("YlGn", "BuPu", "YlOrBr", "PuBuGn", "GnBu")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h")
# A series on another consumer stack than the default: same family, its own line style.
OTHER_STACK_LINESTYLE = (0, (6, 2, 1.5, 2))
# Zapier's REST Hooks material (resthooks.org): 30 million polls, 460 thousand with data.
ZAPIER_EMPTY = 1 - 460e3 / 30e6
ZAPIER_SOURCE = "Zapier via resthooks.org: 30 M polls, 460 k with data"
SATURATED_COLOUR = "#d62728"
THIN_ALPHA = 0.3
MODEL_LABEL_GAP = 1.5  # points between two model labels nudged apart (their boxes pad 0.5)

plt.rcParams.update({
    "font.size": 11, "axes.titlesize": 13, "axes.labelsize": 12, "legend.fontsize": 10,
    "xtick.labelsize": 10, "ytick.labelsize": 10, "figure.titlesize": 15,
    "axes.grid": True, "grid.alpha": 0.3, "grid.linestyle": "-", "svg.fonttype": "none",
})
FIGSIZE = (12, 7)
LEGEND_COLUMNS = 4
LEGEND_CHARS = 130  # characters of legend text that fit across the figure at 10 pt
DPI = 130


class Data:
    """The folder's runs grouped into series, with one colour and marker per series, and the
    model's curves from model.csv (None when the sweep wrote none)."""

    def __init__(self, folder):
        self.folder = folder
        self.rows = hr.load_runs(folder)
        self.series = hr.group_series(self.rows)
        self.trace = hr.load_trace(folder)
        self.model = hr.load_model(folder)
        self.style = {}
        by_mode = {}
        for s in self.series:
            by_mode.setdefault(s.mode, []).append(s)
        spare = iter(SPARE_CMAPS * 4)
        spare_markers = iter(m for m in MARKERS * 4 if m not in MODE_MARKERS.values())
        for mode, group in by_mode.items():
            cmap = plt.get_cmap(MODE_CMAPS.get(mode) or next(spare))
            marker = MODE_MARKERS.get(mode) or next(spare_markers)
            for i, s in enumerate(group):
                shade = 0.75 if len(group) == 1 else 0.95 - 0.45 * i / (len(group) - 1)
                self.style[id(s)] = (cmap(shade), marker)
        # model.csv has one curve per (mode, T, N, payload): series that differ only in their
        # consumer stack share it, and the first of them (the default stack) draws it.
        self.model_owner = {}
        for s in self.series:
            self.model_owner.setdefault(s.model_key(), s)
        rates = [r for s in self.series for r in s.rates if r > 0]
        self.rate_range = (min(rates), max(rates)) if rates else None

    def colour(self, s):
        return self.style[id(s)][0]

    def marker(self, s):
        return self.style[id(s)][1]

    def linestyle(self, s):
        return "-" if s.default_stack else OTHER_STACK_LINESTYLE

    def draws_model(self, s):
        """Whether this series draws its model curve (one line per model.csv curve)."""
        return self.model_owner.get(s.model_key()) is s and self.curve(s) is not None

    def curve(self, s):
        """The series' model curve from model.csv, or None."""
        return (self.model or {}).get(s.model_key())

    def model_note(self):
        """Said in a caption that would have drawn a model line."""
        if self.model is None:
            return "No model line: the results folder has no model.csv."
        missing = [s.label() for s in self.series if self.curve(s) is None]
        if missing:
            return "No model line for " + ", ".join(missing) + " (not in model.csv)."
        return ""

    def subtitle(self, series=None):
        return hr.repeats_phrase(series if series is not None else self.series)

    def push_baseline(self, pull_series):
        return hr.push_baseline(self.series, pull_series)


# --- drawing helpers ----------------------------------------------------------------------------

def new_figure(ncols=1, sharey=False):
    """(figure, [axes], legend axes): the legend gets its own row under the plots, so it never
    covers data (matplotlib 3.6 has no 'outside' legends); bottom_legend() sizes that row."""
    fig = plt.figure(figsize=FIGSIZE, layout="constrained")
    grid = fig.add_gridspec(2, ncols, height_ratios=[5.0, 0.6])
    axes = []
    for i in range(ncols):
        share = axes[0] if (sharey and axes) else None
        axes.append(fig.add_subplot(grid[0, i], sharey=share))
    legend_ax = fig.add_subplot(grid[1, :])
    legend_ax.axis("off")
    return fig, axes, legend_ax


def no_data_figure(title, reason):
    """A labelled figure instead of an empty frame."""
    fig = plt.figure(figsize=FIGSIZE, layout="constrained")
    fig.suptitle(title)
    fig.text(0.5, 0.55, "no data for this chart", ha="center", va="center", fontsize=22,
             color="0.35")
    fig.text(0.5, 0.42, reason, ha="center", va="center", fontsize=12, color="0.35", wrap=True)
    return fig


SUBTITLE_CHARS = 100  # characters of a subtitle that fit across the figure at the title's size


def titled(fig, title, subtitle):
    fig.suptitle(title + ("\n" + textwrap.fill(subtitle, SUBTITLE_CHARS) if subtitle else ""))


def finish(fig, caption):
    """The caption travels with the figure: computed here from the data the chart drew."""
    fig.caption = " ".join(part.strip() for part in caption if part and part.strip()) \
        if isinstance(caption, (list, tuple)) else caption
    return fig


def caption_of(fig):
    return getattr(fig, "caption", "")


class Drawn:
    """What plot_measured put on the axes, for captions and tests."""

    def __init__(self):
        self.x, self.y, self.lo, self.hi = [], [], [], []
        # (series label, rate) of the points in each state; dropped counts non-positive medians
        self.saturated, self.thin, self.no_spread, self.dropped = [], [], [], 0
        self.err_kinds = set()


def plot_measured(ax, data, s, column, scale=1.0, label=None, positive=True, x_of=None,
                  gid=None):
    """Median over repeats per rate, a bar per point (min-max over repeats, or the run's 95% CI
    when it has one repeat), saturated points hollow and red-edged, thin points faded. Points sit
    at their median realised rate; x_of maps that rate to the x value (default: the rate). Returns a Drawn (empty when nothing was drawn).
    Artists carry gids "<gid>" (the line), "err:<gid>", "saturated:<gid>", "thin:<gid>", where
    gid defaults to "<series label>|<column>"."""
    out = Drawn()
    gid = gid or f"{s.label()}|{column}"
    pts = []
    for rate, a in s.agg(column, scale):
        if positive and not a.median > 0:
            out.dropped += 1
            continue
        pts.append((rate, a))
    if not pts:
        return out
    # Each point where its runs were: at the realised rate (the asked one is the point's name).
    x = np.array([x_of(s.realised(rate)) if x_of else s.realised(rate) for rate, _ in pts],
                 dtype=float)
    y = np.array([a.median for _, a in pts])
    lo = np.array([a.lo for _, a in pts])
    hi = np.array([a.hi for _, a in pts])
    if positive:  # a log axis cannot show a bar reaching zero
        lo = np.maximum(lo, y * 1e-3)
    sat = [i for i, (_, a) in enumerate(pts) if a.saturated]
    thin = [i for i, (_, a) in enumerate(pts) if a.thin and not a.saturated]
    normal = [i for i in range(len(pts)) if i not in sat and i not in thin]
    colour, marker = data.colour(s), data.marker(s)
    ax.plot(x, y, linestyle=data.linestyle(s), marker=marker, markevery=normal or None,
            color=colour, markersize=7, linewidth=2, label=label or s.label(), gid=gid, zorder=3)
    if not normal:  # markevery=None would draw every marker
        ax.lines[-1].set_marker("")
    spread = [i for i, (_, a) in enumerate(pts) if a.err]
    if spread:
        container = ax.errorbar(x[spread], y[spread],
                                yerr=np.vstack([y[spread] - lo[spread], hi[spread] - y[spread]]),
                                fmt="none", ecolor=colour, capsize=3, linewidth=1.3,
                                label="_nolegend_", zorder=2)
        for collection in container.lines[2]:
            collection.set_gid("err:" + gid)
    if thin:
        ax.plot(x[thin], y[thin], linestyle="none", marker=marker, color=colour, markersize=7,
                alpha=THIN_ALPHA, gid="thin:" + gid, zorder=3)
    if sat:
        ax.plot(x[sat], y[sat], linestyle="none", marker=marker, markersize=9,
                markerfacecolor="none", markeredgecolor=SATURATED_COLOUR, markeredgewidth=2,
                gid="saturated:" + gid, zorder=4)
    out.x, out.y, out.lo, out.hi = list(x), list(y), list(lo), list(hi)
    out.saturated = [(s.label(), pts[i][0]) for i in sat]
    out.thin = [(s.label(), pts[i][0]) for i in thin]
    out.no_spread = [(s.label(), rate) for rate, a in pts if not a.err]
    out.err_kinds = {a.err for _, a in pts if a.err}
    return out


def saturated_handle():
    return Line2D([], [], linestyle="none", marker="o", markersize=9, markerfacecolor="none",
                  markeredgecolor=SATURATED_COLOUR, markeredgewidth=2,
                  label="saturated (a repeat did not keep up)")


def thin_handle():
    return Line2D([], [], linestyle="none", marker="o", color="0.3", alpha=THIN_ALPHA,
                  label=f"thin: < {hr.THIN_LATENCY_COUNT} samples or < {hr.THIN_POLLS} polls")


def model_handle(label="model (dashed, from model.csv)"):
    return Line2D([], [], color="0.3", linestyle="--", linewidth=1.6, label=label)


def status_handles(drawn):
    """Legend entries for what the drawn points actually contain."""
    handles = []
    if any(d.saturated for d in drawn):
        handles.append(saturated_handle())
    if any(d.thin for d in drawn):
        handles.append(thin_handle())
    return handles


def medians_phrase(series):
    """'medians over 3 repeats' with the real count, or 'one run per point'."""
    counts = [c for s in series for c in s.repeats()]
    if not counts or max(counts) == 1:
        return "one run per point"
    lo, hi = min(counts), max(counts)
    return f"medians over {lo}–{hi} repeats" if lo != hi else f"medians over {hi} repeats"


def counted(n, one, many):
    return f"{n} {one if n == 1 else many}"


def status_caption(drawn):
    """'2 saturated points (hollow, red edge): ...; 3 thin points faded.' from what was drawn."""
    # A point drawn in several panels is one point.
    sat = len({p for d in drawn for p in d.saturated})
    thin = len({p for d in drawn for p in d.thin})
    bare = len({p for d in drawn for p in d.no_spread})
    kinds = set().union(*(d.err_kinds for d in drawn)) if drawn else set()
    parts = []
    if kinds == {"min-max"}:
        parts.append("Bars: min–max over the repeats.")
    elif kinds == {"ci95"}:
        parts.append("Bars: each run's 95% confidence interval (one run per point).")
    elif kinds:
        parts.append("Bars: min–max over the repeats, or the run's 95% CI where a point has "
                     "one run.")
    if bare:
        parts.append(f"{counted(bare, 'point rests', 'points rest')} on one run with no interval, "
                     "so no bar.")
    if sat:
        parts.append(f"{counted(sat, 'point is', 'points are')} saturated (hollow, red edge): at "
                     "least one repeat did not keep up.")
    if thin:
        parts.append(f"{counted(thin, 'point is', 'points are')} thin (faded): fewer than "
                     f"{hr.THIN_LATENCY_COUNT} latency samples or {hr.THIN_POLLS} polls in a "
                     "repeat.")
    return " ".join(parts)


def model_line(ax, x, y, colour, gid, label=None):
    ax.plot(x, y, "--", color=colour, linewidth=1.6, alpha=0.9, label=label, gid=gid, zorder=1)


def merge_model_labels(entries):
    """entries: [(x, y, name, value, colour)], one per model line, value the text of its value
    at the line's end. Lines that end on the same value get one label naming them all ("sse,
    websocket: 0 requests/event"), so no two labels say the same thing in the same place.
    Returns [(x, y, text, colour)] in the order of first appearance."""
    groups = {}
    for x, y, name, value, colour in entries:
        groups.setdefault(value, []).append((x, y, name, colour))
    out = []
    for value, group in groups.items():
        names = ", ".join(dict.fromkeys(g[2] for g in group))
        colour = group[0][3] if len(group) == 1 else "0.2"
        out.append((max(g[0] for g in group), group[0][1], f"{names}: {value}", colour))
    return out


def wrap_label(text, width):
    """A merged label over several lines of at most about `width` characters, broken after the
    commas between series names (a name is never split)."""
    names, sep, value = text.rpartition(": ")
    parts = names.split(", ") if sep else [text]
    lines, line = [], ""
    for i, part in enumerate(parts):
        piece = part + ("," if i < len(parts) - 1 else sep.rstrip() + " " + value if sep else "")
        if line and len(line) + 1 + len(piece) > width:
            lines.append(line)
            line = piece
        else:
            line = f"{line} {piece}" if line else piece
    lines.append(line)
    return "\n".join(lines)


def spread_labels(anchors, heights, lo, hi, gap=0.0):
    """Where labels go so that none overlaps another: each wants its bottom at anchors[i] and is
    heights[i] tall (display units). In order of anchor, each is pushed up to clear the one
    below it; a stack that then runs past hi is pushed back down, not below lo unless there is
    no room. Returns the bottoms in the order given."""
    order = sorted(range(len(anchors)), key=lambda i: anchors[i])
    pos = {}
    floor = -math.inf
    for i in order:
        pos[i] = max(anchors[i], floor)
        floor = pos[i] + heights[i] + gap
    ceiling = hi
    for i in reversed(order):
        pos[i] = min(pos[i], ceiling - heights[i])
        ceiling = pos[i] - gap
    floor = lo
    for i in order:  # out of room at the top: the bottom wins, the top may overflow the axes
        pos[i] = max(pos[i], floor)
        floor = pos[i] + heights[i] + gap
    return [pos[i] for i in range(len(anchors))]


def place_model_labels(ax, entries, log=True):
    """Labels at the right end of the model lines (entries as merge_model_labels takes them),
    merged where they say the same value and nudged apart where they would overlap. A value of
    0 has no place on a log axis: its label sits at the axis' bottom. Call it last, once the
    figure's layout is settled (legend and titles drawn): positions are computed on the laid-out
    axes. Returns the annotations."""
    merged = merge_model_labels(e for e in entries if e is not None and e[1] is not None)
    if not merged:
        return []
    fig = ax.figure
    fig.draw_without_rendering()  # constrained layout and autoscaling: data -> display is final
    renderer = fig.canvas.get_renderer()
    box = ax.get_window_extent(renderer)
    to_points = 72.0 / fig.dpi
    rise = 4.0 / to_points  # labels sit just above their line's end
    width = max(20, int(box.width * to_points / 6.2) - 2)  # characters across the axes at 10 pt
    anchors, heights, placed = [], [], []
    for x, y, text, colour in merged:
        text = wrap_label(text, width)
        on_axis = y > 0 or not log
        xy = (x, y) if on_axis else (x, 0.0)
        coords = "data" if on_axis else ("data", "axes fraction")
        px = ax.transData.transform((x, y))[1] if on_axis else box.y0
        probe = ax.text(0, 0, text, fontsize=10, transform=None)
        heights.append(probe.get_window_extent(renderer).height)
        probe.remove()
        anchors.append(px + rise)
        placed.append((xy, coords, px, text, colour))
    bottoms = spread_labels(anchors, heights, box.y0, box.y1, MODEL_LABEL_GAP / to_points)
    texts = []
    for (xy, coords, px, text, colour), bottom in zip(placed, bottoms):
        # No leader line to the line's end: it would cross the labels it was moved past. The
        # label carries its line's colour and name.
        t = ax.annotate(text, xy, xycoords=coords, xytext=(-2, (bottom - px) * to_points),
                        textcoords="offset points", va="bottom", ha="right", fontsize=10,
                        multialignment="right", color=colour, gid="model-label",
                        bbox=dict(facecolor="white", edgecolor="none", alpha=0.75, pad=0.5),
                        zorder=2.5)  # over the model lines, under the measurements
        t.set_in_layout(False)  # labels never move the layout they were computed on
        texts.append(t)
    return texts


def legend_chars(labels, ncol):
    """Characters across a legend of ncol columns, filled column by column as matplotlib does:
    each column as wide as its longest label, plus its marker."""
    rows = math.ceil(len(labels) / ncol)
    columns = [labels[i:i + rows] for i in range(0, len(labels), rows)]
    return sum(max(len(lab) for lab in col) + 6 for col in columns)


def bottom_legend(legend_ax, axes, extra=()):
    handles, labels, seen = [], [], set()
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in seen and not lab.startswith("_"):
                seen.add(lab)
                handles.append(h)
                labels.append(lab)
    for h in extra:
        handles.append(h)
        labels.append(h.get_label())
    if not handles:
        return
    # As many columns as fit the figure's width, then a legend row tall enough for the rows.
    ncol = min(len(handles), LEGEND_COLUMNS)
    while ncol > 1 and legend_chars(labels, ncol) > LEGEND_CHARS:
        ncol -= 1
    rows = math.ceil(len(handles) / ncol)
    legend_ax.legend(handles, labels, loc="center", ncol=ncol, frameon=False)
    grid = legend_ax.get_subplotspec().get_gridspec()
    legend_h = 0.32 * rows + 0.3
    grid.set_height_ratios([FIGSIZE[1] - 1.2 - legend_h, legend_h])


def plain_log(ax, which="xy"):
    """Log axes labelled 0.1, 1, 10 rather than 10^-1, 10^0, 10^1: read by people, not
    physicists."""
    formatter = FuncFormatter(lambda v, _: hr.fmt_number(v))
    for name, axis, limits in (("x", ax.xaxis, ax.get_xlim), ("y", ax.yaxis, ax.get_ylim)):
        if name not in which:
            continue
        (ax.set_xscale if name == "x" else ax.set_yscale)("log")
        axis.set_major_formatter(formatter)
        axis.set_minor_formatter(FuncFormatter(
            lambda v, _, limits=limits: minor_tick_label(v, limits())))


def minor_tick_label(value, limits):
    """Label the 2s and 5s between the powers of ten when an axis spans few decades, so a
    narrow log axis is never left with a single number on it."""
    lo, hi = sorted(limits)
    if lo <= 0 or math.log10(hi / lo) >= 2.6 or value <= 0:
        return ""
    leading = round(value / 10 ** math.floor(math.log10(value) + 1e-9))
    return hr.fmt_number(value) if leading in (2, 5) else ""


def rate_axis(ax):
    plain_log(ax)
    ax.set_xlabel("event rate λ (events/s)")


def pull_intervals(data):
    return sorted({s.interval_ms for s in data.series if s.pull})


def mark_lambda_t_one(ax, data, strong=True):
    """A vertical line at λ = 1/T for each poll interval: where one event arrives per interval."""
    lo, hi = data.rate_range
    for T in pull_intervals(data):
        rate = 1000.0 / T
        if not lo / 3 <= rate <= hi * 3:
            continue
        ax.axvline(rate, color="0.25", linestyle=":", linewidth=1.4 if strong else 1.0,
                   alpha=0.9 if strong else 0.5, gid=f"lambda_t_one:{hr.fmt_number(T)}")
        if strong:
            ax.annotate(f"λT = 1\nT = {hr.fmt_number(T)} ms", (rate, 1.0),
                        xycoords=("data", "axes fraction"), xytext=(4, -4),
                        textcoords="offset points", va="top", ha="left", fontsize=10,
                        color="0.25")


def lambda_t_handle():
    return Line2D([], [], color="0.25", linestyle=":", label="λT = 1")


def draw_model_curve(ax, data, s, column, scale=1.0, x_column="rate"):
    """The series' model curve from model.csv; returns (x, y) or None (also for a series whose
    curve another series, on another consumer stack, already draws)."""
    if not data.draws_model(s):
        return None
    curve = data.curve(s)
    pts = [(r[x_column], r[column] * scale) for r in curve.rows
           if hr.is_finite(r.get(column)) and hr.is_finite(r.get(x_column))]
    pts = [p for p in pts if p[0] > 0 and p[1] > 0]
    if not pts:
        return None
    x = [p[0] for p in pts]
    y = [p[1] for p in pts]
    model_line(ax, x, y, data.colour(s), gid=f"model:{s.label()}|{column}")
    return x, y


def model_end(data, s, column, scale=1.0):
    """(rate, value) where the series' model curve ends (its highest rate), zero values
    included; None when the series draws no model curve."""
    if not data.draws_model(s):
        return None
    pts = [(r["rate"], r[column] * scale) for r in data.curve(s).rows
           if hr.is_finite(r.get(column)) and r["rate"] > 0]
    return pts[-1] if pts else None


def model_label(data, s, column, value_text, scale=1.0):
    """A place_model_labels entry for the end of the series' model line, or None."""
    end = model_end(data, s, column, scale)
    if end is None:
        return None
    return (end[0], end[1], s.label(), value_text(end[1]), data.colour(s))


def zero_model_sentence(labels, what):
    """The caption's word on the model lines that end at 0 (no request per event), which a log
    axis cannot draw; labels as model_label made them."""
    names = [e[2] for e in labels if e is not None and e[1] == 0]
    if not names:
        return ""
    return (f"The model's claim for {', '.join(names)} is 0 {what}: a log axis cannot draw that "
            "line, so only its label, at the bottom, shows it.")


def pairs(data):
    """[(pull series, its push baseline)]."""
    out = []
    for s in data.series:
        if s.pull:
            base = data.push_baseline(s)
            if base is not None:
                out.append((s, base))
    return out


def describe_crossings(data, column, noun, model_column=None):
    """Caption sentences on where pull and push curves cross, measured (medians) and in the
    model (model.csv), only where they do. Returns (sentences, [(pull, push, rate, source)])."""
    said, found = [], []
    for s, base in pairs(data):
        where = f"{s.label()} vs {base.label()}"
        measured = [rate for rate, _ in hr.measured_crossings(s, base, column)]
        modelled = []
        cs, cb = data.curve(s), data.curve(base)
        if model_column and cs is not None and cb is not None:
            modelled = [rate for rate, _ in hr.crossings(cs.as_dict(model_column),
                                                          cb.as_dict(model_column))]
        parts = []
        for rate in measured:
            found.append((s, base, rate, "measured"))
            parts.append(f"the measured medians cross at a realised λ ≈ {hr.fmt_number(rate, 2)}/s "
                         f"(λT ≈ {hr.fmt_number(rate * s.interval_ms / 1000, 2)})")
        for rate in modelled:
            found.append((s, base, rate, "model"))
            parts.append(f"the model curves cross at λ ≈ {hr.fmt_number(rate, 2)}/s "
                         f"(λT ≈ {hr.fmt_number(rate * s.interval_ms / 1000, 2)})")
        if parts:
            said.append(f"{where}: " + "; ".join(parts) + ".")
        else:
            common = [r for r in hr.medians(s, column) if r in hr.medians(base, column)]
            if common:
                more = hr.medians(s, column)[common[0]] > hr.medians(base, column)[common[0]]
                said.append(f"{where}: the measured curves do not cross; {s.mode} has "
                            f"{'more' if more else 'fewer'} {noun} at every common rate.")
    return said, found


def crossing_handles(found):
    """Legend entries for the crossing markers mark_crossings drew (only the kinds present)."""
    out = []
    if any(f[3] == "measured" for f in found):
        out.append(Line2D([], [], marker="*", markersize=12, color="0.5",
                          markeredgecolor="black", linestyle="none",
                          label="measured curves cross"))
    if any(f[3] == "model" for f in found):
        out.append(Line2D([], [], marker="X", markersize=9, color="white",
                          markeredgecolor="0.3", markeredgewidth=2, linestyle="none",
                          label="model curves cross"))
    return out


def mark_crossings(ax, data, found, column):
    for s, base, rate, source in found:
        if source == "measured":
            y = hr.interp_loglog(hr.realised_medians(base, column), rate)
            ax.plot([rate], [y], marker="*", markersize=16, color=data.colour(s),
                    markeredgecolor="black", zorder=5, linestyle="none",
                    gid=f"crossing:measured:{s.label()}")
        else:
            cb = data.curve(base)
            y = cb.at(column, rate) if cb else None
            if y:
                ax.plot([rate], [y], marker="X", markersize=10, color="white",
                        markeredgecolor=data.colour(s), markeredgewidth=2, zorder=5,
                        linestyle="none", gid=f"crossing:model:{s.label()}")


# --- the charts ---------------------------------------------------------------------------------

def chart_latency(data):
    """Mean (with the model's mean from model.csv), p50 and p99 latency vs rate, log-log."""
    title = TITLES["latency_vs_rate"]
    if not any(s.agg("latency_p50_us") for s in data.series):
        return finish(no_data_figure(title, "no run in runs.csv has latency percentiles"),
                      "No latency was measured.")
    fig, axes, leg = new_figure(3, sharey=True)
    drawn = []
    labels = []
    for ax, column, name in zip(axes, ("latency_mean_us", "latency_p50_us", "latency_p99_us"),
                                ("mean (model dashed)", "median (p50)", "p99")):
        for s in data.series:
            drawn.append(plot_measured(ax, data, s, column, scale=1e-3))
            if column == "latency_mean_us" and draw_model_curve(ax, data, s, column, 1e-3):
                labels.append(model_label(data, s, column,
                                          lambda v: f"{hr.fmt_number(v)} ms", 1e-3))
        rate_axis(ax)
        ax.set_title(name)
    axes[0].set_ylabel("delivery latency (ms)")
    titled(fig, title, data.subtitle() + "; dashed: the model's mean (model.csv)")
    extra = ([model_handle()] if labels else []) + status_handles(drawn)
    bottom_legend(leg, [axes[0]], extra)
    place_model_labels(axes[0], labels)
    rtts = [r["model_rtt_us"] for s in data.series if s.mode == "webhook" for r in s.runs()
            if hr.is_finite(r.get("model_rtt_us"))]
    caption = ["Mean, median and p99 delivery latency (consumer has the event parsed minus its "
               f"scheduled creation), {medians_phrase(data.series)}."]
    if labels:
        caption.append("Dashed: the model's mean latency at each rate from model.csv (the "
                       "model's claim, evaluated by hookbench at the in-run round trip).")
        if rtts:
            caption.append(f"The webhook model's round trip R is the in-run POST round trip "
                           f"({hr.fmt_number(float(np.median(rtts)))} µs median).")
    caption += [data.model_note(), status_caption(drawn)]
    return finish(fig, caption)


def chart_requests_per_s(data):
    """Requests per second vs rate: polling flat at N/T, push rising with λN (model.csv)."""
    title = TITLES["requests_per_s"]
    if not any(s.agg("requests_per_s") for s in data.series):
        return finish(no_data_figure(title, "no run in runs.csv has requests_per_s"),
                      "No request rate was measured.")
    fig, (ax,), leg = new_figure()
    drawn, labels = [], []
    for s in data.series:
        drawn.append(plot_measured(ax, data, s, "requests_per_s"))
        drawn_model = draw_model_curve(ax, data, s, "requests_per_s")
        end = model_end(data, s, "requests_per_s")
        # Pull lines are flat at N/T: their value says it. A push line rises with λ, except
        # where the model sends no request per event: that line cannot be drawn on a log axis,
        # so its label says why it is missing.
        if (drawn_model and s.pull) or (end and end[1] == 0):
            labels.append(model_label(data, s, "requests_per_s",
                                      lambda v: f"{hr.fmt_number(v)}/s"))
    said, found = describe_crossings(data, "requests_per_s", "requests per second",
                                     "requests_per_s")
    mark_crossings(ax, data, found, "requests_per_s")
    mark_lambda_t_one(ax, data)
    rate_axis(ax)
    ax.set_ylabel("requests per second (all subscribers)")
    titled(fig, title, data.subtitle())
    extra = ([model_handle()] if data.model else []) + crossing_handles(found)
    bottom_legend(leg, [ax], extra + [lambda_t_handle()] + status_handles(drawn))
    place_model_labels(ax, labels)
    caption = ["Requests per second against the event rate. In the model (model.csv) a poller "
               "sends N/T requests per second whatever λ is (flat), a webhook λN (rising)."]
    caption += [zero_model_sentence(labels, "requests per second")]
    caption += said + [data.model_note(), status_caption(drawn)]
    return finish(fig, caption)


def chart_requests(data):
    """Requests per delivered event vs rate; model lines from model.csv."""
    title = TITLES["requests_per_event"]
    if not any(s.agg("requests_per_event") for s in data.series):
        return finish(no_data_figure(title, "no run in runs.csv has requests_per_event"),
                      "No requests per event were measured.")
    fig, (ax,), leg = new_figure()
    drawn, labels = [], []
    for s in data.series:
        drawn.append(plot_measured(ax, data, s, "requests_per_event"))
        draw_model_curve(ax, data, s, "requests_per_event")
        if not s.pull:  # pull lines fall as 1/(λT), the λT = 1 marks say where they cross 1
            labels.append(model_label(data, s, "requests_per_event",
                                      lambda v: f"{hr.fmt_number(v)} requests/event"))
    said, found = describe_crossings(data, "requests_per_event", "requests per event",
                                     "requests_per_event")
    mark_crossings(ax, data, found, "requests_per_event")
    mark_lambda_t_one(ax, data)
    rate_axis(ax)
    ax.set_ylabel("requests per delivered event")
    titled(fig, title, data.subtitle())
    extra = ([model_handle()] if data.model else []) + crossing_handles(found)
    bottom_legend(leg, [ax], extra + [lambda_t_handle()] + status_handles(drawn))
    place_model_labels(ax, labels)
    caption = ["Requests per delivered event. A request counts for the window event it carried, "
               "whenever it was sent. Dashed: the model from model.csv."]
    caption += [zero_model_sentence(labels, "requests per event")]
    caption += said + [data.model_note(), status_caption(drawn)]
    return finish(fig, caption)


def budget_steps(levels, costs, x_max):
    """Step line for 'the largest interval whose latency meets the target': levels are the
    latencies L_i (ascending), costs what each costs; returns (x, y) for drawstyle steps-post."""
    x = list(levels) + [x_max]
    y = list(costs) + [costs[-1]]
    return x, y


def mode_name(s):
    """The series' mode and, when not the default, its stack: 'poll', 'webhook (httplib)'."""
    return s.mode if s.default_stack else f"{s.mode} ({s.stack})"


def median_latency_ms(s):
    """A series' mean latency over all its points (median), in ms, or None."""
    a = hr.aggregate(s.runs(), "latency_mean_us")
    return a.median / 1000 if a else None


def chart_latency_budget(data):
    """For a mean-latency target L: the longest swept poll interval whose mean latency meets it
    (left) and the requests per event that interval costs at a few event rates, against push
    (right). Steps, not curves: only the swept intervals are known. The reference pull mode
    (plain poll) is drawn in full; every other pull mode (and stack) as its own steps at the
    middle rate; every push mode as the latency it meets and what it costs."""
    title = TITLES["latency_budget"]
    pull_all = [s for s in data.series if s.pull and s.agg("latency_mean_us")]
    if not pull_all:
        return finish(no_data_figure(title, "needs poll runs with a mean latency"),
                      "No poll runs: no latency budget to show.")
    ref = (hr.reference_pull(pull_all) or pull_all)[0]
    base = data.push_baseline(ref)
    groups = {}
    for s in pull_all:
        if s.matches(ref):
            groups.setdefault((s.mode, s.stack, s.tuning), []).append(s)
    pull = sorted(groups.pop((ref.mode, ref.stack, ref.tuning)), key=lambda s: s.interval_ms)
    others = [sorted(g, key=lambda s: s.interval_ms) for g in groups.values()]
    push = [s for s in data.series if not s.pull and s.matches(ref) and s.agg("latency_mean_us")]
    push.sort(key=lambda s: s is not base)  # the baseline first: it is annotated
    fig, axes, leg = new_figure(2)
    ax_t, ax_c = axes
    rates = sorted({r for s in pull for r in s.rates})
    shown_rates = sorted({rates[0], rates[len(rates) // 2], rates[-1]})
    middle = rates[len(rates) // 2]
    caption = ["For a target on the mean latency (x), left: the longest swept poll interval "
               "whose mean latency meets it; right: the requests per delivered event that "
               f"interval costs at λ = {', '.join(hr.fmt_number(r) for r in shown_rates)} "
               f"events/s ({ref.mode}), against push."]
    # Measured: each interval's mean latency is the median over its points (it hardly depends
    # on the rate); the model's is read from model.csv at the same rates.
    measured_l = [median_latency_ms(s) for s in pull]
    model_l = []
    for s in pull:
        c = data.curve(s)
        model_l.append(None if c is None else
                       float(np.median([c.at("latency_mean_us", r) for r in s.rates])) / 1000)
    push_l = {id(s): median_latency_ms(s) for s in push}
    other_l = [[median_latency_ms(s) for s in g] for g in others]
    all_l = [v for v in measured_l + model_l + list(push_l.values()) + sum(other_l, []) if v]
    x_max = max(all_l) * 4
    order = sorted(range(len(pull)), key=lambda i: measured_l[i])
    x, y = budget_steps([measured_l[i] for i in order], [pull[i].interval_ms for i in order],
                        x_max)
    ax_t.plot(x, y, drawstyle="steps-post", color="0.15", linewidth=2, marker="o",
              markevery=list(range(len(order))),
              label=f"{mode_name(ref)}, measured: longest T that meets L",
              gid="budget:measured")
    for i in order:
        ax_t.annotate(f"T = {hr.fmt_number(pull[i].interval_ms)} ms", (measured_l[i],
                      pull[i].interval_ms), xytext=(4, 6), textcoords="offset points",
                      fontsize=10)
    have_model = all(v is not None for v in model_l)
    if have_model:
        mo = sorted(range(len(pull)), key=lambda i: model_l[i])
        x, y = budget_steps([model_l[i] for i in mo], [pull[i].interval_ms for i in mo], x_max)
        ax_t.plot(x, y, drawstyle="steps-post", color="0.45", linestyle="--", linewidth=1.6,
                  label="the model's claim (model.csv)", gid="budget:model")
    for g, levels in zip(others, other_l):
        name = mode_name(g[0])
        o = sorted(range(len(g)), key=lambda i: levels[i])
        x, y = budget_steps([levels[i] for i in o], [g[i].interval_ms for i in o], x_max)
        ax_t.plot(x, y, drawstyle="steps-post", color=data.colour(g[0]),
                  linestyle=data.linestyle(g[0]), linewidth=1.8, marker=data.marker(g[0]),
                  markevery=list(range(len(o))), label=f"{name}, measured",
                  gid=f"budget:measured:{name}")
        cost = [hr.medians(g[i], "requests_per_event").get(middle) for i in o]
        known = [(levels[i], c) for i, c in zip(o, cost) if c]
        if known:
            x, y = budget_steps([k[0] for k in known], [k[1] for k in known], x_max)
            ax_c.plot(x, y, drawstyle="steps-post", color=data.colour(g[0]),
                      linestyle=data.linestyle(g[0]), linewidth=1.8, marker=data.marker(g[0]),
                      markevery=list(range(len(known))),
                      label=f"{name}, measured, λ = {hr.fmt_number(middle)}/s",
                      gid=f"budget:cost:measured:{name}")
    for s in push:
        level = push_l[id(s)]
        gid = "budget:push_latency" if s is base else f"budget:push_latency:{s.label()}"
        for ax in axes:
            ax.axvline(level, color=data.colour(s), linestyle=":", linewidth=1.6, gid=gid)
    if base is not None and push_l.get(id(base)):
        ax_t.annotate(f"{base.label()} meets any target\nabove "
                      f"{hr.fmt_number(push_l[id(base)])} ms", (push_l[id(base)], 0.02),
                      xycoords=("data", "axes fraction"), xytext=(4, 4),
                      textcoords="offset points", fontsize=10, color=data.colour(base))
    plain_log(ax_t)
    ax_t.set_xlabel("mean latency target L (ms)")
    ax_t.set_ylabel("poll interval T that meets it (ms)")
    ax_t.set_title("poll interval")
    cmap = plt.get_cmap(MODE_CMAPS.get(ref.mode) or "viridis")  # the rates: shades of its family
    for j, rate in enumerate(shown_rates):
        colour = cmap(0.45 + 0.5 * j / max(1, len(shown_rates) - 1))
        cost = [hr.medians(pull[i], "requests_per_event").get(rate) for i in order]
        known = [(measured_l[i], c) for i, c in zip(order, cost) if c]
        if known:
            x, y = budget_steps([k[0] for k in known], [k[1] for k in known], x_max)
            ax_c.plot(x, y, drawstyle="steps-post", color=colour, linewidth=2, marker="o",
                      markevery=list(range(len(known))),
                      label=f"{ref.mode}, measured, λ = {hr.fmt_number(rate)}/s",
                      gid=f"budget:cost:measured:{hr.fmt_number(rate)}")
        if have_model:
            mo = sorted(range(len(pull)), key=lambda i: model_l[i])
            mcost = [data.curve(pull[i]).at("requests_per_event", rate) for i in mo]
            x, y = budget_steps([model_l[i] for i in mo], mcost, x_max)
            ax_c.plot(x, y, drawstyle="steps-post", color=colour, linestyle="--", linewidth=1.4,
                      gid=f"budget:cost:model:{hr.fmt_number(rate)}")
    push_said = []
    for s in push:
        costs = [v for v in hr.medians(s, "requests_per_event").values() if v > 0]
        cost = float(np.median(costs)) if costs else None
        if not cost:
            continue
        ax_c.plot([push_l[id(s)], x_max], [cost, cost], color=data.colour(s),
                  linestyle=data.linestyle(s), linewidth=2.5,
                  label=f"{s.label()}, measured (median over rates)",
                  gid="budget:cost:push" if s is base else f"budget:cost:push:{s.label()}")
        push_said.append(f"{s.label()} met any target above {hr.fmt_number(push_l[id(s)])} ms "
                         f"at {hr.fmt_number(cost)} requests per event")
    plain_log(ax_c)
    ax_c.set_xlabel("mean latency target L (ms)")
    ax_c.set_ylabel("requests per delivered event")
    ax_c.set_title("what that interval costs")
    titled(fig, title, "steps: only the swept intervals are known; dashed: the model's claim")
    bottom_legend(leg, axes)
    tight = order[0]
    sentence = (f"Measured: the tightest target {'polling' if ref.mode == 'poll' else ref.mode} "
                "met here is "
                f"{hr.fmt_number(measured_l[tight])} ms, with T = "
                f"{hr.fmt_number(pull[tight].interval_ms)} ms")
    c0 = hr.medians(pull[tight], "requests_per_event").get(shown_rates[0])
    if c0:
        sentence += (f", costing {hr.fmt_number(c0)} requests per event at "
                     f"λ = {hr.fmt_number(shown_rates[0])}/s")
    sentence += "."
    caption.append(sentence)
    for g, levels in zip(others, other_l):
        i = min(range(len(g)), key=lambda k: levels[k])
        caption.append(f"{g[i].label()} met {hr.fmt_number(levels[i])} ms at best.")
    if push_said:
        caption.append("; ".join(push_said) + " (medians).")
    if have_model:
        caption.append("Dashed steps are the model's claim from model.csv at the same intervals.")
    else:
        caption.append(data.model_note() or "No model line: a poll series is not in model.csv.")
    return finish(fig, caption)


def chart_cpu_cores(data):
    """CPU cores used by each side vs rate, with each side's idle baseline drawn."""
    title = TITLES["cpu_cores"]
    columns = (("cpu_cores_producer", "cpu_idle_cores_producer", "producer (the API server)"),
               ("cpu_cores_consumer", "cpu_idle_cores_consumer", "consumer (the client app)"))
    if not any(s.agg(c[0]) for s in data.series for c in columns):
        return finish(no_data_figure(title, "no run in runs.csv has a CPU measurement"),
                      "CPU was not measured in any run.")
    fig, axes, leg = new_figure(2, sharey=True)
    drawn, caption = [], ["CPU used over the measured window, in cores (CPU seconds per "
                          f"second), {medians_phrase(data.series)}."]
    ok = hr.ok_runs(data.rows)
    for ax, (column, idle_column, side) in zip(axes, columns):
        for s in data.series:
            drawn.append(plot_measured(ax, data, s, column))
        idle = hr.aggregate(ok, idle_column)
        if idle is not None and idle.median > 0:
            ax.axhspan(max(idle.lo, idle.median * 1e-3), idle.hi, color="0.5", alpha=0.15,
                       zorder=0, gid=f"idle-band:{side.split()[0]}")
            ax.axhline(idle.median, color="0.3", linestyle="-.", linewidth=1.5,
                       label="idle baseline (median, band: min–max)",
                       gid=f"idle:{side.split()[0]}")
            caption.append(f"{side.split()[0].capitalize()} idle baseline, measured before "
                           f"warm-up: {hr.fmt_number(idle.median)} cores (median of {idle.k} "
                           "runs).")
        mark_lambda_t_one(ax, data, strong=False)
        rate_axis(ax)
        ax.set_title(side)
    missing = [r for r in ok if not hr.is_finite(r.get("cpu_cores_producer"))
               or not hr.is_finite(r.get("cpu_cores_consumer"))]
    if missing:
        caption.append(f"{len(missing)} runs have no CPU measurement for a side; they are left "
                       "out, not drawn as 0.")
    axes[0].set_ylabel("CPU used (cores = CPU s per s)")
    titled(fig, title, data.subtitle())
    bottom_legend(leg, axes, status_handles(drawn))
    caption.append(status_caption(drawn))
    return finish(fig, caption)


def chart_cpu(data):
    """CPU µs per delivered event net of the idle baseline, producer and consumer, vs rate."""
    title = TITLES["cpu_per_event"]
    columns = ("cpu_us_per_event_net_producer", "cpu_us_per_event_net_consumer")
    if not any(s.agg(c) for s in data.series for c in columns):
        return finish(no_data_figure(title, "no run in runs.csv has a net CPU per event"),
                      "No net CPU per event was measured.")
    fig, axes, leg = new_figure(2, sharey=True)
    drawn = []
    for ax, column, side in zip(axes, columns, ("producer (the API server)",
                                                "consumer (the client app)")):
        for s in data.series:
            drawn.append(plot_measured(ax, data, s, column))
        mark_lambda_t_one(ax, data, strong=False)
        rate_axis(ax)
        ax.set_title(side)
    axes[0].set_ylabel("CPU per delivered event, net of idle (µs)")
    titled(fig, title, data.subtitle() + "; dotted: λT = 1 per poll interval")
    bottom_legend(leg, axes, status_handles(drawn))
    caption = ["CPU (user + sys) per delivered event after subtracting each side's idle "
               "baseline: what delivering cost, not the process's fixed upkeep divided by λ. The "
               "gross figure is in the tables."]
    dropped = sum(d.dropped for d in drawn)
    if dropped:
        caption.append(f"{dropped} points whose net figure was zero or below (inside the idle "
                       "baseline's noise) cannot be drawn on a log axis.")
    caption.append(status_caption(drawn))
    return finish(fig, caption)


def chart_bytes(data):
    """Bytes (sent + received, headers included) per delivered event vs rate, model line."""
    title = TITLES["bytes_per_event"]
    if not any(s.agg("bytes_per_event") for s in data.series):
        return finish(no_data_figure(title, "no run in runs.csv has bytes_per_event"),
                      "No bytes were measured.")
    fig, (ax,), leg = new_figure()
    drawn, modelled = [], False
    for s in data.series:
        drawn.append(plot_measured(ax, data, s, "bytes_per_event"))
        modelled |= draw_model_curve(ax, data, s, "bytes_per_event") is not None
    mark_lambda_t_one(ax, data)
    rate_axis(ax)
    ax.set_ylabel("bytes per delivered event (requests + responses)")
    titled(fig, title, data.subtitle())
    said, found = describe_crossings(data, "bytes_per_event", "bytes per event")
    mark_crossings(ax, data, found, "bytes_per_event")
    bottom_legend(leg, [ax], ([model_handle()] if modelled else []) + [lambda_t_handle()]
                  + status_handles(drawn))
    caption = ["Bytes on the wire per delivered event, requests and responses with their "
               "headers, counted for the window event each request carried."]
    if modelled:
        caption.append("Dashed: the model's bytes per event from model.csv.")
    caption += said + [data.model_note(), status_caption(drawn)]
    return finish(fig, caption)


def inverse_read(points, y):
    """The x where a monotone curve {x: y} passes y, log-linear between its two nearest points;
    None when y is outside the curve."""
    xs = sorted(points)
    for x0, x1 in zip(xs, xs[1:]):
        y0, y1 = points[x0], points[x1]
        if (y0 - y) * (y1 - y) <= 0 and y0 != y1 and x0 > 0:
            f = (y - y0) / (y1 - y0)
            return math.exp(math.log(x0) + f * math.log(x1 / x0))
    return None


def empty_model_curves(data, pull):
    """The model's empty-poll fraction against λT from model.csv: [(name, {λT: fraction},
    colour, gid)]. Plain poll's curves at every T are one line (its model depends on λT
    alone), drawn dark as the reference; every other pull series draws its own, in its colour
    (poll-adaptive's depends on T through its cap)."""
    out, poll = [], {}
    for s in pull:
        c = data.curve(s)
        if c is None or not data.draws_model(s):
            continue
        points = {r["lambda_t"]: r["empty_poll_fraction"] for r in c.rows
                  if hr.is_finite(r.get("lambda_t")) and hr.is_finite(r.get("empty_poll_fraction"))
                  and r["lambda_t"] > 0}
        if not points:
            continue
        if s.mode == "poll":
            poll.update(points)
        else:
            out.append((s.label(), points, data.colour(s),
                        f"model:empty_poll_fraction:{s.label()}"))
    if poll:
        out.insert(0, ("poll", poll, "0.15", "model:empty_poll_fraction"))
    return out


def chart_empty(data):
    """Empty-poll fraction vs λT, the model's curve from model.csv and Zapier's 98.5%."""
    title = TITLES["empty_poll_fraction"]
    pull = [s for s in data.series if s.pull and s.agg("empty_poll_fraction")]
    if not pull:
        return finish(no_data_figure(title, "no poll runs with an empty-poll fraction in "
                                     "runs.csv"), "No poll runs: no empty-poll fraction.")
    fig, (ax,), leg = new_figure()
    drawn, lts = [], []
    for s in pull:
        d = plot_measured(ax, data, s, "empty_poll_fraction", scale=100.0, positive=False,
                          x_of=lambda rate, s=s: rate * s.interval_ms / 1000.0,
                          label=f"measured, {s.label()}")
        drawn.append(d)
        lts += d.x
    curves = empty_model_curves(data, pull)
    caption = ["The share of polls that found nothing, against λT (events per poll interval), "
               f"{medians_phrase(pull)}."]
    lo_x = min(lts) / 2.5
    hi_x = max(max(lts), 3.0) * 2.5
    named = set()
    for name, points, colour, gid in curves:
        xs = sorted(points)
        # One legend entry per mode (its intervals are shades of one colour); the caption
        # names every curve.
        mode = name.split(" T=")[0]
        label = ("model (model.csv)" if len(curves) == 1 else
                 "_nolegend_" if mode in named else f"model, {mode} (model.csv)")
        named.add(mode)
        ax.plot(xs, [100 * points[x] for x in xs], "--", color=colour, linewidth=2,
                label=label, gid=gid)
        lo_x = min(lo_x, xs[0])
        hi_x = max(hi_x, xs[-1])
    # The model's landmarks are read on the reference curve (plain poll's, else the first).
    model = curves[0][1] if curves else {}
    whose = f" for {curves[0][0]}" if len(curves) > 1 else ""
    if model:
        xs = sorted(model)
        at_one = hr.interp_loglog(model, 1.0) if xs[0] <= 1.0 <= xs[-1] else None
        if at_one is not None:
            ax.annotate(f"model at λT = 1: {hr.fmt_percent(at_one, 2)} empty",
                        (1.0, 100 * at_one), xytext=(10, 20), textcoords="offset points",
                        fontsize=10, arrowprops=dict(arrowstyle="->", color="0.3"))
            caption.append(f"Dashed: the model from model.csv; it puts "
                           f"{hr.fmt_percent(at_one, 2)} of polls empty at λT = 1{whose}.")
        if len(curves) > 1:
            caption.append("Model curves, dashed: " + ", ".join(c[0] for c in curves) + ".")
    else:
        caption.append(data.model_note())
    ax.axhline(100 * ZAPIER_EMPTY, color=SATURATED_COLOUR, linestyle=(0, (5, 3)), linewidth=1.2,
               label=f"{hr.fmt_percent(ZAPIER_EMPTY)} empty: {ZAPIER_SOURCE}",
               gid="zapier")
    zapier_lt = inverse_read(model, ZAPIER_EMPTY) if model else None
    if zapier_lt is not None:
        ax.plot([zapier_lt], [100 * ZAPIER_EMPTY], marker="*", markersize=18,
                color=SATURATED_COLOUR, markeredgecolor="black", linestyle="none", zorder=5)
        ax.annotate(f"the model reaches Zapier's {hr.fmt_percent(ZAPIER_EMPTY)}\n"
                    f"at λT ≈ {hr.fmt_number(zapier_lt, 2)}", (zapier_lt, 100 * ZAPIER_EMPTY),
                    xytext=(25, -55), textcoords="offset points", fontsize=10,
                    arrowprops=dict(arrowstyle="->", color="0.3"))
        caption.append(f"Zapier reported {hr.fmt_percent(ZAPIER_EMPTY)} of its polls empty "
                       f"({ZAPIER_SOURCE}); the model{whose} reaches that at λT ≈ "
                       f"{hr.fmt_number(zapier_lt, 2)}.")
    else:
        caption.append(f"Zapier reported {hr.fmt_percent(ZAPIER_EMPTY)} of its polls empty "
                       f"({ZAPIER_SOURCE}).")
    ax.axvline(1.0, color="0.25", linestyle=":", linewidth=1.2)
    plain_log(ax, "x")
    ax.set_xlim(lo_x, hi_x)
    ax.set_ylim(-3, 103)
    ax.set_xlabel("λT: expected events per poll interval (rate × interval)")
    ax.set_ylabel("polls that found no new event (%)")
    titled(fig, title, hr.repeats_phrase(pull))
    bottom_legend(leg, [ax], status_handles(drawn))
    caption.append(status_caption(drawn).replace("95% confidence interval",
                                                 "95% Wilson interval"))
    return finish(fig, caption)


def choose_cdf_rate(data, requested=None):
    """(rate, note): the requested rate or the nearest measured one; by default the rate that
    the most modes (then series) were measured at, the highest on a tie (most samples)."""
    coverage = {}
    for s in data.series:
        for rate in s.rates:
            modes, count = coverage.get(rate, (set(), 0))
            coverage[rate] = (modes | {s.mode}, count + 1)
    if not coverage:
        return None, "no measured rates"
    if requested is not None:
        rate = min(coverage, key=lambda r: (abs(math.log(r / requested)), -r))
        if math.isclose(rate, requested, rel_tol=1e-9):
            return rate, f"rate {hr.fmt_number(rate)}/s, as requested"
        return rate, (f"rate {hr.fmt_number(rate)}/s, the nearest measured to the requested "
                      f"{hr.fmt_number(requested)}/s")
    rate = max(coverage, key=lambda r: (len(coverage[r][0]), coverage[r][1], r))
    return rate, f"rate {hr.fmt_number(rate)}/s, measured for the most modes"


def chart_cdf(data, rate, note):
    """Latency CDF per mode (and interval) at one rate, every repeat drawn."""
    title = TITLES["latency_cdf"]
    if rate is None:
        return finish(no_data_figure(title, "no successful runs in runs.csv"),
                      "No successful runs.")
    fig, (ax,), leg = new_figure()
    approximate = False
    drawn = 0
    for s in data.series:
        runs = s.points.get(rate, [])
        for i, row in enumerate(runs):
            values, qs, exact = hr.latency_quantiles(data.folder, row)
            if len(values) < 2:
                continue
            approximate |= not exact
            label = s.label() + f" ({len(runs)} run{'s' if len(runs) > 1 else ''})"
            ax.plot(np.array(values) / 1000.0, qs, color=data.colour(s), linewidth=2,
                    alpha=0.9 if i == 0 else 0.6, linestyle="-" if exact else "-.",
                    marker=None if exact else data.marker(s), label=label if i == 0 else "_",
                    gid=f"cdf:{row['run_id']}")
            drawn += 1
    if not drawn:
        plt.close(fig)
        return finish(no_data_figure(title, f"no latency samples at {note}"),
                      f"No latency samples at {note}.")
    gap = annotate_median_gap(ax, data, rate)
    plain_log(ax, "x")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("latency (ms, log scale)")
    ax.set_ylabel("fraction of events delivered within x")
    sub = "every run drawn (not a median)"
    if "nearest" in note:
        sub += "; " + note.split(", ", 1)[1]
    if approximate:
        sub += "; dash-dot: approximate, from the percentiles only"
    titled(fig, f"{title}: {hr.fmt_number(rate)} events/s", sub)
    bottom_legend(leg, [ax])
    caption = [f"The whole latency distribution at {hr.fmt_number(rate)} events/s, each of the "
               f"{drawn} runs drawn separately."]
    if gap:
        caption.append(gap + ".")
    if approximate:
        caption.append("Dash-dot curves are approximate: those runs kept only their "
                       "percentiles.")
    return finish(fig, caption)


def annotate_median_gap(ax, data, rate):
    """An arrow at the median from push to the fastest poll: the gap the reader should see.
    Returns a sentence saying it, or None."""
    present = [s for s in data.series if rate in s.points and s.agg("latency_p50_us")]
    pull = sorted((s for s in present if s.pull), key=lambda s: s.interval_ms)
    if not pull:
        return
    push = hr.push_baseline(present, pull[0])
    if push is None:
        return
    fast = hr.medians(push, "latency_p50_us").get(rate)
    slow = hr.medians(pull[0], "latency_p50_us").get(rate)
    if not fast or not slow:
        return
    ax.annotate("", (slow / 1000, 0.5), xytext=(fast / 1000, 0.5),
                arrowprops=dict(arrowstyle="<->", color="0.2", linewidth=1.5))
    text = f"median: {pull[0].label()} is {hr.fmt_number(slow / fast, 2)}× {push.mode}"
    ax.text(math.sqrt(fast * slow) / 1000, 0.52, text, ha="center", va="bottom", fontsize=11,
            color="0.1", bbox=dict(facecolor="white", edgecolor="none", alpha=0.8))
    return (f"At the median, {pull[0].label()} took {hr.fmt_number(slow / fast, 2)}× as long "
            f"as {push.mode} ({medians_phrase([push, pull[0]])})")


def trace_window_ms(parts):
    """A few seconds: enough for several poll intervals, no more than was recorded."""
    longest_t = max((p.interval_ms or 0.0) for p in parts)
    recorded = max((float(p.header.get("duration_s") or 0) * 1000.0 for p in parts), default=0)
    last = max((r["t_ms"] for p in parts for r in p.records), default=0.0)
    span = recorded if recorded > 0 else last
    return max(1.0, min(span, max(3000.0, 8 * longest_t)))


def draw_lane(ax, part, window_ms, colour):
    """One mode: created (top), requests (middle), delivered (bottom), each event joined from its
    creation to the request that carried it and its delivery."""
    sub = 0
    inside = [r for r in part.records if 0 <= r["t_ms"] <= window_ms]
    created = {r["seq"]: r["t_ms"] for r in inside if r["kind"] == "created"}
    delivered = [r for r in inside if r["kind"] == "delivered" and r.get("sub", 0) == sub]
    # An event created before the window (or its record dropped) still has its latency.
    born = {r["seq"]: created.get(r["seq"], r["t_ms"] - r["latency_ms"]) for r in delivered}
    polls = [r for r in inside if r["kind"] == "poll" and r.get("sub", 0) == sub]
    posts = [r for r in inside if r["kind"] == "webhook_post" and r.get("sub", 0) == sub]
    y_created, y_req, y_del = 2.0, 1.0, 0.0
    for r in delivered:
        t0, t1 = born[r["seq"]], r["t_ms"]
        ax.plot(np.array([t0, t1, t1]) / 1000, [y_created, y_req, y_del], color=colour,
                alpha=0.45, linewidth=1.1, zorder=1)
    if created:
        ax.plot(np.array(list(created.values())) / 1000, [y_created] * len(created), "o",
                color=colour, markersize=6, markeredgecolor="black", markeredgewidth=0.5,
                zorder=3)
    if delivered:
        ax.plot(np.array([r["t_ms"] for r in delivered]) / 1000, [y_del] * len(delivered), "v",
                color=colour, markersize=7, markeredgecolor="black", markeredgewidth=0.5,
                zorder=3)
    empty = [p for p in polls if p["events"] == 0]
    full = [p for p in polls if p["events"] > 0]
    for group, face, size in ((empty, "white", 9), (full, colour, 11)):
        if not group:
            continue
        # A poll is drawn from when it was sent to when its answer arrived.
        ax.hlines([y_req] * len(group), [p["sent_ms"] / 1000 for p in group],
                  [p["t_ms"] / 1000 for p in group], color="black", linewidth=3, zorder=2)
        ax.plot([p["t_ms"] / 1000 for p in group], [y_req] * len(group), "s",
                markerfacecolor=face, markeredgecolor="black", markersize=size, zorder=4)
    if full and len(polls) <= 40:
        for p in full:
            ax.annotate(str(p["events"]), (p["t_ms"] / 1000, y_req), xytext=(0, 9),
                        textcoords="offset points", ha="center", fontsize=9)
    if posts:
        ax.plot([p["t_ms"] / 1000 for p in posts], [y_req] * len(posts), "^",
                color=colour, markeredgecolor="black", markersize=9, zorder=4)
    ax.set_yticks([y_del, y_req, y_created])
    request_name = ("webhook POSTs" if posts else "polls" if polls or part.interval_ms
                    else "requests")
    ax.set_yticklabels(["delivered", request_name, "events created"])
    ax.set_ylim(-0.6, 2.6)
    ax.grid(axis="y", alpha=0)
    latencies = [r["latency_ms"] for r in delivered]
    h = part.header
    rate = h.get("rate")
    desc = part.mode
    if part.interval_ms:
        desc += f", T = {hr.fmt_number(part.interval_ms)} ms"
    if isinstance(rate, (int, float)):
        desc += f", {hr.fmt_number(rate)} events/s"
        if part.interval_ms:
            desc += f" (λT = {hr.fmt_number(rate * part.interval_ms / 1000.0, 2)})"
    counts = []
    if polls:
        counts.append(f"{len(polls)} polls, {len(empty)} empty")
    if posts:
        counts.append(f"{len(posts)} POSTs")
    if latencies:
        counts.append(f"mean latency {hr.fmt_number(float(np.mean(latencies)))} ms")
    dropped = h.get("dropped")
    if isinstance(dropped, int) and dropped > 0:
        counts.append(f"{dropped} records dropped by the recorder")
    subs = h.get("subscribers")
    if isinstance(subs, int) and subs > 1:
        counts.append(f"subscriber 0 of {subs} shown")
    ax.set_title(desc + (": " + "; ".join(counts) if counts else ""), loc="left", fontsize=12)


def chart_timeline(data):
    """The flow diagram from trace.jsonl, one lane per traced mode."""
    title = TITLES["timeline"]
    parts = [p for p in (data.trace or []) if p.records]
    if not parts:
        reason = ("no trace.jsonl in the results folder (a sweep records one when its scenario "
                  "has a \"trace\" block)" if data.trace is None else "trace.jsonl has no records")
        return finish(no_data_figure(title, reason), "No timeline: " + reason + ".")
    window = trace_window_ms(parts)
    fig = plt.figure(figsize=(FIGSIZE[0], 2.0 + 2.4 * len(parts)), layout="constrained")
    grid = fig.add_gridspec(len(parts) + 1, 1, height_ratios=[2.4] * len(parts) + [0.7])
    axes = []
    for i in range(len(parts)):
        axes.append(fig.add_subplot(grid[i, 0], sharex=axes[0] if axes else None))
    legend_ax = fig.add_subplot(grid[-1, 0])
    legend_ax.axis("off")
    colours = {}
    for p in parts:
        cmap = plt.get_cmap(MODE_CMAPS.get(p.mode, "Greys"))
        colours[p.mode] = cmap(0.75)
    for ax, p in zip(axes, parts):
        draw_lane(ax, p, window, colours[p.mode])
    axes[-1].set_xlim(-0.02 * window / 1000, window / 1000 * 1.01)
    axes[-1].set_xlabel("time since the start of the measured window (s)")
    legend = [
        Line2D([], [], marker="o", color="0.6", markeredgecolor="black", linestyle="none",
               label="event created"),
        Line2D([], [], marker="s", markerfacecolor="white", markeredgecolor="black",
               linestyle="none", label="empty poll"),
        Line2D([], [], marker="s", color="0.6", markeredgecolor="black", linestyle="none",
               label="poll with events (count above)"),
        Line2D([], [], marker="^", color="0.6", markeredgecolor="black", linestyle="none",
               label="webhook POST"),
        Line2D([], [], marker="v", color="0.6", markeredgecolor="black", linestyle="none",
               label="delivered"),
        Line2D([], [], color="0.6", label="one event: created → carried → delivered"),
    ]
    legend_ax.legend(handles=legend, loc="center", ncol=3, frameon=False)
    fig.suptitle(f"{title}\nthe slant of each line is that event's latency "
                 f"(first {hr.fmt_number(window / 1000.0, 2)} s of the traced run)")
    caption = [f"The first {hr.fmt_number(window / 1000.0, 2)} s of one short traced run per "
               "mode. Each line joins an event's creation to the request that carried it and "
               "its delivery."]
    for p in parts:
        polls = [r for r in p.of_kind("poll") if 0 <= r["t_ms"] <= window and r.get("sub", 0) == 0]
        delivered = [r["latency_ms"] for r in p.of_kind("delivered")
                     if 0 <= r["t_ms"] <= window and r.get("sub", 0) == 0]
        desc = p.mode + (f" (T = {hr.fmt_number(p.interval_ms)} ms)" if p.interval_ms else "")
        facts = []
        if polls:
            empty = sum(1 for r in polls if r["events"] == 0)
            facts.append(f"{empty} of {len(polls)} polls came back empty")
        if delivered:
            facts.append(f"events waited {hr.fmt_number(float(np.median(delivered)))} ms "
                         "(median)")
        if facts:
            caption.append(f"{desc}: " + ", ".join(facts) + ".")
    return finish(fig, caption)


# --- driver -------------------------------------------------------------------------------------

def ratio_text(ratio):
    """'0.012×' below 1, '3.4×' above: the push/poll ratio as read off the chart."""
    return f"{hr.fmt_number(ratio, 2)}×"


def rtt_label(rtt_ms):
    return "loopback" if rtt_ms == 0 else f"{hr.fmt_number(rtt_ms)} ms"


def chart_rtt_ratio(data):
    """Mean push latency over mean poll latency against the link's round trip (the scenario's
    rtt block, through `hookbench link`'s emulator), one line per push mode and poll interval,
    with the model's ratio dashed."""
    title = TITLES["rtt_ratio"]
    found = hr.rtt_ratios(data.rows)
    if not found:
        return finish(no_data_figure(title, "runs.csv has no push and poll runs at two or more "
                                            "round trips (a scenario's rtt block, or run --rtt)"),
                      "No round trip other than the base one was measured.")
    fig, axes, leg = new_figure(1)
    ax = axes[0]
    caption = ["Mean delivery latency of each push mode divided by plain polling's, at the same "
               "rate and arrivals, against the round trip of the emulated link between the two "
               "sides (hookbench's own TCP proxy: half the round trip each way); loopback has "
               "no link. Below 1, push is faster. Dashed: the same ratio of the model's means "
               "(each at its run's measured round trip)."]
    series_by_push = {}
    for entry in found:
        series_by_push.setdefault(entry["push"], []).append(entry)
    for push, entries in series_by_push.items():
        cmap = plt.get_cmap(MODE_CMAPS.get(push, "Greys"))
        marker = MODE_MARKERS.get(push, "o")
        for i, e in enumerate(entries):
            colour = cmap(0.75 if len(entries) == 1 else 0.95 - 0.45 * i / (len(entries) - 1))
            xs = [p[0] for p in e["points"]]
            ys = [p[1] for p in e["points"]]
            label = (f"{push} / poll T = {hr.fmt_number(e['interval_ms'])} ms "
                     f"({hr.fmt_number(e['rate'])} events/s)")
            ax.plot(xs, ys, marker=marker, color=colour, label=label, gid=f"rtt-{push}")
            model = [(p[0], p[4]) for p in e["points"] if p[4]]
            if len(model) >= 2:
                ax.plot([m[0] for m in model], [m[1] for m in model], linestyle="--",
                        color=colour, gid=f"rtt-model-{push}")
            steps = ", ".join(f"{ratio_text(p[1])} at {rtt_label(p[0])}" for p in e["points"])
            trend = ""
            if ys[-1] > ys[0] * 1.05:
                trend = (f": the gap narrows as the round trip grows (push was "
                         f"{hr.fmt_number(1 / ys[0], 2)}× faster at {rtt_label(xs[0])}, "
                         f"{hr.fmt_number(1 / ys[-1], 2)}× at {rtt_label(xs[-1])})"
                         if ys[-1] < 1 else ": polling overtakes push as the round trip grows")
            elif ys[-1] < ys[0] / 1.05:
                trend = ": the gap widens as the round trip grows"
            caption.append(f"{push} against poll at T = {hr.fmt_number(e['interval_ms'])} ms, "
                           f"{hr.fmt_number(e['rate'])} events/s: {steps}{trend}.")
    ax.axhline(1.0, color="0.5", linewidth=0.8, linestyle=":")
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlim(left=0)  # no negative round trips: the symlog axis would offer -1
    ax.set_yscale("log")
    ax.set_xlabel("round trip of the link (ms; 0 = loopback, no link)")
    ax.set_ylabel("push mean latency / poll mean latency")
    ax.grid(True, which="both", alpha=0.3)
    titled(fig, title, data.subtitle() + "; dotted: equal latency")
    handles, labels = ax.get_legend_handles_labels()
    leg.legend(handles + [model_handle("model's ratio (dashed)")],
               labels + ["model's ratio (dashed)"], loc="center", ncol=2, frameon=False)
    return finish(fig, caption)


def save(fig, output, name):
    os.makedirs(output, exist_ok=True)
    png = os.path.join(output, name + ".png")
    fig.savefig(png, dpi=DPI)
    fig.savefig(os.path.join(output, name + ".svg"))
    plt.close(fig)
    return png


def make_charts(folder, output=None, cdf_rate=None, log=None):
    """Writes every chart and OUTPUT/captions.json; returns {name: png path}. Raises
    hr.ResultsError on bad input."""
    data = Data(folder)
    output = output or os.path.join(folder, "charts")
    _, note = choose_cdf_rate(data, cdf_rate)
    written, captions = {}, {}
    for name, _ in CHARTS:
        fig = build_chart(data, name, cdf_rate)
        captions[name] = caption_of(fig)
        written[name] = save(fig, output, name)
        if log:
            detail = f": {note}" if name == "latency_cdf" else ""
            log(f"plot.py: wrote {written[name]}{detail}")
    with open(os.path.join(output, "captions.json"), "w", encoding="utf-8") as f:
        json.dump(captions, f, indent=1, ensure_ascii=False)
    return written


def build_chart(data, name, cdf_rate=None):
    """One chart by name, as a figure with its caption (caption_of); figures are drawn and saved
    one at a time to bound memory."""
    if name == "latency_cdf":
        return chart_cdf(data, *choose_cdf_rate(data, cdf_rate))
    return {
        "latency_vs_rate": chart_latency, "requests_per_s": chart_requests_per_s,
        "requests_per_event": chart_requests, "latency_budget": chart_latency_budget,
        "cpu_cores": chart_cpu_cores, "cpu_per_event": chart_cpu, "bytes_per_event": chart_bytes,
        "empty_poll_fraction": chart_empty, "timeline": chart_timeline,
        "rtt_ratio": chart_rtt_ratio,
    }[name](data)


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Draw the charts of a hookbench sweep results folder (PNG and SVG).")
    p.add_argument("results", metavar="DIR", help="results folder with runs.csv (and model.csv, "
                   "runs/, trace.jsonl)")
    p.add_argument("--output", metavar="DIR", help="where the charts go (default: DIR/charts)")
    p.add_argument("--cdf-rate", type=float, metavar="R",
                   help="event rate (events/s) of the latency CDF chart; the nearest measured "
                   "rate is used (default: the rate measured for the most modes)")
    args = p.parse_args(argv)
    if args.cdf_rate is not None and not args.cdf_rate > 0:
        p.error("--cdf-rate must be > 0")
    return args


def main(argv=None):
    args = parse_args(argv)
    try:
        make_charts(args.results, args.output, args.cdf_rate, log=print)
    except hr.ResultsError as e:
        print(f"plot.py: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"plot.py: error: {e.filename or ''}: {e.strerror}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
