"""The other files of a sweep's results folder: each run's result JSON (DIR/runs/<run_id>.json),
the capacity search (DIR/max_rate.json) and the recorded timeline (DIR/trace.jsonl).
"""

import json
import os

from .errors import ResultsError, read_json
from .runs_csv import ok_runs


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


# The record kinds of trace.jsonl (docs/RESULTS.md), each with the numbers it must carry; the
# timeline draws them by these names. A record kind is what happened (a poll answered, a POST
# sent), not a delivery mode.
TRACE_KINDS = dict(created=("t_ms", "seq"), poll=("t_ms", "sent_ms", "events"),
                   webhook_post=("t_ms", "seq"), delivered=("t_ms", "seq", "latency_ms"))
CREATED, POLL, POST, DELIVERED = TRACE_KINDS


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
