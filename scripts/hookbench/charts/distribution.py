"""The sweep charts of a distribution: the empty-poll fraction against λT with the model and
Zapier's figure, and the whole latency distribution at one event rate.
"""

import math

import numpy as np

from ..figures import bottom_legend, finish, new_figure, no_data_figure, plain_log, titled
from ..fmt import fmt_number, fmt_percent
from ..run_files import latency_quantiles
from ..runs_csv import is_finite
from ..series import interp_loglog, medians, push_baseline, repeats_phrase
from ..style import SATURATED_COLOUR, plt
from .overlap import nest_measured
from .drawing import lambda_t, medians_phrase, plot_measured, status_caption, status_handles

# Zapier's REST Hooks material (resthooks.org): 30 million polls, 460 thousand with data.
ZAPIER_EMPTY = 1 - 460e3 / 30e6
ZAPIER_SOURCE = "Zapier via resthooks.org: 30 M polls, 460 k with data"


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
    colour, gid)]. The pull reference's curves at every T are one line (its model depends on λT
    alone), drawn dark as the reference; every other pull series draws its own, in its colour
    (an adaptive poller's depends on T through its cap), the reference's in its mode's colour."""
    reference = data.modes.pull_reference
    out, poll = [], {}
    for s in pull:
        c = data.curve(s)
        if c is None or not data.draws_model(s):
            continue
        points = {r["lambda_t"]: r["empty_poll_fraction"] for r in c.rows
                  if is_finite(r.get("lambda_t")) and is_finite(r.get("empty_poll_fraction"))
                  and r["lambda_t"] > 0}
        if not points:
            continue
        if s.mode == reference:
            poll.update(points)
        else:
            out.append((s.label(), points, data.colour(s),
                        f"model:empty_poll_fraction:{s.label()}"))
    if poll:
        out.insert(0, (reference, poll, data.palette.colour(reference),
                       "model:empty_poll_fraction"))
    return out


def chart_empty(data, title):
    """Empty-poll fraction vs λT, the model's curve from model.csv and Zapier's 98.5%."""
    pull = [s for s in data.series if s.pull and s.agg("empty_poll_fraction")]
    if not pull:
        return finish(no_data_figure(title, "no poll runs with an empty-poll fraction in "
                                     "runs.csv"), "No poll runs: no empty-poll fraction.")
    fig, (ax,), leg = new_figure()
    drawn, lts = [], []
    for s in pull:
        d = plot_measured(ax, data, s, "empty_poll_fraction", scale=100.0, positive=False,
                          x_of=lambda_t,
                          label=f"measured, {s.label()}")
        drawn.append(d)
        lts += d.x
    curves = empty_model_curves(data, pull)
    caption = ["The share of polls that found nothing, against λT (events per poll interval), "
               f"{medians_phrase(pull)}."]
    lo_x = min(lts) / 2.5
    hi_x = max(max(lts), 3.0) * 2.5
    named = set()
    # Each model curve is drawn over the λT its series were measured at; the reference's goes
    # on, faint and dotted, as far as its landmark (Zapier's figure) needs: the model's claim.
    spans = {}
    for s, d in zip(pull, drawn):
        if d.x:
            key = data.modes.pull_reference if s.mode == data.modes.pull_reference \
                else s.label()
            lo, hi = spans.get(key, (min(d.x), max(d.x)))
            spans[key] = (min(lo, min(d.x)), max(hi, max(d.x)))
    extrapolated = False
    for i, (name, points, colour, gid) in enumerate(curves):
        xs = sorted(points)
        lo, hi = spans.get(name, (xs[0], xs[-1]))
        inside = [x for x in xs if lo <= x <= hi]
        # One legend entry per mode (its intervals share its colour); the caption
        # names every curve.
        mode = name.split(" T=")[0]
        label = ("model (model.csv)" if len(curves) == 1 else
                 "_nolegend_" if mode in named else f"model, {mode} (model.csv)")
        named.add(mode)
        ax.plot(inside, [100 * points[x] for x in inside], "--", color=colour, linewidth=2,
                label=label, gid=gid)
        if i == 0 and name == data.modes.pull_reference:
            for part in ([x for x in xs if x <= lo], [x for x in xs if x >= hi]):
                if len(part) >= 2:
                    ax.plot(part, [100 * points[x] for x in part], linestyle=(0, (1, 2)),
                            color=colour, linewidth=1.2, alpha=0.5,
                            label="_nolegend_" if extrapolated else
                            "model past the measured λT (its claim only)",
                            gid=gid + ":extrapolated")
                    extrapolated = True
                    lo_x = min(lo_x, part[0])
                    hi_x = max(hi_x, part[-1])
    # The model's landmarks are read on the reference curve (plain poll's, else the first).
    model = curves[0][1] if curves else {}
    whose = f" for {curves[0][0]}" if len(curves) > 1 else ""
    if model:
        xs = sorted(model)
        at_one = interp_loglog(model, 1.0) if xs[0] <= 1.0 <= xs[-1] else None
        if at_one is not None:
            ax.annotate(f"model at λT = 1: {fmt_percent(at_one, 2)} empty",
                        (1.0, 100 * at_one), xytext=(10, 20), textcoords="offset points",
                        fontsize=10, arrowprops=dict(arrowstyle="->", color="0.3"))
            caption.append(f"Dashed: the model from model.csv; it puts "
                           f"{fmt_percent(at_one, 2)} of polls empty at λT = 1{whose}.")
        if len(curves) > 1:
            caption.append("Model curves, dashed: " + ", ".join(c[0] for c in curves) + ".")
        caption.append("Each model curve is drawn over the λT its series were measured at"
                       + ("; the reference's continues faint and dotted past them, as the "
                          "model's claim only, not a measurement." if extrapolated else "."))
    else:
        caption.append(data.model_note())
    ax.axhline(100 * ZAPIER_EMPTY, color=SATURATED_COLOUR, linestyle=(0, (5, 3)), linewidth=1.2,
               label=f"{fmt_percent(ZAPIER_EMPTY)} empty: {ZAPIER_SOURCE}",
               gid="zapier")
    zapier_lt = inverse_read(model, ZAPIER_EMPTY) if model else None
    if zapier_lt is not None:
        ax.plot([zapier_lt], [100 * ZAPIER_EMPTY], marker="*", markersize=18,
                color=SATURATED_COLOUR, markeredgecolor="black", linestyle="none", zorder=5)
        ax.annotate(f"the model reaches Zapier's {fmt_percent(ZAPIER_EMPTY)}\n"
                    f"at λT ≈ {fmt_number(zapier_lt, 2)}", (zapier_lt, 100 * ZAPIER_EMPTY),
                    xytext=(25, -55), textcoords="offset points", fontsize=10,
                    arrowprops=dict(arrowstyle="->", color="0.3"))
        caption.append(f"Zapier reported {fmt_percent(ZAPIER_EMPTY)} of its polls empty "
                       f"({ZAPIER_SOURCE}); the model{whose} reaches that at λT ≈ "
                       f"{fmt_number(zapier_lt, 2)}.")
    else:
        caption.append(f"Zapier reported {fmt_percent(ZAPIER_EMPTY)} of its polls empty "
                       f"({ZAPIER_SOURCE}).")
    ax.axvline(1.0, color="0.25", linestyle=":", linewidth=1.2)
    plain_log(ax, "x")
    ax.set_xlim(lo_x, hi_x)
    ax.set_ylim(-3, 103)
    ax.set_xlabel("λT: expected events per poll interval (rate × interval)")
    ax.set_ylabel("polls that found no new event (%)")
    titled(fig, title, repeats_phrase(pull))
    bottom_legend(leg, [ax], status_handles(drawn))
    caption.append(status_caption(drawn).replace("95% confidence interval",
                                                 "95% Wilson interval"))
    caption.append(nest_measured([ax], drawn))
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
            return rate, f"rate {fmt_number(rate)}/s, as requested"
        return rate, (f"rate {fmt_number(rate)}/s, the nearest measured to the requested "
                      f"{fmt_number(requested)}/s")
    rate = max(coverage, key=lambda r: (len(coverage[r][0]), coverage[r][1], r))
    return rate, f"rate {fmt_number(rate)}/s, measured for the most modes"


def chart_cdf(data, title, rate, note):
    """Latency CDF per mode (and interval) at one rate, every repeat drawn."""
    if rate is None:
        return finish(no_data_figure(title, "no successful runs in runs.csv"),
                      "No successful runs.")
    fig, (ax,), leg = new_figure()
    approximate = False
    drawn = 0
    for s in data.series:
        runs = s.points.get(rate, [])
        for i, row in enumerate(runs):
            values, qs, exact = latency_quantiles(data.folder, row)
            if len(values) < 2:
                continue
            approximate |= not exact
            label = s.label() + f" ({len(runs)} run{'s' if len(runs) > 1 else ''})"
            ax.plot(np.array(values) / 1000.0, qs, color=data.colour(s), linewidth=2,
                    alpha=0.9 if i == 0 else 0.6,
                    linestyle=data.linestyle(s) if exact else "-.",
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
    titled(fig, f"{title}: {fmt_number(rate)} events/s", sub)
    bottom_legend(leg, [ax])
    caption = [f"The whole latency distribution at {fmt_number(rate)} events/s, each of the "
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
    push = push_baseline(present, pull[0])
    if push is None:
        return
    fast = medians(push, "latency_p50_us").get(rate)
    slow = medians(pull[0], "latency_p50_us").get(rate)
    if not fast or not slow:
        return
    ax.annotate("", (slow / 1000, 0.5), xytext=(fast / 1000, 0.5),
                arrowprops=dict(arrowstyle="<->", color="0.2", linewidth=1.5))
    text = f"median: {pull[0].label()} is {fmt_number(slow / fast, 2)}× {push.mode}"
    ax.text(math.sqrt(fast * slow) / 1000, 0.52, text, ha="center", va="bottom", fontsize=11,
            color="0.1", bbox=dict(facecolor="white", edgecolor="none", alpha=0.8))
    return (f"At the median, {pull[0].label()} took {fmt_number(slow / fast, 2)}× as long "
            f"as {push.mode} ({medians_phrase([push, pull[0]])})")
