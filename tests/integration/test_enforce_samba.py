#!/usr/bin/python3
"""`credsweep enforce --apply` against a real Samba AD DC (loopback 127.0.0.N, LDAPS).

Proves: after --apply the leaked users' pwdLastSet reads 0 and a simple bind with their old
password fails with "data 773" (must change password) where it worked before; a service
account with a leaked password is untouched and still binds; a second --apply changes nothing
(the entries' uSNChanged stay the same); the action log verifies. An old plan re-applied after
a user changed her password, or on an object deleted and re-created under the same DN (new
objectSid), forces nothing.
The findings.json fixture follows the documented contract (engine/model/finding.h).
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support as sup  # noqa: E402
from servers import _common  # noqa: E402
from servers.samba_dc import SambaDC  # noqa: E402

BINARY = sup.take_binary()
PASSWORDS = {"jdoe": "Summer2024!", "ksmith": "Password1", "svc-backup": "Backup2019",
             "lclean": "Unl3aked-Clean-Pass-7"}  # fixture secrets: never printed


def summary(dn, name, cls, identity=("", None)):
    return {"account": name, "dn": dn, "display_name": name, "mail": "",
            "enabled": True, "class": cls, "classes": [cls], "smartcard_required": False,
            "owner_mail": "ops@corp.example.test" if cls == "service" else "",
            "owner_source": "manager" if cls == "service" else "", "auth_level": 1,
            "object_id": identity[0], "pwd_last_set": identity[1]}


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

    def identity(self, name):
        """(objectSid as text, pwdLastSet as Unix seconds) as the audit records them."""
        import ldb
        from samba.dcerpc import security
        from samba.ndr import ndr_unpack
        res = self.dc.samdb().search(self.dc.dn_of(name), scope=ldb.SCOPE_BASE,
                                     attrs=["objectSid", "pwdLastSet"])
        sid = str(ndr_unpack(security.dom_sid, res[0]["objectSid"][0]))
        ft = int(str(res[0]["pwdLastSet"][0]))
        return sid, (ft // 10_000_000 - 11644473600 if ft else 0)

    def write(self, dns, leaked, service=()):
        """findings.json as the audit writes it (identities read from the DC now), and a config."""
        accounts = [summary(dn, n, "service" if n in service else "regular", self.identity(n))
                    for n, dn in dns.items()]
        # The rest of the audited population: 40 ordinary users without findings (the safety
        # cap is 10 % of the accounts that could be forced).
        accounts += [summary("CN=clean%d,CN=Users,%s" % (i, self.dc.base_dn), "clean%d" % i,
                             "regular") for i in range(40)]
        fdir = os.path.join(self.dir, "findings")
        os.makedirs(fdir, exist_ok=True)
        with open(os.path.join(fdir, "findings.json"), "w") as f:
            json.dump({"format": "credsweep-findings", "version": 1,
                       "run": {"id": "run-samba", "started_at": "2026-11-22T13:20:00Z",
                               "flavor": "ad", "accounts_checked": len(accounts)},
                       "accounts": accounts,
                       "findings": [finding(s) for s in accounts if s["account"] in leaked]}, f)
        sup.write_private(os.path.join(self.dir, "bind.pw"), self.dc.admin_password + "\n")
        if not os.path.exists(os.path.join(self.dir, "log.key")):
            self.assertEqual(self.cli("log", "keygen", "--out",
                                      os.path.join(self.dir, "log.key")).returncode, 0)
        cfg = os.path.join(self.dir, "credsweep.toml")
        with open(cfg, "w") as f:
            f.write('[directory]\nurl = "%s"\nflavor = "ad"\nbase = "%s"\nbind_dn = "%s"\n'
                    'bind_password_file = "bind.pw"\nca_file = "%s"\n'
                    '[log]\nsigning_key = "log.key"\n[run]\nstate_dir = "state"\n'
                    % (self.dc.ldaps_url, self.dc.base_dn, self.dc.admin_dn, self.dc.ca_file))
        return cfg, fdir

    def test_apply_forces_change_at_next_logon_once(self):
        dns = {n: self.dc.add_user(n, p) for n, p in PASSWORDS.items()}
        cfg, fdir = self.write(dns, leaked={"jdoe", "ksmith", "svc-backup"},
                               service={"svc-backup"})

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
        # Run 1: skip svc-backup + 2 x (intent + change); run 2: skip svc-backup + 2 pending.
        self.assertIn("OK: 8 entries verified", v.stdout)

    def test_old_plan_after_a_password_change_or_on_a_replaced_object_forces_nothing(self):
        dns = {n: self.dc.add_user(n, "Summer2024!") for n in ("anna-2", "bent-2")}
        cfg, fdir = self.write(dns, leaked=set(dns))
        time.sleep(1.1)  # pwdLastSet is compared in seconds
        self.dc.set_password("anna-2", "N3w-Unleaked-Pass-9")  # she changed it after the audit
        # bent's account is deleted and a new one created with the same DN and name: a new SID.
        self.dc.samdb().delete(dns["bent-2"])
        self.dc.add_user("bent-2", "Summer2024!")
        r = self.cli("enforce", "--config", cfg, "--findings", fdir, "--apply")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("password was changed after the audit", r.stdout)
        self.assertIn("another object now has this DN", r.stdout)
        self.assertIn("applied: 0", r.stdout)
        for n in dns:
            self.assertNotEqual(self.dc.read_attrs(n, ["pwdLastSet"])["pwdLastSet"], ["0"])


if __name__ == "__main__":
    sup.main()
