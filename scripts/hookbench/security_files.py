"""DIR/security/, the security measurements of scripts/security.sh: `hookbench run --mode
webhook` results, one file per configuration and repeat (<config>-k<repeat>.json), and
hookbench_micro's Google Benchmark JSON for signing and TLS (micro.json). The configuration is the
file's name; what the run recorded (config.signature, config.tls, config.webhook_connection) is
checked against it. The accessors below are the only places that know where a field lives in a
result, so a renamed field is changed once.
"""

import json
import math
import os
import re
import statistics

from .errors import ResultsError, read_json
from .series import Agg

SECURITY_DIR = "security"
# (name, what it is), in the order charts and the report show them.
SECURITY_CONFIGS = (
    ("unsigned", "no signature"),
    ("hmac", "HMAC-SHA256 signed"),
    ("ed25519", "ed25519 signed"),
    ("plain-new", "plain HTTP, new connection per POST"),
    ("tls-keepalive", "TLS, keep-alive"),
    ("tls-new", "TLS, new connection per POST"),
    ("attack", "signed, under attack"),
)
SECURITY_LABELS = dict(SECURITY_CONFIGS)
DEFAULT_SIGNATURE = "hmac"  # what a run that records no config.signature used
ATTACK_KINDS = ("forged", "tampered", "replayed", "expired", "unsigned")
REJECT_REASONS = ("missing-header", "malformed-timestamp", "timestamp-too-old",
                  "timestamp-too-new", "malformed-signature", "bad-signature", "replay")
SIDES = ("producer", "consumer")


def _get(d, *keys):
    for k in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d


def _num(x):
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) and \
        math.isfinite(x) else None


def signature_of(result):
    """The signing scheme of a run: config.signature ("hmac", "ed25519", "none"); a run that
    records none used the default."""
    value = _get(result, "config", "signature")
    return str(value) if value not in (None, "") else DEFAULT_SIGNATURE


def tls_of(result):
    """Whether the run spoke TLS (config.tls)."""
    return _get(result, "config", "tls") is True


def connection_of(result):
    """The producer's webhook connection policy: "keepalive" or "new"."""
    return str(_get(result, "config", "webhook_connection") or "keepalive")


def _sum_keys(node, needle, skip=("failure",)):
    """The sum of every number under node whose key contains needle (and none of skip)."""
    total, found = 0.0, False
    stack = [node]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            for k, v in x.items():
                if needle in k and not any(s in k for s in skip) and _num(v) is not None:
                    total += v
                    found = True
                elif isinstance(v, (dict, list)):
                    stack.append(v)
        elif isinstance(x, list):
            stack.extend(x)
    return total if found else None


def tls_handshakes(result):
    """{"producer": n, "consumer": n}: TLS handshakes each side counted over the run (None where
    the side reports none): the sum of every key containing "tls_handshakes" (failures apart)
    under sides.<side>. The producer's count includes its webhook client's handshakes with the
    receiver, the consumer's its receiver's: the same handshakes seen from the two ends."""
    return {side: _sum_keys(_get(result, "sides", side), "tls_handshakes") for side in SIDES}


def consumer_traffic(result):
    return _get(result, "sides", "consumer", "traffic") or {}


def rejected_by_reason(result):
    """{reason: n} the receiver rejected: the attack block's when the run has one, else the
    consumer's traffic."""
    got = _get(result, "attack", "rejected_by_reason")
    if not isinstance(got, dict):
        got = consumer_traffic(result).get("rejected_by_reason")
    if not isinstance(got, dict):
        return {}
    return {str(k): v for k, v in got.items() if _num(v) is not None}


def reject_cpu_us(result):
    """CPU (µs) the receiver spent on the requests it rejected, or None when not measured."""
    got = _num(_get(result, "attack", "reject_cpu_us"))
    return got if got is not None else _num(consumer_traffic(result).get("reject_cpu_us"))


def attack_of(result):
    """The run's attack block, normalised: {"rate", "sent": {kind: n}, "answers": {kind:
    {status: n}}, "accepted", "failed", "captured", "total"}, or None without --attack."""
    a = result.get("attack") if isinstance(result, dict) else None
    if not isinstance(a, dict):
        return None
    sent = {str(k): int(v) for k, v in (a.get("sent") or {}).items() if _num(v) is not None}
    answers = {}
    for kind, by_status in (a.get("answers") or {}).items():
        if isinstance(by_status, dict):
            answers[str(kind)] = {str(s): int(n) for s, n in by_status.items()
                                  if _num(n) is not None}
    total = _num(a.get("total"))
    return {"rate": _num(a.get("rate")), "sent": sent, "answers": answers,
            "accepted": int(_num(a.get("accepted")) or 0),
            "failed": int(_num(a.get("failed")) or 0),
            "captured": _num(a.get("captured")),
            "total": int(total) if total is not None else sum(sent.values())}


def delivery_of(result):
    """(delivered, expected, lost) real events of the run."""
    m = result.get("metrics") or {}
    return (_num(m.get("delivered")), _num(m.get("expected")), _num(m.get("lost")))


def cpu_us_per_event(result, side):
    """CPU µs one side spent per delivered event: metrics.cpu_s.<side> / delivered."""
    cpu_s = _num(_get(result, "metrics", "cpu_s", side))
    delivered = _num(_get(result, "metrics", "delivered"))
    if cpu_s is None or not delivered:
        return None
    return cpu_s * 1e6 / delivered


def latency_us(result, name):
    """A delivery latency percentile of the run (metrics.latency_us.<name>: "p50", "p99"), µs."""
    return _num(_get(result, "metrics", "latency_us", name))


def signatures_per_event(result):
    """Signatures the producer makes (and the receiver checks) per delivered event: one per
    POST, one POST per subscriber."""
    n = _num(_get(result, "config", "subscribers"))
    return n if n else 1.0


def payload_of(result):
    return _num(_get(result, "config", "payload_bytes"))


def micro_at(points, op, scheme, size):
    """(ns, how) of one sign/verify operation at a payload size: the measured point, or a linear
    interpolation in size between the two nearest (None outside the measured sizes)."""
    pts = sorted((p[0], p[1]) for p in points.get((op, scheme), []))
    for x, y in pts:
        if x == size:
            return y, f"measured at {x} bytes"
    for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
        if x0 < size < x1:
            return (y0 + (y1 - y0) * (size - x0) / (x1 - x0),
                    f"interpolated between {x0} and {x1} bytes")
    return None


def bytes_per_event(result):
    return _num(_get(result, "metrics", "bytes_per_event"))


def handshakes_per_event(result, side):
    hs = tls_handshakes(result)[side]
    delivered = _num(_get(result, "metrics", "delivered"))
    if hs is None or not delivered:
        return None
    return hs / delivered


class SecurityRuns:
    """DIR/security/: {config: [(repeat, path, result)]} in SECURITY_CONFIGS order (unknown
    names after them), and the microbenchmark JSON (micro, None when absent)."""

    def __init__(self, folder):
        self.folder = folder
        self.dir = os.path.join(folder, SECURITY_DIR)
        self.runs = {}
        self.micro = None
        self.micro_path = os.path.join(self.dir, "micro.json")
        if not os.path.isdir(self.dir):
            return
        for name in sorted(os.listdir(self.dir)):
            m = _SECURITY_FILE.match(name)
            if not m:
                continue
            path = os.path.join(self.dir, name)
            result = read_json(path)
            if not isinstance(result, dict) or "metrics" not in result:
                raise ResultsError(f"{path}: not a hookbench run result (no metrics)")
            self.runs.setdefault(m.group(1), []).append((int(m.group(2)), path, result))
        order = [c for c, _ in SECURITY_CONFIGS]
        self.runs = {c: sorted(self.runs[c]) for c in
                     sorted(self.runs, key=lambda c: (order.index(c) if c in order
                                                      else len(order), c))}
        if os.path.isfile(self.micro_path):
            self.micro = read_json(self.micro_path)
            if not isinstance(self.micro, dict) or not isinstance(self.micro.get("benchmarks"),
                                                                  list):
                raise ResultsError(f"{self.micro_path}: not Google Benchmark JSON (no "
                                   "\"benchmarks\" list)")

    def __bool__(self):
        return bool(self.runs)

    def results(self, config):
        return [r for _, _, r in self.runs.get(config, [])]

    def all_results(self):
        return [r for runs in self.runs.values() for _, _, r in runs]

    def agg(self, config, value_of):
        """Agg (median, min-max over repeats) of value_of(result) over a configuration's runs,
        or None when no run has a value."""
        values = [v for v in (value_of(r) for r in self.results(config)) if v is not None]
        return Agg.median_and_range(values) if values else None

    def mismatches(self):
        """["file: named X but recorded Y"] where a run's recorded config contradicts its
        configuration name (only fields the run records are checked)."""
        out = []
        for config, runs in self.runs.items():
            want = SECURITY_EXPECT.get(config, {})
            for _, path, r in runs:
                cfg = r.get("config") or {}
                got = {"signature": cfg.get("signature"), "tls": cfg.get("tls"),
                       "webhook_connection": cfg.get("webhook_connection")}
                for key, value in want.items():
                    if key in cfg and key != "attack" and got[key] != value:
                        out.append(f"{os.path.basename(path)}: named {config} but recorded "
                                   f"{key} = {json.dumps(got[key])}")
                if want.get("attack") and attack_of(r) is None:
                    out.append(f"{os.path.basename(path)}: named {config} but has no attack "
                               "block")
        return out

    def network(self):
        """The hosts the runs spoke to (config.host), and whether all are loopback."""
        hosts = sorted({str(_get(r, "config", "host")) for r in self.all_results()
                        if _get(r, "config", "host")})
        loop = bool(hosts) and all(h.startswith(("127.", "::1", "localhost")) for h in hosts)
        return hosts, loop

    def rates(self):
        return sorted({_num(_get(r, "config", "rate")) for r in self.all_results()
                       if _num(_get(r, "config", "rate")) is not None})


_SECURITY_FILE = re.compile(r"^([a-z0-9][a-z0-9-]*?)-k(\d+)\.json$")
# What each configuration's runs should have recorded, where they record it.
SECURITY_EXPECT = {
    "unsigned": {"signature": "none"},
    "hmac": {"signature": "hmac", "tls": False},
    "ed25519": {"signature": "ed25519", "tls": False},
    "plain-new": {"tls": False, "webhook_connection": "new"},
    "tls-keepalive": {"tls": True, "webhook_connection": "keepalive"},
    "tls-new": {"tls": True, "webhook_connection": "new"},
    "attack": {"attack": True},
}


# Microbenchmark names (bench/sign_bench.cpp: sign_hmac/payload:1024, verify_ed25519/...): the
# operation, the scheme and the payload size; anything else in micro.json is ignored here.
MICRO_SIGN_RE = re.compile(
    r"^(?P<op>sign|verify)[_-]?(?P<scheme>hmac|ed25519)\b.*?(?:payload:|/)(?P<bytes>\d+)",
    re.I)
MICRO_TIME_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def sign_verify_points(micro):
    """{(op, scheme): [(payload bytes, median ns, lo ns, hi ns)]} from Google Benchmark JSON:
    the median aggregate when the run kept aggregates (spread: median ± stddev), else the median
    of the iterations (spread: their min-max)."""
    per = {}
    for b in (micro or {}).get("benchmarks", []):
        if not isinstance(b, dict) or b.get("error_occurred"):
            continue
        name = str(b.get("run_name") or b.get("name") or "")
        m = MICRO_SIGN_RE.match(name)
        t = _num(b.get("real_time"))
        if not m or t is None or b.get("time_unit") not in MICRO_TIME_NS:
            continue
        key = (m.group("op").lower(), m.group("scheme").lower(), int(m.group("bytes")))
        ns = t * MICRO_TIME_NS[b["time_unit"]]
        slot = per.setdefault(key, {"runs": [], "median": None, "stddev": None})
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") in ("median", "stddev"):
                slot[b["aggregate_name"]] = ns
        else:
            slot["runs"].append(ns)
    out = {}
    for (op, scheme, size), slot in sorted(per.items()):
        if slot["median"] is not None:
            sd = slot["stddev"] or 0.0
            point = (size, slot["median"], max(0.0, slot["median"] - sd), slot["median"] + sd)
        elif slot["runs"]:
            point = (size, statistics.median(slot["runs"]), min(slot["runs"]), max(slot["runs"]))
        else:
            continue
        out.setdefault((op, scheme), []).append(point)
    return out


def sign_verify_ratios(points, op):
    """[(payload bytes, ed25519 time / HMAC time)] of one operation at the sizes both have."""
    a = {p[0]: p[1] for p in points.get((op, "ed25519"), [])}
    b = {p[0]: p[1] for p in points.get((op, "hmac"), [])}
    return [(size, a[size] / b[size]) for size in sorted(a) if size in b and b[size] > 0]


def attack_totals(sec):
    """Over the attack runs: sent {kind: n}, answers {kind: {status: n}}, accepted, failed,
    rejected {reason: n}, delivered, expected, lost, runs."""
    t = {"sent": {}, "answers": {}, "accepted": 0, "failed": 0, "rejected": {}, "delivered": 0,
         "expected": 0, "lost": 0, "runs": 0, "reject_cpu_us": None}
    for r in sec.all_results():
        a = attack_of(r)
        if a is None:
            continue
        t["runs"] += 1
        for kind, n in a["sent"].items():
            t["sent"][kind] = t["sent"].get(kind, 0) + n
        for kind, by_status in a["answers"].items():
            slot = t["answers"].setdefault(kind, {})
            for status, n in by_status.items():
                slot[status] = slot.get(status, 0) + n
        t["accepted"] += a["accepted"]
        t["failed"] += a["failed"]
        for reason, n in rejected_by_reason(r).items():
            t["rejected"][reason] = t["rejected"].get(reason, 0) + int(n)
        delivered, expected, lost = delivery_of(r)
        t["delivered"] += int(delivered or 0)
        t["expected"] += int(expected or 0)
        t["lost"] += int(lost or 0)
        cpu = reject_cpu_us(r)
        if cpu is not None:
            t["reject_cpu_us"] = (t["reject_cpu_us"] or 0) + cpu
    return t


def kinds_of(t):
    known = [k for k in ATTACK_KINDS if k in t["sent"] or k in t["answers"]]
    return known + sorted(k for k in set(t["sent"]) | set(t["answers"]) if k not in known)
