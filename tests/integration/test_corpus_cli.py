#!/usr/bin/env python3
"""Drives the real `credsweep corpus ...` binary: generate, import, info, check.

What a user relies on: exact answers and exit codes, FILE:LINE errors that never echo a
password or hash, a store that is unchanged by a failed or killed import, fail-closed opening of
a damaged store (exit 3), and one import at a time.

Run: python3 tests/integration/test_corpus_cli.py --binary build/credsweep
"""
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support as sup  # noqa: E402

BINARY = sup.take_binary()

PASSWORD_NT = "8846F7EAEE8FB117AD06BDD830B7586C"  # NT("password"), a published test vector
EMPTY_NT = "31D6CFE0D16AE931B73C59D7E0C089C0"
WORDS = ["password", "123456", "qwerty", "letmein", "Sommer2024!", "\u00e6bleGr\u00f8d"]
BANDS = ["1–9", "10–99", "100–999", "1 k–10 k", "10 k–100 k", "100 k–1 M", "≥ 1 M"]
ANSWER_LINE = re.compile(r"^(LEAKED (%s)|OK)$" % "|".join(re.escape(b) for b in BANDS))


def band(count):
    """The prevalence band credsweep prints for an exact corpus count (README "Prevalence
    bands"): decades, lower bound inclusive; exact counts never leave the store."""
    return BANDS[min(len(str(max(count, 1))) - 1, len(BANDS) - 1)]


def run(args, stdin=None, timeout=120):
    return subprocess.run([BINARY] + args, input=stdin, capture_output=True, timeout=timeout)


class CorpusCliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cs_corpus_cli_")
        cls.words = os.path.join(cls.tmp, "words.txt")
        with open(cls.words, "w", encoding="utf-8") as f:
            f.write("\n".join(WORDS) + "\n")
        cls.hibp = os.path.join(cls.tmp, "hibp.txt")
        r = run(["corpus", "generate", "--out", cls.hibp, "--random", "20000",
                 "--words", cls.words, "--seed", "7"])
        assert r.returncode == 0, r.stderr.decode()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def new_store(self, name):
        path = os.path.join(self.tmp, name)
        shutil.rmtree(path, ignore_errors=True)
        return path

    def import_ok(self, store, *paths, extra=()):
        r = run(["corpus", "import", "--store", store] + list(extra) + list(paths))
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        return r

    def check(self, store, lines, plaintext=False, json_out=False):
        args = ["corpus", "check", "--store", store]
        if plaintext:
            args.append("--plaintext")
        if json_out:
            args.append("--json")
        data = "".join(l + "\n" for l in lines).encode("utf-8")
        return run(args, stdin=data)

    def assert_no_secret(self, output, secrets):
        text = output.decode("utf-8", "replace") if isinstance(output, bytes) else output
        for s in secrets:
            self.assertNotIn(s, text)
            self.assertNotIn(s.lower(), text)

    # --- generate ---------------------------------------------------------------------------

    def test_generate_is_sorted_uppercase_crlf_and_deterministic(self):
        with open(self.hibp, "rb") as f:
            data = f.read()
        lines = data.split(b"\r\n")
        self.assertEqual(lines[-1], b"")
        lines = lines[:-1]
        self.assertEqual(len(lines), 20000 + len(WORDS))
        hashes = [l.split(b":")[0] for l in lines]
        self.assertEqual(hashes, sorted(hashes))
        self.assertEqual(len(set(hashes)), len(hashes))
        for l in lines[:1000]:
            self.assertRegex(l.decode(), r"^[0-9A-F]{32}:[1-9][0-9]*$")
        self.assertIn(PASSWORD_NT.encode(), hashes)
        again = os.path.join(self.tmp, "again.txt")
        run(["corpus", "generate", "--out", again, "--random", "20000", "--words", self.words,
             "--seed", "7"])
        with open(again, "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).digest(), hashlib.sha256(data).digest())
        other = os.path.join(self.tmp, "other.txt")
        run(["corpus", "generate", "--out", other, "--random", "20000", "--seed", "8"])
        with open(other, "rb") as f:
            self.assertNotEqual(f.read(200), data[:200])

    # --- import, info, check ----------------------------------------------------------------

    def test_import_info_check(self):
        store = self.new_store("s_basic")
        r = self.import_ok(store, self.hibp, extra=["--source", "hibp", "--version", "v1"])
        self.assert_no_secret(r.stdout + r.stderr, [PASSWORD_NT])
        info = run(["corpus", "info", "--store", store, "--json"])
        self.assertEqual(info.returncode, 0, info.stderr.decode())
        j = json.loads(info.stdout)
        self.assertEqual(j["keys"], 20000 + len(WORDS))
        self.assertEqual(len(j["sources"]), 1)
        src = j["sources"][0]
        self.assertEqual((src["name"], src["version"], src["lines"]), ("hibp", "v1", 20006))
        self.assertRegex(src["imported_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertGreaterEqual(j["bits_per_key"], 15.5)
        self.assertLessEqual(j["bits_per_key"], 20.5)
        self.assertLessEqual(j["expected_fpr"], 0.001)
        self.assertGreater(j["expected_fpr"], 0)
        text = run(["corpus", "info", "--store", store])
        self.assertEqual(text.returncode, 0)
        self.assertIn("hibp", text.stdout.decode())

        # Hashes: in order, one answer per line, the band of the count in the file (word 0 is
        # the most common: 10^6 / 1 + 1) — never the exact count.
        r = self.check(store, [PASSWORD_NT, EMPTY_NT, PASSWORD_NT.lower()])
        self.assertEqual(r.returncode, 1, r.stderr.decode())
        self.assertEqual(r.stdout.decode().splitlines(),
                         ["LEAKED " + band(1000001), "OK", "LEAKED " + band(1000001)])
        self.assertNotIn("1000001", r.stdout.decode())
        r = self.check(store, [EMPTY_NT, EMPTY_NT])
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stdout.decode().splitlines(), ["OK", "OK"])

        # Passwords: never echoed.
        secret = "not-in-any-list-Zebra-91"
        r = self.check(store, ["qwerty", secret, "\u00e6bleGr\u00f8d", ""], plaintext=True)
        self.assertEqual(r.returncode, 1)
        out = r.stdout.decode().splitlines()
        self.assertEqual(out[0], "LEAKED " + band(10**6 // 3 + 1))
        self.assertEqual(out[1], "OK")
        self.assertEqual(out[2], "LEAKED " + band(10**6 // 6 + 1))
        self.assertEqual(out[3], "OK")
        self.assert_no_secret(r.stdout + r.stderr, [secret, "qwerty"])

        r = self.check(store, ["password", "letmein2"], plaintext=True, json_out=True)
        self.assertEqual(r.returncode, 1)
        rows = [json.loads(l) for l in r.stdout.decode().splitlines()]
        self.assertEqual(rows, [{"line": 1, "leaked": True, "prevalence": band(1000001)},
                                {"line": 2, "leaked": False, "prevalence": None}])

    def test_check_prints_only_answers_for_many_lines(self):
        store = self.new_store("s_many")
        self.import_ok(store, self.hibp)
        with open(self.hibp) as f:
            present = [l.split(":")[0] for l in f.read().splitlines()[::50]]
        absent = ["%032X" % (i * 7919 + 1) for i in range(len(present))]
        queries = [q for pair in zip(present, absent) for q in pair]
        r = self.check(store, queries)
        self.assertEqual(r.returncode, 1)
        out = r.stdout.decode().splitlines()
        self.assertEqual(len(out), len(queries))
        for i, line in enumerate(out):
            self.assertRegex(line, ANSWER_LINE)
            self.assertEqual(line.startswith("LEAKED"), i % 2 == 0, (i, line))
        self.assert_no_secret(r.stdout + r.stderr, queries[:20])

    def test_stdin_import_and_incremental_sources(self):
        store = self.new_store("s_incr")
        self.import_ok(store, self.hibp, extra=["--source", "hibp"])
        r = run(["corpus", "import", "--store", store, "--format", "plaintext", "--source",
                 "local", "-"], stdin="password\nlocal-only-Tiger-7\n".encode())
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        j = json.loads(run(["corpus", "info", "--store", store, "--json"]).stdout)
        self.assertEqual(j["keys"], 20000 + len(WORDS) + 1)
        self.assertEqual([s["name"] for s in j["sources"]], ["hibp", "local"])
        r = self.check(store, ["password", "local-only-Tiger-7"], plaintext=True)
        self.assertEqual(r.stdout.decode().splitlines(),
                         ["LEAKED " + band(1000002), "LEAKED " + band(1)])

    # --- errors ------------------------------------------------------------------------------

    def test_malformed_line_reports_file_line_and_leaves_store_unchanged(self):
        store = self.new_store("s_bad")
        self.import_ok(store, self.hibp)
        with open(os.path.join(store, "manifest.json"), "rb") as f:
            manifest = f.read()
        bad = os.path.join(self.tmp, "bad.txt")
        with open(bad, "w") as f:
            f.write("ABCDEF0123456789ABCDEF0123456789:5\r\n")
            f.write("ABCDEF0123456789ABCDEF012345678Z:5\r\n")
        r = run(["corpus", "import", "--store", store, bad])
        self.assertEqual(r.returncode, 2)
        err = r.stderr.decode()
        self.assertIn(bad + ":2: ", err)
        self.assertIn("column 32", err)
        self.assert_no_secret(err, ["ABCDEF0123456789"])
        with open(os.path.join(store, "manifest.json"), "rb") as f:
            self.assertEqual(f.read(), manifest)
        self.assertEqual(sorted(os.listdir(store)), ["LOCK", "gen-000001", "manifest.json"])
        r = self.check(store, ["ABCDEF0123456789ABCDEF0123456789"])
        self.assertEqual((r.returncode, r.stdout.decode()), (0, "OK\n"))
        # --skip-bad: the good line goes in, the bad one is counted and located.
        r = run(["corpus", "import", "--store", store, "--skip-bad", bad])
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertIn("skipped 1 malformed", r.stdout.decode())
        self.assertIn(bad + ":2: ", r.stdout.decode())
        r = self.check(store, ["ABCDEF0123456789ABCDEF0123456789"])
        self.assertEqual((r.returncode, r.stdout.decode()), (1, "LEAKED %s\n" % band(5)))

    def test_plaintext_error_never_echoes_the_password(self):
        store = self.new_store("s_pw")
        words = os.path.join(self.tmp, "badwords.txt")
        with open(words, "wb") as f:
            f.write(b"fine\nSecretPass\xffword99\n")
        r = run(["corpus", "import", "--store", store, "--format", "plaintext", words])
        self.assertEqual(r.returncode, 2)
        self.assertIn(words + ":2: invalid UTF-8", r.stderr.decode())
        self.assert_no_secret(r.stderr, ["SecretPass", "word99"])
        r = run(["corpus", "check", "--store", store], stdin=b"x\n")
        self.assertEqual(r.returncode, 3)  # no store was created
        self.assertIn("corpus import", r.stderr.decode())

    def test_sha1_file_is_refused(self):
        store = self.new_store("s_sha1")
        sha1 = os.path.join(self.tmp, "pwned-passwords-sha1-ordered-by-hash.txt")
        with open(sha1, "w") as f:
            f.write("000000005AD76BD555C1D6D771DE417A4B87E4B4:10\r\n")
        r = run(["corpus", "import", "--store", store, sha1])
        self.assertEqual(r.returncode, 2)
        err = r.stderr.decode()
        self.assertIn("SHA-1", err)
        self.assertIn("NTLM", err)
        self.assertFalse(os.path.exists(os.path.join(store, "manifest.json")))

    def test_usage_errors_exit_2(self):
        store = self.new_store("s_usage")
        self.import_ok(store, self.hibp)
        self.assertEqual(run(["corpus", "check"]).returncode, 2)
        self.assertEqual(run(["corpus", "import", "--store", store]).returncode, 2)
        self.assertEqual(run(["corpus", "import", "--store", store, "--format", "md5",
                              self.hibp]).returncode, 2)
        r = self.check(store, [PASSWORD_NT, "hunter2hunter2"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("stdin:2:", r.stderr.decode())
        self.assert_no_secret(r.stderr, ["hunter2"])

    def test_verify_checks_the_whole_store_and_records_the_time(self):
        store = self.new_store("s_verify")
        self.import_ok(store, self.hibp)
        with open(os.path.join(store, "manifest.json")) as f:
            before = json.load(f)["filter"]
        self.assertEqual(len(before["checksum"]), 64)
        r = run(["corpus", "verify", "--store", store])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"verified", r.stdout)
        with open(os.path.join(store, "manifest.json")) as f:
            after = json.load(f)["filter"]
        self.assertEqual(after["checksum"], before["checksum"])
        self.assertGreaterEqual(after["verified_at"], before["verified_at"])

    def test_corrupt_store_fails_closed_with_exit_3(self):
        base = self.new_store("s_corrupt_base")
        self.import_ok(base, self.hibp)

        def fresh_copy():
            path = self.new_store("s_corrupt")
            shutil.copytree(base, path)
            return path

        def expect_exit_3(store, names):
            for args, stdin in ((["corpus", "info", "--store", store], None),
                                (["corpus", "check", "--store", store], PASSWORD_NT.encode() + b"\n"),
                                (["corpus", "verify", "--store", store], None)):
                r = run(args, stdin=stdin)
                self.assertEqual(r.returncode, 3, (args, r.stdout, r.stderr))
                self.assertIn(names, r.stderr.decode())
                self.assertEqual(r.stdout, b"")
            # check-password reads only the header and the 4 KiB range it probes; every damage
            # below reaches that range (a bit flipped in every range, a cut file, a bad
            # header): it must refuse every one of them too.
            for pw in (b"password", b"not-in-any-breach-7d2f"):
                r = run(["check-password", "--store", store], stdin=pw)
                self.assertEqual(r.returncode, 3, (r.stdout, r.stderr))
                self.assertIn(b"rejected", r.stdout)
                self.assertIn(names, r.stderr.decode())

        store = fresh_copy()
        with open(os.path.join(store, "manifest.json"), "w") as f:
            f.write('{"format": "credsweep-corpus-store"')
        expect_exit_3(store, "manifest.json")

        store = fresh_copy()
        filt = os.path.join(store, "gen-000001", "filter.csbf")
        with open(filt, "r+b") as f:  # bit rot in every 4 KiB range of the body
            for at in range(4096 + 100, os.path.getsize(filt), 4096):
                f.seek(at)
                b = f.read(1)
                f.seek(at)
                f.write(bytes([b[0] ^ 0x10]))
        expect_exit_3(store, "filter.csbf")

        store = fresh_copy()
        with open(filt, "r+b") as f:
            f.truncate(4096 + 64)
        expect_exit_3(store, "filter.csbf")

        store = fresh_copy()
        index = os.path.join(store, "gen-000001", "index")
        ssts = sorted(n for n in os.listdir(index) if n.endswith(".sst"))
        self.assertTrue(ssts)
        with open(os.path.join(index, ssts[0]), "r+b") as f:
            f.truncate(100)
        expect_exit_3(store, "index")

        store = fresh_copy()
        shutil.rmtree(os.path.join(store, "gen-000001", "index"))
        expect_exit_3(store, "index")

    # --- crash safety and locking ------------------------------------------------------------

    def test_kill_9_mid_import_leaves_previous_store_answering(self):
        store = self.new_store("s_kill")
        self.import_ok(store, self.hibp, extra=["--source", "hibp", "--version", "v1"])
        big = os.path.join(self.tmp, "big.txt")
        r = run(["corpus", "generate", "--out", big, "--random", "1500000", "--words", self.words,
                 "--seed", "99"], timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        with open(self.hibp) as f:
            old = [l.split(":")[0] for l in f.read().splitlines()[::200]]
        with open(big) as f:
            new_only = [f.readline().split(":")[0] for _ in range(50)]
        probe = old + new_only + [EMPTY_NT]

        def answers():
            r = self.check(store, probe)
            self.assertIn(r.returncode, (0, 1), r.stderr.decode())
            info = json.loads(run(["corpus", "info", "--store", store, "--json"]).stdout)
            return r.stdout, info["keys"], [(s["name"], s["version"]) for s in info["sources"]]

        before = answers()
        self.assertEqual(before[1], 20006)
        # Kill at several moments: early (reading), middle, late (ingest/filter/commit window).
        for delay in (0.3, 1.0, 2.0, 3.5):
            p = subprocess.Popen([BINARY, "corpus", "import", "--store", store, "--source", "hibp",
                                  "--version", "v2", big],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(delay)
            finished = p.poll() is not None
            if not finished:
                os.kill(p.pid, signal.SIGKILL)
            p.wait()
            with open(os.path.join(store, "manifest.json")) as f:
                committed = json.load(f)["generation"] != 1
            if finished or committed:
                break  # the import got past its commit point before the kill: nothing to test
            self.assertEqual(answers(), before, "store changed after kill -9 at %.1f s" % delay)
        # The next import completes and the new hashes are there.
        r = run(["corpus", "import", "--store", store, "--source", "hibp", "--version", "v2", big],
                timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        r = self.check(store, new_only)
        self.assertEqual(r.returncode, 1)
        self.assertTrue(all(l.startswith("LEAKED") for l in r.stdout.decode().splitlines()))
        info = json.loads(run(["corpus", "info", "--store", store, "--json"]).stdout)
        self.assertEqual(info["sources"][0]["version"], "v2")
        self.assertGreaterEqual(info["keys"], 1500000)
        gens = [n for n in os.listdir(store) if n.startswith("gen-")]
        self.assertEqual(len(gens), 1, gens)

    def test_second_concurrent_import_is_refused(self):
        store = self.new_store("s_lock")
        self.import_ok(store, self.hibp)
        big = os.path.join(self.tmp, "lockbig.txt")
        run(["corpus", "generate", "--out", big, "--random", "600000", "--seed", "5"])
        p = subprocess.Popen([BINARY, "corpus", "import", "--store", store, big],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            # The first import holds the lock once its new generation directory exists.
            deadline = time.time() + 60
            while not os.path.exists(os.path.join(store, "gen-000002")) and p.poll() is None \
                    and time.time() < deadline:
                time.sleep(0.01)
            r = run(["corpus", "import", "--store", store, "--source", "second", self.words])
            if p.poll() is None:
                self.assertEqual(r.returncode, 3, r.stderr.decode())
                self.assertIn("another import", r.stderr.decode())
        finally:
            p.wait(timeout=300)
        self.assertEqual(p.returncode, 0)


if __name__ == "__main__":
    sup.main()
