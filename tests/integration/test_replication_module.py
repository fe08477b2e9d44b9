#!/usr/bin/python3
"""The replication code is a module (credsweep-replication.so beside the binary), loaded only by
an audit that reads hashes over MS-DRSR (connectors/replication/loader/replication_module.h).

Proves, with a copy of the binary in a private folder:
  * a process that does not replicate (`--help`, `check-password`) loads none of Samba's
    libraries — they cost every other process 10 MB and ~15 ms at start;
  * without the module, a replication audit stops with exit 3 naming the missing file and what
    to do, not a crash and not an empty result;
  * a module writable by group or others is refused (exit 3), never loaded;
  * with the module in place, the audit gets past loading it (here it then fails to reach the
    DC, which is the next step, with its own message).

Run: /usr/bin/python3 tests/integration/test_replication_module.py --binary build/credsweep
"""
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support as sup  # noqa: E402
from servers import _common  # noqa: E402

BINARY = sup.take_binary()
MODULE = os.path.join(os.path.dirname(BINARY), "credsweep-replication.so")


class ReplicationModuleTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="credsweep-module-")
        self.addCleanup(_common.remove_dir, self.dir)
        self.bin = os.path.join(self.dir, "credsweep")
        shutil.copy2(BINARY, self.bin)
        self.module = os.path.join(self.dir, "credsweep-replication.so")
        words = sup.write_private(os.path.join(self.dir, "words.txt"), "Summer2026!\n")
        self.store = os.path.join(self.dir, "store")
        r = sup.run(self.bin, "corpus", "import", "--store", self.store, words)
        self.assertEqual(r.returncode, 0, r.stderr)
        pw = sup.write_private(os.path.join(self.dir, "bind.pw"), "not-used-1\n")
        # Port 1 on loopback: nothing listens; the module is loaded before any connection.
        self.config = sup.write_private(os.path.join(self.dir, "credsweep.toml"), f"""
[store]
path = "{self.store}"

[directory]
url = "ldaps://127.0.0.1:1"
flavor = "ad"
base = "DC=example,DC=test"
bind_dn = "svc-repl@example.test"
bind_password_file = "{pw}"

[hashes]
source = "replication"

[run]
state_dir = "{os.path.join(self.dir, 'state')}"
""")

    def audit(self):
        return sup.run(self.bin, "audit", "--config", self.config, "--out",
                       os.path.join(self.dir, "out"))

    def test_other_commands_load_no_samba_library(self):
        env = dict(os.environ, LD_DEBUG="libs")
        for args in (["--help"], ["check-password", "--store", self.store]):
            r = sup.run(self.bin, *args, env=env)
            loaded = [line for line in r.stderr.splitlines() if "calling init:" in line]
            self.assertTrue(loaded, r.stderr[-2000:])  # LD_DEBUG works here
            self.assertFalse([line for line in loaded if "samba" in line or "dcerpc" in line],
                             args)

    def test_missing_module_is_a_clear_error(self):
        r = self.audit()
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn(self.module, r.stderr)
        self.assertIn("must sit beside", r.stderr)

    def test_module_writable_by_others_is_refused(self):
        shutil.copy2(MODULE, self.module)
        os.chmod(self.module, 0o666)
        r = self.audit()
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn("refusing to load " + self.module, r.stderr)

    def test_module_in_place_is_loaded(self):
        shutil.copy2(MODULE, self.module)
        os.chmod(self.module, 0o755)
        r = self.audit()
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)  # the DC is not there
        self.assertNotIn("credsweep-replication.so", r.stderr)


if __name__ == "__main__":
    sup.main()
