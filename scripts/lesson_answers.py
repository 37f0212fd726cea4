#!/usr/bin/python3
"""Writes docs/LESSON-ANSWERS.md, the answer key of docs/LESSON.md: for each exercise the expected
answer from the model's formulas (poll mean ~ G + T/2 + R/2, p99 ~ 0.99 T + R/2, requests per
event 1/(lambda T), empty polls e^(-lambda T), a fan-out's (N - 1) c / 2) and from
`hookbench advise --json`, with every parameter read from the lesson's own commands (the ```sh
block under each `<!-- lesson-command N -->`). The calibration is the one advise uses: the
reference built into the binary (its constants read from results/calibration/calibration.json,
checked against the binary's by their 'created' stamp), or --calibration FILE. The output is
deterministic: the same lesson, binary and calibration give the same bytes.

With --check nothing is written: the exit status is 1, with one line, when the answer key differs
from what the code says now. The work is done in hookbench/lesson/ (this file is its command line).
"""

import argparse
import os
import sys

from hookbench.lesson.commands import LessonError
from hookbench.lesson.model import Binary
from hookbench.lesson.render import first_difference, render

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROG = "lesson_answers.py"


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Generate docs/LESSON-ANSWERS.md, the answer key of docs/LESSON.md, from the "
                    "model's formulas and `hookbench advise --json`.")
    parser.add_argument("--bin", default=os.environ.get("HOOKBENCH_BIN") or os.path.join(
        ROOT, "build", "release", "src", "hookbench"),
        help="the hookbench binary (default: $HOOKBENCH_BIN, else build/release/src/hookbench)")
    parser.add_argument("--calibration", metavar="FILE",
                        help="a calibration for advise (default: the one built into the binary)")
    parser.add_argument("--lesson", default=os.path.join(ROOT, "docs", "LESSON.md"),
                        help="the lesson (default: %(default)s)")
    parser.add_argument("--answers", default=os.path.join(ROOT, "docs", "LESSON-ANSWERS.md"),
                        help="the answer key to write or check (default: %(default)s)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the answer key differs from what the code "
                             "says now")
    args = parser.parse_args(argv)
    try:
        if args.calibration and not os.path.isfile(args.calibration):
            raise LessonError(f"{args.calibration}: no such file")
        text = render(args.lesson, Binary(args.bin, args.calibration), ROOT)
        if args.check:
            try:
                with open(args.answers, encoding="utf-8") as f:
                    current = f.read()
            except OSError as e:
                print(f"{PROG}: {args.answers}: {e.strerror}: run scripts/lesson_answers.py",
                      file=sys.stderr)
                return 1
            if current != text:
                print(f"{PROG}: {args.answers} differs from what the code says now (first at "
                      f"line {first_difference(current, text)}): run scripts/lesson_answers.py",
                      file=sys.stderr)
                return 1
            print(f"{PROG}: {args.answers} is current")
            return 0
        with open(args.answers, "w", encoding="utf-8") as f:
            f.write(text)
    except LessonError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"{PROG}: error: {e.filename or ''}: {e.strerror}", file=sys.stderr)
        return 2
    print(f"{PROG}: wrote {args.answers}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
