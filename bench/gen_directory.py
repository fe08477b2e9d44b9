#!/usr/bin/env python3
"""Synthetic AD directory for audit benchmarks: N accounts as an ldapsearch LDIF export, their
NT hashes as impacket secretsdump, and a credsweep.toml pointing at both and at STORE.

  python3 bench/gen_directory.py N OUTDIR STORE [--seed S]

Accounts: ~2 % privileged (Domain Admins, with adm- twins), ~5 % external consultants,
~1 % service accounts (svc-), 100 groups with nested membership, the rest regular staff.
Hashes: random, except every 50th account uses the NT hash of a common password (so the
leaked-password rule fires: 'password' and '123456' are in tools/demo/common_passwords.txt,
which bench/e2e_compare.sh merges into its generated corpus), every 200th pair shares a
hash, and every 10th account has two history hashes. Nothing secret: all data is invented.
"""
import base64
import os
import random
import struct
import sys
import time

# NT hashes (MD4 of UTF-16LE) of two common passwords, as every breach list has them.
COMMON = ["8846F7EAEE8FB117AD06BDD830B7586C",   # password
          "32ED87BDB5FDC5E9CBA88547376818D4"]   # 123456
BASE = "DC=bench,DC=example"


def sid(rid):
    subs = [21, 1004336348, 1177238915, 682003330, rid]
    return base64.b64encode(struct.pack("<BB", 1, len(subs)) + (5).to_bytes(6, "big") +
                            b"".join(struct.pack("<I", s) for s in subs)).decode()


def main():
    n, out, store = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    seed = int(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[4] == "--seed" else 1
    rnd = random.Random(seed)
    os.makedirs(out, exist_ok=True)
    now_ft = int((time.time() + 11644473600) * 10_000_000)  # FILETIME (100 ns since 1601)
    day = 864000000000
    groups = [f"CN=Team{g:03d},OU=Groups,{BASE}" for g in range(100)]
    members = {g: [] for g in groups}
    lines = ["version: 1", ""]
    for ou in ("Users", "Groups", "External", "Service"):
        lines += [f"dn: OU={ou},{BASE}", "objectClass: top", "objectClass: organizationalUnit",
                  f"ou: {ou}", ""]
    dump = []
    admins = []
    for i in range(n):
        rid = 1100 + i
        if i % 100 == 1:
            name, ou, kind = f"svc-app{i}", "Service", "svc"
        elif i % 20 == 2:
            name, ou, kind = f"ext{i:06d}", "External", "ext"
        elif i % 50 == 3:
            name, ou, kind = f"adm-u{i - 1:06d}", "Users", "adm"
        else:
            name, ou, kind = f"u{i:06d}", "Users", "user"
        dn = f"CN={name},OU={ou},{BASE}"
        g = groups[rnd.randrange(len(groups))]
        members[g].append(dn)
        uac = 512 if i % 97 else 514
        if i % 300 == 7:
            uac |= 0x10000  # password never expires
        lines += [f"dn: {dn}", "objectClass: top", "objectClass: person",
                  "objectClass: organizationalPerson", "objectClass: user", f"cn: {name}",
                  f"sAMAccountName: {name}", f"objectSid:: {sid(rid)}",
                  f"displayName: Person {i}", f"userPrincipalName: {name}@bench.example",
                  f"userAccountControl: {uac}",
                  f"lastLogonTimestamp: {now_ft - rnd.randrange(1, 200) * day}",
                  f"pwdLastSet: {now_ft - rnd.randrange(1, 400) * day}", "primaryGroupID: 513",
                  f"employeeID: {10000 + (i - 1 if kind == 'adm' else i)}"]
        if kind == "ext":
            lines += ["employeeType: consultant",
                      f"accountExpires: {now_ft + rnd.randrange(-30, 400) * day}"]
        else:
            lines += ["accountExpires: 9223372036854775807"]
        if kind == "user":
            lines += [f"mail: {name}@bench.example"]
        if kind == "svc":
            lines += [f"servicePrincipalName: HTTP/app{i}.bench.example",
                      f"manager: CN=u{i + 1:06d},OU=Users,{BASE}"]
        lines.append("")
        if kind == "adm":
            admins.append(dn)
        if i % 50 == 0:
            nt = COMMON[(i // 50) % 2]
        elif i % 200 == 5:
            nt = "%032X" % (i * 0x9E3779B97F4A7C15 & (2 ** 128 - 1))  # shared with i + 1
        elif i % 200 == 6:
            nt = "%032X" % ((i - 1) * 0x9E3779B97F4A7C15 & (2 ** 128 - 1))
        else:
            nt = "%032X" % rnd.getrandbits(128)
        status = "Enabled" if uac & 2 == 0 else "Disabled"
        dump.append(f"BENCH\\{name}:{rid}:AAD3B435B51404EEAAD3B435B51404EE:{nt}::: (status={status})")
        if i % 10 == 0:
            for h in range(2):
                dump.append(f"BENCH\\{name}_history{h}:{rid}:AAD3B435B51404EEAAD3B435B51404EE:"
                            f"{'%032X' % rnd.getrandbits(128)}:::")
    lines += [f"dn: CN=Domain Admins,CN=Users,{BASE}", "objectClass: top", "objectClass: group",
              "cn: Domain Admins", "sAMAccountName: Domain Admins", f"objectSid:: {sid(512)}"]
    lines += [f"member: {a}" for a in admins] + [f"member: {groups[0]}", ""]
    for k, g in enumerate(groups):
        cn = g.split(",")[0][3:]
        lines += [f"dn: {g}", "objectClass: top", "objectClass: group", f"cn: {cn}",
                  f"sAMAccountName: {cn}", f"objectSid:: {sid(100000 + k)}"]
        lines += [f"member: {m}" for m in members[g]]
        if k > 0 and k % 10 == 0:
            lines.append(f"member: {groups[k - 1]}")  # nesting
        lines.append("")
    with open(os.path.join(out, "directory.ldif"), "w") as f:
        f.write("\n".join(lines))
    with open(os.path.join(out, "hashes.secretsdump"), "w") as f:
        f.write("\n".join(dump) + "\n")
    os.chmod(os.path.join(out, "hashes.secretsdump"), 0o600)
    with open(os.path.join(out, "credsweep.toml"), "w") as f:
        f.write(f'''[store]
path = "{os.path.abspath(store)}"

[directory]
url = "ldif:directory.ldif"
flavor = "ad"

[hashes]
file = "hashes.secretsdump"
format = "secretsdump"

[classify]
external_ous = ["OU=External,{BASE}"]
service_name_patterns = ["^svc-"]
admin_name_patterns = ["^adm-(.+)$"]

[run]
state_dir = "state"
''')
    print(f"wrote {n} accounts to {out}")


if __name__ == "__main__":
    main()
