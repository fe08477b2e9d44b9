"""`credsweep audit` end to end against a real OpenLDAP slapd: exact findings per account.

slapd on loopback (tests/servers/slapd.py) with the Samba schema and ppolicy holds users whose
sambaNTPassword / sambaLMPassword, sambaAcctFlags, sambaKickoffTime / shadowExpire,
employeeType, manager, sambaLogonTime and nested groupOfNames membership trigger every rule
OpenLDAP can express. Hash material comes from the directory itself (no dump file); the audit
binds as the least-privilege auditor over ldap:// + StartTLS. The test asserts the exact set of
(account, rule) findings, the skipped odd entry, and that no NT/LM hash of the fixture appears
anywhere in the output folder.

Not expressible on OpenLDAP (asserted absent): preauth-not-required, reversible-encryption,
kerberoastable-admin (no such flags or SPNs in the Samba/inetOrgPerson schema), and the Kerberos
delegation rules (admin-delegatable does not run on OpenLDAP).

Run: /usr/bin/python3 tests/integration/test_audit_openldap.py --binary build/credsweep
"""
import os
import stat
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support as sup  # noqa: E402
from servers.slapd import Slapd  # noqa: E402

BINARY = sup.take_binary()

DAY = 86400
NOW = int(time.time())
FAR = NOW + 400 * DAY
PAST_DAYS = (NOW - 30 * DAY) // DAY
STALE_LOGON = NOW - 200 * DAY
LM_PASSWORD = "E52CAC67419A9A224A3B108F3FA6CB6D"  # LM("password"): a real, non-empty LM hash

LEAKED = ["Summer2024!", "Password1"]
P = {  # fixture passwords (test source only; never printed)
    "alice": "Summer2024!",
    "bob": "Summer2024!",
    "adm-alice": "Adm!n-Al1ce",
    "carl": "",
    "dora": "Consult-Dora-3",
    "erin": "Consult-Erin-4",
    "frank": "Consult-Frank-5",
    "lmuser": "Lm-User-Unique-6",
    "svc-app": "Svc-App-Unique-7",
    "eve": "No-Samba-Eve-8",
    "gina": "Locked-Gina-9",
    "stale1": "Stale-Unique-10",
    "winter": "Vinter%d!" % time.gmtime().tm_year,  # season + year + symbol: guessable
}

EXPECTED = {
    # [UX]; Summer2024! is also a season + year + symbol
    "alice": ["guessable-password", "leaked-password", "password-never-expires", "shared-password"],
    "bob": ["guessable-password", "leaked-password", "shared-password"],  # disabled [DU]
    "winter": ["guessable-password"],
    # privileged via admins ⊂ tier0; linked to alice by name; no expiry; one password < level 3
    "adm-alice": ["admin-no-expiry", "auth-level-below-required"],
    "carl": ["empty-password", "password-not-required"],  # [NU] and NT("")
    "dora": ["external-expired-enabled"],  # shadowExpire 30 days ago, not disabled, has manager
    "erin": ["external-expiry-too-long", "external-no-sponsor"],  # sambaKickoffTime in 400 days
    "frank": ["external-no-expiry"],
    "lmuser": ["lm-hash-stored"],
    "svc-app": [],  # service by name: [UX] is fine there
    "eve": [],      # no sambaSamAccount: no hash, nothing to say
    "gina": [],     # permanently locked
    "stale1": ["stale-account"],  # sambaLogonTime 200 days ago
}


class OpenLdapAuditTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t0 = time.monotonic()
        cls.tmp = tempfile.mkdtemp(prefix="credsweep-audit-openldap-")
        cls.ldap = Slapd()
        with sup.cleanup_on_failure(cls.ldap, cls.tmp):
            cls.ldap.start()
            cls._populate()
            cls._audit()

    @classmethod
    def tearDownClass(cls):
        cls.ldap.stop()
        sup.remove_dir(cls.tmp)

    @classmethod
    def _populate(cls):
        s = cls.ldap
        alice = s.add_user("alice", P["alice"], flags="[UX         ]", mail="alice@example.test")
        s.add_user("bob", P["bob"], flags="[DU         ]")
        s.add_user("adm-alice", P["adm-alice"])
        s.add_user("carl", P["carl"], flags="[NU         ]")
        s.add_user("dora", P["dora"], shadow_expire=PAST_DAYS, employeeType="consultant", manager=alice)
        s.add_user("erin", P["erin"], kickoff=FAR, employeeType="consultant")
        s.add_user("frank", P["frank"], employeeType="consultant", manager=alice)
        s.add_user("lmuser", P["lmuser"], sambaLMPassword=LM_PASSWORD)
        s.add_user("svc-app", P["svc-app"], flags="[UX         ]")
        s.add_user("eve", P["eve"], samba=False)
        s.add_user("gina", P["gina"], pwdAccountLockedTime="000001010000Z")
        s.add_user("stale1", P["stale1"], sambaLogonTime=STALE_LOGON)
        s.add_user("winter", P["winter"])
        s.add_entries("dn: cn=nouid,ou=people,%s\nobjectClass: inetOrgPerson\ncn: nouid\nsn: x\n"
                      % s.base_dn)
        admins = s.add_group("admins", members=["adm-alice"])
        s.add_group("tier0", members=[admins])

    @classmethod
    def _audit(cls):
        s, tmp = cls.ldap, cls.tmp
        words = sup.write_private(os.path.join(tmp, "words.txt"), "\n".join(LEAKED) + "\n")
        store = os.path.join(tmp, "store")
        sup.import_words(BINARY, store, words)
        pw = sup.write_private(os.path.join(tmp, "bind.pw"), s.auditor_password + "\n")
        config = f"""
[store]
path = "{store}"

[directory]
url = "{s.ldap_url}"
flavor = "openldap"
base = "{s.base_dn}"
bind_dn = "{s.auditor_dn}"
bind_password_file = "{pw}"
ca_file = "{s.ca_file}"

[classify]
privileged_groups = ["tier0"]
external_attribute = {{ employeeType = "consultant" }}
service_name_patterns = ["^svc-"]
admin_name_patterns = ["^adm-(.+)$"]

[rules]
external_max_days = 180
stale_days = 90

[auth]
required_level = {{ tier0 = 3 }}
"""
        cls.config = sup.write_private(os.path.join(tmp, "credsweep.toml"), config)
        cls.out = os.path.join(tmp, "out")
        cls.result = sup.run(BINARY, "audit", "--config", cls.config, "--out", cls.out)
        if cls.result.returncode != 0:
            raise RuntimeError("credsweep audit failed (%d):\n%s%s" % (
                cls.result.returncode, cls.result.stdout[-3000:], cls.result.stderr[-3000:]))
        cls.doc, cls.got = sup.findings_by_account(cls.out)

    def test_exact_findings_per_account(self):
        self.maxDiff = None
        expected = {k: sorted(v) for k, v in EXPECTED.items() if v}
        self.assertEqual(self.got, expected)

    def test_run_summary(self):
        run = self.doc["run"]
        self.assertEqual({a["account"] for a in self.doc["accounts"]}, set(EXPECTED))
        self.assertEqual(run["accounts_checked"], len(EXPECTED))
        self.assertEqual(run["flavor"], "openldap")
        self.assertEqual(run["hashes_loaded"], len(EXPECTED) - 1)  # all but eve
        self.assertEqual(run["accounts_without_hash"], 1)
        self.assertEqual(run["skipped_entries"],
                         [{"dn": "cn=nouid,ou=people," + self.ldap.base_dn, "reason": "no uid"}])
        for rule in ("preauth-not-required", "reversible-encryption", "kerberoastable-admin",
                     "admin-delegatable", "unconstrained-delegation", "kerberos-des-only"):
            self.assertEqual(run["counts"][rule], 0, rule)
        self.assertEqual(run["counts"]["guessable-password"], 3)

    def test_finding_details(self):
        by = {(x["account"], x["rule"]): x for x in self.doc["findings"]}
        self.assertEqual(by[("alice", "leaked-password")]["prevalence"], 1)
        self.assertEqual(by[("alice", "leaked-password")]["dn"], self.ldap.user_dn("alice"))
        self.assertEqual(by[("alice", "shared-password")]["group"], by[("bob", "shared-password")]["group"])
        self.assertFalse(by[("bob", "leaked-password")]["enabled"])
        self.assertIn("season + year + symbol", by[("winter", "guessable-password")]["detail"])
        with open(os.path.join(self.out, "findings.csv"), encoding="utf-8") as f:
            self.assertNotIn("Vinter", self.result.stdout + f.read())

    def test_output_is_private_and_holds_no_hash(self):
        for name in ("findings.json", "findings.csv"):
            mode = stat.S_IMODE(os.stat(os.path.join(self.out, name)).st_mode)
            self.assertEqual(mode, 0o600, name)
        hashes = sorted({sup.nt_hash_hex(p) for p in P.values()} | {LM_PASSWORD})
        # The scanner itself finds a planted hash (lower-case hex inside other text).
        canary = os.path.join(self.tmp, "canary")
        os.makedirs(canary, exist_ok=True)
        sup.write_private(os.path.join(canary, "x.json"), '{"h": "%s"}' % hashes[-1].lower())
        self.assertEqual(sup.scan_for_hashes(canary, hashes), [("x.json", len(hashes) - 1)])
        self.assertEqual(sup.scan_for_hashes(self.out, hashes), [],
                         "hash material found in the output folder (file, hash #)")
        for stream in (self.result.stdout, self.result.stderr):
            self.assertEqual(sum(h in stream.upper() for h in hashes), 0,
                             "hash material printed by credsweep audit")

    def test_runtime_bound(self):
        self.assertLess(time.monotonic() - self.t0, 60)


if __name__ == "__main__":
    sup.main()
