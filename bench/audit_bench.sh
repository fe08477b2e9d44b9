#!/usr/bin/env bash
# The audit at scale, whole process: `credsweep audit` over a generated N-account directory
# (LDIF + secretsdump, bench/gen_directory.py) against a corpus store, figures next to the goal
# of DESIGN.md / issue 11 (100 000 accounts in under a second, at most 300 MB).
#
#   bash bench/audit_bench.sh STORE [N_ACCOUNTS] [WORKDIR]
#     STORE       a corpus store; make one with, e.g. (10^7 keys, ~1 minute):
#                   build/credsweep corpus generate --out - --random 10000000 --seed 2026 \
#                     --words tools/demo/common_passwords.txt |
#                   build/credsweep corpus import --store STORE --source hibp \
#                     --expected-keys 10000000 -
#                 (bench/e2e_compare.sh makes 10^8 and 10^9 ones the same way)
#     N_ACCOUNTS  default 100000
#     WORKDIR     default ${XDG_CACHE_HOME:-$HOME/.cache}/credsweep-bench/audit.N, created 0700
#                 (the directory is generated once and kept; not a fixed name under /tmp, which
#                 another user could create first, and credsweep refuses output folders that
#                 others can write to)
#   env: CREDSWEEP_BUILD_DIR (default build), RUNS (default 3; the best run is printed, the
#        first one also warms the page cache), BEFORE=PATH_TO_OTHER_credsweep to print a second
#        binary's figures beside (e.g. the previous release).
#
# Two configurations: every rule (targeted guessing included: DESIGN.md gives the default
# candidate space its own budget, <= 10 s on 2 cores) and every rule but the three guessing
# ones — the audit proper that the 1-second goal is about.
# Needs /usr/bin/time (GNU time).
set -euo pipefail
store=${1:?usage: bash bench/audit_bench.sh STORE [N_ACCOUNTS] [WORKDIR]}
n=${2:-100000}
work=${3:-${XDG_CACHE_HOME:-$HOME/.cache}/credsweep-bench/audit.$n}
(umask 077 && mkdir -p "$work")
build=${CREDSWEEP_BUILD_DIR:-build}
bin=$build/credsweep
runs=${RUNS:-3}
[ -x "$bin" ] || { echo "missing $bin: build the credsweep target" >&2; exit 2; }
[ -f "$store/manifest.json" ] || { echo "$store is not a corpus store (no manifest.json)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time missing: apt-get install time" >&2; exit 2; }
store=$(cd "$store" && pwd)

if [ ! -f "$work/directory.ldif" ] || [ "$(cat "$work/.accounts" 2>/dev/null)" != "$n" ]; then
  python3 bench/gen_directory.py "$n" "$work" "$store" >/dev/null
  echo "$n" >"$work/.accounts"
fi
# gen_directory.py names its store in the config; point it at this one.
sed -i "s|^path = .*|path = \"$store\"|" "$work/credsweep.toml"
{ cat "$work/credsweep.toml"
  printf '\n[rules]\ndisabled = ["guessable-password", "password-is-username", "default-computer-password"]\n'
} >"$work/no-guess.toml"

echo "audit of $n accounts ($(du -m "$work/directory.ldif" | cut -f1) MB LDIF, $(du -m "$work/hashes.secretsdump" | cut -f1) MB secretsdump), store $store ($(grep -o '"keys": *[0-9]*' "$store/manifest.json" | grep -o '[0-9]*$') keys)"
echo "load: $(uptime | sed 's/.*load average/load average/')"

# One binary, one config: the best of RUNS whole-process runs as "wall cpu rss_mib".
measure() {
  local b=$1 cfg=$2 best="" t
  for _ in $(seq 1 "$runs"); do
    rm -rf "$work/out"
    /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$b" audit --config "$cfg" --out "$work/out" >/dev/null
    t=$(awk '{ printf "%.2f %.2f %.0f", $1, $2 + $3, $4 / 1024 }' "$work/time")
    if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { split(a, x); split(b, y); exit !(x[1] < y[1]) }'; then
      best=$t
    fi
  done
  echo "$best"
}

report() {
  local label=$1 b=$2 cfg=$3 wall cpu rss json csv
  read -r wall cpu rss < <(measure "$b" "$cfg")
  json=$(stat -c %s "$work/out/findings.json")
  csv=$(stat -c %s "$work/out/findings.csv")
  printf '%-34s wall %5.2f s (goal <= 1 s)  CPU %5.2f s  peak RSS %5d MiB (goal <= 300 MB)  findings.json %5.1f MB, findings.csv %4.1f MB\n' \
    "$label" "$wall" "$cpu" "$rss" "$(awk -v b="$json" 'BEGIN { print b / 1e6 }')" \
    "$(awk -v b="$csv" 'BEGIN { print b / 1e6 }')"
}

for cfg in no-guess credsweep; do
  what=$([ "$cfg" = no-guess ] && echo "audit, guessing off" || echo "audit, every rule (guessing on)")
  report "$what" "$bin" "$work/$cfg.toml"
  if [ -n "${BEFORE:-}" ]; then report "  before ($BEFORE)" "$BEFORE" "$work/$cfg.toml"; fi
done
