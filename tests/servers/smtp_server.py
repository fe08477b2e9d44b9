"""An aiosmtpd SMTP server on loopback with STARTTLS, delivering into a maildir, for tests.

    from servers.smtp_server import SmtpServer
    with SmtpServer() as smtp:              # STARTTLS required (aiosmtpd's default with a cert)
        ... point credsweep at smtp.url with ca_file = smtp.ca_file ...
        msgs = smtp.messages()              # list of email.message.EmailMessage, in arrival order

    SmtpServer(tls=False)                   # plain SMTP, no STARTTLS offered
    SmtpServer(auth=("user", "secret"))     # AUTH PLAIN/LOGIN required (offered after STARTTLS)

How it works: `/usr/bin/python3 -m aiosmtpd -n -l 127.0.0.1:PORT --tlscert CERT --tlskey KEY
-c smtp_maildir_handler.Handler MAILDIR` in a temp dir; the certificate (SAN IP:127.0.0.1) comes
from a throw-away CA made with openssl (_common.make_tls). The handler module is written into the
temp dir and put on PYTHONPATH; it stores each message, with its envelope, as one file in
MAILDIR/new (write to tmp/, then rename, as maildir readers expect). stop() ends that PID only.
"""
import email
import email.policy
import os
import subprocess
import sys
import tempfile

from . import _common

_HANDLER = r'''
import base64, os, time, uuid

class Handler:
    """Writes every accepted message to a maildir, envelope in X-Envelope-* headers. With a
    user and a password file it also checks AUTH PLAIN/LOGIN (offered only after STARTTLS)."""
    def __init__(self, maildir, user=None, password_file=None):
        self.maildir = maildir
        self.user = user
        self.password = None
        if password_file:
            with open(password_file) as f:
                self.password = f.read().strip()
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(maildir, sub), exist_ok=True)

    @classmethod
    def from_cli(cls, parser, *args):  # aiosmtpd passes the CLASSARGS here
        if len(args) not in (1, 3):
            parser.error("smtp_maildir_handler.Handler takes MAILDIR [USER PASSWORD_FILE]")
        return cls(*args)

    async def handle_AUTH(self, server, session, envelope, args):
        if self.user is None:
            return "504 5.5.4 AUTH not enabled on this test server"
        mech = args[0].upper()
        if mech == "PLAIN":
            data = base64.b64decode(args[1]) if len(args) > 1 else await server.challenge_auth("")
            try:
                _, user, password = data.split(b"\0")
            except (ValueError, AttributeError):
                return "501 5.5.2 Can't split auth value"
        elif mech == "LOGIN":
            user = base64.b64decode(args[1]) if len(args) > 1 else await server.challenge_auth("Username:")
            password = await server.challenge_auth("Password:")
        else:
            return "504 5.5.4 Unrecognized authentication type"
        if not isinstance(user, bytes) or not isinstance(password, bytes):
            return "501 5.5.2 Authentication aborted"
        if user.decode() == self.user and password.decode() == self.password:
            session.authenticated = True
            session.login_data = user.decode()
            return "235 2.7.0 Authentication successful"
        return "535 5.7.8 Authentication credentials invalid"

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.user is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        name = "%d.%s.credsweep-test" % (time.time_ns(), uuid.uuid4().hex)
        head = "X-Envelope-From: %s\r\nX-Envelope-To: %s\r\nX-Envelope-TLS: %s\r\nX-Envelope-Auth: %s\r\n" % (
            envelope.mail_from, ",".join(envelope.rcpt_tos),
            "yes" if session.ssl is not None else "no",
            session.login_data if session.authenticated else "none")
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8")
        tmp = os.path.join(self.maildir, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(head.encode("ascii") + data)
        os.rename(tmp, os.path.join(self.maildir, "new", name))
        return "250 Message accepted for delivery"
'''


class SmtpServer:
    def __init__(self, tls=True, host="127.0.0.1", auth=None):
        self.tls = tls
        self.auth = auth  # (user, password): require AUTH (after STARTTLS) with these
        self.host = host
        self.port = None
        self.dir = None
        self.proc = None
        self.ca_file = None
        self.maildir = None
        self.log_path = None

    @property
    def url(self):
        return "smtp://%s:%d" % (self.host, self.port)

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="credsweep-smtp-")
        self.maildir = os.path.join(self.dir, "maildir")
        with open(os.path.join(self.dir, "smtp_maildir_handler.py"), "w") as f:
            f.write(_HANDLER)
        self.port = _common.free_port(self.host)
        args = ["/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", "%s:%d" % (self.host, self.port)]
        if self.tls:
            self.ca_file, cert, key = _common.make_tls(os.path.join(self.dir, "tls"), ips=[self.host])
            args += ["--tlscert", cert, "--tlskey", key]
        args += ["-c", "smtp_maildir_handler.Handler", self.maildir]
        if self.auth:
            pw_file = os.path.join(self.dir, "smtp-password")
            with open(pw_file, "w") as f:
                f.write(self.auth[1])
            os.chmod(pw_file, 0o600)
            args += [self.auth[0], pw_file]
        env = dict(os.environ)
        env["PYTHONPATH"] = self.dir + os.pathsep + env.get("PYTHONPATH", "")
        self.log_path = os.path.join(self.dir, "aiosmtpd.log")
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env,
                                         cwd=self.dir, start_new_session=True)
        _common.register(self)
        try:
            _common.wait_for_port(self.host, self.port, self.proc, 20, self.log_path)
        except Exception:
            self.stop()
            raise
        return self

    def stop(self):
        _common.stop_pid(self.proc)
        self.proc = None
        _common.unregister(self)
        _common.remove_dir(self.dir)

    def messages(self):
        """Received messages, oldest first, as email.message.EmailMessage."""
        new = os.path.join(self.maildir, "new")
        if not os.path.isdir(new):
            return []
        out = []
        for name in sorted(os.listdir(new)):
            with open(os.path.join(new, name), "rb") as f:
                out.append(email.message_from_binary_file(f, policy=email.policy.default))
        return out

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


if __name__ == "__main__":  # manual check: python3 -m servers.smtp_server
    with SmtpServer() as s:
        sys.stdout.write("listening on %s (CA %s); Ctrl-C to stop\n" % (s.url, s.ca_file))
        sys.stdout.flush()
        try:
            s.proc.wait()
        except KeyboardInterrupt:
            pass
