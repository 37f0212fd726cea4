"""The runs of runs.csv grouped as the charts and the report see them: a series per mode, poll
interval, stack, knobs and varying axis, its points keyed by event rate, a metric over a point's
repeats (the point's estimate and its 95% interval from the repeats, thin and saturated points
apart), the model against a point's interval, the push baseline of a pull series, and where two
series' curves cross.
"""

import math
import statistics

from .fmt import fmt_number
from .runs_csv import DEFAULT_STACK, is_finite, ok_runs


# A point is "thin" when its repeats rest on too few samples to say anything (docs/DESIGN.md).
THIN_LATENCY_COUNT = 10  # latency samples in a run
THIN_POLLS = 20          # polls behind an empty-poll fraction

# Order statistics of a run (percentiles, a maximum, a median round trip): never averaged across
# runs (docs/DESIGN.md). A point shows their median over its repeats with the repeats' min–max.
# Every other column is a run's mean or ratio, and a point's estimate of it is the mean of its
# repeats' values with a Student-t 95% interval over them.
ORDER_STATISTIC_COLUMNS = frozenset({
    "latency_p50_us", "latency_p90_us", "latency_p99_us", "latency_p999_us", "latency_max_us",
    "generator_lag_p99_us", "rtt_us", "model_rtt_us", "link_rtt_measured_us",
    "fault_delay_p99_us", "fault_delay_max_us"})

# Fractions (of polls): a point's interval stays within [0, 1].
FRACTION_COLUMNS = frozenset({"empty_poll_fraction", "model_empty_poll_fraction"})

# The 0.975 quantile of Student's t with 1..30 degrees of freedom.
_T975 = (12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004,
         2.262157, 2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905,
         2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899,
         2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272)


def t975(df):
    """Student's t 0.975 quantile for df >= 1 degrees of freedom (a table to 30, then the
    Cornish-Fisher expansion around the normal's 1.959964, within 1e-4)."""
    if df < 1:
        raise ValueError("a t quantile needs at least 1 degree of freedom")
    if df <= len(_T975):
        return _T975[int(df) - 1]
    z = 1.959963985
    return (z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2)
            + (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / (384 * df ** 3))


def t_interval(values):
    """(mean, lo, hi): the 95% Student-t interval of the mean of `values` (the repeats' values
    of one point), mean ± t(0.975, k−1)·s/√k; lo and hi are None with fewer than two values,
    since one value says nothing of the spread."""
    values = list(values)
    if not values:
        raise ValueError("t_interval of no values")
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, None, None
    half = t975(len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
    return mean, mean - half, mean + half


class Agg:
    """A metric over the repeats of one point. estimate is the point's value: the mean of the
    repeats' values, with lo–hi their 95% t-interval (err "t95"); for an order statistic
    (ORDER_STATISTIC_COLUMNS) the median of the repeats with their min–max (err "min-max").
    With one repeat there is no interval: lo = hi = estimate, err None, no_interval True (a
    run's own CI assumes independent samples and understates the spread between runs, so it
    stays in the run's file and is never shown as the point's interval)."""

    def __init__(self, values, rows=(), order_statistic=False, upper=None):
        self.values = sorted(values)
        self.k = len(self.values)
        self.order_statistic = order_statistic
        self.mean = statistics.fmean(self.values)
        self.middle = statistics.median(self.values)
        self.err = None
        self.lo = self.hi = None
        if order_statistic:
            self.estimate = self.middle
            if self.k > 1:
                self.lo, self.hi, self.err = self.values[0], self.values[-1], "min-max"
        else:
            self.estimate, self.lo, self.hi = t_interval(self.values)
            if self.lo is not None:
                self.err = "t95"
                # Clipped to the quantity's range: a count or a cost is never below 0, a
                # fraction never above 1.
                if self.values[0] >= 0:
                    self.lo = max(self.lo, 0.0)
                if upper is not None:
                    self.hi = min(self.hi, upper)
        self.no_interval = self.err is None
        if self.no_interval:
            self.lo = self.hi = self.estimate
        self.rows = list(rows)
        self.saturated = any(r.get("saturated") for r in self.rows)
        self.thin = False

    @classmethod
    def median_and_range(cls, values, rows=()):
        """The median of the values with their min–max, whatever the column: for the readers
        whose words still say so (the security runs), until they move to the t-interval."""
        return cls(values, rows, order_statistic=True)

    @property
    def median(self):
        """The point's estimate, under the name the callers written before repeat-based
        intervals use (a mean for mean columns; see estimate)."""
        return self.estimate

    def contains(self, x):
        """Whether x lies inside the point's interval (False without one)."""
        return not self.no_interval and self.lo <= x <= self.hi


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
    """The point's Agg of a column over its runs (None when no run has a value). A run that
    produced no event is a failed run (runs_csv) and never reaches here."""
    used = [r for r in rows if is_finite(r.get(column))]
    if not used:
        return None
    a = Agg([r[column] * scale for r in used], used,
            order_statistic=column in ORDER_STATISTIC_COLUMNS,
            upper=scale if column in FRACTION_COLUMNS else None)
    a.thin = thin_for(column, rows)
    a.saturated = any(r.get("saturated") for r in rows)
    return a


class ModelCheck:
    """The model against one point: the measured estimate and its interval over the repeats
    (Agg), the model's value at the point (the mean over the repeats of the model evaluated at
    each run's realised rate and round trip), and the verdict: "within" the point's interval,
    "above" or "below" it, or "no interval" (one repeat). error is (measured − model) / model
    (a fraction; for a difference-scaled quantity see difference), from the values as
    printed with `digits` significant digits, so that a table's row reconciles. `tolerance`
    (in printed units) is the resolution below which a miss is no miss: the model's 0.002%
    empty polls against a point whose every repeat had none."""

    def __init__(self, measured, model, scale=1.0, digits=3, tolerance=0.0):
        self.measured = measured
        self.model = model
        self.scale = scale
        shown = float(fmt_number(measured.estimate * scale, digits))
        modelled = float(fmt_number(model * scale, digits))
        self.measured_shown, self.model_shown = shown, modelled
        self.error = (shown - modelled) / modelled if modelled else None
        self.difference = shown - modelled
        if measured.no_interval:
            self.verdict = "no interval"
        elif measured.lo <= model <= measured.hi or abs(self.difference) < tolerance:
            self.verdict = "within"
        else:
            self.verdict = "above" if model > measured.hi else "below"

    @property
    def judged(self):
        return self.verdict != "no interval"

    @property
    def within(self):
        return self.verdict == "within"


def model_check(rows, column, model_column, scale=1.0, digits=3, tolerance=0.0):
    """ModelCheck of a point's runs for a measured column and its model column, or None when
    either has no value in any repeat. The model is compared per point, always against the
    point's own repeat-based estimate and interval."""
    measured = aggregate(rows, column)
    model = aggregate(rows, model_column)
    if measured is None or model is None:
        return None
    return ModelCheck(measured, model.mean, scale, digits, tolerance)


def model_key(mode, interval_ms, subscribers, payload_bytes):
    """The key of a curve in model.csv (which has no stack)."""
    def num(x):
        return None if x is None else float(x)
    return (mode, num(interval_ms), num(subscribers), num(payload_bytes))


def each_point(series):
    """(series, rate, runs) of every point of the series, in order."""
    return [(s, rate, s.points[rate]) for s in series for rate in s.rates]


def point_estimate(runs, column, scale=1.0):
    """The point's estimate of a column over its repeats (Agg.estimate), or None when none has
    a value."""
    a = aggregate(runs, column, scale)
    return a.estimate if a else None


point_median = point_estimate  # the name older callers use


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
        self.failed = {}  # rate -> [rows of repeats that failed or produced no event]

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
        """The mean realised rate (events produced / window) over the repeats of the point
        asked at `rate`: where measured points are drawn and read, since the model is judged
        there too."""
        got = [r["realised_rate"] for r in self.points.get(rate, [])
               if is_finite(r.get("realised_rate")) and r["realised_rate"] > 0]
        return statistics.fmean(got) if got else rate

    def median_of(self, column):
        """The estimate of a column over every run of the series."""
        a = aggregate(self.runs(), column)
        return a.estimate if a else None

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

    def other_qualifiers(self):
        """The qualifiers other than T, for prose: ["N = 4"]."""
        return [q.replace("=", " = ") for q in self.qualifiers() if not q.startswith("T=")]

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


def estimates(series, column):
    """{rate: the point's estimate over its repeats} of a column."""
    return {rate: a.estimate for rate, a in series.agg(column)}


medians = estimates  # the name older callers use


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
    model_ratio or None)]}, ratio = push mean latency / poll mean latency, each the point's
    estimate over its repeats."""
    modes = rows.modes
    pull_mode = modes.pull_reference
    rows = [r for r in ok_runs(rows) if r["consumer_stack"] == DEFAULT_STACK]
    cells = {}
    for r in rows:
        if is_finite(r.get("latency_mean_us")):
            cells.setdefault((r["mode"], r["interval_ms"], r["rate"], r["rtt_ms"]), []).append(r)

    def med(key, column):
        a = aggregate(cells.get(key, []), column)
        return a.estimate if a else None

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
    failed = [r for r in rows if r["failed_run"]]
    rows = base_rtt_rows(rows)
    varying = {axis for axis in EXTRA_AXES if len({r[axis] for r in rows}) > 1}
    # A mode's knobs vary only if one mode ran with two settings at one poll interval (modes
    # differ in knobs anyway, and poll-adaptive's default cap of 8T differs with T).
    knobs = {}
    for r in rows:
        knobs.setdefault((r["mode"], r["interval_ms"], r["consumer_stack"]), set()).add(
            r["tuning"])
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
    # A repeat that failed (or produced no event) is no sample, but its point says so.
    base = min((r["rtt_ms"] for r in rows), default=0.0)
    for r in failed:
        if r["rtt_ms"] != base:
            continue
        for s in series.values():
            if s.mode == r["mode"] and s.interval_ms == r["interval_ms"] and \
                    r["rate"] in s.points and all(s.extras[a] == r[a] for a in EXTRA_AXES):
                s.failed.setdefault(r["rate"], []).append(r)
                break
    return sorted(series.values(), key=Series.sort_key)


def repeats_phrase(series_list, at_rate=True):
    """What a point and its bar are, said on every chart that aggregates repeats: 'mean of 3
    runs per point ... bars: 95% t-interval over the repeats' means ...'. Where the points sit
    is said for a chart over the event rate (at_rate); a chart over another axis (the fan-out
    chart's N) leaves it out."""
    counts = [c for s in series_list for c in s.repeats()]
    if not counts:
        return ""
    lo, hi = min(counts), max(counts)
    if hi == 1:
        return (f"one run per point{', at its realised rate' if at_rate else ''}; no interval "
                "(one repeat: a run's own CI understates the spread between runs)")
    runs = f"{lo}-{hi}" if lo != hi else f"{hi}"
    one = "; points with one run have no interval" if lo == 1 else ""
    return (f"mean of {runs} runs per point{', at their realised rate' if at_rate else ''}; "
            "bars: 95% t-interval over the repeats' means (percentiles: median and min-max "
            f"over the repeats){one}")


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
    """{mean realised rate: the point's estimate} of a column: each point placed at the rate
    its runs actually got (events produced / window), not the one asked for. A Poisson window
    gets more or fewer events than asked, and a crossing read at the asked rates would report
    that luck as a shift of the crossover."""
    return {series.realised(rate): a.estimate for rate, a in series.agg(column)}


def measured_crossings(series, base, column):
    """Where two series' measured estimates cross, each point at its realised rate: the curves are
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
