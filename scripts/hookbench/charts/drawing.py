"""How the sweep charts draw a series: the medians over repeats with their spread, saturated and
thin points apart, the model's curve from model.csv, the λT = 1 marks, the legend entries and the
caption sentences that say what was drawn.
"""

import math

import numpy as np
from matplotlib.lines import Line2D

from ..fmt import counted, fmt_number
from ..runs_csv import is_finite
from ..series import THIN_LATENCY_COUNT, THIN_POLLS, aggregate
from ..figures import plain_log
from ..style import SATURATED_COLOUR, THIN_ALPHA


# What a column is called in a caption that says which panels lack an interval.
COLUMN_NAMES = {"latency_mean_us": "mean latency", "latency_p50_us": "median latency",
                "latency_p99_us": "p99 latency", "requests_per_s": "requests per second",
                "cpu_cores_producer": "producer's CPU", "cpu_cores_consumer": "consumer's CPU",
                "cpu_us_per_event_net_producer": "producer's net CPU per event",
                "cpu_us_per_event_net_consumer": "consumer's net CPU per event"}


class Drawn:
    """What plot_measured put on the axes, for captions and tests."""

    def __init__(self, column=None):
        self.column = column
        self.x, self.y, self.lo, self.hi = [], [], [], []
        # (series label, rate) of the points in each state; dropped counts non-positive medians
        self.saturated, self.thin, self.no_spread, self.dropped = [], [], [], 0
        self.err_kinds = set()
        # (series label, rate) of the bars whose interval reached below a tenth of the point on a
        # log axis: cut there, a ▾ at the cut; cut_to_zero those of them reaching zero or below
        self.cut, self.cut_to_zero = [], []
        # (series label, rate, run_id) of the repeats left out because they delivered nothing
        self.no_events = []
        self.gid = self.label = None  # the line's gid and legend label, once drawn


def delivered_something(row):
    """Whether a run is a sample: a repeat that delivered no event measured nothing, and its
    zeros must not pull a median or a bar down (a run without the column keeps its place)."""
    delivered = row.get("delivered")
    return not is_finite(delivered) or delivered > 0


def lambda_t(s, rate):
    """x_of for a chart against λT: the realised rate times the series' poll interval."""
    return rate * s.interval_ms / 1000.0


def plot_measured(ax, data, s, column, scale=1.0, label=None, positive=True, x_of=None,
                  gid=None):
    """The point's estimate over its repeats per rate, a bar per point (its interval over the
    repeats, series.Agg; none for a point of one repeat), saturated points hollow and red-edged, thin points faded. A repeat
    that delivered no event is left out: it is not a sample. Points sit at their median realised
    rate; x_of(series, rate) maps that rate to the x value (default: the rate).
    Returns a Drawn (empty when nothing was drawn).
    Artists carry gids "<gid>" (the line), "err:<gid>", "saturated:<gid>", "thin:<gid>", where
    gid defaults to "<series label>|<column>"."""
    out = Drawn(column)
    gid = gid or f"{s.label()}|{column}"
    pts = []
    for rate in s.rates:
        runs = s.points[rate]
        kept = [r for r in runs if delivered_something(r)]
        out.no_events += [(s.label(), rate, r.get("run_id")) for r in runs
                          if not delivered_something(r)]
        a = aggregate(kept, column, scale)
        if a is None:
            continue
        if positive and not a.median > 0:
            out.dropped += 1
            continue
        pts.append((rate, a))
    if not pts:
        return out
    # Each point where its runs were: at the realised rate (the asked one is the point's name).
    x = np.array([x_of(s, s.realised(rate)) if x_of else s.realised(rate) for rate, _ in pts],
                 dtype=float)
    y = np.array([a.median for _, a in pts])
    lo = np.array([a.lo for _, a in pts])
    hi = np.array([a.hi for _, a in pts])
    # A log axis cannot show a bar reaching zero, and one reaching far below its point squeezes
    # every other: such a bar stops a decade below its point, marked.
    cut = [i for i, (_, a) in enumerate(pts) if positive and a.err and not a.lo > y[i] / 10]
    if positive:
        lo = np.maximum(lo, y / 10)
    sat = [i for i, (_, a) in enumerate(pts) if a.saturated]
    thin = [i for i, (_, a) in enumerate(pts) if a.thin and not a.saturated]
    normal = [i for i in range(len(pts)) if i not in sat and i not in thin]
    colour, marker = data.colour(s), data.marker(s)
    fill = data.marker_kw(s)
    ax.plot(x, y, linestyle=data.linestyle(s), marker=marker, markevery=normal or None,
            color=colour, markersize=7, linewidth=2, label=label or s.label(), gid=gid, zorder=3,
            **fill)
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
    if cut:
        ax.plot(x[cut], lo[cut], linestyle="none", marker="v", color=colour, markersize=5,
                gid="cut:" + gid, zorder=2)
    if thin:
        ax.plot(x[thin], y[thin], linestyle="none", marker=marker, color=colour, markersize=7,
                alpha=THIN_ALPHA, gid="thin:" + gid, zorder=3, **fill)
    if sat:
        ax.plot(x[sat], y[sat], linestyle="none", marker=marker, markersize=9,
                markerfacecolor="none", markeredgecolor=SATURATED_COLOUR, markeredgewidth=2,
                gid="saturated:" + gid, zorder=4)
    out.x, out.y, out.lo, out.hi = list(x), list(y), list(lo), list(hi)
    out.gid, out.label = gid, label or s.label()
    out.saturated = [(s.label(), pts[i][0]) for i in sat]
    out.thin = [(s.label(), pts[i][0]) for i in thin]
    out.no_spread = [(s.label(), rate) for rate, a in pts if not a.err]
    out.err_kinds = {a.err for _, a in pts if a.err}
    out.cut = [(s.label(), pts[i][0]) for i in cut]
    out.cut_to_zero = [(s.label(), pts[i][0]) for i in cut if not pts[i][1].lo > 0]
    return out


def saturated_handle():
    return Line2D([], [], linestyle="none", marker="o", markersize=9, markerfacecolor="none",
                  markeredgecolor=SATURATED_COLOUR, markeredgewidth=2,
                  label="saturated (a repeat did not keep up)")


def thin_handle():
    return Line2D([], [], linestyle="none", marker="o", color="0.3", alpha=THIN_ALPHA,
                  label=f"thin: < {THIN_LATENCY_COUNT} samples or < {THIN_POLLS} polls")


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
    """'estimates over 3 repeats' with the real count, or 'one run per point'."""
    counts = [c for s in series for c in s.repeats()]
    if not counts or max(counts) == 1:
        return "one run per point"
    lo, hi = min(counts), max(counts)
    return f"estimates over {lo}–{hi} repeats" if lo != hi else f"estimates over {hi} repeats"


def column_name(column):
    return COLUMN_NAMES.get(column, column.replace("_", " "))


def status_caption(drawn):
    """'2 saturated points (hollow, red edge): ...; 3 thin points faded.' from what was drawn."""
    # A point drawn in several panels is one point.
    sat = len({p for d in drawn for p in d.saturated})
    thin = len({p for d in drawn for p in d.thin})
    kinds = set().union(*(d.err_kinds for d in drawn)) if drawn else set()
    parts = []
    # The point's interval over its repeats (series.Agg): a mean's t-interval, a percentile's
    # min–max.
    words = {"t95": "the 95% t-interval over the repeats' means",
             "min-max": "min–max over the repeats (a percentile's median)"}
    if kinds:
        parts.append("Bars: " + "; ".join(words.get(k, k) for k in sorted(kinds, reverse=True))
                     + ".")
    cut = len({p for d in drawn for p in d.cut})
    if cut:
        zero = len({p for d in drawn for p in d.cut_to_zero})
        parts.append(f"{counted(cut, 'bar reaches', 'bars reach')} below a tenth of "
                     f"{'its point' if cut == 1 else 'their points'} ({zero} to zero or below, "
                     "which a log axis cannot show): cut a decade below the point, ▾ at the "
                     "cut.")
    bare = len({p for d in drawn for p in d.no_spread})
    if bare:
        parts.append(f"{counted(bare, 'point rests', 'points rest')} on one run with no interval, "
                     "so no bar.")
    no_events = {p for d in drawn for p in d.no_events}
    if no_events:
        points = len({p[:2] for p in no_events})
        parts.append(f"{counted(len(no_events), 'repeat', 'repeats')} delivered no event and "
                     f"{'is' if len(no_events) == 1 else 'are'} left out, not drawn as a "
                     f"sample ({counted(points, 'point', 'points')}).")
    if sat:
        parts.append(f"{counted(sat, 'point is', 'points are')} saturated (hollow, red edge): at "
                     "least one repeat did not keep up.")
    if thin:
        parts.append(f"{counted(thin, 'point is', 'points are')} thin (faded): fewer than "
                     f"{THIN_LATENCY_COUNT} latency samples or {THIN_POLLS} polls in a "
                     "repeat.")
    return " ".join(p for p in parts if p)


def model_line(ax, x, y, colour, gid, label=None):
    ax.plot(x, y, "--", color=colour, linewidth=1.6, alpha=0.9, label=label, gid=gid, zorder=1)


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
                   alpha=0.9 if strong else 0.5, gid=f"lambda_t_one:{fmt_number(T)}")
        if strong:
            ax.annotate(f"λT = 1\nT = {fmt_number(T)} ms", (rate, 1.0),
                        xycoords=("data", "axes fraction"), xytext=(4, -4),
                        textcoords="offset points", va="top", ha="left", fontsize=10,
                        color="0.25")


def lambda_t_handle():
    return Line2D([], [], color="0.25", linestyle=":", label="λT = 1")


def measured_span(s):
    """(lowest, highest) realised rate the series was measured at: where its model is drawn."""
    xs = [s.realised(rate) for rate in s.rates]
    return (min(xs), max(xs)) if xs else None


def model_points(data, s, column, scale=1.0):
    """[(rate, value)] of the series' model curve from model.csv over the rates the series was
    measured at, read at both ends of that range (log-log between the model's rows), zero
    values included; [] when the series draws no model curve. No model line runs past the
    measurements it is compared with."""
    if not data.draws_model(s):
        return []
    span = measured_span(s)
    curve = data.curve(s)
    rows = [(r["rate"], r[column] * scale) for r in curve.rows
            if is_finite(r.get(column)) and is_finite(r.get("rate")) and r["rate"] > 0]
    if span is None or not rows:
        return []
    lo, hi = span
    pts = [p for p in rows if lo <= p[0] <= hi]
    for end in (lo, hi):
        if any(math.isclose(p[0], end, rel_tol=1e-9) for p in pts) or \
                not rows[0][0] <= end <= rows[-1][0]:
            continue
        value = curve.at(column, end) if all(p[1] > 0 for p in rows) else None
        if value is None:  # a curve through 0 cannot be read log-log: the nearest row
            value = min(rows, key=lambda p: abs(math.log(p[0] / end)))[1] / scale
        pts.append((end, value * scale))
    return sorted(pts)


def draw_model_curve(ax, data, s, column, scale=1.0):
    """The series' model curve from model.csv over its measured rates; returns (x, y) or None
    (also for a series whose curve another series, on another consumer stack, already draws)."""
    pts = [p for p in model_points(data, s, column, scale) if p[1] > 0]
    if not pts:
        return None
    x = [p[0] for p in pts]
    y = [p[1] for p in pts]
    model_line(ax, x, y, data.colour(s), gid=f"model:{s.label()}|{column}")
    return x, y


def model_end(data, s, column, scale=1.0):
    """(rate, value) where the series' model curve ends (the highest rate measured), zero
    values included; None when the series draws no model curve."""
    pts = model_points(data, s, column, scale)
    return pts[-1] if pts else None


def short_label(data, s):
    """The series' label without its knobs (backoff=...;max_interval_ms=...) when that still
    tells it from every other series: what a model label, short of room, says."""
    def short(t):
        parts = [q for q in t.qualifiers() if not t.tuning or q != t.tuning]
        text = " ".join([t.mode] + parts)
        return text if t.default_stack else f"{text} ({t.stack})"

    name = short(s)
    clash = any(short(t) == name for t in data.series if t is not s)
    return s.label() if clash else name


def model_label(data, s, column, value_text, scale=1.0):
    """A place_model_labels entry for the end of the series' model line, or None."""
    end = model_end(data, s, column, scale)
    if end is None:
        return None
    return (end[0], end[1], short_label(data, s), value_text(end[1]), data.colour(s))


def zero_model_sentence(labels, what):
    """The caption's word on the model lines that end at 0 (no request per event), which a log
    axis cannot draw; labels as model_label made them."""
    names = [e[2] for e in labels if e is not None and e[1] == 0]
    if not names:
        return ""
    return (f"The model's claim for {', '.join(names)} is 0 {what}: a log axis cannot draw that "
            "line, so only its label, at the bottom, shows it.")
