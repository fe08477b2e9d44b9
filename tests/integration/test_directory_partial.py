#!/usr/bin/python3
"""A truncated directory read is an error, never a smaller directory (real slapd, loopback).

Starts slapd with a `limits` rule that caps what the audit account may read, and a referral
entry in another slapd's tree, then runs `credsweep audit` against them. Proves:
  * a read cut short by the server's size limit fails with exit 3, naming the server and what
    happened, and writes no findings — the partial directory is never audited as complete;
  * a continuation reference (part of the tree held elsewhere) fails the same way;
  * [directory] allow_partial = true (documented as not for production) accepts the truncated
    read, and the findings' skipped entries say that the read was partial;
  * the same directory read without the limit succeeds (positive control).

Run: /usr/bin/python3 tests/integration/test_directory_partial.py --binary build/credsweep
"""
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support as sup  # noqa: E402
from servers import _common  # noqa: E402
from servers.slapd import Slapd  # noqa: E402

BINARY = sup.take_binary()
USERS = 12
LIMIT = 5


class PartialReadTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # The audit account may read at most LIMIT entries per search, paged or not.
        cls.ldap = Slapd(extra_conf='limits dn.exact="%s" size=%d size.pr=%d size.prtotal=%d'
                         % (Slapd.auditor_dn, LIMIT, LIMIT, LIMIT))
        cls.open = Slapd()  # the same directory without the limit, for the positive control
        cls.tmp = tempfile.mkdtemp(prefix="credsweep-partial-")
        with sup.cleanup_on_failure(cls.ldap, cls.tmp), sup.cleanup_on_failure(cls.open, cls.tmp):
            cls.ldap.start()
            cls.open.start()
            for server in (cls.ldap, cls.open):
                for i in range(USERS):
                    server.add_user("user%02d" % i, "Pass-%02d-word" % i)

    @classmethod
    def tearDownClass(cls):
        cls.ldap.stop()
        cls.open.stop()
        _common.remove_dir(cls.tmp)

    def audit(self, server, name, extra=""):
        d = os.path.join(self.tmp, name)
        os.makedirs(d, exist_ok=True)
        sup.write_private(os.path.join(d, "bind.pw"), server.auditor_password + "\n")
        cfg = os.path.join(d, "credsweep.toml")
        with open(cfg, "w") as f:
            f.write('[directory]\nurl = "%s"\nflavor = "openldap"\nbase = "%s"\nbind_dn = "%s"\n'
                    'bind_password_file = "bind.pw"\nca_file = "%s"\npage_size = 3\n%s'
                    '[rules]\ndisabled = ["leaked-password"]\n[run]\nstate_dir = "state"\n'
                    % (server.ldap_url, server.base_dn, server.auditor_dn, server.ca_file, extra))
        out = os.path.join(d, "out")
        return sup.run(BINARY, "audit", "--config", cfg, "--out", out), out

    def test_complete_read_without_the_limit(self):
        r, out = self.audit(self.open, "open")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(os.path.join(out, "findings.json")) as f:
            doc = json.load(f)
        self.assertEqual(sum(1 for a in doc["accounts"] if a["account"].startswith("user")), USERS)

    def test_size_limit_is_an_error_naming_the_server(self):
        r, out = self.audit(self.ldap, "limited")
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn(self.ldap.ldap_url, r.stderr)
        self.assertIn("limit", r.stderr.lower())
        self.assertIn("allow_partial", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(out, "findings.json")))

    def test_allow_partial_accepts_it_and_says_so(self):
        r, out = self.audit(self.ldap, "allowed", "allow_partial = true\n")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(os.path.join(out, "findings.json")) as f:
            doc = json.load(f)
        users = [a for a in doc["accounts"] if a["account"].startswith("user")]
        self.assertLess(len(users), USERS)
        self.assertTrue(any("PARTIAL READ" in s["reason"] for s in doc["run"]["skipped_entries"]),
                        doc["run"]["skipped_entries"])

    def test_referral_is_an_error(self):
        # A subtree held by another server: slapd answers with a continuation reference.
        self.open.add_entries("dn: ou=branch,%s\nobjectClass: referral\nobjectClass: "
                              "extensibleObject\nou: branch\nref: ldap://branch.example.test/"
                              "ou=branch,%s\n" % (self.open.base_dn, self.open.base_dn))
        try:
            r, out = self.audit(self.open, "referral")
            self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
            self.assertIn("branch.example.test", r.stderr)
            self.assertFalse(os.path.exists(os.path.join(out, "findings.json")))
        finally:
            self.open._ldap_tool("ldapdelete", "", extra=("-M", "ou=branch," + self.open.base_dn))


if __name__ == "__main__":
    sup.main()
