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

Prints, for each tool: wall time, accounts/s, peak RSS and CPU time of that process alone
(GNU time; see measured()). Never prints a hash.
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


def measured(args, env=None):
    """(wall s, peak RSS MiB, CPU s) of ARGS, by GNU time: ru_maxrss survives fork+exec, so a
    child of this driver (which holds the whole ldb transaction) would report the driver's
    size; /usr/bin/time's own child starts from a small image. Exits on failure."""
    with tempfile.NamedTemporaryFile("r") as out, tempfile.TemporaryFile() as errf:
        r = subprocess.run(["/usr/bin/time", "-f", "%e %M %U %S", "-o", out.name, *args],
                           env=env, stdout=subprocess.DEVNULL, stderr=errf)
        if r.returncode != 0:
            errf.seek(0)
            sys.exit("%s failed (%d): %s" % (os.path.basename(args[0]), r.returncode,
                                             errf.read().decode(errors="replace")[-2000:]))
        wall, kib, user, system = out.read().split()[-4:]
    return float(wall), int(kib) / 1024.0, float(user) + float(system)


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
    best = min(measured([credsweep, "audit", "--config", cfg, "--out", os.path.join(tmp, "out")])
               for _ in range(int(repeats)))
    print("credsweep audit (LDAP + replication + audit), best of %s: %.2f s, %.0f accounts/s, "
          "peak RSS %.1f MiB, CPU %.2f s" % (repeats, best[0], n / best[0], best[1], best[2]),
          flush=True)

    # 3. pdbedit reading the same DC's sam.ldb directly (no network, no decryption).
    best = min(measured(["pdbedit", "-L", "-w", "-s", dc.smb_conf]) for _ in range(int(repeats)))
    print("for comparison, pdbedit -L -w on the DC itself, best of %s: %.2f s, %.0f accounts/s, "
          "peak RSS %.1f MiB, CPU %.2f s" % (repeats, best[0], n / best[0], best[1], best[2]))
