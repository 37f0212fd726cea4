"""Who wins, point by point: the pull reference against its push baseline at every common rate,
per resource (latency, requests, bytes, net CPU), from the medians over each point's repeats;
and the λT ranges over which the same side wins the same resources. "The answer" and its table
are written from these, and the consistency test reads them back against runs.csv.
"""

from ..fmt import fmt
from ..series import aggregate, push_baseline, reference_pull

# (runs.csv column, short name, what the winner did, in a sentence)
RESOURCES = (
    ("latency_p50_us", "latency", "had the lower p50 latency"),
    ("requests_per_event", "requests", "fewer requests"),
    ("bytes_per_event", "bytes", "fewer bytes"),
    ("cpu_us_per_event_net_total", "net CPU", "less net CPU"),
)
PULL, PUSH, TIE, SPLIT = "pull", "push", "tie", "split"


class Verdict:
    """One point: a pull series and its push baseline at one rate. wins[column] is
    (side, clear, pull median, push median), side PULL, PUSH, TIE or None (not measured on both);
    clear when both have two or more repeats and their min-max ranges do not overlap."""

    def __init__(self, pull, push, rate):
        self.pull, self.push, self.rate = pull, push, rate
        self.lambda_t = rate * pull.interval_ms / 1000.0
        self.wins = {}
        for column, _, _ in RESOURCES:
            a = aggregate(pull.points[rate], column)
            b = aggregate(push.points[rate], column)
            if a is None or b is None:
                self.wins[column] = (None, False, None, None)
                continue
            side = PULL if a.median < b.median else PUSH if b.median < a.median else TIE
            clear = a.k > 1 and b.k > 1 and (a.hi < b.lo or b.hi < a.lo)
            self.wins[column] = (side, clear, a.median, b.median)

    def winner(self, column):
        """The winning series' mode name, "tie" or None."""
        side = self.wins[column][0]
        return {PULL: self.pull.mode, PUSH: self.push.mode, TIE: TIE}.get(side)

    def signature(self):
        return tuple(self.wins[c][0] for c, _, _ in RESOURCES)


def point_verdicts(series):
    """[Verdict] of every common rate of every pull reference series and its push baseline,
    sorted by λT (then T and the series' other axes)."""
    out = []
    for s in reference_pull(series):
        base = push_baseline(series, s)
        if base is None:
            continue
        for rate in s.rates:
            if rate in base.points:
                out.append(Verdict(s, base, rate))
    out.sort(key=lambda v: (v.lambda_t, v.pull.sort_key()))
    return out


def group_signature(group):
    """Per resource, the side that won it at every point of the group, or SPLIT."""
    out = []
    for column, _, _ in RESOURCES:
        sides = {v.wins[column][0] for v in group}
        out.append(sides.pop() if len(sides) == 1 else SPLIT)
    return tuple(out)


def lambda_t_ranges(verdicts):
    """[[Verdict]]: the points at one printed λT (several poll intervals can give the same λT)
    form one step, whose resources another T may split; consecutive steps (in λT order) where
    the same side wins the same resources, or the same ones are split, form a range. So no λT
    appears in two ranges."""
    steps = []
    for v in verdicts:
        if steps and fmt(steps[-1][-1].lambda_t) == fmt(v.lambda_t):
            steps[-1].append(v)
        else:
            steps.append([v])
    groups = []
    for step in steps:
        if groups and group_signature(groups[-1]) == group_signature(step) and \
                SPLIT not in group_signature(step):
            groups[-1].extend(step)
        else:
            groups.append(list(step))
    return groups
