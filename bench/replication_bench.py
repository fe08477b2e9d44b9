#!/usr/bin/python3
"""Replication benchmark: a Samba AD DC on loopback with N extra accounts, replicated by
build/replication_bench (connectors/replication) and, for comparison, the same DC's view via
`pdbedit -L -w`.

    /usr/bin/python3 bench/replication_bench.py [N_ACCOUNTS] [REPEATS]
      N_ACCOUNTS  default 2000; accounts are added in one ldb transaction with SamDB (each with
                  its own password, so every one carries unicodePwd)
      REPEATS     default 3 (the best run is reported)
    env: CREDSWEEP_BUILD_DIR (default build)

Prints the replication figures (accounts/s, peak RSS) and the time to add the accounts.
"""
import os
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests"))
from servers.samba_dc import SambaDC  # noqa: E402

n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
repeats = sys.argv[2] if len(sys.argv) > 2 else "3"
build = os.environ.get("CREDSWEEP_BUILD_DIR", os.path.join(REPO, "build"))
bench = os.path.join(build, "replication_bench")
if not os.access(bench, os.X_OK):
    sys.exit("missing %s: build the replication_bench target" % bench)

with SambaDC(services="ldap rpc") as dc:
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
    dc.add_user("svc-repl", "Bench-Repl-Account-1")
    dc.grant_replication("svc-repl")
    print("added %d accounts in %.1f s" % (n, added), flush=True)
    env = dict(os.environ, CREDSWEEP_BENCH_DC=dc.ip, CREDSWEEP_BENCH_USER="CORP\\svc-repl",
               CREDSWEEP_BIND_PASSWORD="Bench-Repl-Account-1")
    subprocess.run([bench, repeats], env=env, check=True)
    t = time.time()
    out = subprocess.run(["pdbedit", "-L", "-w", "-s", dc.smb_conf], capture_output=True)
    print("for comparison, pdbedit -L -w on the DC itself: %.2f s (%d lines)"
          % (time.time() - t, out.stdout.count(b"\n")))
