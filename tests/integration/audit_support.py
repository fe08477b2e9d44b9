"""Shared steps of the `credsweep audit` integration tests (test_audit_samba.py,
test_audit_openldap.py): argument handling, corpus import, running the audit, reading the
findings as (account, rule) pairs, and scanning an output folder for NT hashes.

Not a test file itself (ctest only registers tests/integration/test_*.py).
"""
import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests"))
from servers._common import nt_hash_hex  # noqa: E402,F401  (re-exported for the tests)


def take_binary():
    """Strips `--binary PATH` from sys.argv (before unittest.main) and returns PATH."""
    if "--binary" not in sys.argv:
        raise SystemExit("usage: %s --binary PATH_TO_credsweep [unittest args]" % sys.argv[0])
    i = sys.argv.index("--binary")
    binary = os.path.abspath(sys.argv[i + 1])
    del sys.argv[i:i + 2]
    return binary


def write_private(path, text):
    """Writes a 0600 file (fixture secrets, dumps, configs)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def run(binary, *args, env=None, timeout=120):
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=timeout,
                          env=env)


def import_words(binary, store, words_file, source="test-words", version="2026-11"):
    r = run(binary, "corpus", "import", "--store", store, "--format", "plaintext",
            "--source", source, "--version", version, words_file)
    if r.returncode != 0:
        raise RuntimeError("corpus import failed (%d): %s%s" % (r.returncode, r.stdout, r.stderr))
    return r


def findings_by_account(out_dir):
    """{account: sorted [rule, ...]} from DIR/findings.json (waived findings included)."""
    with open(os.path.join(out_dir, "findings.json")) as f:
        doc = json.load(f)
    got = {}
    for x in doc["findings"]:
        got.setdefault(x["account"], []).append(x["rule"])
    return doc, {k: sorted(v) for k, v in got.items()}


def scan_for_hashes(folder, hashes_hex):
    """Names of files under `folder` that contain any of the NT hashes, as upper- or lower-case
    hex or as the raw 16 bytes. Returns [(file, index_of_hash)] — never the hash itself."""
    needles = []
    for i, h in enumerate(hashes_hex):
        needles += [(i, h.upper().encode()), (i, h.lower().encode()), (i, bytes.fromhex(h))]
    hits = []
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                data = f.read()
            for i, n in needles:
                if n in data:
                    hits.append((os.path.relpath(path, folder), i))
    return hits
