#!/usr/bin/python3
"""`credsweep enforce` against a real OpenLDAP slapd with ppolicy (loopback, StartTLS).

Proves: a dry run writes nothing; --apply sets pwdReset TRUE on the regular accounts with a
leaked password, as the least-privilege audit account, and the ppolicy then tells the user at
bind time that the password must be changed; a service account is untouched; a second --apply
changes nothing; an account deleted since the audit fails alone (exit 1) while the others are
still forced; the safety cap refuses a mass change (exit 3) without writing. Before each write
the entry is re-read: an old plan re-applied after the user changed her password forces nothing,
and a renamed or replaced entry is not forced. Killing enforce (SIGKILL) between the directory
write and its log entry leaves an intent that `log verify --config` reports as UNFINISHED; the
next run answers it. An emptied or shortened log is BAD against the run history's anchor.
The findings.json fixture follows the documented contract (engine/model/finding.h).
"""
import calendar
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support as sup  # noqa: E402
from servers import _common  # noqa: E402
from servers.slapd import Slapd  # noqa: E402

BINARY = sup.take_binary()
PASSWORDS = {"alice": "Summer2024!", "bob": "Winter2023!", "svc-app": "Service123",
             "carol": "Unl3aked-Carol-9"}  # fixture secrets: never printed


def summary(dn, name, cls, identity=("", None)):
    return {"account": name, "dn": dn, "display_name": name, "mail": name + "@example.test",
            "enabled": True, "class": cls, "classes": [cls], "smartcard_required": False,
            "owner_mail": "owner@example.test" if cls == "service" else "",
            "owner_source": "owner_map" if cls == "service" else "", "auth_level": 1,
            "object_id": identity[0], "pwd_last_set": identity[1]}


def generalized_to_unix(v):
    return calendar.timegm(time.strptime(v[:14], "%Y%m%d%H%M%S"))


def finding(s, rule="leaked-password"):
    return {"rule": rule, "requirement": "S12", "severity": "critical", "account": s["account"],
            "dn": s["dn"], "display_name": s["display_name"], "mail": s["mail"], "enabled": True,
            "class": s["class"], "detail": "The password is in the leaked-password corpus.",
            "history": False, "waived": False, "prevalence": 7}


class EnforceOpenLdapTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ldap = Slapd().start()

    @classmethod
    def tearDownClass(cls):
        cls.ldap.stop()

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="credsweep-enforce-ol-")
        self.tag = os.path.basename(self.dir)[-6:].lower().replace("_", "x")
        r = self.cli("log", "keygen", "--out", os.path.join(self.dir, "log.key"))
        self.assertEqual(r.returncode, 0, r.stderr)
        sup.write_private(os.path.join(self.dir, "bind.pw"), self.ldap.auditor_password + "\n")

    def tearDown(self):
        _common.remove_dir(self.dir)

    def cli(self, *args):
        return sup.run(BINARY, *args)

    def users(self, names):
        """Adds fresh users (unique per test) and returns {name: dn}."""
        out = {}
        for n in names:
            uid = "%s-%s" % (n, self.tag)
            out[n] = self.ldap.add_user(uid, PASSWORDS.get(n, "x-Pass-1"))
        return out

    def identity(self, dn):
        """(entryUUID, last password change) as the audit records them; ("", None) when gone."""
        try:
            a = self.ldap.read_attrs(dn, ["entryUUID", "pwdChangedTime", "sambaPwdLastSet"])
        except RuntimeError:  # deleted since: the audit saw some entry there
            return ("00000000-0000-0000-0000-%012d" % (abs(hash(dn)) % 10**12), 1795000000)
        times = [generalized_to_unix(v) for v in a["pwdChangedTime"]]
        times += [int(v) for v in a["sambaPwdLastSet"]]
        return (a["entryUUID"][0] if a["entryUUID"] else "", max(times) if times else None)

    def write(self, dns, leaked, service=(), audited=40, max_forced=None):
        # The account name is the entry's uid, as the audit reads it (enforce compares them).
        uid = {n: dn.split(",")[0].split("=", 1)[1] for n, dn in dns.items()}
        accounts = [summary(dn, uid[n], "service" if n in service else "regular",
                            self.identity(dn)) for n, dn in dns.items()]
        leaked = {uid[n] for n in leaked}
        # The rest of the audited population: ordinary users without findings (the safety cap
        # is 10 % of the accounts that could be forced).
        accounts += [summary("uid=clean%d,%s" % (i, self.ldap.people_dn), "clean%d" % i, "regular")
                     for i in range(max(0, audited - len(accounts)))]
        findings = [finding(s) for s in accounts if s["account"] in leaked]
        fdir = os.path.join(self.dir, "findings")
        os.makedirs(fdir, exist_ok=True)
        doc = {"format": "credsweep-findings", "version": 1,
               "run": {"id": "run-" + self.tag, "started_at": "2026-11-22T13:20:00Z",
                       "flavor": "openldap", "accounts_checked": audited},
               "accounts": accounts, "findings": findings}
        with open(os.path.join(fdir, "findings.json"), "w") as f:
            json.dump(doc, f)
        cfg = os.path.join(self.dir, "credsweep.toml")
        with open(cfg, "w") as f:
            f.write('[directory]\nurl = "%s"\nflavor = "openldap"\nbase = "%s"\nbind_dn = "%s"\n'
                    'bind_password_file = "bind.pw"\nca_file = "%s"\n'
                    '[log]\nsigning_key = "log.key"\n[run]\nstate_dir = "state"\n'
                    % (self.ldap.ldap_url, self.ldap.base_dn, self.ldap.auditor_dn,
                       self.ldap.ca_file))
            if max_forced is not None:
                f.write("[remediation]\nmax_forced_changes = %d\n" % max_forced)
        return cfg, fdir

    def enforce(self, cfg, fdir, *extra):
        return self.cli("enforce", "--config", cfg, "--findings", fdir, *extra)

    def pwd_reset(self, dn):
        return self.ldap.read_attrs(dn, ["pwdReset"])["pwdReset"]

    def bind_says_must_change(self, dn, password):
        env = dict(os.environ, LDAPTLS_CACERT=self.ldap.ca_file)
        r = subprocess.run(["ldapwhoami", "-x", "-ZZ", "-e", "ppolicy", "-H", self.ldap.ldap_url,
                            "-D", dn, "-w", password], capture_output=True, text=True, env=env)
        return "must be changed" in (r.stdout + r.stderr).lower()

    def test_apply_sets_pwdreset_once_and_leaves_service_accounts_alone(self):
        dns = self.users(["alice", "bob", "svc-app", "carol"])
        cfg, fdir = self.write(dns, leaked={"alice", "bob", "svc-app"}, service={"svc-app"})

        dry = self.enforce(cfg, fdir)
        self.assertEqual(dry.returncode, 0, dry.stdout + dry.stderr)
        self.assertIn("FORCE", dry.stdout)
        self.assertIn(dns["alice"], dry.stdout)
        self.assertIn("set pwdReset=TRUE", dry.stdout)
        self.assertEqual(self.pwd_reset(dns["alice"]), [])
        self.assertFalse(os.path.exists(os.path.join(self.dir, "state", "actions.log")))

        self.assertFalse(self.bind_says_must_change(dns["alice"], PASSWORDS["alice"]))
        r = self.enforce(cfg, fdir, "--apply")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("applied: 2", r.stdout)
        self.assertEqual(self.pwd_reset(dns["alice"]), ["TRUE"])
        self.assertEqual(self.pwd_reset(dns["bob"]), ["TRUE"])
        self.assertEqual(self.pwd_reset(dns["svc-app"]), [])
        self.assertEqual(self.pwd_reset(dns["carol"]), [])
        self.assertTrue(self.bind_says_must_change(dns["alice"], PASSWORDS["alice"]))
        self.assertFalse(self.bind_says_must_change(dns["svc-app"], PASSWORDS["svc-app"]))

        again = self.enforce(cfg, fdir, "--apply")
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
        self.assertIn("applied: 0, already pending: 2", again.stdout)

        v = self.cli("log", "verify", "--log", os.path.join(self.dir, "state", "actions.log"),
                     "--pubkey", os.path.join(self.dir, "log.key.pub"))
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
        # Run 1: skip svc-app + 2 x (intent + change); run 2: skip svc-app + 2 pending skips.
        self.assertIn("OK: 8 entries verified", v.stdout)

    def test_old_plan_after_the_user_changed_her_password_forces_nothing(self):
        dns = self.users(["alice", "bob"])
        cfg, fdir = self.write(dns, leaked={"alice", "bob"}, audited=40)
        time.sleep(1.1)  # pwdChangedTime has one-second resolution
        # After the audit, alice changes her password herself (ppolicy sets pwdChangedTime).
        env = dict(os.environ, LDAPTLS_CACERT=self.ldap.ca_file)
        ch = subprocess.run(["ldappasswd", "-x", "-ZZ", "-H", self.ldap.ldap_url, "-D", dns["alice"],
                             "-w", PASSWORDS["alice"], "-s", "N3w-And-Unleaked-42"],
                            capture_output=True, text=True, env=env)
        self.assertEqual(ch.returncode, 0, ch.stderr)
        r = self.enforce(cfg, fdir, "--apply")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("password was changed after the audit", r.stdout)
        self.assertIn("applied: 1", r.stdout)
        self.assertEqual(self.pwd_reset(dns["alice"]), [])  # not forced again
        self.assertEqual(self.pwd_reset(dns["bob"]), ["TRUE"])

    def test_renamed_or_replaced_entry_is_not_forced(self):
        dns = self.users(["alice", "bob"])
        cfg, fdir = self.write(dns, leaked={"alice", "bob"}, audited=40)
        # alice is renamed (her DN now names nothing); bob is deleted and a new entry with his
        # DN is created (a different entryUUID): neither is the object the audit saw.
        self.ldap.modify("dn: %s\nchangetype: modrdn\nnewrdn: uid=alice2-%s\ndeleteoldrdn: 1\n"
                         % (dns["alice"], self.tag))
        self.ldap.modify("dn: %s\nchangetype: delete\n" % dns["bob"])
        self.ldap.add_user("bob-%s" % self.tag, PASSWORDS["bob"])
        r = self.enforce(cfg, fdir, "--apply")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("no object at this DN any more", r.stdout)
        self.assertIn("another object now has this DN", r.stdout)
        self.assertIn("applied: 0", r.stdout)
        self.assertEqual(self.pwd_reset(dns["bob"]), [])
        self.assertEqual(self.pwd_reset(self.ldap.user_dn("alice2-" + self.tag)), [])

    def test_kill_between_write_and_log_leaves_an_unfinished_intent(self):
        dns = self.users(["alice"])
        cfg, fdir = self.write(dns, leaked={"alice"}, audited=40)
        fifo = os.path.join(self.dir, "pause.fifo")
        os.mkfifo(fifo)
        # The documented test hook (enforce.h): enforce parks on the FIFO right after the write.
        env = dict(os.environ, CREDSWEEP_TEST_PAUSE_AFTER_WRITE=fifo)
        p = subprocess.Popen([BINARY, "enforce", "--config", cfg, "--findings", fdir, "--apply"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        # Reading "paused" means enforce made the directory write and now waits before its
        # outcome entry (a select() timeout keeps a broken enforce from hanging the test).
        r = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        got = b""
        deadline = time.monotonic() + 60
        while not got.endswith(b"paused\n"):
            self.assertLess(time.monotonic(), deadline, "enforce never paused")
            self.assertIsNone(p.poll(), "enforce ended before the pause point")
            select.select([r], [], [], 0.1)
            try:
                got += os.read(r, 64)
            except BlockingIOError:
                pass
        os.kill(p.pid, signal.SIGKILL)
        p.communicate()
        os.close(r)
        self.assertEqual(p.returncode, -signal.SIGKILL)
        self.assertEqual(self.pwd_reset(dns["alice"]), ["TRUE"])  # the write happened ...
        v = self.cli("log", "verify", "--config", cfg)  # ... but its outcome was never logged
        self.assertEqual(v.returncode, 1, v.stdout + v.stderr)
        self.assertIn("UNFINISHED: seq 1 force-change-intent " + dns["alice"], v.stdout)
        # The next run re-reads alice, finds the change pending and logs that: answered.
        again = self.enforce(cfg, fdir, "--apply")
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
        self.assertIn("already pending", again.stdout)
        v = self.cli("log", "verify", "--config", cfg)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
        self.assertNotIn("UNFINISHED", v.stdout)

    def test_one_failed_write_is_reported_and_the_rest_go_on(self):
        dns = self.users(["alice", "bob"])
        dns["ghost"] = "uid=ghost-%s,%s" % (self.tag, self.ldap.people_dn)  # deleted since audit
        cfg, fdir = self.write(dns, leaked={"alice", "ghost", "bob"}, audited=40)
        r = self.enforce(cfg, fdir, "--apply")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("no object at this DN any more", r.stdout)
        self.assertIn("applied: 2", r.stdout)
        self.assertEqual(self.pwd_reset(dns["alice"]), ["TRUE"])
        self.assertEqual(self.pwd_reset(dns["bob"]), ["TRUE"])

    def test_safety_cap_refuses_mass_change_without_writing(self):
        dns = self.users(["alice", "bob"])
        cfg, fdir = self.write(dns, leaked={"alice", "bob"}, audited=10)  # cap = 1
        r = self.enforce(cfg, fdir, "--apply")
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn("--allow-mass-change", r.stderr)
        self.assertEqual(self.pwd_reset(dns["alice"]), [])
        r = self.enforce(cfg, fdir, "--apply", "--allow-mass-change")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.pwd_reset(dns["alice"]), ["TRUE"])


if __name__ == "__main__":
    sup.main()
