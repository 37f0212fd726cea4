"""The lesson's own commands: the ```sh block under each `<!-- lesson-command N -->` of
docs/LESSON.md, parsed into options, the backticked snippets of an exercise's **Variation.**
paragraph, and the units its options are written in."""

import re
import shlex

EXERCISES = 8  # the lesson's exercises, numbered 1..EXERCISES
# Options of `hookbench run` / `advise` that take no value.
FLAGS = {"--unsigned", "--json", "--quiet", "--tls", "--ordered", "--verify", "--help"}
# Options of an advise command that the answer key sets itself.
NOT_ADVICE = ("--json", "--calibration", "--verify")


class LessonError(Exception):
    """Unusable input: said in one line."""


COMMAND_MARK = re.compile(r"^<!-- lesson-command (\d+) -->[ \t]*\n```sh[ \t]*\n(.*?)\n```",
                          re.M | re.S)


def lesson_commands(text, where):
    """{N: command line} of every marked command; each must be one line in its block."""
    out = {}
    for m in COMMAND_MARK.finditer(text):
        n, body = int(m.group(1)), m.group(2).strip()
        if n in out:
            raise LessonError(f"{where}: exercise {n} has more than one marked command")
        if "\n" in body:
            raise LessonError(f"{where}: exercise {n}: the marked block holds more than one line")
        out[n] = body
    missing = [n for n in range(1, EXERCISES + 1) if n not in out]
    if missing:
        raise LessonError(f"{where}: no marked command for exercise {missing[0]} "
                          f"(<!-- lesson-command {missing[0]} --> above a ```sh block)")
    return out


def variation_snippets(text, n):
    """The backticked snippets of exercise n's **Variation.** paragraph in the lesson."""
    parts = re.split(r"^## Exercise (\d+)\b.*$", text, flags=re.M)
    body = next((parts[i + 1] for i in range(1, len(parts), 2) if int(parts[i]) == n), "")
    m = re.search(r"\*\*Variation\.\*\*(.*?)(?:\n\s*\n|$)", body, re.S)
    return re.findall(r"`([^`]+)`", m.group(1)) if m else []


def advise_variations(cmd, snippets):
    """[(label, advise arguments)]: the command with each snippet applied, a snippet of options
    (`--minimize cpu`) replacing the same options, a quoted budget (`'p99<=200ms'`) the
    command's budget. Snippets that are neither are not advise variations."""
    out = []
    for snippet in snippets:
        try:
            words = shlex.split(snippet)
        except ValueError:
            continue
        if len(words) == 1 and re.fullmatch(r"(p50|p99|mean)<=\S+", words[0]):
            words = ["--budget", words[0]]
        if not words or not words[0].startswith("--") or len(words) % 2:
            continue
        opts = {k: list(v) for k, v in cmd.opts.items()}
        for key, value in zip(words[::2], words[1::2]):
            opts[key] = [value]
        args = []
        for key, values in opts.items():
            if key not in NOT_ADVICE:
                for v in values:
                    args += [key] if v is True else [key, v]
        out.append((" ".join(words), args))
    return out


class Command:
    """A parsed `hookbench SUB --opt value ...` line."""

    def __init__(self, n, line):
        self.n, self.line = n, line
        try:
            words = shlex.split(line)
        except ValueError as e:
            raise LessonError(f"exercise {n}: cannot parse `{line}`: {e}") from e
        if len(words) < 2 or words[0] != "hookbench":
            raise LessonError(f"exercise {n}: `{line}` is not a hookbench command")
        self.sub = words[1]
        self.opts = {}
        i = 2
        while i < len(words):
            w = words[i]
            if not w.startswith("--"):
                raise LessonError(f"exercise {n}: unexpected word {w!r} in `{line}`")
            if "=" in w:
                key, value = w.split("=", 1)
            elif w in FLAGS:
                key, value = w, True
            else:
                if i + 1 >= len(words):
                    raise LessonError(f"exercise {n}: {w} has no value in `{line}`")
                key, value = w, words[i + 1]
                i += 1
            self.opts.setdefault(key, []).append(value)
            i += 1

    def get(self, key, default=None):
        v = self.opts.get(key)
        return v[-1] if v else default

    def need(self, key):
        v = self.get(key)
        if v is None:
            raise LessonError(f"exercise {self.n}: `{self.line}` has no {key}")
        return v

    def expect(self, sub, mode=None):
        if self.sub != sub or (mode and self.get("--mode") not in mode):
            want = f"hookbench {sub}" + (f" --mode {'|'.join(mode)}" if mode else "")
            raise LessonError(f"exercise {self.n}: expected a `{want}` command, got `{self.line}`")
        return self


UNITS_S = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}


def duration_s(text, what):
    m = re.fullmatch(r"([0-9]*\.?[0-9]+)\s*(us|µs|ms|s|min|m|h)?", str(text).strip())
    if not m:
        raise LessonError(f"{what}: {text!r} is not a duration (e.g. 200ms, 2s)")
    return float(m.group(1)) * UNITS_S[m.group(2) or "s"]


def rate_per_s(text, what):
    m = re.fullmatch(r"([0-9]*\.?[0-9]+(?:e[+-]?\d+)?)\s*(?:/\s*(s|min|h))?", str(text).strip())
    if not m:
        raise LessonError(f"{what}: {text!r} is not a rate (e.g. 5, 5/s, 300/min)")
    return float(m.group(1)) / {"s": 1.0, "min": 60.0, "h": 3600.0, None: 1.0}[m.group(2)]


def count(text, what):
    try:
        v = int(str(text))
    except ValueError:
        raise LessonError(f"{what}: {text!r} is not a whole number") from None
    if v < 1:
        raise LessonError(f"{what}: must be at least 1, got {v}")
    return v


def size_bytes(text, what):
    m = re.fullmatch(r"([0-9]*\.?[0-9]+)\s*(B|kB|KiB|MB|MiB)?", str(text).strip())
    if not m:
        raise LessonError(f"{what}: {text!r} is not a size (e.g. 256, 1KiB)")
    scale = {None: 1, "B": 1, "kB": 1e3, "KiB": 1024, "MB": 1e6, "MiB": 2**20}[m.group(2)]
    return int(float(m.group(1)) * scale)


def advise_args(cmd):
    """An advise command's own arguments (without --json or --calibration)."""
    args = []
    for key, values in cmd.opts.items():
        if key in NOT_ADVICE:
            continue
        for v in values:
            args += [key] if v is True else [key, v]
    return args
