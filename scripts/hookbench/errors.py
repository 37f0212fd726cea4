"""The one error the package raises on unusable input, and the JSON reader every loader shares:
a message is one line that names the file and what is wrong with it."""

import json


class ResultsError(Exception):
    """Input that cannot be used; str() is a one-line message for the user."""


def read_json(path):
    """A JSON file's value; ResultsError naming the file when it is not JSON."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (ValueError, UnicodeDecodeError) as e:
        raise ResultsError(f"{path}: malformed JSON: {str(e).splitlines()[0]}")
