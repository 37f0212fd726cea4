"""The push/poll latency ratio against the round trip of the emulated link (a scenario's rtt
block): one line per push mode and poll interval, the model's ratio dashed.
"""

from ..figures import finish, no_data_figure, plain_log, titled
from ..fmt import fmt_number
from ..series import rtt_ratios
from ..style import FIGSIZE, marker_style, plt, variant
from .drawing import model_handle


def ratio_text(ratio):
    """'0.012×' below 1, '3.4×' above: the push/poll ratio as read off the chart."""
    return f"{fmt_number(ratio, 2)}×"


def rtt_label(rtt_ms):
    return "loopback" if rtt_ms == 0 else f"{fmt_number(rtt_ms)} ms"


def chart_rtt_ratio(data, title):
    """Mean push latency over mean poll latency against the link's round trip (the scenario's
    rtt block, through `hookbench link`'s emulator), one line per push mode and poll interval,
    with the model's ratio dashed. Loopback (no link) has a panel of its own: a log axis has no
    0, and no line is drawn from it across round trips that were never measured."""
    found = rtt_ratios(data.rows)
    if not found:
        return finish(no_data_figure(title, "runs.csv has no push and poll runs at two or more "
                                            "round trips (a scenario's rtt block, or run --rtt)"),
                      "No round trip other than the base one was measured.")
    loopback = any(p[0] == 0 for e in found for p in e["points"])
    fig = plt.figure(figsize=FIGSIZE, layout="constrained")
    grid = fig.add_gridspec(2, 2 if loopback else 1, height_ratios=[5.0, 0.9],
                            width_ratios=[1, 9] if loopback else [1])
    ax = fig.add_subplot(grid[0, -1])
    ax_loop = fig.add_subplot(grid[0, 0], sharey=ax) if loopback else None
    leg = fig.add_subplot(grid[1, :])
    leg.axis("off")
    caption = ["Mean delivery latency of each push mode divided by plain polling's, at the same "
               "rate and arrivals, against the round trip of the emulated link between the two "
               "sides (hookbench's own TCP proxy: half the round trip each way); loopback has "
               "no link and its own panel, joined to no line. Below 1, push is faster. Dashed: "
               "the same ratio of the model's means (each at its run's measured round trip)."]
    series_by_push = {}
    for entry in found:
        series_by_push.setdefault(entry["push"], []).append(entry)
    pull = data.modes.pull_reference
    offsets = {}
    for push, entries in series_by_push.items():
        marker = data.palette.marker(push)
        colour = data.palette.colour(push)
        for i, e in enumerate(entries):
            v = variant(i)
            style = dict(color=colour, marker=marker, markersize=7, linewidth=2,
                         **marker_style(colour, v["fillstyle"]))
            linked = [p for p in e["points"] if p[0] > 0]
            label = (f"{push} / {pull} T = {fmt_number(e['interval_ms'])} ms "
                     f"({fmt_number(e['rate'])} events/s)")
            ax.plot([p[0] for p in linked], [p[1] for p in linked], linestyle=v["linestyle"],
                    label=label, gid=f"rtt-{push}", **style)
            model = [(p[0], p[4]) for p in linked if p[4]]
            if len(model) >= 2:
                ax.plot([m[0] for m in model], [m[1] for m in model], linestyle="--",
                        color=colour, linewidth=1.4, gid=f"rtt-model-{push}")
            base = [p for p in e["points"] if p[0] == 0]
            if base and ax_loop is not None:
                # Side by side within the loopback panel: one x per line, no value in it.
                x = offsets.setdefault(label, len(offsets))
                ax_loop.plot([x], [base[0][1]], linestyle="none", gid=f"rtt-loopback-{push}",
                             **style)
                if base[0][4]:
                    ax_loop.plot([x], [base[0][4]], linestyle="none", marker="_",
                                 markersize=14, color=colour, gid=f"rtt-loopback-model-{push}")
            xs = [p[0] for p in e["points"]]
            ys = [p[1] for p in e["points"]]
            steps = ", ".join(f"{ratio_text(p[1])} at {rtt_label(p[0])}" for p in e["points"])
            trend = ""
            if ys[-1] > ys[0] * 1.05:
                trend = (f": the gap narrows as the round trip grows (push was "
                         f"{fmt_number(1 / ys[0], 2)}× faster at {rtt_label(xs[0])}, "
                         f"{fmt_number(1 / ys[-1], 2)}× at {rtt_label(xs[-1])})"
                         if ys[-1] < 1 else ": polling overtakes push as the round trip grows")
            elif ys[-1] < ys[0] / 1.05:
                trend = ": the gap widens as the round trip grows"
            caption.append(f"{push} against {pull} at T = {fmt_number(e['interval_ms'])} ms, "
                           f"{fmt_number(e['rate'])} events/s: {steps}{trend}.")
    for a in (ax, ax_loop):
        if a is not None:
            a.axhline(1.0, color="0.5", linewidth=0.8, linestyle=":")
    plain_log(ax)  # both axes: x over the linked round trips, y the ratio
    ax.set_xlabel("round trip of the link (ms)")
    ax.grid(True, which="both", alpha=0.3)
    if ax_loop is not None:
        ax_loop.set_xlim(-0.7, max(offsets.values(), default=0) + 0.7)
        ax_loop.set_xticks([])
        ax_loop.set_xlabel("loopback\n(no link)")
        ax_loop.set_ylabel("push mean latency / poll mean latency")
        ax_loop.grid(True, axis="y", which="both", alpha=0.3)
        ax.tick_params(labelleft=False)
        caption.append("In the loopback panel the lines sit side by side (the x position carries "
                       "no value); a short bar marks the model's ratio there.")
    else:
        ax.set_ylabel("push mean latency / poll mean latency")
    titled(fig, title, data.subtitle() + "; dotted: equal latency")
    handles, labels = ax.get_legend_handles_labels()
    leg.legend(handles + [model_handle("model's ratio (dashed)")],
               labels + ["model's ratio (dashed)"], loc="center", ncol=2, frameon=False)
    return finish(fig, caption)
