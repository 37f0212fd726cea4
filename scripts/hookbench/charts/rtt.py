"""The push/poll latency ratio against the round trip of the emulated link (a scenario's rtt
block): one line per push mode and poll interval, the model's ratio dashed.
"""

from ..figures import finish, new_figure, no_data_figure, titled
from ..fmt import fmt_number
from ..series import rtt_ratios
from .drawing import model_handle


def ratio_text(ratio):
    """'0.012×' below 1, '3.4×' above: the push/poll ratio as read off the chart."""
    return f"{fmt_number(ratio, 2)}×"


def rtt_label(rtt_ms):
    return "loopback" if rtt_ms == 0 else f"{fmt_number(rtt_ms)} ms"


def chart_rtt_ratio(data, title):
    """Mean push latency over mean poll latency against the link's round trip (the scenario's
    rtt block, through `hookbench link`'s emulator), one line per push mode and poll interval,
    with the model's ratio dashed."""
    found = rtt_ratios(data.rows)
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
    pull = data.modes.pull_reference
    for push, entries in series_by_push.items():
        marker = data.palette.marker(push)
        for i, e in enumerate(entries):
            colour = data.palette.colour(push, i, len(entries))
            xs = [p[0] for p in e["points"]]
            ys = [p[1] for p in e["points"]]
            label = (f"{push} / {pull} T = {fmt_number(e['interval_ms'])} ms "
                     f"({fmt_number(e['rate'])} events/s)")
            ax.plot(xs, ys, marker=marker, color=colour, label=label, gid=f"rtt-{push}")
            model = [(p[0], p[4]) for p in e["points"] if p[4]]
            if len(model) >= 2:
                ax.plot([m[0] for m in model], [m[1] for m in model], linestyle="--",
                        color=colour, gid=f"rtt-model-{push}")
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
