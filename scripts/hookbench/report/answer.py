"""The report's opening: the answer in computed sentences (the network first, then what was
measured there; the push/poll ratio through a slower link) and the question with the model's
claims.
"""

from ..fmt import fmt, fmt_range, fmt_ratio_range
from ..modes import claim_text
from ..series import aggregate, measured_crossings, medians, push_baseline, reference_pull, \
    rtt_ratios
from ..charts.sweep import TITLES
from .words import cite, lambda_t, who

KEY_CHARTS = ("latency_vs_rate", "requests_per_s")  # shown with the answer, up front


def section_question(doc, modes, present):
    """The question, the model's claim for the two references, then, in the descriptors' words,
    for every other design the folder has."""
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
    claims = [claim_text(names, claim) for names, claim in modes.claims(present)]
    if claims:
        doc.p("**The model's claim for the other designs** in this folder (G: the generator's "
              "lag, W: the batch window):")
        doc.ul(claims)


LOOPBACK = ("127.", "::1", "localhost")


def network_text(envs):
    """Where the runs' traffic went, from the run JSONs' config.host."""
    hosts = sorted({str(c.get("host")) for _, _, c in envs if c.get("host")})
    if not hosts:
        return "unknown (no run JSON records config.host)"
    if all(h.startswith(LOOPBACK) for h in hosts):
        return f"loopback ({', '.join(hosts)}): both processes on one host"
    return ", ".join(hosts)


def round_trip(series, modes):
    """(median, lo, hi, what) of the round trip the model used in the push reference's runs (the
    in-run POST round trip), else the back-to-back ping of any run."""
    push = [r for s in series if s.mode == modes.push_reference for r in s.runs()]
    a = aggregate(push, "model_rtt_us")
    if a:
        return a.median, a.lo, a.hi, f"in-run {modes.push_reference} POST round trip"
    a = aggregate([r for s in series for r in s.runs()], "rtt_us")
    if a:
        return a.median, a.lo, a.hi, "idle back-to-back round trip (measured before the runs)"
    return None


def headline(series, envs):
    """The answer in one computed paragraph: the network first, then what was measured there."""
    # Plain polling against its push baseline: the other designs have their own section.
    pairs = [(s, push_baseline(series, s)) for s in reference_pull(series)]
    pairs = [(s, b) for s, b in pairs if b is not None]
    if not pairs:
        return None
    modes = series[0].modes
    net = network_text(envs)
    rtt = round_trip(series, modes)
    where = f"On this network, {net}"
    if rtt:
        spread = "" if fmt(rtt[1]) == fmt(rtt[2]) else f"; {fmt(rtt[1])}–{fmt(rtt[2])} µs"
        where += f", with an {rtt[3]} of {fmt(rtt[0])} µs (median{spread})"
    parts = []
    ratios, all_lower = [], True
    for s, b in pairs:
        a, c = medians(s, "latency_p50_us"), medians(b, "latency_p50_us")
        common = [r for r in a if r in c and c[r] > 0]
        ratios += [a[r] / c[r] for r in common]
        all_lower &= all(a[r] > c[r] for r in common)
    push_modes = sorted({who(b) for _, b in pairs}, key=modes.order_key)
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
        downs = [rate for rate, down in measured_crossings(s, b, "requests_per_event")
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
    found = rtt_ratios(rows)
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


def section_answer(doc, rows, series, envs, charts, captions):
    """The answer up front: the pull reference against its push baseline, the ratio through a
    slower link, the other designs the folder has, and the two key charts."""
    modes = rows.modes
    doc.h(2, "The answer")
    pull = [s for s in series if s.pull]
    push = [s for s in series if not s.pull]
    said = []
    if not series:
        text = "No run in this folder produced measurements, so there is nothing to conclude."
    elif not pull or not push:
        have = ", ".join(sorted({s.mode for s in series}, key=modes.order_key)) or "no"
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
    others = [m for m in dict.fromkeys(s.mode for s in series) if not modes.is_reference(m)]
    if others and len(series) > 1:
        text = (f"This folder also has {', '.join(others)}: the mode comparison below sets "
                "every mode side by side at each rate.")
        doc.p(text)
        said.append(text)
    for name in KEY_CHARTS:
        if name in charts:
            doc.img(charts[name], TITLES[name], captions.get(name, ""))
    return said
