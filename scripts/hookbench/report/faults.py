"""The Faults section (DIR/faults/, scripts/faults.sh): what each mode lost, duplicated and
delayed under injected faults, every sentence computed from the fault runs.
"""

import os

from ..charts.faults import CHARTS as FAULT_CHARTS, make_charts as draw_fault_charts
from ..faults_files import FAULTS_DIR, FaultsError, describe, load_runs
from ..fmt import plural
from .doc import load_captions


def fault_sentences(runs):
    """The Faults section's sentences, each computed from the runs (FaultRuns); a configuration
    without runs is "not measured"."""
    by = {}
    for _, r in runs:
        label, kind, length, policy = describe(r)
        pf = r["metrics"]["faults"]["per_fault"][0]
        by.setdefault((r["config"]["mode"], kind, policy), []).append((length, pf))
    out = [receiver_down_sentence(by, runs)]
    out += consumer_down_sentences(by, runs.modes)
    out += outage_sentences(by)
    out.append(receiver_5xx_sentence(by))
    pending = {}  # receiver-slow runs: the sender's deliveries still pending at the run's end
    for _, r in runs:
        if describe(r)[1] == "receiver-slow":
            sender = r["metrics"]["faults"].get("sender") or {}
            key = describe(r)[3]
            pending[key] = pending.get(key, 0) + (sender.get("pending") or 0)
    out.append(receiver_slow_sentence(by, pending))
    return out


def integrity_of(r):
    """(delivered, expected, lost, duplicates, out of order) of one fault run: the faults
    block's counts, the run's reordered deliveries."""
    f, m = r["metrics"]["faults"], r["metrics"]
    return (f.get("delivered"), f.get("expected"), f.get("lost") or 0,
            f.get("duplicates") or 0, m.get("reordered") or 0)


def integrity_rows(runs):
    """A row per fault run: name, mode, fault, retry, delivered of expected, lost, duplicates,
    out of order."""
    rows = []
    for name, r in runs:
        _, kind, length, policy = describe(r)
        delivered, expected, lost, dups, reordered = integrity_of(r)
        rows.append([name, r["config"]["mode"], f"{kind} {length:g} s", policy or "-",
                     f"{delivered} of {expected}", str(lost), str(dups), str(reordered)])
    return rows


def integrity_sentences(runs):
    """How many fault runs lost, duplicated and reordered deliveries, by fault kind."""
    counts = {}
    for _, r in runs:
        kind = describe(r)[1]
        slot = counts.setdefault(kind, [0, 0, 0, 0, 0, 0, 0])
        _, _, lost, dups, reordered = integrity_of(r)
        slot[0] += 1
        for i, v in ((1, lost), (3, dups), (5, reordered)):
            if v:
                slot[i] += 1
                slot[i + 1] += v
    out = []
    for what, i in (("lost", 1), ("duplicated", 3), ("reordered", 5)):
        hit = [(k, c) for k, c in counts.items() if c[i]]
        total = sum(c[i] for _, c in hit)
        if not hit:
            out.append(f"No fault run {what} a delivery ({plural(len(runs), 'run')}).")
            continue
        out.append(f"{total} of {plural(len(runs), 'fault run')} {what} deliveries: "
                   + "; ".join(f"{k} in {c[i]} of {c[0]} ({c[i + 1]} "
                               f"{'events' if what == 'lost' else 'deliveries'})"
                               for k, c in sorted(hit)) + ".")
    return out


def receiver_down_sentence(by, runs):
    """What each retry policy lost when the push reference's receiver was down."""
    push = runs.modes.push_reference
    down = {policy: pts for (mode, kind, policy), pts in by.items()
            if mode == push and kind == "receiver-down"}
    if not down:
        return "Webhooks with the receiver down: not measured."
    parts = []
    for policy, pts in sorted(down.items(), key=lambda kv: str(kv[0])):
        lost = ", ".join(f"{pf['lost']} ({length:g} s)"
                         for length, pf in sorted(pts, key=lambda p: p[0]))
        parts.append(f"lost {lost} " + (f"with --retry {policy}" if policy else
                                        "without retries (this build has no --retry)"))
        # The breaker, not the policy, decides how many attempts meet the outage.
        held = [r for _, r in runs if describe(r)[1] == "receiver-down"
                and describe(r)[3] == policy
                and (r["metrics"]["faults"].get("retry") or {}).get("circuit_opened")]
        if held:
            breaker = (held[0]["metrics"]["faults"]["retry"].get("circuit_breaker")
                       or "on")
            parts[-1] += (f" (the circuit breaker, {breaker}, opened in {len(held)} of "
                          f"{len(pts)} runs and held the rest of the outage's events back)")
    return ("Webhooks with the receiver down (outage length in brackets): " +
            "; ".join(parts) + ".")


def consumer_down_sentences(by, modes):
    """The consumer stopped, then continued: one sentence per family's plain design."""
    out = []
    for mode in modes.family_heads():
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
    return out


def outage_sentences(by):
    """The link cut and the producer killed and restarted: one sentence each, every mode
    measured."""
    out = []
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
    return out


def receiver_5xx_sentence(by):
    fivexx = {policy: pts for (mode, kind, policy), pts in by.items() if kind == "receiver-5xx"}
    if not fivexx:
        return "Webhooks with the receiver answering 503: not measured."
    return "Webhooks with the receiver answering 503 at random: " + "; ".join(
        f"lost {sum(pf['lost'] for _, pf in pts)}, {sum(pf['duplicates'] for _, pf in pts)} "
        "duplicates " + (f"with --retry {policy}" if policy else "without retries")
        for policy, pts in sorted(fivexx.items(), key=lambda kv: str(kv[0]))) + "."


def receiver_slow_sentence(by, pending=None):
    """pending: {policy: the sender's deliveries still pending when those runs ended}: retries
    not yet sent, whose duplicates the runs could not count."""
    slow = {policy: pts for (mode, kind, policy), pts in by.items() if kind == "receiver-slow"}
    if not slow:
        return ("Webhooks with the receiver answering after the sender's timeout "
                "(receiver-slow): not measured.")

    def one(policy, pts):
        text = (f"lost {sum(pf['lost'] for _, pf in pts)}, "
                f"{sum(pf['duplicates'] for _, pf in pts)} duplicates "
                + (f"with --retry {policy}" if policy else "without retries"))
        left = (pending or {}).get(policy, 0)
        if left:
            text += (f" ({left} retries still pending when the runs ended: not sent, so their "
                     "duplicates are not counted)")
        return text

    return ("Webhooks with the receiver answering after the sender's timeout (receiver-slow, "
            "at-least-once delivery: a retry re-sends what the receiver already took): "
            + "; ".join(one(policy, pts)
                        for policy, pts in sorted(slow.items(), key=lambda kv: str(kv[0])))
            + ".")


def section_faults(doc, folder, log=None):
    """The Faults section: what each mode lost, duplicated and delayed under injected faults,
    every sentence from DIR/faults/ (scripts/faults.sh)."""
    doc.h(2, "Faults")
    try:
        runs = load_runs(folder)
    except FaultsError as e:
        doc.p(f"Not measured: {e}.")
        return
    doc.p(f"Measured by `scripts/faults.sh` ({plural(len(runs), 'run')} in `faults/`): a fault "
          "1 s into each run's window; pull modes and streams resume from their cursor, webhooks "
          "depend on the sender's retries. Lost = deliveries never made by the end of the drain.")
    for sentence in fault_sentences(runs):
        doc.p(sentence)
    doc.h(3, "Loss, duplicates and ordering per fault run")
    doc.p("Lost and duplicates from each run's faults block (deliveries never made by the end "
          "of the drain; events delivered more than once); out of order: deliveries that "
          "arrived after a later event, over the whole run.")
    doc.ul(integrity_sentences(runs))
    doc.table(["run", "mode", "fault", "retry", "delivered", "lost", "duplicates",
               "out of order"], integrity_rows(runs), numeric_from=4)
    charts_dir = os.path.join(folder, FAULTS_DIR, "charts")
    try:
        draw_fault_charts(folder, charts_dir, log=log)
    except FaultsError as e:
        doc.p(f"No charts: {e}.")
        return
    captions = load_captions(charts_dir)
    for name, _ in FAULT_CHARTS:
        png = os.path.join(charts_dir, name + ".png")
        if os.path.isfile(png):
            doc.img(png, name, captions.get(name, ""))
