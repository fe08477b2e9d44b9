#!/usr/bin/python3
"""`credsweep notify` against a real SMTP server (aiosmtpd on loopback, STARTTLS, own CA).

Proves: an owner receives exactly one digest naming their service accounts, over TLS; a second
--send sends nothing twice; plaintext SMTP is refused unless allow_plaintext; a certificate from
another CA is refused; AUTH uses the password file (a wrong password is refused, nothing is
sent, the password is never printed); a send to a dead server leaves the message pending and
the next --send delivers it exactly once; every delivery is in the signed action log, which
`credsweep log verify` accepts. libcurl is loaded only by a process that sends mail
(connectors/smtp/curl_library.h): `--help`, `check-password` and a dry run never map it.
The findings.json fixture follows the documented contract (engine/model/finding.h).
"""
import email
import email.policy
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support as sup  # noqa: E402
from servers import _common  # noqa: E402
from servers.smtp_server import SmtpServer  # noqa: E402

BINARY = sup.take_binary()


def _account(name, cls, owner="", mail=""):
    return {"account": name, "dn": "CN=%s,OU=Accounts,DC=corp,DC=example,DC=test" % name,
            "display_name": "", "mail": mail, "enabled": True, "class": cls, "classes": [cls],
            "smartcard_required": False, "owner_mail": owner,
            "owner_source": "manager" if owner else "", "auth_level": 2}


def _finding(acct, rule="leaked-password"):
    return {"rule": rule, "requirement": "S12", "severity": "critical", "account": acct["account"],
            "dn": acct["dn"], "display_name": "", "mail": acct["mail"], "enabled": True,
            "class": acct["class"], "detail": "The password is in the leaked-password corpus.",
            "history": False, "waived": False, "prevalence": 42}


def write_findings(path, accounts, findings):
    os.makedirs(path, exist_ok=True)
    doc = {"format": "credsweep-findings", "version": 1,
           "run": {"id": "2026-11-22T132000Z-test", "started_at": "2026-11-22T13:20:00Z",
                   "finished_at": "2026-11-22T13:21:00Z", "directory": "ldaps://127.0.0.3",
                   "flavor": "ad", "store": "store", "corpus_sources": [],
                   "accounts_checked": len(accounts) + 20, "hashes_loaded": len(accounts),
                   "skipped_entries": [], "counts": {}},
           "accounts": accounts, "findings": findings}
    with open(os.path.join(path, "findings.json"), "w") as f:
        json.dump(doc, f)


class NotifySmtpTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="credsweep-notify-")
        self.findings = os.path.join(self.dir, "findings")
        self.outbox = os.path.join(self.findings, "outbox")
        backup = _account("svc-backup", "service", owner="alice@corp.example.test")
        web = _account("svc-web", "service", owner="alice@corp.example.test")
        printer = _account("svc-print", "service", owner="bob@corp.example.test")
        user = _account("jdoe", "regular", mail="jdoe@corp.example.test")
        write_findings(self.findings, [backup, web, printer, user],
                       [_finding(backup), _finding(web, "empty-password"), _finding(printer),
                        _finding(user)])
        r = self.cli("log", "keygen", "--out", os.path.join(self.dir, "log.key"))
        self.assertEqual(r.returncode, 0, r.stderr)

    def tearDown(self):
        _common.remove_dir(self.dir)

    def cli(self, *args):
        return sup.run(BINARY, *args)

    def config(self, url, ca_file="", allow_plaintext=False, language="en", username=None,
               password=None):
        path = os.path.join(self.dir, "credsweep.toml")
        auth = ""
        if username:
            pw_file = os.path.join(self.dir, "smtp.pw")
            sup.write_private(pw_file, password + "\n")
            auth = 'username = "%s"\npassword_file = "smtp.pw"\n' % username
        with open(path, "w") as f:
            f.write('[notify]\nfrom = "credsweep@corp.example.test"\nlanguage = "%s"\n'
                    '[smtp]\nurl = "%s"\nca_file = "%s"\nallow_plaintext = %s\ntimeout_seconds = 10\n%s'
                    '[log]\nsigning_key = "log.key"\n[run]\nstate_dir = "state"\n'
                    % (language, url, ca_file, "true" if allow_plaintext else "false", auth))
        return path

    def notify(self, cfg, send):
        args = ["notify", "--config", cfg, "--findings", self.findings] + (["--send"] if send else [])
        return self.cli(*args)

    def pending(self):
        return sorted(n for n in os.listdir(self.outbox) if n.endswith(".eml"))

    def verify_log(self):
        return self.cli("log", "verify", "--log", os.path.join(self.dir, "state", "actions.log"),
                        "--pubkey", os.path.join(self.dir, "log.key.pub"))

    def test_owner_receives_exactly_one_digest_over_starttls(self):
        with SmtpServer() as smtp:
            cfg = self.config(smtp.url, smtp.ca_file, language="da")
            dry = self.notify(cfg, send=False)
            self.assertEqual(dry.returncode, 0, dry.stdout + dry.stderr)
            self.assertEqual(len(self.pending()), 2)  # alice and bob; jdoe is forced, not told
            self.assertEqual(smtp.messages(), [])
            for name in self.pending():  # RFC 5322 files a mail client can open
                path = os.path.join(self.outbox, name)
                self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
                with open(path, "rb") as f:
                    raw = f.read()
                self.assertNotIn(b"\n", raw.replace(b"\r\n", b""))  # CRLF only
                eml = email.message_from_bytes(raw, policy=email.policy.default)
                for h in ("Date", "From", "To", "Subject", "Message-ID", "MIME-Version"):
                    self.assertIsNotNone(eml[h], h)
                self.assertEqual(eml.get_content_type(), "text/plain")
                self.assertEqual(eml.get_content_charset(), "utf-8")
                self.assertIn("svc-", eml.get_content())

            sent = self.notify(cfg, send=True)
            self.assertEqual(sent.returncode, 0, sent.stdout + sent.stderr)
            msgs = smtp.messages()
            to_alice = [m for m in msgs if m["X-Envelope-To"] == "alice@corp.example.test"]
            self.assertEqual(len(to_alice), 1)
            self.assertEqual(len(msgs), 2)
            m = to_alice[0]
            self.assertEqual(m["X-Envelope-TLS"], "yes")
            self.assertIn("påkrævet", str(m["Subject"]))  # RFC 2047 decoded back to Danish
            body = m.get_content()
            self.assertIn("svc-backup", body)
            self.assertIn("svc-web", body)
            self.assertNotIn("svc-print", body)
            self.assertIn("lækkede adgangskoder", body)
            self.assertEqual(self.pending(), [])

            again = self.notify(cfg, send=True)
            self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
            self.assertIn("already sent: 2", again.stdout)
            self.assertEqual(len(smtp.messages()), 2)  # nothing sent twice

        v = self.verify_log()
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
        # Each delivery is write-ahead logged: notify-intent, then notify-sent.
        self.assertIn("OK: 4 entries verified", v.stdout)
        self.assertNotIn("UNFINISHED", v.stdout)

    def test_only_sending_loads_libcurl(self):
        def loaded(r):
            inits = [line for line in r.stderr.splitlines() if "calling init:" in line]
            self.assertTrue(inits, r.stderr[-2000:])  # LD_DEBUG works here
            return [line for line in inits if "libcurl" in line]

        env = dict(os.environ, LD_DEBUG="libs")
        store = os.path.join(self.dir, "store")
        words = sup.write_private(os.path.join(self.dir, "words.txt"), "Summer2026!\n")
        self.assertEqual(self.cli("corpus", "import", "--store", store, words).returncode, 0)
        with SmtpServer() as smtp:
            cfg = self.config(smtp.url, smtp.ca_file)
            for args in (["--help"], ["check-password", "--store", store],
                         ["notify", "--config", cfg, "--findings", self.findings]):
                r = sup.run(BINARY, *args, env=env, input="Winter2026!\n")
                self.assertEqual(loaded(r), [], args)
            r = sup.run(BINARY, "notify", "--config", cfg, "--findings", self.findings, "--send",
                        env=env)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr[-2000:])
            self.assertTrue(loaded(r))
            self.assertEqual(len(smtp.messages()), 2)

    def test_plaintext_smtp_is_refused_by_default(self):
        with SmtpServer(tls=False) as smtp:
            r = self.notify(self.config(smtp.url), send=True)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("STARTTLS", r.stdout)
            self.assertEqual(smtp.messages(), [])
            self.assertEqual(len(self.pending()), 2)
            # The refusal is the policy, not a broken server: allowed explicitly, it delivers.
            r = self.notify(self.config(smtp.url, allow_plaintext=True), send=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(len(smtp.messages()), 2)
            self.assertEqual(smtp.messages()[0]["X-Envelope-TLS"], "no")

    def test_certificate_from_another_ca_is_refused(self):
        other_ca, _, _ = _common.make_tls(os.path.join(self.dir, "other-ca"), ips=["127.0.0.1"])
        with SmtpServer() as smtp:
            r = self.notify(self.config(smtp.url, other_ca), send=True)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertEqual(smtp.messages(), [])
            self.assertEqual(len(self.pending()), 2)

    def test_auth_with_password_file(self):
        secret = "Smtp-Fixture-Secret-7"  # fixture secret: never printed
        with SmtpServer(auth=("credsweep-mailer", secret)) as smtp:
            r = self.notify(self.config(smtp.url, smtp.ca_file, username="credsweep-mailer",
                                        password="wrong-" + secret), send=True)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("refused", r.stdout)
            self.assertNotIn(secret, r.stdout + r.stderr)
            self.assertEqual(smtp.messages(), [])
            self.assertEqual(len(self.pending()), 2)
            r = self.notify(self.config(smtp.url, smtp.ca_file, username="credsweep-mailer",
                                        password=secret), send=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertNotIn(secret, r.stdout + r.stderr)
            msgs = smtp.messages()
            self.assertEqual(len(msgs), 2)
            self.assertEqual({m["X-Envelope-Auth"] for m in msgs}, {"credsweep-mailer"})

    def test_dead_server_leaves_messages_pending_then_delivers_once(self):
        dead_port = _common.free_port()
        r = self.notify(self.config("smtp://127.0.0.1:%d" % dead_port), send=True)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertEqual(len(self.pending()), 2)
        with SmtpServer() as smtp:
            cfg = self.config(smtp.url, smtp.ca_file)
            r = self.notify(cfg, send=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(len(smtp.messages()), 2)
            self.assertEqual(self.pending(), [])
            r = self.notify(cfg, send=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(len(smtp.messages()), 2)
            ids = sorted(m["Message-ID"] for m in smtp.messages())
            self.assertEqual(len(set(ids)), 2)
        v = self.verify_log()
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
        # intent + notify-failed for the dead server, then intent + notify-sent twice.
        self.assertIn("OK: 6 entries verified", v.stdout)
        self.assertNotIn("UNFINISHED", v.stdout)


if __name__ == "__main__":
    sup.main()
