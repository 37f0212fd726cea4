"""What the command lines in scripts/ share: unusable input is one line on stderr, prefixed by
the script's name, and a non-zero exit status, never a traceback."""

import argparse
import sys

from .errors import ResultsError


def folder_parser(description, folder_help, output_help):
    """The arguments of a chart script: the results folder and where the charts go."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("results", metavar="DIR", help=folder_help)
    p.add_argument("--output", metavar="DIR", help=output_help)
    return p


def fail(prog, message, status):
    print(f"{prog}: error: {message}", file=sys.stderr)
    return status


def run(prog, action, status=2, os_error=None):
    """Runs action() and returns the exit status: 0, or `status` after a ResultsError or an
    OSError said in one line (os_error(e) words the latter, default 'FILE: reason')."""
    try:
        action()
    except ResultsError as e:
        return fail(prog, e, status)
    except OSError as e:
        return fail(prog, os_error(e) if os_error else f"{e.filename or ''}: {e.strerror}",
                    status)
    return 0
