#!/usr/bin/python3
"""scripts/lab.sh: N + 1 network-namespace "hosts" on one bridge (198.18.10.0/24), each with its
own sshd and the lab's key. The test brings up a producer and 2 consumers, reaches each over ssh
at its own address, checks that the hosts reach each other and the controller, that the inventory
names the groups, and that `down` leaves nothing behind. Skipped, with one line, where namespaces
or sshd are not available (not root, no /usr/sbin/sshd: scripts/setup.sh --lab installs it)."""

import os
import subprocess
import tempfile
import unittest

from fixtures import ROOT
from fixtures.lab import lab_available, namespaces

LAB = os.path.join(ROOT, "scripts", "lab.sh")


REASON = lab_available()


class LabUsage(unittest.TestCase):
    def lab(self, *args):
        return subprocess.run([LAB, *args], capture_output=True, text=True, timeout=60)

    def test_bad_arguments_get_one_line_and_exit_2(self):
        for args, needle in ((["up", "0"], "N must be a whole number from 1 to 199, not '0'"),
                             (["up", "two"], "not 'two'"),
                             (["up", "500"], "not '500'"),
                             (["sideways"], "unknown command 'sideways'")):
            r = self.lab(*args)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(needle, r.stderr.splitlines()[0], args)
        r = self.lab()
        self.assertEqual(r.returncode, 2)
        self.assertIn("usage: scripts/lab.sh up N", r.stderr)


@unittest.skipIf(REASON, f"lab not testable here: {REASON}")
class LabHosts(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="hookbench-lab-")
        self.dir = os.path.join(self.tmp.name, "lab")
        self.env = dict(os.environ, HOOKBENCH_LAB_DIR=self.dir)
        self.addCleanup(self.tmp.cleanup)
        self.addCleanup(self.lab, "down")

    def lab(self, *args):
        return subprocess.run([LAB, *args], capture_output=True, text=True, timeout=120,
                              env=self.env)

    def ssh(self, host, command):
        return subprocess.run(["ssh", "-F", os.path.join(self.dir, "ssh_config"), "-o",
                               "ConnectTimeout=5", "-o", "BatchMode=yes", host, command],
                              capture_output=True, text=True, timeout=60)

    def test_up_gives_three_hosts_reachable_over_ssh_and_down_removes_them(self):
        r = self.lab("up", "2")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(namespaces(), ["hblab0", "hblab1", "hblab2"])
        # Each host is its own network namespace with its own address, reached with the lab key
        # and a host key the lab pinned (StrictHostKeyChecking yes in its ssh_config).
        for k in range(3):
            out = self.ssh(f"hblab{k}", "ip -4 -o addr show dev eth0")
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertIn(f"198.18.10.{k + 1}/24", out.stdout)
        # A consumer reaches the producer's sshd (and the controller reached every host above,
        # through the bridge).
        probe = "exec 3<>/dev/tcp/{}/22 && head -c 4 <&3"
        out = self.ssh("hblab2", probe.format("198.18.10.1"))
        self.assertEqual(out.stdout, "SSH-", out.stderr)
        with open(os.path.join(self.dir, "inventory.ini"), encoding="utf-8") as f:
            inventory = f.read()
        self.assertIn("[producer]\nhblab0 ansible_host=198.18.10.1\n", inventory)
        self.assertIn("[consumers]\nhblab1 ansible_host=198.18.10.2\n"
                      "hblab2 ansible_host=198.18.10.3\n", inventory)
        # A second up refuses while this one stands.
        again = self.lab("up", "1")
        self.assertEqual(again.returncode, 2)
        self.assertIn("a lab is up already", again.stderr)
        self.assertEqual(self.lab("status").stdout.count("ssh ok"), 3)
        r = self.lab("down")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(namespaces(), [])
        self.assertFalse(os.path.exists(self.dir))
        link = subprocess.run(["ip", "link", "show", "hblab-br"], capture_output=True,
                              timeout=30)
        self.assertNotEqual(link.returncode, 0, "the bridge outlived the lab")
        self.assertIn("no lab is up", self.lab("status").stdout)


if __name__ == "__main__":
    unittest.main()
