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
import json
import math
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hookbench_results as hr  # noqa: E402
import plot  # noqa: E402

fmt = hr.fmt_number

KEY_CHARTS = ("latency_vs_rate", "requests_per_s")  # shown with the answer, up front

REFERENCES = (
    ("zapier", "Zapier, *REST Hooks* (resthooks.org): of 30 million polls, 460 thousand "
     "returned data, so 98.5% were empty. https://resthooks.org/"),
    ("bozdag2007", "E. Bozdag, A. Mesbah, A. van Deursen, \"A Comparison of Push and Pull "
     "Techniques for AJAX\", 9th IEEE International Workshop on Web Site Evolution (WSE 2007)."),
    ("bozdag2009", "E. Bozdag, A. Mesbah, A. van Deursen, \"Performance Testing of Data "
     "Delivery Techniques for AJAX Applications\", Journal of Web Engineering 8(4), 2009."),
)


def cite(key):
    return f"[{[k for k, _ in REFERENCES].index(key) + 1}]"


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


def series_name(s):
    """'poll (T = 100 ms)', 'webhook (httplib)', 'poll (T = 100 ms, httplib)' in prose."""
    parts = [q.replace("T=", "T = ") for q in s.qualifiers()]
    if not s.default_stack:
        parts.append(s.stack)
    return s.mode + (f" ({', '.join(parts)})" if parts else "")


def who(s):
    """A series in a sentence where its T is already said: 'poll', 'webhook (httplib)'."""
    return plot.mode_name(s)


def lambda_t(s, rate):
    return rate * s.interval_ms / 1000.0 if s.pull else None


# --- the sections -------------------------------------------------------------------------------

def section_question(doc, modes=()):
    doc.h(2, "The question and the model")
    doc.p("A consumer that wants to hear about new events can **poll** the producer's API every "
          "T seconds, or the producer can **push** each event to it (a webhook POST, or another "
          "push mode). Which is cheaper depends on λT, the expected number of events per poll "
          f"interval. Bozdag, Mesbah and van Deursen measured the same trade-off between push "
          f"and pull for AJAX applications {cite('bozdag2007')} {cite('bozdag2009')}.")
    doc.p("**The model's claim** (Poisson events at rate λ, N subscribers, poll interval T, round "
          "trip R; hookbench evaluates it in C++ and writes it to runs.csv and model.csv, at the "
          "realised rate and the in-run round trip): a poller sends N/T requests per second "
          "whatever λ is, so 1/(λT) per event, and a poll finds nothing with probability "
          "e^(−λT); its mean latency is T/2 + R/2 plus the generator's lag. A webhook sends one "
          "POST per event per subscriber (λN per second) and its latency is the generator's lag "
          "plus the in-run POST round trip (median), an empirical claim. The "
          "requests per second cross where λ = 1/T. The charts draw this model beside the "
          "measurement; the sections below say where the measurement agrees with it.")
    claims = model_claims(modes)
    if claims:
        doc.p("**The model's claim for the other designs** in this folder (G: the generator's "
              "lag, W: the batch window):")
        doc.ul(claims)


# The model's claim for each design beyond poll and webhook, in words (src/model/model.hpp
# evaluates it; the report only says what it claims, for the modes the folder has).
MODEL_CLAIMS = {
    "poll-conditional": "**poll-conditional** polls like poll (the same latency and requests in "
                        "the model); an unchanged answer is a 304 with no body, so its bytes "
                        "follow the run's own per-exchange overhead.",
    "poll-adaptive": "**poll-adaptive** is a Markov chain over the intervals T, Tb, Tb², … up "
                     "to the cap: an empty poll moves one step up, a poll with events back to "
                     "T; its polls per second and latency follow from the chain's stationary "
                     "distribution.",
    "long-poll": "**long-poll** sends about one request per event while λR ≪ 1, batching as λR "
                 "grows; its latency is about G + R/2 (plus R/2 for the events that arrive "
                 "during a round trip).",
    "webhook-batch": "**webhook-batch** sends a batch W after its first event (sooner when it "
                     "is full): 1/(1 + λW) requests per event and a latency of about G + R_post "
                     "+ W(1 + λW/2)/(1 + λW), so about R + W/2 once λW ≫ 1.",
}
STREAM_MODES = ("sse", "websocket")
STREAM_CLAIM = ("hold{s} one connection per subscriber and send{s} no request per event; the "
                "latency is about G + R/2, the one-way trip.")


def model_claims(modes):
    """The model's claims, in words, for the modes present beyond poll and webhook, in the
    modes' order; sse and websocket share one."""
    streams = [m for m in STREAM_MODES if m in modes]
    out = []
    for m in modes:
        if m in MODEL_CLAIMS:
            out.append(MODEL_CLAIMS[m])
        elif streams and m == streams[0]:
            out.append(" and ".join(f"**{x}**" for x in streams) + " " +
                       STREAM_CLAIM.format(s="" if len(streams) > 1 else "s"))
    return out


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
    if isinstance(value, dict):  # {"producer": 0, "consumer": 1}: say it as words
        return ", ".join(f"{k} {env_text(v)}" for k, v in sorted(value.items(), reverse=True))
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
    points = {(s.mode, s.interval_ms, s.stack, s.tuning, tuple(s.extras.items()), rate)
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
        ("consumer HTTP stack", ", ".join(sorted({r["consumer_stack"] for r in ok},
                                                 key=lambda k: (k != hr.DEFAULT_STACK, k)))
         or hr.DEFAULT_STACK),
        ("runs", f"{len(rows)} ({len(ok)} measured, {len(failed)} failed)"),
        ("points", (f"{len(points)}, one run each" if counts and max(counts) == 1 else
                    f"{len(points)}, {fmt_range(counts)} runs each (repeats with different seeds; "
                    "tables and charts show the median over them)") if counts else "0"),
        ("network", network_text(envs)),
        ("measured window per run", f"{fmt_range(windows, ' s')} (total {fmt(sum(windows))} s)"
         if windows else "-"),
    ]
    knobs = {}
    for r in ok:
        if r["tuning"]:
            knobs.setdefault(r["mode"], set()).add(r["tuning"].replace(";", "; "))
    for mode in sorted(knobs, key=hr.mode_order):
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


def names(runs, limit=6):
    shown = ", ".join(f"`{r['run_id']}`" for r in runs[:limit])
    return shown + (f" and {len(runs) - limit} more" if len(runs) > limit else "")


def collect_warnings(rows, series, envs, model_present):
    """[(kind, count, unit, detail)]: every warning, grouped by kind, with how many runs or
    points it concerns."""
    out = []
    failed = [r for r in rows if r["failed_run"]]
    ok = hr.ok_runs(rows)
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
    saturated = [r for r in ok if r["saturated"]]
    if saturated:
        out.append(("saturated runs (did not keep up)", len(saturated), "run", "; ".join(
            f"`{r['run_id']}`: {r['saturated_reason'] or 'no reason given'}"
            for r in saturated[:6])))
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
    expected_k = max((len(v) for s in series for v in s.points.values()), default=0)
    missing = [f"{series_name(s)} at {fmt(rate)} events/s: only {len(s.points[rate])} of "
               f"{expected_k} repeats measured"
               for s in series for rate in s.rates if len(s.points[rate]) < expected_k]
    if missing:
        out.append(("points missing repeats", len(missing), "point", "; ".join(missing[:6])))
    thin = []
    for s in series:
        for rate in s.rates:
            runs = s.points[rate]
            why = [w for w, bad in (
                (f"{int(min(r['latency_count'] or 0 for r in runs))} latency samples",
                 hr.latency_thin(runs)),
                (f"{int(min(r['polls'] or 0 for r in runs))} polls", hr.polls_thin(runs))) if bad]
            if why:
                thin.append(f"{series_name(s)} at {fmt(rate)} events/s ({', '.join(why)})")
    if thin:
        out.append(("thin points", len(thin), "point",
                    f"fewer than {hr.THIN_LATENCY_COUNT} latency samples or "
                    f"{hr.THIN_POLLS} polls in a repeat (drawn faded): " + "; ".join(thin[:6])
                    + (f" and {len(thin) - 6} more" if len(thin) > 6 else "")))
    for name in ("p50", "p99"):
        flagged = [r for r in ok if name in r["latency_low_sample"].split(";")]
        if flagged:
            out.append((f"{hr.PERCENTILE_NAMES[name]} on fewer than 10 samples", len(flagged),
                        "run", f"marked * in the tables: {names(flagged)}"))
    no_cpu = [r for r in ok if not hr.is_finite(r.get("cpu_cores_producer"))
              or not hr.is_finite(r.get("cpu_cores_consumer"))]
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


def section_warnings(doc, rows, series, envs, model_present):
    items = collect_warnings(rows, series, envs, model_present)
    total = sum(n for _, n, _, _ in items)
    doc.h(2, f"Warnings ({plural(len(items), 'kind')})" if items else "Warnings")
    if items:
        doc.p("Grouped by kind; the count says how many runs, points or revisions each concerns.")
        doc.ul(f"**{kind}** ({plural(n, unit)}): {detail}" for kind, n, unit, detail in items)
    else:
        ok = hr.ok_runs(rows)
        doc.p(f"None: all {len(ok)} runs delivered every event exactly once, kept up, reached the "
              "scenario's minimums and had enough samples for p50 and p99.")
    return items, total


def crossing_sentence(s, base, column, verb, what, model=None):
    """'At T = 100 ms, poll sent fewer requests ... above λT ≈ 0.92 measured (1 predicted)'."""
    a, b = hr.medians(s, column), hr.medians(base, column)
    common = sorted(r for r in a if r in b)
    where = f"At T = {fmt(s.interval_ms)} ms"
    if len(common) < 2:
        return (f"{where}, {who(s)} and {who(base)} share fewer than two measured rates, so "
                f"where their {what} cross cannot be told.")
    found = hr.measured_crossings(s, base, column)  # at the realised rates
    predicted = ""
    cs, cb = (model or {}).get(s.model_key()), (model or {}).get(base.model_key())
    if column == "requests_per_event" and cs is not None and cb is not None:
        # The model's own curves (model.csv), not its values at the runs' realised rates.
        ma, mb = cs.as_dict("requests_per_event"), cb.as_dict("requests_per_event")
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
        text = (f"{where}, {who(s)} {verb} fewer {what} than {who(base)} above "
                f"λT ≈ {fmt(lambda_t(s, rate), 2, True)} measured (at the realised rates){predicted}, i.e. above "
                f"≈ {fmt(rate, 2)} events/s.")
        if len(found) > 1:
            text += (f" The measured curves cross {len(found)} times: near the crossing the "
                     "difference is within the noise.")
        return text
    if found:  # only upward crossings: polling became the more expensive one
        rate = found[0][0]
        return (f"{where}, {who(s)} {verb} more {what} than {who(base)} above "
                f"λT ≈ {fmt(lambda_t(s, rate), 2)} measured.")
    more = a[common[0]] > b[common[0]]
    return (f"{where}, {who(s)} {verb} {'more' if more else 'fewer'} {what} than {who(base)} "
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
        return (f"{who(base)} {name} latency was {fmt_ratio_range(ratios)} lower than {who(s)} "
                f"{where}.")
    if all(x < 1 for x in ratios):
        inv = [1 / x for x in ratios]
        return f"{who(s)} {name} latency was {fmt_ratio_range(inv)} lower than {who(base)} {where}."
    return (f"{name} latency of {who(s)} relative to {who(base)} ranged from "
            f"{fmt(min(ratios), 2)}× to {fmt(max(ratios), 2)}× {where}: neither was always lower.")


def empty_poll_sentence(series, model):
    pts = []
    for s in hr.reference_pull(series):  # plain poll: Zapier's polls were plain polls
        for rate, a in s.agg("empty_poll_fraction"):
            pts.append((lambda_t(s, rate), rate, s, a))
    if not pts:
        return None
    lt, rate, s, a = min(pts, key=lambda p: p[0])
    predicted = hr.aggregate(s.points[rate], "model_empty_poll_fraction")
    text = (f"At the sparsest poll point (λT = {fmt(lt, 2)}: T = {fmt(s.interval_ms)} ms, "
            f"{fmt(rate)} events/s) {hr.fmt_percent(a.median)} of polls came back empty "
            f"(median of {plural(a.k, 'run')}, {int(sum(r['polls'] or 0 for r in a.rows))} polls)")
    if predicted:
        text += f"; the model's claim at the realised rate is {hr.fmt_percent(predicted.median)}"
    text += (f". Zapier reported {hr.fmt_percent(plot.ZAPIER_EMPTY)} of its polls empty "
             f"{cite('zapier')}")
    curves = [c for c in (model or {}).values() if c.key[1] is not None and c.key[0] == s.mode]
    zapier_lt = None
    for c in curves:
        zapier_lt = zapier_lt or plot.inverse_read(
            {r["lambda_t"]: r["empty_poll_fraction"] for r in c.rows
             if hr.is_finite(r.get("lambda_t")) and hr.is_finite(r.get("empty_poll_fraction"))
             and r["lambda_t"] > 0}, plot.ZAPIER_EMPTY)
    if zapier_lt:
        text += f", which the model reaches at λT ≈ {fmt(zapier_lt, 2)}"
    return text + "."


def point_agreement(runs, column, ratio_of):
    """(judged, within, median signed error) of one point's repeats for an agreement column;
    ratio_of(row) is measured/model - 1 (or a difference) for the error."""
    judged = [r for r in runs if r.get(column) in ("within", "above", "below")]
    within = [r for r in judged if r[column] == "within"]
    errors = [e for e in (ratio_of(r) for r in judged) if e is not None]
    return len(judged), len(within), (statistics.median(errors) if errors else None)


def latency_error(r):
    x = r.get("model_latency_ratio")
    return x - 1 if hr.is_finite(x) else None


def empty_error_pp(r):
    a, b = r.get("empty_poll_fraction"), r.get("model_empty_poll_fraction")
    return (a - b) * 100 if hr.is_finite(a) and hr.is_finite(b) else None


def agreement_rows(series):
    """Per point and quantity: (series, rate, what, judged, within, error, unit)."""
    out = []
    for s in series:
        for rate in s.rates:
            runs = s.points[rate]
            for column, what, err, unit in (
                    ("model_latency_agreement", "mean latency", latency_error, "%"),
                    ("model_empty_agreement", "empty-poll fraction", empty_error_pp, "pp")):
                judged, within, error = point_agreement(runs, column, err)
                if judged:
                    out.append((s, rate, what, judged, within, error, unit))
    return out


def holds(judged, within):
    """A point's agreement holds when most of its judged repeats are within their CI."""
    return 2 * within > judged


def fmt_off(error, unit):
    if error is None:
        return "off"
    if unit == "%":
        return f"off by {'+' if error >= 0 else '−'}{fmt(abs(error) * 100, 2)}%"
    return f"off by {'+' if error >= 0 else '−'}{fmt(abs(error), 2)} pp"


def agreement_phrase(judged, within, error, unit):
    if holds(judged, within):
        return f"within its CI ({within} of {judged} repeats)"
    return f"{fmt_off(error, unit)} outside its CI ({judged - within} of {judged} repeats)"


def agreement_sentences(series):
    """The fraction of points whose model agreement holds, per quantity, then the points where
    it does not."""
    rows = agreement_rows(series)
    out = []
    for what in ("mean latency", "empty-poll fraction"):
        rs = [r for r in rows if r[2] == what]
        if not rs:
            continue
        ok = [r for r in rs if holds(r[3], r[4])]
        text = (f"**{what.capitalize()}**: the model holds within the measurement's 95% CI at "
                f"{len(ok)} of {plural(len(rs), 'point')} ({fmt(100 * len(ok) / len(rs), 2)}%).")
        bad = [r for r in rs if not holds(r[3], r[4])]
        if bad:
            text += " Elsewhere: " + "; ".join(
                f"{series_name(s)} at {fmt(rate)} events/s {agreement_phrase(j, w, e, u)}"
                for s, rate, _, j, w, e, u in bad[:8]) + (
                f"; and {len(bad) - 8} more" if len(bad) > 8 else "") + "."
        out.append(text)
    if rows:
        out.append("A point holds when most of its repeats have the model inside their 95% CI; "
                   "the model is evaluated at each run's realised rate and in-run round trip.")
    return out


def saturated_sentences(series):
    out = []
    for s in series:
        for rate, bad in s.saturated_points():
            reasons = sorted({r["saturated_reason"] for r in bad if r["saturated_reason"]})
            out.append(f"{series_name(s)} at {fmt(rate)} events/s: {len(bad)} of "
                       f"{len(s.points[rate])} repeats did not keep up"
                       + (f" ({'; '.join(reasons)})" if reasons else "") + ".")
    return out


def capacity_section(doc, searches):
    if not searches:
        return []
    doc.h(3, "Highest sustained rate (capacity search)")
    said = []
    for max_rate in searches:
        said += capacity_one(doc, max_rate)
    return said


def capacity_one(doc, max_rate):
    what = str(max_rate.get("mode", "?"))
    if max_rate.get("interval_ms"):
        what += f" T = {fmt(float(max_rate['interval_ms']))} ms"
    if max_rate.get("subscribers"):
        what += f", N = {max_rate['subscribers']}"
    bound = max_rate.get("p99_bound_us")
    bound_text = f"p99 ≤ {hr.fmt_ms(float(bound))} ms and no loss" if isinstance(
        bound, (int, float)) else "no loss"
    best = max_rate.get("max_sustained_rate")
    if isinstance(best, (int, float)):
        text = (f"The search found {what} sustained {fmt(float(best))} events/s at most "
                f"({bound_text}, not saturated).")
    else:
        text = f"The search found no rate that {what} sustained ({bound_text}, not saturated)."
    doc.p(text)
    rows = []
    for t in max_rate.get("tried") or []:
        if not isinstance(t, dict):
            continue
        rows.append([fmt(t.get("rate")) if isinstance(t.get("rate"), (int, float)) else "-",
                     "yes" if t.get("saturated") else "no", str(t.get("reason") or "-"),
                     hr.fmt_ms(t.get("p99_us")) if isinstance(t.get("p99_us"), (int, float))
                     else "-", str(t.get("lost", "-"))])
    if rows:
        doc.table(["rate tried (events/s)", "saturated", "reason", "p99 (ms)", "lost"], rows,
                  numeric_from=99)
    return [text]


def winners_table(doc, series):
    rates = sorted({rate for s in series for rate in s.rates})
    columns = (("latency_p50_us", "lowest p50 latency", lambda v: fmt(v / 1000) + " ms"),
               ("requests_per_event", "fewest requests/event", lambda v: fmt(v)),
               ("bytes_per_event", "fewest bytes/event", lambda v: fmt(v)),
               ("cpu_us_per_event_net_total", "least CPU/event net of idle (both sides)",
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


LOOPBACK = ("127.", "::1", "localhost")


def network_text(envs):
    """Where the runs' traffic went, from the run JSONs' config.host."""
    hosts = sorted({str(c.get("host")) for _, _, c in envs if c.get("host")})
    if not hosts:
        return "unknown (no run JSON records config.host)"
    if all(h.startswith(LOOPBACK) for h in hosts):
        return f"loopback ({', '.join(hosts)}): both processes on one host"
    return ", ".join(hosts)


def round_trip(series):
    """(median, lo, hi, what) of the round trip the model used in the webhook runs (the in-run
    POST round trip), else the back-to-back ping of any run."""
    push = [r for s in series if s.mode == "webhook" for r in s.runs()]
    a = hr.aggregate(push, "model_rtt_us")
    if a:
        return a.median, a.lo, a.hi, "in-run webhook POST round trip"
    a = hr.aggregate([r for s in series for r in s.runs()], "rtt_us")
    if a:
        return a.median, a.lo, a.hi, "idle back-to-back round trip (measured before the runs)"
    return None


def headline(series, envs):
    """The answer in one computed paragraph: the network first, then what was measured there."""
    # Plain polling against its push baseline: the other designs have their own section.
    pairs = [(s, hr.push_baseline(series, s)) for s in hr.reference_pull(series)]
    pairs = [(s, b) for s, b in pairs if b is not None]
    if not pairs:
        return None
    net = network_text(envs)
    rtt = round_trip(series)
    where = f"On this network, {net}"
    if rtt:
        spread = "" if fmt(rtt[1]) == fmt(rtt[2]) else f"; {fmt(rtt[1])}–{fmt(rtt[2])} µs"
        where += f", with an {rtt[3]} of {fmt(rtt[0])} µs (median{spread})"
    parts = []
    ratios, all_lower = [], True
    for s, b in pairs:
        a, c = hr.medians(s, "latency_p50_us"), hr.medians(b, "latency_p50_us")
        common = [r for r in a if r in c and c[r] > 0]
        ratios += [a[r] / c[r] for r in common]
        all_lower &= all(a[r] > c[r] for r in common)
    push_modes = sorted({who(b) for _, b in pairs}, key=hr.mode_order)
    intervals = ", ".join(fmt(s.interval_ms) for s, _ in pairs)
    if ratios and all_lower:
        parts.append(f"{' and '.join(push_modes)} delivered with a median latency "
                     f"{fmt_ratio_range(ratios)} lower than polling at T = {intervals} ms, at "
                     "every measured rate. That ratio holds on this network only: the model "
                     "claims push latency grows with the round trip while polling's is set by T")
    elif ratios:
        parts.append("neither polling nor push had the lower median latency everywhere "
                     "(see below)")
    crossed = []
    for s, b in pairs:
        downs = [rate for rate, down in hr.measured_crossings(s, b, "requests_per_event")
                 if down]
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
    counts = sorted({len(v) for s in series for v in s.points.values()})
    med = (f"medians over {fmt_range(counts)} repeats per point" if counts[-1] > 1
           else "one run per point")
    return f"**The answer.** {where}: " + "; ".join(parts) + f" ({med})."


def rtt_headline(rows):
    """The push/poll latency ratio at each measured round trip, in words computed from the
    data, or None when the folder has one round trip only."""
    found = hr.rtt_ratios(rows)
    if not found:
        return None
    parts = []
    for e in found:
        pts = e["points"]

        def faster(ratio):
            return (f"{fmt(1 / ratio, 2)}× faster" if ratio < 1 / 1.05
                    else f"{fmt(ratio, 2)}× slower" if ratio > 1.05 else "about as fast")
        steps = "; ".join(f"{faster(p[1])} at {'loopback' if p[0] == 0 else fmt(p[0]) + ' ms'}"
                          for p in pts)
        first, last = pts[0][1], pts[-1][1]
        if last > first * 1.05:
            trend = ("so the advantage of pushing shrinks as the round trip grows: the round "
                     "trip adds to both, and is a larger share of push's small latency")
            if first < 1 <= last:
                trend = "so polling caught up with push as the round trip grew"
        elif last < first / 1.05:
            trend = "so the advantage of pushing grew with the round trip"
        else:
            trend = "so the round trip changed the ratio little"
        parts.append(f"{e['push']} against polling every {fmt(e['interval_ms'])} ms at "
                     f"{fmt(e['rate'])} events/s (mean latency): {steps}; {trend}")
    return ("**Through a slower network.** With hookbench's emulated link between the sides "
            "(half the round trip each way): " + ". ".join(parts) + ".")


def section_answer(doc, series, envs, charts, captions, rows=()):
    doc.h(2, "The answer")
    pull = [s for s in series if s.pull]
    push = [s for s in series if not s.pull]
    said = []
    if not series:
        text = "No run in this folder produced measurements, so there is nothing to conclude."
    elif not pull or not push:
        have = ", ".join(sorted({s.mode for s in series}, key=hr.mode_order)) or "no"
        text = (f"This folder has only {have} runs, so polling and push cannot be compared "
                "here: the crossover needs a sweep with at least one poll mode and one push mode "
                "at the same rates.")
    else:
        text = headline(series, envs)
    if text:
        doc.p(text)
        said.append(text)
    text = rtt_headline(rows) if series else None
    if text:
        doc.p(text)
        said.append(text)
    others = [m for m in dict.fromkeys(s.mode for s in series)
              if m not in ("poll", "webhook")]
    if others and len(series) > 1:
        text = (f"This folder also has {', '.join(others)}: the mode comparison below sets "
                "every mode side by side at each rate.")
        doc.p(text)
        said.append(text)
    for name in KEY_CHARTS:
        if name in charts:
            doc.img(charts[name], plot.TITLES[name], captions.get(name, ""))
    return said


def section_conclusions(doc, series, model, max_rate):
    doc.h(2, "What the data says")
    pull = hr.reference_pull(series)  # plain poll; the other designs: the mode comparison
    push = [s for s in series if not s.pull]
    said = []
    for s in pull:
        base = hr.push_baseline(series, s)
        if base is None:
            if push:
                text = (f"{series_name(s)} has no push series with the same subscribers, "
                        "payload and arrivals to compare with.")
                doc.p(text)
                said.append(text)
            continue
        doc.h(3, f"{series_name(s)} vs {series_name(base)}")
        items = [crossing_sentence(s, base, "requests_per_event", "sent",
                                   "requests per delivered event", model)]
        for column, name in (("latency_p50_us", "p50"), ("latency_p99_us", "p99")):
            sentence = ratio_sentence(s, base, column, name)
            if sentence:
                items.append(sentence[0].upper() + sentence[1:])
        items.append(crossing_sentence(s, base, "bytes_per_event", "moved",
                                       "bytes per delivered event"))
        items.append(crossing_sentence(s, base, "cpu_us_per_event_net_total", "spent",
                                       "CPU µs per delivered event net of idle (producer + "
                                       "consumer)"))
        doc.ul(items)
        said += items
    sentence = empty_poll_sentence(series, model)
    if sentence:
        doc.h(3, "Empty polls")
        doc.p(sentence)
        said.append(sentence)
    agreement = agreement_sentences(series)
    if agreement:
        doc.h(3, "How well the model predicts")
        doc.ul(agreement)
        said += agreement
    saturated = saturated_sentences(series)
    doc.h(3, "Saturated points")
    if saturated:
        doc.p("These points did not keep up in at least one repeat (drawn hollow with a red "
              "edge on every chart); their latency and cost describe an overloaded system:")
        doc.ul(saturated)
        said += saturated
    else:
        doc.p("None: every run kept up (generator lag, queue depth at the window's end and "
              "drain time within bounds).")
    said += capacity_section(doc, max_rate)
    if len(series) > 1:
        doc.h(3, "Best at each rate")
        winners_table(doc, series)
    return said


# Designs built as a variation of another: what the variation saved and what it cost, at the
# same poll interval, stack and other axes. (mode, the mode it varies, the column it is meant to
# save, how that column reads in a sentence, the verb, the model's column for it.)
COMPARISON_PAIRS = (
    ("webhook-batch", "webhook", "requests_per_event", "requests per delivered event", "sent",
     "model_requests_per_event"),
    ("poll-conditional", "poll", "bytes_per_event", "bytes per delivered event", "moved",
     "model_bytes_per_event"),
    ("poll-adaptive", "poll", "requests_per_event", "requests per delivered event", "sent",
     "model_requests_per_event"),
)
COMPARISON_HEADERS = ("rate (events/s)", "series", "runs", "p50 (ms)", "p99 (ms)",
                      "requests/event", "bytes/event", "CPU µs/event producer",
                      "CPU µs/event consumer", "saturated")


def spread_text(runs, column, scale=1.0):
    """'0.32 (0.3–0.35)': the median over repeats and, with several, their min–max."""
    a = hr.aggregate(runs, column, scale)
    if a is None:
        return "-"
    if a.err == "min-max" and fmt(a.lo) != fmt(a.hi):
        return f"{fmt(a.median)} ({fmt(a.lo)}–{fmt(a.hi)})"
    return fmt(a.median)


def saturated_text(runs):
    bad = sum(1 for r in runs if r["saturated"])
    return f"yes ({bad} of {len(runs)})" if bad else "no"


def comparison_rows(series):
    """The mode comparison table: one row per series (mode, T, stack) at each rate it has."""
    rows = []
    for rate in sorted({rate for s in series for rate in s.rates}):
        for s in series:
            runs = s.points.get(rate)
            if not runs:
                continue
            rows.append([fmt(rate), s.label(), str(len(runs)),
                         spread_text(runs, "latency_p50_us", 1e-3) + low_mark(runs, "p50"),
                         spread_text(runs, "latency_p99_us", 1e-3) + low_mark(runs, "p99"),
                         spread_text(runs, "requests_per_event"),
                         spread_text(runs, "bytes_per_event"),
                         spread_text(runs, "cpu_us_per_event_producer"),
                         spread_text(runs, "cpu_us_per_event_consumer"),
                         saturated_text(runs)])
    return rows


def sat_mark(s, rate):
    return " (saturated)" if any(r["saturated"] for r in s.points.get(rate, [])) else ""


def fastest_sentences(series):
    """Per rate: the lowest median p50 and the runner-up, whether their repeats overlap, and the
    fewest requests per delivered event."""
    out, winners = [], []
    for rate in sorted({rate for s in series for rate in s.rates}):
        lat = [(hr.aggregate(s.points[rate], "latency_p50_us", 1e-3), s)
               for s in series if rate in s.points]
        lat = sorted(((a, s) for a, s in lat if a), key=lambda p: p[0].median)
        if len(lat) < 2:
            continue
        (a, w), (b, r) = lat[0], lat[1]
        winners.append(w)
        spans = (f"{w.label()} {fmt(a.lo)}–{fmt(a.hi)} ms, {r.label()} {fmt(b.lo)}–"
                 f"{fmt(b.hi)} ms")
        if a.k > 1 and b.k > 1:
            gap = (f"every repeat of the first was faster than every repeat of the second "
                   f"({spans})" if a.hi < b.lo else
                   f"their repeats overlap ({spans}), so the order between them is not settled")
        else:
            gap = "one run each, so no spread to judge the order by"
        text = (f"At {fmt(rate)} events/s the lowest median p50 was {fmt(a.median)} ms, by "
                f"{w.label()}{sat_mark(w, rate)}; next came {r.label()} with {fmt(b.median)} ms"
                f"{sat_mark(r, rate)}: {gap}.")
        req = [(hr.aggregate(s.points[rate], "requests_per_event"), s)
               for s in series if rate in s.points]
        req = [(a, s) for a, s in req if a]
        if len(req) > 1:
            a, s = min(req, key=lambda p: p[0].median)
            text += (f" Fewest requests per delivered event: {s.label()} ({fmt(a.median)}"
                     f"{sat_mark(s, rate)}).")
        out.append(text)
    if len(winners) > 1 and all(w is winners[0] for w in winners):
        out.insert(0, f"{winners[0].label()} had the lowest median p50 at every one of the "
                      f"{len(winners)} rates measured for more than one series.")
    return out


def counterpart(series, a, mode):
    """The series of `mode` that `a` varies: same T, stack and other axes."""
    for s in series:
        if s.mode == mode and s.interval_ms == a.interval_ms and s.stack == a.stack and \
                s.matches(a):
            return s
    return None


def times_word(ratio, noun, other=""):
    """'7.7× fewer requests than X' for ratio = X's value / this one's; 'about as many
    requests as X' within 5%."""
    than = f" than {other}" if other else ""
    if ratio > 1.05:
        return f"{fmt(ratio, 2)}× fewer {noun}{than}".replace("  ", " ")
    if ratio < 1 / 1.05:
        return f"{fmt(1 / ratio, 2)}× more {noun}{than}".replace("  ", " ")
    return f"about as many {noun}{f' as {other}' if other else ''}".replace("  ", " ")


def difference_phrase(diffs, what):
    """'its median p50 was 24–26 ms higher' from a - b in ms."""
    lo, hi = min(diffs), max(diffs)
    span = fmt(abs(lo)) if fmt(abs(lo)) == fmt(abs(hi)) else \
        f"{fmt(min(abs(lo), abs(hi)))}–{fmt(max(abs(lo), abs(hi)))}"
    if lo > 0:
        return f"its {what} was {span} ms higher"
    if hi < 0:
        return f"its {what} was {span} ms lower"
    return f"its {what} was between {fmt(-lo)} ms lower and {fmt(hi)} ms higher"


def pair_sentences(series):
    """What each variation (webhook-batch on webhook, ...) saved and what it cost in latency,
    from the medians at the lowest and highest common rate; the model's claim beside it, said to
    be the model's."""
    out = []
    for mode, other, column, noun, verb, model_column in COMPARISON_PAIRS:
        for a in (s for s in series if s.mode == mode):
            b = counterpart(series, a, other)
            if b is None:
                continue
            va, vb = hr.medians(a, column), hr.medians(b, column)
            la, lb = hr.medians(a, "latency_p50_us"), hr.medians(b, "latency_p50_us")
            common = sorted(r for r in va if r in vb and va[r] > 0 and vb[r] > 0
                            and r in la and r in lb)
            if not common:
                continue
            low, top = common[0], common[-1]
            text = (f"{series_name(a)} {verb} "
                    f"{times_word(vb[top] / va[top], noun, series_name(b))} at {fmt(top)} "
                    f"events/s ({fmt(va[top])} against {fmt(vb[top])})")
            if low != top:
                text += (f" and {times_word(vb[low] / va[low], '').strip()} at {fmt(low)} "
                         f"events/s ({fmt(va[low])} against {fmt(vb[low])})")
            text += ("; " + difference_phrase([(la[r] - lb[r]) / 1000 for r in common],
                                              "median p50")
                     + (f" at the {len(common)} common rates" if len(common) > 1 else "")
                     + f" ({hr.fmt_ms(la[top])} against {hr.fmt_ms(lb[top])} ms at {fmt(top)} "
                     "events/s).")
            predicted = hr.aggregate(a.points[top], model_column)
            latency = hr.aggregate(a.points[top], "model_latency_mean_us")
            claims = []
            if predicted:
                claims.append(f"{fmt(predicted.median)} {noun}")
            if latency:
                claims.append(f"a mean latency of {hr.fmt_ms(latency.median)} ms")
            if claims:
                text += (f" The model's claim for {series_name(a)} at {fmt(top)} events/s (at "
                         f"the realised rate): {' and '.join(claims)}.")
            for x in (a, b):
                sat = [r for r in common if sat_mark(x, r)]
                if sat:
                    text += (f" {series_name(x)} was saturated at {fmt_list(sat, ' events/s')}: "
                             "those numbers describe an overloaded system.")
            out.append(text)
    return out


def section_comparison(doc, series):
    """Every mode (and stack) side by side at the rates measured, and what the numbers say."""
    if len(series) < 2:
        return []
    doc.h(2, "Mode comparison")
    doc.p("Every delivery mode (each poll interval and consumer stack its own row) at each rate "
          "it was measured at: medians over repeats with the min–max over repeats in brackets "
          "(none with one run). p50 and p99 are the delivery latency; requests and bytes per "
          "delivered event count both directions; CPU is µs per delivered event on each side, "
          "gross (the idle baseline included). * = fewer than 10 samples at or beyond that "
          "percentile in a repeat; saturated: repeats that did not keep up.")
    doc.table(list(COMPARISON_HEADERS), comparison_rows(series), numeric_from=2)
    said = fastest_sentences(series) + pair_sentences(series)
    doc.ul(said)
    return said


def section_charts(doc, charts, captions):
    doc.h(2, "More charts")
    for name, title in plot.CHARTS:
        if name in charts and name not in KEY_CHARTS:
            doc.h(3, title)
            doc.img(charts[name], title, captions.get(name, ""))


def low_mark(runs, name):
    return "*" if any(name in r["latency_low_sample"].split(";") for r in runs) else ""


def section_tables(doc, series):
    doc.h(2, "Results per mode")
    doc.p("Medians over the repeats of each point; delivered and lost are totals over them. "
          "Latency = consumer parsed − scheduled creation. * = fewer than 10 samples at or "
          "beyond that percentile in at least one run. CPU µs/event is gross (the idle "
          "baseline included); the charts also show it net of idle. A point marked "
          "\"saturated\" did not keep up in at least one repeat.")
    varying = sorted(v for v in series[0].varying if v in hr.EXTRA_AXES) if series else []
    by_mode = {}
    for s in series:
        by_mode.setdefault(s.mode, []).append(s)
    for mode, group in by_mode.items():
        doc.h(3, mode)
        knobs = sorted({s.tuning for s in group if s.tuning})
        if knobs:
            doc.p("Knobs (config.tuning): " + "; ".join(f"`{k}`" for k in knobs) + ".")
        pull = any(s.pull for s in group)
        stacks = any(not s.default_stack for s in group)
        headers = ["rate (events/s)"] + (["T (ms)", "λT"] if pull else []) + \
            (["stack"] if stacks else []) + \
            [{"subscribers": "N", "payload_bytes": "payload (B)", "arrivals": "arrivals",
              "scenario": "scenario"}[v] for v in varying] + \
            ["runs", "delivered", "lost", "p50 (ms)", "p99 (ms)", "requests/event",
             "bytes/event", "CPU µs/event producer", "CPU µs/event consumer", "state"]
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
                row += [s.stack] if stacks else []
                row += [fmt(s.extras[v]) if isinstance(s.extras[v], float) else s.extras[v]
                        for v in varying]
                delivered = sum(int(r["delivered"] or 0) for r in runs)
                lost = sum(int(r["lost"] or 0) for r in runs)
                row += [str(len(runs)), str(delivered), str(lost),
                        show("latency_p50_us", 1e-3) + low_mark(runs, "p50"),
                        show("latency_p99_us", 1e-3) + low_mark(runs, "p99"),
                        show("requests_per_event"), show("bytes_per_event"),
                        show("cpu_us_per_event_producer"), show("cpu_us_per_event_consumer")]
                state = []
                if any(r["saturated"] for r in runs):
                    state.append("saturated")
                if hr.latency_thin(runs) or hr.polls_thin(runs):
                    state.append("thin")
                row.append(", ".join(state) or "ok")
                rows.append(row)
        doc.table(headers, rows, numeric_from=0)


def section_model(doc, series):
    doc.h(2, "Model vs measurement")
    doc.p("Medians over repeats. The model's values are those hookbench wrote into runs.csv, "
          "computed at each run's realised rate and in-run round trip. Agreement: how many "
          "repeats have the model inside their 95% CI (mean latency: a t interval; empty polls: "
          "a Wilson interval); \"off by\" is the median of measured/model − 1 (latency) or "
          "measured − model in percentage points (empty polls).")
    rows = []
    for s in series:
        for rate in s.rates:
            runs = s.points[rate]

            def med(column, runs=runs):
                a = hr.aggregate(runs, column)
                return a.median if a else None

            cells = [s.label(), fmt(rate), fmt(med("realised_rate")),
                     fmt(med("model_lambda_t")) if s.pull else "-",
                     hr.fmt_ms(med("latency_mean_us")), hr.fmt_ms(med("model_latency_mean_us"))]
            j, w, e = point_agreement(runs, "model_latency_agreement", latency_error)
            cells.append(agreement_phrase(j, w, e, "%") if j else "not judged")
            cells += [fmt(med("requests_per_event")), fmt(med("model_requests_per_event"))]
            if s.pull:
                cells += [hr.fmt_percent(med("empty_poll_fraction")),
                          hr.fmt_percent(med("model_empty_poll_fraction"))]
                j, w, e = point_agreement(runs, "model_empty_agreement", empty_error_pp)
                cells.append(agreement_phrase(j, w, e, "pp") if j else "not judged")
            else:
                cells += ["-", "-", "-"]
            rows.append(cells)
    doc.table(["series", "rate (events/s)", "realised rate", "λT (model)", "mean latency (ms)",
               "model", "latency agreement", "requests/event", "model", "empty polls", "model",
               "empty agreement"], rows)


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


def section_references(doc):
    doc.h(2, "References")
    doc.ul(f"[{i}] {text}" for i, (_, text) in enumerate(REFERENCES, 1))


def load_captions(charts_dir):
    path = os.path.join(charts_dir, "captions.json")
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


# --- the security measurements (DIR/security/, scripts/security.sh; issue 9) --------------------

SVIX_CLAIM = {"sign": 50.0, "verify": 160.0}  # symmetric faster than asymmetric, by Svix
CLAIM_FACTOR = 2.0  # a measured ratio within this factor of the claim counts as agreeing


def agg_text(a, unit=""):
    """'12.3 µs (10.1–14.0)': the median and the min-max over repeats, or 'not measured'."""
    if a is None:
        return "not measured"
    if a.k > 1 and not math.isclose(a.lo, a.hi):
        return f"{fmt(a.median)}{unit} ({fmt(a.lo)}–{fmt(a.hi)})"
    return f"{fmt(a.median)}{unit}"


def security_setting(sec):
    hosts, loop = sec.network()
    where = (f"loopback ({', '.join(hosts)}): both processes on one host" if loop
             else ", ".join(hosts)) if hosts else "an unknown network (no run records config.host)"
    return where, loop


def config_text(sec, configs):
    have = [c for c in configs if sec.results(c)]
    return have, [c for c in configs if c not in have]


def cost_of(sec, config):
    """{column: Agg or None} of one configuration."""
    return {
        "producer": sec.agg(config, lambda r: hr.cpu_us_per_event(r, "producer")),
        "consumer": sec.agg(config, lambda r: hr.cpu_us_per_event(r, "consumer")),
        "bytes": sec.agg(config, hr.bytes_per_event),
        "hs_producer": sec.agg(config, lambda r: hr.handshakes_per_event(r, "producer")),
        "hs_consumer": sec.agg(config, lambda r: hr.handshakes_per_event(r, "consumer")),
    }


def difference_sentence(sec, a, b, what, column, unit):
    """How configuration a differs from b in one column, or why that cannot be said."""
    ca, cb = cost_of(sec, a)[column], cost_of(sec, b)[column]
    missing = [c for c, v in ((a, ca), (b, cb)) if v is None]
    if missing:
        return f"{what}, {a} against {b}: not measured (no {' or '.join(missing)} figure)."
    diff = ca.median - cb.median
    ratio = f", {fmt(ca.median / cb.median, 3)}×" if cb.median > 0 else ""
    overlap = ca.lo <= cb.hi and cb.lo <= ca.hi
    text = (f"{what}: {a} {fmt(ca.median)}{unit} against {b} {fmt(cb.median)}{unit} "
            f"({'+' if diff >= 0 else '−'}{fmt(abs(diff))}{unit}{ratio})")
    if overlap and (ca.k > 1 or cb.k > 1):
        return text + "; the two overlap over their repeats, so this difference is within " \
            "run-to-run noise at this rate."
    if ca.k == 1 and cb.k == 1:
        return text + "; one run each, so no spread to judge it by."
    return text + "; their repeats do not overlap."


def cost_table(doc, sec, configs, handshakes=False):
    headers = ["configuration", "runs", "producer CPU µs/event", "consumer CPU µs/event",
               "bytes/event"]
    if handshakes:
        headers += ["TLS handshakes/event (producer)", "(consumer)"]
    rows = []
    for c in configs:
        cost = cost_of(sec, c)
        row = [f"{c} ({hr.SECURITY_LABELS.get(c, c)})", str(len(sec.runs.get(c, []))) or "0",
               agg_text(cost["producer"]), agg_text(cost["consumer"]), agg_text(cost["bytes"])]
        if handshakes:
            row += [agg_text(cost["hs_producer"]), agg_text(cost["hs_consumer"])]
        rows.append(row)
    doc.table(headers, rows)


def section_security(doc, sec, charts, captions):
    """The Security section: signing's and TLS's cost per event, the attack's outcome and the
    sign/verify microbenchmark, every sentence from DIR/security/."""
    doc.h(2, "Security")
    where, loop = security_setting(sec)
    rates = sec.rates()
    windows = sorted({r["config"].get("duration_s") for r in sec.all_results()
                      if isinstance((r.get("config") or {}).get("duration_s"), (int, float))})
    counts = sorted({len(v) for v in sec.runs.values()})
    shown = os.path.join(os.path.basename(os.path.normpath(sec.folder)), hr.SECURITY_DIR)
    doc.p(f"Measured by `scripts/security.sh` in `{shown}`: "
          f"webhook mode at {fmt_list(rates) if rates else 'an unknown rate'} events/s"
          + (f", a {fmt_range(windows, ' s')} window" if windows else "")
          + f", {fmt_range(counts)} runs per configuration (seeds 1..k) on {where}. Figures are "
          "the median over the repeats with the min–max in brackets; CPU is user + sys over the "
          "window divided by the real events delivered."
          + (" On loopback there is no network latency or bandwidth limit: the costs below are "
             "CPU and bytes, not time on a real link." if loop else ""))
    for m in sec.mismatches():
        doc.p(f"**Warning:** {m}.")
    if sec.runs:
        unrecorded = [c for c in sec.runs if c in ("unsigned", "hmac", "ed25519") and
                      not any("signature" in (r.get("config") or {}) for r in sec.results(c))]
        if unrecorded:
            doc.p("The runs of " + ", ".join(unrecorded) + " record no `config.signature`: their "
                  "scheme is the one their file name says, not one the run confirms.")
    if "security_cost" in charts:
        doc.img(charts["security_cost"], "security_cost", captions.get("security_cost", ""))

    doc.h(3, "What signing costs per event")
    signing = ["unsigned", "hmac", "ed25519"]
    have, missing = config_text(sec, signing)
    if not have:
        doc.p("Not measured: no unsigned, HMAC or ed25519 runs in this folder.")
    else:
        cost_table(doc, sec, signing)
        items = []
        for a, b in (("hmac", "unsigned"), ("ed25519", "hmac"), ("ed25519", "unsigned")):
            if a in missing or b in missing:
                items.append(f"{a} against {b}: not measured (no "
                             f"{' or '.join(c for c in (a, b) if c in missing)} runs).")
                continue
            for side in ("producer", "consumer"):
                verb = "signing" if side == "producer" else "verifying"
                items.append(difference_sentence(sec, a, b, f"{side} CPU per event ({verb})",
                                                 side, " µs"))
        if missing:
            doc.p(f"Not measured: {', '.join(missing)} (no runs in the folder).")
        doc.ul(items)

    doc.h(3, "What TLS costs per event")
    tls = ["hmac", "tls-keepalive", "plain-new", "tls-new"]
    have, missing = config_text(sec, tls)
    if not any(c.startswith("tls") for c in have):
        doc.p("Not measured: no TLS runs in this folder (`hookbench run --tls`)."
              + (" Measured without TLS, for that comparison:"
                 if "plain-new" in have else ""))
        if "plain-new" in have:
            cost_table(doc, sec, ["plain-new"])
    else:
        cost_table(doc, sec, tls, handshakes=True)
        items = []
        for a, b in (("tls-keepalive", "hmac"), ("tls-new", "plain-new"),
                     ("tls-new", "tls-keepalive")):
            if a in missing or b in missing:
                items.append(f"{a} against {b}: not measured (no "
                             f"{' or '.join(c for c in (a, b) if c in missing)} runs).")
                continue
            for column, what, unit in (("producer", "producer CPU per event", " µs"),
                                       ("consumer", "consumer CPU per event", " µs"),
                                       ("bytes", "bytes per event", "")):
                items.append(difference_sentence(sec, a, b, what, column, unit))
        for c in ("tls-keepalive", "tls-new"):
            hs = cost_of(sec, c)
            if hs["hs_consumer"] is None and hs["hs_producer"] is None:
                items.append(f"TLS handshakes per event, {c}: not measured (the runs report no "
                             "tls_handshakes).")
            else:
                items.append(f"TLS handshakes per delivered event, {c}: "
                             f"{agg_text(hs['hs_producer'])} counted by the producer, "
                             f"{agg_text(hs['hs_consumer'])} by the consumer (whole run, control "
                             "connections included).")
        if missing:
            doc.p(f"Not measured: {', '.join(missing)} (no runs in the folder).")
        doc.ul(items)

    doc.h(3, "Under attack")
    attack_section(doc, sec, charts, captions)

    doc.h(3, "Signing and verifying: HMAC against ed25519 (microbenchmark)")
    micro_section(doc, sec, charts, captions)


def attack_section(doc, sec, charts, captions):
    runs = [(os.path.basename(p), r) for c in sec.runs for _, p, r in sec.runs[c]
            if hr.attack_of(r) is not None]
    if not runs:
        doc.p("Not measured: no run in the folder has an attack block (`hookbench run "
              "--attack F`).")
        return
    import plot_security  # noqa: E402  (plot's helpers are loaded already)
    t = plot_security.attack_totals(sec)
    total = sum(t["sent"].values())
    kinds = plot_security.kinds_of(t)
    rate = sorted({hr.attack_of(r)["rate"] for _, r in runs if hr.attack_of(r)["rate"]})
    if t["accepted"]:
        bad = [f"`{name}`: {hr.attack_of(r)['accepted']}" for name, r in runs
               if hr.attack_of(r)["accepted"]]
        doc.p(f"**Warning: the receiver ACCEPTED {t['accepted']} of {total} attack requests** "
              f"(answered 2xx) — {', '.join(bad)}. A receiver that verifies signatures must "
              "accept none: these requests were taken for real deliveries.")
    doc.p(f"{plural(len(runs), 'run')} with a third party sending "
          + (f"{fmt_list(rate)} attack requests/s " if rate else "")
          + f"during the window: {total} attack requests in all ("
          + ", ".join(f"{t['sent'].get(k, 0)} {k}" for k in kinds) + f"). **Accepted: "
          f"{t['accepted']}**{' (must be 0)' if t['accepted'] else ''}."
          + (f" {t['failed']} got no answer." if t["failed"] else ""))
    rows = []
    for k in kinds:
        answers = t["answers"].get(k, {})
        accepted = sum(n for s, n in answers.items() if s.startswith("2"))
        rows.append([k, str(t["sent"].get(k, 0)),
                     ", ".join(f"{s}: {n}" for s, n in sorted(answers.items())) or "none",
                     str(accepted)])
    doc.table(["attack kind", "sent", "answers (HTTP status: requests)", "accepted (2xx)"], rows)
    reasons = t["rejected"]
    if reasons:
        order = [r for r in hr.REJECT_REASONS if r in reasons] + \
            sorted(r for r in reasons if r not in hr.REJECT_REASONS)
        doc.p("Rejected by the receiver, by reason (summed over the runs; real requests the "
              "receiver refused are counted here too): "
              + ", ".join(f"{r} {reasons[r]}" for r in order)
              + f"; {sum(reasons.values())} in all.")
    else:
        doc.p("Rejected by reason: not measured (the runs report no rejected_by_reason).")
    lost_text = (f"**{plural(t['lost'], 'real event')} lost**" if t["lost"] else "none lost")
    doc.p(f"Real events during the attack: {t['delivered']} delivered of {t['expected']} "
          f"expected, {lost_text}.")
    if t["reject_cpu_us"] is None:
        doc.p("CPU spent rejecting: not measured (the runs report no reject_cpu_us).")
    else:
        rejected = sum(reasons.values())
        per = f", {fmt(t['reject_cpu_us'] / rejected)} µs per rejected request" if rejected \
            else ""
        doc.p(f"CPU the receiver spent on the requests it rejected: "
              f"{fmt(t['reject_cpu_us'] / 1000.0)} ms in all{per}.")
    if "attack_outcome" in charts:
        doc.img(charts["attack_outcome"], "attack_outcome", captions.get("attack_outcome", ""))


def claim_verdict(op, ratios):
    """Whether the measured ed25519/HMAC time ratios agree with Svix's, within CLAIM_FACTOR."""
    claim = SVIX_CLAIM[op]
    within = [s for s, r in ratios if claim / CLAIM_FACTOR <= r <= claim * CLAIM_FACTOR]
    below = [s for s, r in ratios if r < claim / CLAIM_FACTOR]
    above = [s for s, r in ratios if r > claim * CLAIM_FACTOR]
    if len(within) == len(ratios):
        return "holds here at every payload measured"
    parts = []
    if within:
        parts.append(f"holds at {fmt_list(within)} bytes")
    if below:
        parts.append(f"overstates the gap at {fmt_list(below)} bytes (ed25519 less than "
                     f"{fmt(claim / CLAIM_FACTOR)}× slower there)")
    if above:
        parts.append(f"understates the gap at {fmt_list(above)} bytes (ed25519 more than "
                     f"{fmt(claim * CLAIM_FACTOR)}× slower there)")
    return ("" if within else "does not hold here: it ") + " and ".join(parts)


def micro_section(doc, sec, charts, captions):
    if sec.micro is None:
        doc.p(f"Not measured: no `{hr.SECURITY_DIR}/micro.json` (build `hookbench_micro` and run "
              "`scripts/security.sh` again).")
        return
    points = hr.sign_verify_points(sec.micro)
    if not points:
        doc.p(f"Not measured: `{hr.SECURITY_DIR}/micro.json` has no sign/verify benchmark "
              "(names like sign_hmac/payload:N).")
        return
    ctx = sec.micro.get("context") or {}
    sizes = sorted({p[0] for pts in points.values() for p in pts})
    by = {key: {p[0]: p[1] for p in pts} for key, pts in points.items()}

    def cell(op, scheme, size):
        v = by.get((op, scheme), {}).get(size)
        return plot_micro_time(v) if v is not None else "not measured"

    rows = []
    for size in sizes:
        row = [f"{size}"]
        for op in ("sign", "verify"):
            h, e = by.get((op, "hmac"), {}).get(size), by.get((op, "ed25519"), {}).get(size)
            row += [cell(op, "hmac", size), cell(op, "ed25519", size),
                    f"{fmt(e / h, 3)}×" if h and e else "-"]
        rows.append(row)
    doc.p("From `hookbench_micro` (Google Benchmark, real time per operation, median of the "
          "repetitions" + (f"; {ctx.get('hookbench_cpu_model')}" if ctx.get("hookbench_cpu_model")
                           else "") + "): one Standard Webhooks signature over id.timestamp.body.")
    doc.table(["payload (bytes)", "sign HMAC", "sign ed25519", "ed25519/HMAC",
               "verify HMAC", "verify ed25519", "ed25519/HMAC"], rows)
    items = []
    for op in ("sign", "verify"):
        ratios = hr.sign_verify_ratios(points, op)
        claim = fmt(SVIX_CLAIM[op])
        if not ratios:
            items.append(f"Svix's claim that symmetric signatures are about {claim}× faster to "
                         f"{op}: not measured (no HMAC and ed25519 {op} at a common payload).")
            continue
        ratio = fmt_ratio_range([r for _, r in ratios])
        items.append(f"Svix's claim that symmetric signatures are about {claim}× faster to {op} "
                     f"than asymmetric ones: here ed25519 took {ratio} "
                     f"HMAC's time to {op} (payloads {fmt_list(sizes_of(ratios))} bytes), so the "
                     f"claim {claim_verdict(op, ratios)} (counting a ratio within "
                     f"{fmt(CLAIM_FACTOR)}× of the claim as agreeing).")
    doc.ul(items)
    if "sign_verify" in charts:
        doc.img(charts["sign_verify"], "sign_verify", captions.get("sign_verify", ""))


def sizes_of(ratios):
    return [int(s) for s, _ in ratios]


def plot_micro_time(ns):
    for unit, scale in (("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{fmt(ns / scale)} {unit}"
    return f"{fmt(ns)} ns"


def security_charts(folder, log=None):
    """({name: png}, captions) of the security charts, drawn first when missing or older than
    the newest file in DIR/security/."""
    import plot_security  # noqa: E402
    sec_dir = os.path.join(folder, hr.SECURITY_DIR)
    charts_dir = os.path.join(sec_dir, "charts")
    inputs = [os.path.join(sec_dir, n) for n in os.listdir(sec_dir) if n.endswith(".json")]
    newest = max((os.path.getmtime(p) for p in inputs), default=0)
    captions_path = os.path.join(charts_dir, "captions.json")
    if not os.path.isfile(captions_path) or os.path.getmtime(captions_path) < newest:
        plot_security.make_charts(folder, charts_dir, log=log)
    captions = load_captions(charts_dir)
    charts = {name: os.path.join(charts_dir, name + ".png") for name, _ in plot_security.CHARTS
              if name in captions and os.path.isfile(os.path.join(charts_dir, name + ".png"))}
    return charts, captions


def security_envs(sec):
    """[(file name, environment, config)] of the security runs, for the setup and environment
    sections."""
    return [(os.path.splitext(os.path.basename(p))[0], r.get("environment") or {},
             r.get("config") or {}) for c in sec.runs for _, p, r in sec.runs[c]]


def section_security_setup(doc, folder, sec):
    """The setup of a folder that holds only security runs."""
    doc.h(2, "Setup")
    envs = security_envs(sec)
    configs = [c for _, _, c in envs]

    def values(key, unit=""):
        got = [c[key] for c in configs if isinstance(c.get(key), (int, float))
               and not isinstance(c.get(key), bool)]
        return fmt_range(got, unit) if got else "-"
    where, _ = security_setting(sec)
    items = [
        ("results folder", f"`{os.path.normpath(folder)}`"),
        ("configurations (runs)", ", ".join(f"{c} ({len(v)})" for c, v in sec.runs.items())
         or "none"),
        ("delivery mode", ", ".join(sorted({str(c.get("mode")) for c in configs})) or "-"),
        ("event rate (events/s)", values("rate")),
        ("measured window per run", values("duration_s", " s")),
        ("subscribers N", values("subscribers")),
        ("payload (bytes)", values("payload_bytes")),
        ("network", where),
        ("microbenchmarks", f"`{hr.SECURITY_DIR}/micro.json`" if sec.micro is not None
         else "none"),
    ]
    for key, name in (("cpu_model", "CPU"), ("cores", "cores"), ("kernel", "kernel"),
                      ("hostname", "host"), ("compiler", "compiler"),
                      ("build_type", "build type"), ("cxx_flags", "C++ flags")):
        items.append((name, describe_distinct(distinct(env_text(e.get(key))
                                                       for _, e, _ in envs))))
    doc.table(["", "value"], items, numeric_from=99)


# --- driver -------------------------------------------------------------------------------------

def charts_stale(folder, charts_dir):
    inputs = [os.path.join(folder, n) for n in ("runs.csv", "trace.jsonl", "model.csv")]
    newest = max((os.path.getmtime(p) for p in inputs if os.path.exists(p)), default=0)
    captions = os.path.join(charts_dir, "captions.json")
    if not os.path.isfile(captions) or os.path.getmtime(captions) < newest:
        return True
    for name, _ in plot.CHARTS:
        png = os.path.join(charts_dir, name + ".png")
        if not os.path.isfile(png) or os.path.getmtime(png) < newest:
            return True
    return False


def build(folder, charts_dir=None, log=None):
    """Writes REPORT.md and REPORT.html; returns their paths. Raises hr.ResultsError. A folder
    with security runs (DIR/security/) gets a Security section; one with only those gets the
    setup, the environment and that section."""
    sec = hr.SecurityRuns(folder)
    if not os.path.isfile(os.path.join(folder, "runs.csv")) and (sec or sec.micro is not None):
        return build_security_only(folder, sec, log)
    rows = hr.load_runs(folder)
    charts_dir = charts_dir or os.path.join(folder, "charts")
    if charts_stale(folder, charts_dir):
        plot.make_charts(folder, charts_dir, log=log)
    charts = {name: os.path.join(charts_dir, name + ".png") for name, _ in plot.CHARTS}
    captions = load_captions(charts_dir)
    series = hr.group_series(rows)
    envs = hr.environments(folder, rows)
    model = hr.load_model(folder)
    max_rate = hr.load_max_rate(folder)

    scenarios = sorted({r["scenario"] for r in rows if r["scenario"]})
    title = "hookbench report" + (f": {', '.join(scenarios)}" if scenarios else "")
    doc = Doc()
    doc.h(1, title)
    doc.p(f"Generated by `scripts/report.py` from `runs.csv` ({plural(len(rows), 'run')}). "
          "Every number below is computed from those runs; what only the model says is marked "
          "as the model's claim.")
    section_answer(doc, series, envs, charts, captions, rows)
    section_conclusions(doc, series, model, max_rate)
    section_comparison(doc, series)
    section_warnings(doc, rows, series, envs, model is not None)
    section_charts(doc, charts, captions)
    section_question(doc, sorted({s.mode for s in series}, key=hr.mode_order))
    section_setup(doc, folder, rows, series, envs)
    section_environment(doc, envs)
    section_tables(doc, series)
    section_model(doc, series)
    if sec or sec.micro is not None:
        section_security(doc, sec, *security_charts(folder, log))
    if os.path.isdir(os.path.join(folder, "faults")):
        section_faults(doc, folder, log)
    section_references(doc)
    return write_report(doc, folder, title)


def build_security_only(folder, sec, log=None):
    """The report of a folder with security runs and no sweep (no runs.csv)."""
    title = "hookbench security report"
    doc = Doc()
    doc.h(1, title)
    doc.p(f"Generated by `scripts/report.py` from `{hr.SECURITY_DIR}/` "
          f"({plural(sum(len(v) for v in sec.runs.values()), 'run')}"
          + (" and the microbenchmarks" if sec.micro is not None else "") + "); the folder has "
          "no sweep (runs.csv), so this report has only the setup, the environment and the "
          "security measurements. Every number below is computed from those files.")
    section_security_setup(doc, folder, sec)
    section_environment(doc, security_envs(sec))
    section_security(doc, sec, *security_charts(folder, log))
    return write_report(doc, folder, title)


# --- the fault measurements (DIR/faults/, scripts/faults.sh; issue 10) ---------------------------
def fault_sentences(runs):
    """The Faults section's sentences, each computed from the runs ([(name, result)]); a
    configuration without runs is "not measured"."""
    import plot_faults  # noqa: E402
    by = {}
    for _, r in runs:
        label, kind, length, policy = plot_faults.describe(r)
        pf = r["metrics"]["faults"]["per_fault"][0]
        by.setdefault((r["config"]["mode"], kind, policy), []).append((length, pf))
    out = []
    # Webhooks against a receiver that was down: what each retry policy lost.
    down = {policy: pts for (mode, kind, policy), pts in by.items()
            if mode == "webhook" and kind == "receiver-down"}
    if not down:
        out.append("Webhooks with the receiver down: not measured.")
    else:
        parts = []
        for policy, pts in sorted(down.items(), key=lambda kv: str(kv[0])):
            lost = ", ".join(f"{pf['lost']} ({length:g} s)" for length, pf in sorted(pts,
                                                                                 key=lambda p: p[0]))
            parts.append(f"lost {lost} " + (f"with --retry {policy}" if policy else
                                             "without retries (this build has no --retry)"))
            # The breaker, not the policy, decides how many attempts meet the outage.
            held = [r for _, r in runs if plot_faults.describe(r)[1] == "receiver-down"
                    and plot_faults.describe(r)[3] == policy
                    and (r["metrics"]["faults"].get("retry") or {}).get("circuit_opened")]
            if held:
                breaker = (held[0]["metrics"]["faults"]["retry"].get("circuit_breaker")
                           or "on")
                parts[-1] += (f" (the circuit breaker, {breaker}, opened in {len(held)} of "
                              f"{len(pts)} runs and held the rest of the outage's events back)")
        out.append("Webhooks with the receiver down (outage length in brackets): " +
                   "; ".join(parts) + ".")
    # Pull and stream consumers stopped, then continued.
    for mode in ("poll", "long-poll", "sse", "webhook"):
        pts = [p for (m, kind, _), v in by.items() if m == mode and kind == "consumer-down"
               for p in v]
        if not pts:
            out.append(f"{mode} with the consumer stopped: not measured.")
            continue
        lost = sum(pf["lost"] for _, pf in pts)
        catch = [pf["catch_up_s"] for _, pf in pts if pf.get("catch_up_s") is not None]
        worst = max((pf["delay_us"].get("max") or 0) / 1e6 for _, pf in pts)
        text = (f"{mode} with the consumer stopped for "
                f"{', '.join(f'{length:g}' for length, _ in sorted(pts, key=lambda p: p[0]))} s: "
                + ("lost nothing" if lost == 0 else f"lost {lost}"))
        if catch:
            text += (f", caught up {min(catch) * 1e3:.0f}-{max(catch) * 1e3:.0f} ms after the "
                     "outage ended")
        text += f", worst delay {worst:.2f} s."
        out.append(text)
    # The link cut and the producer killed and restarted: one sentence each, every mode measured.
    for kind, what in (("link-cut", "the link between the sides cut"),
                       ("producer-restart", "the producer killed and restarted from its log")):
        items = sorted(((m, policy, pts) for (m, k, policy), pts in by.items() if k == kind),
                       key=lambda x: (x[0], str(x[1])))
        if not items:
            out.append(f"With {what}: not measured.")
            continue
        parts = []
        for m, policy, pts in items:
            length, pf = sorted(pts, key=lambda p: p[0])[-1]
            name = m + (f" (--retry {policy})" if policy else "")
            text = f"{name} " + ("lost nothing" if pf["lost"] == 0 else f"lost {pf['lost']}")
            if pf.get("catch_up_s") is not None:
                text += f" and caught up {pf['catch_up_s'] * 1e3:.0f} ms after"
            if pf.get("duplicates"):
                text += f" ({pf['duplicates']} duplicates)"
            parts.append(text)
        out.append(f"With {what} for {length:g} s: " + "; ".join(parts) + ".")
    fivexx = {policy: pts for (mode, kind, policy), pts in by.items() if kind == "receiver-5xx"}
    if not fivexx:
        out.append("Webhooks with the receiver answering 503: not measured.")
    else:
        out.append("Webhooks with the receiver answering 503 at random: " + "; ".join(
            f"lost {sum(pf['lost'] for _, pf in pts)}, {sum(pf['duplicates'] for _, pf in pts)} "
            "duplicates " + (f"with --retry {policy}" if policy else "without retries")
            for policy, pts in sorted(fivexx.items(), key=lambda kv: str(kv[0]))) + ".")
    return out


def section_faults(doc, folder, log=None):
    """The Faults section: what each mode lost, duplicated and delayed under injected faults,
    every sentence from DIR/faults/ (scripts/faults.sh)."""
    import plot_faults  # noqa: E402
    doc.h(2, "Faults")
    try:
        runs = plot_faults.load_runs(folder)
    except plot_faults.FaultsError as e:
        doc.p(f"Not measured: {e}.")
        return
    doc.p(f"Measured by `scripts/faults.sh` ({plural(len(runs), 'run')} in `faults/`): a fault "
          "1 s into each run's window; pull modes and streams resume from their cursor, webhooks "
          "depend on the sender's retries. Lost = deliveries never made by the end of the drain.")
    for sentence in fault_sentences(runs):
        doc.p(sentence)
    charts_dir = os.path.join(folder, "faults", "charts")
    try:
        plot_faults.make_charts(folder, charts_dir, log=log)
    except plot_faults.FaultsError as e:
        doc.p(f"No charts: {e}.")
        return
    captions = load_captions(charts_dir)
    for name, _ in plot_faults.CHARTS:
        png = os.path.join(charts_dir, name + ".png")
        if os.path.isfile(png):
            doc.img(png, name, captions.get(name, ""))


def write_report(doc, folder, title):
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
    p.add_argument("results", metavar="DIR",
                   help="results folder with runs.csv, security/ (scripts/security.sh) or both")
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
