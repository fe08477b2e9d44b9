"""The change-time check against a real Samba AD DC: `check password script`.

Samba runs `check password script` for every new password (smb.conf(5)): the password on
stdin, the account in SAMBA_CPS_ACCOUNT_NAME, and a non-zero exit refuses the change. Samba
only consults it when the domain's password complexity is on (pwdProperties bit
DOMAIN_PASSWORD_COMPLEX; source4/dsdb/common/util.c samdb_check_password), so the test turns
complexity on and uses passwords that pass Samba's own complexity rule — a refusal can then
only come from credsweep.

With `check password script = <credsweep> check-password --store STORE` in the DC's smb.conf:
  * `samba-tool user setpassword` with a password from the corpus is refused, and the account's
    password is unchanged (its NT hash in `pdbedit -L -w` is the old one);
  * the same command with a strong password is accepted (the NT hash changes);
  * `samba-tool user create` with a leaked password is refused (no account is created);
  * a broken store fails closed: the change is refused;
  * the control: without the script line Samba accepts the same leaked password.

Run: /usr/bin/python3 tests/integration/test_check_password_samba.py --binary build/credsweep
"""
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

# Fixture passwords (never printed): complex enough for Samba's own rule (3 of 4 classes, not
# containing the account name), so only the corpus can refuse them.
LEAKED = ["Sommer2024!", "Velkommen2025!", "Passw0rd!"]
STRONG = "Tr9#bV4!nM1@xK"
STRONG_2 = "Qm3!zX7#pL0@wE"
OLD = "Start-Kode-2026!x"


class CheckPasswordSambaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="credsweep-cps-")
        words = os.path.join(cls.tmp, "words.txt")
        with open(words, "w") as f:
            f.write("\n".join(LEAKED + ["123456", "qwerty"]) + "\n")
        cls.store = os.path.join(cls.tmp, "store")
        sup.import_words(BINARY, cls.store, words, source="fixture", version="1")
        cls.dc = SambaDC()
        cls.dc.start()
        # Complexity on (DOMAIN_PASSWORD_COMPLEX = 1): Samba only runs the script then.
        cls.dc.set_attrs(cls.dc.base_dn, pwdProperties=1)
        cls.dc.add_user("anna", OLD)
        cls.configure(cls.store)

    @classmethod
    def tearDownClass(cls):
        cls.dc.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def configure(cls, store):
        """(Re)writes the check password script line in the DC's smb.conf."""
        with open(cls.dc.smb_conf) as f:
            lines = [l for l in f if "check password script" not in l]
        lines.append("\tcheck password script = %s check-password --store %s\n" % (BINARY, store))
        with open(cls.dc.smb_conf, "w") as f:
            f.writelines(lines)

    def samba_tool(self, *args):
        sam = os.path.join(self.dc.private_dir, "sam.ldb")
        return subprocess.run(["samba-tool"] + list(args) + ["-H", sam, "-s", self.dc.smb_conf],
                              capture_output=True, text=True, timeout=120)

    def nt_hash_of(self, account):
        for line in self.dc.dump_hashes().splitlines():
            parts = line.split(":")
            if parts and parts[0].lower() == account:
                return parts[3]
        return None

    def test_leaked_password_is_refused_and_strong_one_accepted(self):
        before = self.nt_hash_of("anna")
        self.assertIsNotNone(before)
        for leaked in LEAKED:
            r = self.samba_tool("user", "setpassword", "anna", "--newpassword=" + leaked)
            self.assertNotEqual(r.returncode, 0, "samba-tool accepted a leaked password")
            self.assertIn("complexity", (r.stdout + r.stderr).lower())
            self.assertEqual(self.nt_hash_of("anna"), before, "password changed anyway")
        r = self.samba_tool("user", "setpassword", "anna", "--newpassword=" + STRONG)
        self.assertEqual(r.returncode, 0, r.stderr[-1000:])
        self.assertNotEqual(self.nt_hash_of("anna"), before)

    def test_new_account_with_a_leaked_password_is_not_created(self):
        r = self.samba_tool("user", "create", "bent", LEAKED[0])
        self.assertNotEqual(r.returncode, 0)
        with self.assertRaises(KeyError):
            self.dc.dn_of("bent")
        r = self.samba_tool("user", "create", "carl", STRONG_2)
        self.assertEqual(r.returncode, 0, r.stderr[-1000:])
        self.dc.dn_of("carl")

    def test_unusable_store_fails_closed(self):
        broken = os.path.join(self.tmp, "broken-store")
        shutil.copytree(self.store, broken)
        with open(os.path.join(broken, "manifest.json"), "w") as f:
            f.write("{ not a manifest")
        self.configure(broken)
        try:
            before = self.nt_hash_of("anna")
            r = self.samba_tool("user", "setpassword", "anna", "--newpassword=Zz8!uncommon#Phrase")
            self.assertNotEqual(r.returncode, 0, "a change went through without the check")
            self.assertEqual(self.nt_hash_of("anna"), before)
        finally:
            self.configure(self.store)

    def test_without_the_script_samba_accepts_the_same_password(self):
        # The control: the refusals above come from credsweep, not from Samba's own rules.
        self.dc.add_user("dora", OLD)
        with open(self.dc.smb_conf) as f:
            lines = [l for l in f if "check password script" not in l]
        with open(self.dc.smb_conf, "w") as f:
            f.writelines(lines)
        try:
            r = self.samba_tool("user", "setpassword", "dora", "--newpassword=" + LEAKED[0])
            self.assertEqual(r.returncode, 0, r.stderr[-1000:])
        finally:
            self.configure(self.store)


if __name__ == "__main__":
    sup.main()
