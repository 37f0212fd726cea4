"""The modes as the lesson uses them, from the binary's descriptors (`hookbench modes --json`):
the pull and push references that the formulas and the tables compare, and which modes each
exercise's command may run. No mode is named here: a role is a fact of the descriptors."""

import json

from ..errors import ResultsError
from ..modes import Modes
from .commands import LessonError


class Roles:
    def __init__(self, descriptors, source):
        try:
            self.modes = Modes(descriptors, source)
        except ResultsError as e:
            raise LessonError(str(e)) from None
        # The descriptors as given, for the facts Modes does not keep (receiver, design_gap).
        self.descriptors = descriptors
        self.pull = self.modes.pull_reference
        self.push = self.modes.push_reference
        if not (self.pull and self.push):
            raise LessonError(f"{source}: no pull or no push reference among the modes")

    def where(self, test):
        """The names of the modes whose descriptor passes `test`, in display order."""
        return tuple(d["name"] for d in self.descriptors if test(d))

    def fixed_interval_polls(self):
        """The pull modes that ask every T (their gap is the interval): the poll formulas'."""
        return self.where(lambda d: d.get("pull") is True and d.get("design_gap") == "interval")

    def push_side(self):
        """Every mode that does not poll: the ones the producer fans out to."""
        return self.where(lambda d: d.get("pull") is False)

    def receivers(self):
        """The modes whose subscribers run a receiver (they are the ones an outage of it or
        forged requests to it reach)."""
        return self.where(lambda d: d.get("receiver") is True)


def load_roles(binary):
    """The roles of `binary modes --json`."""
    what = f"{binary.path} modes --json"
    out = binary.call(["modes", "--json"], "modes --json")
    try:
        descriptors = json.loads(out)
    except json.JSONDecodeError as e:
        raise LessonError(f"{what}: printed no JSON ({e})") from None
    return Roles(descriptors, what)
