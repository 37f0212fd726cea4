"""Series that coincide on a chart stay visible: where the markers of two series would land on
each other, the series drawn first gets a wider line and a larger marker, so it shows as a rim
around the one drawn over it. Measured in display units, once the figure's layout is settled.
"""

import numpy as np

NEST_WIDTH = 1.4   # points of line width added per level of nesting
NEST_MARKER = 3.5  # points of marker size added per level
MAX_LEVEL = 3
NEAR = 0.5         # markers closer than this many marker sizes are drawn on each other


def display_points(ax, artists):
    """The display coordinates of every data point of the artists (NaNs dropped), in x order
    (the first artist is the series' line)."""
    pts = []
    for a in artists:
        xy = np.column_stack([np.asarray(a.get_xdata(), float), np.asarray(a.get_ydata(), float)])
        if len(xy):
            pts.append(ax.transData.transform(xy))
    if not pts:
        return np.empty((0, 2))
    pts = np.vstack(pts)
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    return pts[np.argsort(pts[:, 0], kind="stable")]


def distances(points, line):
    """The display distance from each point to the polyline through `line`'s points (to the
    point itself when the line has one)."""
    if len(line) == 1:
        return np.hypot(*(points - line[0]).T)
    p = points[:, None, :]
    a, b = line[None, :-1, :], line[None, 1:, :]
    ab = b - a
    length = (ab ** 2).sum(axis=2)
    t = np.clip(((p - a) * ab).sum(axis=2) / np.where(length > 0, length, 1), 0, 1)
    nearest = a + t[:, :, None] * ab
    return np.hypot(*(p - nearest).transpose(2, 0, 1)).min(axis=1)


def coincide(a, b, tolerance):
    """Whether two series lie on each other: at half the points of each or more, the other's
    line or markers pass within tolerance (display units).
    Curves that merely cross meet near one point and stay visible elsewhere."""
    if not len(a) or not len(b):
        return False

    def enough(close, n):
        return close >= max(1, (n + 1) // 2)

    return enough(int((distances(a, b) < tolerance).sum()), len(a)) and \
        enough(int((distances(b, a) < tolerance).sum()), len(b))


def nest_coinciding(ax, series):
    """series: [(label, [artists])] in drawing order, the first artist the line of the series
    (every point), the others its extra markers (thin, saturated points). A series whose markers
    would sit on those of a series drawn after it is widened under it, level by level (at most
    MAX_LEVEL). Returns the labels of the series drawn wider, for the caption."""
    fig = ax.figure
    fig.draw_without_rendering()  # constrained layout and autoscaling: data -> display is final
    size = max((a.get_markersize() for _, arts in series for a in arts[:1]), default=7.0)
    tolerance = NEAR * size * fig.dpi / 72.0
    pts = [display_points(ax, arts) for _, arts in series]
    n = len(series)
    near = {(i, j) for i in range(n) for j in range(i + 1, n)
            if coincide(pts[i], pts[j], tolerance)}
    level = [0] * n
    for i in reversed(range(n)):
        above = [level[j] + 1 for j in range(i + 1, n) if (i, j) in near]
        level[i] = min(MAX_LEVEL, max(above, default=0))
    for (_, arts), lev in zip(series, level):
        if not lev:
            continue
        for k, a in enumerate(arts):
            if k == 0:
                a.set_linewidth(a.get_linewidth() + NEST_WIDTH * lev)
            a.set_markersize(a.get_markersize() + NEST_MARKER * lev)
    return [label for (label, _), lev in zip(series, level) if lev]


def nested_sentence(widened):
    """The caption's word on the series drawn wider, or ''."""
    widened = list(dict.fromkeys(widened))
    if not widened:
        return ""
    return ("Where series coincide, the one drawn first has a wider line and larger markers, "
            "seen as a rim around the one drawn over it; drawn wider for that: "
            f"{and_list(widened)}.")


def and_list(names):
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def nest_measured(axes, drawn):
    """nest_coinciding on each of the axes, over what plot_measured drew there; returns the
    caption's sentence (each series named once)."""
    widened = []
    for ax in axes:
        widened += nest_coinciding(ax, measured_artists(ax, drawn))
    return nested_sentence(list(dict.fromkeys(widened)))


def measured_artists(ax, drawn):
    """[(label, [line, thin, saturated])] of what plot_measured drew on ax, from its gids."""
    by_gid = {}
    for a in ax.lines:
        gid = a.get_gid() or ""
        by_gid.setdefault(gid, []).append(a)
    out = []
    for d in drawn:
        if d.gid is None or d.gid not in by_gid:
            continue
        arts = by_gid[d.gid][:1] + by_gid.get("thin:" + d.gid, []) + \
            by_gid.get("saturated:" + d.gid, [])
        out.append((d.label, arts))
    return out
