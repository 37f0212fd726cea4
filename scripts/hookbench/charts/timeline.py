"""The recorded timeline (DIR/trace.jsonl): one lane per traced mode, each event joined from its
creation to the request that carried it and its delivery, so the latency is seen as a slant.
"""

import numpy as np
from matplotlib.lines import Line2D

from ..figures import finish, no_data_figure
from ..fmt import fmt_number
from ..run_files import CREATED, DELIVERED, POLL, POST
from ..style import FIGSIZE, plt


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
    created = {r["seq"]: r["t_ms"] for r in inside if r["kind"] == CREATED}
    delivered = [r for r in inside if r["kind"] == DELIVERED and r.get("sub", 0) == sub]
    # An event created before the window (or its record dropped) still has its latency.
    born = {r["seq"]: created.get(r["seq"], r["t_ms"] - r["latency_ms"]) for r in delivered}
    polls = [r for r in inside if r["kind"] == POLL and r.get("sub", 0) == sub]
    posts = [r for r in inside if r["kind"] == POST and r.get("sub", 0) == sub]
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
        desc += f", T = {fmt_number(part.interval_ms)} ms"
    if isinstance(rate, (int, float)):
        desc += f", {fmt_number(rate)} events/s"
        if part.interval_ms:
            desc += f" (λT = {fmt_number(rate * part.interval_ms / 1000.0, 2)})"
    counts = []
    if polls:
        counts.append(f"{len(polls)} polls, {len(empty)} empty")
    if posts:
        counts.append(f"{len(posts)} POSTs")
    if latencies:
        counts.append(f"mean latency {fmt_number(float(np.mean(latencies)))} ms")
    dropped = h.get("dropped")
    if isinstance(dropped, int) and dropped > 0:
        counts.append(f"{dropped} records dropped by the recorder")
    subs = h.get("subscribers")
    if isinstance(subs, int) and subs > 1:
        counts.append(f"subscriber 0 of {subs} shown")
    ax.set_title(desc + (": " + "; ".join(counts) if counts else ""), loc="left", fontsize=12)


def chart_timeline(data, title):
    """The flow diagram from trace.jsonl, one lane per traced mode."""
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
    colours = {p.mode: data.palette.colour(p.mode) for p in parts}
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
                 f"(first {fmt_number(window / 1000.0, 2)} s of the traced run)")
    caption = [f"The first {fmt_number(window / 1000.0, 2)} s of one short traced run per "
               "mode. Each line joins an event's creation to the request that carried it and "
               "its delivery."]
    for p in parts:
        polls = [r for r in p.of_kind(POLL) if 0 <= r["t_ms"] <= window and r.get("sub", 0) == 0]
        delivered = [r["latency_ms"] for r in p.of_kind(DELIVERED)
                     if 0 <= r["t_ms"] <= window and r.get("sub", 0) == 0]
        desc = p.mode + (f" (T = {fmt_number(p.interval_ms)} ms)" if p.interval_ms else "")
        facts = []
        if polls:
            empty = sum(1 for r in polls if r["events"] == 0)
            facts.append(f"{empty} of {len(polls)} polls came back empty")
        if delivered:
            facts.append(f"events waited {fmt_number(float(np.median(delivered)))} ms "
                         "(median)")
        if facts:
            caption.append(f"{desc}: " + ", ".join(facts) + ".")
    return finish(fig, caption)
