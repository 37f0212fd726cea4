"""The runs of runs.csv grouped as the charts and the report see them: a series per mode, poll
interval, stack, knobs and varying axis, its points keyed by event rate, a metric over a point's
repeats (median and spread, thin and saturated points apart), the push baseline of a pull series,
and where two series' curves cross.
"""

import math
import statistics

from .fmt import fmt_number
from .runs_csv import DEFAULT_STACK, is_finite, ok_runs


# A point is "thin" when its repeats rest on too few samples to say anything (docs/DESIGN.md).
THIN_LATENCY_COUNT = 10  # latency samples in a run
THIN_POLLS = 20          # polls behind an empty-poll fraction

# Columns whose single-run uncertainty the harness writes as a 95% CI: used for the error bar
# when a point has only one repeat.
CI_COLUMNS = {
    "latency_mean_us": ("latency_mean_ci95_lo_us", "latency_mean_ci95_hi_us"),
    "empty_poll_fraction": ("empty_poll_fraction_ci95_lo", "empty_poll_fraction_ci95_hi"),
}


class Agg:
    """A metric over the repeats of one point: median, the min-max spread over repeats (or the
    run's own 95% CI when there is a single repeat and the harness wrote one), never a mean of
    percentiles. err is "min-max", "ci95" or None (one run, nothing to show a spread with)."""

    def __init__(self, values, rows=(), ci=None):
        self.values = sorted(values)
        self.k = len(self.values)
        self.median = statistics.median(self.values)
        self.lo = self.values[0]
        self.hi = self.values[-1]
        self.err = "min-max" if self.k > 1 else None
        if self.k == 1 and ci is not None:
            self.lo, self.hi = min(ci[0], self.median), max(ci[1], self.median)
            self.err = "ci95"
        self.rows = list(rows)
        self.saturated = any(r.get("saturated") for r in self.rows)
        self.thin = False


def latency_thin(rows):
    """Any repeat with fewer than THIN_LATENCY_COUNT latency samples."""
    return any((r.get("latency_count") or 0) < THIN_LATENCY_COUNT for r in rows)


def polls_thin(rows):
    """Any pull repeat whose empty-poll fraction rests on fewer than THIN_POLLS polls."""
    return any(r["pull"] and (r.get("polls") or 0) < THIN_POLLS for r in rows)


def thin_for(column, rows):
    """Whether a point is too thin for this column: latency columns need latency samples, the
    empty-poll fraction needs polls, every per-event figure needs delivered events."""
    if column.startswith("empty_poll_fraction"):
        return polls_thin(rows)
    if column.startswith("latency_") or column.endswith("_per_event") or \
            "per_event" in column:
        return latency_thin(rows)
    return False


def aggregate(rows, column, scale=1.0):
    used = [r for r in rows if is_finite(r.get(column))]
    if not used:
        return None
    ci = None
    names = CI_COLUMNS.get(column)
    if len(used) == 1 and names:
        lo, hi = (used[0].get(n) for n in names)
        if is_finite(lo) and is_finite(hi):
            ci = (lo * scale, hi * scale)
    a = Agg([r[column] * scale for r in used], used, ci)
    a.thin = thin_for(column, rows)
    a.saturated = any(r.get("saturated") for r in rows)
    return a


def model_key(mode, interval_ms, subscribers, payload_bytes):
    """The key of a curve in model.csv (which has no stack)."""
    def num(x):
        return None if x is None else float(x)
    return (mode, num(interval_ms), num(subscribers), num(payload_bytes))


def each_point(series):
    """(series, rate, runs) of every point of the series, in order."""
    return [(s, rate, s.points[rate]) for s in series for rate in s.rates]


def point_median(runs, column, scale=1.0):
    """The median over a point's repeats of a column, or None when none has a value."""
    a = aggregate(runs, column, scale)
    return a.median if a else None


class Series:
    """One curve: a mode, its poll interval (pull modes), the consumer's HTTP stack, the mode's
    knobs and whatever other axis varies in the folder (subscribers, payload, arrivals,
    scenario). Points are keyed by event rate."""

    def __init__(self, key, varying, modes):
        self.mode, self.interval_ms, self.stack, self.tuning, extras = key
        self.modes = modes  # the descriptors: order and references
        self.extras = dict(extras)
        self.varying = varying
        self.points = {}  # rate -> [rows]

    @property
    def pull(self):
        return self.interval_ms is not None

    @property
    def rates(self):
        return sorted(self.points)

    def runs(self):
        return [r for rate in self.rates for r in self.points[rate]]

    def agg(self, column, scale=1.0):
        """[(rate, Agg)] for the rates where the column has a value."""
        out = []
        for rate in self.rates:
            a = aggregate(self.points[rate], column, scale)
            if a is not None:
                out.append((rate, a))
        return out

    def realised(self, rate):
        """The median realised rate (events produced / window) of the point asked at `rate`:
        where measured points are drawn and read, since the model is judged there too."""
        got = [r["realised_rate"] for r in self.points.get(rate, [])
               if is_finite(r.get("realised_rate")) and r["realised_rate"] > 0]
        return statistics.median(got) if got else rate

    def median_of(self, column):
        a = aggregate(self.runs(), column)
        return a.median if a else None

    def repeats(self):
        """(fewest, most) runs per point."""
        counts = [len(v) for v in self.points.values()]
        return min(counts), max(counts)

    def saturated_points(self):
        """[(rate, [saturated rows])] of the points where any repeat did not keep up."""
        out = []
        for rate in self.rates:
            bad = [r for r in self.points[rate] if r.get("saturated")]
            if bad:
                out.append((rate, bad))
        return out

    def model_key(self):
        """The key of this series' curve in model.csv (which has no stack: series that differ
        only in their consumer stack share one curve)."""
        return model_key(self.mode, self.interval_ms, self.extras.get("subscribers"),
                         self.extras.get("payload_bytes"))

    def qualifiers(self):
        """What tells this series apart from others of its mode and stack, as short texts:
        ["T=100 ms", "N=4"]. T always (pull), the other axes only when they vary in the
        folder."""
        parts = []
        if self.pull:
            parts.append(f"T={fmt_number(self.interval_ms)} ms")
        names = {"subscribers": "N={}", "payload_bytes": "{} B", "arrivals": "{}",
                 "scenario": "{}"}
        for name, value in self.extras.items():
            if name in self.varying:
                shown = fmt_number(value) if isinstance(value, float) else value
                parts.append(names[name].format(shown))
        if "tuning" in self.varying and self.tuning:
            parts.append(self.tuning)
        return parts

    @property
    def default_stack(self):
        return self.stack == DEFAULT_STACK

    def label(self):
        """The mode, its qualifiers and any other stack: e.g. poll T=100 ms (httplib)."""
        text = " ".join([self.mode] + self.qualifiers())
        return text if self.default_stack else f"{text} ({self.stack})"

    def matches(self, other):
        """Same subscribers, payload, arrivals and scenario: a fair comparison."""
        return self.extras == other.extras

    def sort_key(self):
        return (self.modes.order_key(self.mode), self.interval_ms or 0.0, not self.default_stack,
                self.stack, self.tuning, tuple(str(v) for v in self.extras.values()))


EXTRA_AXES = ("subscribers", "payload_bytes", "arrivals", "scenario")


def push_baseline(series_list, pull_series):
    """The push series a pull series is compared with: the push reference first, on the pull
    series' own consumer stack if there is one, with the same extras."""
    modes = pull_series.modes
    push = [s for s in series_list if not s.pull and s.matches(pull_series)]
    push.sort(key=lambda s: (s.mode != modes.push_reference, s.stack != pull_series.stack,
                             not s.default_stack, modes.order_key(s.mode)))
    return push[0] if push else None


def reference_pull(series_list):
    """The pull series the headline compares: the pull reference on the default stack when the
    folder has it, else every pull series."""
    pull = [s for s in series_list if s.pull]
    plain = [s for s in pull if s.mode == s.modes.pull_reference and s.default_stack]
    return plain or pull


def mode_name(s):
    """The series' mode and, when not the default, its stack: e.g. poll, webhook (httplib)."""
    return s.mode if s.default_stack else f"{s.mode} ({s.stack})"


def medians(series, column):
    """{rate: median over repeats} of a column."""
    return {rate: a.median for rate, a in series.agg(column)}


def base_rtt_rows(rows):
    """The successful rows at the folder's smallest round trip (loopback when it has any): the
    rows every chart over the event rate draws. Points through a longer link (a scenario's rtt
    block) are another axis, drawn by rtt_ratios()."""
    rows = ok_runs(rows)
    if not rows:
        return rows
    base = min(r["rtt_ms"] for r in rows)
    return [r for r in rows if r["rtt_ms"] == base]


def rtt_ratios(rows):
    """The push/poll latency ratio against the round trip, from the successful default-stack rows
    (Runs) measured at two or more round trips, poll being the pull reference: one entry per
    (push mode, poll interval), each at the rate with the most round trips (the lowest on a tie):
    {"push", "interval_ms", "rate", "points": [(rtt_ms, ratio, push_mean_us, pull_mean_us,
    model_ratio or None)]}, ratio = median push mean latency / median poll mean latency."""
    modes = rows.modes
    pull_mode = modes.pull_reference
    rows = [r for r in ok_runs(rows) if r["consumer_stack"] == DEFAULT_STACK]
    cells = {}
    for r in rows:
        if is_finite(r.get("latency_mean_us")):
            cells.setdefault((r["mode"], r["interval_ms"], r["rate"], r["rtt_ms"]), []).append(r)

    def med(key, column):
        values = [r[column] for r in cells.get(key, []) if is_finite(r.get(column))]
        return statistics.median(values) if values else None

    out = []
    push_modes = sorted({k[0] for k in cells if k[1] is None}, key=modes.order_key)
    intervals = sorted({k[1] for k in cells if k[0] == pull_mode and k[1] is not None})
    for push in push_modes:
        for t in intervals:
            by_rate = {}
            for (mode, interval, rate, rtt) in cells:
                if mode == push and (pull_mode, t, rate, rtt) in cells:
                    by_rate.setdefault(rate, set()).add(rtt)
            rates = [r for r, rtts in by_rate.items() if len(rtts) >= 2]
            if not rates:
                continue
            rate = min(rates, key=lambda r: (-len(by_rate[r]), r))
            points = []
            for rtt in sorted(by_rate[rate]):
                a, b = med((push, None, rate, rtt), "latency_mean_us"), \
                    med((pull_mode, t, rate, rtt), "latency_mean_us")
                if a is None or not b:
                    continue
                ma = med((push, None, rate, rtt), "model_latency_mean_us")
                mb = med((pull_mode, t, rate, rtt), "model_latency_mean_us")
                points.append((rtt, a / b, a, b, ma / mb if ma and mb else None))
            if len(points) >= 2:
                out.append({"push": push, "interval_ms": t, "rate": rate, "points": points})
    return out


def group_series(rows):
    """The successful rows (Runs) at the base round trip (base_rtt_rows) as Series, in display
    order."""
    modes = rows.modes
    rows = base_rtt_rows(rows)
    varying = {axis for axis in EXTRA_AXES if len({r[axis] for r in rows}) > 1}
    # A mode's knobs vary only if one mode ran with two settings (modes differ in knobs anyway).
    knobs = {}
    for r in rows:
        knobs.setdefault(r["mode"], set()).add(r["tuning"])
    if any(len(k) > 1 for k in knobs.values()):
        varying.add("tuning")
    series = {}
    for r in rows:
        extras = tuple((axis, r[axis]) for axis in EXTRA_AXES)
        key = (r["mode"], r["interval_ms"], r["consumer_stack"], r["tuning"], extras)
        s = series.get(key)
        if s is None:
            s = series[key] = Series(key, varying, modes)
        s.points.setdefault(r["rate"], []).append(r)
    return sorted(series.values(), key=Series.sort_key)


def repeats_phrase(series_list):
    """'median of 2 runs' (or '1-3 runs'): said on every chart that aggregates repeats."""
    counts = [c for s in series_list for c in s.repeats()]
    if not counts:
        return ""
    lo, hi = min(counts), max(counts)
    if hi == 1:
        return ("one run per point, at its realised rate; bars: the run's 95% CI where it has "
                "one")
    runs = f"{lo}-{hi}" if lo != hi else f"{hi}"
    return (f"median of {runs} runs per point, at their realised rate; bars: min-max over the "
            "repeats")


def crossings(a, b):
    """Where curve a crosses curve b: a and b are {rate: value > 0}; only common rates count.
    Returns [(rate, a_cheaper_above)], the rate interpolated linearly in log(rate) on
    log(a/b); a_cheaper_above is True when a drops below b as the rate rises."""
    rates = sorted(r for r in a if r in b and a[r] > 0 and b[r] > 0 and r > 0)
    d = [math.log(a[r] / b[r]) for r in rates]
    out = []
    for i in range(len(rates) - 1):
        above_now, above_next = d[i] > 0, d[i + 1] > 0
        if above_now == above_next:
            continue
        x0, x1 = math.log(rates[i]), math.log(rates[i + 1])
        f = d[i] / (d[i] - d[i + 1])
        out.append((math.exp(x0 + f * (x1 - x0)), above_now))
    return out


def realised_medians(series, column):
    """{median realised rate: median over repeats} of a column: each point placed at the rate
    its runs actually got (events produced / window), not the one asked for. A Poisson window
    gets more or fewer events than asked, and a crossing read at the asked rates would report
    that luck as a shift of the crossover."""
    return {series.realised(rate): a.median for rate, a in series.agg(column)}


def measured_crossings(series, base, column):
    """Where two series' measured medians cross, each point at its realised rate: the curves are
    read in log-log at every x of either (within their common span). [(rate, a_cheaper_above)]."""
    a, b = realised_medians(series, column), realised_medians(base, column)
    a = {x: v for x, v in a.items() if v > 0}
    b = {x: v for x, v in b.items() if v > 0}
    if len(a) < 2 or len(b) < 2:
        return []
    lo, hi = max(min(a), min(b)), min(max(a), max(b))
    xs = sorted(x for x in set(a) | set(b) if lo <= x <= hi)
    ya = {x: interp_loglog(a, x) for x in xs}
    yb = {x: interp_loglog(b, x) for x in xs}
    return crossings(ya, yb)


def interp_loglog(points, x):
    """points {x: y > 0} read at x, linearly in log-log between the nearest two (clamped)."""
    xs = sorted(k for k in points if k > 0 and points[k] > 0)
    if not xs:
        return None
    if x <= xs[0]:
        return points[xs[0]]
    if x >= xs[-1]:
        return points[xs[-1]]
    for x0, x1 in zip(xs, xs[1:]):
        if x0 <= x <= x1:
            f = math.log(x / x0) / math.log(x1 / x0)
            return math.exp(math.log(points[x0]) + f * math.log(points[x1] / points[x0]))
    return None
