#!/usr/bin/python3
"""Reading a `hookbench sweep` results folder for scripts/plot.py and scripts/report.py.

DIR/runs.csv (one row per run), DIR/runs/<run_id>.json (each run's full result), DIR/model.csv (the
model's curves), and the optional DIR/max_rate.json and DIR/trace.jsonl are loaded and checked
here, once, so both scripts agree on what a series, a point, a median over repeats, a saturated
point and a thin point are. Anything wrong with the input raises ResultsError with a one-line
message that names the file and what is wrong.
"""

import csv
import json
import math
import os
import re
import statistics

# The runs.csv contract (docs/RESULTS.md); columns appended later are read and ignored.
REQUIRED_COLUMNS = (
    "run_id", "scenario", "mode", "rate", "interval_ms", "subscribers", "payload_bytes",
    "arrivals", "repeat", "seed", "duration_s", "lambda_t", "produced", "expected", "delivered",
    "lost", "duplicates", "reordered", "latency_count", "latency_p50_us", "latency_p90_us",
    "latency_p99_us", "latency_p999_us", "latency_max_us", "latency_mean_us",
    "latency_low_sample", "requests_total", "polls", "empty_polls", "late_polls",
    "webhook_posts", "failed", "requests_per_event", "empty_poll_fraction", "bytes_sent",
    "bytes_received", "bytes_per_event", "cpu_s_producer", "cpu_s_consumer",
    "cpu_us_per_event_producer", "cpu_us_per_event_consumer", "rtt_us",
    "model_latency_mean_us", "model_requests_per_event", "model_empty_poll_fraction",
    "min_reached", "note", "result_file",
    # Appended by issue 7: statistics, saturation, accounting by event, the model at the
    # realised rate and the clocks.
    "realised_rate", "latency_mean_ci95_lo_us", "latency_mean_ci95_hi_us",
    "empty_poll_fraction_ci95_lo", "empty_poll_fraction_ci95_hi", "requests_per_s",
    "cpu_cores_producer", "cpu_cores_consumer", "cpu_idle_cores_producer",
    "cpu_idle_cores_consumer", "cpu_us_per_event_net_producer", "cpu_us_per_event_net_consumer",
    "generator_lag_p99_us", "queue_depth_end", "drain_time_s", "saturated", "saturated_reason",
    "model_rtt_us", "model_lambda_t", "model_requests_per_s", "model_bytes_per_event",
    "model_latency_agreement", "model_latency_ratio", "model_empty_agreement",
    "clock_offset_us", "clock_error_bound_us",
)
# Appended after clock_error_bound_us: the consumer's HTTP stack, the mode's knobs
# ("key=value;..." from config.tuning) and the requests by kind ("kind=count;..."). A file
# without them was written before they existed: every run was on the default stack, knobs and
# kinds unknown, so they are read with these defaults rather than rejected.
DEFAULT_STACK = "beast"
LATER_COLUMNS = {"consumer_stack": DEFAULT_STACK, "tuning": "", "requests_by_kind": ""}
# The first 48 columns, as the first sweep wrote them; a file with only those is from an older
# hookbench, which measured one run per point without intervals or saturation.
LEGACY_COLUMNS = REQUIRED_COLUMNS[:48]
FIRST_NEW_COLUMN = "realised_rate"
TEXT_COLUMNS = frozenset({"run_id", "scenario", "mode", "arrivals", "latency_low_sample",
                          "min_reached", "note", "result_file", "saturated", "saturated_reason",
                          "model_latency_agreement", "model_empty_agreement",
                          "consumer_stack", "tuning", "requests_by_kind"})
AGREEMENTS = ("within", "above", "below", "")
# Columns that must be present even in a failed run's row: they say which point it was.
POINT_COLUMNS = ("run_id", "mode", "rate")

# Display order of the delivery modes (`hookbench modes`): the pull modes paced by a poll
# interval T, then the ones that are not; any other mode sorts after them by name.
KNOWN_MODES = ("poll", "poll-conditional", "poll-adaptive", "long-poll", "sse", "websocket",
               "webhook", "webhook-batch")
# Percentile names as the harness writes them in latency_low_sample, and how people read them.
PERCENTILE_NAMES = {"p50": "p50", "p90": "p90", "p99": "p99", "p999": "p99.9", "max": "max"}


class ResultsError(Exception):
    """Input that cannot be used; str() is a one-line message for the user."""


def _parse_number(text, column, line_no):
    try:
        value = float(text)
    except ValueError:
        raise ResultsError(f"runs.csv line {line_no}: column {column}: {text!r} is not a number")
    if math.isnan(value):
        return None
    return value


def parse_key_values(text, column="", line_no=0, number=False):
    """"a=1;b=2" (the tuning and requests_by_kind cells) as {"a": "1", "b": "2"}, values as
    floats when number is set; "" is {}."""
    out = {}
    for item in filter(None, (part.strip() for part in text.split(";"))):
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise ResultsError(f"runs.csv line {line_no}: column {column}: {item!r} is not "
                               "key=value")
        value = value.strip()
        out[key.strip()] = _parse_number(value, column, line_no) if number else value
    return out


def _parse_row(raw, line_no):
    row = dict(LATER_COLUMNS)
    for column, text in raw.items():
        if column is None:  # more cells than header columns
            raise ResultsError(f"runs.csv line {line_no}: more cells than header columns")
        text = "" if text is None else text.strip()
        if column in LATER_COLUMNS and text == "":
            continue  # a failed run's row: the default
        if column in TEXT_COLUMNS or column not in REQUIRED_COLUMNS:
            row[column] = text
        elif text == "":
            row[column] = None
        else:
            row[column] = _parse_number(text, column, line_no)
    for column in POINT_COLUMNS:
        if row.get(column) in (None, ""):
            raise ResultsError(f"runs.csv line {line_no}: column {column} is empty")
    if not row["rate"] > 0:
        raise ResultsError(f"runs.csv line {line_no}: rate must be > 0 events/s")
    row["failed_run"] = row["note"].startswith("failed:")
    if row["saturated"] not in ("", "true", "false"):
        raise ResultsError(f"runs.csv line {line_no}: column saturated: {row['saturated']!r} is "
                           "not true or false")
    row["saturated"] = row["saturated"] == "true"
    for column in ("model_latency_agreement", "model_empty_agreement"):
        if row[column] not in AGREEMENTS:
            raise ResultsError(f"runs.csv line {line_no}: column {column}: {row[column]!r} is "
                               "not within, above, below or empty")
    # Derived: what both sides together spent per delivered event.
    cpu = (row.get("cpu_us_per_event_producer"), row.get("cpu_us_per_event_consumer"))
    row["cpu_us_per_event_total"] = sum(cpu) if all(is_finite(c) for c in cpu) else None
    net = (row.get("cpu_us_per_event_net_producer"), row.get("cpu_us_per_event_net_consumer"))
    row["cpu_us_per_event_net_total"] = sum(net) if all(is_finite(c) for c in net) else None
    # Pull modes have a poll interval; push modes leave interval_ms and lambda_t empty.
    row["pull"] = row["interval_ms"] is not None
    row["tuning_values"] = parse_key_values(row["tuning"], "tuning", line_no)
    row["requests_by_kind_counts"] = parse_key_values(row["requests_by_kind"],
                                                      "requests_by_kind", line_no, number=True)
    # Appended by issue 10: the emulated link's round trip (0 or absent: loopback) and the one
    # measured through it before the window.
    for column, default in (("rtt_ms", 0.0), ("link_rtt_measured_us", None)):
        text = (raw.get(column) or "").strip()
        row[column] = _parse_number(text, column, line_no) if text else default
    row["line"] = line_no
    return row


def load_runs(folder):
    """All rows of DIR/runs.csv, numbers parsed (empty cell -> None), in file order."""
    if not os.path.isdir(folder):
        raise ResultsError(f"{folder}: no such results folder")
    path = os.path.join(folder, "runs.csv")
    if not os.path.isfile(path):
        raise ResultsError(f"{path}: missing (run `hookbench sweep SCENARIO --out {folder}` first)")
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            header = reader.fieldnames
            if not header:
                raise ResultsError(f"{path}: empty file, no header")
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing and all(c in header for c in LEGACY_COLUMNS) and \
                    FIRST_NEW_COLUMN in missing:
                raise ResultsError(f"{path}: written by an older hookbench (no {FIRST_NEW_COLUMN} "
                                   "and the other statistics columns): run the sweep again")
            if missing:
                shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
                raise ResultsError(f"{path}: not a hookbench runs.csv: missing column"
                                   f"{'s' if len(missing) > 1 else ''} {shown}")
            rows = []
            for raw in reader:
                if not any((v or "").strip() for v in raw.values() if isinstance(v, str)):
                    continue  # blank line
                rows.append(_parse_row(raw, reader.line_num))
    except UnicodeDecodeError:
        raise ResultsError(f"{path}: not a text file (invalid UTF-8)")
    except csv.Error as e:
        raise ResultsError(f"{path}: malformed CSV: {e}")
    if not rows:
        raise ResultsError(f"{path}: has a header but no runs")
    return rows


def ok_runs(rows):
    """The rows that carry measurements (not 'failed:')."""
    return [r for r in rows if not r["failed_run"]]


def mode_order(mode):
    return (KNOWN_MODES.index(mode), "") if mode in KNOWN_MODES else (len(KNOWN_MODES), mode)


def is_finite(x):
    return x is not None and math.isfinite(x)


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


class Series:
    """One curve: a mode, its poll interval (pull modes), the consumer's HTTP stack, the mode's
    knobs and whatever other axis varies in the folder (subscribers, payload, arrivals,
    scenario). Points are keyed by event rate."""

    def __init__(self, key, varying):
        self.mode, self.interval_ms, self.stack, self.tuning, extras = key
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
        """'poll T=100 ms', 'webhook', 'webhook (httplib)', 'poll T=100 ms (httplib)'."""
        text = " ".join([self.mode] + self.qualifiers())
        return text if self.default_stack else f"{text} ({self.stack})"

    def matches(self, other):
        """Same subscribers, payload, arrivals and scenario: a fair comparison."""
        return self.extras == other.extras

    def sort_key(self):
        return (mode_order(self.mode), self.interval_ms or 0.0, not self.default_stack,
                self.stack, self.tuning, tuple(str(v) for v in self.extras.values()))


EXTRA_AXES = ("subscribers", "payload_bytes", "arrivals", "scenario")


def push_baseline(series_list, pull_series):
    """The push series a pull series is compared with: webhook first, on the pull series' own
    consumer stack if there is one, with the same extras."""
    push = [s for s in series_list if not s.pull and s.matches(pull_series)]
    push.sort(key=lambda s: (s.mode != "webhook", s.stack != pull_series.stack,
                             not s.default_stack, mode_order(s.mode)))
    return push[0] if push else None


def reference_pull(series_list):
    """The pull series the headline compares: plain poll on the default stack when the folder
    has it, else every pull series."""
    pull = [s for s in series_list if s.pull]
    plain = [s for s in pull if s.mode == "poll" and s.default_stack]
    return plain or pull


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


def rtt_ratios(rows, pull_mode="poll"):
    """The push/poll latency ratio against the round trip, from the successful default-stack rows
    measured at two or more round trips: one entry per (push mode, poll interval), each at the
    rate with the most round trips (the lowest on a tie):
    {"push", "interval_ms", "rate", "points": [(rtt_ms, ratio, push_mean_us, pull_mean_us,
    model_ratio or None)]}, ratio = median push mean latency / median poll mean latency."""
    rows = [r for r in ok_runs(rows) if r["consumer_stack"] == DEFAULT_STACK]
    cells = {}
    for r in rows:
        if is_finite(r.get("latency_mean_us")):
            cells.setdefault((r["mode"], r["interval_ms"], r["rate"], r["rtt_ms"]), []).append(r)

    def med(key, column):
        values = [r[column] for r in cells.get(key, []) if is_finite(r.get(column))]
        return statistics.median(values) if values else None

    out = []
    push_modes = sorted({k[0] for k in cells if k[1] is None}, key=mode_order)
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
    """The successful rows at the base round trip (base_rtt_rows) as Series, in display order."""
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
            s = series[key] = Series(key, varying)
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


# --- DIR/model.csv: the model's dense curves, written by the sweep (docs/RESULTS.md) ------------

MODEL_COLUMNS = ("mode", "interval_ms", "subscribers", "payload_bytes", "rtt_us", "rate",
                 "lambda_t", "latency_mean_us", "requests_per_s", "requests_per_event",
                 "empty_poll_fraction", "bytes_per_event")


def model_key(mode, interval_ms, subscribers, payload_bytes):
    def num(x):
        return None if x is None else float(x)
    return (mode, num(interval_ms), num(subscribers), num(payload_bytes))


class ModelCurve:
    """One series of model.csv: the model's values at a dense set of rates, sorted by rate."""

    def __init__(self, key):
        self.key = key
        self.rows = []

    def column(self, name):
        """(rates, values) where the column has a value."""
        pts = [(r["rate"], r[name]) for r in self.rows if is_finite(r.get(name))]
        return [p[0] for p in pts], [p[1] for p in pts]

    def as_dict(self, name):
        return dict(zip(*self.column(name)))

    def at(self, name, rate):
        """The column read at a rate, log-log between the two nearest model rates (the curve is
        dense, so this is reading the drawn line, not a formula)."""
        return interp_loglog(self.as_dict(name), rate)

    def rtt_us(self):
        values = [r["rtt_us"] for r in self.rows if is_finite(r.get("rtt_us"))]
        return statistics.median(values) if values else None


def load_model(folder):
    """{model key: ModelCurve} from DIR/model.csv, or None when the sweep wrote none."""
    path = os.path.join(folder, "model.csv")
    if not os.path.isfile(path):
        return None
    curves = {}
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            header = reader.fieldnames or []
            missing = [c for c in MODEL_COLUMNS if c not in header]
            if missing:
                raise ResultsError(f"{path}: not a hookbench model.csv: missing column"
                                   f"{'s' if len(missing) > 1 else ''} {', '.join(missing[:5])}")
            for raw in reader:
                if not any((v or "").strip() for v in raw.values() if isinstance(v, str)):
                    continue
                row = {"mode": (raw["mode"] or "").strip()}
                for c in MODEL_COLUMNS[1:]:
                    text = (raw.get(c) or "").strip()
                    try:
                        row[c] = float(text) if text else None
                    except ValueError:
                        raise ResultsError(f"{path} line {reader.line_num}: column {c}: "
                                           f"{text!r} is not a number")
                if not row["mode"] or not is_finite(row["rate"]) or row["rate"] <= 0:
                    raise ResultsError(f"{path} line {reader.line_num}: a row needs a mode and "
                                       "a rate > 0")
                key = model_key(row["mode"], row["interval_ms"], row["subscribers"],
                                row["payload_bytes"])
                curves.setdefault(key, ModelCurve(key)).rows.append(row)
    except UnicodeDecodeError:
        raise ResultsError(f"{path}: not a text file (invalid UTF-8)")
    except csv.Error as e:
        raise ResultsError(f"{path}: malformed CSV: {e}")
    for c in curves.values():
        c.rows.sort(key=lambda r: r["rate"])
    return curves


def read_json(path):
    """A JSON file's value; ResultsError naming the file when it is not JSON."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (ValueError, UnicodeDecodeError) as e:
        raise ResultsError(f"{path}: malformed JSON: {str(e).splitlines()[0]}")


def load_max_rate(folder):
    """DIR/max_rate.json (`hookbench sweep --find-max-rate`: one search per mode, as a list; a
    single object is read as a list of one), or None when absent."""
    path = os.path.join(folder, "max_rate.json")
    if not os.path.isfile(path):
        return None
    data = read_json(path)
    searches = data if isinstance(data, list) else [data]
    for one in searches:
        if not isinstance(one, dict) or "max_sustained_rate" not in one or \
                not isinstance(one.get("tried", []), list):
            raise ResultsError(f"{path}: not a capacity search result (needs max_sustained_rate "
                               "and a tried list)")
    return searches


def result_path(folder, row):
    """Where the run's JSON is: the row's result_file (relative to DIR) or DIR/runs/<id>.json."""
    candidates = []
    if row.get("result_file"):
        candidates.append(os.path.join(folder, row["result_file"]))
    candidates.append(os.path.join(folder, "runs", row["run_id"] + ".json"))
    for c in candidates:
        if os.path.isfile(c):
            return c
    return None


def load_result(folder, row):
    """The run's full result JSON, or None when the file is absent."""
    path = result_path(folder, row)
    if path is None:
        return None
    data = read_json(path)
    if not isinstance(data, dict) or "metrics" not in data:
        raise ResultsError(f"{path}: not a hookbench run result (no metrics)")
    return data


def latency_quantiles(folder, row):
    """([latency_us], [q], exact) for a run's CDF: the JSON's quantiles when present, otherwise
    the percentiles of the JSON or the CSV row (exact=False: an approximate CDF)."""
    result = load_result(folder, row)
    lat = (result or {}).get("metrics", {}).get("latency_us", {})
    quantiles = lat.get("quantiles") if isinstance(lat, dict) else None
    if isinstance(quantiles, list) and len(quantiles) >= 2:
        try:
            pairs = sorted((float(q), float(v)) for q, v in quantiles)
        except (TypeError, ValueError):
            raise ResultsError(f"{result_path(folder, row)}: metrics.latency_us.quantiles is not "
                               "a list of [q, value_us] pairs")
        return [v for _, v in pairs], [q for q, _ in pairs], True
    points = []
    if lat.get("count"):
        points = [(0.0, lat.get("min")), (0.5, lat.get("p50")), (0.9, lat.get("p90")),
                  (0.99, lat.get("p99")), (0.999, lat.get("p999")), (1.0, lat.get("max"))]
    else:
        points = [(0.5, row["latency_p50_us"]), (0.9, row["latency_p90_us"]),
                  (0.99, row["latency_p99_us"]), (0.999, row["latency_p999_us"]),
                  (1.0, row["latency_max_us"])]
    points = [(q, float(v)) for q, v in points if isinstance(v, (int, float)) and v > 0]
    return [v for _, v in points], [q for q, _ in points], False


def environments(folder, rows):
    """[(run_id, environment dict, config dict)] of the runs whose JSON exists."""
    out = []
    for r in ok_runs(rows):
        result = load_result(folder, r)
        if result is not None:
            out.append((r["run_id"], result.get("environment") or {}, result.get("config") or {}))
    return out


class TracePart:
    """One traced run: the header line and its records, sorted by time."""

    def __init__(self, header):
        self.header = header
        self.records = []

    @property
    def mode(self):
        return str(self.header.get("mode", "?"))

    @property
    def interval_ms(self):
        v = self.header.get("interval_ms")
        return float(v) if isinstance(v, (int, float)) and v > 0 else None

    def of_kind(self, kind):
        return [r for r in self.records if r.get("kind") == kind]


TRACE_KINDS = {"created": ("t_ms", "seq"), "poll": ("t_ms", "sent_ms", "events"),
               "webhook_post": ("t_ms", "seq"), "delivered": ("t_ms", "seq", "latency_ms")}


def load_trace(folder):
    """The parts of DIR/trace.jsonl, or None when there is no trace."""
    path = os.path.join(folder, "trace.jsonl")
    if not os.path.isfile(path):
        return None
    parts = []
    try:
        with open(path, encoding="utf-8") as f:
            for line_no, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except ValueError:
                    raise ResultsError(f"{path} line {line_no}: not a JSON object")
                if not isinstance(rec, dict) or "kind" not in rec:
                    raise ResultsError(f"{path} line {line_no}: a record needs a \"kind\"")
                kind = rec["kind"]
                if kind == "header":
                    if "mode" not in rec:
                        raise ResultsError(f"{path} line {line_no}: header without \"mode\"")
                    parts.append(TracePart(rec))
                    continue
                if kind == "part":
                    continue  # a side's part marker, in an unmerged file
                if not parts:
                    raise ResultsError(f"{path} line {line_no}: record before the first header")
                for key in TRACE_KINDS.get(kind, ("t_ms",)):
                    if not isinstance(rec.get(key), (int, float)):
                        raise ResultsError(f"{path} line {line_no}: {kind} record needs a "
                                           f"numeric \"{key}\"")
                parts[-1].records.append(rec)
    except UnicodeDecodeError:
        raise ResultsError(f"{path}: not a text file (invalid UTF-8)")
    for p in parts:
        p.records.sort(key=lambda r: r["t_ms"])
    return parts


# --- number formatting shared by chart labels and report tables --------------------------------

def fmt_number(x, digits=3, keep_zeros=False):
    """About `digits` significant digits: 48.1, 0.249, 317, 12300, 1 (1.0 with keep_zeros);
    an exponent only for the very small: 2.6e-07."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    if x == 0:
        return "0"
    if abs(x) < 1e-4:
        return f"{x:.{max(digits - 1, 0)}e}"
    x = float(f"{x:.{digits}g}")  # 0.99999 -> 1.0, so the decimals below are 1.0's
    decimals = digits - 1 - math.floor(math.log10(abs(x)))
    if decimals <= 0:
        return f"{round(x, decimals):.0f}"
    text = f"{x:.{decimals}f}"
    if keep_zeros:
        return text
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_ms(us):
    return "-" if us is None else fmt_number(us / 1000.0)


def fmt_percent(fraction, digits=3):
    if fraction is None:
        return "-"
    if 0 < abs(fraction) < 1e-4:
        return "<0.01%"
    return fmt_number(fraction * 100.0, digits) + "%"


# --- DIR/security/: the security measurements of scripts/security.sh (issue 9) ------------------
#
# DIR/security/<config>-k<repeat>.json are `hookbench run --mode webhook` results, one file per
# configuration and repeat; DIR/security/micro.json is hookbench_micro's Google Benchmark JSON for
# signing and TLS. The configuration is the file's name; what the run recorded (config.signature,
# config.tls, config.webhook_connection) is checked against it. The accessors below are the only
# places that know where a field lives in a result, so a renamed field is changed once.

SECURITY_DIR = "security"
# (name, what it is), in the order charts and the report show them.
SECURITY_CONFIGS = (
    ("unsigned", "no signature"),
    ("hmac", "HMAC-SHA256 signed"),
    ("ed25519", "ed25519 signed"),
    ("plain-new", "plain HTTP, new connection per POST"),
    ("tls-keepalive", "TLS, keep-alive"),
    ("tls-new", "TLS, new connection per POST"),
    ("attack", "signed, under attack"),
)
SECURITY_LABELS = dict(SECURITY_CONFIGS)
DEFAULT_SIGNATURE = "hmac"  # what a run that records no config.signature used
ATTACK_KINDS = ("forged", "tampered", "replayed", "expired", "unsigned")
REJECT_REASONS = ("missing-header", "malformed-timestamp", "timestamp-too-old",
                  "timestamp-too-new", "malformed-signature", "bad-signature", "replay")
SIDES = ("producer", "consumer")


def _get(d, *keys):
    for k in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d


def _num(x):
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) and \
        math.isfinite(x) else None


def signature_of(result):
    """The signing scheme of a run: config.signature ("hmac", "ed25519", "none"); a run that
    records none used the default."""
    value = _get(result, "config", "signature")
    return str(value) if value not in (None, "") else DEFAULT_SIGNATURE


def tls_of(result):
    """Whether the run spoke TLS (config.tls)."""
    return _get(result, "config", "tls") is True


def connection_of(result):
    """The producer's webhook connection policy: "keepalive" or "new"."""
    return str(_get(result, "config", "webhook_connection") or "keepalive")


def _sum_keys(node, needle, skip=("failure",)):
    """The sum of every number under node whose key contains needle (and none of skip)."""
    total, found = 0.0, False
    stack = [node]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            for k, v in x.items():
                if needle in k and not any(s in k for s in skip) and _num(v) is not None:
                    total += v
                    found = True
                elif isinstance(v, (dict, list)):
                    stack.append(v)
        elif isinstance(x, list):
            stack.extend(x)
    return total if found else None


def tls_handshakes(result):
    """{"producer": n, "consumer": n}: TLS handshakes each side counted over the run (None where
    the side reports none): the sum of every key containing "tls_handshakes" (failures apart)
    under sides.<side>. The producer's count includes its webhook client's handshakes with the
    receiver, the consumer's its receiver's: the same handshakes seen from the two ends."""
    return {side: _sum_keys(_get(result, "sides", side), "tls_handshakes") for side in SIDES}


def consumer_traffic(result):
    return _get(result, "sides", "consumer", "traffic") or {}


def rejected_by_reason(result):
    """{reason: n} the receiver rejected: the attack block's when the run has one, else the
    consumer's traffic."""
    got = _get(result, "attack", "rejected_by_reason")
    if not isinstance(got, dict):
        got = consumer_traffic(result).get("rejected_by_reason")
    if not isinstance(got, dict):
        return {}
    return {str(k): v for k, v in got.items() if _num(v) is not None}


def reject_cpu_us(result):
    """CPU (µs) the receiver spent on the requests it rejected, or None when not measured."""
    got = _num(_get(result, "attack", "reject_cpu_us"))
    return got if got is not None else _num(consumer_traffic(result).get("reject_cpu_us"))


def attack_of(result):
    """The run's attack block, normalised: {"rate", "sent": {kind: n}, "answers": {kind:
    {status: n}}, "accepted", "failed", "captured", "total"}, or None without --attack."""
    a = result.get("attack") if isinstance(result, dict) else None
    if not isinstance(a, dict):
        return None
    sent = {str(k): int(v) for k, v in (a.get("sent") or {}).items() if _num(v) is not None}
    answers = {}
    for kind, by_status in (a.get("answers") or {}).items():
        if isinstance(by_status, dict):
            answers[str(kind)] = {str(s): int(n) for s, n in by_status.items()
                                  if _num(n) is not None}
    total = _num(a.get("total"))
    return {"rate": _num(a.get("rate")), "sent": sent, "answers": answers,
            "accepted": int(_num(a.get("accepted")) or 0),
            "failed": int(_num(a.get("failed")) or 0),
            "captured": _num(a.get("captured")),
            "total": int(total) if total is not None else sum(sent.values())}


def delivery_of(result):
    """(delivered, expected, lost) real events of the run."""
    m = result.get("metrics") or {}
    return (_num(m.get("delivered")), _num(m.get("expected")), _num(m.get("lost")))


def cpu_us_per_event(result, side):
    """CPU µs one side spent per delivered event: metrics.cpu_s.<side> / delivered."""
    cpu_s = _num(_get(result, "metrics", "cpu_s", side))
    delivered = _num(_get(result, "metrics", "delivered"))
    if cpu_s is None or not delivered:
        return None
    return cpu_s * 1e6 / delivered


def bytes_per_event(result):
    return _num(_get(result, "metrics", "bytes_per_event"))


def handshakes_per_event(result, side):
    hs = tls_handshakes(result)[side]
    delivered = _num(_get(result, "metrics", "delivered"))
    if hs is None or not delivered:
        return None
    return hs / delivered


class SecurityRuns:
    """DIR/security/: {config: [(repeat, path, result)]} in SECURITY_CONFIGS order (unknown
    names after them), and the microbenchmark JSON (micro, None when absent)."""

    def __init__(self, folder):
        self.folder = folder
        self.dir = os.path.join(folder, SECURITY_DIR)
        self.runs = {}
        self.micro = None
        self.micro_path = os.path.join(self.dir, "micro.json")
        if not os.path.isdir(self.dir):
            return
        for name in sorted(os.listdir(self.dir)):
            m = _SECURITY_FILE.match(name)
            if not m:
                continue
            path = os.path.join(self.dir, name)
            result = read_json(path)
            if not isinstance(result, dict) or "metrics" not in result:
                raise ResultsError(f"{path}: not a hookbench run result (no metrics)")
            self.runs.setdefault(m.group(1), []).append((int(m.group(2)), path, result))
        order = [c for c, _ in SECURITY_CONFIGS]
        self.runs = {c: sorted(self.runs[c]) for c in
                     sorted(self.runs, key=lambda c: (order.index(c) if c in order
                                                      else len(order), c))}
        if os.path.isfile(self.micro_path):
            self.micro = read_json(self.micro_path)
            if not isinstance(self.micro, dict) or not isinstance(self.micro.get("benchmarks"),
                                                                  list):
                raise ResultsError(f"{self.micro_path}: not Google Benchmark JSON (no "
                                   "\"benchmarks\" list)")

    def __bool__(self):
        return bool(self.runs)

    def results(self, config):
        return [r for _, _, r in self.runs.get(config, [])]

    def all_results(self):
        return [r for runs in self.runs.values() for _, _, r in runs]

    def agg(self, config, value_of):
        """Agg (median, min-max over repeats) of value_of(result) over a configuration's runs,
        or None when no run has a value."""
        values = [v for v in (value_of(r) for r in self.results(config)) if v is not None]
        return Agg(values) if values else None

    def mismatches(self):
        """["file: named X but recorded Y"] where a run's recorded config contradicts its
        configuration name (only fields the run records are checked)."""
        out = []
        for config, runs in self.runs.items():
            want = SECURITY_EXPECT.get(config, {})
            for _, path, r in runs:
                cfg = r.get("config") or {}
                got = {"signature": cfg.get("signature"), "tls": cfg.get("tls"),
                       "webhook_connection": cfg.get("webhook_connection")}
                for key, value in want.items():
                    if key in cfg and key != "attack" and got[key] != value:
                        out.append(f"{os.path.basename(path)}: named {config} but recorded "
                                   f"{key} = {json.dumps(got[key])}")
                if want.get("attack") and attack_of(r) is None:
                    out.append(f"{os.path.basename(path)}: named {config} but has no attack "
                               "block")
        return out

    def network(self):
        """The hosts the runs spoke to (config.host), and whether all are loopback."""
        hosts = sorted({str(_get(r, "config", "host")) for r in self.all_results()
                        if _get(r, "config", "host")})
        loop = bool(hosts) and all(h.startswith(("127.", "::1", "localhost")) for h in hosts)
        return hosts, loop

    def rates(self):
        return sorted({_num(_get(r, "config", "rate")) for r in self.all_results()
                       if _num(_get(r, "config", "rate")) is not None})


_SECURITY_FILE = re.compile(r"^([a-z0-9][a-z0-9-]*?)-k(\d+)\.json$")
# What each configuration's runs should have recorded, where they record it.
SECURITY_EXPECT = {
    "unsigned": {"signature": "none"},
    "hmac": {"signature": "hmac", "tls": False},
    "ed25519": {"signature": "ed25519", "tls": False},
    "plain-new": {"tls": False, "webhook_connection": "new"},
    "tls-keepalive": {"tls": True, "webhook_connection": "keepalive"},
    "tls-new": {"tls": True, "webhook_connection": "new"},
    "attack": {"attack": True},
}


# Microbenchmark names (bench/sign_bench.cpp: sign_hmac/payload:1024, verify_ed25519/...): the
# operation, the scheme and the payload size; anything else in micro.json is ignored here.
MICRO_SIGN_RE = re.compile(
    r"^(?P<op>sign|verify)[_-]?(?P<scheme>hmac|ed25519)\b.*?(?:payload:|/)(?P<bytes>\d+)",
    re.I)
MICRO_TIME_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def sign_verify_points(micro):
    """{(op, scheme): [(payload bytes, median ns, lo ns, hi ns)]} from Google Benchmark JSON:
    the median aggregate when the run kept aggregates (spread: median ± stddev), else the median
    of the iterations (spread: their min-max)."""
    per = {}
    for b in (micro or {}).get("benchmarks", []):
        if not isinstance(b, dict) or b.get("error_occurred"):
            continue
        name = str(b.get("run_name") or b.get("name") or "")
        m = MICRO_SIGN_RE.match(name)
        t = _num(b.get("real_time"))
        if not m or t is None or b.get("time_unit") not in MICRO_TIME_NS:
            continue
        key = (m.group("op").lower(), m.group("scheme").lower(), int(m.group("bytes")))
        ns = t * MICRO_TIME_NS[b["time_unit"]]
        slot = per.setdefault(key, {"runs": [], "median": None, "stddev": None})
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") in ("median", "stddev"):
                slot[b["aggregate_name"]] = ns
        else:
            slot["runs"].append(ns)
    out = {}
    for (op, scheme, size), slot in sorted(per.items()):
        if slot["median"] is not None:
            sd = slot["stddev"] or 0.0
            point = (size, slot["median"], max(0.0, slot["median"] - sd), slot["median"] + sd)
        elif slot["runs"]:
            point = (size, statistics.median(slot["runs"]), min(slot["runs"]), max(slot["runs"]))
        else:
            continue
        out.setdefault((op, scheme), []).append(point)
    return out


def sign_verify_ratios(points, op):
    """[(payload bytes, ed25519 time / HMAC time)] of one operation at the sizes both have."""
    a = {p[0]: p[1] for p in points.get((op, "ed25519"), [])}
    b = {p[0]: p[1] for p in points.get((op, "hmac"), [])}
    return [(size, a[size] / b[size]) for size in sorted(a) if size in b and b[size] > 0]
