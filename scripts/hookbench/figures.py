"""Figure helpers every chart uses: a figure with the legend in its own row, the labelled
placeholder for a chart without data (never written to a file), titles, captions that travel
with the figure, readable log axes, and saving a chart as PNG and SVG with its captions.json.
"""

import json
import math
import os
import re
import textwrap

from matplotlib.ticker import FuncFormatter

from .fmt import fmt_number
from .style import DPI, FIGSIZE, RC, plt

plt.rcParams.update(RC)  # every chart drawn through these helpers shares the look

LEGEND_COLUMNS = 4
LEGEND_CHARS = 130  # characters of legend text that fit across the figure at 10 pt
SUBTITLE_CHARS = 100  # characters of a subtitle that fit across the figure at the title's size


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
    """A labelled figure instead of an empty frame, for a caller that draws one chart on its
    own; the chart writers write nothing for it (has_data, remove_chart)."""
    fig = plt.figure(figsize=FIGSIZE, layout="constrained")
    fig.no_data = reason
    fig.suptitle(title)
    fig.text(0.5, 0.55, "no data for this chart", ha="center", va="center", fontsize=22,
             color="0.35")
    fig.text(0.5, 0.42, reason, ha="center", va="center", fontsize=12, color="0.35", wrap=True)
    return fig


def titled(fig, title, subtitle):
    fig.suptitle(title + ("\n" + textwrap.fill(subtitle, SUBTITLE_CHARS) if subtitle else ""))


def finish(fig, caption):
    """The caption travels with the figure: computed here from the data the chart drew."""
    fig.caption = " ".join(part.strip() for part in caption if part and part.strip()) \
        if isinstance(caption, (list, tuple)) else caption
    return fig


def caption_of(fig):
    return getattr(fig, "caption", "")


def legend_chars(labels, ncol):
    """Characters across a legend of ncol columns, filled column by column as matplotlib does:
    each column as wide as its longest label, plus its marker."""
    rows = math.ceil(len(labels) / ncol)
    columns = [labels[i:i + rows] for i in range(0, len(labels), rows)]
    return sum(max(len(lab) for lab in col) + 6 for col in columns)


def wrap_legend(label, width):
    """A legend label over lines of at most about width characters, broken after a space or a
    ';' (a knob list such as backoff=2.0;max_interval_ms=800.0 has no spaces)."""
    if len(label) <= width:
        return label
    pieces = re.findall(r"[^ ;]+[ ;]?|[ ;]", label)
    lines, line = [], ""
    for piece in pieces:
        if line and len(line) + len(piece.rstrip()) > width:
            lines.append(line.rstrip())
            line = ""
        line += piece
    lines.append(line.rstrip())
    return "\n".join(lines)


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
    while ncol > 1 and legend_chars(labels, ncol) > LEGEND_CHARS:
        ncol -= 1
    if ncol == 1 and len(handles) > LEGEND_COLUMNS:
        # One long label would make a single tall column that squeezes the plots: two
        # columns, the long labels broken after a space or a ';'.
        ncol = 2
        labels = [wrap_legend(lab, LEGEND_CHARS // 2 - 8) for lab in labels]
    rows = math.ceil(len(handles) / ncol)
    lines = sum(max(labels[i].count("\n") + 1 for i in range(r, len(labels), rows))
                for r in range(rows))
    legend_ax.legend(handles, labels, loc="center", ncol=ncol, frameon=False)
    grid = legend_ax.get_subplotspec().get_gridspec()
    legend_h = 0.32 * lines + 0.3
    grid.set_height_ratios([FIGSIZE[1] - 1.2 - legend_h, legend_h])


def plain_log(ax, which="xy"):
    """Log axes labelled 0.1, 1, 10 rather than 10^-1, 10^0, 10^1: read by people, not
    physicists."""
    formatter = FuncFormatter(lambda v, _: fmt_number(v))
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
    return fmt_number(value) if leading in (2, 5) else ""


def save(fig, output, name):
    os.makedirs(output, exist_ok=True)
    png = os.path.join(output, name + ".png")
    fig.savefig(png, dpi=DPI)
    fig.savefig(os.path.join(output, name + ".svg"))
    plt.close(fig)
    return png


def has_data(fig):
    return getattr(fig, "no_data", None) is None


def remove_chart(output, name):
    """A chart with no data is not written: nor may a stale one of an earlier run stay."""
    for ext in ("png", "svg"):
        stale = os.path.join(output, f"{name}.{ext}")
        if os.path.exists(stale):
            os.remove(stale)


def write_captions(output, captions):
    """OUTPUT/captions.json: each chart's caption, read by the report."""
    os.makedirs(output, exist_ok=True)
    with open(os.path.join(output, "captions.json"), "w", encoding="utf-8") as f:
        json.dump(captions, f, indent=1, ensure_ascii=False)


class Chart(tuple):
    """One chart of a family's list: (name, title), as the list is read, and draw, the function
    that draws it. The list, in the order the report shows the charts, is written once."""

    def __new__(cls, name, title, draw):
        chart = super().__new__(cls, (name, title))
        chart.draw = draw
        return chart

    @property
    def name(self):
        return self[0]

    @property
    def title(self):
        return self[1]
