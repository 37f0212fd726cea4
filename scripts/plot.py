#!/usr/bin/python3
"""Charts of a `hookbench sweep` results folder, with the analytical model drawn over the
measurements (DESIGN.md): latency, requests, CPU and bytes per event vs event rate, the empty-poll
fraction vs lambda*T, a latency CDF at one rate and the polling-vs-webhook timeline of the trace.

    scripts/plot.py results/NAME [--output results/NAME/charts] [--cdf-rate 10]

Writes NAME.png and NAME.svg per chart; prints one line per chart saying what it shows.
"""

import argparse
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hookbench_results as hr  # noqa: E402

# File name (without extension) and title of each chart, in the order the report shows them.
CHARTS = (
    ("latency_vs_rate", "Delivery latency vs event rate"),
    ("requests_per_event", "Requests per delivered event vs event rate"),
    ("cpu_per_event", "CPU time per delivered event vs event rate"),
    ("bytes_per_event", "Bytes on the wire per delivered event vs event rate"),
    ("empty_poll_fraction", "Empty polls vs events per poll interval (λT)"),
    ("latency_cdf", "Latency distribution at one event rate"),
    ("timeline", "Where the latency comes from: a recorded timeline"),
)

# One colour family per mode; several poll intervals of a mode are shades of it.
MODE_CMAPS = {"poll": "Blues", "poll-conditional": "Greens", "long-poll": "Purples",
              "sse": "RdPu", "webhook": "Oranges", "webhook-batch": "Reds"}
SPARE_CMAPS = ("Greys", "YlGn", "BuPu", "YlOrBr", "PuBuGn")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
ZAPIER = (0.015, 0.985)  # DESIGN.md: 98.5% of 30 M polls empty <=> lambda*T ~ 0.015
MODELLED_PULL = ("poll", "poll-conditional")  # fixed-schedule polling: the uniform-wait model

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
    """The folder's runs grouped into series, with one colour and marker per series."""

    def __init__(self, folder):
        self.folder = folder
        self.rows = hr.load_runs(folder)
        self.series = hr.group_series(self.rows)
        self.trace = hr.load_trace(folder)
        self.style = {}
        by_mode = {}
        for s in self.series:
            by_mode.setdefault(s.mode, []).append(s)
        spare = iter(SPARE_CMAPS * 4)
        for mode, group in by_mode.items():
            cmap = plt.get_cmap(MODE_CMAPS.get(mode) or next(spare))
            for i, s in enumerate(group):
                shade = 0.75 if len(group) == 1 else 0.95 - 0.45 * i / (len(group) - 1)
                self.style[id(s)] = (cmap(shade), MARKERS[i % len(MARKERS)])
        rates = [r for s in self.series for r in s.rates if r > 0]
        self.rate_range = (min(rates), max(rates)) if rates else None

    def colour(self, s):
        return self.style[id(s)][0]

    def marker(self, s):
        return self.style[id(s)][1]

    def model_rates(self):
        lo, hi = self.rate_range
        return np.geomspace(lo / 1.6, hi * 1.6, 200)

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


def titled(fig, title, subtitle):
    fig.suptitle(title + ("\n" + subtitle if subtitle else ""))


def plot_measured(ax, data, s, column, scale=1.0, label=None, positive=True, low_sample=None):
    """Median over repeats per rate, min-max error bars; returns True if anything was drawn.
    low_sample names a percentile (p50, p99): points where a run flagged it are drawn hollow."""
    pts = [(rate, a) for rate, a in s.agg(column, scale) if not positive or a.median > 0]
    if not pts:
        return False
    x = np.array([p[0] for p in pts])
    y = np.array([p[1].median for p in pts])
    lo = np.array([p[1].median - p[1].lo for p in pts])
    hi = np.array([p[1].hi - p[1].median for p in pts])
    if positive:  # a log axis cannot show a bar reaching zero
        lo = np.minimum(lo, y * 0.999)
    yerr = np.vstack([lo, hi]) if any(p[1].k > 1 for p in pts) else None
    ax.errorbar(x, y, yerr=yerr, fmt="-", marker=data.marker(s), color=data.colour(s),
                markersize=7, capsize=3, linewidth=2, label=label or s.label())
    if low_sample:
        flagged = [i for i, (rate, _) in enumerate(pts)
                   if any(low_sample in r["latency_low_sample"].split(";")
                          for r in s.points[rate])]
        if flagged:
            ax.plot(x[flagged], y[flagged], linestyle="none", marker=data.marker(s),
                    markersize=7, markerfacecolor="white", markeredgecolor=data.colour(s),
                    markeredgewidth=1.8, zorder=4)
    return True


def low_sample_handle():
    return Line2D([], [], linestyle="none", marker="o", markerfacecolor="white",
                  markeredgecolor="0.3", markeredgewidth=1.8,
                  label="hollow: < 10 samples at or beyond the percentile")


def model_line(ax, x, y, colour, label=None, text=None):
    ax.plot(x, y, "--", color=colour, linewidth=1.6, alpha=0.9, label=label)
    if text:  # inside the axes, just above the line's right end
        ax.annotate(text, (x[-1], y[-1]), xytext=(-2, 4), textcoords="offset points",
                    va="bottom", ha="right", fontsize=10, color=colour)


def model_handle():
    return Line2D([], [], color="0.3", linestyle="--", linewidth=1.6, label="model (dashed)")


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
    while ncol > 1 and ncol * (max(len(lab) for lab in labels) + 6) > LEGEND_CHARS:
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
    """A vertical line at λ = 1/T for each poll interval: where λT = 1."""
    lo, hi = data.rate_range
    for T in pull_intervals(data):
        rate = 1000.0 / T
        if not lo / 1.6 <= rate <= hi * 1.6:
            continue
        ax.axvline(rate, color="0.25", linestyle=":", linewidth=1.4 if strong else 1.0,
                   alpha=0.9 if strong else 0.5)
        if strong:
            ax.annotate(f"λT = 1\nT = {hr.fmt_number(T)} ms", (rate, 1.0),
                        xycoords=("data", "axes fraction"), xytext=(4, -4),
                        textcoords="offset points", va="top", ha="left", fontsize=10,
                        color="0.25")


# --- the charts ---------------------------------------------------------------------------------

def chart_latency(data):
    """1: p50 and p99 latency vs rate, log-log; model T/2 + R/2 (poll), R/2 (webhook)."""
    title = CHARTS[0][1]
    if not any(s.agg("latency_p50_us") for s in data.series):
        return no_data_figure(title, "no run in runs.csv has latency percentiles")
    fig, (ax50, ax99), leg = new_figure(2, sharey=True)
    x = data.model_rates()
    flagged = False
    for ax, column, q in ((ax50, "latency_p50_us", 0.5), (ax99, "latency_p99_us", 0.99)):
        pct = "p50" if q == 0.5 else "p99"
        for s in data.series:
            plot_measured(ax, data, s, column, scale=1e-3, low_sample=pct)
            flagged |= any(pct in r["latency_low_sample"].split(";") for r in s.runs())
            rtt_ms = (s.median_of("rtt_us") or 0.0) / 1000.0
            colour = data.colour(s)
            if s.mode in MODELLED_PULL and s.pull:
                # The wait for the next poll is uniform on (0, T): its q-quantile is qT.
                y = q * s.interval_ms + rtt_ms / 2
                name = "T/2 + R/2" if q == 0.5 else "0.99T + R/2"
                model_line(ax, x, np.full_like(x, y), colour,
                           text=f"model {name} = {hr.fmt_number(y)} ms")
            elif s.mode == "webhook":
                y = max(rtt_ms / 2, 1e-4)
                model_line(ax, x, np.full_like(x, y), colour,
                           text=f"model R/2 = {hr.fmt_number(y)} ms (no service time)")
            elif q == 0.5:
                pts = s.agg("model_latency_mean_us", 1e-3)
                if pts:
                    model_line(ax, [p[0] for p in pts], [p[1].median for p in pts], colour)
        rate_axis(ax)
        ax.set_title("median (p50)" if q == 0.5 else "p99")
    ax50.set_ylabel("delivery latency (ms)")
    titled(fig, title, data.subtitle() + "; dashed: model (R = measured round trip)")
    bottom_legend(leg, [ax50], [model_handle()] + ([low_sample_handle()] if flagged else []))
    return fig


def request_crossings(data):
    """[(pull series, push series, measured crossing rate)] for the requests chart and report."""
    out = []
    for s in data.series:
        if not s.pull:
            continue
        base = data.push_baseline(s)
        if base is None:
            continue
        a = hr.medians(s, "requests_per_event")
        b = hr.medians(base, "requests_per_event")
        for rate, pull_cheaper_above in hr.crossings(a, b):
            if pull_cheaper_above:
                out.append((s, base, rate))
    return out


def chart_requests(data):
    """2: requests per delivered event vs rate; model 1/(λT) for polls, 1 for webhooks."""
    title = CHARTS[1][1]
    if not any(s.agg("requests_per_event") for s in data.series):
        return no_data_figure(title, "no run in runs.csv has requests_per_event")
    fig, (ax,), leg = new_figure()
    x = data.model_rates()
    for s in data.series:
        plot_measured(ax, data, s, "requests_per_event")
        colour = data.colour(s)
        if s.mode in MODELLED_PULL and s.pull:
            model_line(ax, x, 1000.0 / (x * s.interval_ms), colour)
        elif s.mode == "webhook":
            model_line(ax, x, np.ones_like(x), colour, text="model: 1 POST per event")
        else:
            pts = s.agg("model_requests_per_event")
            if pts:
                model_line(ax, [p[0] for p in pts], [p[1].median for p in pts], colour)
    mark_lambda_t_one(ax, data)
    for s, base, rate in request_crossings(data):
        lt = rate * s.interval_ms / 1000.0
        y = hr.interp_loglog(hr.medians(base, "requests_per_event"), rate)
        ax.plot([rate], [y], marker="*", markersize=18, color=data.colour(s),
                markeredgecolor="black", zorder=5, linestyle="none")
        ax.annotate(f"measured crossover\nλT ≈ {hr.fmt_number(lt, 2)} ({hr.fmt_number(rate, 2)}/s)",
                    (rate, y), xytext=(10, -28), textcoords="offset points", fontsize=10,
                    ha="left", va="top", color="black",
                    arrowprops=dict(arrowstyle="-", color="0.4"))
    rate_axis(ax)
    if any(s.mode == "webhook" for s in data.series):
        # Below one request per event, a poll mode beats one POST per event.
        ylim = ax.get_ylim()
        ax.axhspan(ylim[0], 1.0, color="#2ca02c", alpha=0.07, zorder=0)
        ax.set_ylim(ylim)
        ax.text(0.99, 0.03, "shaded: fewer requests per event than webhooks",
                transform=ax.transAxes, ha="right", va="bottom", fontsize=10, color="#1b6e1b")
    ax.set_ylabel("requests per delivered event")
    titled(fig, title, data.subtitle() + "; dashed: model 1/(λT) per poll, 1 per webhook")
    bottom_legend(leg, [ax], [model_handle(),
                              Line2D([], [], color="0.25", linestyle=":", label="λT = 1")])
    return fig


def chart_cpu(data):
    """3: CPU µs per delivered event, producer and consumer, vs rate."""
    title = CHARTS[2][1]
    columns = ("cpu_us_per_event_producer", "cpu_us_per_event_consumer")
    if not any(s.agg(c) for s in data.series for c in columns):
        return no_data_figure(title, "no run in runs.csv has CPU per event")
    fig, axes, leg = new_figure(2, sharey=True)
    for ax, column, side in zip(axes, columns, ("producer (the API server)",
                                                "consumer (the client app)")):
        for s in data.series:
            plot_measured(ax, data, s, column)
        mark_lambda_t_one(ax, data, strong=False)
        rate_axis(ax)
        ax.set_title(side)
    axes[0].set_ylabel("CPU user+sys per delivered event (µs)")
    titled(fig, title, data.subtitle() + "; dotted: λT = 1 per poll interval")
    bottom_legend(leg, axes)
    return fig


def chart_bytes(data):
    """4: bytes (sent + received, headers included) per delivered event vs rate."""
    title = CHARTS[3][1]
    if not any(s.agg("bytes_per_event") for s in data.series):
        return no_data_figure(title, "no run in runs.csv has bytes_per_event")
    fig, (ax,), leg = new_figure()
    for s in data.series:
        plot_measured(ax, data, s, "bytes_per_event")
    mark_lambda_t_one(ax, data)
    rate_axis(ax)
    ax.set_ylabel("bytes per delivered event (requests + responses)")
    titled(fig, title, data.subtitle())
    bottom_legend(leg, [ax], [Line2D([], [], color="0.25", linestyle=":", label="λT = 1")])
    return fig


def chart_empty(data):
    """5: empty-poll fraction vs λT, the e^(-λT) curve and Zapier's 98.5%."""
    title = CHARTS[4][1]
    pull = [s for s in data.series if s.pull and s.agg("empty_poll_fraction")]
    if not pull:
        return no_data_figure(title, "no poll runs with an empty-poll fraction in runs.csv")
    fig, (ax,), leg = new_figure()
    lts = []
    for s in pull:
        pts = s.agg("empty_poll_fraction", 100.0)
        x = np.array([rate * s.interval_ms / 1000.0 for rate, _ in pts])
        y = np.array([a.median for _, a in pts])
        lo = np.array([a.median - a.lo for _, a in pts])
        hi = np.array([a.hi - a.median for _, a in pts])
        yerr = np.vstack([lo, hi]) if any(a.k > 1 for _, a in pts) else None
        ax.errorbar(x, y, yerr=yerr, fmt="none" if len(x) == 1 else "-", marker=data.marker(s),
                    color=data.colour(s), markersize=8, capsize=3, linewidth=1.2,
                    label=f"measured, {s.label()}")
        lts.extend(x)
    lo_x = min(min(lts), ZAPIER[0]) / 2.5
    hi_x = max(max(lts), 3.0) * 2.5
    xs = np.geomspace(lo_x, hi_x, 300)
    ax.plot(xs, 100 * np.exp(-xs), "--", color="0.15", linewidth=2,
            label="model: P(empty) = e^(−λT) (Poisson events)")
    ax.plot([ZAPIER[0]], [100 * ZAPIER[1]], marker="*", markersize=20, color="#d62728",
            markeredgecolor="black", linestyle="none", zorder=5,
            label="Zapier: 98.5% of 30 M polls empty (λT ≈ 0.015)")
    ax.annotate("Zapier's published figure:\n98.5% of polls found nothing",
                (ZAPIER[0], 100 * ZAPIER[1]), xytext=(25, -55), textcoords="offset points",
                fontsize=10, arrowprops=dict(arrowstyle="->", color="0.3"))
    ax.axvline(1.0, color="0.25", linestyle=":", linewidth=1.2)
    ax.annotate("λT = 1: e^(−1) = 37% empty", (1.0, 100 * math.exp(-1)), xytext=(10, 20),
                textcoords="offset points", fontsize=10,
                arrowprops=dict(arrowstyle="->", color="0.3"))
    plain_log(ax, "x")
    ax.set_xlim(lo_x, hi_x)
    ax.set_ylim(-3, 103)
    ax.set_xlabel("λT: expected events per poll interval (rate × interval)")
    ax.set_ylabel("polls that found no new event (%)")
    titled(fig, title, hr.repeats_phrase(pull))
    bottom_legend(leg, [ax])
    return fig


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
    """6: latency CDF per mode (and interval) at one rate, every repeat drawn."""
    title = CHARTS[5][1]
    if rate is None:
        return no_data_figure(title, "no successful runs in runs.csv")
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
                    marker=None if exact else data.marker(s), label=label if i == 0 else "_")
            drawn += 1
        if runs and s.pull and s.mode in MODELLED_PULL:
            half_rtt = (s.median_of("rtt_us") or 0.0) / 2000.0
            xs = np.linspace(half_rtt, s.interval_ms + half_rtt, 100)
            model_line(ax, np.maximum(xs, 1e-3), (xs - half_rtt) / s.interval_ms, data.colour(s))
    if not drawn:
        plt.close(fig)
        return no_data_figure(title, f"no latency samples at {note}")
    annotate_median_gap(ax, data, rate)
    plain_log(ax, "x")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("latency (ms, log scale)")
    ax.set_ylabel("fraction of events delivered within x")
    sub = "every run drawn (not a median)"
    if "nearest" in note:
        sub += "; " + note.split(", ", 1)[1]
    if approximate:
        sub += "; dash-dot: approximate, from the percentiles only"
    extra = [Line2D([], [], color="0.3", linestyle="--",
                    label="model: wait for the next poll uniform on (0, T)")]
    if not any(s.pull and s.mode in MODELLED_PULL and rate in s.points for s in data.series):
        extra = []
    titled(fig, f"{title}: {hr.fmt_number(rate)} events/s", sub)
    bottom_legend(leg, [ax], extra)
    return fig


def annotate_median_gap(ax, data, rate):
    """An arrow at the median from push to the fastest poll: the gap the reader should see."""
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
    ax.text(math.sqrt(fast * slow) / 1000, 0.52,
            f"median: {pull[0].label()} is {hr.fmt_number(slow / fast, 2)}× {push.mode}",
            ha="center", va="bottom", fontsize=11, color="0.1",
            bbox=dict(facecolor="white", edgecolor="none", alpha=0.8))


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
    request_name = "polls" if polls or part.interval_ms else "webhook POSTs"
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
    """7: the flow diagram from trace.jsonl, one lane per traced mode."""
    title = CHARTS[6][1]
    parts = [p for p in (data.trace or []) if p.records]
    if not parts:
        reason = ("no trace.jsonl in the results folder (a sweep records one when its scenario "
                  "has a \"trace\" block)" if data.trace is None else "trace.jsonl has no records")
        return no_data_figure(title, reason)
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
    return fig


# --- driver -------------------------------------------------------------------------------------

def save(fig, output, name):
    os.makedirs(output, exist_ok=True)
    png = os.path.join(output, name + ".png")
    fig.savefig(png, dpi=DPI)
    fig.savefig(os.path.join(output, name + ".svg"))
    plt.close(fig)
    return png


def make_charts(folder, output=None, cdf_rate=None, log=None):
    """Writes every chart; returns {name: png path}. Raises hr.ResultsError on bad input."""
    data = Data(folder)
    output = output or os.path.join(folder, "charts")
    rate, note = choose_cdf_rate(data, cdf_rate)
    builders = {
        "latency_vs_rate": lambda: chart_latency(data),
        "requests_per_event": lambda: chart_requests(data),
        "cpu_per_event": lambda: chart_cpu(data),
        "bytes_per_event": lambda: chart_bytes(data),
        "empty_poll_fraction": lambda: chart_empty(data),
        "latency_cdf": lambda: chart_cdf(data, rate, note),
        "timeline": lambda: chart_timeline(data),
    }
    written = {}
    for name, _ in CHARTS:
        written[name] = save(builders[name](), output, name)
        if log:
            detail = f": {note}" if name == "latency_cdf" else ""
            log(f"plot.py: wrote {written[name]}{detail}")
    return written


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Draw the charts of a hookbench sweep results folder (PNG and SVG).")
    p.add_argument("results", metavar="DIR", help="results folder with runs.csv (and runs/, "
                   "trace.jsonl)")
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
