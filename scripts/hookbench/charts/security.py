"""The security runs' charts (DIR/security/, scripts/security.sh): what signing and TLS cost per
delivered event, signing and verifying time against the payload (the microbenchmark), and how
the receiver answered a third party's forged, tampered, replayed, expired and unsigned POSTs.
"""

import os

from ..errors import ResultsError
from ..figures import Chart, bottom_legend, caption_of, finish, new_figure, plain_log, save, \
    titled, write_captions
from ..fmt import fmt, fmt_list, fmt_ratio_range, plural
from .. import security_files as sf
from ..style import AREA_COLOURS, FIGSIZE, SATURATED_COLOUR, plt

SIDE_COLOURS = {"producer": AREA_COLOURS[0], "consumer": AREA_COLOURS[1]}
BYTES_COLOUR = AREA_COLOURS[2]
SCHEME_COLOURS = {"hmac": AREA_COLOURS[0], "ed25519": AREA_COLOURS[1]}
SCHEME_NAMES = {"hmac": "HMAC-SHA256", "ed25519": "ed25519"}
ACCEPTED_COLOUR = SATURATED_COLOUR  # an accepted attack request: the one bad outcome
REJECTED_COLOURS = ("#8172b3", "#64b5cd", "#937860", "#ccb974", "#8c8c8c", "#da8bc3")
REASON_COLOUR = AREA_COLOURS[0]
DELIVERED_COLOUR = AREA_COLOURS[2]
UNANSWERED_COLOUR = "0.75"
MISSING_TEXT = "not measured"


def setting(sec):
    """'loopback (127.0.0.1), 200 events/s': where and at what rate the runs were taken."""
    hosts, loop = sec.network()
    where = (f"loopback ({', '.join(hosts)})" if loop else ", ".join(hosts)) if hosts \
        else "network unknown (no config.host)"
    rates = sec.rates()
    rate = (f"{fmt_list(rates)} events/s" if rates else "rate unknown")
    return f"{where}, webhook mode at {rate}"


def repeats_text(sec, configs):
    counts = sorted({len(sec.runs[c]) for c in configs if c in sec.runs})
    if not counts:
        return ""
    runs = f"{counts[0]}" if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"
    if counts[-1] == 1:
        return "one run per configuration (no spread to show)"
    return f"median of {runs} runs per configuration (seeds 1..k); bars: min-max over the repeats"


def bar_with_spread(ax, x, agg, width, colour, gid, label=None):
    """One bar at the median, its min-max over repeats as an error bar, the value written on
    it."""
    ax.bar([x], [agg.median], width=width, color=colour, label=label, gid=gid)
    if agg.k > 1:
        ax.errorbar([x], [agg.median], yerr=[[agg.median - agg.lo], [agg.hi - agg.median]],
                    fmt="none", ecolor="black", capsize=3, linewidth=1, gid=f"spread:{gid}")
    ax.annotate(fmt(agg.median), (x, agg.hi), xytext=(0, 3), textcoords="offset points",
                ha="center", va="bottom", fontsize=8)


def chart_cost(sec, title):
    configs = [c for c, _ in sf.SECURITY_CONFIGS] + \
        [c for c in sec.runs if c not in sf.SECURITY_LABELS]
    measured = [c for c in configs if sec.results(c)]
    fig, axes, leg = new_figure(2)
    ax_cpu, ax_bytes = axes
    xs = range(len(configs))
    width = 0.38
    values = {}
    for i, c in enumerate(configs):
        if c not in measured:
            for ax in axes:
                ax.text(i, 0, MISSING_TEXT, rotation=90, ha="center", va="bottom", fontsize=8,
                        color="0.45", gid=f"missing:{c}")
            continue
        for j, side in enumerate(sf.SIDES):
            a = sec.agg(c, lambda r, side=side: sf.cpu_us_per_event(r, side))
            if a is not None:
                bar_with_spread(ax_cpu, i + (j - 0.5) * width, a, width, SIDE_COLOURS[side],
                                f"cpu:{side}:{c}", label=f"{side} CPU" if i == measured_i(
                                    configs, measured) else None)
                values[(c, side)] = a
        a = sec.agg(c, sf.bytes_per_event)
        if a is not None:
            bar_with_spread(ax_bytes, i, a, 0.6, BYTES_COLOUR, f"bytes:{c}",
                            label="bytes per event" if i == measured_i(configs, measured)
                            else None)
            values[(c, "bytes")] = a
    for ax in axes:
        ax.set_xticks(list(xs))
        ax.set_xticklabels(configs, rotation=30, ha="right")
        ax.set_ylim(bottom=0)
        ax.margins(y=0.15)
    ax_cpu.set_ylabel("CPU per delivered event (µs, user + sys)")
    ax_cpu.set_title("CPU per delivered event")
    ax_bytes.set_ylabel("bytes per delivered event (sent + received)")
    ax_bytes.set_title("bytes on the wire per delivered event")
    titled(fig, title, f"{setting(sec)}; {repeats_text(sec, measured)}")
    bottom_legend(leg, axes)
    caption = [f"Measured on {setting(sec)}: each side's CPU (user + sys over the run's window) "
               "divided by the real events delivered, and the bytes both sides sent and "
               f"received per delivered event; {repeats_text(sec, measured)}."]
    missing = [c for c in configs if c not in measured]
    if missing:
        caption.append(f"Not measured: {', '.join(missing)}.")
    if "attack" in measured:
        caption.append("The attack configuration's consumer CPU includes rejecting the attack "
                       "requests, its producer CPU does not (the attacker is a third process).")
    fig.values = values
    return finish(fig, caption)


def measured_i(configs, measured):
    """The index of the first measured configuration: the one that labels the legend."""
    return configs.index(measured[0]) if measured else -1


def chart_sign_verify(sec, title):
    points = sf.sign_verify_points(sec.micro)
    if not points:
        return None
    fig, (ax,), leg = new_figure()
    styles = {"sign": ("-", "o"), "verify": ("--", "s")}
    for (op, scheme), pts in sorted(points.items()):
        x = [p[0] for p in pts]
        y = [p[1] / 1e3 for p in pts]
        lo = [(p[1] - p[2]) / 1e3 for p in pts]
        hi = [(p[3] - p[1]) / 1e3 for p in pts]
        line, marker = styles[op]
        ax.errorbar(x, y, yerr=[lo, hi], color=SCHEME_COLOURS[scheme], linestyle=line,
                    marker=marker, capsize=3, label=f"{op} {SCHEME_NAMES[scheme]}",
                    gid=f"{op}:{scheme}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain_log(ax)
    ax.set_xlabel("payload (bytes)")
    ax.set_ylabel("time per operation (µs, real time)")
    ctx = sec.micro.get("context") or {}
    cpu = ctx.get("hookbench_cpu_model", "")
    titled(fig, title, "hookbench_micro, median of the repetitions; bars: median ± stddev"
           + (f"; {cpu}" if cpu else ""))
    bottom_legend(leg, [ax])
    caption = ["Time to sign and to verify one Standard Webhooks signature (id.timestamp.body) "
               "against the body's size, from DIR/security/micro.json (Google Benchmark, "
               "median of the repetitions, bars median ± stddev), log-log."]
    for op in ("sign", "verify"):
        ratios = sf.sign_verify_ratios(points, op)
        if ratios:
            caption.append(f"ed25519 takes {fmt_ratio_range(r for _, r in ratios)} the time of HMAC "
                           f"to {op} (payloads {fmt_list([s for s, _ in ratios])} bytes).")
    return finish(fig, caption)


def chart_attack(sec, title):
    t = sf.attack_totals(sec)
    if not t["runs"]:
        return None
    fig = plt.figure(figsize=FIGSIZE, layout="constrained")
    grid = fig.add_gridspec(2, 3, height_ratios=[5.0, 0.9], width_ratios=[2.2, 1.6, 1.0])
    ax_kind, ax_reason, ax_real = (fig.add_subplot(grid[0, i]) for i in range(3))
    leg = fig.add_subplot(grid[1, :])
    leg.axis("off")
    kinds = sf.kinds_of(t)
    statuses = sorted({s for by in t["answers"].values() for s in by},
                      key=lambda s: (not s.startswith("2"), s))
    colour, rejected_i = {}, 0
    for s in statuses:
        if s.startswith("2"):
            colour[s] = ACCEPTED_COLOUR
        else:
            colour[s] = REJECTED_COLOURS[rejected_i % len(REJECTED_COLOURS)]
            rejected_i += 1
    bottoms = [0] * len(kinds)
    for s in statuses:
        heights = [t["answers"].get(k, {}).get(s, 0) for k in kinds]
        label = f"answered {s}" + (" (ACCEPTED)" if s.startswith("2") else "")
        ax_kind.bar(kinds, heights, bottom=bottoms, color=colour[s], label=label,
                    gid=f"answers:{s}", hatch="//" if s.startswith("2") else None)
        bottoms = [b + h for b, h in zip(bottoms, heights)]
    unanswered = [max(0, t["sent"].get(k, 0) - b) for k, b in zip(kinds, bottoms)]
    if any(unanswered):
        ax_kind.bar(kinds, unanswered, bottom=bottoms, color=UNANSWERED_COLOUR,
                    label="no answer", gid="answers:none")
    for i, k in enumerate(kinds):
        ax_kind.annotate(f"sent {t['sent'].get(k, 0)}", (i, max(t["sent"].get(k, 0), bottoms[i])),
                         xytext=(0, 3), textcoords="offset points", ha="center", fontsize=8)
        accepted = sum(n for s, n in t["answers"].get(k, {}).items() if s.startswith("2"))
        if accepted:
            ax_kind.annotate(f"{accepted} ACCEPTED", (i, accepted), xytext=(0, 4),
                             textcoords="offset points", ha="center", fontsize=9,
                             fontweight="bold", color=ACCEPTED_COLOUR,
                             bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none"})
    ax_kind.set_ylabel(f"attack requests (sum over {plural(t['runs'], 'run')})")
    ax_kind.set_title("answers by attack kind")
    top = max([t["sent"].get(k, 0) for k in kinds] + bottoms + [1])
    ax_kind.set_ylim(0, top * 1.12)  # zero-height layers stick the autoscale to the top
    reasons = [r for r in sf.REJECT_REASONS if r in t["rejected"]] + \
        sorted(r for r in t["rejected"] if r not in sf.REJECT_REASONS)
    if reasons:
        ax_reason.barh(reasons, [t["rejected"][r] for r in reasons], color=REASON_COLOUR,
                       gid="rejected")
        for y, r in enumerate(reasons):
            ax_reason.annotate(str(t["rejected"][r]), (t["rejected"][r], y), xytext=(3, 0),
                               textcoords="offset points", va="center", fontsize=8)
        ax_reason.invert_yaxis()
        ax_reason.margins(x=0.2)
    else:
        ax_reason.text(0.5, 0.5, "the receiver reported\nno rejection reasons", ha="center",
                       va="center", transform=ax_reason.transAxes, color="0.45")
        ax_reason.set_yticks([])
        ax_reason.set_xticks([])
    ax_reason.set_title("rejected by the receiver, by reason")
    ax_reason.set_xlabel("requests")
    real = [("expected", t["expected"], "0.6"), ("delivered", t["delivered"], DELIVERED_COLOUR)]
    ax_real.bar([n for n, _, _ in real], [v for _, v, _ in real],
                color=[c for _, _, c in real], gid="real")
    for i, (_, v, _) in enumerate(real):
        ax_real.annotate(str(v), (i, v), xytext=(0, 3), textcoords="offset points",
                         ha="center", fontsize=8)
    ax_real.set_title(f"real events (lost: {t['lost']})")
    ax_real.set_ylim(0, max(t["expected"], t["delivered"], 1) * 1.12)
    total = sum(t["sent"].values())
    verdict = (f"ACCEPTED {t['accepted']} of {total} attack requests"
               if t["accepted"] else f"none of the {total} attack requests accepted")
    titled(fig, title, f"{setting(sec)}; {verdict}; {plural(t['lost'], 'real event')} lost")
    bottom_legend(leg, [ax_kind])
    caption = [f"The attack runs on {setting(sec)} ({plural(t['runs'], 'run')}, counts summed): "
               f"{total} attack requests, "
               + ", ".join(f"{t['sent'].get(k, 0)} {k}" for k in kinds) + "."]
    if t["accepted"]:
        caption.append(f"**{t['accepted']} attack requests were ACCEPTED** (answered 2xx): the "
                       "receiver took them for real deliveries.")
    else:
        caption.append("None was accepted (no 2xx answer).")
    if t["failed"]:
        caption.append(f"{t['failed']} got no answer.")
    caption.append("Rejected by reason: " + (", ".join(f"{r} {t['rejected'][r]}" for r in reasons)
                                             if reasons else "the receiver reported none") + ".")
    caption.append(f"Real events: {t['delivered']} delivered of {t['expected']} expected, "
                   f"{t['lost']} lost.")
    fig.totals = t
    return finish(fig, caption)


CHARTS = (
    Chart("security_cost", "What signing and TLS cost per delivered event", chart_cost),
    Chart("sign_verify", "Signing and verifying one webhook: HMAC-SHA256 vs ed25519",
          chart_sign_verify),
    Chart("attack_outcome",
          "A third party's forged, tampered, replayed, expired and unsigned POSTs", chart_attack),
)


def make_charts(folder, output=None, log=None):
    """Writes the charts DIR/security has data for and captions.json; returns {name: png}.
    Raises ResultsError on bad input or when DIR/security has no runs."""
    sec = sf.SecurityRuns(folder)
    if not sec and sec.micro is None:
        raise ResultsError(f"{sec.dir}: no security runs (<config>-k<n>.json) and no "
                           "micro.json: run scripts/security.sh first")
    output = output or os.path.join(sec.dir, "charts")
    skipped = {"security_cost": "no security runs", "sign_verify": "no sign/verify "
               f"microbenchmark in {sec.micro_path}" if sec.micro is not None else
               f"no {sec.micro_path}", "attack_outcome": "no run with an attack block"}
    written, captions = {}, {}
    for chart in CHARTS:
        name = chart.name
        fig = chart.draw(sec, chart.title) if (sec or name == "sign_verify") else None
        if fig is None:
            for ext in ("png", "svg"):  # a stale chart of an earlier run must not stay
                stale = os.path.join(output, f"{name}.{ext}")
                if os.path.exists(stale):
                    os.remove(stale)
            if log:
                log(f"plot_security.py: note: no {name} chart: {skipped[name]}")
            continue
        captions[name] = caption_of(fig)
        written[name] = save(fig, output, name)
        if log:
            log(f"plot_security.py: wrote {written[name]}")
    write_captions(output, captions)
    return written
