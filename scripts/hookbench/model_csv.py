"""DIR/model.csv, the model's dense curves that the sweep writes (docs/RESULTS.md): one curve per
(mode, T, N, payload), read as the charts draw it. The model is evaluated in C++ only; nothing here
computes it.
"""

import csv
import os
import statistics

from .errors import ResultsError
from .runs_csv import is_finite
from .series import interp_loglog, model_key

MODEL_COLUMNS = ("mode", "interval_ms", "subscribers", "payload_bytes", "rtt_us", "rate",
                 "lambda_t", "latency_mean_us", "requests_per_s", "requests_per_event",
                 "empty_poll_fraction", "bytes_per_event")


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
