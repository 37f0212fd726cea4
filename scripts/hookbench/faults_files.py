"""DIR/faults/, the fault runs of scripts/faults.sh: `hookbench run` results whose metrics have a
faults block (what was lost, duplicated and delayed around an injected outage).
"""

import json
import os

from .errors import ResultsError
from .modes import load_modes

FAULTS_DIR = "faults"


class FaultsError(ResultsError):
    """The folder has no usable fault runs."""


class FaultRuns(list):
    """[(name, result)] sorted by name, with the descriptors of the folder's modes (modes)."""

    def __init__(self, runs, modes):
        super().__init__(runs)
        self.modes = modes


def load_runs(folder):
    """DIR/faults/*.json whose result has metrics.faults, as FaultRuns."""
    d = os.path.join(folder, FAULTS_DIR)
    if not os.path.isdir(d):
        raise FaultsError(f"{d}: no such folder: run scripts/faults.sh first")
    runs = []
    for n in sorted(os.listdir(d)):
        if not n.endswith(".json"):
            continue
        path = os.path.join(d, n)
        try:
            with open(path, encoding="utf-8") as f:
                r = json.load(f)
        except (OSError, ValueError) as e:
            raise FaultsError(f"{path}: not a result JSON ({e})") from e
        if not isinstance(r, dict) or "faults" not in r.get("metrics", {}):
            raise FaultsError(f"{path}: no metrics.faults (not a fault run)")
        runs.append((n[:-5], r))
    if not runs:
        raise FaultsError(f"{d}: no fault runs (*.json)")
    return FaultRuns(runs, load_modes(folder))


def describe(r):
    """(label, kind, outage length s, retry policy or None) of a run's first fault."""
    m = r["metrics"]["faults"]
    f = m["per_fault"][0]
    policy = (m.get("retry") or {}).get("policy")
    label = f"{r['config']['mode']} {f['kind']}"
    if policy:
        label += f" (--retry {policy})"
    return label, f["kind"], f["for_s"], policy
