"""The folder's points at every round trip it measured (a scenario's rtt block), not only the
base one the charts over the event rate draw: the tables, the saturated points and the warnings
all count from these lists, so a summary and the warnings below it cannot disagree.
"""

from ..fmt import fmt
from ..runs_csv import ok_runs, Runs
from ..series import group_series
from .words import series_name


class RttSeries:
    """[(rtt_ms, [Series])], smallest round trip first; multi when there is more than one."""

    def __init__(self, rows):
        rtts = sorted({r["rtt_ms"] for r in ok_runs(rows)})
        self.groups = [
            (rtt, group_series(Runs([r for r in rows if r["rtt_ms"] == rtt], rows.modes)))
            for rtt in rtts]
        self.multi = len(self.groups) > 1

    def rtts(self):
        return [rtt for rtt, _ in self.groups]

    def points(self):
        """[(rtt_ms, series, rate, runs)] of every point at every round trip."""
        return [(rtt, s, rate, s.points[rate]) for rtt, series in self.groups
                for s in series for rate in s.rates]

    def base_note(self):
        """(heading suffix, sentence) for the sections that show the base round trip only, in a
        folder that measured several; ("", "") otherwise."""
        if not self.multi:
            return "", ""
        base, others = self.rtts()[0], self.rtts()[1:]
        where = "loopback" if base == 0 else f"a {fmt(base)} ms round trip"
        return (f" ({where})",
                f"On {where} only: this folder also measured round trips of "
                f"{', '.join(fmt(r) for r in others)} ms, whose points are in the tables per mode "
                "and the round-trip charts.")

    def name(self, rtt, s, rate=None):
        """A point (or a series) in prose, its round trip said when the folder has several."""
        text = series_name(s)
        if rate is not None:
            text += f" at {fmt(rate)} events/s"
        if self.multi:
            text += " on loopback" if rtt == 0 else f" through a {fmt(rtt)} ms round trip"
        return text

    def saturated(self):
        """[(rtt_ms, series, rate, [saturated runs], [runs])]: the points where any repeat did
        not keep up. Both the Saturated points section and the warnings count these."""
        return [(rtt, s, rate, [r for r in runs if r.get("saturated")], runs)
                for rtt, s, rate, runs in self.points() if any(r.get("saturated") for r in runs)]
