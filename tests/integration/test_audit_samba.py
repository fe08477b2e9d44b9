"""`credsweep audit` end to end against a real Samba AD DC: exact findings per account.

A Samba DC on loopback (tests/servers/samba_dc.py) holds a fixture domain in which every rule
the directory can express is triggered by exactly the accounts meant to trigger it, plus
accounts that must trigger nothing (the IT admin with MFA and a linked daily account, a
consultant with a near expiry and a sponsor, the read-only bind account, a computer). NT hashes
come from `pdbedit -L -w` (smbpasswd format); a small word list imported with
`credsweep corpus import --format plaintext` is the breach corpus. The test asserts the exact
set of (account, rule) findings, the run summary, private file modes, and that no NT hash of the
fixture appears anywhere in the output folder.

Targeted guessing runs on the same hashes: season + year, the organisation's name ("Example",
from DC=corp,DC=example,DC=test) + digits, passwords equal to the account name, a pre-created
computer with its default password, and a strong control; the test asserts that no password or
candidate reaches any output. The Kerberos hygiene rules run on real userAccountControl bits
(NOT_DELEGATED, TRUSTED_FOR_DELEGATION, USE_DES_KEY_ONLY) and the DC's own computer account.

Not expressible on Samba (so asserted absent): lm-hash-stored (Samba stores no LM hashes);
krbtgt-password-old and admin-password-old (pwdLastSet cannot be backdated on a live DC; the
demo and the unit tests cover them).

Run: /usr/bin/python3 tests/integration/test_audit_samba.py --binary build/credsweep
"""
import os
import stat
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support as sup  # noqa: E402
from servers.samba_dc import SambaDC  # noqa: E402

BINARY = sup.take_binary()

DAY = 86400
NOW = int(time.time())
NEAR = NOW + 60 * DAY        # within external_max_days (180)
FAR = NOW + 400 * DAY        # beyond it
PAST = NOW - 30 * DAY
STALE_LOGON = NOW - 200 * DAY  # beyond stale_days (90)

UAC_NORMAL, UAC_DISABLE, UAC_NOTREQD = 0x200, 0x2, 0x20
UAC_REVERSIBLE, UAC_DONT_EXPIRE, UAC_NO_PREAUTH = 0x80, 0x10000, 0x400000
UAC_TRUSTED_FOR_DELEGATION, UAC_NOT_DELEGATED, UAC_DES_ONLY = 0x80000, 0x100000, 0x200000
YEAR = time.gmtime().tm_year  # guessing tries current-10 … current+1


def filetime(unix):
    return (unix + 11644473600) * 10_000_000


# Fixture passwords (test source only; never printed). LEAKED go into the corpus.
LEAKED = ["Summer2024!", "legacy", "Consult-Two-2"]
P = {
    "jdoe": "Summer2024!",
    "svc-backup": "Summer2024!",
    "adm-jdoe": "Adm!n-Jd0e-2024",
    "adm-shared": "Shared-Admin-1",
    "shareuser": "Shared-Admin-1",
    "adm-it": "It-Admin-Unique-7",
    "itguy": "It-Guy-Unique-8",
    "consult-near": "Consult-Near-1",
    "consult-far": "Consult-Far-2",
    "consult-past": "Consult-Two-2",
    "contractor": "Contractor-3",
    "legacy": "legacy",
    "emptypw": "",
    "gone": "Gone-Unique-9",
    "reversible": "Reversible-4",
    "stale1": "Stale-Unique-5",
    "svc-credsweep": "Credsweep-Read-Only-1",
    "autumn": "Efteraar%d!" % YEAR,     # season + year + symbol
    "orgpw": "Example123",              # organisation name + digits
    "kmadsen": "kmadsen",               # the account name
    "namey": "Namey%d" % YEAR,          # account name + year (guessable, not password-is-username)
    "strongctl": "Tavle-Kridt-Skolegaard-7",  # the control: nothing to find
    "deleguser": "Deleg-User-Unique-6",
    "desuser": "Des-User-Unique-4",
    "WS02$": "ws02",                    # a pre-created computer's default password
}

# The exact findings. Why each one fires is in the comment; an account absent here (or with [])
# must have no finding at all.
EXPECTED = {
    # leaked, guessable (Summer2024!: season + year + symbol), shares its password with svc-backup
    "jdoe": ["guessable-password", "leaked-password", "shared-password"],
    # service account (OU=Service): leaked + shared, but never "password-never-expires"
    "svc-backup": ["guessable-password", "leaked-password", "shared-password"],
    # privileged via Helpdesk Admins ⊂ Tier0 Admins; has an SPN (so classed service: no
    # admin-no-expiry/admin-not-separate); one static password < required level 3; can be
    # delegated (no NOT_DELEGATED, not in Protected Users)
    "adm-jdoe": ["admin-delegatable", "auth-level-below-required", "kerberoastable-admin"],
    # privileged; same password as shareuser; no daily account linked; no expiry; level 2 < 3
    "adm-shared": ["admin-delegatable", "admin-no-expiry", "admin-not-separate",
                   "admin-shares-password", "auth-level-below-required", "shared-password"],
    "shareuser": ["shared-password"],
    # IT staff (no expiry needed), linked by employeeID to itguy, MFA group -> level 3,
    # NOT_DELEGATED: clean
    "adm-it": [],
    "itguy": [],
    "consult-near": [],
    "consult-far": ["external-expiry-too-long"],
    "consult-past": ["external-expired-enabled", "external-no-sponsor", "leaked-password"],
    # external by attribute (employeeType=consultant) outside the consultants OU
    "contractor": ["external-no-expiry", "external-no-sponsor"],
    # password "legacy" = the account name
    "legacy": ["leaked-password", "password-is-username", "password-not-required",
               "preauth-not-required"],
    "emptypw": ["empty-password"],
    # disabled accounts are audited (and marked enabled=false)
    "gone": ["password-never-expires"],
    "reversible": ["reversible-encryption"],
    "stale1": ["stale-account"],
    "svc-credsweep": [],
    "autumn": ["guessable-password"],
    "orgpw": ["guessable-password"],
    "kmadsen": ["password-is-username"],
    "namey": ["guessable-password"],
    "strongctl": [],
    "deleguser": ["unconstrained-delegation"],
    "desuser": ["kerberos-des-only"],
    "WS01$": [],
    "WS02$": ["default-computer-password"],
    # Built-in accounts of a fresh Samba domain:
    "Administrator": [],  # protected; Samba provisions it with a plain NORMAL_ACCOUNT uac
    "Guest": ["password-never-expires", "password-not-required"],  # disabled, no password
    "krbtgt": [],
    "DC1$": [],
    "dns-dc1": [],
}


class SambaAuditTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t0 = time.monotonic()
        cls.tmp = tempfile.mkdtemp(prefix="credsweep-audit-samba-")
        cls.dc = SambaDC()
        with sup.cleanup_on_failure(cls.dc, cls.tmp):
            cls.dc.start()
            cls._populate()
            cls._audit()

    @classmethod
    def tearDownClass(cls):
        cls.dc.stop()
        sup.remove_dir(cls.tmp)

    @classmethod
    def _populate(cls):
        dc = cls.dc
        base = dc.base_dn
        for ou in ("OU=Staff", "OU=Admins", "OU=Consultants", "OU=Service"):
            dc.add_ou(ou)
        jdoe = dc.add_user("jdoe", P["jdoe"], ou="OU=Staff", mail="jdoe@corp.example.test",
                           employeeID="E100")
        dc.add_user("svc-backup", P["svc-backup"], ou="OU=Service",
                    userAccountControl=UAC_NORMAL | UAC_DONT_EXPIRE,
                    servicePrincipalName=["backup/srv1.corp.example.test"])
        dc.add_user("adm-jdoe", P["adm-jdoe"], ou="OU=Admins", employeeID="E100",
                    servicePrincipalName=["HTTP/adm-tools.corp.example.test"])
        dc.add_user("adm-shared", P["adm-shared"], ou="OU=Admins")
        dc.add_user("shareuser", P["shareuser"], ou="OU=Staff")
        dc.add_user("adm-it", P["adm-it"], ou="OU=Admins", employeeID="E300",
                    userAccountControl=UAC_NORMAL | UAC_NOT_DELEGATED)
        dc.add_user("itguy", P["itguy"], ou="OU=Staff", employeeID="E300")
        dc.add_user("consult-near", P["consult-near"], ou="OU=Consultants",
                    accountExpires=filetime(NEAR), manager=jdoe)
        dc.add_user("consult-far", P["consult-far"], ou="OU=Consultants",
                    accountExpires=filetime(FAR), manager=jdoe)
        dc.add_user("consult-past", P["consult-past"], ou="OU=Consultants",
                    accountExpires=filetime(PAST))
        dc.add_user("contractor", P["contractor"], ou="OU=Staff", employeeType="consultant")
        dc.add_user("legacy", P["legacy"],
                    userAccountControl=UAC_NORMAL | UAC_NO_PREAUTH | UAC_NOTREQD)
        dc.add_user("emptypw", P["emptypw"])
        dc.add_user("gone", P["gone"], userAccountControl=UAC_NORMAL | UAC_DISABLE | UAC_DONT_EXPIRE)
        dc.add_user("reversible", P["reversible"], userAccountControl=UAC_NORMAL | UAC_REVERSIBLE)
        dc.add_user("stale1", P["stale1"], lastLogonTimestamp=filetime(STALE_LOGON))
        dc.add_user("svc-credsweep", P["svc-credsweep"], ou="OU=Service")
        for name in ("autumn", "orgpw", "kmadsen", "namey", "strongctl"):
            dc.add_user(name, P[name], ou="OU=Staff")
        dc.add_user("deleguser", P["deleguser"], ou="OU=Staff",
                    userAccountControl=UAC_NORMAL | UAC_TRUSTED_FOR_DELEGATION)
        dc.add_user("desuser", P["desuser"], ou="OU=Staff",
                    userAccountControl=UAC_NORMAL | UAC_DES_ONLY)
        dc.add_computer("WS01")
        # Pre-created ("pre-Windows 2000") computer: its password is its lower-case name.
        dc.add_computer("WS02")
        dc.set_password("WS02$", P["WS02$"])
        dc.add_group("Helpdesk Admins", members=["adm-jdoe"], ou="OU=Admins")
        dc.add_group("Tier0 Admins", members=["Helpdesk Admins", "adm-shared", "adm-it"], ou="OU=Admins")
        dc.add_group("IT Staff", members=["adm-it", "itguy"])
        dc.add_group("MFA Users", members=["adm-it"])
        cls.base = base

    @classmethod
    def _audit(cls):
        dc, tmp = cls.dc, cls.tmp
        words = sup.write_private(os.path.join(tmp, "words.txt"), "\n".join(LEAKED) + "\n")
        cls.store = os.path.join(tmp, "store")
        sup.import_words(BINARY, cls.store, words)
        cls.dump_text = dc.dump_hashes()
        dump = sup.write_private(os.path.join(tmp, "pdbedit.txt"), cls.dump_text)
        pw = sup.write_private(os.path.join(tmp, "bind.pw"), P["svc-credsweep"] + "\n")
        base = cls.base
        config = f"""
[store]
path = "{cls.store}"

[directory]
url = "{dc.ldaps_url}"
flavor = "ad"
base = "{base}"
bind_dn = "CN=svc-credsweep,OU=Service,{base}"
bind_password_file = "{pw}"
ca_file = "{dc.ca_file}"

[hashes]
file = "{dump}"
format = "auto"

[classify]
privileged_groups = ["Tier0 Admins"]
it_staff_group = "IT Staff"
external_ous = ["OU=Consultants,{base}"]
external_attribute = {{ employeeType = "consultant" }}
service_ous = ["OU=Service,{base}"]
service_name_patterns = ["^svc-"]
admin_name_patterns = ["^adm-(.+)$"]

[rules]
leaked_min_count = 1
external_max_days = 180
stale_days = 90

[auth]
mfa_groups = ["MFA Users"]
required_level = {{ "Tier0 Admins" = 3 }}
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

    def test_every_account_was_audited(self):
        names = {a["account"] for a in self.doc["accounts"]}
        self.assertEqual(names, set(EXPECTED))
        run = self.doc["run"]
        self.assertEqual(run["accounts_checked"], len(EXPECTED))
        self.assertEqual(run["flavor"], "ad")
        self.assertEqual(run["skipped_entries"], [])
        self.assertEqual(run["hashes_unmatched"], 0)
        self.assertEqual(run["counts"]["leaked-password"], 4)
        self.assertEqual(run["counts"]["lm-hash-stored"], 0)
        self.assertEqual(run["counts"]["guessable-password"], 5)
        self.assertEqual(run["counts"]["krbtgt-password-old"], 0)
        self.assertEqual(run["counts"]["admin-password-old"], 0)

    def test_finding_details(self):
        by = {(x["account"], x["rule"]): x for x in self.doc["findings"]}
        self.assertEqual(by[("jdoe", "leaked-password")]["prevalence"], 1)
        self.assertEqual(by[("jdoe", "leaked-password")]["requirement"], "S12")
        self.assertEqual(by[("jdoe", "leaked-password")]["mail"], "jdoe@corp.example.test")
        self.assertEqual(by[("jdoe", "shared-password")]["group"],
                         by[("svc-backup", "shared-password")]["group"])
        self.assertNotEqual(by[("jdoe", "shared-password")]["group"],
                            by[("adm-shared", "shared-password")]["group"])
        self.assertFalse(by[("gone", "password-never-expires")]["enabled"])
        self.assertTrue(by[("consult-past", "external-expired-enabled")]["enabled"])
        self.assertEqual(by[("consult-past", "leaked-password")]["dn"],
                         "CN=consult-past,OU=Consultants," + self.base)

    def test_output_is_private_and_holds_no_nt_hash(self):
        for name in ("findings.json", "findings.csv"):
            mode = stat.S_IMODE(os.stat(os.path.join(self.out, name)).st_mode)
            self.assertEqual(mode, 0o600, name)
        hashes = {sup.nt_hash_hex(p) for p in P.values()}
        for line in self.dump_text.splitlines():  # builtins and computers too
            f = line.split(":")
            if len(f) > 3 and len(f[3]) == 32 and f[3] != "X" * 32:
                hashes.add(f[3].upper())
        hashes = sorted(hashes)
        self.assertGreaterEqual(len(hashes), 16)
        # The scanner itself finds a planted hash (lower-case hex inside other text).
        canary = os.path.join(self.tmp, "canary")
        os.makedirs(canary, exist_ok=True)
        sup.write_private(os.path.join(canary, "x.json"), '{"h": "%s"}' % hashes[-1].lower())
        self.assertEqual(sup.scan_for_hashes(canary, hashes), [("x.json", len(hashes) - 1)])
        hits = sup.scan_for_hashes(self.out, hashes)
        self.assertEqual(hits, [], "NT hash material found in the output folder (file, hash #)")
        for stream in (self.result.stdout, self.result.stderr):
            # A count, not the list: a failing assertion must not print the hashes either.
            self.assertEqual(sum(h in stream.upper() for h in hashes), 0,
                             "NT hash material printed by credsweep audit")

    def test_guessing_names_the_pattern_and_no_password_reaches_any_output(self):
        by = {(x["account"], x["rule"]): x for x in self.doc["findings"]}
        self.assertIn("season + year + symbol", by[("autumn", "guessable-password")]["detail"])
        self.assertIn("organisation name + digits", by[("orgpw", "guessable-password")]["detail"])
        self.assertIn("account name + year", by[("namey", "guessable-password")]["detail"])
        self.assertEqual(by[("autumn", "guessable-password")]["severity"], "critical")
        # Every fixture password (those equal to their account's name are the name, which the
        # output rightly holds) and the words the candidates were built from.
        secrets = [p for n, p in P.items() if len(p) >= 4 and p.lower() != n.lower().rstrip("$")]
        secrets += ["Efteraar", "Example1", "Namey%d" % YEAR]
        texts = {"stdout": self.result.stdout, "stderr": self.result.stderr}
        for name in os.listdir(self.out):
            path = os.path.join(self.out, name)
            if os.path.isfile(path):
                with open(path, encoding="utf-8", errors="replace") as f:
                    texts[name] = f.read()
        self.assertGreaterEqual(len(texts), 4)
        for name, text in texts.items():
            # A count, not the list: a failing assertion must not print the secrets.
            hits = sum(1 for p in secrets if p in text)
            self.assertEqual(hits, 0, "%d fixture passwords/candidates in %s" % (hits, name))

    def test_runtime_bound(self):
        self.assertLess(time.monotonic() - self.t0, 110)


if __name__ == "__main__":
    sup.main()
