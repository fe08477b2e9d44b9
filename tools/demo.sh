#!/usr/bin/env bash
# The monthly job end to end on embedded demo data — no server needed.
#   bash tools/demo.sh PATH_TO_credsweep        (bash tools/setup.sh demo calls this)
#
# 1. renders the demo municipality (tools/demo/municipality.ldif, a fictitious Danish
#    municipality's AD export) and its secretsdump hash dump from tools/demo/passwords.csv;
# 2. generates a small breach corpus: 100 000 random NT hashes plus the common passwords of
#    tools/demo/common_passwords.txt, and imports it into a store (first run only);
# 3. runs `credsweep run` (a dry run: nothing is changed, mail goes to the outbox as .eml);
# 4. shows the change-time check (`check-password`) refusing a leaked password;
# 5. prints where the report is.
# Work directory: $CREDSWEEP_DEMO_DIR, default build/demo. Re-running keeps the state directory,
# so every run adds a point to the report's month-over-month trend.
set -euo pipefail
bin=${1:?usage: bash tools/demo.sh PATH_TO_credsweep}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
top=$(cd "$(dirname "$0")/.." && pwd)
work=${CREDSWEEP_DEMO_DIR:-$top/build/demo}
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
umask 077
mkdir -p "$work"

echo "==> demo directory: $work"
"$py" "$top/tools/demo/render_demo.py" "$work" >/dev/null
echo "    rendered municipality.ldif (Solbjerg Kommune) and hashes.secretsdump"

if [ ! -f "$work/store/manifest.json" ]; then
  echo "==> generating a demo breach corpus (100 000 random hashes + $(grep -c . "$top/tools/demo/common_passwords.txt") common passwords)"
  mkdir -p "$work/corpus"
  "$bin" corpus generate --out "$work/corpus/demo-hibp-ntlm.txt" --random 100000 \
    --words "$top/tools/demo/common_passwords.txt"
  echo "==> importing it into $work/store"
  "$bin" corpus import --store "$work/store" --format hibp --source demo-common-passwords \
    --version "$(date -u +%Y-%m)" "$work/corpus/demo-hibp-ntlm.txt"
fi
"$bin" corpus info --store "$work/store" || true

if [ ! -f "$work/keys/log.key" ]; then
  echo "==> action-log signing key (credsweep log keygen)"
  mkdir -p "$work/keys"
  "$bin" log keygen --out "$work/keys/log.key"
fi

echo "==> credsweep run --config $work/credsweep.toml"
rc=0
"$bin" run --config "$work/credsweep.toml" || rc=$?
if [ "$rc" -ge 2 ]; then
  echo "demo: credsweep run failed (exit $rc)" >&2
  exit "$rc"
fi

echo "==> change-time check (Samba: check password script = credsweep check-password --store DIR)"
# Demo passwords only: one from the common list, one that is not in any corpus.
printf '%s' 'Sommer2024' | SAMBA_CPS_ACCOUNT_NAME=hpet "$bin" check-password --store "$work/store" 2>/dev/null \
  | sed 's/^/    a leaked candidate:  /' || true
printf '%s' 'Tavle-Kridt-Skolegaard-7' | "$bin" check-password --store "$work/store" 2>/dev/null \
  | sed 's/^/    a strong candidate:  /' || true

report=$(ls -t "$work"/state/reports/*/report.html 2>/dev/null | head -n 1)
echo
echo "Report:   $report"
echo "Findings: $(dirname "$report")/findings.json (and findings.csv)"
echo "Outbox:   $(dirname "$report")/outbox/ (owner notifications as .eml; nothing was sent)"
echo "History:  $work/state/history/ ($(ls "$work/state/history" | wc -l) runs)"
echo "Open the report in a browser, e.g.  chromium $report"
