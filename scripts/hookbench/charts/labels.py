"""Labels at the ends of the model lines: merged where lines end on the same value, wrapped, and
nudged apart so that none covers another, placed once the figure's layout is settled.
"""

import math

MODEL_LABEL_GAP = 1.5  # points between two model labels nudged apart (their boxes pad 0.5)


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


LABEL_SIZES = (10, 9, 8, 7)  # font sizes tried, largest first, until the labels fit the axes
EDGE = 3.0  # points kept between a label and the axes' edge
MAX_MODEL_LABELS = 8  # more labels than this cover the lines they name: none is written


def fit_text(ax, renderer, text, fontsize, room):
    """The label wrapped (after the commas between names) so that it is at most `room` display
    units wide, or as narrow as wrapping can make it; returns (text, width, height)."""
    width = max(8, int(room / (0.55 * fontsize * ax.figure.dpi / 72.0)))
    while True:
        wrapped = wrap_label(text, width)
        probe = ax.text(0, 0, wrapped, fontsize=fontsize, transform=None)
        extent = probe.get_window_extent(renderer)
        probe.remove()
        if extent.width <= room or width <= 8:
            return wrapped, extent.width, extent.height
        width -= 3


def place_model_labels(ax, entries, log=True):
    """Labels at the right end of the model lines (entries as merge_model_labels takes them),
    merged where they say the same value and nudged apart where they would overlap, all inside
    the axes: wrapped to the axes' width, set smaller when they would not fit its height, moved
    right when they would run past its left edge. A value of 0 has no place on a log axis: its
    label sits at the axis' bottom. Call it last, once the figure's layout is settled (legend
    and titles drawn): positions are computed on the laid-out axes. Returns the annotations:
    none when there are more than MAX_MODEL_LABELS or they would not fit the axes' height even
    at the smallest size."""
    merged = merge_model_labels(e for e in entries if e is not None and e[1] is not None)
    if not merged or len(merged) > MAX_MODEL_LABELS:
        return []
    fig = ax.figure
    fig.draw_without_rendering()  # constrained layout and autoscaling: data -> display is final
    renderer = fig.canvas.get_renderer()
    box = ax.get_window_extent(renderer)
    to_points = 72.0 / fig.dpi
    edge = EDGE / to_points
    rise = 4.0 / to_points  # labels sit just above their line's end
    gap = MODEL_LABEL_GAP / to_points
    for fontsize in LABEL_SIZES:
        fitted = [fit_text(ax, renderer, text, fontsize, box.width - 2 * edge)
                  for _, _, text, _ in merged]
        if sum(f[2] + gap for f in fitted) <= box.height - 2 * edge:
            break
    else:
        # Even at the smallest size they would lie on each other: none is written (the caller
        # says so in the caption; the dashed lines keep their series' colours).
        return []
    anchors, heights, placed = [], [], []
    for (x, y, _, colour), (text, _, height) in zip(merged, fitted):
        on_axis = y > 0 or not log
        xy = (x, y) if on_axis else (x, 0.0)
        coords = "data" if on_axis else ("data", "axes fraction")
        px = ax.transData.transform((x, y))[1] if on_axis else box.y0
        heights.append(height)
        anchors.append(px + rise)
        placed.append((xy, coords, px, text, colour))
    bottoms = spread_labels(anchors, heights, box.y0 + edge, box.y1 - edge, gap)
    texts = []
    for (xy, coords, px, text, colour), bottom in zip(placed, bottoms):
        # No leader line to the line's end: it would cross the labels it was moved past. The
        # label carries its line's colour and name.
        t = ax.annotate(text, xy, xycoords=coords, xytext=(-2, (bottom - px) * to_points),
                        textcoords="offset points", va="bottom", ha="right", fontsize=fontsize,
                        multialignment="right", color=colour, gid="model-label",
                        bbox=dict(facecolor="white", edgecolor="none", alpha=0.75, pad=0.5),
                        zorder=2.5)  # over the model lines, under the measurements
        t.set_in_layout(False)  # labels never move the layout they were computed on
        extent = t.get_window_extent(renderer)
        if extent.x0 < box.x0 + edge:  # past the left edge: moved right, inside the axes
            dx, dy = t.xyann
            t.xyann = (dx + (box.x0 + edge - extent.x0) * to_points, dy)
        texts.append(t)
    return texts
