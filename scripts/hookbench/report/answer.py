"""The report's opening: the answer in computed sentences (the network first, then what was
measured there; the push/poll ratio through a slower link) and the question with the model's
claims.
"""

import os

from ..fmt import fmt, fmt_list, fmt_range, fmt_ratio_range, plural
from ..modes import claim_text
from ..series import aggregate, rtt_ratios
from ..charts.sweep import TITLES
from .verdicts import group_signature, lambda_t_ranges, point_verdicts, PULL, PUSH, RESOURCES, \
    SPLIT, TIE
from .words import cite, who

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
    """Where the runs' traffic went, from the run JSONs' config.host (and config.hosts, the
    consumer hosts of a run across hosts)."""
    hosts = sorted({str(c.get("host")) for _, _, c in envs if c.get("host")})
    if not hosts:
        return "unknown (no run JSON records config.host)"
    across = sorted({int(c["hosts"]) for _, _, c in envs if isinstance(c.get("hosts"), int)})
    if across:
        counts = " or ".join(str(n) for n in across)
        return (f"across hosts: the producer on {', '.join(hosts)}, the subscribers spread over "
                f"{counts} consumer host{'s' if across != [1] else ''} (deploy/hookbench.yml); "
                "the hosts' own network")
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


def join_and(items):
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def lambda_t_span(group):
    lts = sorted(v.lambda_t for v in group)
    span = f"λT = {fmt(lts[0])}" if fmt(lts[0]) == fmt(lts[-1]) else \
        f"λT {fmt(lts[0])}–{fmt(lts[-1])}"
    return f"{span} ({plural(len(group), 'point')})"


def side_phrase(name, columns):
    """'poll had the lower p50 latency and used fewer requests and less net CPU per delivered
    event'."""
    words = dict((c, w) for c, _, w in RESOURCES)
    parts = [words[c] for c in columns if c == "latency_p50_us"]
    costs = [words[c] for c in columns if c != "latency_p50_us"]
    if costs:
        parts.append(f"used {join_and(costs)} per delivered event")
    return f"{name} {' and '.join(parts)}"


def range_sentence(group):
    """What one λT range of points says: who won which resource there, and for a resource the
    poll intervals at one λT split, who won it at which T."""
    by_side = {}
    for (column, _, _), side in zip(RESOURCES, group_signature(group)):
        by_side.setdefault(side, []).append(column)
    parts = []
    for side, pick in ((PULL, lambda v: v.pull), (PUSH, lambda v: v.push)):
        if side in by_side:
            name = "/".join(sorted({who(pick(v)) for v in group}))
            parts.append(side_phrase(name, by_side[side]))
    names = dict((c, n) for c, n, _ in RESOURCES)
    if TIE in by_side:
        parts.append("tied on " + join_and(names[c] for c in by_side[TIE]))
    if None in by_side:
        parts.append(join_and(names[c] for c in by_side[None]) + " not measured on both")
    for column in by_side.get(SPLIT, []):
        winners = {}
        for v in group:
            winners.setdefault(v.winner(column) or "not measured", []).append(v.pull.interval_ms)
        parts.append(f"{names[column]} went to " + " and to ".join(
            f"{mode} at T = {fmt_list(sorted(set(ts)))} ms" for mode, ts in winners.items()))
    return f"at {lambda_t_span(group)} " + "; ".join(parts)


def resource_sentence(verdicts, column, name):
    """Per resource, how many points each side won, with their λT span (for many ranges)."""
    parts = []
    for side in (PULL, PUSH, TIE):
        got = [v for v in verdicts if v.wins[column][0] == side]
        if got:
            who_ = TIE if side == TIE else "/".join(sorted({
                who(v.pull if side == PULL else v.push) for v in got}))
            parts.append(f"{who_} at {plural(len(got), 'point')} "
                         f"(λT {fmt_range([v.lambda_t for v in got])})")
    return f"{name}: " + ", ".join(parts) if parts else f"{name}: not measured"


def spread_sentence(verdicts):
    """Which of the leads above rest on repeats whose min-max ranges overlap."""
    if all(len(v.pull.points[v.rate]) < 2 or len(v.push.points[v.rate]) < 2
           for v in verdicts):
        return "One run per point, so no spread to judge these leads by."
    names = dict((c, n) for c, n, _ in RESOURCES)
    close = []
    for column, _, _ in RESOURCES:
        pts = [v for v in verdicts if v.wins[column][0] in (PULL, PUSH)
               and not v.wins[column][1]]
        if pts:
            close.append(f"{names[column]} at {plural(len(pts), 'point')} "
                         f"(λT {fmt_list(sorted({v.lambda_t for v in pts}))})")
    if not close:
        return ("At every point the winner's repeats all beat the loser's (their min–max ranges "
                "do not overlap).")
    return ("The lead is within the repeats' spread (min–max ranges overlap, or a side has one "
            "run) for " + "; ".join(close) + ".")


MAX_RANGES = 4  # more λT ranges than this: say it per resource instead


def axes_text(series):
    """The axes other than T that tell the series apart in this folder ("N = 100"), or ""."""
    return ", ".join(series.other_qualifiers())


def headline(series, envs):
    """The answer in computed sentences: the network, then per λT range who won which resource,
    the latency ratio, and how firm the leads are."""
    verdicts = point_verdicts(series)
    if not verdicts:
        return None
    modes = series[0].modes
    net = network_text(envs)
    rtt = round_trip(series, modes)
    where = f"On this network, {net}"
    if rtt:
        spread = "" if fmt(rtt[1]) == fmt(rtt[2]) else f"; {fmt(rtt[1])}–{fmt(rtt[2])} µs"
        where += f", with an {rtt[3]} of {fmt(rtt[0])} µs (median{spread})"
    pulls = sorted({who(v.pull) for v in verdicts})
    pushes = sorted({who(v.push) for v in verdicts})
    counts = sorted({len(x) for s in series for x in s.points.values()})
    med = (f"medians over {fmt_range(counts)} repeats per point" if counts[-1] > 1
           else "one run per point")
    intervals = fmt_list(sorted({v.pull.interval_ms for v in verdicts}))
    text = (f"**The answer.** {where}, {'/'.join(pulls)} (T = {intervals} ms) against "
            f"{'/'.join(pushes)} at {plural(len(verdicts), 'point')} ({med}): ")
    # Points that differ in another axis (N, payload) are answered apart, each named, so that
    # their λT ranges never overlap in one list.
    by_axes = {}
    for v in verdicts:
        by_axes.setdefault(axes_text(v.pull), []).append(v)
    parts = []
    for axes, vs in by_axes.items():
        groups = lambda_t_ranges(vs)
        if len(groups) <= MAX_RANGES:
            said = "; ".join(range_sentence(g) for g in groups)
        else:
            said = (f"the lead changes {len(groups) - 1} times along λT, so per resource: "
                    + "; ".join(resource_sentence(vs, c, n) for c, n, _ in RESOURCES))
        parts.append(f"{axes}: {said}" if axes else said)
    text += ". ".join(parts) + "."
    latency = [v for v in verdicts if v.wins["latency_p50_us"][0] == PUSH]
    if latency and len(latency) == len(verdicts):
        ratios = [v.wins["latency_p50_us"][2] / v.wins["latency_p50_us"][3] for v in latency
                  if v.wins["latency_p50_us"][3] > 0]
        if ratios:
            text += (f" The p50 latency of {'/'.join(pushes)} was {fmt_ratio_range(ratios)} "
                     f"lower than {'/'.join(pulls)}'s; that ratio holds on this network only: the "
                     "model claims push latency grows with the round trip while polling's is "
                     "set by T.")
    return text + " " + spread_sentence(verdicts)


def verdict_table(doc, verdicts):
    """Who won at each point, per resource, with the two medians."""
    if not verdicts:
        return
    show = {"latency_p50_us": lambda v: fmt(v / 1000.0) + " ms"}
    rows = []
    for v in verdicts:
        row = [v.pull.label(), who(v.push), fmt(v.rate), fmt(v.lambda_t)]
        for column, _, _ in RESOURCES:
            side, clear, a, b = v.wins[column]
            f = show.get(column, fmt)
            row.append("-" if side is None else
                       f"{v.winner(column)} ({f(a)} vs {f(b)}){'' if clear else ' ~'}")
        rows.append(row)
    doc.p("Who won at each point (pull median vs push median; ~ = the repeats' min–max ranges "
          "overlap or a side has one run, so the lead is not firm). Net CPU is producer + "
          "consumer µs per delivered event, net of idle.")
    doc.table(["pull series", "push", "rate (events/s)", "λT"] +
              [n for _, n, _ in RESOURCES], rows, numeric_from=99)


def rtt_label(rtt_ms):
    return "loopback" if rtt_ms == 0 else f"{fmt(rtt_ms)} ms"


def rtt_trend(points):
    """How the push/poll ratio moved from the smallest to the largest round trip."""
    first, last = points[0][1], points[-1][1]
    if last > first * 1.05:
        return "caught up" if first < 1 <= last else "shrank"
    if last < first / 1.05:
        return "grew"
    return "held"


def rtt_answer(doc, rows):
    """The push/poll latency ratio at each measured round trip: a table (one row per push mode
    and poll interval, one column per round trip) and a few sentences computed from it. Returns
    the sentences, or [] when the folder has one round trip only."""
    found = rtt_ratios(rows)
    if not found:
        return []
    rtts = sorted({p[0] for e in found for p in e["points"]})
    table = []
    for e in found:
        at = {p[0]: p for p in e["points"]}
        table.append([e["push"], fmt(e["interval_ms"]), fmt(e["rate"])] +
                     [f"{fmt(1 / at[r][1], 2)}×" if r in at and at[r][1] > 0 else "-"
                      for r in rtts])
    trends = {}
    for e in found:
        trends.setdefault(rtt_trend(e["points"]), []).append(e)
    first = [1 / e["points"][0][1] for e in found]
    last = [1 / e["points"][-1][1] for e in found]
    said = [f"**Through a slower network.** With hookbench's emulated link between the sides "
            f"(half the round trip each way), push against polling at "
            f"{plural(len(found), 'pair')} of push mode and poll interval: polling's mean "
            f"latency divided by push's was {fmt_ratio_range(first)} at "
            f"{rtt_label(rtts[0])} and {fmt_ratio_range(last)} at {rtt_label(rtts[-1])}."]
    words = {"shrank": "the advantage of pushing shrank as the round trip grew (the round "
                       "trip adds to both, and is a larger share of push's small latency)",
             "caught up": "polling caught up with push as the round trip grew",
             "grew": "the advantage of pushing grew with the round trip",
             "held": "the round trip changed the ratio by less than 5%"}
    for trend in ("shrank", "caught up", "grew", "held"):
        got = trends.get(trend, [])
        if got:
            which = "all" if len(got) == len(found) else f"{len(got)} of {len(found)}"
            said.append(f"In {which} pairs {words[trend]}.")
    doc.p(" ".join(said))
    doc.p("How many times lower push's mean latency was than polling's (median over repeats "
          "of each), by round trip (ms):")
    doc.table(["push", "poll T (ms)", "rate (events/s)"] + [rtt_label(r) for r in rtts],
              table, numeric_from=1)
    return said


def section_answer(doc, rows, series, envs, charts, captions):
    """The answer up front: the pull reference against its push baseline per λT range and
    resource, the ratio through a slower link, the other designs the folder has, and the key
    charts."""
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
    if series and pull and push:
        verdict_table(doc, point_verdicts(series))
    rtt = rtt_answer(doc, rows) if series else []
    said += rtt
    others = [m for m in dict.fromkeys(s.mode for s in series) if not modes.is_reference(m)]
    if others and len(series) > 1:
        text = (f"This folder also has {', '.join(others)}: the mode comparison below sets "
                "every mode side by side at each rate.")
        doc.p(text)
        said.append(text)
    for name in KEY_CHARTS + (("rtt_ratio",) if rtt else ()):
        if name in charts and os.path.isfile(charts[name]):
            doc.img(charts[name], TITLES[name], captions.get(name, ""))
    return said
