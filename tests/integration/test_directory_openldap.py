"""The OpenLDAP account and sambaNTPassword hash source against a real slapd.

Starts slapd on loopback with the Samba schema, ppolicy and TLS (tests/servers/slapd.py),
creates inetOrgPerson/posixAccount/sambaSamAccount users with known passwords, groupOfNames
(nested, cyclic) and posixGroup groups, then runs the connector's live GoogleTest
(cs_directory_tests --gtest_filter=LiveDirectory*) and asserts from its JSON: sambaAcctFlags
mapping, sambaKickoffTime/shadowExpire expiry, ppolicy pwdReset and permanent lock,
memberUid/gidNumber/nested membership, sambaNTPassword == NT(known password) (compared
in-process), skipped odd entries, LDAPS/StartTLS, plaintext refused, bad bind, an
ldapsearch LDIF export giving the same snapshot, and least-privilege rights (the audit account
reads hashes and may set pwdReset; an ordinary user may not).

Run: /usr/bin/python3 tests/integration/test_directory_openldap.py --binary build/credsweep
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
from servers.slapd import Slapd  # noqa: E402


BINARY = sup.take_binary()


FUTURE = 1798761600   # 2027-01-01T00:00:00Z
PAST_DAYS = 18262     # shadowExpire 2020-01-01
UAC_NORMAL, UAC_DISABLE, UAC_NOTREQD, UAC_DONT_EXPIRE = 0x200, 0x2, 0x20, 0x10000

PASSWORDS = {  # fixture passwords (test source only; never printed)
    "alice": "Summer2024!",
    "adm-alice": "Adm!n-Al1ce",
    "bob": "Summer2024!",   # shared with alice
    "carl": "",
    "dora": "Consult-Dora-3",
    "eve": "No-Samba-Eve-4",
    "gina": "Locked-Gina-5",
}


class OpenLdapDirectoryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bin = sup.build_target(BINARY, "cs_directory_tests")
        cls.t0 = time.monotonic()
        cls.ldap = Slapd()
        cls.tmp = tempfile.mkdtemp(prefix="credsweep-slapd-test-")
        with sup.cleanup_on_failure(cls.ldap, cls.tmp):
            cls.ldap.start()
            cls._populate()
            cls.result = cls._run_live()

    @classmethod
    def tearDownClass(cls):
        cls.ldap.stop()
        sup.remove_dir(cls.tmp)

    @classmethod
    def _populate(cls):
        s = cls.ldap
        s.add_user("alice", PASSWORDS["alice"], flags="[UX         ]", rid=1201, mail="alice@example.test",
                   employeeNumber="E200", employeeType="staff", displayName="Alice Andersen",
                   pwdReset="TRUE")
        s.add_user("adm-alice", PASSWORDS["adm-alice"], rid=1202, employeeNumber="E200")
        s.add_user("bob", PASSWORDS["bob"], flags="[DU         ]", rid=1203)
        s.add_user("carl", PASSWORDS["carl"], flags="[NU         ]", rid=1204, kickoff=FUTURE)
        s.add_user("dora", PASSWORDS["dora"], rid=1205, shadow_expire=PAST_DAYS,
                   employeeType="consultant", manager=s.user_dn("alice"))
        s.add_user("eve", PASSWORDS["eve"], samba=False)
        s.add_user("frank", "Frank-6", rid=1207, nt_hash="Z" * 32)  # malformed hash value
        s.add_user("gina", PASSWORDS["gina"], rid=1208, pwdAccountLockedTime="000001010000Z")
        s.add_entries("dn: cn=nouid,ou=people,%s\nobjectClass: inetOrgPerson\ncn: nouid\nsn: x\n"
                      % s.base_dn)
        s.add_posix_group("staff", 5000, member_uids=["alice", "bob", "ghost"])
        s.add_posix_group("contractors", 6000, member_uids=["dora"])
        admins = s.add_group("admins", members=["adm-alice"], owner="alice")
        s.add_group("tier0", members=[admins])
        cyc1 = s.add_group("cyc1", members=["carl"])
        cyc2 = s.add_group("cyc2", members=[cyc1])
        s.modify("dn: %s\nchangetype: modify\nadd: member\nmember: %s\n" % (cyc1, cyc2))

    @classmethod
    def _run_live(cls):
        s = cls.ldap
        pw_file = os.path.join(cls.tmp, "passwords.tsv")
        sup.write_private(pw_file, "".join("%s\t%s\n" % kv for kv in PASSWORDS.items()))
        flt = ("(|(objectClass=inetOrgPerson)(objectClass=posixAccount)(objectClass=sambaSamAccount)"
               "(objectClass=account)(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)"
               "(objectClass=posixGroup))")
        ldif_file = os.path.join(cls.tmp, "export.ldif")
        with sup.open_private(ldif_file) as f:
            subprocess.run(["ldapsearch", "-x", "-H", s.ldaps_url, "-D", s.auditor_dn,
                            "-w", s.auditor_password, "-b", s.base_dn, flt, "*", "pwdReset",
                            "pwdChangedTime", "pwdAccountLockedTime"],
                           env=dict(os.environ, LDAPTLS_CACERT=s.ca_file), stdout=f, check=True)
        env = dict(os.environ,
                   CREDSWEEP_TEST_LDAP_URL=s.ldaps_url,
                   CREDSWEEP_TEST_LDAP_STARTTLS_URL=s.ldap_url,
                   CREDSWEEP_TEST_LDAP_BASE=s.base_dn,
                   CREDSWEEP_TEST_LDAP_FLAVOR="openldap",
                   CREDSWEEP_TEST_LDAP_CA_FILE=s.ca_file,
                   CREDSWEEP_TEST_PASSWORDS=pw_file)
        out = os.path.join(cls.tmp, "live.json")
        env1 = dict(env, CREDSWEEP_TEST_LDAP_BIND_DN=s.auditor_dn,
                    CREDSWEEP_BIND_PASSWORD=s.auditor_password, CREDSWEEP_TEST_OUT=out,
                    CREDSWEEP_TEST_LDIF=ldif_file,
                    CREDSWEEP_TEST_MODIFY="%s\tpwdReset\tTRUE" % s.user_dn("dora"))
        cls.run1 = subprocess.run([cls.bin, "--gtest_filter=LiveDirectory*"], env=env1,
                                  capture_output=True, text=True, timeout=120)
        # An ordinary user can read the directory but not the hashes, and cannot force resets.
        out2 = os.path.join(cls.tmp, "live-user.json")
        # (Not alice: her pending pwdReset restricts her to changing the password — ppolicy.)
        env2 = dict(env, CREDSWEEP_TEST_LDAP_BIND_DN=s.user_dn("adm-alice"),
                    CREDSWEEP_BIND_PASSWORD=PASSWORDS["adm-alice"], CREDSWEEP_TEST_OUT=out2,
                    CREDSWEEP_TEST_MODIFY="%s\tpwdReset\tTRUE" % s.user_dn("bob"),
                    CREDSWEEP_TEST_MODIFY_EXPECT="denied")
        cls.run2 = subprocess.run(
            [cls.bin, "--gtest_filter=LiveDirectory.ReadsEverything*:LiveDirectory.ReadEntry*"],
            env=env2, capture_output=True, text=True, timeout=120)
        cls.user_result = cls._load(out2, cls.run2)
        return cls._load(out, cls.run1)

    @staticmethod
    def _load(path, run):
        if not os.path.isfile(path):
            raise RuntimeError("live test wrote no %s:\n%s%s" % (path, run.stdout[-4000:], run.stderr[-2000:]))
        with open(path) as f:
            return json.load(f)

    def acct(self, name):
        self.assertIn(name, self.result["accounts"], sorted(self.result["accounts"]))
        return self.result["accounts"][name]

    def test_live_gtests_pass(self):
        self.assertEqual(self.run1.returncode, 0, self.run1.stdout[-4000:] + self.run1.stderr[-2000:])
        self.assertIn("[  PASSED  ] 4 tests", self.run1.stdout)  # ranged retrieval is AD-only
        self.assertEqual(self.run2.returncode, 0, self.run2.stdout[-4000:] + self.run2.stderr[-2000:])
        self.assertEqual(self.ldap.read_attrs(self.ldap.user_dn("dora"), ["pwdReset"])["pwdReset"], ["TRUE"])
        self.assertEqual(self.ldap.read_attrs(self.ldap.user_dn("bob"), ["pwdReset"])["pwdReset"], [])

    def test_accounts_and_skipped_entries(self):
        self.assertEqual(sorted(self.result["accounts"]),
                         sorted(list(PASSWORDS) + ["frank"]))
        skipped = {(k["dn"], k["reason"]) for k in self.result["skipped"]}
        self.assertEqual(skipped, {
            ("cn=nouid,ou=people," + self.ldap.base_dn, "no uid"),
            (self.ldap.user_dn("frank"), "sambaNTPassword is not 32 hex digits; the hash is ignored"),
        })
        self.assertGreaterEqual(self.result["pages_at_size_3"], 5)  # 15 entries, 3 per page

    def test_samba_flags_expiry_and_ppolicy(self):
        alice = self.acct("alice")
        self.assertEqual(alice["uac"], UAC_NORMAL | UAC_DONT_EXPIRE)
        self.assertEqual(alice["rid"], 1201)
        self.assertEqual(alice["mail"], "alice@example.test")
        self.assertEqual(alice["employee_id"], "E200")
        self.assertEqual(alice["display_name"], "Alice Andersen")
        self.assertTrue(alice["pwd_reset_pending"])
        self.assertIsNone(alice["expires"])
        self.assertFalse(self.acct("bob")["enabled"])
        self.assertEqual(self.acct("carl")["uac"] & UAC_NOTREQD, UAC_NOTREQD)
        self.assertEqual(self.acct("carl")["expires"], FUTURE)
        dora = self.acct("dora")
        self.assertEqual(dora["expires"], PAST_DAYS * 86400)
        self.assertTrue(dora["enabled"], "expired but not disabled")
        self.assertEqual(dora["manager_dn"], self.ldap.user_dn("alice"))
        self.assertEqual(dora["employee_type"], "consultant")
        self.assertFalse(self.acct("gina")["enabled"], "permanent ppolicy lock")
        self.assertIsNone(self.acct("eve")["rid"])
        self.assertFalse(self.acct("adm-alice")["pwd_reset_pending"])

    def test_groups_posix_nested_and_cyclic(self):
        g = lambda cn: "cn=%s,ou=groups,%s" % (cn, self.ldap.base_dn)  # noqa: E731
        self.assertEqual(set(self.acct("adm-alice")["groups"]), {g("staff"), g("admins"), g("tier0")})
        self.assertEqual(set(self.acct("alice")["groups"]), {g("staff")})
        self.assertEqual(set(self.acct("carl")["groups"]), {g("staff"), g("cyc1"), g("cyc2")})
        self.assertEqual(set(self.acct("dora")["groups"]), {g("staff"), g("contractors")})
        self.assertEqual(self.result["groups"]["admins"]["managed_by"], self.ldap.user_dn("alice"))

    def test_samba_nt_password_is_the_nt_hash_of_the_known_password(self):
        self.assertEqual(self.result["directory_hash_records"], 6)
        for name in ("alice", "adm-alice", "bob", "carl", "dora", "gina"):
            h = self.acct(name)["directory_hash"]
            self.assertTrue(h["present"], name)
            self.assertTrue(h["matches"], "%s: sambaNTPassword is not NT(known password)" % name)
        self.assertFalse(self.acct("bob")["directory_hash"]["enabled"])
        self.assertFalse(self.acct("eve")["directory_hash"]["present"])
        self.assertFalse(self.acct("frank")["directory_hash"]["present"])

    def test_ordinary_user_bind_reads_accounts_but_no_hashes(self):
        self.assertEqual(sorted(self.user_result["accounts"]), sorted(self.result["accounts"]))
        self.assertEqual(self.user_result["directory_hash_records"], 0)

    def test_runtime_bound(self):
        self.assertLess(time.monotonic() - self.t0, 60)


if __name__ == "__main__":
    sup.main()
