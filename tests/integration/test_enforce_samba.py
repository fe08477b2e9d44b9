#!/usr/bin/python3
"""`credsweep enforce --apply` against a real Samba AD DC (loopback 127.0.0.N, LDAPS).

Proves: after --apply the leaked users' pwdLastSet reads 0 and a simple bind with their old
password fails with "data 773" (must change password) where it worked before; a service
account with a leaked password is untouched and still binds; a second --apply changes nothing
(the entries' uSNChanged stay the same); the action log verifies.
The findings.json fixture follows the documented contract (engine/model/finding.h).
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support as sup  # noqa: E402
from servers import _common  # noqa: E402
from servers.samba_dc import SambaDC  # noqa: E402

BINARY = sup.take_binary()
PASSWORDS = {"jdoe": "Summer2024!", "ksmith": "Password1", "svc-backup": "Backup2019",
             "lclean": "Unl3aked-Clean-Pass-7"}  # fixture secrets: never printed


def summary(dn, name, cls):
    return {"account": name, "dn": dn, "display_name": name, "mail": "",
            "enabled": True, "class": cls, "classes": [cls], "smartcard_required": False,
            "owner_mail": "ops@corp.example.test" if cls == "service" else "",
            "owner_source": "manager" if cls == "service" else "", "auth_level": 1}


def finding(s):
    return {"rule": "leaked-password", "requirement": "S12", "severity": "critical",
            "account": s["account"], "dn": s["dn"], "display_name": s["display_name"],
            "mail": "", "enabled": True, "class": s["class"],
            "detail": "The password is in the leaked-password corpus.", "history": False,
            "waived": False, "prevalence": 1000}


class EnforceSambaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dc = SambaDC().start()

    @classmethod
    def tearDownClass(cls):
        cls.dc.stop()

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="credsweep-enforce-ad-")

    def tearDown(self):
        _common.remove_dir(self.dir)

    def cli(self, *args):
        return sup.run(BINARY, *args)

    def bind(self, name):
        """(ok, diagnostic) of a simple bind as name@realm with its fixture password. (A base
        read of the root DSE after the bind: Samba does not implement the whoami operation.)"""
        r = subprocess.run(["ldapsearch", "-x", "-LLL", "-H", self.dc.ldap_url,
                            "-D", "%s@%s" % (name, self.dc.realm), "-w", PASSWORDS[name],
                            "-b", "", "-s", "base", "(objectClass=*)", "dnsHostName"],
                           capture_output=True, text=True, timeout=30)
        return r.returncode == 0, r.stderr

    def test_apply_forces_change_at_next_logon_once(self):
        dns = {n: self.dc.add_user(n, p) for n, p in PASSWORDS.items()}
        accounts = [summary(dn, n, "service" if n == "svc-backup" else "regular")
                    for n, dn in dns.items()]
        fdir = os.path.join(self.dir, "findings")
        os.makedirs(fdir)
        with open(os.path.join(fdir, "findings.json"), "w") as f:
            json.dump({"format": "credsweep-findings", "version": 1,
                       "run": {"id": "run-samba", "started_at": "2026-11-22T13:20:00Z",
                               "flavor": "ad", "accounts_checked": 40},
                       "accounts": accounts,
                       "findings": [finding(s) for s in accounts if s["account"] != "lclean"]}, f)
        sup.write_private(os.path.join(self.dir, "bind.pw"), self.dc.admin_password + "\n")
        self.assertEqual(self.cli("log", "keygen", "--out",
                                  os.path.join(self.dir, "log.key")).returncode, 0)
        cfg = os.path.join(self.dir, "credsweep.toml")
        with open(cfg, "w") as f:
            f.write('[directory]\nurl = "%s"\nflavor = "ad"\nbase = "%s"\nbind_dn = "%s"\n'
                    'bind_password_file = "bind.pw"\nca_file = "%s"\n'
                    '[log]\nsigning_key = "log.key"\n[run]\nstate_dir = "state"\n'
                    % (self.dc.ldaps_url, self.dc.base_dn, self.dc.admin_dn, self.dc.ca_file))

        for n in PASSWORDS:  # positive control: every fixture password binds before
            ok, diag = self.bind(n)
            self.assertTrue(ok, "%s could not bind before enforce: %s" % (n, diag))

        r = self.cli("enforce", "--config", cfg, "--findings", fdir, "--apply")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("applied: 2", r.stdout)
        for n in ("jdoe", "ksmith"):
            self.assertEqual(self.dc.read_attrs(n, ["pwdLastSet"])["pwdLastSet"], ["0"])
            ok, diag = self.bind(n)
            self.assertFalse(ok, "%s still binds after enforce" % n)
            self.assertIn("data 773", diag)
        svc = self.dc.read_attrs("svc-backup", ["pwdLastSet"])["pwdLastSet"]
        self.assertEqual(len(svc), 1)
        self.assertNotEqual(svc[0], "0")
        self.assertTrue(self.bind("svc-backup")[0], "the service account must keep working")
        self.assertTrue(self.bind("lclean")[0])

        usn = {n: self.dc.read_attrs(n, ["uSNChanged"])["uSNChanged"] for n in ("jdoe", "ksmith")}
        again = self.cli("enforce", "--config", cfg, "--findings", fdir, "--apply")
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
        self.assertIn("applied: 0, already pending: 2", again.stdout)
        for n in ("jdoe", "ksmith"):
            self.assertEqual(self.dc.read_attrs(n, ["uSNChanged"])["uSNChanged"], usn[n])

        v = self.cli("log", "verify", "--log", os.path.join(self.dir, "state", "actions.log"),
                     "--pubkey", os.path.join(self.dir, "log.key.pub"))
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
        self.assertIn("OK: 6 entries verified", v.stdout)


if __name__ == "__main__":
    sup.main()
