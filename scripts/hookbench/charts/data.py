"""What the sweep charts draw from: the folder's runs grouped into series, each with its colour
and marker from the palette, and the model's curves from model.csv.
"""

from ..model_csv import load_model
from ..run_files import load_trace
from ..runs_csv import load_runs
from ..series import group_series, push_baseline, repeats_phrase
from ..style import OTHER_STACK_LINESTYLE, Palette, marker_style, variant


def series_styles(palette, series):
    """{id(series): (colour, marker, linestyle, fillstyle)}: several series of a mode (poll
    intervals, subscribers, consumer stacks) keep the mode's colour and marker and differ by line
    style and marker fill; another consumer stack than the default has a line style of its own."""
    styles = {}
    by_mode = {}
    for s in series:
        by_mode.setdefault(s.mode, []).append(s)
    for mode, group in by_mode.items():
        default = [s for s in group if s.default_stack]
        for i, s in enumerate(group):
            v = variant(default.index(s) if s in default else i)
            linestyle = v["linestyle"] if s.default_stack else OTHER_STACK_LINESTYLE
            styles[id(s)] = (palette.colour(mode), palette.marker(mode), linestyle,
                             v["fillstyle"])
    return styles


def hosts_phrase(rows):
    """'across hosts: 2 consumer hosts' when runs.csv's hosts column is filled (a sweep through
    the playbook), else ''."""
    hosts = sorted({int(r["hosts"]) for r in rows if r.get("hosts")})
    if not hosts:
        return ""
    return (f"across hosts: {' or '.join(str(n) for n in hosts)} consumer "
            f"host{'s' if hosts != [1] else ''}")


class Styled:
    """A series' colour, marker, line style and marker fill (self.style: series_styles), as
    plot_measured asks them of its data."""

    def colour(self, s):
        return self.style[id(s)][0]

    def marker(self, s):
        return self.style[id(s)][1]

    def linestyle(self, s):
        return self.style[id(s)][2]

    def marker_kw(self, s):
        """The series' marker keywords for plot(): its fill (full, hollow, half)."""
        return marker_style(self.colour(s), self.style[id(s)][3])


class Data(Styled):
    """The folder's runs grouped into series, with one colour and marker per series, and the
    model's curves from model.csv (None when the sweep wrote none)."""

    def __init__(self, folder):
        self.folder = folder
        self.rows = load_runs(folder)
        self.modes = self.rows.modes
        self.series = group_series(self.rows)
        self.trace = load_trace(folder)
        self.model = load_model(folder)
        self.palette = Palette(self.modes)
        self.style = series_styles(self.palette, self.series)
        # model.csv has one curve per (mode, T, N, payload): series that differ only in their
        # consumer stack share it, and the first of them (the default stack) draws it.
        self.model_owner = {}
        for s in self.series:
            self.model_owner.setdefault(s.model_key(), s)
        rates = [r for s in self.series for r in s.rates if r > 0]
        self.rate_range = (min(rates), max(rates)) if rates else None

    def draws_model(self, s):
        """Whether this series draws its model curve (one line per model.csv curve)."""
        return self.model_owner.get(s.model_key()) is s and self.curve(s) is not None

    def curve(self, s):
        """The series' model curve from model.csv, or None."""
        return (self.model or {}).get(s.model_key())

    def model_note(self):
        """Said in a caption that would have drawn a model line."""
        if self.model is None:
            return "No model line: the results folder has no model.csv."
        missing = [s.label() for s in self.series if self.curve(s) is None]
        if missing:
            return "No model line for " + ", ".join(missing) + " (not in model.csv)."
        return ""

    def subtitle(self, series=None):
        """How the points were made, and where: across how many consumer hosts when the sweep
        ran through the playbook (runs.csv's hosts column)."""
        phrase = repeats_phrase(series if series is not None else self.series)
        where = hosts_phrase(self.rows)
        return f"{phrase}; {where}" if phrase and where else phrase or where

    def push_baseline(self, pull_series):
        return push_baseline(self.series, pull_series)
