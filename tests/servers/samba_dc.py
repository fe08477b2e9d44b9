"""A Samba Active Directory domain controller on loopback, for integration tests.

    from servers.samba_dc import SambaDC
    with SambaDC() as dc:                       # ~2 s after the first provision of the run
        dc.add_user("jdoe", "Summer2024!", mail="jdoe@corp.example.test", employeeType="staff")
        dc.add_group("Tier0", members=["jdoe"])
        dc.set_attrs("jdoe", userAccountControl=0x10200, accountExpires=0)
        text = dc.dump_hashes()                 # `pdbedit -L -w` output; never print it
        ok, diag = dc.try_bind("jdoe", "Summer2024!")  # "data 773" in diag: must change
        # LDAP clients: dc.ldaps_url + dc.ca_file (default), dc.ldap_url (+StartTLS or plain),
        # bind as dc.admin_dn with dc.admin_password.
    SambaDC(services="ldap rpc kdc") also serves RPC (endpoint mapper on 135, drsuapi for
    replication) and Kerberos (88); dc.grant_replication("svc-repl") delegates DCSync rights.

How it works (measured on the CI VM):
  * Provisioning (`samba-tool domain provision`, ~16 s) happens once per CI run into a template
    cached under $CREDSWEEP_BUILD_DIR/test-server-cache (or /tmp) and guarded by a file lock;
    the password policy is relaxed there once (complexity off, minimum length 0, history 0,
    no maximum age) so fixtures can use weak, empty and shared passwords. Each SambaDC copies
    the template (~33 MB) into its own temp dir.
  * Each instance listens on its own loopback address 127.0.0.N (N >= 3, the first that no
    other SambaDC on the machine has locked — a flock under /tmp/credsweep-loopback-locks — and
    whose 389/636 are free), because Samba AD's LDAP ports are fixed. Start-up waits until
    THIS samba PID owns the listeners (`ss -ltnp`), so a racing test run's DC is never used. `interfaces = 127.0.0.N/8`:
    Samba only accepts an address it can place on a probed interface, and the /8 puts it on lo.
  * TLS: Samba would generate a self-signed certificate for its host name, which no client can
    verify against 127.0.0.N; instead a throw-away CA and a certificate with SAN
    IP:127.0.0.N are written to private/tls/{ca,cert,key}.pem before the first start (Samba
    uses existing files). dc.ca_file is that private/tls/ca.pem: LDAPS and StartTLS verify.
  * `ldap server require strong auth = no` so plain simple binds work for allow_plaintext
    tests; LDAPS is the default everywhere else.
  * `samba -i -M single` with `server services = ldap` (plus kdc when asked) starts in about
    a second; stop() sends SIGTERM to that PID, then SIGKILL.
  * Directory changes are made in-process with Samba's Python bindings (SamDB on
    private/sam.ldb). Found by experiment: none of them needs the server stopped — the tdb
    backend is shared with the running DC under its locks and the DC sees each change on its
    next operation, exactly as `samba-tool` does on a live DC. pdbedit reads sam.ldb the same
    way.
"""
import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
import time

from . import _common

REALM = "CORP.EXAMPLE.TEST"
DOMAIN = "CORP"
BASE_DN = "DC=corp,DC=example,DC=test"
HOST_NAME = "dc1"
ADMIN_PASSWORD = "Adm1n-Pass!x9"  # fixture secret: never print it

_TEMPLATE_VERSION = "1"  # bump when the provisioning recipe changes


def _samba_version():
    out = subprocess.run(["samba", "-V"], capture_output=True, text=True)
    return out.stdout.strip()


def _template_dir():
    # The UTC month is part of the key so a cached domain is never more than ~2 months old:
    # the built-in accounts' pwdLastSet must stay younger than audit tests' stale_days (90).
    month = time.strftime("%Y-%m", time.gmtime())
    key = hashlib.sha256(("%s|%s|%s|%s|%s|%s" % (_TEMPLATE_VERSION, _samba_version(), REALM, DOMAIN,
                                                  HOST_NAME, month)).encode()).hexdigest()[:16]
    return os.path.join(_common.cache_root(), "samba-ad-template-" + key)


def _provision_template():
    """Provisions the domain once and returns the template dir (cached, lock-protected)."""
    final = _template_dir()
    if os.path.isfile(os.path.join(final, "READY")):
        return final
    with open(final + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.isfile(os.path.join(final, "READY")):
            return final
        tmp = final + ".tmp-%d" % os.getpid()
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        empty = os.path.join(tmp, "empty.conf")
        open(empty, "w").close()
        log = os.path.join(tmp, "provision.log")
        with open(log, "w") as lf:
            rc = subprocess.run(
                ["samba-tool", "domain", "provision", "--configfile=" + empty,
                 "--targetdir=" + os.path.join(tmp, "dc"), "--realm=" + REALM, "--domain=" + DOMAIN,
                 "--host-name=" + HOST_NAME, "--adminpass=" + ADMIN_PASSWORD, "--use-rfc2307",
                 "--host-ip=127.0.0.3", "--server-role=dc", "--dns-backend=NONE"],
                stdout=lf, stderr=subprocess.STDOUT).returncode
        if rc != 0:
            raise RuntimeError("samba-tool domain provision failed (%d):\n%s" % (rc, _common.tail(log)))
        conf = os.path.join(tmp, "dc", "etc", "smb.conf")
        with open(log, "a") as lf:
            rc = subprocess.run(
                ["samba-tool", "domain", "passwordsettings", "set", "-s", conf, "--complexity=off",
                 "--min-pwd-length=0", "--history-length=0", "--min-pwd-age=0", "--max-pwd-age=0",
                 "--account-lockout-threshold=0"],
                stdout=lf, stderr=subprocess.STDOUT).returncode
        if rc != 0:
            raise RuntimeError("relaxing the password policy failed:\n" + _common.tail(log))
        os.remove(conf)  # each instance writes its own smb.conf with its own paths
        open(os.path.join(tmp, "READY"), "w").close()
        shutil.rmtree(final, ignore_errors=True)
        os.rename(tmp, final)
    return final


def _pick_ip():
    """(ip, lock): the first 127.0.0.N no other SambaDC holds and whose LDAP ports are free."""
    for n in range(3, 255):
        ip = "127.0.0.%d" % n
        lock = _common.lock_address("samba-" + ip)
        if lock is None:
            continue
        if all(_common.port_free(ip, port) for port in (389, 636, 3268, 135, 88)):
            return ip, lock
        lock.close()
    raise RuntimeError("no free loopback address 127.0.0.3-254 with ports 389/636 free")


class SambaDC:
    realm = REALM
    domain = DOMAIN
    base_dn = BASE_DN
    admin_password = ADMIN_PASSWORD

    def __init__(self, services="ldap"):
        self.services = services
        self.proc = None
        self.dir = None
        self.ip = None
        self._samdb = None

    # ---- lifetime -------------------------------------------------------------------------
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        template = _provision_template()
        self.dir = tempfile.mkdtemp(prefix="credsweep-samba-")
        _common.register(self)
        try:
            shutil.copytree(os.path.join(template, "dc"), self.dc_dir, symlinks=True)
            for attempt in range(3):
                self.ip, self._ip_lock = _pick_ip()
                self._write_conf()
                tls = os.path.join(self.private_dir, "tls")
                shutil.rmtree(tls, ignore_errors=True)
                _common.make_tls(tls, ips=[self.ip], dns=["%s.%s" % (HOST_NAME, REALM.lower())],
                                 cn="%s.%s" % (HOST_NAME, REALM.lower()))
                try:
                    listens = [(self.ip, 636, 60), (self.ip, 389, 10)]
                    if "rpc" in self.services.split():
                        listens.append((self.ip, 135, 30))  # endpoint mapper (drsuapi, ...)
                    if "kdc" in self.services.split():
                        listens.append((self.ip, 88, 30))
                    self.proc, self._log = _common.launch(
                        ["samba", "-i", "-M", "single", "-s", self.smb_conf], self.log_path,
                        listens)
                    return self
                except RuntimeError:
                    # Lost a race for the address with a foreign process: try the next one.
                    self._ip_lock.close()
                    self._ip_lock = None
                    if attempt == 2:
                        raise
        except BaseException:
            self.stop()
            raise

    def stop(self):
        _common.end_process(self)
        self._samdb = None
        if getattr(self, "_ip_lock", None):
            self._ip_lock.close()  # only after the server is gone: the address is free again
            self._ip_lock = None
        _common.remove_dir(self.dir)
        _common.unregister(self)

    def _write_conf(self):
        d = self.dc_dir
        os.makedirs(os.path.join(d, "run"), exist_ok=True)
        conf = f"""[global]
\tnetbios name = {HOST_NAME.upper()}
\tworkgroup = {DOMAIN}
\trealm = {REALM}
\tserver role = active directory domain controller
\tserver services = {self.services}
\tinterfaces = {self.ip}/8
\tbind interfaces only = yes
\tldap server require strong auth = no
\ttls enabled = yes
\ttls keyfile = {d}/private/tls/key.pem
\ttls certfile = {d}/private/tls/cert.pem
\ttls cafile = {d}/private/tls/ca.pem
\tprivate dir = {d}/private
\tbinddns dir = {d}/bind-dns
\tstate directory = {d}/state
\tcache directory = {d}/cache
\tlock directory = {d}
\tpid directory = {d}/run
\tntp signd socket directory = {d}/run/ntp
\twinbindd socket directory = {d}/run/winbindd
\tlog file = {d}/log.%m
\tidmap_ldb:use rfc2307 = yes
"""
        with open(self.smb_conf, "w") as f:
            f.write(conf)

    # ---- where things are -----------------------------------------------------------------
    @property
    def dc_dir(self):
        return os.path.join(self.dir, "dc")

    @property
    def private_dir(self):
        return os.path.join(self.dc_dir, "private")

    @property
    def smb_conf(self):
        return os.path.join(self.dc_dir, "etc", "smb.conf")

    @property
    def log_path(self):
        return os.path.join(self.dir, "samba.log")

    @property
    def ca_file(self):
        return os.path.join(self.private_dir, "tls", "ca.pem")

    @property
    def ldaps_url(self):
        return "ldaps://%s:636" % self.ip

    @property
    def ldap_url(self):
        return "ldap://%s:389" % self.ip

    @property
    def admin_dn(self):
        return "CN=Administrator,CN=Users," + BASE_DN

    def user_dn(self, name, ou=None):
        return "CN=%s,%s,%s" % (name, ou or "CN=Users", BASE_DN)

    # ---- directory changes (in-process SamDB; the server may keep running) ------------------
    def samdb(self):
        if self._samdb is None:
            from samba.auth import system_session
            from samba.param import LoadParm
            from samba.samdb import SamDB
            lp = LoadParm()
            lp.load(self.smb_conf)
            self._samdb = SamDB(url=os.path.join(self.private_dir, "sam.ldb"),
                                session_info=system_session(), lp=lp)
        return self._samdb

    def dn_of(self, name):
        """DN of a user, computer or group by sAMAccountName (or a DN passed through)."""
        if "=" in name:
            return name
        import ldb
        res = self.samdb().search(BASE_DN, scope=ldb.SCOPE_SUBTREE,
                                  expression="(sAMAccountName=%s)" % ldb.binary_encode(name),
                                  attrs=["dn"])
        if len(res) != 1:
            raise KeyError("no account or group named %r" % name)
        return str(res[0].dn)

    def add_ou(self, ou):
        """add_ou("OU=Consultants") -> DN."""
        dn = "%s,%s" % (ou, BASE_DN)
        self.samdb().add({"dn": dn, "objectClass": "organizationalUnit"})
        return dn

    def add_user(self, name, password, ou=None, must_change=False, **attrs):
        """Creates a user with a known password (policy already relaxed: '' works) and sets any
        further attributes (userAccountControl, accountExpires, mail, employeeType, manager,
        servicePrincipalName=[...], ...). Returns the DN."""
        db = self.samdb()
        db.newuser(name, password, userou=ou, force_password_change_at_next_login_req=must_change)
        dn = self.user_dn(name, ou)
        if attrs:
            self.set_attrs(dn, **attrs)
        return dn

    def add_computer(self, name, ou="CN=Computers", **attrs):
        """A workstation account NAME$ (no password set; uac WORKSTATION_TRUST_ACCOUNT)."""
        dn = "CN=%s,%s,%s" % (name, ou, BASE_DN)
        self.samdb().add({"dn": dn, "objectClass": "computer", "sAMAccountName": name + "$",
                          "userAccountControl": str(0x1000)})
        if attrs:
            self.set_attrs(dn, **attrs)
        return dn

    def add_group(self, name, members=(), ou=None, **attrs):
        self.samdb().newgroup(name, groupou=ou)
        dn = "CN=%s,%s,%s" % (name, ou or "CN=Users", BASE_DN)
        if members:
            self.add_members(dn, members)
        if attrs:
            self.set_attrs(dn, **attrs)
        return dn

    def add_members(self, group, members):
        self.set_attrs(group, _mod="add", member=[self.dn_of(m) for m in members])

    def set_attrs(self, name, _mod="replace", **attrs):
        """Replaces (or adds, _mod='add'; deletes with value None) attributes of an entry by
        sAMAccountName or DN. Ints are written as decimal strings (accountExpires, uac)."""
        import ldb
        db = self.samdb()
        msg = ldb.Message()
        msg.dn = ldb.Dn(db, self.dn_of(name))
        flag = {"replace": ldb.FLAG_MOD_REPLACE, "add": ldb.FLAG_MOD_ADD}[_mod]
        for attr, value in attrs.items():
            if value is None:
                msg[attr] = ldb.MessageElement([], ldb.FLAG_MOD_DELETE, attr)
                continue
            values = value if isinstance(value, (list, tuple)) else [value]
            msg[attr] = ldb.MessageElement([str(v) for v in values], flag, attr)
        db.modify(msg)

    def grant_replication(self, name):
        """Delegates "Replicating Directory Changes" and "... All" on the domain NC to the
        account NAME — the two extended rights MS-DRSR secret replication needs (README
        "Replication rights" gives the same recipe for Windows)."""
        for car in ("get-changes", "get-changes-all"):
            r = subprocess.run(["samba-tool", "dsacl", "set", "-s", self.smb_conf,
                                "-H", os.path.join(self.private_dir, "sam.ldb"),
                                "--objectdn=" + BASE_DN, "--trusteedn=" + self.dn_of(name),
                                "--car=" + car, "--action=allow"],
                               capture_output=True, text=True)
            if r.returncode != 0:
                raise RuntimeError("samba-tool dsacl set %s failed: %s" % (car, r.stderr[-500:]))

    def set_password(self, name, password, must_change=False):
        self.samdb().setpassword("(sAMAccountName=%s)" % name, password,
                                 force_change_at_next_login=must_change)

    def read_attrs(self, name, attrs):
        import ldb
        res = self.samdb().search(self.dn_of(name), scope=ldb.SCOPE_BASE, attrs=list(attrs))
        return {a: [str(v) for v in res[0][a]] if a in res[0] else [] for a in attrs}

    def try_bind(self, name, password):
        """Simple bind over LDAPS as NAME@REALM (or a DN). Returns (True, "") or (False, the
        server's diagnostic, e.g. "... data 773" = must change password, "data 52e" = bad
        password). Uses a base-scope read of the rootDSE, not ldapwhoami: Samba does not
        implement the Who-am-I extended operation."""
        who = name if "=" in name else "%s@%s" % (name, REALM.lower())
        r = subprocess.run(["ldapsearch", "-x", "-H", self.ldaps_url, "-D", who, "-w", password,
                            "-b", "", "-s", "base", "(objectClass=*)", "1.1"],
                           env=dict(os.environ, LDAPTLS_CACERT=self.ca_file),
                           capture_output=True, text=True)
        return r.returncode == 0, r.stderr.strip()

    # ---- hash material ----------------------------------------------------------------------
    def dump_hashes(self):
        """`pdbedit -L -w` output (smbpasswd format) for every account. Holds NT hashes: write
        it to a 0600 file or compare in memory; never print it or put it in an assertion
        message."""
        out = subprocess.run(["pdbedit", "-L", "-w", "-s", self.smb_conf], capture_output=True,
                             text=True)
        if out.returncode != 0:
            raise RuntimeError("pdbedit -L -w failed (%d)" % out.returncode)
        return out.stdout
