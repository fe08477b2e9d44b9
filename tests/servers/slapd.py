"""An OpenLDAP slapd on loopback with the Samba schema, ppolicy and TLS, for integration tests.

    from servers.slapd import Slapd
    with Slapd() as ldap:                      # ~0.3 s
        ldap.add_user("alice", "Passw0rd!", flags="[UX         ]", mail="alice@example.test")
        ldap.add_group("admins", members=["alice"])          # groupOfNames (member DNs)
        ldap.add_posix_group("staff", 5000, member_uids=["alice"])
        ldap.add_entries(ldif_text)                           # anything else, as the rootdn
        # clients: ldap.ldaps_url / ldap.ldap_url (StartTLS) with ldap.ca_file,
        # bind as ldap.auditor_dn / ldap.auditor_password (read incl. sambaNTPassword, may write
        # pwdReset) or ldap.root_dn / ldap.root_password.

Layout: slapd.conf generated in a temp dir (core, cosine, inetorgperson, nis, the Samba schema,
back_mdb, the ppolicy overlay whose schema is built into OpenLDAP 2.5), a throw-away CA and
server certificate (SAN IP:127.0.0.1, DNS:localhost) made with openssl, TLS >= 1.2, listening
on ldap://127.0.0.1:<free port> (StartTLS) and ldaps://127.0.0.1:<another free port>. slapd
runs in the foreground (-d 0) so stop() can signal its PID (SIGTERM, then SIGKILL).

The Samba schema comes from Debian's /usr/share/doc/samba/examples/LDAP/samba.schema when
installed, else tests/servers/samba_min.schema (the same definitions, verbatim, real OIDs).

ACLs model a least-privilege audit account: the auditor reads everything including
sambaNTPassword/sambaLMPassword and may write only pwdReset (forced change) — the rights the
README documents for the bind account. userPassword is auth-only for everyone else.
"""
import os
import subprocess
import tempfile

from . import _common
from ._common import nt_hash_hex

BASE_DN = "dc=example,dc=test"
DOMAIN_SID = "S-1-5-21-1111111111-2222222222-3333333333"
ROOT_PASSWORD = "r00t-Secret-slapd"      # fixture secrets: never print them
AUDITOR_PASSWORD = "Aud1tor-Secret-slapd"

_DEBIAN_SAMBA_SCHEMA = "/usr/share/doc/samba/examples/LDAP/samba.schema"


def _samba_schema():
    if os.path.isfile(_DEBIAN_SAMBA_SCHEMA):
        return _DEBIAN_SAMBA_SCHEMA
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "samba_min.schema")


class Slapd:
    base_dn = BASE_DN
    root_dn = "cn=admin," + BASE_DN
    root_password = ROOT_PASSWORD
    auditor_dn = "cn=credsweep,ou=service," + BASE_DN
    auditor_password = AUDITOR_PASSWORD
    people_dn = "ou=people," + BASE_DN
    groups_dn = "ou=groups," + BASE_DN

    def __init__(self):
        self.proc = None
        self.dir = None
        self.port = None
        self.tls_port = None
        self._next_rid = 1100
        self._next_uid = 10000

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="credsweep-slapd-")
        _common.register(self)
        try:
            os.makedirs(os.path.join(self.dir, "db"))
            self.ca_file, cert, key = _common.make_tls(os.path.join(self.dir, "tls"),
                                                       ips=["127.0.0.1"], dns=["localhost"])
            self._write_conf(cert, key)
            for attempt in range(3):
                self.port = _common.free_port()
                self.tls_port = _common.free_port()
                if self.port == self.tls_port:
                    continue
                self._log = open(self.log_path, "ab")
                urls = "ldap://127.0.0.1:%d/ ldaps://127.0.0.1:%d/" % (self.port, self.tls_port)
                self.proc = subprocess.Popen(
                    ["slapd", "-d", "0", "-h", urls, "-f", self.conf_path],
                    stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    start_new_session=True)
                try:
                    _common.wait_for_port("127.0.0.1", self.port, self.proc, 20, self.log_path)
                    _common.wait_for_port("127.0.0.1", self.tls_port, self.proc, 5, self.log_path)
                    break
                except RuntimeError:
                    _common.stop_pid(self.proc)
                    self._log.close()
                    if attempt == 2:
                        raise
            self._bootstrap()
            return self
        except BaseException:
            self.stop()
            raise

    def stop(self):
        _common.stop_pid(self.proc)
        self.proc = None
        if getattr(self, "_log", None):
            self._log.close()
            self._log = None
        _common.remove_dir(self.dir)
        _common.unregister(self)

    @property
    def conf_path(self):
        return os.path.join(self.dir, "slapd.conf")

    @property
    def log_path(self):
        return os.path.join(self.dir, "slapd.log")

    @property
    def ldap_url(self):
        return "ldap://127.0.0.1:%d" % self.port

    @property
    def ldaps_url(self):
        return "ldaps://127.0.0.1:%d" % self.tls_port

    def _write_conf(self, cert, key):
        d = self.dir
        conf = f"""# generated by tests/servers/slapd.py
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
include {_samba_schema()}
pidfile {d}/slapd.pid
argsfile {d}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
TLSCACertificateFile {self.ca_file}
TLSCertificateFile {cert}
TLSCertificateKeyFile {key}
TLSProtocolMin 3.3
sizelimit 5000

database mdb
maxsize 104857600
suffix "{BASE_DN}"
rootdn "{self.root_dn}"
rootpw {ROOT_PASSWORD}
directory {d}/db
index objectClass eq
index uid eq
overlay ppolicy
ppolicy_default "cn=default,ou=policies,{BASE_DN}"

access to attrs=userPassword
  by self write
  by anonymous auth
  by * none
access to attrs=sambaNTPassword,sambaLMPassword,sambaPasswordHistory
  by dn.exact="{self.auditor_dn}" read
  by * none
access to attrs=pwdReset
  by dn.exact="{self.auditor_dn}" write
  by users read
  by * none
access to *
  by dn.exact="{self.auditor_dn}" read
  by users read
  by * none
"""
        with open(self.conf_path, "w") as f:
            f.write(conf)

    def _bootstrap(self):
        self.add_entries(f"""dn: {BASE_DN}
objectClass: dcObject
objectClass: organization
dc: example
o: credsweep test

dn: ou=people,{BASE_DN}
objectClass: organizationalUnit
ou: people

dn: ou=groups,{BASE_DN}
objectClass: organizationalUnit
ou: groups

dn: ou=service,{BASE_DN}
objectClass: organizationalUnit
ou: service

dn: ou=policies,{BASE_DN}
objectClass: organizationalUnit
ou: policies

dn: cn=default,ou=policies,{BASE_DN}
objectClass: person
objectClass: pwdPolicy
cn: default
sn: default
pwdAttribute: userPassword
pwdMustChange: TRUE
pwdAllowUserChange: TRUE

dn: {self.auditor_dn}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: credsweep
userPassword: {AUDITOR_PASSWORD}
""")

    # ---- directory changes (as the rootdn, over loopback) ---------------------------------
    def _ldap_tool(self, tool, ldif, extra=()):
        env = dict(os.environ, LDAPTLS_CACERT=self.ca_file)
        r = subprocess.run([tool, "-x", "-ZZ", "-H", self.ldap_url, "-D", self.root_dn,
                            "-w", ROOT_PASSWORD, *extra], input=ldif, text=True,
                           capture_output=True, env=env)
        if r.returncode != 0:
            raise RuntimeError("%s failed (%d): %s" % (tool, r.returncode, r.stderr.strip()))

    def add_entries(self, ldif):
        """Adds LDIF entries (add records, blank-line separated) as the rootdn."""
        self._ldap_tool("ldapadd", ldif)

    def modify(self, ldif):
        """Applies an LDIF change record (changetype: modify) as the rootdn."""
        self._ldap_tool("ldapmodify", ldif)

    def user_dn(self, uid):
        return "uid=%s,%s" % (uid, self.people_dn)

    def add_user(self, uid, password=None, flags="[U          ]", nt_hash=None, rid=None,
                 kickoff=None, shadow_expire=None, samba=True, **attrs):
        """inetOrgPerson + posixAccount (+ sambaSamAccount unless samba=False, + shadowAccount
        when shadow_expire is given). sambaNTPassword = NT(password) unless nt_hash is given
        (pass nt_hash="" for none). Extra attributes: attr=value or attr=[values]. Returns DN."""
        if rid is None:
            rid = self._next_rid
            self._next_rid += 1
        uid_number = self._next_uid
        self._next_uid += 1
        lines = ["dn: " + self.user_dn(uid), "objectClass: inetOrgPerson",
                 "objectClass: posixAccount"]
        if samba:
            lines.append("objectClass: sambaSamAccount")
        if shadow_expire is not None:
            lines.append("objectClass: shadowAccount")
        lines += ["uid: " + uid, "cn: " + attrs.pop("cn", uid), "sn: " + attrs.pop("sn", uid),
                  "uidNumber: %d" % uid_number, "gidNumber: %s" % attrs.pop("gidNumber", 5000),
                  "homeDirectory: /home/" + uid]
        if password is not None:
            lines.append("userPassword: " + password)
        if samba:
            lines += ["sambaSID: %s-%d" % (DOMAIN_SID, rid), "sambaAcctFlags: " + flags]
            nt = nt_hash if nt_hash is not None else (nt_hash_hex(password) if password is not None else "")
            if nt:
                lines.append("sambaNTPassword: " + nt)
            if kickoff is not None:
                lines.append("sambaKickoffTime: %d" % kickoff)
        if shadow_expire is not None:
            lines.append("shadowExpire: %d" % shadow_expire)
        for k, v in attrs.items():
            for x in (v if isinstance(v, (list, tuple)) else [v]):
                lines.append("%s: %s" % (k, x))
        self.add_entries("\n".join(lines) + "\n")
        return self.user_dn(uid)

    def _member_dn(self, m):
        return m if "=" in m else self.user_dn(m)

    def add_group(self, cn, members=(), owner=None):
        """groupOfNames; members by uid or DN (groups by DN)."""
        dn = "cn=%s,%s" % (cn, self.groups_dn)
        lines = ["dn: " + dn, "objectClass: groupOfNames", "cn: " + cn]
        for m in members or [self.root_dn]:  # groupOfNames requires a member
            lines.append("member: " + self._member_dn(m))
        if owner:
            lines.append("owner: " + self._member_dn(owner))
        self.add_entries("\n".join(lines) + "\n")
        return dn

    def add_posix_group(self, cn, gid_number, member_uids=()):
        dn = "cn=%s,%s" % (cn, self.groups_dn)
        lines = ["dn: " + dn, "objectClass: posixGroup", "cn: " + cn, "gidNumber: %d" % gid_number]
        lines += ["memberUid: " + u for u in member_uids]
        self.add_entries("\n".join(lines) + "\n")
        return dn

    def try_bind(self, dn, password):
        """Simple bind over LDAPS as DN. Returns (True, "") or (False, slapd's diagnostic).
        Note: with ppolicy, a user whose pwdReset is TRUE can still bind, but every operation
        except a password change is then refused ("Operations are restricted to ...")."""
        r = subprocess.run(["ldapwhoami", "-x", "-H", self.ldaps_url, "-D", dn, "-w", password],
                           env=dict(os.environ, LDAPTLS_CACERT=self.ca_file),
                           capture_output=True, text=True)
        return r.returncode == 0, r.stderr.strip()

    def read_attrs(self, dn, attrs):
        """{attr: [values]} for one entry, read as the rootdn (operational attrs included)."""
        env = dict(os.environ, LDAPTLS_CACERT=self.ca_file)
        r = subprocess.run(["ldapsearch", "-x", "-ZZ", "-LLL", "-o", "ldif-wrap=no", "-H",
                            self.ldap_url, "-D", self.root_dn, "-w", ROOT_PASSWORD, "-b", dn,
                            "-s", "base", "(objectClass=*)", *attrs],
                           capture_output=True, text=True, env=env)
        if r.returncode != 0:
            raise RuntimeError("ldapsearch failed (%d): %s" % (r.returncode, r.stderr.strip()))
        out = {a: [] for a in attrs}
        for line in r.stdout.splitlines():
            k, sep, v = line.partition(": ")
            for a in attrs:
                if sep and k.lower() == a.lower():
                    out[a].append(v)
        return out
