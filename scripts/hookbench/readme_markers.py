"""The README's figures blocks: the Markdown between `<!-- figures:NAME begin -->` and
`<!-- figures:NAME end -->`, found and replaced (readme.py renders what goes in them)."""

import re

from .errors import ResultsError

MARKER_RE = re.compile(r"<!-- figures:([a-z0-9-]+) (begin|end) -->")


def blocks_in(text, source="README.md"):
    """[(name, start, end)] of the blocks in the text: the body's offsets between the markers.
    Unbalanced, nested or repeated markers are an error naming the first."""
    found, open_name, open_end = [], None, 0
    for m in MARKER_RE.finditer(text):
        name, kind = m.group(1), m.group(2)
        line = text.count("\n", 0, m.start()) + 1
        if kind == "begin":
            if open_name is not None:
                raise ResultsError(f"{source} line {line}: figures:{name} begins inside "
                                   f"figures:{open_name}")
            if any(n == name for n, _, _ in found):
                raise ResultsError(f"{source} line {line}: figures:{name} appears twice")
            open_name, open_end = name, m.end()
        else:
            if open_name != name:
                raise ResultsError(f"{source} line {line}: figures:{name} end without its begin")
            body_start = open_end + 1 if text[open_end:open_end + 1] == "\n" else open_end
            found.append((name, body_start, m.start()))
            open_name = None
    if open_name is not None:
        raise ResultsError(f"{source}: figures:{open_name} has no end marker")
    return found


def apply(text, rendered, source="README.md"):
    """The text with every block's body replaced by its rendering; [names that changed]."""
    out, changed, pos = [], [], 0
    for name, start, end in blocks_in(text, source):
        if name not in rendered:
            raise ResultsError(f"{source}: figures:{name} is not a known block "
                               f"(known: {', '.join(rendered)})")
        out.append(text[pos:start])
        out.append(rendered[name])
        if text[start:end] != rendered[name]:
            changed.append(name)
        pos = end
    out.append(text[pos:])
    return "".join(out), changed
