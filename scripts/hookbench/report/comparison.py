"""The mode comparison: every mode (each poll interval and stack its own row) side by side at each
rate, who was fastest and by how much, and what each variation of a design (from the mode
descriptors) saved against the mode it varies and what that cost in latency.
"""

from ..fmt import fmt, fmt_list, fmt_ms
from ..series import aggregate, medians
from .words import COLUMN_WORDS, series_name


COMPARISON_HEADERS = ("rate (events/s)", "series", "runs", "p50 (ms)", "p99 (ms)",
                      "requests/event", "bytes/event", "CPU µs/event producer",
                      "CPU µs/event consumer", "saturated")


def spread_text(runs, column, scale=1.0):
    """'0.32 (0.3–0.35)': the median over repeats and, with several, their min–max."""
    a = aggregate(runs, column, scale)
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
        lat = [(aggregate(s.points[rate], "latency_p50_us", 1e-3), s)
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
        req = [(aggregate(s.points[rate], "requests_per_event"), s)
               for s in series if rate in s.points]
        req = [(a, s) for a, s in req if a]
        if len(req) > 1:
            a, s = min(req, key=lambda p: p[0].median)
            text += (f" Fewest requests per delivered event at {fmt(rate)} events/s: "
                     f"{s.label()} ({fmt(a.median)}{sat_mark(s, rate)}).")
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
    """What each variation of a design (the descriptors' variation_of) saved and what it cost in
    latency, from the medians at the lowest and highest common rate; the model's claim beside
    it, said to be the model's."""
    out = []
    for mode, other, column in series[0].modes.variations() if series else ():
        verb, noun = COLUMN_WORDS[column]
        model_column = "model_" + column
        for a in (s for s in series if s.mode == mode):
            b = counterpart(series, a, other)
            if b is None:
                continue
            va, vb = medians(a, column), medians(b, column)
            la, lb = medians(a, "latency_p50_us"), medians(b, "latency_p50_us")
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
                claims.append(f"{fmt(predicted.median)} {noun}")
            if latency:
                claims.append(f"a mean latency of {fmt_ms(latency.median)} ms")
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


def low_mark(runs, name):
    return "*" if any(name in r["latency_low_sample"].split(";") for r in runs) else ""
