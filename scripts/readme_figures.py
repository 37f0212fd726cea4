#!/usr/bin/python3
"""Writes the README's figures from the committed results: every block between
`<!-- figures:NAME begin -->` and `<!-- figures:NAME end -->` in README.md is replaced by what
scripts/hookbench/readme.py makes of results/ (runs.csv, the run JSONs' environment,
max_rate.json, security/, micro.json). With --check nothing is written: the exit status is 1 and
the first block that differs is named when the README is not what the results say.
"""

import argparse
import os
import sys

from hookbench.cli import fail, run
from hookbench.errors import ResultsError
from hookbench.readme import render
from hookbench.readme_markers import apply, blocks_in

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Regenerate the README's figures blocks from the committed results.")
    parser.add_argument("--readme", default=os.path.join(ROOT, "README.md"),
                        help="the Markdown file with figures markers (default: %(default)s)")
    parser.add_argument("--root", default=ROOT,
                        help="the checkout whose results/ backs the figures (default: %(default)s)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 naming the first block that differs")
    args = parser.parse_args(argv)
    outcome = {}

    def generate():
        try:
            with open(args.readme, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise ResultsError(f"cannot read {args.readme}: {e.strerror}") from e
        names = [name for name, _, _ in blocks_in(text, args.readme)]
        if not names:
            raise ResultsError(f"{args.readme}: no figures blocks (<!-- figures:NAME begin -->)")
        new, changed = apply(text, render(args.root, names), args.readme)
        outcome.update(names=names, changed=changed)
        if not args.check and changed:
            with open(args.readme, "w", encoding="utf-8") as f:
                f.write(new)

    status = run("readme_figures.py", generate)
    if status:
        return status
    changed = outcome["changed"]
    if args.check:
        if changed:
            return fail("readme_figures.py",
                        f"{args.readme}: figures:{changed[0]} differs from what the results say "
                        f"({len(changed)} of {len(outcome['names'])} blocks differ; run "
                        "scripts/readme_figures.py)", 1)
        print(f"readme_figures.py: {len(outcome['names'])} blocks match the results")
        return 0
    print(f"readme_figures.py: {len(changed)} of {len(outcome['names'])} blocks rewritten"
          + (f" ({', '.join(changed)})" if changed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
