#!/usr/bin/env bash
# Builds every *_fuzz.cc libFuzzer target with clang (build-fuzz/) and runs each briefly.
# Usage: bash tools/fuzz.sh [SECONDS_PER_TARGET]   (default 15)
set -euo pipefail
secs=${1:-15}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCREDSWEEP_FUZZ=ON -DCREDSWEEP_BENCH=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=$(find . -path ./build -prune -o -path ./build-fuzz -prune -o -name '*_fuzz.cc' -print |
  xargs -r -n1 basename | sed 's/\.cc$//' | sort)
[ -n "$targets" ] || { echo "no fuzz targets"; exit 0; }
cmake --build build-fuzz -j "$(nproc)" --target $targets
# Each target runs for SECONDS on its own core, as many at once as there are cores: the same
# fuzzing per target as one after another, in 1/nproc of the wall time.
runners=$(nproc)
ntargets=$(wc -w <<<"$targets")
echo "==> fuzzing: $ntargets targets, $secs s each, $runners at a time"
run_target() {  # run_target NAME: fuzzes it; its exit status goes to build-fuzz/NAME.rc
  local t=$1 rc=0
  mkdir -p build-fuzz/corpus/$t
  ./build-fuzz/$t -print_final_stats=1 -max_total_time="$secs" -rss_limit_mb=2048 build-fuzz/corpus/$t \
    >build-fuzz/$t.log 2>&1 || rc=$?
  echo "$rc" >build-fuzz/$t.rc
}
for t in $targets; do
  rm -f build-fuzz/$t.rc
  while [ "$(jobs -rp | wc -l)" -ge "$runners" ]; do wait -n || true; done
  run_target "$t" &
done
wait
passed=0
failed=0
for t in $targets; do
  if [ "$(cat build-fuzz/$t.rc 2>/dev/null)" = 0 ]; then
    echo "fuzz $t: ok ($(grep -o 'stat::number_of_executed_units: [0-9]*' build-fuzz/$t.log | awk '{print $2}') runs)"
    passed=$((passed + 1))
  else
    echo "fuzz $t: FAILED (see build-fuzz/$t.log)"; tail -30 build-fuzz/$t.log
    failed=$((failed + 1))
  fi
done
echo "fuzz smoke: $passed targets ran clean, $failed crashed"
[ "$failed" -eq 0 ]
