"""Shared plumbing for the test servers: process lifetime, ports, certificates, temp dirs."""
import atexit
import errno
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

_live = []  # servers to stop at interpreter exit


def register(server):
    _live.append(server)


def unregister(server):
    if server in _live:
        _live.remove(server)


@atexit.register
def _stop_all():
    for s in list(_live):
        try:
            s.stop()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


def keep_dirs():
    return os.environ.get("CREDSWEEP_KEEP_SERVERS") == "1"


def cache_root():
    """Where provisioned templates are cached for the CI run: $CREDSWEEP_BUILD_DIR or /tmp."""
    base = os.environ.get("CREDSWEEP_BUILD_DIR")
    if base and os.path.isdir(base):
        d = os.path.join(base, "test-server-cache")
    else:
        d = os.path.join(tempfile.gettempdir(), "credsweep-test-server-cache-%d" % os.getuid())
    os.makedirs(d, mode=0o700, exist_ok=True)
    return d


def free_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def lock_address(name):
    """An exclusive, non-blocking lock on a loopback address/port shared by every test run on
    this machine (held until the returned file is closed); None when someone else holds it."""
    d = os.path.join(tempfile.gettempdir(), "credsweep-loopback-locks")
    os.makedirs(d, mode=0o1777, exist_ok=True)
    f = open(os.path.join(d, name + ".lock"), "w")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        return None
    return f


def port_free(host, port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError as e:
            if e.errno in (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES):
                return False
            raise
        return True


def listener_pids(host, port):
    """PIDs listening on host:port (TCP), from `ss -ltnp`."""
    out = subprocess.run(["ss", "-ltnpH", "sport = :%d" % port], capture_output=True, text=True).stdout
    pids = set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[3] in ("%s:%d" % (host, port), "*:%d" % port,
                                               "0.0.0.0:%d" % port):
            for chunk in line.split("pid=")[1:]:
                pids.add(int(chunk.split(",")[0]))
    return pids


def wait_for_port(host, port, proc, timeout, log_path):
    """Waits until OUR process listens on host:port. Another test's server that happens to
    listen there (two test runs racing for an address) is not mistaken for ours."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited with %s before listening on %s:%d; log:\n%s"
                               % (proc.returncode, host, port, tail(log_path)))
        pids = listener_pids(host, port)
        if pids and proc.pid not in pids:
            raise RuntimeError("%s:%d is taken by another process (pids %s)" % (host, port, sorted(pids)))
        if proc.pid in pids:
            return
        time.sleep(0.05)
    raise RuntimeError("server did not listen on %s:%d within %ss; log:\n%s"
                       % (host, port, timeout, tail(log_path)))


def launch(argv, log_path, listens):
    """Starts ARGV in its own session with stdout/stderr appended to LOG_PATH, and waits until
    it listens on every (host, port, timeout_seconds) of LISTENS, in order. Returns
    (proc, log_file). On RuntimeError (it died, or lost a race for an address) the process is
    stopped and the log closed before the error propagates, so the caller can retry."""
    log = open(log_path, "ab")
    try:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    except BaseException:
        log.close()
        raise
    try:
        for host, port, timeout in listens:
            wait_for_port(host, port, proc, timeout, log_path)
    except RuntimeError:
        stop_pid(proc)
        log.close()
        raise
    return proc, log


def end_process(server):
    """Stops SERVER.proc (by PID) and closes SERVER._log, the pair launch() returned."""
    stop_pid(server.proc)
    server.proc = None
    if getattr(server, "_log", None):
        server._log.close()
        server._log = None


def tail(path, n=40):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return "(no log)"


def stop_pid(proc, grace=5.0):
    """SIGTERM the process, SIGKILL after `grace` seconds. Only ever this PID."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=grace)
    except ProcessLookupError:
        pass


def remove_dir(path):
    if path and os.path.isdir(path) and not keep_dirs():
        shutil.rmtree(path, ignore_errors=True)


def make_tls(dirpath, ips=(), dns=(), cn="credsweep test server"):
    """A throw-away CA and a server certificate for the given IPs/DNS names (SAN), both
    PEM, in dirpath: ca.pem, cert.pem, key.pem (0600). Returns the three paths."""
    os.makedirs(dirpath, exist_ok=True)
    ca_key = os.path.join(dirpath, "ca-key.pem")
    ca = os.path.join(dirpath, "ca.pem")
    key = os.path.join(dirpath, "key.pem")
    csr = os.path.join(dirpath, "cert.csr")
    cert = os.path.join(dirpath, "cert.pem")
    ext = os.path.join(dirpath, "san.ext")
    run = lambda *a: subprocess.run(a, check=True, stdout=subprocess.DEVNULL,  # noqa: E731
                                    stderr=subprocess.PIPE)
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=credsweep test CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", key, "-out", csr, "-subj", "/CN=" + cn)
    san = ",".join(["IP:" + i for i in ips] + ["DNS:" + d for d in dns])
    with open(ext, "w") as f:
        f.write("subjectAltName=%s\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n" % san)
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
        "-out", cert, "-days", "2", "-extfile", ext)
    os.chmod(key, 0o600)
    os.remove(ca_key)  # nobody should be able to mint more certs from this CA
    return ca, cert, key


def _md4(data):
    """RFC 1320 MD4 (hashlib's md4 needs OpenSSL's legacy provider, absent on Debian 12)."""
    def f(x, y, z): return (x & y) | (~x & z)
    def g(x, y, z): return (x & y) | (x & z) | (y & z)
    def h(x, y, z): return x ^ y ^ z
    def rol(v, s): return ((v << s) | (v >> (32 - s))) & 0xFFFFFFFF
    msg = bytearray(data)
    bitlen = (8 * len(data)) & 0xFFFFFFFFFFFFFFFF
    msg.append(0x80)
    while len(msg) % 64 != 56:
        msg.append(0)
    msg += bitlen.to_bytes(8, "little")
    a, b, c, d = 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476
    for off in range(0, len(msg), 64):
        x = [int.from_bytes(msg[off + 4 * i:off + 4 * i + 4], "little") for i in range(16)]
        aa, bb, cc, dd = a, b, c, d
        for i in (0, 4, 8, 12):
            a = rol((a + f(b, c, d) + x[i]) & 0xFFFFFFFF, 3)
            d = rol((d + f(a, b, c) + x[i + 1]) & 0xFFFFFFFF, 7)
            c = rol((c + f(d, a, b) + x[i + 2]) & 0xFFFFFFFF, 11)
            b = rol((b + f(c, d, a) + x[i + 3]) & 0xFFFFFFFF, 19)
        for i in (0, 1, 2, 3):
            a = rol((a + g(b, c, d) + x[i] + 0x5A827999) & 0xFFFFFFFF, 3)
            d = rol((d + g(a, b, c) + x[i + 4] + 0x5A827999) & 0xFFFFFFFF, 5)
            c = rol((c + g(d, a, b) + x[i + 8] + 0x5A827999) & 0xFFFFFFFF, 9)
            b = rol((b + g(c, d, a) + x[i + 12] + 0x5A827999) & 0xFFFFFFFF, 13)
        for i in (0, 2, 1, 3):
            a = rol((a + h(b, c, d) + x[i] + 0x6ED9EBA1) & 0xFFFFFFFF, 3)
            d = rol((d + h(a, b, c) + x[i + 8] + 0x6ED9EBA1) & 0xFFFFFFFF, 9)
            c = rol((c + h(d, a, b) + x[i + 4] + 0x6ED9EBA1) & 0xFFFFFFFF, 11)
            b = rol((b + h(c, d, a) + x[i + 12] + 0x6ED9EBA1) & 0xFFFFFFFF, 15)
        a, b, c, d = [(v + w) & 0xFFFFFFFF for v, w in ((a, aa), (b, bb), (c, cc), (d, dd))]
    return b"".join(v.to_bytes(4, "little") for v in (a, b, c, d))


def nt_hash_hex(password):
    """NT hash (MD4 of UTF-16LE) as 32 upper-case hex digits — fixture material only."""
    return _md4(password.encode("utf-16-le")).hex().upper()
