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
