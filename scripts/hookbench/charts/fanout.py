"""The fan-out chart: against the number of subscribers N, one line per mode at one event rate,
the mean delivery latency with the model's mean beside it, the producer's CPU in cores and its
resident memory per subscriber, from the runs without an emulated link or a fault (loopback, or
across hosts for a sweep through the playbook).
"""

from ..figures import bottom_legend, finish, new_figure, no_data_figure, plain_log, titled
from ..fmt import counted, fmt_list, fmt_number
from ..runs_csv import is_finite, ok_runs
from ..series import Series, aggregate, repeats_phrase
from .data import Styled, hosts_phrase, series_styles
from .drawing import delivered_something, medians_phrase, model_handle, model_line, \
    plot_measured, status_caption, status_handles
from .overlap import and_list, nest_measured

KIB = 1024.0

# A fan-out line needs this many distinct subscriber counts N at one event rate.
FANOUT_LEAST_N = 3
# The axes a fan-out line keeps fixed besides its mode, poll interval, stack and knobs.
FANOUT_AXES = ("payload_bytes", "arrivals", "scenario")


def undisturbed(row):
    """A run without an emulated link (rtt_ms 0, or a file without the column) and without a
    fault."""
    return (row.get("rtt_ms") or 0.0) == 0 and (row.get("fault") or "") in ("", "none")


class FanoutSeries(Series):
    """One line of the fan-out chart: a mode with its poll interval, stack, knobs, payload,
    arrivals and scenario, at one event rate (rate), its points keyed by the number of
    subscribers N instead of the rate. What reads a Series' points by rate (plot_measured)
    places each at its N: realised() is the identity here."""

    def __init__(self, key, varying, modes, rate):
        super().__init__(key, varying, modes)
        self.rate = rate

    def realised(self, rate):
        return rate


def fanout_series(rows, least=FANOUT_LEAST_N):
    """The fan-out chart's lines from the successful, undisturbed rows (Runs): per mode (and
    poll interval, stack, knobs, payload, arrivals, scenario) the event rate with the most
    distinct N (the lowest on a tie), kept when it has `least` or more. Returns (series in
    display order, most): most is the best any mode had, {"mode", "interval_ms", "rate",
    "subscribers": [N]}, or None without an undisturbed successful run."""
    modes = rows.modes
    groups = {}
    for r in ok_runs(rows):
        if not undisturbed(r) or not is_finite(r.get("subscribers")):
            continue
        # Runs on one host and across K consumer hosts are lines of their own (0: one host).
        key = (r["mode"], r["interval_ms"], r["consumer_stack"], r["tuning"],
               tuple((axis, r[axis]) for axis in FANOUT_AXES) + (("hosts", r.get("hosts") or 0),))
        groups.setdefault(key, {}).setdefault(r["rate"], {}).setdefault(
            r["subscribers"], []).append(r)
    chosen, most = [], None
    for key in sorted(groups, key=lambda k: (modes.order_key(k[0]), k[1] or 0.0, k[2], k[3],
                                             tuple(str(v) for v in k[4]))):
        by_rate = groups[key]
        rate = min(by_rate, key=lambda x: (-len(by_rate[x]), x))
        n = len(by_rate[rate])
        if most is None or n > len(most["subscribers"]):
            most = {"mode": key[0], "interval_ms": key[1], "rate": rate,
                    "subscribers": sorted(by_rate[rate])}
        if n >= least:
            chosen.append((key, rate, by_rate[rate]))
    varying = {axis for axis in FANOUT_AXES if len({dict(k[4])[axis] for k, _, _ in chosen}) > 1}
    knobs = {}
    for key, _, _ in chosen:
        knobs.setdefault(key[:3], set()).add(key[3])
    if any(len(k) > 1 for k in knobs.values()):
        varying.add("tuning")
    series = []
    for key, rate, points in chosen:
        s = FanoutSeries(key, varying, modes, rate)
        s.points = points
        series.append(s)
    return sorted(series, key=Series.sort_key), most


class Panel:
    """One of the three panels: the column it draws, its scale, the stem of its gids, its title
    and y label, and what a caption calls its figure."""

    def __init__(self, column, scale, stem, title, ylabel, what):
        self.column, self.scale, self.stem = column, scale, stem
        self.title, self.ylabel, self.what = title, ylabel, what


PANELS = (
    Panel("latency_mean_us", 1e-3, "latency", "mean delivery latency (model dashed)",
          "delivery latency (ms)", "mean latency"),
    Panel("cpu_cores_producer", 1.0, "cores", "producer CPU", "CPU used (cores = CPU s per s)",
          "producer CPU"),
    Panel("producer_bytes_per_subscriber", 1.0 / KIB, "memory", "producer memory per subscriber",
          "resident memory per subscriber (KiB)", "memory per subscriber"),
)
MODEL_COLUMN = "model_latency_mean_us"


class FanoutStyle(Styled):
    """What plot_measured asks of its data for a line: the mode's colour and marker from the
    palette; several lines of one mode told apart as the charts over the rate tell their series
    apart (data.series_styles)."""

    def __init__(self, palette, series):
        self.style = series_styles(palette, series)


def legend_label(s):
    """The line's label with the event rate it was measured at."""
    return f"{s.label()}, {fmt_number(s.rate)} events/s"


def gid_names(series):
    """{id(series): the name its gids carry}: the mode, or the whole label where a mode has
    several lines."""
    count = {}
    for s in series:
        count[s.mode] = count.get(s.mode, 0) + 1
    return {id(s): s.mode if count[s.mode] == 1 else s.label() for s in series}


def model_points(s):
    """[(N, the model's mean latency in ms)]: at each N the mean over the repeats (those that
    delivered something, as the measured point) of the model evaluated at each run's realised
    rate and round trip; positive values only (a log axis)."""
    out = []
    for n in s.rates:
        a = aggregate([r for r in s.points[n] if delivered_something(r)], MODEL_COLUMN, 1e-3)
        if a is not None and a.estimate > 0:
            out.append((n, a.estimate))
    return out


def no_fanout_reason(most):
    """Why there is no fan-out chart, from what the folder does have."""
    base = (f"runs.csv has no mode measured at {FANOUT_LEAST_N} or more subscriber counts N "
            "at one event rate (without an emulated link or a fault)")
    if most is None:
        return base + "; it has no successful run without them"
    t = "" if most["interval_ms"] is None else f" T={fmt_number(most['interval_ms'])} ms"
    ns = most["subscribers"]
    return (f"{base}; the most is {len(ns)} ({most['mode']}{t} at "
            f"{fmt_number(most['rate'])} events/s: N = {fmt_list(ns)})")


def network(series):
    """Where the lines' runs were made, as the chart says it: 'loopback', or across how many
    consumer hosts (runs.csv's hosts column) when the sweep ran through the playbook."""
    rows = [r for s in series for r in s.runs()]
    across = hosts_phrase(rows)
    if not across:
        return "loopback"
    return across if all(is_finite(r.get("hosts")) for r in rows) else "loopback and " + across


def has_column(s, column):
    return any(is_finite(r.get(column)) for r in s.runs())


def series_sentence(s, drawn, model):
    """'webhook, 8 events/s: mean latency 0.33 ms at N = 1, 100 ms at N = 10000 (model 0.31 →
    96 ms); producer 0.002 → 0.2 cores; 7.2 KiB per subscriber at N = 10000.' from what was
    drawn."""
    parts = []
    lat, cores, memory = (drawn[p.stem] for p in PANELS)
    if lat.x:
        text = f"mean latency {fmt_number(lat.y[0])} ms at N = {fmt_number(lat.x[0])}"
        if len(lat.x) > 1:
            text += f", {fmt_number(lat.y[-1])} ms at N = {fmt_number(lat.x[-1])}"
        if len(model) > 1:
            text += (f" (model {fmt_number(model[0][1])} ms at N = {fmt_number(model[0][0])}, "
                     f"{fmt_number(model[-1][1])} ms at N = {fmt_number(model[-1][0])})")
        parts.append(text)
    if cores.x:
        text = f"producer {fmt_number(cores.y[0])}"
        if len(cores.x) > 1:
            text += f" → {fmt_number(cores.y[-1])}"
        parts.append(text + f" cores (N = {fmt_number(cores.x[0])}"
                     + (f" → {fmt_number(cores.x[-1])})" if len(cores.x) > 1 else ")"))
    if memory.x:
        parts.append(f"{fmt_number(memory.y[-1])} KiB per subscriber at N = "
                     f"{fmt_number(memory.x[-1])}")
    if not parts:
        return ""
    return f"{legend_label(s)}: " + "; ".join(parts) + "."


def comparison_sentence(series, drawn):
    """At the largest N every line of a panel has: which line was lowest and which highest, in
    latency and in producer CPU; '' with fewer than two lines."""
    found = []  # (N, what ran from where to where)
    for panel, unit in ((PANELS[0], "ms"), (PANELS[1], "cores")):
        lines = [(s, dict(zip(drawn[id(s)][panel.stem].x, drawn[id(s)][panel.stem].y)))
                 for s in series if drawn[id(s)][panel.stem].x]
        if len(lines) < 2:
            continue
        common = set.intersection(*(set(values) for _, values in lines))
        if not common:
            continue
        n = max(common)
        ranked = sorted(lines, key=lambda e: e[1][n])
        low, high = ranked[0], ranked[-1]
        found.append((n, f"the {panel.what} ran from {fmt_number(low[1][n])} {unit} "
                         f"({low[0].label()}) to {fmt_number(high[1][n])} {unit} "
                         f"({high[0].label()})"))
    said = []
    for n in dict.fromkeys(n for n, _ in found):
        said.append(f"At N = {fmt_number(n)}, " + "; ".join(t for m, t in found if m == n)
                    + ".")
    return " ".join(said)


def missing_sentence(panel, series, lines_drawn):
    """The caption's word on a panel's lines that could not be drawn: the whole panel not
    measured, or the lines that have no value."""
    missing = [s.label() for s in series if not has_column(s, panel.column)]
    if not lines_drawn and len(missing) == len(series):
        if panel.stem == "memory":
            return ("The producer's memory per subscriber was not measured in these runs "
                    "(runs.csv has no producer_bytes_per_subscriber value, as in a file written "
                    "before hookbench recorded it), so its panel has no lines.")
        return (f"The {panel.what} was not measured in these runs ({panel.column} is empty), "
                "so its panel has no lines.")
    if missing:
        return (f"No {panel.what} for {and_list(missing)}: {panel.column} is empty in "
                f"{'its' if len(missing) == 1 else 'their'} runs.")
    return ""


def intro_sentence(series, where, modelled):
    """What the chart shows, where and at which rates, and what each panel draws."""
    rates = sorted({s.rate for s in series})
    where = "on loopback (no link)" if where == "loopback" else f"{where} (no emulated link)"
    model = ("; dashed, in the mode's colour, the model's mean latency (model_latency_mean_us at "
             "each run's realised rate and round trip, averaged over the repeats) beside the "
             "measurements" if modelled else "")
    return (f"Fan-out {where}, runs without faults: each mode against the number of "
            f"subscribers N (log axis) at one event rate ({fmt_list(rates, ' events/s')}; where "
            "a mode has several, the one with the most values of N, named in the legend), "
            f"{medians_phrase(series)}. Left: the mean delivery latency (consumer has the event "
            f"parsed minus its scheduled creation){model}. Middle: the producer's CPU in cores "
            "(CPU seconds per second of the window). Right: the producer's resident memory per "
            "subscriber in KiB (its resident set with every subscriber there, less the one "
            "before any came, divided by N: the whole growth, so at small N it is mostly the "
            "producer's own, its event log and buffers, and only at large N a subscriber's).")


def chart_fanout(data, title):
    """Mean latency (with the model's mean dashed), producer CPU in cores and producer memory
    per subscriber against N on a shared log axis: one line per mode (and poll interval, stack,
    knobs) at the event rate with the most distinct N, when some mode has FANOUT_LEAST_N or
    more."""
    series, most = fanout_series(data.rows)
    if not series:
        return finish(no_data_figure(title, no_fanout_reason(most)),
                      f"No mode was measured at {FANOUT_LEAST_N} or more subscriber counts.")
    style = FanoutStyle(data.palette, series)
    names = gid_names(series)
    fig, axes, leg = new_figure(3)
    for ax in axes[1:]:
        ax.sharex(axes[0])
    drawn_all, drawn, models = [], {}, {}
    for ax, panel in zip(axes, PANELS):
        lines = 0
        for s in series:
            d = plot_measured(ax, style, s, panel.column, scale=panel.scale,
                              label=legend_label(s), gid=f"fanout-{panel.stem}-{names[id(s)]}")
            drawn.setdefault(id(s), {})[panel.stem] = d
            drawn_all.append(d)
            lines += d.gid is not None
            if panel is PANELS[0]:
                models[id(s)] = model_points(s)
                if len(models[id(s)]) > 1:
                    model_line(ax, [p[0] for p in models[id(s)]], [p[1] for p in models[id(s)]],
                               style.colour(s), gid=f"fanout-model-{names[id(s)]}")
        if lines:
            plain_log(ax)
        else:
            plain_log(ax, "x")
            ax.set_yticks([])
            ax.text(0.5, 0.5, f"not measured\n(no {panel.column}\nin runs.csv)",
                    transform=ax.transAxes, ha="center", va="center", fontsize=12, color="0.4",
                    gid=f"fanout-{panel.stem}-none")
        ax.set_title(panel.title)
        ax.set_ylabel(panel.ylabel)
        ax.set_xlabel("subscribers N")
    modelled = any(len(m) > 1 for m in models.values())
    where = network(series)
    titled(fig, title, f"{where}, no fault; " + repeats_phrase(series, at_rate=False)
           + ("; dashed: the model's mean" if modelled else ""))
    bottom_legend(leg, axes, ([model_handle("model's mean latency (dashed)")] if modelled
                              else []) + status_handles(drawn_all))
    caption = [intro_sentence(series, where, modelled)]
    caption += [series_sentence(s, drawn[id(s)], models[id(s)]) for s in series]
    caption.append(comparison_sentence(series, drawn))
    unmodelled = [s.label() for s in series if len(models[id(s)]) < 2]
    if unmodelled and modelled:
        caption.append(f"No model line for {and_list(unmodelled)} (model_latency_mean_us "
                       "at fewer than two N).")
    elif unmodelled:
        caption.append("No model line: runs.csv has no model_latency_mean_us for these runs.")
    for panel in PANELS:
        lines = sum(drawn[id(s)][panel.stem].gid is not None for s in series)
        caption.append(missing_sentence(panel, series, lines))
        dropped = sum(drawn[id(s)][panel.stem].dropped for s in series)
        if dropped:
            caption.append(f"{counted(dropped, 'point', 'points')} whose {panel.what} was zero "
                           "or below cannot be drawn on a log axis.")
    caption += [status_caption(drawn_all), nest_measured(axes, drawn_all)]
    return finish(fig, caption)
