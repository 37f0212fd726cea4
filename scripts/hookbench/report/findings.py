"""What the data says: where the pull reference and its push baseline cross, how their latencies
compare, the empty polls against Zapier's figure, how well the model predicts, the saturated
points, the capacity search and the best series at each rate.
"""

from ..charts.distribution import inverse_read, ZAPIER_EMPTY
from ..fmt import fmt, fmt_ms, fmt_percent, fmt_ratio_range, plural
from ..runs_csv import is_finite
from ..series import aggregate, crossings, measured_crossings, medians, push_baseline, \
    reference_pull
from .comparison import check_phrase, miss_text, model_checks
from .words import cite, COLUMN_WORDS, lambda_t, series_name, who


def crossing_sentence(s, base, column, model=None):
    """'At T = 100 ms, poll sent fewer requests ... above λT ≈ 0.92 measured (1 predicted)'."""
    verb, what = COLUMN_WORDS[column]
    a, b = medians(s, column), medians(base, column)
    common = sorted(r for r in a if r in b)
    where = f"At T = {fmt(s.interval_ms)} ms{other_axes(s)}"
    if len(common) < 2:
        return (f"{where}, {who(s)} and {who(base)} share fewer than two measured rates, so "
                f"where their {what} cross cannot be told.")
    found = measured_crossings(s, base, column)  # at the realised rates
    predicted = ""
    cs, cb = (model or {}).get(s.model_key()), (model or {}).get(base.model_key())
    if column == "requests_per_event" and cs is not None and cb is not None:
        # The model's own curves (model.csv), not its values at the runs' realised rates.
        ma, mb = cs.as_dict("requests_per_event"), cb.as_dict("requests_per_event")
        pred = [rate for rate, down in crossings(ma, mb) if down]
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


def other_axes(s):
    """', N=4' when the series differs from others of its mode in more than T."""
    extra = s.other_qualifiers()
    return f", {', '.join(extra)}" if extra else ""


def ratio_sentence(s, base, column, name):
    a, b = medians(s, column), medians(base, column)
    common = sorted(r for r in a if r in b and a[r] > 0 and b[r] > 0)
    if not common:
        return None
    ratios = [a[r] / b[r] for r in common]
    at = f"at T = {fmt(s.interval_ms)} ms{other_axes(s)}"
    where = (f"{at} ({len(common)} common rates, {fmt(common[0])}–{fmt(common[-1])} events/s)"
             if len(common) > 1 else f"{at} and {fmt(common[0])} events/s")
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
    for s in reference_pull(series):  # plain poll: Zapier's polls were plain polls
        for rate, a in s.agg("empty_poll_fraction"):
            pts.append((lambda_t(s, rate), rate, s, a))
    if not pts:
        return None
    lt, rate, s, a = min(pts, key=lambda p: p[0])
    predicted = aggregate(s.points[rate], "model_empty_poll_fraction")
    text = (f"At the sparsest poll point (λT = {fmt(lt, 2)}: T = {fmt(s.interval_ms)} ms, "
            f"{fmt(rate)} events/s) {fmt_percent(a.median)} of polls came back empty "
            f"(median of {plural(a.k, 'run')}, {int(sum(r['polls'] or 0 for r in a.rows))} polls)")
    if predicted:
        text += f"; the model's claim at the realised rate is {fmt_percent(predicted.median)}"
    text += (f". Zapier reported {fmt_percent(ZAPIER_EMPTY)} of its polls empty "
             f"{cite('zapier')}")
    curves = [c for c in (model or {}).values() if c.key[1] is not None and c.key[0] == s.mode]
    zapier_lt = None
    for c in curves:
        zapier_lt = zapier_lt or inverse_read(
            {r["lambda_t"]: r["empty_poll_fraction"] for r in c.rows
             if is_finite(r.get("lambda_t")) and is_finite(r.get("empty_poll_fraction"))
             and r["lambda_t"] > 0}, ZAPIER_EMPTY)
    if zapier_lt:
        text += f", which the model reaches at λT ≈ {fmt(zapier_lt, 2)}"
    return text + "."


def agreement_sentences(by_rtt):
    """The fraction of judged points whose model lies inside the point's repeat-based 95%
    interval, per quantity, then the points where it does not and those with no interval."""
    checks = model_checks(by_rtt)
    out = []
    for what in ("mean latency", "empty-poll fraction"):
        rs = [c for c in checks if c[3] == what]
        judged = [c for c in rs if c[4].judged]
        if not rs:
            continue
        ok = [c for c in judged if c[4].within]
        text = (f"**{what.capitalize()}**: the model lies inside the point's 95% interval at "
                f"{len(ok)} of {plural(len(judged), 'judged point')}"
                + (f" ({fmt(100 * len(ok) / len(judged), 2)}%)" if judged else "") + ".")
        bad = [c for c in judged if not c[4].within]
        if bad:
            text += " Elsewhere: " + "; ".join(
                f"{by_rtt.name(rtt, s, rate)} {check_phrase(c, u)}"
                for rtt, s, rate, _, c, u in bad[:8]) + (
                f"; and {len(bad) - 8} more" if len(bad) > 8 else "") + "."
        if what == "mean latency":
            text += " " + goal_sentence(by_rtt)
        unjudged = len(rs) - len(judged)
        if unjudged:
            text += (f" {plural(unjudged, 'point')} with one repeat "
                     f"{'has' if unjudged == 1 else 'have'} no interval and "
                     f"{'is' if unjudged == 1 else 'are'} not judged.")
        out.append(text)
    if checks:
        out.append("A point's interval is the 95% t-interval over its repeats' means; the model's "
                   "value at a point is its mean over the same repeats, each evaluated at the "
                   "run's realised rate and in-run round trip.")
    return out


# The model's goal for mean latency: inside the point's repeat interval, or the point's estimate
# within this fraction of the model, at GOAL_SHARE or more of every mode's points (`hookbench
# model-check` judges points with repeats the same way, from the runs' recorded inputs).
GOAL_TOLERANCE = 0.15
GOAL_SHARE = 0.90


def meets_goal(check):
    return check.within or (check.error is not None and abs(check.error) <= GOAL_TOLERANCE)


def goal_checks(by_rtt):
    """(judged, unbounded): the judged mean-latency checks (model_checks' tuples), and
    [(rtt, series, rate, saturated)] of the points where the model gives no bound (ρ ≥ 1): its
    claim of an overload, which holds when a repeat was flagged saturated."""
    judged = [c for c in model_checks(by_rtt) if c[3] == "mean latency" and c[4].judged]
    unbounded = []
    for rtt, s, rate, runs in by_rtt.points():
        if runs and not any(is_finite(r.get("model_latency_mean_us")) for r in runs) and \
                any(is_finite(r.get("latency_mean_us")) for r in runs):
            unbounded.append((rtt, s, rate, any(r["saturated"] for r in runs)))
    return judged, unbounded


def goal_sentence(by_rtt):
    """Per mode, the points where the model's mean latency lies inside the interval or within
    ±15% (or, where it gives no bound, the runs saturated too), against the goal of 90%; then
    every point where it does not, with the miss."""
    judged, unbounded = goal_checks(by_rtt)
    per_mode = {}
    for c in judged:
        per_mode.setdefault(c[1].mode, []).append(meets_goal(c[4]))
    for _, s, _, saturated in unbounded:
        per_mode.setdefault(s.mode, []).append(saturated)
    counts = []
    for mode, oks in per_mode.items():
        ok = sum(oks)
        counts.append(f"{mode} {ok}/{len(oks)}" + ("" if ok / len(oks) >= GOAL_SHARE
                                                    else " (below 90%)"))
    text = (f"Inside the interval, or the measured mean within ±{fmt(100 * GOAL_TOLERANCE)}% of "
            f"the model (the model's goal: 90% of every mode's points): " + ", ".join(counts) + ".")
    missed = [f"{by_rtt.name(rtt, s, rate)} ({fmt(c.measured_shown)} measured against the "
              f"model's {fmt(c.model_shown)} ms, {miss_text(c, u)}"
              + ("; a repeat saturated" if any(r["saturated"] for r in s.points[rate]) else "")
              + ")" for rtt, s, rate, _, c, u in judged if not meets_goal(c)]
    missed += [f"{by_rtt.name(rtt, s, rate)} (the model gives no bound, but every repeat kept "
               "up)" for rtt, s, rate, saturated in unbounded if not saturated]
    if missed:
        text += " Every point where it is neither: " + "; ".join(missed) + "."
    elif per_mode:
        text += " No point misses both."
    foreseen = [by_rtt.name(rtt, s, rate) for rtt, s, rate, saturated in unbounded if saturated]
    if foreseen:
        text += (" Where the model gives no bound (ρ ≥ 1) it claims an overload, and the runs "
                 "saturated: " + "; ".join(foreseen) + ".")
    return text


def saturated_sentences(by_rtt):
    """One sentence per saturated point, from the list the warnings count too."""
    out = []
    for rtt, s, rate, bad, runs in by_rtt.saturated():
        reasons = sorted({r["saturated_reason"] for r in bad if r["saturated_reason"]})
        out.append(f"{by_rtt.name(rtt, s, rate)}: {len(bad)} of {len(runs)} repeats did not "
                   "keep up" + (f" ({'; '.join(reasons)})" if reasons else "") + ".")
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
    bound_text = f"p99 ≤ {fmt_ms(float(bound))} ms and no loss" if isinstance(
        bound, (int, float)) else "no loss"
    best = max_rate.get("max_sustained_rate")
    if isinstance(best, (int, float)):
        text = (f"The search found {what} sustained {fmt(float(best))} events/s at most "
                f"({bound_text}, not saturated).")
    else:
        text = f"The search found no rate that {what} sustained ({bound_text}, not saturated)."
    conf = max_rate.get("confirmation")
    if isinstance(conf, dict):
        text += (f" Confirmed by {conf.get('repeats')} more runs at the answer and at the rate "
                 "above" if conf.get("confirmed") else
                 " Not confirmed: the repeats at the answer and the rate above kept disagreeing")
        text += f" ({conf.get('moves', 0)} step{'' if conf.get('moves') == 1 else 's'} moved)."
    doc.p(text)
    rows = []
    tried = [t for t in max_rate.get("tried") or [] if isinstance(t, dict)]
    phases = any("phase" in t for t in tried)
    for t in tried:
        rows.append(([str(t.get("phase", "-"))] if phases else []) +
                    [fmt(t.get("rate")) if isinstance(t.get("rate"), (int, float)) else "-",
                     "yes" if t.get("saturated") else "no", str(t.get("reason") or "-"),
                     fmt_ms(t.get("p99_us")) if isinstance(t.get("p99_us"), (int, float))
                     else "-", str(t.get("lost", "-"))])
    if rows:
        doc.table((["phase"] if phases else []) +
                  ["rate tried (events/s)", "saturated", "reason", "p99 (ms)", "lost"], rows,
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
            vals = [(medians(s, column).get(rate), s) for s in present]
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


def section_conclusions(doc, series, model, max_rate, by_rtt):
    doc.h(2, "What the data says")
    if by_rtt.multi:
        where = by_rtt.base_note()[0].strip(" ()")
        doc.p(f"The comparisons below are on the base round trip ({where}) only; the folder's "
              "other round trips (" + ", ".join(f"{fmt(r)} ms" for r in by_rtt.rtts()[1:])
              + ") are in the answer's round-trip table, the tables per mode, the model table "
              "and the model agreement and saturated points below, which count every round "
              "trip.")
    pull = reference_pull(series)  # the pull reference; the other designs: the mode comparison
    push = [s for s in series if not s.pull]
    said = []
    for s in pull:
        base = push_baseline(series, s)
        if base is None:
            if push:
                text = (f"{series_name(s)} has no push series with the same subscribers, "
                        "payload and arrivals to compare with.")
                doc.p(text)
                said.append(text)
            continue
        doc.h(3, f"{series_name(s)} vs {series_name(base)}")
        crossed = ("requests_per_event", "bytes_per_event", "cpu_us_per_event_net_total")
        common = sorted(r for r in s.rates if r in base.points)
        ratios = []
        for column, name in (("latency_p50_us", "p50"), ("latency_p99_us", "p99")):
            sentence = ratio_sentence(s, base, column, name)
            if sentence:
                ratios.append(sentence[0].upper() + sentence[1:])
        if len(common) < 2:
            # One common rate (a round-trip block's point): no crossing to look for, said once.
            items = [f"At T = {fmt(s.interval_ms)} ms{other_axes(s)}, {who(s)} and {who(base)} "
                     f"share {'one measured rate' if common else 'no measured rate'}"
                     + (f" ({fmt(common[0])} events/s)" if common else "")
                     + ", so where their requests, bytes and net CPU per delivered event "
                     "cross cannot be told."]
            items += ratios
        else:
            items = [crossing_sentence(s, base, "requests_per_event", model)] + ratios
            items += [crossing_sentence(s, base, c) for c in crossed[1:]]
        doc.ul(items)
        said += items
    sentence = empty_poll_sentence(series, model)
    if sentence:
        doc.h(3, "Empty polls")
        doc.p(sentence)
        said.append(sentence)
    agreement = agreement_sentences(by_rtt)
    if agreement:
        doc.h(3, "How well the model predicts")
        doc.ul(agreement)
        said += agreement
    saturated = saturated_sentences(by_rtt)
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
        doc.h(3, "Best at each rate" + by_rtt.base_note()[0])
        winners_table(doc, series)
    return said


# Designs built as a variation of another: what the variation saved and what it cost, at the
# same poll interval, stack and other axes. (mode, the mode it varies, the column it is meant to
