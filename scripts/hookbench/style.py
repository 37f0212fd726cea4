"""The look every chart shares: matplotlib's settings, the figure sizes, the fixed colours, and
the palette: one colour family and one marker per mode, from the mode descriptors, so that a mode
looks the same in the sweep, fault, round-trip and timeline charts.
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
# A series on another consumer stack than the default: same family, its own line style.
OTHER_STACK_LINESTYLE = (0, (6, 2, 1.5, 2))


def shade(i, n):
    """Where the i-th of n series of one mode sits in its family: one series mid-dark, several
    from dark to light."""
    return 0.75 if n == 1 else 0.95 - 0.45 * i / (n - 1)


class Palette:
    """One colour family (a colormap) and one marker per mode, as the descriptors give them."""

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

    def colour(self, mode, i=0, n=1):
        """The colour of the i-th of n series of a mode."""
        return self.cmap(mode)(shade(i, n))
