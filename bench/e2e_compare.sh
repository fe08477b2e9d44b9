#!/usr/bin/env bash
# End-to-end corpus benchmark: generate a HIBP NTLM file, time its import, then answer the same
# query set four ways in one run and print the ratios.
#
#   bash bench/e2e_compare.sh [N_LINES] [WORKDIR]
#     N_LINES   default 100000000 (the issue's 100 M; ~3.6 GB of text, ~1.9 GB of store)
#     WORKDIR   default a new /tmp/cs_e2e.XXXXXX (kept: delete it yourself)
#   env: PIPE=1 generates straight into `corpus import -` (no text file on disk: the 1e9 run;
#        look(1) and the query set from the file are then skipped),
#        CREDSWEEP_BUILD_DIR (default build), QUERIES (default 100000, half present, half
#        absent), LOOK_QUERIES (default = QUERIES; look(1) starts one process per query, so a
#        smaller sample keeps the run short; its time is scaled to QUERIES)
#
# The ways, all over the same QUERIES hashes:
#   1. credsweep: `credsweep corpus check --store` (whole process: open + filter + MultiGet),
#      and in-process CorpusStore::LookupBatch (from index_get_bench).
#   2. look(1): binary search over the sorted text, one `look HASH FILE` per query — what
#      DSInternals does in-process; process start-up is part of look's cost here, which is why
#      the in-process RocksDB figure is printed too.
#   3. merge join: the sorted queries joined with the sorted text in one pass (join(1)) — the
#      batch approach of tools that keep the corpus as a sorted file.
#   4. RocksDB alone: the same index opened by index_get_bench (bench/index_get_bench.cc), one
#      DB::Get per query, no Bloom filter in front.
# Then: `check-password` per call (CP_CALLS processes, default 30, a leaked and a fresh password
# alternately: median and max wall time, max peak RSS) and `corpus verify` (the full check).
# Needs: /usr/bin/time (GNU time, for peak RSS), look (bsdextrautils).
set -euo pipefail
n=${1:-100000000}
work=${2:-$(mktemp -d /tmp/cs_e2e.XXXXXX)}
build=${CREDSWEEP_BUILD_DIR:-build}
bin=$build/credsweep
helper=$build/index_get_bench
queries=${QUERIES:-100000}
look_queries=${LOOK_QUERIES:-$queries}
for tool in "$bin" "$helper"; do
  [ -x "$tool" ] || { echo "missing $tool: build the credsweep and index_get_bench targets" >&2; exit 2; }
done
command -v look >/dev/null || { echo "look(1) missing: apt-get install bsdextrautils" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time missing: apt-get install time" >&2; exit 2; }
mkdir -p "$work"
hibp=$work/hibp.txt
store=$work/store

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
secs() { calc "$2 - $1"; }

words=tools/demo/common_passwords.txt
import_time() {  # FILE -> "elapsed_s rss_kb cpu user sys"
  local f=$1 e
  e=$(grep "Elapsed (wall clock)" "$f" | awk '{print $NF}' |
    awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
  echo "$e $(grep "Maximum resident set size" "$f" | awk '{print $NF}') $(grep "Percent of CPU" "$f" | awk '{print $NF}') $(grep "User time" "$f" | awk '{print $NF}') $(grep "System time" "$f" | awk '{print $NF}')"
}
echo "load before import: $(uptime)"
rm -rf "$store"
if [ "${PIPE:-0}" = 1 ]; then
  echo "== generating $n lines straight into the import (no file)"
  /usr/bin/time -v -o "$work/import.time" bash -c \
    "'$bin' corpus generate --out - --random '$n' --seed 2026 --words '$words' |
     CREDSWEEP_IMPORT_TRACE=1 '$bin' corpus import --store '$store' --source hibp --expected-keys '$n' -" \
    >"$work/import.out" 2>"$work/import.trace"
  bytes=$(( n * 37 ))  # approximate: random lines average ~37 bytes with CRLF
else
  echo "== generating $n lines into $hibp"
  if [ ! -s "$hibp" ] || [ "$(cat "$work/.lines" 2>/dev/null)" != "$n" ]; then
    "$bin" corpus generate --out "$hibp" --random "$n" --seed 2026 --words "$words"
    echo "$n" >"$work/.lines"
  fi
  bytes=$(stat -c %s "$hibp")
  echo "== importing (page cache warm: the file was just written)"
  /usr/bin/time -v -o "$work/import.time" env CREDSWEEP_IMPORT_TRACE=1 \
    "$bin" corpus import --store "$store" --source hibp "$hibp" >"$work/import.out" 2>"$work/import.trace"
fi
cat "$work/import.out" "$work/import.trace"
read -r elapsed rss_kb cpu user sys < <(import_time "$work/import.time")
store_mb=$(du -sb "$store" | awk '{printf "%d", $1 / 1000000}')  # MB (10^6 bytes), as bytes/key below
index_bytes=$(du -sb "$store"/gen-*/index | awk '{print $1}')
printf 'import: %d lines, %.1f MB in %.2f s -> %.2f M keys/s, %.0f MB/s; peak RSS %.0f MiB; CPU %s (user %s s, sys %s s); store %s MB, index %.1f bytes/key\n' \
  "$n" "$(calc "$bytes / 1000000")" "$elapsed" "$(calc "$n / $elapsed / 1000000")" \
  "$(calc "$bytes / $elapsed / 1000000")" "$(calc "$rss_kb / 1024")" "$cpu" "$user" "$sys" "$store_mb" \
  "$(calc "$index_bytes / $n")"
echo "load after import: $(uptime)"

echo "== check-password, one process per call (${CP_CALLS:-30} calls; cold first call included)"
: >"$work/cp.times"
for i in $(seq 1 "${CP_CALLS:-30}"); do
  if [ $((i % 2)) = 1 ]; then pw=password; else pw="fresh-$i-$RANDOM$RANDOM"; fi
  printf '%s' "$pw" | /usr/bin/time -f '%e %M %U %S' -a -o "$work/cp.times" \
    "$bin" check-password --store "$store" >/dev/null 2>&1 || true
done
read -r cp_median_ms cp_max_ms cp_cpu_ms cp_rss_mib cp_n < <(grep '^[0-9]' "$work/cp.times" | sort -n |
  awk '{ t[NR] = $1; if ($2 > m) m = $2; c += $3 + $4 } END {
    printf "%.0f %.0f %.0f %.1f %d\n", 1000 * t[int((NR + 1) / 2)], 1000 * t[NR], 1000 * c / NR, m / 1024, NR }')
echo "check-password: wall median $cp_median_ms ms, max $cp_max_ms ms; CPU (user+sys) mean $cp_cpu_ms ms; max peak RSS $cp_rss_mib MiB over $cp_n calls"
printf 'baseline, the same binary printing --help: '
/usr/bin/time -f '%e s wall, %U+%S s CPU, peak RSS %M KiB' "$bin" --help >/dev/null

echo "== corpus verify (the full check)"
/usr/bin/time -f 'verify: %e s wall, peak RSS %M KiB' "$bin" corpus verify --store "$store"

# Every figure next to issue 11's goal (t_check is empty in PIPE mode: no query set).
goals() {
  echo "== figures against the goals (issue 11; machine load: $(cut -d' ' -f1-3 /proc/loadavg))"
  printf '%-46s %-22s %s\n' "figure" "measured" "goal"
  printf '%-46s %-22s %s\n' "store on disk, bytes/key (index / whole store)" \
    "$(calc "$index_bytes / $n" | xargs printf '%.1f') / $(calc "$store_mb * 1000000 / $n" | xargs printf '%.1f')" "<= 19"
  printf '%-46s %-22s %s\n' "import, M keys/s" "$(calc "$n / $elapsed / 1000000" | xargs printf '%.2f')" ">= 6"
  printf '%-46s %-22s %s\n' "import, MB/s of text" "$(calc "$bytes / $elapsed / 1000000" | xargs printf '%.0f')" ">= 220"
  printf '%-46s %-22s %s\n' "import, peak RSS MiB" "$(calc "$rss_kb / 1024" | xargs printf '%.0f')" "bounded"
  printf '%-46s %-22s %s\n' "check-password per call, wall median / CPU ms" "$cp_median_ms / $cp_cpu_ms" "<= 20"
  printf '%-46s %-22s %s\n' "check-password peak RSS MiB" "$cp_rss_mib" "<= 32"
  if [ -n "${t_check:-}" ]; then
    printf '%-46s %-22s %s\n' "corpus check, $nq queries, whole process, s" "$(printf '%.3f' "$t_check")" "<= 0.25"
  fi
}

if [ "${PIPE:-0}" = 1 ]; then
  goals
  echo "work dir: $work (delete when done)"
  exit 0
fi
echo "== building $queries queries (half from the file, half random)"
half=$((queries / 2))
step=$(( n / half > 0 ? n / half : 1 ))
awk -F: -v step="$step" -v max="$half" 'NR % step == 1 && c < max { print $1; c++ }' "$hibp" >"$work/present.txt"
"$bin" corpus generate --out "$work/absent.hibp" --random "$((queries - $(wc -l <"$work/present.txt")))" --seed 4242 >/dev/null
cut -d: -f1 "$work/absent.hibp" >"$work/absent.txt"
paste -d'\n' "$work/present.txt" "$work/absent.txt" | grep . >"$work/queries.txt"
nq=$(wc -l <"$work/queries.txt")

echo "== 1. credsweep corpus check ($nq queries)"
t0=$(now)
"$bin" corpus check --store "$store" <"$work/queries.txt" >"$work/check.out" || [ $? -eq 1 ]
t_check=$(secs "$t0" "$(now)")
hits_check=$(grep -c '^LEAKED' "$work/check.out" || true)
printf 'credsweep check: %.3f s wall, %d found\n' "$t_check" "$hits_check"

echo "== 2. look(1) binary search ($look_queries of the queries)"
head -n "$look_queries" "$work/queries.txt" >"$work/look_queries.txt"
t0=$(now)
hits_look=0
while read -r h; do
  if look "$h" "$hibp" >/dev/null; then hits_look=$((hits_look + 1)); fi
done <"$work/look_queries.txt"
t_look_sample=$(secs "$t0" "$(now)")
t_look=$(calc "$t_look_sample * $nq / $look_queries")
printf 'look: %.3f s for %d queries (%d found) -> %.3f s scaled to %d\n' \
  "$t_look_sample" "$look_queries" "$hits_look" "$t_look" "$nq"

echo "== 3. merge join: the sorted queries against the sorted text in one pass (join(1))"
LC_ALL=C sort -u "$work/queries.txt" >"$work/queries.sorted"
t0=$(now)
hits_join=$(LC_ALL=C join -t: "$work/queries.sorted" "$hibp" | wc -l)
t_join=$(secs "$t0" "$(now)")
printf 'merge join: %.3f s for %d queries (%d found)\n' "$t_join" "$nq" "$hits_join"

echo "== 4. in process: credsweep LookupBatch vs RocksDB Get per key"
"$helper" "$store" "$work/queries.txt" | tee "$work/helper.out"
t_batch=$(grep '^credsweep-store' "$work/helper.out" | sed 's/.*lookups \([0-9.]*\) s.*/\1/')
t_get=$(grep '^rocksdb-get' "$work/helper.out" | sed 's/.*lookups \([0-9.]*\) s.*/\1/')
hits_get=$(grep '^rocksdb-get' "$work/helper.out" | sed 's/.* \([0-9]*\) found.*/\1/')

echo "== summary"
[ "$hits_check" = "$hits_get" ] || echo "WARNING: credsweep found $hits_check, RocksDB found $hits_get"
printf 'look(1) / credsweep check (whole processes):   %8.1fx\n' "$(calc "$t_look / $t_check")"
printf 'RocksDB Get / credsweep LookupBatch (in-proc): %8.1fx\n' "$(calc "$t_get / $t_batch")"
printf 'look(1) / credsweep LookupBatch (in-proc):     %8.1fx\n' "$(calc "$t_look / $t_batch")"
printf 'merge join / credsweep check (whole processes): %7.1fx\n' "$(calc "$t_join / $t_check")"
goals
echo "work dir: $work (delete when done)"
