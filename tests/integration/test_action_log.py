#!/usr/bin/python3
"""The signed action log end to end: written by `credsweep enforce --apply` against a real
slapd (loopback, StartTLS), checked by `credsweep log verify`.

Proves: keygen makes a 0600 secret key and refuses to overwrite it; the log enforce writes is
0600 and verifies (exit 0, entry count and head printed); every kind of tampering is detected
with exit 1 naming the first bad line — a modified entry, a deleted entry, an inserted
(replayed) entry, reordered entries, a truncated tail, a forged re-signature attempt with
another key — and deleting the last entries is caught against the recorded head or count;
enforce refuses to extend a tampered log (exit 3) and makes no change then. A line that is
not in canonical form (a duplicated key, reordered keys) is BAD even though it parses.
"""
import calendar
import json
import os
import shutil
import stat
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support as sup  # noqa: E402
from servers import _common  # noqa: E402
from servers.slapd import Slapd  # noqa: E402

BINARY = sup.take_binary()


def cli(*args):
    return sup.run(BINARY, *args)


class ActionLogTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="credsweep-actionlog-")
        cls.key = os.path.join(cls.dir, "log.key")
        r = cli("log", "keygen", "--out", cls.key)
        assert r.returncode == 0, r.stderr
        cls.keygen_stdout = r.stdout
        cls.log = os.path.join(cls.dir, "state", "actions.log")
        cls.ldap = Slapd().start()
        try:
            cls._enforce_once()
        except BaseException:
            cls.ldap.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.ldap.stop()
        _common.remove_dir(cls.dir)

    @classmethod
    def _enforce_once(cls):
        accounts, findings = [], []
        for name, cls_ in (("u1", "regular"), ("u2", "regular"), ("u3", "regular"),
                           ("svc1", "service")):
            dn = cls.ldap.add_user(name, "Leaked-%s-1" % name)
            s = {"account": name, "dn": dn, "enabled": True, "class": cls_, "classes": [cls_],
                 "smartcard_required": False, "owner_mail": "", "owner_source": ""}
            s.update(cls.identity(dn))
            accounts.append(s)
            findings.append({"rule": "leaked-password", "requirement": "S12",
                             "severity": "critical", "account": name, "dn": dn, "enabled": True,
                             "class": cls_, "detail": "leaked", "waived": False})
        # The rest of the 40 audited accounts (the safety cap is 10 % of those).
        accounts += [{"account": "clean%d" % i, "dn": "uid=clean%d,%s" % (i, cls.ldap.people_dn),
                      "class": "regular"} for i in range(36)]
        cls.findings = os.path.join(cls.dir, "findings")
        os.makedirs(cls.findings)
        with open(os.path.join(cls.findings, "findings.json"), "w") as f:
            json.dump({"format": "credsweep-findings", "version": 1,
                       "run": {"id": "run-log-test", "started_at": "2026-11-22T13:20:00Z",
                               "flavor": "openldap", "accounts_checked": 40},
                       "accounts": accounts, "findings": findings}, f)
        # 0600: credsweep refuses a password file others can read.
        sup.write_private(os.path.join(cls.dir, "bind.pw"), cls.ldap.auditor_password)
        cls.config = os.path.join(cls.dir, "credsweep.toml")
        with open(cls.config, "w") as f:
            f.write('[directory]\nurl = "%s"\nflavor = "openldap"\nbase = "%s"\nbind_dn = "%s"\n'
                    'bind_password_file = "bind.pw"\nca_file = "%s"\n'
                    '[log]\nsigning_key = "log.key"\n[run]\nstate_dir = "state"\n'
                    % (cls.ldap.ldap_url, cls.ldap.base_dn, cls.ldap.auditor_dn, cls.ldap.ca_file))
        r = cli("enforce", "--config", cls.config, "--findings", cls.findings, "--apply")
        assert r.returncode == 0, r.stdout + r.stderr
        with open(cls.log) as f:
            cls.lines = f.read().splitlines(keepends=True)
        # 1 skip (service) + 3 forced changes, each an intent and its outcome.
        assert len(cls.lines) == 7, cls.lines

    @classmethod
    def identity(cls, dn):
        """object_id and pwd_last_set as the audit records them (entryUUID, pwdChangedTime)."""
        a = cls.ldap.read_attrs(dn, ["entryUUID", "pwdChangedTime"])
        t = a["pwdChangedTime"][0] if a["pwdChangedTime"] else None
        return {"object_id": a["entryUUID"][0],
                "pwd_last_set": calendar.timegm(time.strptime(t[:14], "%Y%m%d%H%M%S")) if t else None}

    def verify(self, path, *extra, pub=None):
        return cli("log", "verify", "--log", path, "--pubkey", pub or self.key + ".pub", *extra)

    def tampered(self, lines):
        path = os.path.join(self.dir, "tampered-%s.log" % self._testMethodName)
        with open(path, "w") as f:
            f.write("".join(lines))
        return path

    def assertBad(self, r, line):
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("BAD:", r.stdout)
        self.assertRegex(r.stdout, r" line %d[ :]" % line)

    def test_keys_and_log_are_private_and_keygen_never_overwrites(self):
        self.assertEqual(stat.S_IMODE(os.stat(self.key).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(self.log).st_mode), 0o600)
        with open(self.key + ".pub") as f:
            pub = f.read().split()[-1]
        self.assertIn(pub, self.keygen_stdout)
        with open(self.key, "rb") as f:
            before = f.read()
        r = cli("log", "keygen", "--out", self.key)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("refusing to overwrite", r.stderr)
        with open(self.key, "rb") as f:
            self.assertEqual(f.read(), before)

    def test_intact_log_verifies(self):
        r = self.verify(self.log)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("OK: 7 entries verified, head ", r.stdout)
        head = json.loads(self.lines[-1])["hash"]
        self.assertIn(head, r.stdout)
        entries = [json.loads(x) for x in self.lines]
        self.assertEqual([e["seq"] for e in entries], list(range(1, 8)))
        self.assertEqual(entries[0]["action"], "skip")
        self.assertEqual([e["action"] for e in entries[1:]],
                         ["force-change-intent", "force-change"] * 3)
        self.assertEqual(entries[1]["actor"]["id"], self.ldap.auditor_dn)
        self.assertTrue(all(e["time"].endswith("Z") for e in entries))
        r = self.verify(self.log, "--expect-head", head, "--expect-count", "7")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_modified_entry(self):
        lines = list(self.lines)
        lines[2] = lines[2].replace('"force-change"', '"skip"')
        r = self.verify(self.tampered(lines))
        self.assertBad(r, 3)
        self.assertIn("(seq 3)", r.stdout)
        self.assertIn("modified", r.stdout)

    def test_deleted_entry(self):
        lines = list(self.lines)
        del lines[1]
        r = self.verify(self.tampered(lines))
        self.assertBad(r, 2)
        self.assertIn("deleted", r.stdout)

    def test_inserted_entry(self):
        lines = list(self.lines)
        lines.insert(2, lines[1])  # a validly signed entry replayed
        self.assertBad(self.verify(self.tampered(lines)), 3)

    def test_reordered_entries(self):
        lines = list(self.lines)
        lines[1], lines[2] = lines[2], lines[1]
        r = self.verify(self.tampered(lines))
        self.assertBad(r, 2)
        self.assertIn("reordered", r.stdout)

    def test_truncated_tail(self):
        text = "".join(self.lines)
        r = self.verify(self.tampered([text[:-30]]))
        self.assertBad(r, 7)
        self.assertIn("truncated", r.stdout)

    def test_deleted_last_entry_needs_the_recorded_head(self):
        head = json.loads(self.lines[-1])["hash"]
        # Dropping only the last outcome leaves its intent open: reported, exit 1.
        r = self.verify(self.tampered(self.lines[:-1]))
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("UNFINISHED: seq 6 force-change-intent", r.stdout)
        # Dropping an intent with its outcome leaves a shorter chain that is still a chain ...
        path = self.tampered(self.lines[:-2])
        self.assertEqual(self.verify(path).returncode, 0)
        # ... which only the recorded head or count catches.
        r = self.verify(path, "--expect-head", head)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("expected head", r.stdout)
        r = self.verify(path, "--expect-count", "7")
        self.assertEqual(r.returncode, 1, r.stdout)
        r = self.verify(self.tampered([]), "--expect-count", "7")  # emptied
        self.assertEqual(r.returncode, 1, r.stdout)

    def test_duplicate_key_or_reordered_keys_are_bad(self):
        # Both lines parse to an entry whose hash and signature check out after re-serialising;
        # only the bytes show the tampering.
        lines = list(self.lines)
        lines[2] = '{"account":"someone-else",' + lines[2][1:]
        r = self.verify(self.tampered(lines))
        self.assertBad(r, 3)
        self.assertIn("canonical", r.stdout)
        entry = json.loads(self.lines[2])
        lines = list(self.lines)
        lines[2] = json.dumps(dict(reversed(list(entry.items()))), separators=(",", ":"),
                              ensure_ascii=False) + "\n"
        r = self.verify(self.tampered(lines))
        self.assertBad(r, 3)
        self.assertIn("canonical", r.stdout)

    def test_wrong_public_key(self):
        other = os.path.join(self.dir, "other.key")
        self.assertEqual(cli("log", "keygen", "--out", other).returncode, 0)
        r = self.verify(self.log, pub=other + ".pub")
        self.assertBad(r, 1)
        self.assertIn("signature", r.stdout)

    def test_enforce_refuses_to_extend_a_tampered_log(self):
        backup = self.log + ".orig"
        shutil.copy2(self.log, backup)
        try:
            with open(self.log, "w") as f:
                f.write("".join(self.lines)[:-5])
            dn = self.ldap.add_user("late", "Leaked-late-1")
            with open(os.path.join(self.findings, "findings.json")) as f:
                doc = json.load(f)
            doc["accounts"].append({"account": "late", "dn": dn, "class": "regular"})
            doc["findings"].append({"rule": "leaked-password", "requirement": "S12",
                                    "severity": "critical", "account": "late", "dn": dn,
                                    "class": "regular", "enabled": True, "waived": False})
            late = os.path.join(self.dir, "findings-late")
            os.makedirs(late, exist_ok=True)
            with open(os.path.join(late, "findings.json"), "w") as f:
                json.dump(doc, f)
            r = cli("enforce", "--config", self.config, "--findings", late, "--apply")
            self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
            self.assertIn("refusing to append", r.stderr)
            self.assertEqual(self.ldap.read_attrs(dn, ["pwdReset"])["pwdReset"], [])
        finally:
            shutil.move(backup, self.log)


if __name__ == "__main__":
    sup.main()
