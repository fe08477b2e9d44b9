"""The demo as a user runs it: `bash tools/demo.sh BINARY` end to end, no server.

Asserts what the demo promises (README command 1, issue 5):
  * every rule id of DESIGN.md's rule table appears in findings.json at least once;
  * report.html exists (0600), is one self-contained file and has every section;
  * a second run adds a point to the run history (and to the report's trend);
  * no NT or LM hash of the demo dump, and no demo password, appears in any file the run wrote
    or in anything the demo printed;
  * `credsweep run` prints one summary line when stdout is not a terminal;
  * a second concurrent run is refused with a message naming the lock holder's PID.

Run: /usr/bin/python3 tests/integration/test_run_demo.py --binary build/credsweep
"""
import csv
import fcntl
import glob
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support as sup  # noqa: E402
from support import REPO  # noqa: E402

BINARY = sup.take_binary()
OUT = sup.output_dir(BINARY, "run_demo")
WORK = os.path.join(OUT, "demo")

# DESIGN.md "Rule ids (stable; reports, config and tests use them)".
RULE_IDS = [
    "leaked-password", "empty-password", "lm-hash-stored", "shared-password",
    "admin-shares-password", "admin-not-separate", "admin-no-expiry", "external-no-expiry",
    "external-expiry-too-long", "external-expired-enabled", "external-no-sponsor",
    "password-never-expires", "password-not-required", "reversible-encryption",
    "preauth-not-required", "kerberoastable-admin", "stale-account", "auth-level-below-required",
    "guessable-password", "password-is-username", "default-computer-password", "admin-delegatable",
    "unconstrained-delegation", "kerberos-des-only", "krbtgt-password-old", "admin-password-old",
]


def run_demo():
    env = dict(os.environ, CREDSWEEP_DEMO_DIR=WORK)
    return subprocess.run(["bash", os.path.join(REPO, "tools", "demo.sh"), BINARY],
                          capture_output=True, text=True, env=env, timeout=300)


def reports_dir():
    found = sorted(glob.glob(os.path.join(WORK, "state", "reports", "*", "report.html")))
    return os.path.dirname(found[-1]) if found else None


class RunDemoTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(OUT, ignore_errors=True)
        os.makedirs(OUT)
        cls.first = run_demo()
        with open(os.path.join(OUT, "demo-first-run.log"), "w") as f:
            f.write(cls.first.stdout + cls.first.stderr)

    def setUp(self):
        self.assertEqual(self.first.returncode, 0,
                         "demo failed; see %s" % os.path.join(OUT, "demo-first-run.log"))

    def test_every_rule_of_the_design_fires_at_least_once(self):
        with open(os.path.join(reports_dir(), "findings.json")) as f:
            doc = json.load(f)
        seen = {x["rule"] for x in doc["findings"]}
        missing = [r for r in RULE_IDS if r not in seen]
        self.assertEqual(missing, [], "rules without a finding in the demo")
        # The rule table in DESIGN.md, when it is beside the checkout, names the same ids.
        design = os.path.join(os.path.dirname(REPO), "shared", "DESIGN.md")
        if os.path.exists(design):
            with open(design) as f:
                ids = set(re.findall(r"^\| `([a-z-]+)` \|", f.read(), re.M))
            self.assertEqual(ids, set(RULE_IDS))
        self.assertGreaterEqual(doc["run"]["accounts_checked"], 40)
        self.assertLessEqual(doc["run"]["accounts_checked"], 80)
        # The waiver of the exceptions register is kept and marked, with its expiry.
        waived = [x for x in doc["findings"] if x.get("waived")]
        self.assertTrue(any(x["account"] == "kpou" and x["rule"] == "password-never-expires"
                            and x["waiver"]["expires"] == "2027-12-31" for x in waived))

    def test_report_is_one_private_self_contained_file_with_every_section(self):
        path = os.path.join(reports_dir(), "report.html")
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        with open(path, encoding="utf-8") as f:
            html = f.read()
        for section in ("summary", "requirements", "leaked", "guessable", "shared", "privileged",
                        "external",
                        "actions", "trend", "waived", "findings", "evidence"):
            self.assertTrue('<section id="%s"' % section in html, section)
        # The demo has a display name holding a script tag: it must arrive as text.
        self.assertFalse("<script" in html, "unescaped <script in report.html")
        self.assertTrue("&lt;script&gt;" in html, "escaped display name missing")
        self.assertIsNone(re.search(r"(src|href)\s*=|url\(|https?://|@import", html))
        # Evidence: the corpus version the demo imported and the verify command.
        self.assertTrue("demo-common-passwords" in html, "corpus source missing")
        self.assertTrue("credsweep log verify --log " in html, "verify command missing")
        with open(os.path.join(reports_dir(), "report.json")) as f:
            summary = json.load(f)
        self.assertGreaterEqual(len(summary["leaked_passwords"]), 3)
        patterns = {g["pattern"]: g["accounts"] for g in summary["guessable_passwords"]}
        self.assertIn("ahan", patterns["season + year + symbol"])
        self.assertIn("afri", patterns["organisation name + digits"])
        self.assertIn("PC-005$", patterns["computer's own name (default-computer-password)"])

    def test_demo_prints_the_report_path_and_a_one_line_run_summary(self):
        out = self.first.stdout
        self.assertIn("Report:   " + os.path.join(reports_dir(), "report.html"), out)
        summaries = [l for l in out.splitlines() if l.startswith("credsweep run ")]
        self.assertEqual(len(summaries), 1, "one summary line when stdout is not a terminal")
        self.assertIn("dry run", summaries[0])
        self.assertIn("report " + os.path.join(reports_dir(), "report.html"), summaries[0])
        self.assertIn("rejected: this password appears in known data breaches", out)

    def test_no_hash_or_password_reaches_any_output(self):
        secrets = set()
        with open(os.path.join(WORK, "hashes.secretsdump")) as f:
            for line in f:
                parts = line.strip().split(":")
                if len(parts) >= 4 and re.fullmatch(r"[0-9a-fA-F]{32}", parts[3]):
                    secrets.add(parts[3].lower())
                    if parts[2].lower() != "aad3b435b51404eeaad3b435b51404ee":
                        secrets.add(parts[2].lower())
        self.assertGreater(len(secrets), 40)
        passwords = set()
        with open(os.path.join(REPO, "tools", "demo", "passwords.csv"), newline="") as f:
            for row in csv.reader(f):
                if row and not row[0].startswith("#"):
                    passwords.update(p for p in row[2:] if len(p) >= 8 and "=" not in p)
        # Everything the run wrote (findings, CSV, report, outbox, history, lock) and printed.
        texts = {"demo stdout/stderr": self.first.stdout + self.first.stderr}
        for path in glob.glob(os.path.join(WORK, "state", "**"), recursive=True):
            if os.path.isfile(path):
                with open(path, encoding="utf-8", errors="replace") as f:
                    texts[path] = f.read()
        self.assertGreater(len(texts), 5)
        for name, text in texts.items():
            low = text.lower()
            leaked_hashes = sum(1 for h in secrets if h in low)
            self.assertEqual(leaked_hashes, 0, "%d dump hashes found in %s" % (leaked_hashes, name))
            leaked_pw = sum(1 for p in passwords if p in text)
            self.assertEqual(leaked_pw, 0, "%d demo passwords found in %s" % (leaked_pw, name))

    def test_second_run_adds_a_history_point_and_a_concurrent_run_is_refused(self):
        history = os.path.join(WORK, "state", "history")
        before = sorted(os.listdir(history))
        self.assertGreaterEqual(len(before), 1)
        second = run_demo()
        self.assertEqual(second.returncode, 0, second.stderr[-2000:])
        after = sorted(os.listdir(history))
        self.assertEqual(len(after), len(before) + 1)
        with open(os.path.join(history, after[-1])) as f:
            record = json.load(f)
        self.assertEqual(record["format"], "credsweep-run")
        self.assertGreaterEqual(record["counts"]["leaked-password"], 5)
        self.assertEqual(record["corpus_sources"][0]["name"], "demo-common-passwords")
        with open(os.path.join(reports_dir(), "report.html"), encoding="utf-8") as f:
            html = f.read()
        self.assertEqual(html.count('<circle class="s-all"'), len(after))

        # Hold the lock as a running job would, then start another run.
        lock_path = os.path.join(WORK, "state", "run.lock")
        with open(lock_path, "r+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            lock.truncate(0)
            lock.write("%d\n" % os.getpid())
            lock.flush()
            third = sup.run(BINARY, "run", "--config", os.path.join(WORK, "credsweep.toml"))
            lock.truncate(0)  # a clean release, as credsweep's own
            lock.flush()
            fcntl.flock(lock, fcntl.LOCK_UN)
        self.assertEqual(third.returncode, 3)
        self.assertIn("PID %d" % os.getpid(), third.stderr)
        self.assertEqual(sorted(os.listdir(history)), after)  # the refused run left no record


if __name__ == "__main__":
    sup.main()
