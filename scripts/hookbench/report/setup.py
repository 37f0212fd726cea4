"""The report's reference sections: the setup, the warnings grouped by kind, the environment
(revisions, pinning), a table per mode and the model against the measurement at every point.
"""

import functools
import os

from ..fmt import fmt, fmt_list, fmt_range, plural
from ..runs_csv import DEFAULT_STACK, is_finite, ok_runs, PERCENTILE_NAMES
from ..series import EXTRA_AXES, latency_thin, point_median, polls_thin, \
    THIN_LATENCY_COUNT, THIN_POLLS
from .answer import network_text
from .comparison import low_mark, model_table_headers, model_table_rows
from .words import describe_distinct, distinct, env_text, lambda_t, names


def section_setup(doc, folder, rows, by_rtt, envs):
    """The folder's setup as a table: what was swept (every round trip included), how often, on
    what machine."""
    modes = rows.modes
    ok = ok_runs(rows)
    failed = [r for r in rows if r["failed_run"]]
    doc.h(2, "Setup")
    points = by_rtt.points()
    counts = [len(runs) for _, _, _, runs in points]
    windows = [r["duration_s"] for r in ok if is_finite(r["duration_s"])]
    pull_T = sorted({r["interval_ms"] for r in rows if r["interval_ms"] is not None})
    items = [
        ("scenario", ", ".join(sorted({r["scenario"] for r in rows if r["scenario"]})) or "-"),
        ("results folder", f"`{os.path.normpath(folder)}`"),
        ("delivery modes", ", ".join(sorted({r["mode"] for r in rows}, key=modes.order_key))),
        ("event rates (events/s)", fmt_list(sorted({r["rate"] for r in rows}))),
        ("poll intervals T (ms)", fmt_list(pull_T) if pull_T else "- (no poll mode)"),
        ("round trips R (ms)", ", ".join(
            "0 (loopback)" if r == 0 else fmt(r) for r in by_rtt.rtts()) or "-"),
        ("subscribers N", fmt_list(sorted({int(r["subscribers"]) for r in rows
                                           if r["subscribers"] is not None})) or "-"),
        ("payload (bytes)", fmt_list(sorted({int(r["payload_bytes"]) for r in rows
                                             if r["payload_bytes"] is not None})) or "-"),
        ("arrivals", ", ".join(sorted({r["arrivals"] for r in rows if r["arrivals"]})) or "-"),
        ("consumer HTTP stack", ", ".join(sorted({r["consumer_stack"] for r in ok},
                                                 key=lambda k: (k != DEFAULT_STACK, k)))
         or DEFAULT_STACK),
        ("runs", f"{len(rows)} ({len(ok)} measured, {len(failed)} failed)"),
        ("points", (f"{len(points)}, one run each" if counts and max(counts) == 1 else
                    f"{len(points)}, {fmt_range(counts)} runs each (repeats with different seeds; "
                    "tables and charts show the median over them)") if counts else "0"),
        ("network", network_text(envs) + (
            "; through hookbench's emulated link (half the round trip each way) at "
            + ", ".join(f"{fmt(r)} ms" for r in by_rtt.rtts() if r > 0) if by_rtt.multi
            else "")),
        ("measured window per run", f"{fmt_range(windows, ' s')} (total {fmt(sum(windows))} s)"
         if windows else "-"),
    ]
    knobs = {}
    for r in ok:
        if r["tuning"]:
            knobs.setdefault(r["mode"], set()).add(r["tuning"].replace(";", "; "))
    for mode in sorted(knobs, key=modes.order_key):
        items.append((f"{mode} knobs (config.tuning)", " | ".join(sorted(knobs[mode]))))
    configs = [c for _, _, c in envs]
    for key, name in (("warmup_s", "warm-up per run"), ("drain_s", "drain limit per run")):
        values = [c[key] for c in configs if isinstance(c.get(key), (int, float))]
        if values:
            items.append((name, fmt_range(values, " s")))
    if envs:
        for key, name in (("cpu_model", "CPU"), ("cores", "cores"), ("kernel", "kernel"),
                          ("hostname", "host"), ("compiler", "compiler"),
                          ("build_type", "build type"), ("cxx_flags", "C++ flags")):
            counter = distinct(env_text(e.get(key)) for _, e, _ in envs)
            items.append((name, describe_distinct(counter)))
        if len(envs) < len(ok):
            items.append(("environment source",
                          f"{len(envs)} of {len(ok)} run JSONs found in runs/"))
    else:
        items.append(("environment", "unknown: no run JSON found in runs/"))
    doc.table(["", "value"], items, numeric_from=99)


def collect_warnings(rows, by_rtt, envs, model_present):
    """[(kind, count, unit, detail)]: every warning, grouped by kind, with how many runs or
    points it concerns; points at every round trip (by_rtt)."""
    out = []
    failed = [r for r in rows if r["failed_run"]]
    ok = ok_runs(rows)
    if failed:
        out.append(("failed runs", len(failed), "run", "; ".join(
            f"`{r['run_id']}`: {r['note'][len('failed:'):].strip()}" for r in failed[:6])))
    lossy = [r for r in ok if (r["lost"] or 0) > 0]
    if lossy:
        out.append(("lost events", len(lossy), "run", "; ".join(
            f"**{int(r['lost'])} events lost** in `{r['run_id']}` (delivered "
            f"{int(r['delivered'] or 0)} of {int(r['expected'] or 0)})" for r in lossy[:6])))
    for column, what in (("duplicates", "duplicate deliveries"),
                         ("reordered", "out-of-order deliveries"),
                         ("failed", "failed requests")):
        bad = [r for r in ok if (r.get(column) or 0) > 0]
        if bad:
            out.append((what, len(bad), "run", f"{int(sum(r[column] for r in bad))} in "
                        + names(bad)))
    saturated = by_rtt.saturated()
    if saturated:
        bad = [r for *_, runs, _ in saturated for r in runs]
        out.append(("saturated points (did not keep up)", len(saturated), "point",
                    f"{plural(len(bad), 'run')} in all: " + "; ".join(
                        f"`{r['run_id']}`: {r['saturated_reason'] or 'no reason given'}"
                        for r in bad[:6]) + (f" and {len(bad) - 6} more" if len(bad) > 6
                                             else "")))
    seen = distinct(r["run_id"] for r in rows)
    dup = [k for k, n in seen.items() if n > 1]
    if dup:
        out.append(("run ids repeated in runs.csv", len(dup), "id",
                    ", ".join(f"`{k}` ({seen[k]} rows)" for k in dup[:6])))
    short = [r for r in rows if r["min_reached"].lower() == "false"]
    if short:
        out.append(("minimums not reached (min_reached = false)", len(short), "run", "; ".join(
            f"`{r['run_id']}`: {r['note'] if r['note'] and not r['failed_run'] else 'minimums not reached'}"
            for r in short[:6])))
    points = by_rtt.points()
    expected_k = max((len(runs) for *_, runs in points), default=0)
    missing = [f"{by_rtt.name(rtt, s, rate)}: only {len(runs)} of {expected_k} repeats measured"
               for rtt, s, rate, runs in points if len(runs) < expected_k]
    if missing:
        out.append(("points missing repeats", len(missing), "point", "; ".join(missing[:6])))
    thin = []
    for rtt, s, rate, runs in points:
        why = [w for w, bad in (
            (f"{int(min(r['latency_count'] or 0 for r in runs))} latency samples",
             latency_thin(runs)),
            (f"{int(min(r['polls'] or 0 for r in runs))} polls", polls_thin(runs))) if bad]
        if why:
            thin.append(f"{by_rtt.name(rtt, s, rate)} ({', '.join(why)})")
    if thin:
        out.append(("thin points", len(thin), "point",
                    f"fewer than {THIN_LATENCY_COUNT} latency samples or "
                    f"{THIN_POLLS} polls in a repeat (drawn faded): " + "; ".join(thin[:6])
                    + (f" and {len(thin) - 6} more" if len(thin) > 6 else "")))
    for name in ("p50", "p99"):
        flagged = [r for r in ok if name in r["latency_low_sample"].split(";")]
        if flagged:
            out.append((f"{PERCENTILE_NAMES[name]} on fewer than 10 samples", len(flagged),
                        "run", f"marked * in the tables: {names(flagged)}"))
    no_cpu = [r for r in ok if not is_finite(r.get("cpu_cores_producer"))
              or not is_finite(r.get("cpu_cores_consumer"))]
    if no_cpu:
        out.append(("CPU not measured", len(no_cpu), "run",
                    "left empty, never counted as 0: " + names(no_cpu)))
    revisions = distinct(env_text(e.get("git_revision")) for _, e, _ in envs)
    if len(revisions) > 1:
        out.append(("runs from different git revisions", len(revisions), "revision",
                    describe_distinct(revisions).replace("**differs between runs:** ", "")))
    dirty = [run_id for run_id, e, _ in envs if e.get("git_dirty") is True]
    if dirty:
        out.append(("built from a modified tree (git_dirty)", len(dirty), "run",
                    ", ".join(f"`{d}`" for d in dirty[:6])
                    + (f" and {len(dirty) - 6} more" if len(dirty) > 6 else "")))
    if not model_present:
        out.append(("no model.csv", 1, "folder", "no model line is drawn on the charts"))
    return out


def section_warnings(doc, rows, by_rtt, envs, model_present):
    items = collect_warnings(rows, by_rtt, envs, model_present)
    total = sum(n for _, n, _, _ in items)
    doc.h(2, f"Warnings ({plural(len(items), 'kind')})" if items else "Warnings")
    if items:
        doc.p("Grouped by kind; the count says how many runs, points or revisions each concerns.")
        doc.ul(f"**{kind}** ({plural(n, unit)}): {detail}" for kind, n, unit, detail in items)
    else:
        ok = ok_runs(rows)
        doc.p(f"None: all {len(ok)} runs delivered every event exactly once, kept up, reached the "
              "scenario's minimums and had enough samples for p50 and p99.")
    return items, total


def section_tables(doc, by_rtt):
    doc.h(2, "Results per mode")
    doc.p("Medians over the repeats of each point; delivered and lost are totals over them. "
          "Latency = consumer parsed − scheduled creation. * = fewer than 10 samples at or "
          "beyond that percentile in at least one run. CPU µs/event is gross (the idle "
          "baseline included); the charts also show it net of idle. A point marked "
          "\"saturated\" did not keep up in at least one repeat."
          + (" R: the round trip through hookbench's emulated link (0: loopback)."
             if by_rtt.multi else ""))
    series = [s for _, group in by_rtt.groups for s in group]
    varying = sorted(v for v in series[0].varying if v in EXTRA_AXES) if series else []
    by_mode = {}
    for rtt, group in by_rtt.groups:
        for s in group:
            by_mode.setdefault(s.mode, []).append((rtt, s))
    for mode, pairs in by_mode.items():
        group = [s for _, s in pairs]
        doc.h(3, mode)
        knobs = sorted({s.tuning for s in group if s.tuning})
        if knobs:
            doc.p("Knobs (config.tuning): " + "; ".join(f"`{k}`" for k in knobs) + ".")
        pull = any(s.pull for s in group)
        stacks = any(not s.default_stack for s in group)
        headers = (["R (ms)"] if by_rtt.multi else []) + ["rate (events/s)"] + \
            (["T (ms)", "λT"] if pull else []) + \
            (["stack"] if stacks else []) + \
            [{"subscribers": "N", "payload_bytes": "payload (B)", "arrivals": "arrivals",
              "scenario": "scenario"}[v] for v in varying] + \
            ["runs", "delivered", "lost", "p50 (ms)", "p99 (ms)", "requests/event",
             "bytes/event", "CPU µs/event producer", "CPU µs/event consumer", "state"]
        rows = []
        for rtt, s in pairs:
            for rate in s.rates:
                rows.append(table_row(s, rate, s.points[rate], pull, stacks, varying,
                                      [fmt(rtt)] if by_rtt.multi else []))
        doc.table(headers, rows, numeric_from=0)


def table_row(s, rate, runs, pull, stacks, varying, first):
    """One point's row of its mode's table."""
    med = functools.partial(point_median, runs)
    row = first + [fmt(rate)]
    if pull:
        row += [fmt(s.interval_ms), fmt(lambda_t(s, rate))] if s.pull else ["-", "-"]
    row += [s.stack] if stacks else []
    row += [fmt(s.extras[v]) if isinstance(s.extras[v], float) else s.extras[v]
            for v in varying]
    delivered = sum(int(r["delivered"] or 0) for r in runs)
    lost = sum(int(r["lost"] or 0) for r in runs)
    row += [str(len(runs)), str(delivered), str(lost),
            fmt(med("latency_p50_us", 1e-3)) + low_mark(runs, "p50"),
            fmt(med("latency_p99_us", 1e-3)) + low_mark(runs, "p99"),
            fmt(med("requests_per_event")), fmt(med("bytes_per_event")),
            fmt(med("cpu_us_per_event_producer")), fmt(med("cpu_us_per_event_consumer"))]
    state = []
    if any(r["saturated"] for r in runs):
        state.append("saturated")
    if latency_thin(runs) or polls_thin(runs):
        state.append("thin")
    row.append(", ".join(state) or "ok")
    return row


def section_model(doc, by_rtt):
    doc.h(2, "Model vs measurement")
    doc.p("One row per point. Measured: the mean of the point's repeats with its 95% t-interval "
          "over their means in brackets (none with one repeat). Model: the mean over the same "
          "repeats of the model hookbench wrote into runs.csv, evaluated at each run's realised "
          "rate and in-run round trip. Agreement: \"within\" when the model lies inside the "
          "point's interval, else the model is above or below it; \"off by\" is (measured − "
          "model) / model from the two numbers printed in the row (empty polls: measured − "
          "model in percentage points, and a miss under 0.05 pp is none). A point with one "
          "repeat has no interval and is not judged.")
    doc.table(model_table_headers(by_rtt), model_table_rows(by_rtt))


def section_environment(doc, envs):
    """Every revision the runs came from, whether the tree was modified, and the pinning."""
    doc.h(2, "Environment")
    if not envs:
        doc.p("Unknown: no run JSON was found in runs/.")
        return []
    warnings = []
    revisions = distinct(env_text(e.get("git_revision")) for _, e, _ in envs)
    dirty = [run_id for run_id, e, _ in envs if e.get("git_dirty") is True]
    items = [f"git revision `{rev}`: {plural(n, 'run')}" for rev, n in
             sorted(revisions.items(), key=lambda kv: -kv[1])]
    pins = distinct(pin_text(c) for _, _, c in envs)
    pinning = distinct(env_text(e.get("pinning")) for _, e, _ in envs)
    items.append("core pinning requested (config.pin): " + describe_distinct(pins))
    items.append("core pinning applied (environment.pinning): " + describe_distinct(pinning))
    items.append(f"built from a modified tree (git_dirty): {len(dirty)} of "
                 f"{plural(len(envs), 'run')}")
    doc.ul(items)
    if len(revisions) > 1:
        warnings.append(f"**Warning:** the runs come from {len(revisions)} different git "
                        "revisions; their numbers may not be comparable.")
    if dirty:
        warnings.append(f"**Warning:** {plural(len(dirty), 'run')} were built from a tree with "
                        "uncommitted changes (git_dirty), so no revision describes that code.")
    for w in warnings:
        doc.p(w)
    return warnings


def pin_text(config):
    pin = config.get("pin")
    if isinstance(pin, list) and pin:
        return "producer " + str(pin[0]) + (f", consumer {pin[1]}" if len(pin) > 1 else "")
    return "none"
