"""DIR/runs.csv, one row per run of a `hookbench sweep` (docs/RESULTS.md): read and checked once,
numbers parsed, with the descriptors of the modes that wrote it. A bad file raises ResultsError
with one line naming the file, the line and the column.
"""

import csv
import math
import os

from .errors import ResultsError
from .modes import load_modes

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
    # Appended next: statistics, saturation, accounting by event, the model at the realised
    # rate and the clocks.
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
# Percentile names as the harness writes them in latency_low_sample, and how people read them.
PERCENTILE_NAMES = {"p50": "p50", "p90": "p90", "p99": "p99", "p999": "p99.9", "max": "max"}
# The note of a repeat without events (the sweep writes the same words).
NO_EVENT_NOTE = ("failed: no event in the window (produced 0); a repeat without events is not "
                 "a sample")
# Appended later still, read from the header when there: the emulated link's round trip (0 or
# absent: loopback) and the one measured through it before the window.
RTT_COLUMNS = (("rtt_ms", 0.0), ("link_rtt_measured_us", None))
# Appended after them, read when there (empty: unmeasured): the producer's resident set with
# every subscriber there, what each subscriber added to it, and the consumer's setup time.
MEMORY_COLUMNS = (("producer_rss_bytes", None), ("producer_bytes_per_subscriber", None),
                  ("setup_s", None))
# Then the consumer hosts of a run across hosts (a scenario's inventory); empty: one host.
HOSTS_COLUMNS = (("hosts", None),)


class Runs(list):
    """The rows of runs.csv in file order, with the descriptors of the modes (modes) of the
    folder they came from."""

    def __init__(self, rows, modes):
        super().__init__(rows)
        self.modes = modes


def is_finite(x):
    return x is not None and math.isfinite(x)


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
    # A repeat that produced no event has no mean to be a sample of its point: an error, like a
    # failed run. Sweeps mark it so themselves; older files only say produced = 0.
    row["no_event"] = row.get("produced") == 0
    if row["no_event"] and not row["note"].startswith("failed:"):
        row["note"] = NO_EVENT_NOTE + (f"; {row['note']}" if row["note"] else "")
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
    for column, default in RTT_COLUMNS + MEMORY_COLUMNS + HOSTS_COLUMNS:
        text = (raw.get(column) or "").strip()
        row[column] = _parse_number(text, column, line_no) if text else default
    row["line"] = line_no
    return row


def load_runs(folder):
    """All rows of DIR/runs.csv, numbers parsed (empty cell -> None), in file order, as Runs."""
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
    return Runs(rows, load_modes(folder))


def ok_runs(rows):
    """The rows that carry measurements (not 'failed:', and not without events)."""
    return [r for r in rows if not r["failed_run"]]
