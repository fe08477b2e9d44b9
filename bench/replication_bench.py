#!/usr/bin/python3
"""Replication benchmark: a Samba AD DC on loopback with N extra accounts, replicated by
build/replication_bench (connectors/replication) and by a whole `credsweep audit` with
[hashes] source = "replication", compared with `pdbedit -L -w` reading the same DC's sam.ldb.

    /usr/bin/python3 bench/replication_bench.py [N_ACCOUNTS] [REPEATS]
      N_ACCOUNTS  default 10000; accounts are added in one ldb transaction with SamDB on the
                  running DC's sam.ldb (each with its own password, so every one carries
                  unicodePwd; Samba derives the Kerberos keys for each, which is most of the
                  set-up time)
      REPEATS     default 3 (the best run is reported)
    env: CREDSWEEP_BUILD_DIR (default build)

Prints, for each tool: wall time, accounts/s and peak RSS of that process alone (os.wait4 on
the child, so the Python driver's own memory is not counted). Never prints a hash.
"""
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests"))
from servers.samba_dc import SambaDC  # noqa: E402

n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
repeats = sys.argv[2] if len(sys.argv) > 2 else "3"
build = os.environ.get("CREDSWEEP_BUILD_DIR", os.path.join(REPO, "build"))
bench = os.path.join(build, "replication_bench")
credsweep = os.path.join(build, "credsweep")
for exe in (bench, credsweep):
    if not os.access(exe, os.X_OK):
        sys.exit("missing %s: build the replication_bench and credsweep targets" % exe)
REPL_PASSWORD = "Bench-Repl-Account-1"  # fixture secret


def measured(args, env=None, stdout=subprocess.DEVNULL):
    """(wall seconds, peak RSS MiB) of ARGS as one child process; exits on failure."""
    with tempfile.TemporaryFile() as errf:  # a file, not a pipe: wait4 cannot deadlock
        t = time.time()
        p = subprocess.Popen(args, env=env, stdout=stdout, stderr=errf)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.time() - t
        errf.seek(0)
        err = errf.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    p.returncode = code  # reaped by wait4: Popen must not wait again
    if code != 0:
        sys.exit("%s failed (%d): %s" % (os.path.basename(args[0]), code, err[-2000:]))
    return wall, ru.ru_maxrss / 1024.0


def write_private(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


with SambaDC(services="ldap rpc") as dc, tempfile.TemporaryDirectory(prefix="cs-repl-bench-") as tmp:
    db = dc.samdb()
    t = time.time()
    db.transaction_start()
    try:
        for i in range(n):
            name = "bench%05d" % i
            pw = ('"Bench-%05d-pw"' % i).encode("utf-16-le")
            db.add({"dn": "CN=%s,CN=Users,%s" % (name, dc.base_dn), "objectClass": "user",
                    "sAMAccountName": name, "userAccountControl": "512", "unicodePwd": pw})
    except BaseException:
        db.transaction_cancel()
        raise
    db.transaction_commit()
    added = time.time() - t
    dc.add_user("svc-repl", REPL_PASSWORD)
    dc.grant_replication("svc-repl")
    print("added %d accounts in %.1f s" % (n, added), flush=True)

    # 1. The connector alone (connect, bind, every page, every decryption), REPEATS times.
    env = dict(os.environ, CREDSWEEP_BENCH_DC=dc.ip, CREDSWEEP_BENCH_USER="CORP\\svc-repl",
               CREDSWEEP_BIND_PASSWORD=REPL_PASSWORD)
    subprocess.run([bench, repeats], env=env, check=True)

    # 2. A whole `credsweep audit` with [hashes] source = "replication": LDAP read of every
    #    account, replication, join, corpus lookup, rules, findings written.
    words = write_private(os.path.join(tmp, "words.txt"), "Bench-00007-pw\nSommer2024\n")
    store = os.path.join(tmp, "store")
    subprocess.run([credsweep, "corpus", "import", "--store", store, "--format", "plaintext",
                    "--source", "bench", "--version", "1", words], check=True,
                   capture_output=True)
    pw = write_private(os.path.join(tmp, "repl.pw"), REPL_PASSWORD + "\n")
    cfg = write_private(os.path.join(tmp, "bench.toml"), f"""
[store]
path = "{store}"
[directory]
url = "{dc.ldaps_url}"
flavor = "ad"
base = "{dc.base_dn}"
bind_dn = "svc-repl@{dc.realm.lower()}"
bind_password_file = "{pw}"
ca_file = "{dc.ca_file}"
[hashes]
source = "replication"
[run]
state_dir = "{os.path.join(tmp, 'state')}"
""")
    best = None
    for _ in range(int(repeats)):
        wall, rss = measured([credsweep, "audit", "--config", cfg, "--out", os.path.join(tmp, "out")])
        best = (wall, rss) if best is None or wall < best[0] else best
    print("credsweep audit (LDAP + replication + audit), best of %s: %.2f s, %.0f accounts/s, "
          "peak RSS %.1f MiB" % (repeats, best[0], n / best[0], best[1]), flush=True)

    # 3. pdbedit reading the same DC's sam.ldb directly (no network, no decryption).
    best = None
    for _ in range(int(repeats)):
        wall, rss = measured(["pdbedit", "-L", "-w", "-s", dc.smb_conf])
        best = (wall, rss) if best is None or wall < best[0] else best
    print("for comparison, pdbedit -L -w on the DC itself, best of %s: %.2f s, %.0f accounts/s, "
          "peak RSS %.1f MiB" % (repeats, best[0], n / best[0], best[1]))
