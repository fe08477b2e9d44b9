#!/usr/bin/env python3
"""Renders the demo municipality into a work directory (called by tools/demo.sh).

Inputs (beside this script):
  municipality.ldif   the directory, as an AD `ldapsearch` export. Times that must stay
                      relative to today so the demo never ages are written as tokens:
                      {{filetime:+60d}} / {{filetime:-200d}} (accountExpires,
                      lastLogonTimestamp, pwdLastSet as FILETIME).
  passwords.csv       the demo's plaintext passwords: account,rid,password[,history...].
                      Demo fixtures only; they exist so the dump below is real.
  credsweep.toml, owners.csv   copied as they are.

Outputs in OUT:
  municipality.ldif   tokens replaced
  hashes.secretsdump  impacket secretsdump NTDS format,
                      SOLBJERG\\user:RID:LMHASH:NTHASH::: (status=Enabled|Disabled), and
                      user_historyN lines. NT = MD4(UTF-16LE(password)) (MS-NLMP 3.3.1), MD4
                      implemented below (RFC 1320; OpenSSL 3 hides it). LM hashes (only for
                      accounts marked lm=1) use DES via `openssl enc -des-ecb` with the legacy
                      provider (MS-NLMP 3.3.1 LMOWFv1); every other account gets the empty-LM
                      constant, as a modern DC stores.
Nothing is printed but the paths written: the hashes stay in the file.
"""
import csv
import os
import re
import shutil
import struct
import subprocess
import sys
import time

EMPTY_LM = "aad3b435b51404eeaad3b435b51404ee"


def md4(data: bytes) -> bytes:
    """RFC 1320 MD4."""
    def f(x, y, z): return (x & y) | (~x & z)
    def g(x, y, z): return (x & y) | (x & z) | (y & z)
    def h(x, y, z): return x ^ y ^ z
    def rotl(v, s): v &= 0xFFFFFFFF; return ((v << s) | (v >> (32 - s))) & 0xFFFFFFFF
    msg = data + b"\x80" + b"\x00" * ((55 - len(data)) % 64) + struct.pack("<Q", len(data) * 8)
    a, b, c, d = 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476
    for off in range(0, len(msg), 64):
        x = struct.unpack("<16I", msg[off:off + 64])
        aa, bb, cc, dd = a, b, c, d
        for i in range(16):
            k = i
            s = (3, 7, 11, 19)[i % 4]
            if i % 4 == 0: a = rotl(a + f(b, c, d) + x[k], s)
            elif i % 4 == 1: d = rotl(d + f(a, b, c) + x[k], s)
            elif i % 4 == 2: c = rotl(c + f(d, a, b) + x[k], s)
            else: b = rotl(b + f(c, d, a) + x[k], s)
        for i in range(16):
            k = (i % 4) * 4 + i // 4
            s = (3, 5, 9, 13)[i % 4]
            if i % 4 == 0: a = rotl(a + g(b, c, d) + x[k] + 0x5A827999, s)
            elif i % 4 == 1: d = rotl(d + g(a, b, c) + x[k] + 0x5A827999, s)
            elif i % 4 == 2: c = rotl(c + g(d, a, b) + x[k] + 0x5A827999, s)
            else: b = rotl(b + g(c, d, a) + x[k] + 0x5A827999, s)
        order = (0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15)
        for i in range(16):
            k = order[i]
            s = (3, 9, 11, 15)[i % 4]
            if i % 4 == 0: a = rotl(a + h(b, c, d) + x[k] + 0x6ED9EBA1, s)
            elif i % 4 == 1: d = rotl(d + h(a, b, c) + x[k] + 0x6ED9EBA1, s)
            elif i % 4 == 2: c = rotl(c + h(d, a, b) + x[k] + 0x6ED9EBA1, s)
            else: b = rotl(b + h(c, d, a) + x[k] + 0x6ED9EBA1, s)
        a, b, c, d = (a + aa) & 0xFFFFFFFF, (b + bb) & 0xFFFFFFFF, (c + cc) & 0xFFFFFFFF, (d + dd) & 0xFFFFFFFF
    return struct.pack("<4I", a, b, c, d)


def nt_hash(password: str) -> str:
    return md4(password.encode("utf-16-le")).hex()


def _des_key(seven: bytes) -> bytes:
    """56-bit key -> 64-bit DES key (parity bits left 0; DES ignores them)."""
    bits = int.from_bytes(seven, "big")
    return bytes(((bits >> (56 - 7 * (i + 1))) & 0x7F) << 1 for i in range(8))


def lm_hash(password: str) -> str:
    pw = password.upper().encode("latin-1", "replace")[:14].ljust(14, b"\x00")
    out = b""
    for half in (pw[:7], pw[7:]):
        r = subprocess.run(
            ["openssl", "enc", "-des-ecb", "-nopad", "-K", _des_key(half).hex(),
             "-provider", "legacy", "-provider", "default"],
            input=b"KGS!@#$%", capture_output=True, check=True)
        out += r.stdout[:8]
    return out.hex()


def render_times(text: str, now: float) -> str:
    def repl(m):
        days = int(m.group(1))
        unix = now + days * 86400
        return str(int(unix * 10_000_000) + 116444736000000000)
    return re.sub(r"\{\{filetime:([+-]\d+)d\}\}", repl, text)


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: render_demo.py OUT_DIR", file=sys.stderr)
        return 2
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    now = time.time()
    with open(os.path.join(here, "municipality.ldif"), encoding="utf-8") as f:
        ldif = render_times(f.read(), now)
    # Which accounts are disabled, for secretsdump's (status=...) suffix.
    disabled = set()
    for entry in ldif.split("\n\n"):
        name = re.search(r"^sAMAccountName: (.+)$", entry, re.M)
        uac = re.search(r"^userAccountControl: (\d+)$", entry, re.M)
        if name and uac and int(uac.group(1)) & 0x2:
            disabled.add(name.group(1).lower())
    lines = ["[*] Dumping Domain Credentials (domain\\uid:rid:lmhash:nthash)",
             "[*] Using the DRSUAPI method to get NTDS.DIT secrets"]
    history = []
    with open(os.path.join(here, "passwords.csv"), encoding="utf-8", newline="") as f:
        for row in csv.reader(f):
            if not row or row[0].startswith("#"):
                continue
            account, rid, password, *rest = row
            flags = dict(x.split("=", 1) for x in rest if "=" in x and x.split("=", 1)[0] in ("lm",))
            previous = [x for x in rest if not (("=" in x) and x.split("=", 1)[0] in ("lm",))]
            lm = lm_hash(password) if flags.get("lm") == "1" else EMPTY_LM
            status = "Disabled" if account.lower() in disabled else "Enabled"
            prefix = "" if account.endswith("$") else "SOLBJERG\\"
            lines.append(f"{prefix}{account}:{rid}:{lm}:{nt_hash(password)}::: (status={status})")
            for i, old in enumerate(previous):
                history.append(f"{prefix}{account}_history{i}:{rid}:{EMPTY_LM}:{nt_hash(old)}:::")
    lines += history
    lines.append("[*] Cleaning up...")
    with open(os.path.join(out, "municipality.ldif"), "w", encoding="utf-8") as f:
        f.write(ldif)
    dump = os.path.join(out, "hashes.secretsdump")
    fd = os.open(dump, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    for name in ("credsweep.toml", "owners.csv"):
        shutil.copyfile(os.path.join(here, name), os.path.join(out, name))
    print(os.path.join(out, "municipality.ldif"))
    print(dump)
    return 0


if __name__ == "__main__":
    sys.exit(main())
