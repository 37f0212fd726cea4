"""hookbench_micro's Google Benchmark JSON (--benchmark_format=json): read, checked and summarised
one row per benchmark (median figures, cv, repetitions, the spread over repetitions), the machine's
load while it ran and how it was built, and the units those figures are written in.
"""

import json
import math
import statistics

from .errors import ResultsError
from .fmt import fmt_number

TIME_UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
# A run is on a loaded machine when the load average passed this share of the CPUs at its start
# or end: the benchmark's threads then wait for a core, and real time is not the code's.
LOADED_SHARE = 0.5
# Significant digits of a median: 3 only when the repetitions agree within this cv.
THREE_DIGITS_CV = 0.02


class InputError(ResultsError):
    """Bad input: reported as one line and a non-zero exit."""


def display_name(name):
    """The benchmark's name without the /real_time suffix UseRealTime() adds."""
    return name[: -len("/real_time")] if name.endswith("/real_time") else name


def family_of(name):
    return name.split("/", 1)[0]


def area_of(name):
    return family_of(name).split("_", 1)[0]


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror}") from e
    if not text.strip():
        raise InputError(f"{path} is empty")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"{path} is not valid JSON (line {e.lineno}: {e.msg})") from e
    if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks"), list):
        raise InputError(f"{path} is not Google Benchmark JSON (no \"benchmarks\" list)")
    if not doc["benchmarks"]:
        raise InputError(f"{path} has no benchmark results")
    for b in doc["benchmarks"]:
        if not isinstance(b, dict) or not isinstance(b.get("name"), str):
            raise InputError(f"{path}: a benchmark entry has no name")
        if b.get("error_occurred"):
            continue
        if not isinstance(b.get("real_time"), (int, float)) or b.get("time_unit") not in TIME_UNIT_NS:
            raise InputError(f"{path}: {b['name']} has no real_time with a known time_unit")
    return doc


def summarize(doc):
    """One row per benchmark, in first-seen order: median figures, cv, repetitions, error."""
    entries = doc["benchmarks"]
    use_aggregates = any(b.get("run_type") == "aggregate" for b in entries)
    rows = {}

    def row(name):
        return rows.setdefault(name, {"name": name, "runs": [], "median": None, "cv": None,
                                      "stddev": None, "error": None,
                                      "order": (math.inf, math.inf, len(rows))})

    for b in entries:
        name = display_name(b.get("run_name", b["name"]))
        r = row(name)
        # Registration order (random interleaving shuffles the output); first seen otherwise.
        if isinstance(b.get("family_index"), int):
            r["order"] = (b["family_index"], b.get("per_family_instance_index", 0), r["order"][2])
        if b.get("error_occurred"):
            r["error"] = b.get("error_message") or "error"
            continue
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                r["median"] = b
            elif b.get("aggregate_name") == "cv":
                # cv of the time is a ratio; the library reports it in the time fields.
                r["cv"] = b.get("real_time")
            elif b.get("aggregate_name") == "stddev":
                r["stddev"] = b
            r["repetitions"] = b.get("repetitions", r.get("repetitions"))
        elif not use_aggregates or b.get("run_type") in (None, "iteration"):
            r["runs"].append(b)

    out = []
    for r in sorted(rows.values(), key=lambda r: r["order"]):
        figures = None
        if r["median"] is not None:
            figures = figures_of(r["median"])
        elif r["runs"]:
            each = [figures_of(b) for b in r["runs"]]
            figures = {k: median_or_none([f[k] for f in each]) for k in each[0]}
            if len(each) > 1 and figures["time_ns"]:
                times = [f["time_ns"] for f in each]
                r["cv"] = statistics.stdev(times) / statistics.mean(times)
            r["repetitions"] = len(each)
        if figures is None and r["error"] is None:
            continue  # e.g. only mean/stddev aggregates were kept: nothing to show
        spread = None
        times = [figures_of(b)["time_ns"] for b in r["runs"]]
        if len(times) > 1:
            spread = (min(times), max(times), "min-max")
        elif figures is not None and r["stddev"] is not None:
            sd = figures_of(r["stddev"])["time_ns"]
            spread = (max(0.0, figures["time_ns"] - sd), figures["time_ns"] + sd, "stddev")
        out.append({"name": r["name"], "figures": figures, "cv": r["cv"],
                    "repetitions": r.get("repetitions"), "error": r["error"], "spread": spread})
    if not any(r["figures"] for r in out):
        raise InputError("no benchmark finished without an error: nothing to plot")
    return out, use_aggregates


def figures_of(b):
    scale = TIME_UNIT_NS[b["time_unit"]]
    return {"time_ns": b["real_time"] * scale,
            "cpu_ns": b.get("cpu_time", 0) * scale,
            "items_per_second": b.get("items_per_second"),
            "bytes_per_second": b.get("bytes_per_second")}


def median_or_none(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def digits_for(cv):
    """Significant digits a median deserves: 2, or 3 when the repetitions' cv is small."""
    return 3 if cv is not None and cv < THREE_DIGITS_CV else 2


def format_time(ns, digits=3):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{fmt_number(ns / scale, digits)} {unit}"
    return f"{fmt_number(ns, digits)} ns"


def _load_value(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def machine_load(ctx):
    """{"start", "end" (1-minute load averages or None), "cpus", "loaded" (bool or None when
    nothing was recorded)} from the JSON context: hookbench_load_average_start/_end (written by
    hookbench_micro and scripts/micro.sh), else the library's own load_avg at the start."""
    start = _load_value(ctx.get("hookbench_load_average_start"))
    end = _load_value(ctx.get("hookbench_load_average_end"))
    if start is None and isinstance(ctx.get("load_avg"), list) and ctx["load_avg"]:
        start = _load_value(ctx["load_avg"][0])
    cpus = ctx.get("num_cpus") or _load_value(ctx.get("hookbench_cores"))
    seen = [x for x in (start, end) if x is not None]
    loaded = None
    if seen and cpus:
        loaded = any(x > LOADED_SHARE * float(cpus) for x in seen)
    return {"start": start, "end": end, "cpus": cpus, "loaded": loaded}


def load_text(ctx):
    """'load average 0.4 to 0.6 on 2 CPUs', with a warning when loaded."""
    m = machine_load(ctx)
    seen = [x for x in (m["start"], m["end"]) if x is not None]
    if not seen:
        return "load average not recorded"
    text = "load average " + " to ".join(fmt_number(x, 2) for x in seen)
    if m["cpus"]:
        text += f" on {int(float(m['cpus']))} CPUs"
    if m["loaded"]:
        text += (f": **a loaded machine** (above {LOADED_SHARE:g} × the CPUs; the 1-minute "
                 "average also counts the benchmark's own thread and whatever ran in the minute "
                 "before), read magnitudes only")
    return text


def library_text(ctx):
    """What the Google Benchmark library's build type means for the figures."""
    kind = ctx.get("library_build_type")
    if kind == "debug":
        return ("Google Benchmark library reports a debug build (Debian's libbenchmark is "
                "compiled without NDEBUG: its own checks run between batches of iterations; the "
                "timed loop is inlined from its header into hookbench_micro's Release code)")
    return f"Google Benchmark library built as {kind or '?'}"


def format_rate(per_s, unit=""):
    if per_s is None:
        return "–"
    for prefix, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if per_s >= scale:
            return f"{per_s / scale:.3g} {prefix}{unit}/s"
    return f"{per_s:.3g} {unit}/s".replace(" /s", "/s")


def format_bytes_rate(per_s):
    if per_s is None:
        return "–"
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if per_s >= scale:
            return f"{per_s / scale:.3g} {unit}/s"
    return f"{per_s:.3g} B/s"
