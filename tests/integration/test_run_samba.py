"""`credsweep run --apply` end to end against a real Samba AD DC: the monthly job with evidence.

Starts the DC (tests/servers/samba_dc.py), creates users with a leaked and a strong password,
dumps the NT hashes with `pdbedit -L -w` (a 0600 file, never printed), imports a small corpus,
makes an action-log key, and runs `credsweep run --config ... --apply` over LDAPS. Asserts:
  * the leaked user's pwdLastSet is 0 afterwards (forced change at next logon); the strong
    user's is not;
  * the run record in STATE/history says apply, forced = 1, and holds the action log's head
    hash; `credsweep log verify --expect-head HEAD` accepts the log;
  * the report says changes were applied and shows that head hash;
  * a second applied run changes nothing twice (forced = 0) and adds a second history point;
  * `credsweep log verify --config` finds the log, KEY.pub and the latest run record's anchor
    (head hash and entry count, also in the report): it accepts the log, and a shortened, an
    emptied and a deleted log are BAD (exit 1).

Run: /usr/bin/python3 tests/integration/test_run_samba.py --binary build/credsweep
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support as sup  # noqa: E402
from servers.samba_dc import SambaDC  # noqa: E402


BINARY = sup.take_binary()
LEAKED = "Sommer2024"            # fixture passwords; never printed
STRONG = "Tr9#bV4!nM1@xK-unique"


def history(state):
    out = []
    for path in sorted(glob.glob(os.path.join(state, "history", "*.json"))):
        with open(path) as f:
            out.append(json.load(f))
    return sorted(out, key=lambda r: (r["started_at"], r["id"]))


class RunSambaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="credsweep-run-samba-")
        t = cls.tmp
        words = os.path.join(t, "words.txt")
        with open(words, "w") as f:
            f.write("123456\npassword\n%s\nqwerty\n" % LEAKED)
        sup.import_words(BINARY, os.path.join(t, "store"), words, source="fixture")
        subprocess.run([BINARY, "log", "keygen", "--out", os.path.join(t, "log.key")],
                       check=True, capture_output=True, timeout=60)
        cls.dc = SambaDC()
        cls.dc.start()
        cls.dc.add_user("leaky", LEAKED, mail="leaky@corp.example.test")
        cls.dc.add_user("strong", STRONG, mail="strong@corp.example.test")
        sup.write_private(os.path.join(t, "hashes.smbpasswd"), cls.dc.dump_hashes())
        sup.write_private(os.path.join(t, "bind.pw"), cls.dc.admin_password + "\n")
        cls.config = os.path.join(t, "credsweep.toml")
        with open(cls.config, "w") as f:
            f.write("""
[store]
path = "store"
[directory]
url = "%s"
flavor = "ad"
base = "%s"
bind_dn = "%s"
bind_password_file = "bind.pw"
ca_file = "%s"
[hashes]
file = "hashes.smbpasswd"
format = "smbpasswd"
[remediation]
max_forced_changes = 5
[log]
signing_key = "log.key"
[run]
apply = false
state_dir = "state"
""" % (cls.dc.ldaps_url, cls.dc.base_dn, cls.dc.admin_dn, cls.dc.ca_file))
        cls.state = os.path.join(t, "state")

    @classmethod
    def tearDownClass(cls):
        cls.dc.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def run_job(self):
        return sup.run(BINARY, "run", "--config", self.config, "--apply", timeout=300)

    def test_applied_run_forces_the_leaked_user_and_records_evidence(self):
        first = self.run_job()
        self.assertEqual(first.returncode, 0, first.stdout + first.stderr[-2000:])
        self.assertEqual(len(first.stdout.strip().splitlines()), 1)  # not a terminal: one line
        self.assertEqual(self.dc.read_attrs("leaky", ["pwdLastSet"])["pwdLastSet"], ["0"])
        self.assertNotEqual(self.dc.read_attrs("strong", ["pwdLastSet"])["pwdLastSet"], ["0"])

        runs = history(self.state)
        self.assertEqual(len(runs), 1)
        rec = runs[0]
        self.assertTrue(rec["apply"])
        self.assertEqual(rec["actions"]["forced"], 1)
        self.assertEqual(rec["counts"]["leaked-password"], 1)
        self.assertRegex(rec["log_head_hash"], r"^[0-9a-f]{64}$")
        verify = sup.run(BINARY, "log", "verify", "--log", os.path.join(self.state, "actions.log"),
                         "--pubkey", os.path.join(self.tmp, "log.key.pub"), "--expect-head",
                         rec["log_head_hash"], timeout=60)
        self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)

        with open(os.path.join(rec["report_dir"], "report.html"), encoding="utf-8") as f:
            html = f.read()
        self.assertTrue("changes applied" in html, "apply badge missing")
        self.assertTrue(rec["log_head_hash"] in html, "head hash missing from the evidence")
        self.assertTrue("--expect-head " + rec["log_head_hash"] in html, "verify command")
        self.assertTrue("--expect-count %d" % rec["log_entries"] in html, "entry count")
        self.assertTrue("credsweep log verify --config " + self.config in html, "--config command")
        self.assertGreaterEqual(rec["log_entries"], 2)  # intent + force-change for leaky

        # log verify --config: the log checked against the run history's anchor.
        log = os.path.join(self.state, "actions.log")
        ok = sup.run(BINARY, "log", "verify", "--config", self.config, timeout=60)
        self.assertEqual(ok.returncode, 0, ok.stdout + ok.stderr)
        self.assertIn("OK: %d entries verified" % rec["log_entries"], ok.stdout)
        with open(log, "rb") as f:
            intact = f.read()
        try:
            for tampered in (intact[:intact.rindex(b"\n", 0, len(intact) - 1) + 1], b""):
                with open(log, "wb") as f:
                    f.write(tampered)
                bad = sup.run(BINARY, "log", "verify", "--config", self.config, timeout=60)
                self.assertEqual(bad.returncode, 1, bad.stdout + bad.stderr)
                self.assertIn("BAD:", bad.stdout)
            os.remove(log)
            gone = sup.run(BINARY, "log", "verify", "--config", self.config, timeout=60)
            self.assertEqual(gone.returncode, 1, gone.stdout + gone.stderr)
            self.assertIn("the log is missing", gone.stdout)
        finally:
            with open(log, "wb") as f:
                f.write(intact)
            os.chmod(log, 0o600)

        # Re-running the same month changes nothing twice and adds a history point.
        second = self.run_job()
        self.assertEqual(second.returncode, 0, second.stdout + second.stderr[-2000:])
        runs = history(self.state)
        self.assertEqual(len(runs), 2)
        self.assertEqual(runs[1]["actions"]["forced"], 0)
        self.assertGreaterEqual(runs[1]["actions"]["skipped"], 1)
        self.assertEqual(self.dc.read_attrs("leaky", ["pwdLastSet"])["pwdLastSet"], ["0"])


if __name__ == "__main__":
    sup.main()
