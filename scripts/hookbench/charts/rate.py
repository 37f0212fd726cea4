"""The sweep charts against the event rate: latency, requests per second and per event, CPU as
cores and per event, bytes per event; where the pull and push curves cross, measured and in the
model.
"""

import numpy as np
from matplotlib.lines import Line2D

from ..figures import bottom_legend, finish, new_figure, no_data_figure, titled
from ..fmt import fmt_number
from ..runs_csv import is_finite, ok_runs
from ..series import aggregate, crossings, interp_loglog, measured_crossings, medians, \
    realised_medians
from .drawing import draw_model_curve, lambda_t_handle, mark_lambda_t_one, medians_phrase, \
    measured_span, model_end, model_handle, model_label, plot_measured, rate_axis, status_caption, \
    status_handles, zero_model_sentence
from .labels import place_model_labels
from .overlap import nest_measured


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
        measured = [rate for rate, _ in measured_crossings(s, base, column)]
        modelled = []
        cs, cb = data.curve(s), data.curve(base)
        if model_column and cs is not None and cb is not None:
            # Only where both were measured: no model mark past the measurements.
            lo = max(measured_span(s)[0], measured_span(base)[0])
            hi = min(measured_span(s)[1], measured_span(base)[1])
            modelled = [rate for rate, _ in crossings(cs.as_dict(model_column),
                                                      cb.as_dict(model_column))
                        if lo <= rate <= hi]
        parts = []
        for rate in measured:
            found.append((s, base, rate, "measured"))
            parts.append(f"the measured estimates cross at a realised λ ≈ {fmt_number(rate, 2)}/s "
                         f"(λT ≈ {fmt_number(rate * s.interval_ms / 1000, 2)})")
        for rate in modelled:
            found.append((s, base, rate, "model"))
            parts.append(f"the model curves cross at λ ≈ {fmt_number(rate, 2)}/s "
                         f"(λT ≈ {fmt_number(rate * s.interval_ms / 1000, 2)})")
        if parts:
            said.append(f"{where}: " + "; ".join(parts) + ".")
        else:
            common = [r for r in medians(s, column) if r in medians(base, column)]
            if common:
                more = medians(s, column)[common[0]] > medians(base, column)[common[0]]
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
            y = interp_loglog(realised_medians(base, column), rate)
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


def chart_latency(data, title):
    """Mean (with the model's mean from model.csv), p50 and p99 latency vs rate, log-log."""
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
                                          lambda v: f"{fmt_number(v)} ms", 1e-3))
        rate_axis(ax)
        ax.set_title(name)
    axes[0].set_ylabel("delivery latency (ms)")
    titled(fig, title, data.subtitle() + "; dashed: the model's mean (model.csv)")
    extra = ([model_handle()] if labels else []) + status_handles(drawn)
    bottom_legend(leg, [axes[0]], extra)
    nested = nest_measured(axes, drawn)
    placed = place_model_labels(axes[0], labels)
    push = data.modes.push_reference
    rtts = [r["model_rtt_us"] for s in data.series if s.mode == push for r in s.runs()
            if is_finite(r.get("model_rtt_us"))]
    caption = ["Mean, median and p99 delivery latency (consumer has the event parsed minus its "
               f"scheduled creation), {medians_phrase(data.series)}."]
    if labels:
        caption.append("Dashed: the model's mean latency at each rate from model.csv (the "
                       "model's claim, evaluated by hookbench at the in-run round trip).")
        if rtts:
            caption.append(f"The {push} model's round trip R is the in-run POST round trip "
                           f"({fmt_number(float(np.median(rtts)))} µs median).")
        if not placed:
            caption.append(unlabelled_sentence(labels))
    caption += [data.model_note(), status_caption(drawn), nested]
    return finish(fig, caption)


def unlabelled_sentence(labels):
    """The caption's word for model lines too many to label in the axes."""
    n = len([e for e in labels if e is not None])
    return (f"The {n} model lines are too many to label inside the axes: each is dashed in its "
            "series' colour, and the report's model table gives the model's value at every "
            "point.")


def chart_requests_per_s(data, title):
    """Requests per second vs rate: polling flat at N/T, push rising with λN (model.csv)."""
    def labelled(s, drawn_model):
        # Pull lines are flat at N/T: their value says it. A push line rises with λ, except
        # where the model sends no request per event: that line cannot be drawn on a log axis,
        # so its label says why it is missing.
        end = model_end(data, s, "requests_per_s")
        return (drawn_model and s.pull) or (end and end[1] == 0)

    return requests_chart(
        data, title, "requests_per_s", "requests per second", "/s", labelled,
        "No request rate was measured.", "requests per second (all subscribers)",
        "Requests per second against the event rate. In the model (model.csv) a poller sends N/T "
        "requests per second whatever λ is (flat), a webhook λN (rising).")


def chart_requests(data, title):
    """Requests per delivered event vs rate; model lines from model.csv."""
    return requests_chart(
        # Pull lines fall as 1/(λT): the λT = 1 marks say where they cross 1.
        data, title, "requests_per_event", "requests per event", " requests/event",
        lambda s, drawn_model: not s.pull, "No requests per event were measured.",
        "requests per delivered event",
        "Requests per delivered event. A request counts for the window event it carried, "
        "whenever it was sent. Dashed: the model from model.csv.")


def requests_chart(data, title, column, noun, unit, labelled, missing, ylabel, intro):
    """A requests chart over the event rate: the measured medians, the model's lines (labelled
    at their end where labelled(series, drawn) says), where pull and push cross, λT = 1."""
    if not any(s.agg(column) for s in data.series):
        return finish(no_data_figure(title, f"no run in runs.csv has {column}"), missing)
    fig, (ax,), leg = new_figure()
    drawn, labels = [], []
    for s in data.series:
        drawn.append(plot_measured(ax, data, s, column))
        if labelled(s, draw_model_curve(ax, data, s, column)):
            labels.append(model_label(data, s, column, lambda v: f"{fmt_number(v)}{unit}"))
    said, found = describe_crossings(data, column, noun, column)
    mark_crossings(ax, data, found, column)
    mark_lambda_t_one(ax, data)
    rate_axis(ax)
    ax.set_ylabel(ylabel)
    titled(fig, title, data.subtitle())
    extra = ([model_handle()] if data.model else []) + crossing_handles(found)
    bottom_legend(leg, [ax], extra + [lambda_t_handle()] + status_handles(drawn))
    nested = nest_measured([ax], drawn)
    placed = place_model_labels(ax, labels)
    caption = [intro, zero_model_sentence(labels, noun)]
    if labels and not placed:
        caption.append(unlabelled_sentence(labels))
    caption += said + [data.model_note(), status_caption(drawn), nested]
    return finish(fig, caption)


def chart_cpu_cores(data, title):
    """CPU cores used by each side vs rate, with each side's idle baseline drawn."""
    columns = (("cpu_cores_producer", "cpu_idle_cores_producer", "producer (the API server)"),
               ("cpu_cores_consumer", "cpu_idle_cores_consumer", "consumer (the client app)"))
    if not any(s.agg(c[0]) for s in data.series for c in columns):
        return finish(no_data_figure(title, "no run in runs.csv has a CPU measurement"),
                      "CPU was not measured in any run.")
    fig, axes, leg = new_figure(2, sharey=True)
    drawn, caption = [], ["CPU used over the measured window, in cores (CPU seconds per "
                          f"second), {medians_phrase(data.series)}."]
    ok = ok_runs(data.rows)
    for ax, (column, idle_column, side) in zip(axes, columns):
        for s in data.series:
            drawn.append(plot_measured(ax, data, s, column))
        idle = aggregate(ok, idle_column)
        if idle is not None and idle.median > 0:
            ax.axhspan(max(idle.lo, idle.median * 1e-3), idle.hi, color="0.5", alpha=0.15,
                       zorder=0, gid=f"idle-band:{side.split()[0]}")
            ax.axhline(idle.median, color="0.3", linestyle="-.", linewidth=1.5,
                       label="idle baseline (median, band: min–max)",
                       gid=f"idle:{side.split()[0]}")
            caption.append(f"{side.split()[0].capitalize()} idle baseline, measured before "
                           f"warm-up: {fmt_number(idle.median)} cores (median of {idle.k} "
                           "runs).")
        mark_lambda_t_one(ax, data, strong=False)
        rate_axis(ax)
        ax.set_title(side)
    missing = [r for r in ok if not is_finite(r.get("cpu_cores_producer"))
               or not is_finite(r.get("cpu_cores_consumer"))]
    if missing:
        caption.append(f"{len(missing)} runs have no CPU measurement for a side; they are left "
                       "out, not drawn as 0.")
    axes[0].set_ylabel("CPU used (cores = CPU s per s)")
    titled(fig, title, data.subtitle())
    bottom_legend(leg, axes, status_handles(drawn))
    caption += [status_caption(drawn), nest_measured(axes, drawn)]
    return finish(fig, caption)


def chart_cpu(data, title):
    """CPU µs per delivered event net of the idle baseline, producer and consumer, vs rate."""
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
    caption += [status_caption(drawn), nest_measured(axes, drawn)]
    return finish(fig, caption)


def chart_bytes(data, title):
    """Bytes (sent + received, headers included) per delivered event vs rate, model line."""
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
    caption += said + [data.model_note(), status_caption(drawn), nest_measured([ax], drawn)]
    return finish(fig, caption)
