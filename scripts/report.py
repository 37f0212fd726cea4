#!/usr/bin/python3
"""The teaching report of a `hookbench sweep` results folder: the question, the setup, what the
data says (every number and every conclusion computed here from runs.csv and the run JSONs), the
charts, a table per mode and the model checked against the measurement.

    scripts/report.py results/NAME [--charts results/NAME/charts]

Writes results/NAME/REPORT.md and results/NAME/REPORT.html (one self-contained file, charts
embedded). Draws the charts with scripts/plot.py first when they are missing or stale.
"""

import argparse
import base64
import html
import math
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hookbench_results as hr  # noqa: E402
import plot  # noqa: E402

fmt = hr.fmt_number

CHART_CAPTIONS = {
    "latency_vs_rate": "Median and p99 delivery latency per mode and poll interval. Polling "
    "waits for the next poll, so its latency follows T, not the event rate; push latency is the "
    "round trip plus service time.",
    "requests_per_event": "Requests per delivered event. A poller pays N/T requests per second "
    "whatever happens, so per event it pays 1/(λT); a webhook pays one POST per event. The "
    "dotted lines mark λT = 1 for each interval, the stars where the measured curves cross.",
    "cpu_per_event": "CPU (user + sys) per delivered event on each side. Empty polls cost CPU "
    "on both sides without delivering anything.",
    "bytes_per_event": "Bytes on the wire per delivered event, requests and responses with "
    "their headers.",
    "empty_poll_fraction": "The share of polls that found nothing, against λT. With Poisson "
    "events a poll is empty with probability e^(−λT); Zapier's published 98.5% sits at "
    "λT ≈ 0.015.",
    "latency_cdf": "The whole latency distribution at one event rate: polling spreads "
    "latency evenly over the poll interval, push keeps it near the round trip.",
    "timeline": "A few seconds of a recorded run. Each line joins an event's creation to the "
    "request that carried it and its delivery: under polling events wait for the next poll "
    "(slanted lines), a webhook carries each one at once (vertical lines).",
}


# --- a small document model rendered to Markdown and to HTML ----------------------------------

class Doc:
    def __init__(self):
        self.blocks = []

    def h(self, level, text):
        self.blocks.append(("h", level, text))

    def p(self, text):
        self.blocks.append(("p", text))

    def ul(self, items):
        if items:
            self.blocks.append(("ul", list(items)))

    def table(self, headers, rows, numeric_from=1):
        self.blocks.append(("table", headers, rows, numeric_from))

    def img(self, path, alt, caption):
        self.blocks.append(("img", path, alt, caption))


def md_escape_cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(doc, folder):
    out = []
    for block in doc.blocks:
        kind = block[0]
        if kind == "h":
            out.append("#" * block[1] + " " + block[2])
        elif kind == "p":
            out.append(block[1])
        elif kind == "ul":
            out.append("\n".join("- " + item for item in block[1]))
        elif kind == "table":
            _, headers, rows, numeric_from = block
            lines = ["| " + " | ".join(md_escape_cell(h) for h in headers) + " |",
                     "|" + "|".join("---:" if i >= numeric_from else "---"
                                    for i in range(len(headers))) + "|"]
            lines += ["| " + " | ".join(md_escape_cell(c) for c in row) + " |" for row in rows]
            out.append("\n".join(lines))
        elif kind == "img":
            _, path, alt, caption = block
            rel = os.path.relpath(path, folder)
            out.append(f"![{alt}]({rel})\n\n*{caption}*")
    return "\n\n".join(out) + "\n"


def inline_html(text):
    """Escape, then the two inline marks the report uses: `code` and **bold**."""
    text = html.escape(text, quote=False)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", text)


HTML_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 72rem;
       margin: 2rem auto; padding: 0 1rem; line-height: 1.5; color: #222; }
h1, h2, h3 { line-height: 1.25; } h2 { border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
table { border-collapse: collapse; margin: 1rem 0; font-size: .9rem; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1.5rem 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: .95rem; } code { background: #f3f3f3; padding: 0 .2rem; }
"""


def render_html(doc, title):
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{html.escape(title)}</title>", f"<style>{HTML_STYLE}</style>",
           "</head><body>"]
    for block in doc.blocks:
        kind = block[0]
        if kind == "h":
            out.append(f"<h{block[1]}>{inline_html(block[2])}</h{block[1]}>")
        elif kind == "p":
            out.append(f"<p>{inline_html(block[1])}</p>")
        elif kind == "ul":
            out.append("<ul>" + "".join(f"<li>{inline_html(i)}</li>" for i in block[1]) + "</ul>")
        elif kind == "table":
            _, headers, rows, numeric_from = block
            out.append("<table><thead><tr>" +
                       "".join(f"<th>{inline_html(str(h))}</th>" for h in headers) +
                       "</tr></thead><tbody>")
            for row in rows:
                cells = "".join(
                    f'<td{" class=num" if i >= numeric_from else ""}>{inline_html(str(c))}</td>'
                    for i, c in enumerate(row))
                out.append(f"<tr>{cells}</tr>")
            out.append("</tbody></table>")
        elif kind == "img":
            _, path, alt, caption = block
            with open(path, "rb") as f:
                data = base64.b64encode(f.read()).decode("ascii")
            out.append(f'<figure><img alt="{html.escape(alt)}" '
                       f'src="data:image/png;base64,{data}">'
                       f"<figcaption>{inline_html(caption)}</figcaption></figure>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


# --- formatting helpers -------------------------------------------------------------------------

def plural(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"


def fmt_range(values, unit=""):
    values = sorted(set(values))
    if not values:
        return "-"
    if len(values) == 1:
        return fmt(values[0]) + unit
    return f"{fmt(values[0])}–{fmt(values[-1])}{unit}"


def fmt_list(values, unit=""):
    return ", ".join(fmt(v) if isinstance(v, float) else str(v) for v in values) + unit


def fmt_ratio_range(ratios):
    lo, hi = min(ratios), max(ratios)
    return f"{fmt(lo, 2)}×" if math.isclose(lo, hi, rel_tol=0.05) else \
        f"{fmt(lo, 2)}–{fmt(hi, 2)}×"


def rel_error(measured, model):
    if measured is None or model is None or model == 0:
        return None
    return (measured - model) / model


def fmt_error(err):
    if err is None:
        return "-"
    return f"{'+' if err >= 0 else '−'}{fmt(abs(err) * 100, 2)}%"


def series_name(s):
    """'poll (T = 100 ms)' in prose."""
    text = s.mode
    extras = [s.label().split(" ", 1)[1]] if " " in s.label() else []
    return text + (f" ({extras[0].replace('T=', 'T = ')})" if extras else "")


def lambda_t(s, rate):
    return rate * s.interval_ms / 1000.0 if s.pull else None


# --- the sections -------------------------------------------------------------------------------

def section_question(doc):
    doc.h(2, "The question: polling or webhooks?")
    doc.p("A consumer that wants to hear about new events can **poll** the producer's API every "
          "T seconds, or the producer can **push** each event to it (a webhook POST, or another "
          "push mode). Polling costs N/T requests per second whatever the event rate and makes "
          "every event wait for the next poll; a webhook costs one request per event per "
          "subscriber and delivers in about one round trip, but needs a reachable receiver. "
          "Which is cheaper therefore depends on λT, the expected number of events per poll "
          "interval.")
    doc.p("The analytical model drawn on every chart (Poisson events at rate λ, N subscribers, "
          "poll interval T, round trip R): polling's mean latency ≈ T/2 + R/2, its requests per "
          "event = 1/(λT), the chance that a poll is empty = e^(−λT); a webhook's latency ≈ R/2 "
          "plus service time and its requests per event = 1. This report measures all of it "
          "between two real processes over real HTTP and puts the model next to the data.")


def distinct(values):
    out = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


def env_text(value):
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).strip() or "-"


def describe_distinct(counter):
    if not counter:
        return "-"
    if len(counter) == 1:
        return str(next(iter(counter)))
    ranked = sorted(counter.items(), key=lambda kv: -kv[1])
    parts = [f"{k} ({plural(n, 'run')})" for k, n in ranked]
    return "**differs between runs:** " + "; ".join(parts)


def section_setup(doc, folder, rows, series, envs):
    ok = hr.ok_runs(rows)
    failed = [r for r in rows if r["failed_run"]]
    doc.h(2, "Setup")
    points = {(s.mode, s.interval_ms, tuple(s.extras.items()), rate)
              for s in series for rate in s.rates}
    counts = [len(s.points[rate]) for s in series for rate in s.rates]
    windows = [r["duration_s"] for r in ok if hr.is_finite(r["duration_s"])]
    pull_T = sorted({r["interval_ms"] for r in rows if r["interval_ms"] is not None})
    items = [
        ("scenario", ", ".join(sorted({r["scenario"] for r in rows if r["scenario"]})) or "-"),
        ("results folder", f"`{os.path.normpath(folder)}`"),
        ("delivery modes", ", ".join(sorted({r["mode"] for r in rows}, key=hr.mode_order))),
        ("event rates (events/s)", fmt_list(sorted({r["rate"] for r in rows}))),
        ("poll intervals T (ms)", fmt_list(pull_T) if pull_T else "- (no poll mode)"),
        ("subscribers N", fmt_list(sorted({int(r["subscribers"]) for r in rows
                                           if r["subscribers"] is not None})) or "-"),
        ("payload (bytes)", fmt_list(sorted({int(r["payload_bytes"]) for r in rows
                                             if r["payload_bytes"] is not None})) or "-"),
        ("arrivals", ", ".join(sorted({r["arrivals"] for r in rows if r["arrivals"]})) or "-"),
        ("runs", f"{len(rows)} ({len(ok)} measured, {len(failed)} failed)"),
        ("points", (f"{len(points)}, one run each" if counts and max(counts) == 1 else
                    f"{len(points)}, {fmt_range(counts)} runs each (repeats with different seeds; "
                    "tables and charts show the median over them)") if counts else "0"),
        ("measured window per run", f"{fmt_range(windows, ' s')} (total {fmt(sum(windows))} s)"
         if windows else "-"),
    ]
    configs = [c for _, _, c in envs]
    for key, name in (("warmup_s", "warm-up per run"), ("drain_s", "drain limit per run")):
        values = [c[key] for c in configs if isinstance(c.get(key), (int, float))]
        if values:
            items.append((name, fmt_range(values, " s")))
    if envs:
        for key, name in (("cpu_model", "CPU"), ("cores", "cores"), ("kernel", "kernel"),
                          ("hostname", "host"), ("compiler", "compiler"),
                          ("build_type", "build type"), ("cxx_flags", "C++ flags"),
                          ("pinning", "core pinning"), ("git_revision", "git revision"),
                          ("git_dirty", "uncommitted changes")):
            counter = distinct(env_text(e.get(key)) for _, e, _ in envs)
            items.append((name, describe_distinct(counter)))
        if len(envs) < len(ok):
            items.append(("environment source",
                          f"{len(envs)} of {len(ok)} run JSONs found in runs/"))
    else:
        items.append(("environment", "unknown: no run JSON found in runs/"))
    doc.table(["", "value"], items, numeric_from=99)


def section_warnings(doc, rows, series):
    doc.h(2, "Warnings")
    items = []
    failed = [r for r in rows if r["failed_run"]]
    ok = hr.ok_runs(rows)
    for r in failed:
        items.append(f"**failed run** `{r['run_id']}`: {r['note'][len('failed:'):].strip()}")
    for r in ok:
        if (r["lost"] or 0) > 0:
            items.append(f"**{int(r['lost'])} events lost** in `{r['run_id']}` "
                         f"(delivered {int(r['delivered'] or 0)} of {int(r['expected'] or 0)})")
    for column, what in (("duplicates", "duplicate deliveries"),
                         ("reordered", "out-of-order deliveries"),
                         ("failed", "failed requests")):
        bad = [r for r in ok if (r.get(column) or 0) > 0]
        if bad:
            total = int(sum(r[column] for r in bad))
            names = ", ".join(f"`{r['run_id']}`" for r in bad[:5])
            more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
            items.append(f"{total} {what} in {plural(len(bad), 'run')}: {names}{more}")
    seen = distinct(r["run_id"] for r in rows)
    for run_id, n in seen.items():
        if n > 1:
            items.append(f"`{run_id}` appears {n} times in runs.csv (each row counts as a run)")
    short = [r for r in rows if r["min_reached"].lower() == "false"]
    for r in short:
        note = r["note"] if r["note"] and not r["failed_run"] else "minimums not reached"
        items.append(f"`{r['run_id']}` did not reach the scenario's minimum deliveries/polls "
                     f"(min_reached = false): {note}")
    expected_k = max((len(v) for s in series for v in s.points.values()), default=0)
    for s in series:
        for rate in s.rates:
            k = len(s.points[rate])
            if k < expected_k:
                items.append(f"{series_name(s)} at {fmt(rate)} events/s: only {k} of "
                             f"{expected_k} repeats measured")
    flagged = {}
    for r in ok:
        for name in filter(None, r["latency_low_sample"].split(";")):
            flagged.setdefault(name, []).append(r)
    for name in ("p50", "p99"):
        runs = flagged.get(name, [])
        if runs:
            items.append(f"{hr.PERCENTILE_NAMES[name]} has fewer than 10 samples at or beyond it "
                         f"in {len(runs)} of {len(ok)} runs (marked * in the tables): "
                         + ", ".join(f"`{r['run_id']}`" for r in runs[:6])
                         + (f" and {len(runs) - 6} more" if len(runs) > 6 else ""))
    others = [f"{hr.PERCENTILE_NAMES.get(n, n)} in {len(v)}" for n, v in flagged.items()
              if n not in ("p50", "p99")]
    if others:
        items.append("other percentiles with fewer than 10 samples beyond them (runs): "
                     + ", ".join(others))
    if items:
        doc.ul(items)
    else:
        doc.p(f"None: all {len(ok)} runs delivered every event exactly once, reached the "
              "scenario's minimums and had enough samples for p50 and p99.")
    return items


def crossing_sentence(s, base, column, verb, what):
    """'At T = 100 ms, poll sent fewer requests ... above λT ≈ 0.92 measured (1 predicted)'."""
    a, b = hr.medians(s, column), hr.medians(base, column)
    common = sorted(r for r in a if r in b)
    where = f"At T = {fmt(s.interval_ms)} ms"
    if len(common) < 2:
        return (f"{where}, {s.mode} and {base.mode} share fewer than two measured rates, so "
                f"where their {what} cross cannot be told.")
    found = hr.crossings(a, b)
    predicted = ""
    if column == "requests_per_event":
        ma, mb = hr.medians(s, "model_requests_per_event"), hr.medians(base,
                                                                        "model_requests_per_event")
        pred = [rate for rate, down in hr.crossings(ma, mb) if down]
        if pred:
            predicted = f" ({fmt(lambda_t(s, pred[0]), 2, True)} predicted)"
        elif ma and mb:
            predicted = " (the model predicts no crossing in this range)"
    lts = [lambda_t(s, r) for r in common]
    span = f"λT {fmt(min(lts))}–{fmt(max(lts))}"
    downs = [rate for rate, down in found if down]
    if downs:
        rate = downs[0]
        text = (f"{where}, {s.mode} {verb} fewer {what} than {base.mode} above "
                f"λT ≈ {fmt(lambda_t(s, rate), 2, True)} measured{predicted}, i.e. above "
                f"≈ {fmt(rate, 2)} events/s.")
        if len(found) > 1:
            text += (f" The measured curves cross {len(found)} times: near the crossing the "
                     "difference is within the noise.")
        return text
    if found:  # only upward crossings: polling became the more expensive one
        rate = found[0][0]
        return (f"{where}, {s.mode} {verb} more {what} than {base.mode} above "
                f"λT ≈ {fmt(lambda_t(s, rate), 2)} measured.")
    more = a[common[0]] > b[common[0]]
    return (f"{where}, {s.mode} {verb} {'more' if more else 'fewer'} {what} than {base.mode} "
            f"at every measured rate ({span}){predicted}: the crossover is outside the measured "
            "range.")


def ratio_sentence(s, base, column, name):
    a, b = hr.medians(s, column), hr.medians(base, column)
    common = sorted(r for r in a if r in b and a[r] > 0 and b[r] > 0)
    if not common:
        return None
    ratios = [a[r] / b[r] for r in common]
    where = (f"at T = {fmt(s.interval_ms)} ms ({len(common)} common rates, "
             f"{fmt(common[0])}–{fmt(common[-1])} events/s)" if len(common) > 1 else
             f"at T = {fmt(s.interval_ms)} ms and {fmt(common[0])} events/s")
    if all(x > 1 for x in ratios):
        return (f"{base.mode} {name} latency was {fmt_ratio_range(ratios)} lower than {s.mode} "
                f"{where}.")
    if all(x < 1 for x in ratios):
        inv = [1 / x for x in ratios]
        return f"{s.mode} {name} latency was {fmt_ratio_range(inv)} lower than {base.mode} {where}."
    return (f"{name} latency of {s.mode} relative to {base.mode} ranged from "
            f"{fmt(min(ratios), 2)}× to {fmt(max(ratios), 2)}× {where}: neither was always lower.")


def empty_poll_sentence(series):
    pts = []
    for s in series:
        if not s.pull:
            continue
        for rate, a in s.agg("empty_poll_fraction"):
            pts.append((lambda_t(s, rate), rate, s, a.median))
    if not pts:
        return None
    lt, rate, s, frac = min(pts, key=lambda p: p[0])
    zapier_lt = -math.log(plot.ZAPIER[1])
    return (f"At the sparsest poll point (λT = {fmt(lt, 2)}: T = {fmt(s.interval_ms)} ms, "
            f"{fmt(rate)} events/s) {hr.fmt_percent(frac)} of polls came back empty; the model "
            f"e^(−λT) says {hr.fmt_percent(math.exp(-lt))}. Zapier's published 98.5% empty polls "
            f"corresponds to λT ≈ {fmt(zapier_lt, 2)}: one event per "
            f"{fmt(1 / zapier_lt, 2)} polls.")


def model_rows(series):
    """Per point: measured and model medians for mean latency, requests/event, empty fraction."""
    out = []
    for s in series:
        for rate in s.rates:
            runs = s.points[rate]

            def get(column, runs=runs):
                a = hr.aggregate(runs, column)
                return a.median if a else None

            out.append(dict(series=s, rate=rate,
                            lat=get("latency_mean_us"), lat_model=get("model_latency_mean_us"),
                            rpe=get("requests_per_event"),
                            rpe_model=get("model_requests_per_event"),
                            empty=get("empty_poll_fraction") if s.pull else None,
                            empty_model=get("model_empty_poll_fraction") if s.pull else None))
    return out


EMPTY_REL_MIN = 0.05  # below this a model fraction is compared in percentage points


def empty_error(measured, model):
    if measured is None or model is None:
        return None, "-"
    if model >= EMPTY_REL_MIN:
        err = rel_error(measured, model)
        return err, fmt_error(err)
    diff = (measured - model) * 100
    if abs(diff) < 0.01:
        return None, "<0.01 pp"
    return None, f"{'+' if diff >= 0 else '−'}{fmt(abs(diff), 2)} pp"


def agreement_sentences(rows):
    out = []
    by_mode = {}
    for r in rows:
        by_mode.setdefault(r["series"].mode, []).append(r)
    for mode, rs in by_mode.items():
        for key, model, what in (("lat", "lat_model", "mean latency"),
                                 ("rpe", "rpe_model", "requests per event")):
            errs = [abs(e) for e in (rel_error(r[key], r[model]) for r in rs) if e is not None]
            if not errs:
                continue
            text = (f"{mode}: measured {what} vs the model: median error "
                    f"{fmt(statistics.median(errs) * 100, 2)}%, worst {fmt(max(errs) * 100, 2)}% "
                    f"over {len(errs)} points.")
            if key == "lat" and mode == "webhook":
                sign = [rel_error(r[key], r[model]) for r in rs]
                if all(e is not None and e > 1 for e in sign):
                    text += (" The webhook model R/2 leaves out service time (HTTP parsing, "
                             "signature, dispatch), which is what the measured latency mostly is.")
            out.append(text)
    return out


def winners_table(doc, series):
    rates = sorted({rate for s in series for rate in s.rates})
    columns = (("latency_p50_us", "lowest p50 latency", lambda v: fmt(v / 1000) + " ms"),
               ("requests_per_event", "fewest requests/event", lambda v: fmt(v)),
               ("bytes_per_event", "fewest bytes/event", lambda v: fmt(v)),
               ("cpu_us_per_event_total", "least CPU/event (both sides)",
                lambda v: fmt(v) + " µs"))
    rows = []
    for rate in rates:
        present = [s for s in series if rate in s.points]
        if len(present) < 2:
            continue
        row = [fmt(rate)]
        for column, _, show in columns:
            vals = [(hr.medians(s, column).get(rate), s) for s in present]
            vals = [(v, s) for v, s in vals if v is not None]
            if not vals:
                row.append("-")
                continue
            v, s = min(vals, key=lambda p: p[0])
            row.append(f"{s.label()} ({show(v)})")
        rows.append(row)
    if rows:
        doc.p("The best measured series at each event rate (medians over repeats):")
        doc.table(["rate (events/s)"] + [c[1] for c in columns], rows, numeric_from=99)


def headline(series):
    """One computed sentence for the top of the report (and for slides)."""
    parts = []
    pairs = [(s, hr.push_baseline(series, s)) for s in series if s.pull]
    pairs = [(s, b) for s, b in pairs if b is not None]
    if not pairs:
        return None
    ratios, all_lower = [], True
    for s, b in pairs:
        a, c = hr.medians(s, "latency_p50_us"), hr.medians(b, "latency_p50_us")
        common = [r for r in a if r in c and c[r] > 0]
        ratios += [a[r] / c[r] for r in common]
        all_lower &= all(a[r] > c[r] for r in common)
    push_modes = sorted({b.mode for _, b in pairs}, key=hr.mode_order)
    if ratios and all_lower:
        parts.append(f"{' and '.join(push_modes)} delivered with a lower median latency than "
                     f"polling at every measured rate and interval "
                     f"({fmt_ratio_range(ratios)} lower)")
    elif ratios:
        parts.append("neither polling nor push had the lower median latency everywhere "
                     "(see below)")
    crossed = []
    for s, b in pairs:
        downs = [rate for rate, down in hr.crossings(hr.medians(s, "requests_per_event"),
                                                     hr.medians(b, "requests_per_event")) if down]
        if downs:
            crossed.append(f"T = {fmt(s.interval_ms)} ms: above λT ≈ "
                           f"{fmt(lambda_t(s, downs[0]), 2, True)}, {fmt(downs[0], 2)} events/s")
    if crossed:
        parts.append("polling needed fewer requests per delivered event once enough events "
                     "arrived per poll interval (" + "; ".join(crossed) + ")")
    elif ratios:
        parts.append("the request crossover was not inside the measured range")
    if not parts:
        return None
    text = "; ".join(parts) + "."
    return "**In one sentence:** " + text[0].upper() + text[1:]


def section_conclusions(doc, series, model):
    doc.h(2, "What the data says")
    pull = [s for s in series if s.pull]
    push = [s for s in series if not s.pull]
    said = []
    if not series:
        text = "No run in this folder produced measurements, so there is nothing to conclude."
        doc.p(text)
        return [text]
    if not pull or not push:
        have = ", ".join(sorted({s.mode for s in series}, key=hr.mode_order)) or "no"
        text = (f"This folder has only {have} runs, so polling and push cannot be compared "
                "here: the crossover needs a sweep with at least one poll mode and one push mode "
                "at the same rates.")
        doc.p(text)
        said.append(text)
    else:
        top = headline(series)
        if top:
            doc.p(top)
            said.append(top)
    for s in pull:
        base = hr.push_baseline(series, s)
        if base is None:
            if push:
                text = (f"{series_name(s)} has no push series with the same subscribers, "
                        "payload and arrivals to compare with.")
                doc.p(text)
                said.append(text)
            continue
        doc.h(3, f"{series_name(s)} vs {base.mode}")
        items = [crossing_sentence(s, base, "requests_per_event", "sent",
                                   "requests per delivered event")]
        for column, name in (("latency_p50_us", "p50"), ("latency_p99_us", "p99")):
            sentence = ratio_sentence(s, base, column, name)
            if sentence:
                items.append(sentence[0].upper() + sentence[1:])
        items.append(crossing_sentence(s, base, "bytes_per_event", "moved",
                                       "bytes per delivered event"))
        items.append(crossing_sentence(s, base, "cpu_us_per_event_total", "spent",
                                       "CPU µs per delivered event (producer + consumer)"))
        doc.ul(items)
        said += items
    sentence = empty_poll_sentence(series)
    if sentence:
        doc.h(3, "Empty polls")
        doc.p(sentence)
        said.append(sentence)
    agreement = agreement_sentences(model)
    if agreement:
        doc.h(3, "How well the model predicts")
        doc.ul(agreement)
        said += agreement
    if len(series) > 1:
        doc.h(3, "Best at each rate")
        winners_table(doc, series)
    return said


def section_charts(doc, charts):
    doc.h(2, "Charts")
    for name, title in plot.CHARTS:
        if name in charts:
            doc.h(3, title)
            doc.img(charts[name], title, CHART_CAPTIONS[name])


def low_mark(runs, name):
    return "*" if any(name in r["latency_low_sample"].split(";") for r in runs) else ""


def section_tables(doc, series):
    doc.h(2, "Results per mode")
    doc.p("Medians over the repeats of each point; delivered and lost are totals over them. "
          "Latency = consumer parsed − scheduled creation. * = fewer than 10 samples at or "
          "beyond that percentile in at least one run.")
    varying = sorted(series[0].varying) if series else []
    by_mode = {}
    for s in series:
        by_mode.setdefault(s.mode, []).append(s)
    for mode, group in by_mode.items():
        doc.h(3, mode)
        pull = any(s.pull for s in group)
        headers = ["rate (events/s)"] + (["T (ms)", "λT"] if pull else []) + \
            [{"subscribers": "N", "payload_bytes": "payload (B)", "arrivals": "arrivals",
              "scenario": "scenario"}[v] for v in varying] + \
            ["runs", "delivered", "lost", "p50 (ms)", "p99 (ms)", "requests/event",
             "bytes/event", "CPU µs/event producer", "CPU µs/event consumer"]
        rows = []
        for s in group:
            for rate in s.rates:
                runs = s.points[rate]

                def show(c, scale=1.0, runs=runs):
                    a = hr.aggregate(runs, c, scale)
                    return fmt(a.median) if a else "-"

                row = [fmt(rate)]
                if pull:
                    row += [fmt(s.interval_ms), fmt(lambda_t(s, rate))] if s.pull else ["-", "-"]
                row += [fmt(s.extras[v]) if isinstance(s.extras[v], float) else s.extras[v]
                        for v in varying]
                delivered = sum(int(r["delivered"] or 0) for r in runs)
                lost = sum(int(r["lost"] or 0) for r in runs)
                row += [str(len(runs)), str(delivered), str(lost),
                        show("latency_p50_us", 1e-3) + low_mark(runs, "p50"),
                        show("latency_p99_us", 1e-3) + low_mark(runs, "p99"),
                        show("requests_per_event"), show("bytes_per_event"),
                        show("cpu_us_per_event_producer"), show("cpu_us_per_event_consumer")]
                rows.append(row)
        doc.table(headers, rows, numeric_from=0)


def section_model(doc, model):
    doc.h(2, "Model vs measurement")
    doc.p("Medians over repeats. Error = (measured − model) / model. The empty-poll fraction is "
          f"compared in percentage points (pp) where the model's is below "
          f"{fmt(EMPTY_REL_MIN * 100)}%, since a relative error of a near-zero fraction means "
          "nothing. The model: poll mean latency T/2 + R/2, requests per event 1/(λT), empty "
          "polls e^(−λT); webhook latency R/2, one request per event; R = the measured round "
          "trip.")
    rows = []
    for r in model:
        s = r["series"]
        _, empty_err = empty_error(r["empty"], r["empty_model"])
        rows.append([
            s.label(), fmt(r["rate"]), fmt(lambda_t(s, r["rate"])) if s.pull else "-",
            hr.fmt_ms(r["lat"]), hr.fmt_ms(r["lat_model"]),
            fmt_error(rel_error(r["lat"], r["lat_model"])),
            fmt(r["rpe"]), fmt(r["rpe_model"]), fmt_error(rel_error(r["rpe"], r["rpe_model"])),
            hr.fmt_percent(r["empty"]) if s.pull else "-",
            hr.fmt_percent(r["empty_model"]) if s.pull else "-",
            empty_err if s.pull else "-",
        ])
    doc.table(["series", "rate (events/s)", "λT", "mean latency (ms)", "model", "error",
               "requests/event", "model", "error", "empty polls", "model", "error"], rows)


# --- driver -------------------------------------------------------------------------------------

def charts_stale(folder, charts_dir):
    inputs = [os.path.join(folder, n) for n in ("runs.csv", "trace.jsonl")]
    newest = max((os.path.getmtime(p) for p in inputs if os.path.exists(p)), default=0)
    for name, _ in plot.CHARTS:
        png = os.path.join(charts_dir, name + ".png")
        if not os.path.isfile(png) or os.path.getmtime(png) < newest:
            return True
    return False


def build(folder, charts_dir=None, log=None):
    """Writes REPORT.md and REPORT.html; returns their paths. Raises hr.ResultsError."""
    rows = hr.load_runs(folder)
    charts_dir = charts_dir or os.path.join(folder, "charts")
    if charts_stale(folder, charts_dir):
        plot.make_charts(folder, charts_dir, log=log)
    charts = {name: os.path.join(charts_dir, name + ".png") for name, _ in plot.CHARTS}
    series = hr.group_series(rows)
    envs = hr.environments(folder, rows)
    model = model_rows(series)

    scenarios = sorted({r["scenario"] for r in rows if r["scenario"]})
    title = "hookbench report" + (f": {', '.join(scenarios)}" if scenarios else "")
    doc = Doc()
    doc.h(1, title)
    doc.p(f"Generated by `scripts/report.py` from `runs.csv` ({plural(len(rows), 'run')}). "
          "Every number and every sentence about numbers below is computed from those runs.")
    section_question(doc)
    section_setup(doc, folder, rows, series, envs)
    section_warnings(doc, rows, series)
    section_conclusions(doc, series, model)
    section_charts(doc, charts)
    section_tables(doc, series)
    section_model(doc, model)

    md_path = os.path.join(folder, "REPORT.md")
    html_path = os.path.join(folder, "REPORT.html")
    with open(md_path, "w", encoding="utf-8") as f:
        f.write(render_markdown(doc, folder))
    with open(html_path, "w", encoding="utf-8") as f:
        f.write(render_html(doc, title))
    return md_path, html_path


def main(argv=None):
    p = argparse.ArgumentParser(
        description="Write REPORT.md and a self-contained REPORT.html for a hookbench sweep "
        "results folder (draws the charts first if they are missing or older than runs.csv).")
    p.add_argument("results", metavar="DIR", help="results folder with runs.csv")
    p.add_argument("--charts", metavar="DIR", help="chart folder (default: DIR/charts)")
    args = p.parse_args(argv)
    try:
        md, html_file = build(args.results, args.charts, log=print)
    except hr.ResultsError as e:
        print(f"report.py: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"report.py: error: {e.filename or ''}: {e.strerror}", file=sys.stderr)
        return 2
    print(f"report.py: wrote {md} and {html_file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
