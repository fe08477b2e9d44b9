"""The AD account source and the pdbedit hash source against a real Samba AD DC.

Starts a Samba DC on loopback (tests/servers/samba_dc.py), creates a fixture domain (OUs,
staff/admin/consultant/service/legacy accounts with known passwords, nested and cyclic groups,
a computer), dumps NT hashes with `pdbedit -L -w`, then runs the connector's live GoogleTest
(cs_directory_tests --gtest_filter=LiveDirectory*) against it and asserts the fixture facts
from the JSON it writes: accounts, UAC flags, expiry, pwdLastSet, SPNs, nested groups, paging,
ranged retrieval, LDAPS/StartTLS, plaintext refused, bad bind, least-privilege bind, and that
the pdbedit dump joins by name to the right hashes (compared in-process, never printed).

Run: /usr/bin/python3 tests/integration/test_directory_samba.py --binary build/credsweep
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
from servers.samba_dc import SambaDC  # noqa: E402


BINARY = sup.take_binary()


def filetime(unix):
    return (unix + 11644473600) * 10_000_000


FUTURE = 1798761600  # 2027-01-01T00:00:00Z
PAST = 1577836800    # 2020-01-01T00:00:00Z

UAC_NORMAL = 0x200
UAC_DISABLE = 0x2
UAC_PASSWD_NOTREQD = 0x20
UAC_DONT_EXPIRE = 0x10000
UAC_NO_PREAUTH = 0x400000

# Fixture passwords (test source only; never printed).
PASSWORDS = {
    "jdoe": "Summer2024!",
    "adm-jdoe": "Adm!n-Jd0e-2024",
    "consult1": "Consult-One-1",
    "consult2": "Consult-Two-2",
    "svc-backup": "Summer2024!",  # shared with jdoe
    "legacy": "legacy",
    "emptypw": "",
    "gone": "Disabled-User-9",
    "mustchange": "Must-Change-7",
    "svc-credsweep": "Credsweep-Read-Only-1",
}


class SambaDirectoryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bin = sup.build_target(BINARY, "cs_directory_tests")
        cls.t0 = time.monotonic()
        cls.dc = SambaDC()
        cls.tmp = tempfile.mkdtemp(prefix="credsweep-samba-test-")
        with sup.cleanup_on_failure(cls.dc, cls.tmp):
            cls.dc.start()
            cls._populate()
            cls.result = cls._run_live()

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
        cls.jdoe = dc.add_user("jdoe", PASSWORDS["jdoe"], ou="OU=Staff", mail="jdoe@corp.example.test",
                               employeeID="E100", employeeType="staff", displayName="Jane Doe",
                               userPrincipalName="jdoe@corp.example.test")
        dc.add_user("adm-jdoe", PASSWORDS["adm-jdoe"], ou="OU=Admins", employeeID="E100",
                    servicePrincipalName=["HTTP/adm-tools.corp.example.test"])
        dc.add_user("consult1", PASSWORDS["consult1"], ou="OU=Consultants", employeeType="consultant",
                    accountExpires=filetime(FUTURE), manager=cls.jdoe)
        dc.add_user("consult2", PASSWORDS["consult2"], ou="OU=Consultants", employeeType="consultant",
                    accountExpires=filetime(PAST))
        dc.add_user("svc-backup", PASSWORDS["svc-backup"], ou="OU=Service",
                    userAccountControl=UAC_NORMAL | UAC_DONT_EXPIRE,
                    servicePrincipalName=["backup/srv1.corp.example.test"])
        dc.add_user("legacy", PASSWORDS["legacy"],
                    userAccountControl=UAC_NORMAL | UAC_NO_PREAUTH | UAC_PASSWD_NOTREQD)
        dc.add_user("emptypw", PASSWORDS["emptypw"])
        dc.add_user("gone", PASSWORDS["gone"], userAccountControl=UAC_NORMAL | UAC_DISABLE)
        dc.add_user("mustchange", PASSWORDS["mustchange"], must_change=True)
        dc.add_user("svc-credsweep", PASSWORDS["svc-credsweep"], ou="OU=Service")
        dc.add_computer("WS01")
        # adm-jdoe -> Helpdesk Admins -> Tier0 Admins -> Domain Admins (nested privilege).
        dc.add_group("Helpdesk Admins", members=["adm-jdoe"], ou="OU=Admins")
        dc.add_group("Tier0 Admins", members=["Helpdesk Admins"], ou="OU=Admins",
                     managedBy=cls.jdoe)
        dc.add_members("Domain Admins", ["Tier0 Admins"])
        # A membership cycle must terminate: jdoe -> CycleA -> CycleB -> CycleA.
        dc.add_group("CycleA", members=["jdoe"])
        dc.add_group("CycleB", members=["CycleA"])
        dc.add_members("CycleA", ["CycleB"])
        # Five members, read later with an explicit 2-value range window.
        dc.add_group("Five", members=["jdoe", "consult1", "consult2", "legacy", "gone"])
        cls.five_dn = "CN=Five,CN=Users," + base
        cls.mustchange_dn = "CN=mustchange,CN=Users," + base

    @classmethod
    def _run_live(cls):
        dc = cls.dc
        pw_file = os.path.join(cls.tmp, "passwords.tsv")
        dump_file = os.path.join(cls.tmp, "pdbedit.txt")
        sup.write_private(pw_file, "".join("%s\t%s\n" % kv for kv in PASSWORDS.items()))
        sup.write_private(dump_file, dc.dump_hashes())
        # An ldapsearch export of the same accounts, for the offline "ldif:" source.
        ldif_file = os.path.join(cls.tmp, "export.ldif")
        with sup.open_private(ldif_file) as f:
            subprocess.run(["ldapsearch", "-x", "-H", dc.ldaps_url, "-D", dc.admin_dn,
                            "-w", dc.admin_password, "-b", dc.base_dn,
                            "(|(objectClass=user)(objectClass=group))"],
                           env=dict(os.environ, LDAPTLS_CACERT=dc.ca_file), stdout=f, check=True)
        env = dict(os.environ,
                   CREDSWEEP_TEST_LDIF=ldif_file,
                   CREDSWEEP_TEST_LDAP_URL=dc.ldaps_url,
                   CREDSWEEP_TEST_LDAP_STARTTLS_URL=dc.ldap_url,
                   CREDSWEEP_TEST_LDAP_BASE=dc.base_dn,
                   CREDSWEEP_TEST_LDAP_FLAVOR="ad",
                   CREDSWEEP_TEST_LDAP_CA_FILE=dc.ca_file,
                   CREDSWEEP_TEST_PASSWORDS=pw_file,
                   CREDSWEEP_TEST_HASH_DUMP=dump_file)
        # Pass 1: an ordinary domain user as bind account (what the README asks for auditing).
        out1 = os.path.join(cls.tmp, "live.json")
        env1 = dict(env, CREDSWEEP_TEST_LDAP_BIND_DN="CN=svc-credsweep,OU=Service," + dc.base_dn,
                    CREDSWEEP_BIND_PASSWORD=PASSWORDS["svc-credsweep"], CREDSWEEP_TEST_OUT=out1,
                    CREDSWEEP_TEST_MODIFY="%s\tpwdLastSet\t0" % ("CN=jdoe,OU=Staff," + dc.base_dn),
                    CREDSWEEP_TEST_MODIFY_EXPECT="denied",
                    CREDSWEEP_TEST_RANGE_GROUP="%s\t5" % cls.five_dn)
        cls.run1 = subprocess.run([cls.bin, "--gtest_filter=LiveDirectory*"], env=env1,
                                  capture_output=True, text=True, timeout=120)
        # Pass 2: the Administrator may force a change (pwdLastSet=0), as `enforce` will.
        env2 = dict(env, CREDSWEEP_TEST_LDAP_BIND_DN=dc.admin_dn,
                    CREDSWEEP_BIND_PASSWORD=dc.admin_password,
                    CREDSWEEP_TEST_MODIFY="%s\tpwdLastSet\t0" % ("CN=consult1,OU=Consultants," + dc.base_dn))
        cls.run2 = subprocess.run([cls.bin, "--gtest_filter=LiveDirectory.ReadEntryAndModifyReplace"],
                                  env=env2, capture_output=True, text=True, timeout=120)
        if not os.path.isfile(out1):
            raise RuntimeError("live test wrote no JSON:\n" + cls.run1.stdout[-4000:] + cls.run1.stderr[-2000:])
        with open(out1) as f:
            return json.load(f)

    # ---- the live GoogleTest passes --------------------------------------------------------
    def test_live_gtests_pass(self):
        self.assertEqual(self.run1.returncode, 0, self.run1.stdout[-4000:] + self.run1.stderr[-2000:])
        self.assertIn("[  PASSED  ] 5 tests", self.run1.stdout)
        self.assertEqual(self.run2.returncode, 0, self.run2.stdout[-4000:] + self.run2.stderr[-2000:])
        self.assertIn("[  PASSED  ] 1 test", self.run2.stdout)
        self.assertEqual(self.dc.read_attrs("consult1", ["pwdLastSet"])["pwdLastSet"], ["0"])
        self.assertNotEqual(self.dc.read_attrs("jdoe", ["pwdLastSet"])["pwdLastSet"], ["0"],
                            "the read-only bind account must not have changed jdoe")

    # ---- accounts and attributes -----------------------------------------------------------
    def acct(self, name):
        self.assertIn(name, self.result["accounts"], sorted(self.result["accounts"]))
        return self.result["accounts"][name]

    def test_every_fixture_account_and_builtin_is_read(self):
        names = set(self.result["accounts"])
        for n in list(PASSWORDS) + ["Administrator", "krbtgt", "Guest", "WS01$", "DC1$"]:
            self.assertIn(n, names)
        self.assertEqual(self.result["skipped"], [])
        self.assertGreater(self.result["pages_at_size_3"], 5)

    def test_staff_account_attributes(self):
        j = self.acct("jdoe")
        self.assertEqual(j["dn"], "CN=jdoe,OU=Staff," + self.dc.base_dn)
        self.assertEqual(j["mail"], "jdoe@corp.example.test")
        self.assertEqual(j["upn"], "jdoe@corp.example.test")
        self.assertEqual(j["display_name"], "Jane Doe")
        self.assertEqual(j["employee_id"], "E100")
        self.assertEqual(j["employee_type"], "staff")
        self.assertTrue(j["enabled"])
        self.assertFalse(j["is_computer"])
        self.assertIsNone(j["expires"], "Samba's default accountExpires (never) maps to none")
        self.assertGreater(j["rid"], 1000)
        self.assertGreater(j["pwd_last_set"], 1_600_000_000)

    def test_uac_flags(self):
        self.assertEqual(self.acct("svc-backup")["uac"] & UAC_DONT_EXPIRE, UAC_DONT_EXPIRE)
        legacy = self.acct("legacy")["uac"]
        self.assertEqual(legacy & UAC_NO_PREAUTH, UAC_NO_PREAUTH)
        self.assertEqual(legacy & UAC_PASSWD_NOTREQD, UAC_PASSWD_NOTREQD)
        self.assertFalse(self.acct("gone")["enabled"])
        self.assertFalse(self.acct("krbtgt")["enabled"])
        self.assertTrue(self.acct("WS01$")["is_computer"])
        self.assertTrue(self.acct("DC1$")["is_computer"])

    def test_expiry_manager_spn_and_must_change(self):
        self.assertEqual(self.acct("consult1")["expires"], FUTURE)
        self.assertEqual(self.acct("consult1")["manager_dn"], self.jdoe)
        self.assertEqual(self.acct("consult1")["employee_type"], "consultant")
        self.assertEqual(self.acct("consult2")["expires"], PAST)
        self.assertTrue(self.acct("consult2")["enabled"], "expired but still enabled")
        self.assertEqual(self.acct("adm-jdoe")["spns"], ["HTTP/adm-tools.corp.example.test"])
        self.assertEqual(self.acct("mustchange")["pwd_last_set"], 0)
        self.assertIn("employeetype", self.acct("consult1")["attribute_names"])

    def test_nested_and_cyclic_groups(self):
        base = self.dc.base_dn
        adm = self.acct("adm-jdoe")["groups"]
        for g in ("CN=Helpdesk Admins,OU=Admins,", "CN=Tier0 Admins,OU=Admins,",
                  "CN=Domain Admins,CN=Users,", "CN=Domain Users,CN=Users,"):
            self.assertIn(g + base, adm)
        # Domain Admins is nested in Administrators (builtin) on a fresh Samba domain.
        self.assertIn("CN=Administrators,CN=Builtin," + base, adm)
        self.assertEqual(len(adm), len(set(adm)))
        jdoe = self.acct("jdoe")["groups"]
        self.assertIn("CN=CycleA,CN=Users," + base, jdoe)
        self.assertIn("CN=CycleB,CN=Users," + base, jdoe)
        self.assertNotIn("CN=Domain Admins,CN=Users," + base, jdoe)
        self.assertEqual(self.result["groups"]["Tier0 Admins"]["managed_by"], self.jdoe)
        self.assertIn("CN=Domain Users,CN=Users," + base, self.acct("legacy")["groups"],
                      "primaryGroupID membership counts")

    # ---- hashes ----------------------------------------------------------------------------
    def test_pdbedit_dump_joins_by_name_with_the_right_hashes(self):
        self.assertEqual(self.result["dump_format"], "smbpasswd")
        for name in PASSWORDS:
            h = self.acct(name)["dump_hash"]
            self.assertTrue(h["present"], name)
            self.assertTrue(h["matches"], "%s: dump hash is not NT(known password)" % name)
            self.assertFalse(h["lm"], name)
        self.assertFalse(self.acct("gone")["dump_hash"]["enabled"])
        self.assertTrue(self.acct("jdoe")["dump_hash"]["enabled"])
        self.assertEqual(self.result["directory_hash_records"], 0,
                         "AD never yields hashes over LDAP")

    def test_runtime_bound(self):
        self.assertLess(time.monotonic() - self.t0, 110)


if __name__ == "__main__":
    sup.main()
