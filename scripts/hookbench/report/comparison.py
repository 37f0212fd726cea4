"""The mode comparison: every mode (each poll interval and stack its own row) side by side at each
rate, who was fastest and by how much, and what each variation of a design (from the mode
descriptors) saved against the mode it varies and what that cost in latency.
"""

from ..fmt import fmt, fmt_list, fmt_ms
from ..series import aggregate, estimates, model_check
from .words import COLUMN_WORDS, series_name


COMPARISON_HEADERS = ("rate (events/s)", "series", "runs", "mean latency (ms)", "p50 (ms)",
                      "p99 (ms)",
                      "requests/event", "bytes/event", "CPU µs/event producer",
                      "CPU µs/event consumer", "saturated")


def spread_text(runs, column, scale=1.0):
    """'0.32 (0.3–0.35)': the point's estimate over its repeats and its interval (a mean with
    its 95% t-interval; a percentile's median with the repeats' min–max); none with one run."""
    a = aggregate(runs, column, scale)
    if a is None:
        return "-"
    if not a.no_interval and fmt(a.lo) != fmt(a.hi):
        return f"{fmt(a.estimate)} ({fmt(a.lo)}–{fmt(a.hi)})"
    return fmt(a.estimate)


def runs_text(s, rate):
    """'3', or '2 (+1 failed)' when a repeat failed or produced no event."""
    failed = s.failed.get(rate, [])
    n = len(s.points.get(rate, []))
    return f"{n} (+{len(failed)} failed)" if failed else str(n)


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
            rows.append([fmt(rate), s.label(), runs_text(s, rate),
                         spread_text(runs, "latency_mean_us", 1e-3),
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
    """Per rate: the lowest mean latency and the runner-up, each the mean over its repeats with
    its 95% t-interval, whether the intervals part, and the fewest requests per delivered
    event."""
    out, winners = [], []
    for rate in sorted({rate for s in series for rate in s.rates}):
        lat = [(aggregate(s.points[rate], "latency_mean_us", 1e-3), s)
               for s in series if rate in s.points]
        lat = sorted(((a, s) for a, s in lat if a), key=lambda p: p[0].estimate)
        if len(lat) < 2:
            continue
        (a, w), (b, r) = lat[0], lat[1]
        winners.append(w)
        if not a.no_interval and not b.no_interval:
            spans = (f"95% intervals over the repeats: {w.label()} {fmt(a.lo)}–{fmt(a.hi)} ms, "
                     f"{r.label()} {fmt(b.lo)}–{fmt(b.hi)} ms")
            gap = (f"their intervals do not overlap ({spans})" if a.hi < b.lo else
                   f"their intervals overlap ({spans}), so the order between them is not "
                   "settled")
        else:
            gap = "one run, so no interval to judge the order by"
        text = (f"At {fmt(rate)} events/s the lowest mean latency was {fmt(a.estimate)} ms, by "
                f"{w.label()}{sat_mark(w, rate)}; next came {r.label()} with {fmt(b.estimate)} "
                f"ms{sat_mark(r, rate)}: {gap}.")
        req = [(aggregate(s.points[rate], "requests_per_event"), s)
               for s in series if rate in s.points]
        req = [(a, s) for a, s in req if a]
        if len(req) > 1:
            a, s = min(req, key=lambda p: p[0].estimate)
            text += (f" Fewest requests per delivered event at {fmt(rate)} events/s: "
                     f"{s.label()} ({fmt(a.estimate)}{sat_mark(s, rate)}).")
        out.append(text)
    if len(winners) > 1 and all(w is winners[0] for w in winners):
        out.insert(0, f"{winners[0].label()} had the lowest mean latency at every one of the "
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
    """What each variation of a design (the descriptors' variation_of) saved and what it cost in
    latency, from the points' estimates at the lowest and highest common rate (p50: the median
    over the repeats); the model's claim beside
    it, said to be the model's."""
    out = []
    for mode, other, column in series[0].modes.variations() if series else ():
        verb, noun = COLUMN_WORDS[column]
        model_column = "model_" + column
        for a in (s for s in series if s.mode == mode):
            b = counterpart(series, a, other)
            if b is None:
                continue
            va, vb = estimates(a, column), estimates(b, column)
            la, lb = estimates(a, "latency_p50_us"), estimates(b, "latency_p50_us")
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
                     + f" ({fmt_ms(la[top])} against {fmt_ms(lb[top])} ms at {fmt(top)} "
                     "events/s).")
            predicted = aggregate(a.points[top], model_column)
            latency = aggregate(a.points[top], "model_latency_mean_us")
            claims = []
            if predicted:
                claims.append(f"{fmt(predicted.estimate)} {noun}")
            if latency:
                claims.append(f"a mean latency of {fmt_ms(latency.estimate)} ms")
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


def section_comparison(doc, series, by_rtt=None):
    """Every mode (and stack) side by side at the rates measured, and what the numbers say (at
    the base round trip, said so when by_rtt has others)."""
    if len(series) < 2:
        return []
    suffix, note = by_rtt.base_note() if by_rtt is not None else ("", "")
    doc.h(2, "Mode comparison" + suffix)
    if note:
        doc.p(note)
    doc.p("Every delivery mode (each poll interval and consumer stack its own row) at each rate "
          "it was measured at. Each point is estimated from its repeats: a mean (the mean "
          "latency, requests, bytes, CPU) is the mean of the repeats' values with its 95% "
          "t-interval over them in brackets; a percentile (p50, p99) is the median of the "
          "repeats' values with their min–max in brackets, since percentiles are never averaged. "
          "A point with one run has no interval; a repeat that failed or produced no event is "
          "no sample and is counted as failed in the runs column. p50 and p99 are the delivery "
          "latency; requests and bytes per "
          "delivered event count both directions; CPU is µs per delivered event on each side, "
          "gross (the idle baseline included). * = fewer than 10 samples at or beyond that "
          "percentile in a repeat; saturated: repeats that did not keep up.")
    doc.table(list(COMPARISON_HEADERS), comparison_rows(series), numeric_from=2)
    said = fastest_sentences(series) + pair_sentences(series)
    doc.ul(said)
    return said


def low_mark(runs, name):
    return "*" if any(name in r["latency_low_sample"].split(";") for r in runs) else ""


# The model against the measurement, per point: one comparison for the table and the findings.
EMPTY_POLL_TOLERANCE_PP = 0.05
MODEL_QUANTITIES = (
    # (what, measured column, model column, scale to the printed unit, unit of the miss, a
    # miss below which is none: empty polls are counted, and 0.05 pp is below one poll in 2000)
    ("mean latency", "latency_mean_us", "model_latency_mean_us", 1e-3, "%", 0.0),
    ("empty-poll fraction", "empty_poll_fraction", "model_empty_poll_fraction", 100.0, "pp",
     EMPTY_POLL_TOLERANCE_PP),
)


def model_checks(by_rtt):
    """[(rtt_ms, series, rate, what, ModelCheck, unit)] for every point (at every round trip of
    by_rtt, a points.RttSeries) and quantity the model and the measurement both have: the
    model's mean over the point's repeats against the point's repeat-based estimate and 95%
    t-interval."""
    out = []
    for rtt, s, rate, runs in by_rtt.points():
        for what, column, model_column, scale, unit, tolerance in MODEL_QUANTITIES:
            if unit == "pp" and not s.pull:
                continue
            check = model_check(runs, column, model_column, scale, tolerance=tolerance)
            if check is not None:
                out.append((rtt, s, rate, what, check, unit))
    return out


def miss_text(check, unit):
    """'off by +12%' ((measured − model) / model from the printed numbers) or 'off by −3.1 pp'
    (measured − model, percentage points)."""
    if unit == "%":
        if check.error is None:
            return "off by -"
        x = check.error * 100
    else:
        x = check.difference
    sign = "+" if x >= 0 else "−"
    return f"off by {sign}{fmt(abs(x), 2)}{'%' if unit == '%' else ' pp'}"


def check_phrase(check, unit):
    """The verdict of one point: 'within its interval (off by +4.1%)', 'model above its
    interval, off by −28%', or 'no interval (1 repeat), off by +3%'."""
    if check.verdict == "no interval":
        return f"no interval ({check.measured.k} repeat), {miss_text(check, unit)}"
    if check.within:
        return f"within its interval ({miss_text(check, unit)})"
    return f"model {check.verdict} its interval, {miss_text(check, unit)}"


def interval_text(check):
    """'0.64 (0.6–0.68)': the point's estimate as printed and its 95% t-interval."""
    a, scale = check.measured, check.scale
    if a.no_interval:
        return fmt(check.measured_shown)
    return f"{fmt(check.measured_shown)} ({fmt(a.lo * scale)}–{fmt(a.hi * scale)})"


MODEL_TABLE_HEADERS = ("series", "rate (events/s)", "runs", "realised rate", "mean latency (ms)",
                       "model latency (ms)", "latency agreement", "requests/event",
                       "model requests/event", "empty polls (%)", "model empty polls (%)",
                       "empty agreement")


def model_table_headers(by_rtt):
    return (["R (ms)"] if by_rtt.multi else []) + list(MODEL_TABLE_HEADERS)


def model_table_rows(by_rtt):
    """The model table: one row per point, every measured figure the point's estimate over its
    repeats (with the 95% t-interval of the means), every model figure the mean over the same
    repeats of the model at each run's realised rate and round trip; with an "R (ms)" column
    first when the folder has several round trips."""
    checks = {(rtt, id(s), rate, what): (c, u)
              for rtt, s, rate, what, c, u in model_checks(by_rtt)}
    rows = []
    for rtt, s, rate, runs in by_rtt.points():
        realised = aggregate(runs, "realised_rate")
        cells = ([fmt(rtt)] if by_rtt.multi else []) + [
            s.label(), fmt(rate), runs_text(s, rate),
            fmt(realised.estimate) if realised else "-"]
        for what in ("mean latency", "empty-poll fraction"):
            c = checks.get((rtt, id(s), rate, what))
            if what == "empty-poll fraction":
                req = aggregate(runs, "requests_per_event")
                model_req = aggregate(runs, "model_requests_per_event")
                cells += [fmt(req.estimate) if req else "-",
                          fmt(model_req.mean) if model_req else "-"]
            if c is None:
                column, scale = (("latency_mean_us", 1e-3) if what == "mean latency"
                                 else ("empty_poll_fraction", 100.0))
                a = aggregate(runs, column, scale) if s.pull or what == "mean latency" \
                    else None
                cells += [fmt(a.estimate) if a else "-", "-", "not judged" if a else "-"]
                continue
            check, unit = c
            cells += [interval_text(check), fmt(check.model_shown), check_phrase(check, unit)]
        rows.append(cells)
    return rows
