#!/usr/bin/python3
"""The scripts' package as a whole: no Python file names a delivery mode (every mode fact comes
from the descriptors, DIR/modes.json or `hookbench modes --json`), the descriptors a folder
carries are the ones its charts and report use, a folder without them asks the binary or fails in
one line, and the modules stay a readable size."""

import ast
import glob
import json
import os
import shutil
import subprocess
import tempfile
import unittest
from unittest import mock

import fixtures as fixture
from fixtures import PLOT, REPORT, hookbench_bin, make_fixture, read, section
from hookbench.charts.data import Data
from hookbench.errors import ResultsError
from hookbench.modes import claim_text, load_modes

PACKAGE = os.path.join(fixture.SCRIPTS, "hookbench")
# A mode's name as a string of its own, in the Python and the shell scripts alike (the shell
# scripts pick their modes from the descriptors' roles).
MODE_LITERAL = (r"[\"'](poll|poll-conditional|poll-adaptive|long-poll|sse|websocket|webhook|"
                r"webhook-batch)[\"']")
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 120


def python_files():
    return sorted(glob.glob(os.path.join(fixture.SCRIPTS, "**", "*.py"), recursive=True))


class NoModeNamedInTheScripts(unittest.TestCase):
    def test_grep_finds_no_mode_name(self):
        proc = subprocess.run(["grep", "-rnE", MODE_LITERAL, "--include=*.py", "--include=*.sh",
                               fixture.SCRIPTS], capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.returncode, 1, proc.stderr)  # 1: no line matched
        self.assertEqual(proc.stdout, "")

    def test_the_grep_would_see_one(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "x.py"), "w", encoding="utf-8") as f:
                f.write('if s.mode == "webhook":\n    pass\n')
            proc = subprocess.run(["grep", "-rnE", MODE_LITERAL, "--include=*.py", d],
                                  capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.returncode, 0)


class Layout(unittest.TestCase):
    def test_no_path_hacks_inside_the_package(self):
        for path in glob.glob(os.path.join(PACKAGE, "**", "*.py"), recursive=True):
            with self.subTest(module=os.path.relpath(path, PACKAGE)):
                self.assertNotIn("sys.path", read(path))

    def test_modules_and_functions_stay_readable(self):
        for path in python_files():
            text = read(path)
            name = os.path.relpath(path, fixture.SCRIPTS)
            with self.subTest(module=name):
                self.assertLessEqual(len(text.splitlines()), MAX_MODULE_LINES)
                for node in ast.walk(ast.parse(text)):
                    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        self.assertLessEqual(node.end_lineno - node.lineno + 1,
                                             MAX_FUNCTION_LINES, f"{name}: {node.name}")

    def test_entry_points_answer_help(self):
        for script in ("plot.py", "report.py", "plot_faults.py", "plot_security.py",
                       "plot_micro.py"):
            with self.subTest(script=script):
                proc = fixture.run_script(os.path.join(fixture.SCRIPTS, script), "--help")
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertIn("usage:", proc.stdout)


class DescriptorsOfTheFolder(unittest.TestCase):
    """The folder's modes.json decides order, colour, marker and claims."""

    def edited_fixture(self, edit):
        d = tempfile.mkdtemp(prefix="hookbench-modes-json-")
        self.addCleanup(shutil.rmtree, d, True)
        make_fixture(d, modes=("poll", "sse", "websocket", "webhook"), rates=(1.0, 10.0),
                     intervals=(100.0,), repeats=1, trace=False, failed=False)
        path = os.path.join(d, "modes.json")
        with open(path, encoding="utf-8") as f:
            modes = json.load(f)
        edit({m["name"]: m for m in modes}, modes)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(modes, f)
        return d

    def test_palette_comes_from_the_folder(self):
        def edit(by_name, _):
            by_name["webhook"]["palette"] = {"cmap": ["#000000", "#ff0000"], "marker": "*"}

        data = Data(self.edited_fixture(edit))
        hook = next(s for s in data.series if s.mode == "webhook")
        self.assertEqual(data.marker(hook), "*")
        red, green, blue, _ = data.colour(hook)
        self.assertAlmostEqual(red, 0.75, delta=0.01)  # 0.75 of the way from black to red
        self.assertEqual((green, blue), (0.0, 0.0))

    def test_order_and_claims_come_from_the_folder(self):
        def edit(by_name, modes):
            modes.sort(key=lambda m: m["name"] != "webhook")  # webhook first
            by_name["websocket"]["model_claim"] = "is a claim of its own."

        d = self.edited_fixture(edit)
        self.assertEqual([s.mode for s in Data(d).series][:1], ["webhook"])
        proc = fixture.run_script(REPORT, d)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        md = read(os.path.join(d, "REPORT.md"))
        self.assertIn("| delivery modes | webhook, poll, sse, websocket |", md)
        question = section(md, "## The question and the model")
        self.assertIn("- **websocket** is a claim of its own.", question)
        self.assertIn("- **sse** holds one connection per subscriber and sends no request",
                      question)

    def test_identical_claims_are_said_together(self):
        modes = load_modes(self.edited_fixture(lambda *_: None))
        said = [claim_text(names, claim) for names, claim in modes.claims({"sse", "websocket"})]
        self.assertEqual(len(said), 1)
        self.assertTrue(said[0].startswith("**sse** and **websocket** hold one connection"))

    def test_variations_push_side_first(self):
        modes = load_modes(self.edited_fixture(lambda *_: None))
        self.assertEqual(modes.variations(),
                         [("webhook-batch", "webhook", "requests_per_event"),
                          ("poll-conditional", "poll", "bytes_per_event"),
                          ("poll-adaptive", "poll", "requests_per_event")])
        self.assertEqual((modes.pull_reference, modes.push_reference), ("poll", "webhook"))

    def test_malformed_descriptors_fail_in_one_line(self):
        def edit(by_name, _):
            del by_name["sse"]["palette"]

        d = self.edited_fixture(edit)
        proc = fixture.run_script(PLOT, d)
        self.assertEqual(proc.returncode, 2)
        self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)
        self.assertIn("modes.json: mode 'sse': palette is missing or malformed", proc.stderr)


class FolderWithoutDescriptors(unittest.TestCase):
    """A folder from before modes.json: the binary's descriptors, or one line saying what is
    missing."""

    def folder(self):
        d = tempfile.mkdtemp(prefix="hookbench-no-modes-json-")
        self.addCleanup(shutil.rmtree, d, True)
        make_fixture(d, rates=(1.0, 10.0), intervals=(100.0,), repeats=1, trace=False,
                     failed=False, descriptors=False)
        return d

    def test_no_binary_is_one_line_naming_what_is_missing(self):
        d = self.folder()
        env = dict(os.environ, HOOKBENCH_BIN=os.path.join(d, "no-such-hookbench"))
        for script in (PLOT, REPORT):
            with self.subTest(script=os.path.basename(script)):
                proc = fixture.run_script(script, d, env=env)
                self.assertEqual(proc.returncode, 2)
                err = proc.stderr.strip()
                self.assertEqual(len(err.splitlines()), 1, err)
                self.assertIn("modes.json: missing", err)
                self.assertIn("no-such-hookbench is not an executable; set HOOKBENCH_BIN", err)

    def test_the_binary_answers(self):
        binary = hookbench_bin()
        if binary is None:
            self.skipTest("no built hookbench")
        with mock.patch.dict(os.environ, HOOKBENCH_BIN=binary):
            modes = load_modes(self.folder())
        self.assertEqual(modes.names, [m["name"] for m in json.loads(read(fixture.MODES_JSON))])
        self.assertIn("modes --json", modes.source)

    def test_an_empty_list_is_refused(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "modes.json"), "w", encoding="utf-8") as f:
                f.write("[]\n")
            with self.assertRaisesRegex(ResultsError, "not a list of mode descriptors"):
                load_modes(d)


class CommittedDescriptors(unittest.TestCase):
    def test_every_sweep_folder_has_them(self):
        for runs in glob.glob(os.path.join(fixture.ROOT, "results", "*", "runs.csv")):
            folder = os.path.dirname(runs)
            with self.subTest(folder=os.path.basename(folder)):
                self.assertTrue(load_modes(folder).names)
                self.assertTrue(read(os.path.join(folder, "modes.json")).endswith("}\n]\n"))

    def test_the_fixture_copy_is_the_binarys(self):
        binary = hookbench_bin()
        if binary is None:
            self.skipTest("no built hookbench")
        out = subprocess.run([binary, "modes", "--json"], capture_output=True, text=True,
                             timeout=60, check=True).stdout
        # As the sweep writes modes.json: two-space indent, non-ASCII kept, a final newline.
        self.assertEqual(read(fixture.MODES_JSON),
                         json.dumps(json.loads(out), indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    unittest.main()
