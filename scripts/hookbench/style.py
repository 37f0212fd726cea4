"""The look every chart shares: matplotlib's settings, the figure sizes, the fixed colours, and
the palette: one colour and one marker per mode, from the mode descriptors, so that a mode looks
the same in the sweep, fault, round-trip and timeline charts. Several series of one mode (poll
intervals, subscriber counts, consumer stacks, fault kinds) keep the mode's colour and differ by
line style and marker fill (variant), never by a shade that reads as another colour.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after use("Agg"))
from matplotlib.colors import LinearSegmentedColormap  # noqa: E402

# matplotlib's settings for the sweep, fault and security charts (figures.py applies them; the
# microbenchmark chart keeps matplotlib's own).
RC = {
    "font.size": 11, "axes.titlesize": 13, "axes.labelsize": 12, "legend.fontsize": 10,
    "xtick.labelsize": 10, "ytick.labelsize": 10, "figure.titlesize": 15,
    "axes.grid": True, "grid.alpha": 0.3, "grid.linestyle": "-", "svg.fonttype": "none",
}
FIGSIZE = (12, 7)
DPI = 130

SATURATED_COLOUR = "#d62728"  # a point that did not keep up; an accepted attack request
THIN_ALPHA = 0.3
# Colours of things that are not modes (benchmark areas, the two sides, signing schemes).
AREA_COLOURS = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3",
                "#8c8c8c", "#ccb974", "#64b5cd"]
# A mode without a descriptor (a folder from a hookbench that knew more modes) still gets a
# family and a marker of its own, from these.
SPARE_CMAPS = ("YlGn", "BuPu", "YlOrBr", "PuBuGn", "GnBu")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h")
# A series on another consumer stack than the default: the mode's colour, its own line style.
OTHER_STACK_LINESTYLE = (0, (6, 2, 1.5, 2))
# Where a mode's colour sits in its descriptor's family (a colormap from light to dark).
MODE_SHADE = 0.75
# The i-th series of one mode: a line style and a marker fill. Model lines are "--" (thinner, no
# markers), so measured variants use solid, dotted and dash-dot lines; the fill cycles first so
# that two variants differ in both once there are more than two.
VARIANT_LINESTYLES = ("-", (0, (1, 1.3)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 3)))
VARIANT_FILLS = ("full", "none", "left", "top")


def variant(i):
    """{linestyle, fillstyle} of the i-th series of one mode (0: solid, filled markers)."""
    return {"linestyle": VARIANT_LINESTYLES[i % len(VARIANT_LINESTYLES)],
            "fillstyle": VARIANT_FILLS[(i + i // len(VARIANT_FILLS)) % len(VARIANT_FILLS)]}


def marker_style(colour, fillstyle):
    """Marker keywords for plot(): a hollow ("none") marker is white inside, so that it hides
    the grid and reads as hollow over any line."""
    if fillstyle == "none":
        return {"markerfacecolor": "white", "markeredgecolor": colour, "fillstyle": "full"}
    return {"markerfacecolor": colour, "markeredgecolor": colour,
            "markerfacecoloralt": "white", "fillstyle": fillstyle}


class Palette:
    """One colour (a point of the family the descriptor gives) and one marker per mode."""

    def __init__(self, modes):
        self.modes = modes
        self.spare = iter(SPARE_CMAPS * 4)
        used = {m.marker for m in modes.all}
        self.spare_markers = iter(m for m in MARKERS * 4 if m not in used)
        self.cmaps, self.markers = {}, {}

    def cmap(self, mode):
        if mode not in self.cmaps:
            d = self.modes.get(mode)
            if d is None:
                self.cmaps[mode] = plt.get_cmap(next(self.spare))
            elif len(d.cmap) == 1:
                self.cmaps[mode] = plt.get_cmap(d.cmap[0])
            else:  # stops from light to dark, for a family matplotlib has no map of
                self.cmaps[mode] = LinearSegmentedColormap.from_list(f"hookbench_{mode}",
                                                                     d.cmap)
        return self.cmaps[mode]

    def marker(self, mode):
        if mode not in self.markers:
            d = self.modes.get(mode)
            self.markers[mode] = d.marker if d is not None else next(self.spare_markers)
        return self.markers[mode]

    def colour(self, mode):
        """The mode's one colour: the same in every chart of every module."""
        return self.cmap(mode)(MODE_SHADE)
