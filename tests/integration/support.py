"""Shared helpers of every integration test (tests/integration/test_*.py): `--binary`
handling, the repository and build/test-output locations, running the binary, private (0600)
fixture files, corpus import, reading findings, and scanning an output folder for NT hashes.

Importing it also puts tests/ on sys.path, so a test can then `from servers... import ...`.
Not a test file itself (ctest only registers tests/integration/test_*.py).
"""
import contextlib
import json
import os
import subprocess
import sys
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests"))
from servers._common import nt_hash_hex, remove_dir  # noqa: E402,F401  (re-exported for the tests)


def take_binary():
    """Strips `--binary PATH` from sys.argv (before unittest.main) and returns PATH."""
    if "--binary" not in sys.argv:
        raise SystemExit("usage: %s --binary PATH_TO_credsweep [unittest args]" % sys.argv[0])
    i = sys.argv.index("--binary")
    binary = os.path.abspath(sys.argv[i + 1])
    del sys.argv[i:i + 2]
    if not os.access(binary, os.X_OK):
        raise SystemExit("credsweep binary not found: %s" % binary)
    return binary


def main():
    """Runs the calling script's tests; the exit status is non-zero on any failure."""
    result = unittest.main(module="__main__", exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() else 1)


@contextlib.contextmanager
def cleanup_on_failure(server, tmp):
    """For setUpClass: when the block fails, stops SERVER and removes the folder TMP before the
    error propagates (unittest does not call tearDownClass after a failed setUpClass)."""
    try:
        yield
    except BaseException:
        server.stop()
        remove_dir(tmp)
        raise


def build_dir(binary):
    """The build directory: $CREDSWEEP_BUILD_DIR (ctest sets it), else the binary's folder."""
    return os.environ.get("CREDSWEEP_BUILD_DIR") or os.path.dirname(binary)


def output_dir(binary, name):
    """BUILD/test-output/NAME: where a test leaves files for a person to look at."""
    return os.path.join(build_dir(binary), "test-output", name)


def build_target(binary, name):
    """BUILD/NAME, an executable the build made besides credsweep (e.g. cs_directory_tests)."""
    build = build_dir(binary)
    path = os.path.join(build, name)
    if not os.path.isfile(path):
        # Not a skip: without it nothing the calling test asserts would be proven.
        raise RuntimeError("%s is not built in %r (build all targets first)" % (name, build))
    return path


def open_private(path):
    """Opens PATH for writing text as a 0600 file (the mode is set at creation, never wider)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w")


def write_private(path, text):
    """Writes a 0600 file (fixture secrets, dumps, configs)."""
    with open_private(path) as f:
        f.write(text)
    return path


def run(binary, *args, env=None, timeout=120, input=None):
    """Runs BINARY ARGS... (INPUT on stdin, if given), capturing stdout/stderr as text."""
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=timeout,
                          env=env, input=input)


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
