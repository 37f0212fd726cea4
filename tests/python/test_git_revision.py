#!/usr/bin/python3
"""The revision a result names is the one its binary was built from: cmake/GitRevision.cmake
writes it (and whether tracked files were modified) into a header at every build, rewriting the
header only when that changes, and `hookbench run` reports it in the result's environment. Before,
the binary asked git at run time, so a run made while the checkout moved on named a revision it
was not built from."""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

from fixtures import ROOT, hookbench_bin, read

SCRIPT = os.path.join(ROOT, "cmake", "GitRevision.cmake")


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True,
                          check=True, timeout=30).stdout.strip()


@unittest.skipUnless(shutil.which("git") and shutil.which("cmake"), "needs git and cmake")
class GitRevisionScript(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="hookbench-rev-")
        self.addCleanup(self.tmp.cleanup)
        self.repo = os.path.join(self.tmp.name, "repo")
        self.out = os.path.join(self.tmp.name, "out", "git_revision.hpp")
        os.makedirs(self.repo)
        git(self.repo, "init", "-q")
        with open(os.path.join(self.repo, "a.txt"), "w", encoding="utf-8") as f:
            f.write("one\n")
        git(self.repo, "add", "a.txt")
        git(self.repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit",
            "-q", "-m", "first")

    def generate(self, source=None):
        subprocess.run(["cmake", f"-DSOURCE_DIR={source or self.repo}", f"-DOUT={self.out}",
                        "-P", SCRIPT], check=True, capture_output=True, timeout=60)
        return read(self.out)

    def test_revision_and_a_clean_tree(self):
        text = self.generate()
        rev = git(self.repo, "rev-parse", "--short=12", "HEAD")
        self.assertIn(f'#define HOOKBENCH_GIT_REVISION "{rev}"', text)
        self.assertIn("#define HOOKBENCH_GIT_DIRTY false", text)

    def test_a_modified_tracked_file_is_dirty_an_untracked_one_is_not(self):
        with open(os.path.join(self.repo, "new.txt"), "w", encoding="utf-8") as f:
            f.write("untracked\n")
        self.assertIn("#define HOOKBENCH_GIT_DIRTY false", self.generate())
        with open(os.path.join(self.repo, "a.txt"), "a", encoding="utf-8") as f:
            f.write("two\n")
        self.assertIn("#define HOOKBENCH_GIT_DIRTY true", self.generate())

    def test_an_unchanged_tree_leaves_the_header_alone(self):
        self.generate()
        os.utime(self.out, (1_000_000, 1_000_000))
        self.generate()
        self.assertEqual(os.stat(self.out).st_mtime, 1_000_000)
        git(self.repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit",
            "-q", "--allow-empty", "-m", "second")
        text = self.generate()
        self.assertNotEqual(os.stat(self.out).st_mtime, 1_000_000)
        self.assertIn(git(self.repo, "rev-parse", "--short=12", "HEAD"), text)

    def test_outside_a_repository_the_revision_is_unknown(self):
        plain = os.path.join(self.tmp.name, "plain")
        os.makedirs(plain)
        text = self.generate(plain)
        self.assertIn('#define HOOKBENCH_GIT_REVISION "unknown"', text)
        self.assertIn("#define HOOKBENCH_GIT_DIRTY false", text)


@unittest.skipUnless(hookbench_bin(), "needs the built hookbench")
class RunNamesItsBuild(unittest.TestCase):
    def test_a_run_reports_the_revision_written_into_its_build(self):
        # BUILD/src/hookbench was compiled with BUILD/src/generated/git_revision.hpp.
        generated = os.path.join(os.path.dirname(hookbench_bin()), "generated",
                                 "git_revision.hpp")
        self.assertTrue(os.path.isfile(generated), generated)
        text = read(generated)
        with tempfile.TemporaryDirectory(prefix="hookbench-rev-run-") as d:
            out = os.path.join(d, "run.json")
            proc = subprocess.run([hookbench_bin(), "run", "--mode", "poll", "--rate", "20",
                                   "--interval", "50ms", "--warmup", "0.2s", "--duration", "1s",
                                   "--drain", "1s", "--out", out],
                                  capture_output=True, text=True, timeout=60)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            with open(out, encoding="utf-8") as f:
                env = json.load(f)["environment"]
        self.assertRegex(env["git_revision"], r"^([0-9a-f]{12}|unknown)$")
        self.assertIn(f'#define HOOKBENCH_GIT_REVISION "{env["git_revision"]}"', text)
        self.assertIsInstance(env["git_dirty"], bool)
        self.assertIn(f"#define HOOKBENCH_GIT_DIRTY {'true' if env['git_dirty'] else 'false'}",
                      text)


if __name__ == "__main__":
    unittest.main()
