"""The README's figures, generated from the committed results: each block is the Markdown between
`<!-- figures:NAME begin -->` and `<!-- figures:NAME end -->` in README.md, written from the files
under results/ (runs.csv, the run JSONs' environment, max_rate.json, security/, micro.json), so a
figure in the README always has a committed file behind it and says which machine, revision and
pinning produced it.
"""

import os
import statistics

from .errors import ResultsError, read_json
from .faults_files import describe, load_runs as load_fault_runs
from .fmt import fmt_number
from .micro_files import LOADED_SHARE, digits_for, format_time, library_text, load_text
from .micro_files import load as load_micro, summarize as summarize_micro
# The security report's own figures and sentences, not a copy of them.
from .report.security import agg_text, cost_of, difference_sentence
from .run_files import load_max_rate
from .readme_calibration import block_advise, block_validation
from .readme_model import block_model_goal
from .runs_csv import load_runs, ok_runs
from .security_files import SECURITY_LABELS, SecurityRuns, attack_totals, sign_verify_points, \
    sign_verify_ratios

# The committed results folders whose runs the machine block describes, in the README's order.
SWEEP_FOLDERS = ("reference", "social", "ecommerce", "analytics", "network")


def fmt(x, digits=3):
    """fmt_number with a thin space between thousands, as the README writes them (1 206)."""
    text = fmt_number(x, digits)
    head, dot, tail = text.partition(".")
    if head.lstrip("-").isdigit() and len(head.lstrip("-")) > 4:
        sign = "-" if head.startswith("-") else ""
        digits_only = head.lstrip("-")
        groups = []
        while digits_only:
            groups.insert(0, digits_only[-3:])
            digits_only = digits_only[:-3]
        head = sign + " ".join(groups)
    return head + dot + tail


def fmt_count(n):
    """A count, exact, thousands apart: 2 887."""
    return f"{int(n):,}".replace(",", " ")


def fmt_us(us):
    """A latency as the README writes it: µs below 1 ms, ms below 1 s, else s."""
    if us is None:
        return "–"
    if fmt_number(us) != "1000" and us < 1000:
        return f"{fmt(us)} µs"
    if fmt_number(us / 1e3) != "1000" and us < 1e6:
        return f"{fmt(us / 1e3)} ms"
    return f"{fmt(us / 1e6)} s"


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


class Results:
    """The committed results under ROOT/results, read once; each folder is loaded when first
    asked for, so a block names the file it needs when that file is missing or malformed."""

    def __init__(self, root):
        self.root = root
        self.dir = os.path.join(root, "results")
        self._runs = {}
        self._envs = {}

    def folder(self, name):
        return os.path.join(self.dir, name)

    def runs(self, name):
        if name not in self._runs:
            self._runs[name] = load_runs(self.folder(name))
        return self._runs[name]

    def configs(self, name):
        """{run_id: config} of the folder's runs/*.json."""
        d = os.path.join(self.folder(name), "runs")
        out = {}
        for n in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            if n.endswith(".json"):
                doc = read_json(os.path.join(d, n))
                if isinstance(doc, dict) and isinstance(doc.get("config"), dict):
                    out[n[:-5]] = doc["config"]
        return out

    def environments(self, name):
        """[(run_id, environment)] of the folder's run JSONs (runs/*.json, or security/*.json
        and faults/*.json), sorted by file name."""
        if name not in self._envs:
            sub = {"security": "security", "network/faults": ""}.get(name, "runs")
            d = os.path.join(self.folder(name), sub)
            if not os.path.isdir(d):
                raise ResultsError(f"{d}: no such folder")
            out = []
            for n in sorted(os.listdir(d)):
                if not n.endswith(".json") or n == "micro.json":
                    continue
                doc = read_json(os.path.join(d, n))
                if isinstance(doc, dict) and isinstance(doc.get("environment"), dict):
                    out.append((n[:-5], doc["environment"]))
            if not out:
                raise ResultsError(f"{d}: no run JSON with an environment")
            self._envs[name] = out
        return self._envs[name]


def pinning_text(env):
    p = env.get("pinning")
    if isinstance(p, str) and p != "none":
        return p
    if isinstance(p, dict) and "producer" in p and "consumer" in p:
        return f"{p['producer']},{p['consumer']}"
    return "none"


def revision_text(envs):
    """'126a302' or '126a302 (modified tree)', several joined with 'and', from the envs
    ([(name, environment)] or [environment])."""
    revs = {}
    for item in envs:
        e = item[1] if isinstance(item, tuple) else item
        rev = str(e.get("git_revision", "unknown"))[:7]
        revs[rev] = revs.get(rev, False) or bool(e.get("git_dirty"))
    return " and ".join(f"{r} (modified tree)" if dirty else r for r, dirty in revs.items())


def pinning_summary(envs):
    pins = {}
    for _, e in envs:
        pins[pinning_text(e)] = pins.get(pinning_text(e), 0) + 1
    if len(pins) == 1:
        pin = next(iter(pins))
        named = {"none": "unpinned", "not recorded": "pinning not recorded"}
        return named.get(pin, f"pinned {pin}")
    return ", ".join(f"{n} {'unpinned' if p == 'none' else 'pinned ' + p}"
                     for p, n in sorted(pins.items()))


# --- blocks ----------------------------------------------------------------------------------

def micro_environment(ctx):
    """hookbench_micro's JSON context as a run's environment (the keys main.cpp adds)."""
    return {"cpu_model": ctx.get("hookbench_cpu_model", "unknown CPU"),
            "cores": ctx.get("num_cpus", ctx.get("hookbench_cores", "?")),
            "kernel": ctx.get("hookbench_kernel", "?"),
            "compiler": ctx.get("hookbench_compiler", "?"),
            "build_type": ctx.get("hookbench_build_type", "?"),
            "cxx_flags": ctx.get("hookbench_cxx_flags", ""),
            "git_revision": ctx.get("hookbench_git_revision", "unknown"),
            "git_dirty": ctx.get("hookbench_git_dirty") == "true",
            "pinning": ctx.get("hookbench_pinning", "not recorded")}


def folder_environments(res):
    """{folder: [(name, environment)] or None (not recorded)} of every committed results
    folder: the sweeps' runs, the fault and security runs, the capacity search, micro.json."""
    every = {}
    for f in SWEEP_FOLDERS:
        if os.path.isdir(res.folder(f)):
            every[f] = res.environments(f)
    if os.path.isdir(res.folder("network/faults")):
        every["network/faults"] = res.environments("network/faults")
    if os.path.isdir(os.path.join(res.folder("security"), "security")):
        every["security"] = res.environments("security")
    searches = load_max_rate(res.folder("capacity"))
    if searches is not None:
        envs = [(s.get("mode", "?"), s["environment"]) for s in searches
                if isinstance(s.get("environment"), dict)]
        every["capacity"] = envs if len(envs) == len(searches) else None
    calibration = os.path.join(res.folder("calibration"), "calibration.json")
    if os.path.isfile(calibration):
        env = read_json(calibration).get("environment")
        every["calibration"] = [("calibration", env)] if isinstance(env, dict) else None
    micro = os.path.join(res.folder("micro"), "micro.json")
    if os.path.isfile(micro):
        ctx = load_micro(micro).get("context")
        every["micro"] = [("micro", micro_environment(ctx))] if isinstance(ctx, dict) else None
    return every


def machine_of(env):
    return (env.get("cpu_model", "unknown CPU"), env.get("cores", "?"), env.get("kernel", "?"),
            env.get("compiler", "?"), env.get("build_type", "?"),
            (env.get("cxx_flags") or "").strip())


def block_machine(res):
    """The machine once (CPU, cores, kernel, compiler, flags from the run files), then per folder
    the runs, revisions and pinning: what produced each figure below."""
    every = folder_environments(res)
    machines = {}
    for f, envs in every.items():
        for _, e in envs or []:
            machines.setdefault(machine_of(e), []).append(f)
    lines = []
    for (cpu, cores, kernel, compiler, build, flags), folders in machines.items():
        where = "Every run" if len(machines) == 1 else \
            "Runs in " + ", ".join(f"`results/{f}`" for f in dict.fromkeys(folders))
        lines.append(f"{where}: {cores} CPUs, {cpu}, {kernel}, {compiler} {build} `{flags}`, "
                     "loopback unless a link is named.")
    revisions = {r for envs in every.values() for r in
                 (revision_text([e]) for e in envs or [])}
    mixed = (" (each row names its folder's; `scripts/regenerate.sh DIR` makes every folder "
             "again from one revision, in about 127 minutes)") if len(revisions) > 1 else ""
    lines += ["", f"The figures come from {len(revisions)} revision"
              f"{'' if len(revisions) == 1 else 's'}{mixed}:", "",
              "| results | runs | revision | pinning |", "|---|---:|---|---|"]
    for f, envs in every.items():
        if envs is None:
            lines.append(f"| `results/{f}` | | not recorded | not recorded |")
            continue
        lines.append(f"| `results/{f}` | {len(envs)} | {revision_text(envs)} | "
                     f"{pinning_summary(envs)} |")
    return lines


def _point(rows, mode, rate, interval_ms):
    return [r for r in ok_runs(rows) if r["mode"] == mode and r["rate"] == rate and
            (r["interval_ms"] == interval_ms if r["pull"] else True)]


def _modes_in_order(runs):
    seen = []
    for r in runs:
        if r["mode"] not in seen:
            seen.append(r["mode"])
    return sorted(seen, key=runs.modes.order_key)


def block_reference_setup(res):
    runs = res.runs("reference")
    ok = ok_runs(runs)
    envs = res.environments("reference")
    def point_of(r):  # a round trip of the rtt block is a point of its own
        return (r["mode"], r["rate"], r["interval_ms"], r["subscribers"], r["rtt_ms"])
    points = {point_of(r) for r in ok}
    repeats = sorted({sum(1 for r in ok if point_of(r) == p) for p in points})
    subs = sorted({int(r["subscribers"]) for r in ok})
    push = {r["run_id"] for r in ok if not r["pull"]}
    schemes = sorted({str(c.get("signature", "not recorded"))
                      for run_id, c in res.configs("reference").items() if run_id in push})
    signed = ("webhook signature " + "/".join(schemes) if schemes != ["not recorded"] else
              "no webhook signature recorded (the runs predate signing)")
    return [f"`results/reference/` (`hookbench sweep bench/scenarios/default.json` then "
            f"`scripts/report.py`, what `./scripts/run.sh` does), revision "
            f"{revision_text(envs)}: {len(_modes_in_order(runs))} modes, {len(points)} points × "
            f"{'/'.join(str(k) for k in repeats)} repeats ({len(ok)} runs), "
            f"{'/'.join(str(s) for s in subs)} subscribers, {pinning_summary(envs)}, {signed}."]


def _pull_interval(runs, preferred=100.0):
    """T = 100 ms when the folder has it, else its middle interval (30 ms of 3, 30, 300)."""
    intervals = sorted({r["interval_ms"] for r in ok_runs(runs) if r["pull"]})
    return preferred if preferred in intervals else (
        intervals[len(intervals) // 2] if intervals else None)


def block_reference_latency(res):
    runs = res.runs("reference")
    t = _pull_interval(runs)
    rates = sorted({r["rate"] for r in ok_runs(runs)})
    low, high = (10.0 if 10.0 in rates else rates[0]), rates[-1]
    lines = [f"Medians over the repeats; pull modes at T = {fmt(t)} ms:", "",
             f"| mode | p50 at {fmt(low)}/s | p99 at {fmt(low)}/s | p50 at {fmt(high)}/s | "
             f"p99 at {fmt(high)}/s |", "|---|---:|---:|---:|---:|"]
    for mode in _modes_in_order(runs):
        cells = []
        for rate in (low, high):
            rows = _point(runs, mode, rate, t)
            for col in ("latency_p50_us", "latency_p99_us"):
                cells.append(fmt_us(median(r[col] for r in rows)))
        lines.append(f"| `{mode}` | " + " | ".join(cells) + " |")
    return lines


def block_reference_costs(res):
    runs = res.runs("reference")
    t = _pull_interval(runs)
    rates = sorted({r["rate"] for r in ok_runs(runs)})
    low = 1.0 if 1.0 in rates else rates[0]
    high = 100.0 if 100.0 in rates else rates[-1]
    lines = [f"Requests, bytes and CPU per delivered event at {fmt(low)}/s and {fmt(high)}/s "
             f"(λT = {fmt(low * t / 1e3)} and {fmt(high * t / 1e3)} for the pull modes at T = "
             f"{fmt(t)} ms); CPU gross (idle upkeep included, which is why the {fmt(low)}/s "
             "column is large) and net of the idle baseline; medians over the repeats:", "",
             f"| mode | requests/event {fmt(low)}/s | {fmt(high)}/s | bytes/event {fmt(low)}/s "
             f"| {fmt(high)}/s | CPU µs/event gross, producer + consumer, {fmt(low)}/s | "
             f"{fmt(high)}/s | net, {fmt(low)}/s | {fmt(high)}/s |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for mode in _modes_in_order(runs):
        req, byt, gross, net = [], [], [], []
        for rate in (low, high):
            rows = _point(runs, mode, rate, t)
            req.append(fmt(median(r["requests_per_event"] for r in rows)))
            byt.append(fmt(median(r["bytes_per_event"] for r in rows)))
            for out, suffix in ((gross, ""), (net, "net_")):
                p = median(r[f"cpu_us_per_event_{suffix}producer"] for r in rows)
                c = median(r[f"cpu_us_per_event_{suffix}consumer"] for r in rows)
                out.append(f"{fmt(p)} + {fmt(c)}")
        lines.append(f"| `{mode}` | " + " | ".join(req + byt + gross + net) + " |")
    return lines


def block_reference_outcome(res):
    """Failed, lost, saturated and thin runs, counted from runs.csv (the model's verdicts per
    point are the model-goal block, readme_model.py)."""
    runs = res.runs("reference")
    ok = ok_runs(runs)
    failed = len(runs) - len(ok)
    lost = sum(1 for r in ok if (r["lost"] or 0) > 0)
    saturated = sum(1 for r in ok if r["saturated"])
    below_min = sum(1 for r in ok if r["min_reached"] == "false")
    thin_p99 = sum(1 for r in ok if "p99" in r["latency_low_sample"].split(";"))
    no_event = sum(1 for r in ok if not r["delivered"])
    lines = [f"Of {len(runs)} runs, {failed} failed, {lost} lost an event, {saturated} were "
             f"flagged saturated, {below_min} did not reach the scenario's minimum of events "
             f"or samples, {thin_p99} have their p99 on fewer than 10 samples, and {no_event} "
             "delivered no event at all."]
    return lines


def block_max_rate(res):
    folder = res.folder("capacity")
    searches = load_max_rate(folder)
    if searches is None:
        raise ResultsError(f"{folder}/max_rate.json: missing")
    envs = [(s.get("mode", "?"), s["environment"]) for s in searches
            if isinstance(s.get("environment"), dict)]
    where = (f"revision {revision_text(envs)}, {pinning_summary(envs)}" if envs else
             "environment not recorded in the file")
    loads = [x[0] for _, e in envs
             for x in (e.get("load_average_start"), e.get("load_average_end"))
             if isinstance(x, list) and x and isinstance(x[0], (int, float))]
    cores = {e.get("cores") for _, e in envs if isinstance(e.get("cores"), int)}
    if loads and len(cores) == 1:
        n = cores.pop()
        where += (f", load average {fmt_number(min(loads), 2)}–{fmt_number(max(loads), 2)} on "
                  f"{n} CPUs")
        if max(loads) > LOADED_SHARE * n:
            where += (" (**a loaded machine**; the average counts the search's own two busy "
                      "processes)")
    confirmed = [s for s in searches if isinstance(s.get("confirmation"), dict)]
    how = ("each answer run again and held every time, the rate above failed at least once"
           if confirmed and all(s["confirmation"].get("confirmed") for s in confirmed) else
           "one run per probed rate, not confirmed by repeats" if not confirmed else
           "confirmed by repeats where marked")
    lines = [f"Highest sustained rate to one subscriber (`results/capacity/max_rate.json`: "
             f"nothing lost, not saturated, p99 within the bound; {where}; {how}):", "",
             "| mode | highest sustained rate | first rate not sustained | p99 bound | runs |",
             "|---|---:|---:|---:|---:|"]
    for s in searches:
        name = f"`{s['mode']}`" + (f" (T = {fmt(s['interval_ms'])} ms)"
                                   if s.get("interval_ms") else "")
        conf = s.get("confirmation")
        if isinstance(conf, dict) and not conf.get("confirmed"):
            name += " (not confirmed)"
        best = s.get("max_sustained_rate")
        first = s.get("first_not_sustained")
        held = [t["rate"] for t in s.get("tried", []) if isinstance(t, dict) and
                t.get("phase") == "search" and t.get("sustained")]
        shown = (fmt(best) + "/s" if best is not None else
                 f"none confirmed ({fmt(max(held))}/s held once in the search)" if held else
                 "none")
        lines.append(f"| {name} | {shown} | "
                     f"{'–' if first is None else fmt(first) + '/s'} | "
                     f"{fmt_us(s.get('p99_bound_us'))} | {len(s.get('tried', []))} |")
    return lines


def block_security(res):
    sec = SecurityRuns(res.folder("security"))
    if not sec:
        raise ResultsError(f"{res.folder('security')}/security: no security runs")
    envs = res.environments("security")
    rates = sec.rates()
    lines = [f"`results/security/` (`scripts/security.sh`, webhook mode at "
             f"{'/'.join(fmt(r) for r in rates)} events/s, revision {revision_text(envs)}, "
             f"{pinning_summary(envs)}); medians over the runs with their min–max, CPU per "
             "delivered event:", "",
             "| configuration | runs | producer CPU µs/event | consumer CPU µs/event | "
             "bytes/event |", "|---|---:|---:|---:|---:|"]
    for config, runs in sec.runs.items():
        if config == "attack":
            continue
        cost = cost_of(sec, config)
        lines.append(f"| {SECURITY_LABELS.get(config, config)} | {len(runs)} | "
                     f"{agg_text(cost['producer'])} | {agg_text(cost['consumer'])} | "
                     f"{agg_text(cost['bytes'])} |")
    lines.append("")
    for a, b in SECURITY_PAIRS:
        if sec.results(a) and sec.results(b):
            for side in ("producer", "consumer"):
                lines.append("- " + difference_sentence(
                    sec, a, b, f"{side.capitalize()} CPU per event", side, " µs"))
    t = attack_totals(sec)
    if t["runs"]:
        sent = sum(t["sent"].values())
        reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(
            t["rejected"].items(), key=lambda kv: (-kv[1], kv[0])) if n)
        lines.append(f"- Under attack ({t['runs']} runs): {fmt_count(sent)} attack requests, "
                     f"**{t['accepted']} accepted**, refused by reason: {reasons or 'none'}; "
                     f"{fmt_count(t['delivered'])} of {fmt_count(t['expected'])} real events "
                     "delivered.")
    if sec.micro is not None:
        points = sign_verify_points(sec.micro)
        parts = []
        for op in ("sign", "verify"):
            ratios = sign_verify_ratios(points, op)
            if ratios:
                parts.append(f"{op} " + ", ".join(f"{fmt(r, 2)}× at {size_text(n)}"
                                                  for n, r in ratios))
        if parts:
            lines.append("- ed25519 ÷ HMAC time (`sign_*`/`verify_*` microbenchmarks in "
                         "`results/security/security/micro.json`, medians): " +
                         "; ".join(parts) + ".")
    return lines


# (configuration, the one it is compared with) in the README's security list.
SECURITY_PAIRS = (("hmac", "unsigned"), ("ed25519", "hmac"), ("tls-keepalive", "hmac"),
                  ("tls-new", "plain-new"))


def size_text(n):
    return f"{n // 1024} KiB" if n >= 1024 and n % 1024 == 0 else f"{n} B"


def block_network(res):
    runs = res.runs("network")
    ok = ok_runs(runs)
    envs = res.environments("network")
    rtts = sorted({r["rtt_ms"] for r in ok})
    columns = []  # (label, mode, interval)
    for mode in _modes_in_order(runs):
        intervals = sorted({r["interval_ms"] for r in ok if r["mode"] == mode and r["pull"]})
        for t in intervals or [None]:
            columns.append((f"{mode}" + (f" T = {fmt(t)} ms" if t else ""), mode, t))
    rate = sorted({r["rate"] for r in ok})
    # The ratio of each pull column to the push reference (webhook): the loopback gap and how
    # a round trip closes it.
    push = runs.modes.push_reference
    pull_cols = [c for c in columns if c[2] is not None]
    ratio_cols = [c for c in pull_cols if push in [m for _, m, _ in columns]]
    lines = [f"`results/network/` (`hookbench sweep bench/scenarios/network.json`, revision "
             f"{revision_text(envs)}, {pinning_summary(envs)}; {'/'.join(fmt(r) for r in rate)} "
             "events/s; the round trip is hookbench's emulated link, measured through it before "
             "each run). Mean delivery latency, medians over the repeats:", "",
             "| round trip (measured) | " + " | ".join(c[0] for c in columns) +
             "".join(f" | {c[0]} ÷ {push}" for c in ratio_cols) + " |",
             "|---|" + "---:|" * (len(columns) + len(ratio_cols))]
    for rtt in rtts:
        at = [r for r in ok if r["rtt_ms"] == rtt]
        measured = median(r["link_rtt_measured_us"] for r in at)
        label = "loopback" if rtt == 0 else (
            f"{fmt(rtt)} ms" + (f" ({fmt(measured / 1e3)})" if measured else ""))
        cells, means = [], {}
        for label_, mode, t in columns:
            rows = [r for r in at if r["mode"] == mode and (r["interval_ms"] == t if t else True)]
            mean = median(r["latency_mean_us"] for r in rows)
            means[label_] = mean
            sat = any(r["saturated"] for r in rows)
            cells.append(fmt_us(mean) + (" (saturated)" if sat else ""))
        for label_, _, _ in ratio_cols:
            a, b = means.get(label_), means.get(push)
            cells.append(f"{fmt(a / b, 2)}×" if a and b else "–")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def block_faults(res):
    """The 1 s faults (the report has the 0.5 s and 2 s ones too): one row per fault run."""
    folder = res.folder("network")
    runs = load_fault_runs(folder)
    envs = res.environments("network/faults")
    rates = sorted({r["config"]["rate"] for _, r in runs})
    lengths = sorted({describe(r)[2] for _, r in runs})
    shown = [(n, r) for n, r in runs if describe(r)[2] == 1.0] or list(runs)
    lines = [f"`results/network/faults/` (`scripts/faults.sh`, revision {revision_text(envs)}, "
             f"{pinning_summary(envs)}; {'/'.join(fmt(x) for x in rates)} events/s, each fault "
             f"1 s into the window; outages of {', '.join(fmt(x) + ' s' for x in lengths)} in "
             f"the report, the {fmt(describe(shown[0][1])[2])} s ones here):", "",
             "| fault | mode | lost | duplicates | out of order | catch-up after the end | "
             "worst delay |", "|---|---|---:|---:|---:|---:|---:|"]

    def order(name_run):
        r = name_run[1]
        return (describe(r)[1], runs.modes.order_key(r["config"]["mode"]), describe(r)[3] or "")
    for _, r in sorted(shown, key=order):
        m = r["metrics"]
        f = m["faults"]["per_fault"][0]
        _, kind, _, policy = describe(r)
        mode = f"`{r['config']['mode']}`" + (f" `--retry {policy}`" if policy else "")
        caught = f.get("catch_up_s")
        catch = "never" if f.get("not_caught_up") or caught is None else fmt_us(caught * 1e6)
        worst = (f.get("delay_us") or {}).get("max")
        lines.append(f"| {kind} | {mode} | {fmt_count(m['lost'])} | "
                     f"{fmt_count(m['duplicates'])} | {fmt_count(m.get('reordered') or 0)} | "
                     f"{catch} | {fmt_us(worst)} |")
    return lines


# The microbenchmarks the README quotes: (what, benchmark names joined by " / ").
MICRO_ROWS = (
    ("encode / parse one event, 256 B payload",
     ("json_event_encode/payload:256", "json_event_parse/payload:256")),
    ("append to the event log / read 1 000 events after a cursor",
     ("log_append/payload:256", "log_read_after/events:1000")),
    ("HTTP round trip, Beast, keep-alive / new connection",
     ("http_beast_roundtrip/keepalive", "http_beast_roundtrip/new_connection")),
    ("HTTP round trip, cpp-httplib (tuned), keep-alive / new connection",
     ("http_httplib_roundtrip/keepalive", "http_httplib_roundtrip/new_connection")),
    ("poll returning 0 / 10 / 1 000 events",
     ("delivery_poll/events:0", "delivery_poll/events:10", "delivery_poll/events:1000")),
    ("one webhook through dispatcher and receiver, keep-alive / new connection",
     ("delivery_webhook/keepalive/payload:256", "delivery_webhook/new_connection/payload:256")),
    ("append one 256 B event to the log's file, `--fsync` always / interval / never",
     ("durable_append/policy:0", "durable_append/policy:1", "durable_append/policy:2")),
    ("webhooks to a 1 ms receiver, `--ordered` / 4 in parallel (time per delivery)",
     ("webhook_order/ordered:1/service_us:1000/fail_every:0",
      "webhook_order/ordered:0/service_us:1000/fail_every:0")),
)


def block_micro(res):
    path = os.path.join(res.folder("micro"), "micro.json")
    doc = load_micro(path)
    rows, _ = summarize_micro(doc)
    by_name = {r["name"]: r for r in rows}
    ctx = doc.get("context") if isinstance(doc.get("context"), dict) else {}
    rev = str(ctx.get("hookbench_git_revision", "unknown"))[:7]
    dirty = " (modified tree)" if ctx.get("hookbench_git_dirty") == "true" else ""
    reps = sorted({r["repetitions"] for r in rows if r.get("repetitions")})
    lines = [f"Microbenchmarks (`results/micro/micro.json`, `hookbench_micro` at revision "
             f"{rev}{dirty}, {ctx.get('hookbench_build_type', '?')} build; {library_text(ctx)}; "
             f"median of {'/'.join(str(k) for k in reps) or '1'} repetitions with the largest "
             f"cv over them; {load_text(ctx)}; full table in "
             "[results/micro/TABLE.md](results/micro/TABLE.md)):",
             "", "| what | median | cv |", "|---|---:|---:|"]
    for what, names in MICRO_ROWS:
        found = [by_name.get(n) for n in names]
        if not all(f is not None and f["figures"] for f in found):
            missing = [n for n, f in zip(names, found) if f is None or not f["figures"]]
            lines.append(f"| {what} | not in micro.json (`{missing[0]}`) | |")
            continue
        times = " / ".join(format_time(f["figures"]["time_ns"], digits_for(f["cv"]))
                           for f in found)
        cvs = [f["cv"] for f in found if f["cv"] is not None]
        cv = f"≤ {fmt(100 * max(cvs), 2)}%" if cvs else "–"
        lines.append(f"| {what} | {times} | {cv} |")
    return lines


BLOCKS = {
    "advise": block_advise,
    "validation": block_validation,
    "machine": block_machine,
    "reference-setup": block_reference_setup,
    "reference-latency": block_reference_latency,
    "reference-costs": block_reference_costs,
    "reference-outcome": block_reference_outcome,
    "model-goal": block_model_goal,
    "max-rate": block_max_rate,
    "security": block_security,
    "network": block_network,
    "faults": block_faults,
    "micro": block_micro,
}


def render(root, names=None):
    """{name: Markdown text} of the blocks (all, or those named), from ROOT/results."""
    res = Results(root)
    out = {}
    for name in names if names is not None else BLOCKS:
        if name not in BLOCKS:
            raise ResultsError(f"no figures block named {name!r} (known: {', '.join(BLOCKS)})")
        try:
            out[name] = "\n".join(BLOCKS[name](res)) + "\n"
        except ResultsError as e:
            raise ResultsError(f"figures:{name}: {e}") from e
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as e:
            raise ResultsError(f"figures:{name}: unusable results ({type(e).__name__}: {e})") \
                from e
    return out
