"""How the sweep charts draw a series: the medians over repeats with their spread, saturated and
thin points apart, the model's curve from model.csv, the λT = 1 marks, the legend entries and the
caption sentences that say what was drawn.
"""

import numpy as np
from matplotlib.lines import Line2D

from ..fmt import counted, fmt_number
from ..runs_csv import is_finite
from ..series import THIN_LATENCY_COUNT, THIN_POLLS
from ..figures import plain_log
from ..style import SATURATED_COLOUR, THIN_ALPHA


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
    at their median realised rate; x_of maps that rate to the x value (default: the rate).
    Returns a Drawn (empty when nothing was drawn).
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


def status_caption(drawn):
    """'2 saturated points (hollow, red edge): ...; 3 thin points faded.' from what was drawn."""
    # A point drawn in several panels is one point.
    sat = len({p for d in drawn for p in d.saturated})
    thin = len({p for d in drawn for p in d.thin})
    bare = len({p for d in drawn for p in d.no_spread})
    kinds = set().union(*(d.err_kinds for d in drawn)) if drawn else set()
    parts = []
    # The point's interval over its repeats (series.Agg): a mean's t-interval, a percentile's
    # min–max.
    words = {"t95": "the 95% t-interval over the repeats' means",
             "min-max": "min–max over the repeats (a percentile's median)"}
    if kinds:
        parts.append("Bars: " + "; ".join(words.get(k, k) for k in sorted(kinds, reverse=True))
                     + ".")
    if bare:
        parts.append(f"{counted(bare, 'point rests', 'points rest')} on one run with no interval, "
                     "so no bar.")
    if sat:
        parts.append(f"{counted(sat, 'point is', 'points are')} saturated (hollow, red edge): at "
                     "least one repeat did not keep up.")
    if thin:
        parts.append(f"{counted(thin, 'point is', 'points are')} thin (faded): fewer than "
                     f"{THIN_LATENCY_COUNT} latency samples or {THIN_POLLS} polls in a "
                     "repeat.")
    return " ".join(parts)


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


def draw_model_curve(ax, data, s, column, scale=1.0, x_column="rate"):
    """The series' model curve from model.csv; returns (x, y) or None (also for a series whose
    curve another series, on another consumer stack, already draws)."""
    if not data.draws_model(s):
        return None
    curve = data.curve(s)
    pts = [(r[x_column], r[column] * scale) for r in curve.rows
           if is_finite(r.get(column)) and is_finite(r.get(x_column))]
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
           if is_finite(r.get(column)) and r["rate"] > 0]
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
