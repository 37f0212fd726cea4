"""The Security section (DIR/security/, scripts/security.sh): what signing and TLS cost per
event, the attack's outcome and the sign/verify microbenchmark against Svix's claim, every
sentence computed from the files; and the setup of a folder that has only those runs.
"""

import math
import os

from ..charts.security import CHARTS as SECURITY_CHARTS, make_charts as draw_security_charts
from ..fmt import fmt, fmt_list, fmt_range, fmt_ratio_range, plural
from ..series import Agg
from ..security_files import REJECT_REASONS, SECURITY_DIR, SECURITY_LABELS, attack_of, \
    attack_totals, bytes_per_event, cpu_us_per_event, handshakes_per_event, kinds_of, \
    latency_us, micro_at, payload_of, sign_verify_points, sign_verify_ratios, \
    signatures_per_event
from .doc import load_captions
from .words import describe_distinct, distinct, env_text

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
        "producer": sec.agg(config, lambda r: cpu_us_per_event(r, "producer")),
        "consumer": sec.agg(config, lambda r: cpu_us_per_event(r, "consumer")),
        "bytes": sec.agg(config, bytes_per_event),
        "hs_producer": sec.agg(config, lambda r: handshakes_per_event(r, "producer")),
        "hs_consumer": sec.agg(config, lambda r: handshakes_per_event(r, "consumer")),
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
        row = [f"{c} ({SECURITY_LABELS.get(c, c)})", str(len(sec.runs.get(c, []))) or "0",
               agg_text(cost["producer"]), agg_text(cost["consumer"]), agg_text(cost["bytes"])]
        if handshakes:
            row += [agg_text(cost["hs_producer"]), agg_text(cost["hs_consumer"])]
        rows.append(row)
    doc.table(headers, rows)


def section_security(doc, sec, charts, captions):
    """The Security section: signing's and TLS's cost per event, the attack's outcome and the
    sign/verify microbenchmark, every sentence from DIR/security/."""
    doc.h(2, "Security")
    security_intro(doc, sec)
    if "security_cost" in charts:
        doc.img(charts["security_cost"], "security_cost", captions.get("security_cost", ""))
    doc.h(3, "What signing costs per event")
    signing_section(doc, sec)
    doc.h(3, "What TLS costs per event")
    tls_section(doc, sec)
    doc.h(3, "What signing and TLS add to the latency")
    latency_section(doc, sec)
    doc.h(3, "Under attack")
    attack_section(doc, sec, charts, captions)
    doc.h(3, "Signing and verifying: HMAC against ed25519 (microbenchmark)")
    micro_section(doc, sec, charts, captions)
    doc.h(3, "The in-run signing cost against the microbenchmark")
    reconcile_section(doc, sec)


def security_intro(doc, sec):
    """How the runs were taken, and any run whose recorded configuration contradicts its name."""
    where, loop = security_setting(sec)
    rates = sec.rates()
    windows = sorted({r["config"].get("duration_s") for r in sec.all_results()
                      if isinstance((r.get("config") or {}).get("duration_s"), (int, float))})
    counts = sorted({len(v) for v in sec.runs.values()})
    shown = os.path.join(os.path.basename(os.path.normpath(sec.folder)), SECURITY_DIR)
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


def comparison_items(sec, pairs, missing, figures):
    """A sentence per (a, b) pair of configurations and figure (column, what, unit), or one
    saying which of the two was not measured."""
    items = []
    for a, b in pairs:
        if a in missing or b in missing:
            items.append(f"{a} against {b}: not measured (no "
                         f"{' or '.join(c for c in (a, b) if c in missing)} runs).")
            continue
        for column, what, unit in figures:
            items.append(difference_sentence(sec, a, b, what, column, unit))
    return items


def signing_section(doc, sec):
    signing = ["unsigned", "hmac", "ed25519"]
    have, missing = config_text(sec, signing)
    if not have:
        doc.p("Not measured: no unsigned, HMAC or ed25519 runs in this folder.")
        return
    cost_table(doc, sec, signing)
    items = comparison_items(
        sec, (("hmac", "unsigned"), ("ed25519", "hmac"), ("ed25519", "unsigned")), missing,
        (("producer", "producer CPU per event (signing)", " µs"),
         ("consumer", "consumer CPU per event (verifying)", " µs")))
    if missing:
        doc.p(f"Not measured: {', '.join(missing)} (no runs in the folder).")
    doc.ul(items)


def tls_section(doc, sec):
    tls = ["hmac", "tls-keepalive", "plain-new", "tls-new"]
    have, missing = config_text(sec, tls)
    if not any(c.startswith("tls") for c in have):
        doc.p("Not measured: no TLS runs in this folder (`hookbench run --tls`)."
              + (" Measured without TLS, for that comparison:"
                 if "plain-new" in have else ""))
        if "plain-new" in have:
            cost_table(doc, sec, ["plain-new"])
        return
    cost_table(doc, sec, tls, handshakes=True)
    items = comparison_items(
        sec, (("tls-keepalive", "hmac"), ("tls-new", "plain-new"), ("tls-new", "tls-keepalive")),
        missing, (("producer", "producer CPU per event", " µs"),
                  ("consumer", "consumer CPU per event", " µs"),
                  ("bytes", "bytes per event", "")))
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


LATENCY_CONFIGS = ("unsigned", "hmac", "ed25519", "plain-new", "tls-keepalive", "tls-new")


def latency_of(sec, config):
    return {name: sec.agg(config, lambda r, n=name: latency_us(r, n)) for name in ("p50", "p99")}


def latency_section(doc, sec):
    """p50 and p99 delivery latency per configuration (median and min-max over repeats), and
    each comparison's ratio with whether the repeats overlap."""
    have = [c for c in LATENCY_CONFIGS if any(latency_us(r, "p50") is not None
                                              for r in sec.results(c))]
    if not have:
        doc.p("Not measured: no run in the folder reports metrics.latency_us.")
        return
    rows = []
    for c in have:
        lat = latency_of(sec, c)
        rows.append([f"{c} ({SECURITY_LABELS.get(c, c)})", str(len(sec.runs.get(c, []))),
                     agg_text(scaled(lat["p50"]), " ms"), agg_text(scaled(lat["p99"]), " ms")])
    doc.p("Delivery latency (consumer parsed − scheduled creation) of the same runs, in ms: the "
          "median over the repeats with their min–max in brackets.")
    doc.table(["configuration", "runs", "p50 latency", "p99 latency"], rows)
    items = []
    for a, b in (("hmac", "unsigned"), ("ed25519", "hmac"), ("tls-keepalive", "hmac"),
                 ("tls-new", "plain-new")):
        if a not in have or b not in have:
            continue
        for name in ("p50", "p99"):
            x, y = latency_of(sec, a)[name], latency_of(sec, b)[name]
            if x is None or y is None or y.median <= 0:
                continue
            overlap = x.lo <= y.hi and y.lo <= x.hi
            judged = ("their repeats overlap, so this is within run-to-run noise"
                      if overlap and (x.k > 1 or y.k > 1) else
                      "one run each, so no spread to judge it by" if x.k == 1 and y.k == 1
                      else "their repeats do not overlap")
            items.append(f"{name} latency, {a} against {b}: {fmt(x.median / 1000)} ms against "
                         f"{fmt(y.median / 1000)} ms ({fmt(x.median / y.median, 3)}×); "
                         f"{judged}.")
    doc.ul(items)


def scaled(a, by=1e-3):
    """An Agg in other units (µs to ms), or None."""
    if a is None:
        return None
    out = Agg.median_and_range([v * by for v in a.values])
    return out


def reconcile_section(doc, sec):
    """The in-run ed25519-over-HMAC CPU per event on each side against what the microbenchmark
    says one signature (producer) and one verification (consumer) cost: how much of the in-run
    difference the crypto itself explains, and whether the rest is within run-to-run spread."""
    if not sec.results("hmac") or not sec.results("ed25519"):
        doc.p("Not measured: the folder needs both hmac and ed25519 runs.")
        return
    points = sign_verify_points(sec.micro) if sec.micro is not None else {}
    if not points:
        doc.p("Not measured: no sign/verify microbenchmark to compare with.")
        return
    sizes = {payload_of(r) for c in ("hmac", "ed25519") for r in sec.results(c)}
    per_event = {signatures_per_event(r) for c in ("hmac", "ed25519") for r in sec.results(c)}
    if len(sizes) != 1 or None in sizes or len(per_event) != 1:
        doc.p("Not reconciled: the hmac and ed25519 runs differ in payload or subscribers "
              "(or do not record them).")
        return
    size, n = sizes.pop(), per_event.pop()
    items = []
    for side, op in (("producer", "sign"), ("consumer", "verify")):
        ed = sec.agg("ed25519", lambda r: cpu_us_per_event(r, side))
        hm = sec.agg("hmac", lambda r: cpu_us_per_event(r, side))
        e, h = micro_at(points, op, "ed25519", size), micro_at(points, op, "hmac", size)
        if ed is None or hm is None or e is None or h is None:
            items.append(f"{side} ({op}): not reconciled (no in-run CPU or no {op} "
                         f"microbenchmark at {fmt(size)} bytes).")
            continue
        run_diff = ed.median - hm.median
        lo, hi = ed.lo - hm.hi, ed.hi - hm.lo
        micro_diff = n * (e[0] - h[0]) / 1000.0
        rest = run_diff - micro_diff
        text = (f"{side} ({op}): in the runs ed25519 cost {sign(run_diff)} µs of CPU per "
                f"delivered event over HMAC (repeats allow {sign(lo)} to {sign(hi)} µs); the "
                f"microbenchmark puts one ed25519 {op} at {fmt(e[0] / 1000)} µs and HMAC's at "
                f"{fmt(h[0] / 1000)} µs at {fmt(size)} bytes ({e[1]}), so "
                f"{fmt(n)} {op}{'' if n == 1 else 's'} per event "
                f"account{'s' if n == 1 else ''} for "
                f"{sign(micro_diff)} µs")
        if run_diff > 0:
            text += f", {fmt(100 * micro_diff / run_diff, 2)}% of the in-run difference"
        if lo <= micro_diff <= hi:
            text += (". The rest is within the repeats' spread: the runs agree with the "
                     "microbenchmark.")
        elif rest > 0:
            text += (f". The remaining {fmt(rest)} µs per event, beyond the repeats' spread, "
                     "is unexplained by these files: the runs count whole-process CPU, so "
                     "whatever the server does around the crypto counts too, and nothing here "
                     "measures that part separately.")
        else:
            text += (f". The in-run difference is {fmt(-rest)} µs per event smaller than the "
                     "microbenchmark's, beyond the repeats' spread: unexplained by these files.")
        items.append(text)
    crypto = [micro_at(points, op, scheme, size) for op in ("sign", "verify")
              for scheme in ("ed25519", "hmac")]
    p50 = {c: sec.agg(c, lambda r: latency_us(r, "p50")) for c in ("ed25519", "hmac")}
    if None not in crypto and None not in p50.values():
        added = n * ((crypto[0][0] - crypto[1][0]) + (crypto[2][0] - crypto[3][0])) / 1000.0
        gap = p50["ed25519"].median - p50["hmac"].median
        items.append(f"latency: ed25519's median p50 was {sign(gap)} µs over HMAC's; signing "
                     f"and verifying in sequence add {sign(added)} µs per delivery by the "
                     "microbenchmark.")
    doc.p("Both sides' CPU per delivered event is gross (user + sys over the window, idle "
          "upkeep included); the idle upkeep is the same in both configurations, so it cancels "
          "in the difference up to run-to-run noise.")
    doc.ul(items)


def sign(x):
    return f"{'+' if x >= 0 else '−'}{fmt(abs(x))}"


def attack_section(doc, sec, charts, captions):
    runs = [(os.path.basename(p), r) for c in sec.runs for _, p, r in sec.runs[c]
            if attack_of(r) is not None]
    if not runs:
        doc.p("Not measured: no run in the folder has an attack block (`hookbench run "
              "--attack F`).")
        return
    t = attack_totals(sec)
    total = sum(t["sent"].values())
    kinds = kinds_of(t)
    rate = sorted({attack_of(r)["rate"] for _, r in runs if attack_of(r)["rate"]})
    if t["accepted"]:
        bad = [f"`{name}`: {attack_of(r)['accepted']}" for name, r in runs
               if attack_of(r)["accepted"]]
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
        order = [r for r in REJECT_REASONS if r in reasons] + \
            sorted(r for r in reasons if r not in REJECT_REASONS)
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
        doc.p(f"Not measured: no `{SECURITY_DIR}/micro.json` (build `hookbench_micro` and run "
              "`scripts/security.sh` again).")
        return
    points = sign_verify_points(sec.micro)
    if not points:
        doc.p(f"Not measured: `{SECURITY_DIR}/micro.json` has no sign/verify benchmark "
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
        ratios = sign_verify_ratios(points, op)
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
    sec_dir = os.path.join(folder, SECURITY_DIR)
    charts_dir = os.path.join(sec_dir, "charts")
    inputs = [os.path.join(sec_dir, n) for n in os.listdir(sec_dir) if n.endswith(".json")]
    newest = max((os.path.getmtime(p) for p in inputs), default=0)
    captions_path = os.path.join(charts_dir, "captions.json")
    if not os.path.isfile(captions_path) or os.path.getmtime(captions_path) < newest:
        draw_security_charts(folder, charts_dir, log=log)
    captions = load_captions(charts_dir)
    charts = {name: os.path.join(charts_dir, name + ".png") for name, _ in SECURITY_CHARTS
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
        ("microbenchmarks", f"`{SECURITY_DIR}/micro.json`" if sec.micro is not None
         else "none"),
    ]
    for key, name in (("cpu_model", "CPU"), ("cores", "cores"), ("kernel", "kernel"),
                      ("hostname", "host"), ("compiler", "compiler"),
                      ("build_type", "build type"), ("cxx_flags", "C++ flags")):
        items.append((name, describe_distinct(distinct(env_text(e.get(key))
                                                       for _, e, _ in envs))))
    doc.table(["", "value"], items, numeric_from=99)
