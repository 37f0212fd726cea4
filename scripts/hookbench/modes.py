"""The delivery modes as hookbench describes them (src/modes/mode.cpp): DIR/modes.json beside
runs.csv, or `hookbench modes --json` for a folder written before the sweep kept one. Their
order, families, palette, the pull and push references, the model's claims and which mode varies
which all come from here: no other module names a mode.
"""

import functools
import json
import os
import subprocess

from .errors import ResultsError, read_json

MODES_FILE = "modes.json"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_BINARY = os.path.join(ROOT, "build", "release", "src", "hookbench")
# Where a claim shared by several modes drops a verb's s: "**a** and **b** hold" vs "**a** holds".
VERB_S = "{s}"


class Mode:
    """One descriptor, checked: the fields the scripts read."""

    def __init__(self, d, source):
        def need(key, kind):
            value = d.get(key)
            if not isinstance(value, kind):
                raise ResultsError(f"{source}: mode {d.get('name', '?')!r}: {key} is missing "
                                   "or malformed")
            return value

        self.name = need("name", str)
        self.family = need("family", str)
        self.pull = need("pull", bool)
        self.reference = need("reference", (str, type(None)))
        self.model_claim = need("model_claim", (str, type(None)))
        variation = need("variation_of", (dict, type(None))) or {}
        self.varies = variation.get("mode")
        self.saves = variation.get("saves")
        if variation and not (isinstance(self.varies, str) and isinstance(self.saves, str)):
            raise ResultsError(f"{source}: mode {self.name!r}: variation_of needs a mode and "
                               "the column it saves")
        palette = need("palette", dict)
        self.cmap = palette.get("cmap")
        self.marker = palette.get("marker")
        if not (isinstance(self.cmap, list) and self.cmap and
                all(isinstance(c, str) for c in self.cmap) and isinstance(self.marker, str)):
            raise ResultsError(f"{source}: mode {self.name!r}: palette needs a cmap list and "
                               "a marker")


class Modes:
    """Every descriptor, in display order (`hookbench modes`)."""

    def __init__(self, descriptors, source):
        if not isinstance(descriptors, list) or not descriptors:
            raise ResultsError(f"{source}: not a list of mode descriptors")
        self.source = source
        self.all = [Mode(d if isinstance(d, dict) else {}, source) for d in descriptors]
        self.by_name = {m.name: m for m in self.all}

    def get(self, name):
        return self.by_name.get(name)

    @property
    def names(self):
        return [m.name for m in self.all]

    def order_key(self, name):
        """Display order; a mode without a descriptor sorts after the others by name."""
        names = self.names
        return (names.index(name), "") if name in names else (len(names), name)

    def reference(self, side):
        """The plain design of one side ("pull" or "push") that the others are compared with."""
        return next((m.name for m in self.all if m.reference == side), None)

    @property
    def pull_reference(self):
        return self.reference("pull")

    @property
    def push_reference(self):
        return self.reference("push")

    def is_reference(self, name):
        m = self.get(name)
        return m is not None and m.reference is not None

    def family_heads(self):
        """The first mode of each family: one plain design per way of delivering."""
        heads = {}
        for m in self.all:
            heads.setdefault(m.family, m.name)
        return list(heads.values())

    def claims(self, present):
        """[(names, claim)]: the model's claim for each mode present that has one, in display
        order; modes with the identical claim are one entry, where the first of them stands."""
        groups = {}
        for name in sorted(present, key=self.order_key):
            m = self.get(name)
            if m is not None and m.model_claim:
                groups.setdefault(m.model_claim, []).append(name)
        return [(names, claim) for claim, names in groups.items()]

    def variations(self):
        """The modes built as a variation of another, push side first, then pull, each in
        display order: [(mode, the mode it varies, the runs.csv column it saves)]."""
        out = [m for m in self.all if m.varies]
        out.sort(key=lambda m: (m.pull, self.order_key(m.name)))
        return [(m.name, m.varies, m.saves) for m in out]


def claim_text(names, claim):
    """'**a** and **b** hold ...' or '**a** holds ...'."""
    return (" and ".join(f"**{n}**" for n in names) + " " +
            claim.replace(VERB_S, "" if len(names) > 1 else "s"))


@functools.lru_cache(maxsize=None)
def _ask_binary(binary):
    try:
        proc = subprocess.run([binary, "modes", "--json"], capture_output=True, text=True,
                              timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ResultsError(f"{binary} modes --json failed: {e}")
    if proc.returncode != 0:
        detail = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        raise ResultsError(f"{binary} modes --json failed (exit {proc.returncode}): {detail}")
    try:
        return json.loads(proc.stdout)
    except ValueError as e:
        raise ResultsError(f"{binary} modes --json: malformed JSON: {str(e).splitlines()[0]}")


def load_modes(folder):
    """The descriptors of the modes that wrote the folder: DIR/modes.json, else those of
    $HOOKBENCH_BIN or of the build beside these scripts (a folder from before modes.json)."""
    path = os.path.join(folder, MODES_FILE)
    if os.path.isfile(path):
        return Modes(read_json(path), path)
    binary = os.environ.get("HOOKBENCH_BIN") or DEFAULT_BINARY
    if not os.access(binary, os.X_OK):
        raise ResultsError(f"{path}: missing, and no hookbench to ask `modes --json` "
                           f"({binary} is not an executable; set HOOKBENCH_BIN)")
    return Modes(_ask_binary(binary), f"{binary} modes --json")
