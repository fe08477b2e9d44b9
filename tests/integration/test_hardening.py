#!/usr/bin/python3
"""Secrets, file safety and breach-count bands, as a user or an attacker would notice them.

Against a real OpenLDAP slapd (tests/servers/slapd.py; hashes from sambaNTPassword over
StartTLS) and offline LDIF directories, with the built binary:

  - `gcore` of a running `credsweep audit` (paused reading [classify] owner_map from a FIFO,
    after the bind and after every hash was read) holds neither the bind password nor any
    fixture NT hash (hex in either case, or the raw 16 bytes);
  - `gcore` of a running `credsweep enforce --apply` (paused in the LDAP connect, after the
    signing key was loaded and with the bind password in hand) holds neither the signing key
    (hex or raw) nor the bind password;
  - core dumps are off: the running process has a core limit of 0 and a SIGSEGV leaves no
    core file, where the same signal to a process allowed to dump does leave one;
  - a bind password file readable by others, and an empty one, are refused;
  - an SMTP URL carrying a password is refused (exit 2) without printing the password;
  - no findings.json, CSV, HTML report, report.json or run-history record contains an exact
    breach count from the corpus, only its band;
  - CR/LF in a display name or DN adds no line to a notification mail;
  - a malformed findings.json makes notify and enforce exit 2 naming the file (no abort);
  - a typo in [remediation] force_rules is exit 2 naming it;
  - a symlink planted at an output name is refused and its target untouched; a
    group-writable output folder is refused.

Run: /usr/bin/python3 tests/integration/test_hardening.py --binary build/credsweep
"""
import base64
import email
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support as sup  # noqa: E402
from servers.slapd import Slapd  # noqa: E402

BINARY = sup.take_binary()

PASSWORDS = {"alice": "Summer2024!", "bob": "Winter2023!", "carol": "Unl3aked-Carol-9"}
LEAKED = ["Summer2024!", "Winter2023!"]


def wait_for(predicate, timeout=30, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def needles_for_hashes(hashes_hex, raw_too):
    """Hex in either case for every hash; the raw 16 bytes for those in RAW_TOO. (A hash that
    is in the corpus store legitimately sits in memory as raw bytes — a key of the store's
    index, public breach data read while looking it up — so only its hex form, which comes
    from the directory, is a leak.)"""
    out = []
    for h in hashes_hex:
        out += [h.upper().encode(), h.lower().encode()]
    return out + [bytes.fromhex(h) for h in raw_too]


def gcore(pid, prefix):
    """Dumps the live process PID with gdb's gcore and returns the core file's bytes."""
    r = subprocess.run(["gcore", "-o", prefix, str(pid)], capture_output=True, text=True,
                       timeout=120)
    path = "%s.%d" % (prefix, pid)
    if r.returncode != 0 or not os.path.exists(path):
        raise AssertionError("gcore failed (%d): %s%s" % (r.returncode, r.stdout, r.stderr))
    with open(path, "rb") as f:
        data = f.read()
    os.unlink(path)
    return data


class SecretsInMemoryTest(unittest.TestCase):
    """Real slapd; the processes are dumped while they run."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="credsweep-hardening-")
        cls.ldap = Slapd()
        with sup.cleanup_on_failure(cls.ldap, cls.tmp):
            cls.ldap.start()
            cls.dns = {n: cls.ldap.add_user(n, p, mail=n + "@example.test")
                       for n, p in PASSWORDS.items()}
            words = sup.write_private(os.path.join(cls.tmp, "words.txt"), "\n".join(LEAKED) + "\n")
            cls.store = os.path.join(cls.tmp, "store")
            sup.import_words(BINARY, cls.store, words)
            cls.pwfile = sup.write_private(os.path.join(cls.tmp, "bind.pw"),
                                           cls.ldap.auditor_password + "\n")
            cls.hashes = [sup.nt_hash_hex(p) for p in PASSWORDS.values()]
            cls.not_in_corpus = [sup.nt_hash_hex(p) for p in PASSWORDS.values() if p not in LEAKED]

    @classmethod
    def tearDownClass(cls):
        cls.ldap.stop()
        sup.remove_dir(cls.tmp)

    def config(self, name, extra="", pwfile=None):
        s = self.ldap
        text = f"""
[store]
path = "{self.store}"

[directory]
url = "{s.ldap_url}"
flavor = "openldap"
base = "{s.base_dn}"
bind_dn = "{s.auditor_dn}"
bind_password_file = "{pwfile or self.pwfile}"
ca_file = "{s.ca_file}"
{extra}
"""
        return sup.write_private(os.path.join(self.tmp, name), text)

    def assert_absent(self, core, needles, what):
        # Never print a needle: only which kind was found.
        found = [i for i, n in enumerate(needles) if n in core]
        self.assertEqual(found, [], "%s found in the core dump (needle #%s)" % (what, found))

    def test_gcore_of_a_running_audit_holds_no_bind_password_and_no_hash(self):
        work = tempfile.mkdtemp(dir=self.tmp)
        fifo = os.path.join(work, "owners.fifo")
        os.mkfifo(fifo, 0o600)
        cfg = self.config("audit-fifo.toml", '[classify]\nowner_map = "%s"\n' % fifo)
        out = os.path.join(work, "out")
        proc = subprocess.Popen([BINARY, "audit", "--config", cfg, "--out", out],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=work)
        writer = None
        try:
            # The owner map is read after the bind and after every hash was loaded: once the
            # audit has the FIFO open for reading, a writer can open it.
            def reader_present():
                nonlocal writer
                if proc.poll() is not None:
                    raise AssertionError("audit ended early: %s" % proc.communicate()[1].decode())
                try:
                    writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
                    return True
                except OSError:
                    return False
            wait_for(reader_present, what="the audit to open the owner map")
            time.sleep(0.3)  # let it settle in read()
            with open("/proc/%d/limits" % proc.pid) as f:
                self.assertRegex(f.read(), r"Max core file size\s+0\s+0\s")
            core = gcore(proc.pid, os.path.join(work, "core"))
            self.assertGreater(len(core), 1 << 20)  # a real dump of the process
            # The scanner finds what it looks for: the owner map text we are about to send
            # is not in memory yet, but the config path is.
            self.assertIn(cfg.encode(), core)
            self.assert_absent(core, [self.ldap.auditor_password.encode()], "the bind password")
            self.assert_absent(core, needles_for_hashes(self.hashes, self.not_in_corpus),
                               "a fixture NT hash")
        finally:
            if writer is not None:
                os.write(writer, b"account,email\n")
                os.close(writer)
            stdout, stderr = proc.communicate(timeout=60)
        # The dumped process was a real, successful audit that found the leaked passwords.
        self.assertEqual(proc.returncode, 0, stderr.decode())
        _, got = sup.findings_by_account(out)
        self.assertIn("leaked-password", got["alice"])
        self.assertIn("leaked-password", got["bob"])

    def test_gcore_of_enforce_holds_no_signing_key_and_no_bind_password(self):
        work = tempfile.mkdtemp(dir=self.tmp)
        key = os.path.join(work, "log.key")
        r = sup.run(BINARY, "log", "keygen", "--out", key)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(key) as f:
            key_hex = f.read().split()[3]
        raw = bytes.fromhex(key_hex)
        key_needles = [key_hex.lower().encode(), key_hex.upper().encode(), raw, raw[:32]]
        fdir = os.path.join(work, "findings")
        os.makedirs(fdir)
        acct = {"account": "carol", "dn": self.dns["carol"], "display_name": "carol",
                "mail": "carol@example.test", "enabled": True, "class": "regular"}
        with open(os.path.join(fdir, "findings.json"), "w") as f:
            json.dump({"format": "credsweep-findings", "version": 2,
                       "run": {"id": "run-gcore",
                               "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                               "flavor": "openldap", "accounts_checked": 20},
                       "accounts": [acct],
                       "findings": [dict(acct, rule="leaked-password", requirement="S12",
                                         severity="critical", prevalence="1–9",
                                         history=False, waived=False)]}, f)
        cfg = self.config("enforce.toml", '[log]\nsigning_key = "%s"\n[run]\nstate_dir = "%s"\n'
                          % (key, os.path.join(work, "state")))
        # With slapd stopped, the connect hangs after the key was loaded (preflight) and the
        # bind password read: the moment both secrets have been in this process.
        os.kill(self.ldap.proc.pid, signal.SIGSTOP)
        proc = None
        try:
            proc = subprocess.Popen([BINARY, "enforce", "--config", cfg, "--findings", fdir,
                                     "--apply"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    cwd=work)

            def connecting():
                if proc.poll() is not None:
                    raise AssertionError("enforce ended early: %s" % proc.communicate()[1].decode())
                fds = glob.glob("/proc/%d/fd/*" % proc.pid)
                return any(os.readlink(x).startswith("socket:") for x in fds
                           if os.path.exists(x))
            wait_for(connecting, what="enforce to connect to the directory")
            time.sleep(0.5)
            core = gcore(proc.pid, os.path.join(work, "core"))
            self.assertIn(cfg.encode(), core)
            self.assert_absent(core, key_needles, "the signing key")
            self.assert_absent(core, [self.ldap.auditor_password.encode()], "the bind password")
        finally:
            os.kill(self.ldap.proc.pid, signal.SIGCONT)
            if proc is not None:
                stdout, stderr = proc.communicate(timeout=90)
        # The dumped process was a real enforce run that went on to its end.
        self.assertEqual(proc.returncode, 0, stdout.decode() + stderr.decode())
        self.assertIn(self.dns["carol"], stdout.decode())

    def test_core_dumps_are_off(self):
        work = tempfile.mkdtemp(dir=self.tmp)
        with open("/proc/sys/kernel/core_pattern") as f:
            pattern = f.read().strip()
        if pattern.startswith("|") or "/" in pattern:
            self.skipTest("core_pattern %r does not write core files into the cwd" % pattern)
        fifo = os.path.join(work, "owners.fifo")
        os.mkfifo(fifo, 0o600)
        cfg = self.config("audit-core.toml", '[classify]\nowner_map = "%s"\n' % fifo)

        def unlimited():
            import resource
            resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        # Control: a process allowed to dump leaves a core file here on SIGSEGV.
        ctl_dir = tempfile.mkdtemp(dir=work)
        ctl = subprocess.Popen(["sleep", "60"], cwd=ctl_dir, preexec_fn=unlimited)
        time.sleep(0.2)
        ctl.send_signal(signal.SIGSEGV)
        ctl.wait()
        try:
            wait_for(lambda: any(n.startswith("core") for n in os.listdir(ctl_dir)), timeout=10)
        except AssertionError:
            self.skipTest("this machine writes no core files at all, so their absence proves "
                          "nothing (the core limit of 0 is checked in the gcore test)")
        # credsweep, started with the same unlimited core limit, turns dumping off itself.
        cs_dir = tempfile.mkdtemp(dir=work)
        proc = subprocess.Popen([BINARY, "audit", "--config", cfg, "--out",
                                 os.path.join(work, "out")], cwd=cs_dir, preexec_fn=unlimited,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        writer = None

        def reader_present():
            nonlocal writer
            try:
                writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
                return True
            except OSError:
                return proc.poll() is not None
        wait_for(reader_present, what="the audit to open the owner map")
        proc.send_signal(signal.SIGSEGV)
        proc.wait(timeout=30)
        if writer is not None:
            os.close(writer)
        self.assertEqual(proc.returncode, -signal.SIGSEGV)
        time.sleep(1)
        self.assertEqual(os.listdir(cs_dir), [], "credsweep left a core file")

    def test_bind_password_file_readable_by_others_is_refused(self):
        loose = os.path.join(self.tmp, "loose.pw")
        with open(loose, "w") as f:
            f.write(self.ldap.auditor_password + "\n")
        os.chmod(loose, 0o644)
        cfg = self.config("loose.toml", pwfile=loose)
        r = sup.run(BINARY, "audit", "--config", cfg, "--out", os.path.join(self.tmp, "o1"))
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn(loose, r.stderr)
        self.assertIn("chmod 600", r.stderr)
        self.assertNotIn(self.ldap.auditor_password, r.stdout + r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "o1", "findings.json")))

    def test_empty_bind_password_is_an_error_not_an_anonymous_bind(self):
        empty = sup.write_private(os.path.join(self.tmp, "empty.pw"), "\n")
        cfg = self.config("empty.toml", pwfile=empty)
        r = sup.run(BINARY, "audit", "--config", cfg, "--out", os.path.join(self.tmp, "o2"))
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("empty password", r.stderr)


# --- offline (LDIF) directories ------------------------------------------------------------

# Distinctive exact counts, one per band that matters; none may appear in any output.
COUNTS = {"Summer2024!": 7340981, "Winter2023!": 283517, "Spring2022!": 46093,
          "Autumn2021!": 4721}
BANDS = {7340981: "≥ 1 M", 283517: "100 k–1 M", 46093: "10 k–100 k", 4721: "1 k–10 k"}
USERS = {"alice": "Summer2024!", "bob": "Winter2023!", "carol": "Spring2022!",
         "dave": "Autumn2021!", "svc-app": "Summer2024!"}
INJECTED = "Alice\r\nWhat to do: call +45 12 34 56 78 and give them your password"


def ldif_user(uid, password, rid, display=None, dn=None, extra=()):
    dn = dn or "uid=%s,ou=people,dc=example,dc=test" % uid
    lines = ["dn:: " + base64.b64encode(dn.encode()).decode(),
             "objectClass: inetOrgPerson", "objectClass: sambaSamAccount",
             "uid: " + uid, "cn: " + uid, "sn: " + uid, "mail: %s@example.test" % uid,
             "sambaSID: S-1-5-21-1-2-3-%d" % rid, "sambaAcctFlags: [U          ]",
             "sambaNTPassword: " + sup.nt_hash_hex(password)]
    if display:
        lines.append("displayName:: " + base64.b64encode(display.encode()).decode())
    return "\n".join(lines + list(extra)) + "\n"


class OutputsTest(unittest.TestCase):
    """LDIF directory, HIBP-format corpus with distinctive counts, no server needed."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="credsweep-hardening-out-")
        hibp = sorted("%s:%d" % (sup.nt_hash_hex(p), c) for p, c in COUNTS.items())
        corpus = sup.write_private(os.path.join(cls.tmp, "corpus.txt"), "\r\n".join(hibp) + "\r\n")
        cls.store = os.path.join(cls.tmp, "store")
        r = sup.run(BINARY, "corpus", "import", "--store", cls.store, "--format", "hibp", corpus)
        if r.returncode != 0:
            raise RuntimeError("import failed: " + r.stderr)
        # A service account whose DN carries CR/LF (the owner digest prints account and DN),
        # and a user whose displayName does (the user notice greets by name).
        svc_dn = "uid=svc-app,ou=svc\r\nWhat to do: reply with the password,dc=example,dc=test"
        ldif = "\n".join([
            ldif_user("alice", USERS["alice"], 1001, display=INJECTED),
            ldif_user("bob", USERS["bob"], 1002),
            ldif_user("carol", USERS["carol"], 1003),
            ldif_user("dave", USERS["dave"], 1004),
            ldif_user("svc-app", USERS["svc-app"], 1005, dn=svc_dn,
                      extra=["manager: uid=alice,ou=people,dc=example,dc=test"]),
        ])
        cls.ldif = sup.write_private(os.path.join(cls.tmp, "dir.ldif"), ldif)

    @classmethod
    def tearDownClass(cls):
        sup.remove_dir(cls.tmp)

    def config(self, work, extra=""):
        text = f"""
[store]
path = "{self.store}"

[directory]
url = "ldif:{self.ldif}"
flavor = "openldap"

[classify]
service_name_patterns = ["^svc-"]

[notify]
users = true
fallback_to = "it@example.test"

[run]
state_dir = "{work}/state"
{extra}
"""
        return sup.write_private(os.path.join(work, "credsweep.toml"), text)

    def work(self):
        return tempfile.mkdtemp(dir=self.tmp)

    def test_no_output_holds_an_exact_breach_count(self):
        work = self.work()
        r = sup.run(BINARY, "run", "--config", self.config(work))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        state = os.path.join(work, "state")
        files = [p for p in glob.glob(state + "/**/*", recursive=True) if os.path.isfile(p)]
        names = {os.path.basename(p) for p in files}
        for want in ("findings.json", "findings.csv", "report.html", "report.json"):
            self.assertIn(want, names)
        self.assertTrue(glob.glob(state + "/history/*.json"))
        # The bands are there (so the scan below is not vacuous) ...
        doc, _ = sup.findings_by_account(os.path.dirname(
            [p for p in files if p.endswith("findings.json")][0]))
        got = {(f["account"], f["prevalence"]) for f in doc["findings"]
               if f["rule"] == "leaked-password"}
        self.assertEqual(got, {(u, BANDS[COUNTS[p]]) for u, p in USERS.items()})
        # ... and no exact count, in any common spelling, in any file or on stdout.
        spellings = []
        for c in COUNTS.values():
            s = str(c)
            spellings += [s, "{:,}".format(c), "{:,}".format(c).replace(",", " "),
                          "{:,}".format(c).replace(",", "."),
                          "{:,}".format(c).replace(",", "\u202f"),
                          "{:,}".format(c).replace(",", "\u00a0")]
        for path in files + ["<stdout>"]:
            if path == "<stdout>":
                text = r.stdout + r.stderr
            else:
                with open(path, "rb") as f:
                    text = f.read().decode("utf-8", "replace")
            for s in spellings:
                self.assertNotIn(s, text, "exact breach count in %s" % path)

    def test_crlf_in_directory_values_adds_no_line_to_a_mail(self):
        work = self.work()
        cfg = self.config(work)
        out = os.path.join(work, "audit")
        r = sup.run(BINARY, "audit", "--config", cfg, "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = sup.run(BINARY, "notify", "--config", cfg, "--findings", out)
        self.assertIn(r.returncode, (0, 1), r.stdout + r.stderr)
        emls = glob.glob(os.path.join(out, "outbox", "*.eml"))
        self.assertGreaterEqual(len(emls), 2, r.stdout)  # alice's notice, the owner digest
        saw_alice = saw_svc = False
        for path in emls:
            with open(path, "rb") as f:
                msg = email.message_from_bytes(f.read())
            body = msg.get_payload(decode=True).decode("utf-8")
            for line in body.splitlines():
                self.assertFalse(line.lstrip().startswith("What to do: call"), line)
                self.assertFalse(line.lstrip().startswith("What to do: reply"), line)
            saw_alice |= "give them your password" in body
            saw_svc |= "reply with the password" in body
            self.assertNotIn("\r", body.replace("\r\n", "\n"))
        # The values are still shown (on one line), so the recipients can see what was there.
        self.assertTrue(saw_alice and saw_svc)

    def test_smtp_url_with_a_password_is_refused_without_printing_it(self):
        work = self.work()
        cfg = self.config(work, '[smtp]\nurl = "smtp://mailer:Hunter2-Smtp-Pw@127.0.0.1:2525"\n')
        for args in (["notify", "--config", cfg, "--findings", work, "--send"],
                     ["audit", "--config", cfg, "--out", os.path.join(work, "o")],
                     ["run", "--config", cfg]):
            r = sup.run(BINARY, *args)
            self.assertEqual(r.returncode, 2, (args, r.stdout, r.stderr))
            self.assertIn("[smtp] url", r.stderr)
            self.assertNotIn("Hunter2-Smtp-Pw", r.stdout + r.stderr)
        self.assertFalse(os.path.exists(os.path.join(work, "state")))

    def test_malformed_findings_json_is_a_clear_error_for_notify_and_enforce(self):
        work = self.work()
        cfg = self.config(work)
        good = {"format": "credsweep-findings", "version": 2,
                "run": {"id": "r", "started_at": "2026-11-22T13:20:00Z", "flavor": "openldap"},
                "accounts": [], "findings": []}
        bad_docs = {
            "not json": "{\"format\": ",
            "findings not objects": json.dumps(dict(good, findings=[1, "x", None])),
            "prevalence an exact count": json.dumps(dict(good, findings=[{
                "rule": "leaked-password", "requirement": "S12", "severity": "critical",
                "account": "a", "dn": "uid=a", "prevalence": 12345}])),
            "account not a string": json.dumps(dict(good, accounts=[{"account": 5, "dn": []}])),
            "run a list": json.dumps(dict(good, run=[1, 2])),
        }
        for what, text in bad_docs.items():
            fdir = os.path.join(work, re.sub(r"\W", "_", what))
            os.makedirs(fdir)
            with open(os.path.join(fdir, "findings.json"), "w") as f:
                f.write(text)
            for cmd in ("notify", "enforce"):
                r = sup.run(BINARY, cmd, "--config", cfg, "--findings", fdir)
                self.assertEqual(r.returncode, 2, (what, cmd, r.stdout, r.stderr))
                self.assertIn(os.path.join(fdir, "findings.json"), r.stderr, (what, cmd))

    def test_force_rules_typo_is_exit_2_naming_it(self):
        work = self.work()
        cfg = self.config(work, '[remediation]\nforce_rules = ["leaked-pasword"]\n')
        for args in (["enforce", "--config", cfg, "--findings", work],
                     ["notify", "--config", cfg, "--findings", work],
                     ["audit", "--config", cfg, "--out", os.path.join(work, "o")]):
            r = sup.run(BINARY, *args)
            self.assertEqual(r.returncode, 2, (args, r.stdout, r.stderr))
            self.assertIn("'leaked-pasword'", r.stderr)
            self.assertIn("force_rules", r.stderr)

    def test_symlink_at_an_output_name_is_refused_and_its_target_untouched(self):
        # Either output name: the audit writes both files at once, and neither lands.
        for name in ("findings.json", "findings.csv"):
            with self.subTest(name=name):
                work = self.work()
                victim = os.path.join(work, "victim.txt")
                sup.write_private(victim, "precious\n")
                out = os.path.join(work, "out")
                os.makedirs(out, mode=0o700)
                os.symlink(victim, os.path.join(out, name))
                r = sup.run(BINARY, "audit", "--config", self.config(work), "--out", out)
                self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
                self.assertIn("symbolic link", r.stderr)
                with open(victim) as f:
                    self.assertEqual(f.read(), "precious\n")
                self.assertEqual(sorted(os.listdir(out)), [name])  # no temp file, no other output

    def test_group_writable_output_folder_is_refused(self):
        work = self.work()
        out = os.path.join(work, "shared")
        os.makedirs(out)
        os.chmod(out, 0o775)
        r = sup.run(BINARY, "audit", "--config", self.config(work), "--out", out)
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn(out, r.stderr)
        self.assertIn("chmod go-w", r.stderr)
        self.assertEqual(os.listdir(out), [])


if __name__ == "__main__":
    sup.main()
