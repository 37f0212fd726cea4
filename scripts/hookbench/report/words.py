"""How the report names things in prose: a series, a mode where T is already said, λT, the
references it cites, what differs between runs, and what a runs.csv column is called in a
sentence.
"""

from ..fmt import plural
from ..series import mode_name

REFERENCES = (
    ("zapier", "Zapier, *REST Hooks* (resthooks.org): of 30 million polls, 460 thousand "
     "returned data, so 98.5% were empty. https://resthooks.org/"),
    ("bozdag2007", "E. Bozdag, A. Mesbah, A. van Deursen, \"A Comparison of Push and Pull "
     "Techniques for AJAX\", 9th IEEE International Workshop on Web Site Evolution (WSE 2007)."),
    ("bozdag2009", "E. Bozdag, A. Mesbah, A. van Deursen, \"Performance Testing of Data "
     "Delivery Techniques for AJAX Applications\", Journal of Web Engineering 8(4), 2009."),
)


def cite(key):
    return f"[{[k for k, _ in REFERENCES].index(key) + 1}]"


def series_name(s):
    """A series in prose, its qualifiers in brackets: e.g. poll (T = 100 ms, httplib)."""
    parts = [q.replace("T=", "T = ") for q in s.qualifiers()]
    if not s.default_stack:
        parts.append(s.stack)
    return s.mode + (f" ({', '.join(parts)})" if parts else "")


def who(s):
    """A series in a sentence where its T is already said: e.g. webhook (httplib)."""
    return mode_name(s)


# What a runs.csv column is called in a sentence, and the verb that goes with it.
COLUMN_WORDS = {
    "requests_per_event": ("sent", "requests per delivered event"),
    "bytes_per_event": ("moved", "bytes per delivered event"),
    "cpu_us_per_event_net_total": ("spent", "CPU µs per delivered event net of idle (producer + "
                                   "consumer)"),
}


def lambda_t(s, rate):
    return rate * s.interval_ms / 1000.0 if s.pull else None


def distinct(values):
    out = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


def env_text(value):
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):  # {"producer": 0, "consumer": 1}: say it as words
        return ", ".join(f"{k} {env_text(v)}" for k, v in sorted(value.items(), reverse=True))
    return str(value).strip() or "-"


def describe_distinct(counter):
    if not counter:
        return "-"
    if len(counter) == 1:
        return str(next(iter(counter)))
    ranked = sorted(counter.items(), key=lambda kv: -kv[1])
    parts = [f"{k} ({plural(n, 'run')})" for k, n in ranked]
    return "**differs between runs:** " + "; ".join(parts)


def names(runs, limit=6):
    shown = ", ".join(f"`{r['run_id']}`" for r in runs[:limit])
    return shown + (f" and {len(runs) - limit} more" if len(runs) > limit else "")
