"""Hashes straight from the DC (MS-DRSR replication) and fail-closed hash coverage, against a
real Samba AD DC on loopback (tests/servers/samba_dc.py with RPC and KDC).

What it proves:
  * replication returns, for every account, exactly the NT hash and LM presence the DC holds
    (`pdbedit -L -w`, compared in-process by cs_replication_tests LiveReplication*) and the
    password history of the fixture's known passwords — over NTLM and over Kerberos;
  * `credsweep audit` with [hashes] source = "replication" gives the same findings as with the
    pdbedit dump, records DC / NC / high-water mark / coverage, and no file under the temp dir,
    the state dir or /tmp written during the run holds a fixture hash;
  * an account without the replication rights, a wrong password and an unreachable DC each
    exit 3 with their own message and no hash in any output;
  * after one user's password change, `audit --changed` fetches exactly that account and
    reports its new state;
  * `run --changed` (the whole monthly job as a daily delta): refused with "run a full" before
    any full run; after a full run and one password change it checks that one account, plans
    its forced change, and its findings.json, run record, summary line and report all say
    "delta" (the month's full report stays as it was); no fixture hash in any output or state
    file;
  * coverage: an empty dump, another domain's dump, duplicate records and a dump via a pipe —
    exit codes and messages.

Run: /usr/bin/python3 tests/integration/test_replication_samba.py --binary build/credsweep
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

# Fixture passwords (never printed). "Drsr" makes each hash unique to this test, so the /tmp
# scan cannot trip over another test's files.
LEAKED = ["Drsr-Summer-2024", "Drsr-legacy"]
P = {
    "alice": "Drsr-Summer-2024",       # leaked, shared with bob
    "bob": "Drsr-Summer-2024",
    "carol": "Drsr-Carol-Unique-1",
    "dave": "Drsr-legacy",             # leaked
    "erin": "Drsr-Erin-Unique-2",
    "svc-repl": "Drsr-Repl-Account-9",  # holds the replication rights
    "svc-plain": "Drsr-Plain-Account-8",  # an ordinary user: no replication rights
}
HISTORY = ["Drsr-Hist-Newest-3", "Drsr-Hist-Middle-2", "Drsr-Hist-Oldest-1"]  # newest first
CHANGED_TO = "Drsr-legacy"  # erin's / carol's new password in the --changed tests: a leaked one


def unused_loopback():
    """A 127.0.0.N with nothing listening on 135 (the DC-down case)."""
    for n in range(250, 200, -1):
        ip = "127.0.0.%d" % n
        if _common.port_free(ip, 135):
            return ip
    raise RuntimeError("no unused loopback address")


class ReplicationSambaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="credsweep-repl-samba-")
        cls.dc = SambaDC(services="ldap rpc kdc")
        with sup.cleanup_on_failure(cls.dc, cls.tmp):
            cls.dc.start()
            cls._populate()
            cls._prepare()

    @classmethod
    def tearDownClass(cls):
        cls.dc.stop()
        sup.remove_dir(cls.tmp)

    @classmethod
    def _populate(cls):
        dc = cls.dc
        for name, pw in P.items():
            dc.add_user(name, pw)
        dc.grant_replication("svc-repl")
        # Password history: the template keeps none; keep 3 and change frank's password thrice.
        dc.set_attrs(dc.base_dn, pwdHistoryLength=3)
        dc.add_user("frank", "Drsr-Frank-Initial-0")
        for pw in reversed(HISTORY):
            dc.set_password("frank", pw)
        dc.add_computer("WS01")

    @classmethod
    def _prepare(cls):
        dc, tmp = cls.dc, cls.tmp
        words = sup.write_private(os.path.join(tmp, "words.txt"), "\n".join(LEAKED) + "\n")
        cls.store = os.path.join(tmp, "store")
        sup.import_words(BINARY, cls.store, words)
        # The pdbedit dump lives in its own folder, left out of the leak scan (it IS the hashes).
        cls.dump_dir = os.path.join(tmp, "dump")
        os.makedirs(cls.dump_dir, mode=0o700)
        cls.dump_text = dc.dump_hashes()
        cls.dump = sup.write_private(os.path.join(cls.dump_dir, "pdbedit.txt"), cls.dump_text)
        cls.pw_file = sup.write_private(os.path.join(tmp, "repl.pw"), P["svc-repl"] + "\n")
        cls.plain_pw = sup.write_private(os.path.join(tmp, "plain.pw"), P["svc-plain"] + "\n")
        cls.bad_pw = sup.write_private(os.path.join(tmp, "bad.pw"), "Not-The-Password-1\n")
        cls.state = os.path.join(tmp, "state")
        cls.hashes = sorted({sup.nt_hash_hex(pw) for pw in
                             list(P.values()) + HISTORY + ["Drsr-Frank-Initial-0"]})

    def config(self, name, hashes_section, state=None):
        dc = self.dc
        text = f"""
[store]
path = "{self.store}"

[directory]
url = "{dc.ldaps_url}"
flavor = "ad"
base = "{dc.base_dn}"
bind_dn = "svc-repl@{dc.realm.lower()}"
bind_password_file = "{self.pw_file}"
ca_file = "{dc.ca_file}"

[hashes]
{hashes_section}

[run]
state_dir = "{state or self.state}"
"""
        return sup.write_private(os.path.join(self.tmp, name + ".toml"), text)

    def audit(self, config, out, *extra, stdin=None):
        args = [BINARY, "audit", "--config", config, "--out", out, *extra]
        return subprocess.run(args, capture_output=True, text=True, timeout=120, input=stdin)

    def assert_no_hash_in(self, *streams):
        for s in streams:
            # A count, not the list: a failing assertion must not print the hashes either.
            self.assertEqual(sum(h in s.upper() for h in self.hashes), 0, "NT hash printed")

    # ---- replication is exact ------------------------------------------------------------------
    def live(self, kerberos):
        dc = self.dc
        out = os.path.join(self.tmp, "live-%s.json" % ("krb" if kerberos else "ntlm"))
        env = dict(os.environ,
                   CREDSWEEP_TEST_DC=dc.ip,
                   CREDSWEEP_TEST_DC_HOSTNAME="dc1." + dc.realm.lower(),
                   CREDSWEEP_TEST_REPL_USER=("svc-repl@" + dc.realm) if kerberos
                   else (dc.domain + "\\svc-repl"),
                   CREDSWEEP_BIND_PASSWORD=P["svc-repl"],
                   CREDSWEEP_TEST_HASH_DUMP=self.dump,
                   CREDSWEEP_TEST_HISTORY="\n".join(
                       ["frank\t" + "\t".join(HISTORY)] +
                       ["%s\t%s" % (n, pw) for n, pw in P.items()]),
                   CREDSWEEP_TEST_OUT=out)
        if kerberos:
            krb5 = sup.write_private(os.path.join(self.tmp, "krb5.conf"), (
                "[libdefaults]\n default_realm = %s\n dns_lookup_realm = false\n"
                " dns_lookup_kdc = false\n[realms]\n %s = {\n  kdc = %s\n }\n")
                % (dc.realm, dc.realm, dc.ip))
            env.update(CREDSWEEP_TEST_KERBEROS="1", KRB5_CONFIG=krb5)
        binary = sup.build_target(BINARY, "cs_replication_tests")
        r = subprocess.run([binary, "--gtest_filter=LiveReplication*"], env=env,
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr[-2000:])
        self.assertNotIn("SKIPPED", r.stdout)
        self.assert_no_hash_in(r.stdout, r.stderr)
        with open(out) as f:
            return json.load(f)

    def check_live(self, got):
        dc_accounts = sum(1 for line in self.dump_text.splitlines()
                          if line.count(":") >= 6 and line.split(":")[3] != "X" * 32)
        self.assertGreaterEqual(dc_accounts, 11)  # 8 users, krbtgt, Administrator, DC1$, dns
        self.assertEqual(got["dc_accounts"], dc_accounts)
        self.assertEqual(got["matched"], dc_accounts)
        self.assertEqual(got["mismatched"], 0)
        self.assertEqual(got["missing"], 0)
        self.assertEqual(got["replicated_accounts"], dc_accounts)
        self.assertEqual(got["lm_differs"], 0)
        self.assertEqual(got["history_checked"], 2)   # frank's two previous passwords
        self.assertEqual(got["history_matched"], 2)
        self.assertEqual(got["naming_context"], self.dc.base_dn)
        self.assertGreater(got["highest_usn"], 0)

    def test_replication_over_ntlm_matches_the_dc(self):
        self.check_live(self.live(kerberos=False))

    def test_replication_over_kerberos_matches_the_dc(self):
        self.check_live(self.live(kerberos=True))

    # ---- audit: same findings as the dump, nothing on disk ---------------------------------------
    def test_audit_replication_equals_audit_dump_and_leaves_no_hash(self):
        dump_cfg = self.config("dump", 'file = "%s"' % self.dump, state=os.path.join(self.tmp, "s1"))
        r1 = self.audit(dump_cfg, os.path.join(self.tmp, "out-dump"))
        self.assertEqual(r1.returncode, 0, r1.stderr)
        _, by_dump = sup.findings_by_account(os.path.join(self.tmp, "out-dump"))

        started = time.time()
        state = os.path.join(self.tmp, "s2")
        repl_cfg = self.config("repl", 'source = "replication"', state=state)
        out = os.path.join(self.tmp, "out-repl")
        r2 = self.audit(repl_cfg, out)
        self.assertEqual(r2.returncode, 0, r2.stderr)
        doc, by_repl = sup.findings_by_account(out)
        self.assertEqual(by_repl, by_dump)
        self.assertEqual(by_repl.get("alice"), ["leaked-password", "shared-password"])
        self.assertEqual(by_repl.get("dave"), ["leaked-password"])
        hm = doc["run"]["hash_material"]
        self.assertEqual(hm["source"], "replication")
        self.assertEqual(hm["dc"], self.dc.ip)
        self.assertEqual(hm["naming_context"], self.dc.base_dn)
        self.assertGreater(hm["highwatermark"], 0)
        self.assertEqual(hm["accounts_covered"], hm["accounts_expected"])
        self.assertGreaterEqual(hm["accounts_expected"], 9)
        self.assertIn("replicated from DC " + self.dc.ip, r2.stdout)
        self.assertTrue(os.path.isfile(os.path.join(state, "replication", "state.json")))
        self.assert_no_hash_in(r2.stdout, r2.stderr)
        # No file under the temp dir (minus the reference dump, and the corpus store, which
        # holds the leaked ones' hashes by design), the state dir, or /tmp written since the
        # replication run started holds a fixture hash.
        hits = [h for h in sup.scan_for_hashes(self.tmp, self.hashes)
                if not h[0].startswith(("dump" + os.sep, "store" + os.sep))]
        self.assertEqual(hits, [], "fixture hash on disk (file, hash #)")
        fresh = []
        for root, dirs, files in os.walk("/tmp"):
            dirs[:] = [d for d in dirs if os.path.join(root, d) not in (self.dc.dir, self.tmp)]
            for n in files:
                p = os.path.join(root, n)
                try:
                    if os.path.isfile(p) and not os.path.islink(p) and os.path.getmtime(p) >= started:
                        fresh.append(p)
                except OSError:
                    pass
        leaked_files = []
        for p in fresh:
            try:
                with open(p, "rb") as f:
                    data = f.read(50_000_000)
            except OSError:
                continue
            for i, h in enumerate(self.hashes):
                if h.encode() in data.upper() or bytes.fromhex(h) in data:
                    leaked_files.append((p, i))
        self.assertEqual(leaked_files, [], "fixture hash in a fresh file under /tmp")

    # ---- rights and errors ------------------------------------------------------------------------
    def test_account_without_rights_names_the_right(self):
        cfg = self.config("norights", 'source = "replication"\nusername = "%s\\\\svc-plain"\n'
                          'password_file = "%s"' % (self.dc.domain, self.plain_pw),
                          state=os.path.join(self.tmp, "s3"))
        r = self.audit(cfg, os.path.join(self.tmp, "out-norights"))
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("Replicating Directory Changes", r.stderr)
        self.assertIn("svc-plain", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "out-norights", "findings.json")))
        self.assert_no_hash_in(r.stdout, r.stderr)

    def test_wrong_password(self):
        cfg = self.config("badpw", 'source = "replication"\npassword_file = "%s"' % self.bad_pw,
                          state=os.path.join(self.tmp, "s4"))
        r = self.audit(cfg, os.path.join(self.tmp, "out-badpw"))
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("refused the credentials of svc-repl@", r.stderr)
        self.assertNotIn("Not-The-Password-1", r.stderr + r.stdout)
        self.assert_no_hash_in(r.stdout, r.stderr)

    def test_dc_down(self):
        ip = unused_loopback()
        cfg = self.config("down", 'source = "replication"\ndc = "%s"' % ip,
                          state=os.path.join(self.tmp, "s5"))
        r = self.audit(cfg, os.path.join(self.tmp, "out-down"))
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("cannot reach DC " + ip, r.stderr)
        self.assert_no_hash_in(r.stdout, r.stderr)

    # ---- --changed ---------------------------------------------------------------------------------
    def test_changed_fetches_only_the_changed_account(self):
        state = os.path.join(self.tmp, "s6")
        cfg = self.config("changed", 'source = "replication"', state=state)
        no_state = self.audit(cfg, os.path.join(self.tmp, "out-ch0"), "--changed")
        self.assertEqual(no_state.returncode, 3, no_state.stderr)
        self.assertIn("run a full", no_state.stderr)
        full = self.audit(cfg, os.path.join(self.tmp, "out-ch1"))
        self.assertEqual(full.returncode, 0, full.stderr)
        _, before = sup.findings_by_account(os.path.join(self.tmp, "out-ch1"))
        self.assertNotIn("leaked-password", before.get("erin", []))

        self.dc.set_password("erin", CHANGED_TO)
        try:
            out = os.path.join(self.tmp, "out-ch2")
            r = self.audit(cfg, out, "--changed")
            self.assertEqual(r.returncode, 0, r.stderr)
            doc, after = sup.findings_by_account(out)
            hm = doc["run"]["hash_material"]
            self.assertTrue(hm["changed_only"])
            self.assertEqual(hm["accounts_fetched"], 1)
            self.assertIn("leaked-password", after.get("erin", []))
            leaked = sorted(a for a, rules in after.items() if "leaked-password" in rules)
            self.assertEqual(leaked, ["erin"])  # alice/dave did not change: not fetched
            self.assert_no_hash_in(r.stdout, r.stderr)
        finally:
            self.dc.set_password("erin", P["erin"])

    def run_job(self, config, *extra):
        # Not a terminal: `credsweep run` prints exactly one summary line.
        return subprocess.run([BINARY, "run", "--config", config, *extra], capture_output=True,
                              text=True, timeout=180)

    def test_run_changed_checks_the_changed_account_and_says_delta(self):
        state = os.path.join(self.tmp, "s7")
        # A full run plans alice, bob and dave: lift the default 10 % cap of this tiny domain.
        cfg = self.config("run-changed", 'source = "replication"\n\n[remediation]\n'
                          'max_forced_changes = 10', state=state)
        history = os.path.join(state, "history")

        def records():
            out = []
            for name in sorted(os.listdir(history)):
                with open(os.path.join(history, name)) as f:
                    out.append(json.load(f))
            return sorted(out, key=lambda r: (r["started_at"], r["id"]))

        no_state = self.run_job(cfg, "--changed")
        self.assertEqual(no_state.returncode, 3, no_state.stderr)
        self.assertIn("run a full `credsweep run`", no_state.stderr)
        self.assertEqual(no_state.stdout, "")
        self.assertEqual([(r["scope"], r["stages"][-1]["state"]) for r in records()],
                         [("delta", "failed")])

        full = self.run_job(cfg)
        self.assertEqual(full.returncode, 0, full.stderr)
        self.assertNotIn("DELTA", full.stdout)
        month = time.strftime("%Y-%m", time.gmtime())
        monthly = os.path.join(state, "reports", month)
        with open(os.path.join(monthly, "report.html")) as f:
            monthly_html = f.read()
        _, before = sup.findings_by_account(monthly)
        self.assertNotIn("leaked-password", before.get("carol", []))

        self.dc.set_password("carol", CHANGED_TO)
        try:
            r = self.run_job(cfg, "--changed")
        finally:
            self.dc.set_password("carol", P["carol"])
        self.assertEqual(r.returncode, 0, r.stderr)
        line = r.stdout.strip()
        self.assertEqual(len(r.stdout.splitlines()), 1, r.stdout)
        self.assertRegex(line, r"^credsweep run delta-\S+: DELTA \(only accounts whose password "
                               r"changed since the last full run\), dry run, 1 accounts, ")
        self.assertIn("1 changes planned", line)

        # findings.json: only carol, her new (leaked) state, marked as a delta.
        out = os.path.join(monthly, "changed-" + time.strftime("%Y-%m-%d", time.gmtime()))
        self.assertTrue(line.endswith("report " + os.path.join(out, "report.html")), line)
        doc, after = sup.findings_by_account(out)
        self.assertEqual(doc["run"]["scope"], "delta")
        self.assertEqual(doc["run"]["accounts_checked"], 1)
        self.assertEqual([a["account"] for a in doc["accounts"]], ["carol"])
        self.assertEqual(list(after), ["carol"])
        self.assertIn("leaked-password", after["carol"])
        hm = doc["run"]["hash_material"]
        self.assertTrue(hm["changed_only"])
        self.assertEqual(hm["accounts_fetched"], 1)
        self.assertGreater(hm["highwatermark"], hm["since_highwatermark"])

        # The run history: the full run and the delta, each saying which it was.
        recs = records()
        self.assertEqual([x["scope"] for x in recs], ["delta", "full", "delta"])
        full_rec, delta_rec = recs[1], recs[2]
        self.assertGreaterEqual(full_rec["accounts_checked"], 9)
        self.assertEqual(delta_rec["accounts_checked"], 1)
        self.assertEqual(delta_rec["counts"]["leaked-password"], 1)
        self.assertEqual(delta_rec["actions"]["planned"], 1)
        self.assertEqual(delta_rec["report_dir"], out)

        # The report: a delta in its header and evidence, naming the full run it builds on; the
        # month's full report is untouched.
        with open(os.path.join(out, "report.html")) as f:
            html = f.read()
        self.assertIn("delta — changed accounts only", html)
        self.assertIn("1 accounts checked: only those whose password changed since the last full "
                      "run", html)
        self.assertIn("This is not the monthly evidence; the last full run is "
                      "<span class=\"mono\">%s</span>" % full_rec["id"], html)
        with open(os.path.join(out, "report.json")) as f:
            self.assertEqual(json.load(f)["run"]["scope"], "delta")
        with open(os.path.join(monthly, "report.html")) as f:
            self.assertEqual(f.read(), monthly_html)

        # No fixture hash anywhere in the state dir (findings, reports, outbox, history,
        # replication state) or on the terminal.
        self.assertEqual(sup.scan_for_hashes(state, self.hashes), [], "fixture hash on disk")
        for res in (no_state, full, r):
            self.assert_no_hash_in(res.stdout, res.stderr)

    # ---- coverage, fail closed ---------------------------------------------------------------------
    def dump_config(self, name, path):
        return self.config(name, 'file = "%s"' % path, state=os.path.join(self.tmp, "s-" + name))

    def test_coverage_empty_dump(self):
        empty = sup.write_private(os.path.join(self.tmp, "empty.txt"), "# nothing\n")
        r = self.audit(self.dump_config("empty", empty), os.path.join(self.tmp, "out-empty"))
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("holds no hash records", r.stderr)

    def test_coverage_dump_of_another_domain(self):
        lm = "aad3b435b51404eeaad3b435b51404ee"
        other = "".join("other%02d:%d:%s:%s:::\n" % (i, 3000 + i, lm, sup.nt_hash_hex("x%d" % i))
                        for i in range(20))
        # One real account so it is "some" coverage, not none.
        line = [x for x in self.dump_text.splitlines() if x.lower().startswith("alice:")][0]
        f = line.split(":")
        other += "alice:1999:%s:%s:::\n" % (lm, f[3])
        path = sup.write_private(os.path.join(self.dump_dir, "other.txt"), other)
        r = self.audit(self.dump_config("other", path), os.path.join(self.tmp, "out-other"))
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertRegex(r.stderr, r"hash material covers 1 of \d+ enabled user accounts")
        self.assertIn("is the dump from this domain", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "out-other", "findings.json")))
        self.assert_no_hash_in(r.stdout, r.stderr)

    def test_coverage_duplicate_records(self):
        lines = self.dump_text.splitlines()
        i = [n for n, x in enumerate(lines) if x.lower().startswith("bob:")][0]
        dup = "\n".join(lines + [lines[i]]) + "\n"
        path = sup.write_private(os.path.join(self.dump_dir, "dup.txt"), dup)
        r = self.audit(self.dump_config("dup", path), os.path.join(self.tmp, "out-dup"))
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("dup.txt:%d: a second record for account 'bob'; the first is line %d"
                      % (len(lines) + 1, i + 1), r.stderr)
        self.assert_no_hash_in(r.stdout, r.stderr)

    def test_coverage_dump_via_pipe_is_read_in_full(self):
        r = self.audit(self.dump_config("pipe", "/dev/stdin"), os.path.join(self.tmp, "out-pipe"),
                       stdin=self.dump_text)
        self.assertEqual(r.returncode, 0, r.stderr)
        doc, by = sup.findings_by_account(os.path.join(self.tmp, "out-pipe"))
        hm = doc["run"]["hash_material"]
        self.assertEqual(hm["accounts_covered"], hm["accounts_expected"])
        self.assertEqual(by.get("dave"), ["leaked-password"])


if __name__ == "__main__":
    sup.main()
