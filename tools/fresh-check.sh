#!/usr/bin/env bash
# Proves the README's set-up commands on a fresh minimal Debian 12, every time from nothing:
#   bash tools/fresh-check.sh [demo|test|both]      (default both; as root; .ci/run calls "both")
#
# 1. creates a minimal Debian 12 root (`mmdebstrap --variant=minbase bookworm`) from this
#    machine's own Debian apt sources (no mirror is named here; non-Debian repositories the host
#    lists, e.g. vendor repos, are left out);
# 2. mounts /proc, /sys, /dev (+ /dev/pts, a fresh /dev/shm) into it and clones the commit under
#    test (HEAD of the checkout this script sits in; uncommitted changes are NOT tested);
# 3. runs exactly the README commands in it: `bash tools/setup.sh demo` (must print "Report:"),
#    then `bash tools/setup.sh test`;
# 4. stops whatever the run left running in the root, unmounts everything (also on failure or
#    Ctrl-C) and removes the root.
# Prints the wall and CPU time of each phase (root creation, install, build, demo, fuzz build,
# fuzz run, ctest).
# Exit 0 when every requested command passed, 1 when one failed, 2 on usage, 3 when the root
# could not be created or cleaned up.
#
# Environment: CI (passed into the root; CI=true makes setup.sh build with -Werror),
# FUZZ_SECONDS (passed in), FRESH_CHECK_DIR (where the root is made, default /var/tmp),
# FRESH_CHECK_KEEP=1 (keep the root for inspection; it is still unmounted).
#
# Speed: the host's downloaded .debs (/var/cache/apt/archives) are hard-linked into the root's
# apt cache when both are on one file system, so apt skips downloading them. That hides no
# missing package: only what setup.sh asks apt for gets installed. Nothing installed on the
# host is visible inside.
set -euo pipefail
mode=${1:-both}
case "$mode" in demo|test|both) ;; *) echo "usage: bash tools/fresh-check.sh [demo|test|both]" >&2; exit 2 ;; esac
if [ "$(id -u)" -ne 0 ]; then  # mmdebstrap, chroot and mount need root
  exec sudo --preserve-env=CI,FUZZ_SECONDS,FRESH_CHECK_DIR,FRESH_CHECK_KEEP bash "$0" "$mode"
fi

top=$(cd "$(dirname "$0")/.." && pwd)
commit=$(git -C "$top" rev-parse HEAD)
if [ -n "$(git -C "$top" status --porcelain --untracked-files=no)" ]; then
  echo "fresh-check: note: uncommitted changes in $top are not part of the check (testing $commit)"
fi

if ! command -v mmdebstrap >/dev/null; then
  echo "==> installing mmdebstrap on this machine"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null
fi

# ---- phase timing ------------------------------------------------------------------------
# Wall time, and the CPU time of this check's own processes (everything it starts, in the root
# too, sits in one cgroup made for the run): on a machine shared with other work the wall time
# grows, the CPU time does not, so a slow phase shows whether it worked or waited.
cpu_cgroup=""  # the run's cgroup directory, "" when it could not be made (then CPU shows "-")
cpu_file=""
start_cpu_accounting() {
  local mnt cur dir
  mnt=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
  cur=$(sed -n 's/^0:://p' /proc/self/cgroup)
  if [ -n "$mnt" ] && [ -n "$cur" ]; then  # cgroup v2: cpu.stat exists with or without the cpu controller
    dir=$mnt${cur%/}/credsweep-fresh-$$
    if mkdir "$dir" 2>/dev/null && echo $$ >"$dir/cgroup.procs" 2>/dev/null; then
      cpu_cgroup=$dir; cpu_file=$dir/cpu.stat; return 0
    fi
    rmdir "$dir" 2>/dev/null || true
  fi
  mnt=$(awk '$3 == "cgroup" && $4 ~ /(^|,)cpuacct(,|$)/ { print $2; exit }' /proc/self/mounts)
  cur=$(awk -F: '$2 ~ /(^|,)cpuacct(,|$)/ { print $3; exit }' /proc/self/cgroup)
  if [ -n "$mnt" ] && [ -n "$cur" ]; then  # cgroup v1 cpuacct
    dir=$mnt${cur%/}/credsweep-fresh-$$
    if mkdir "$dir" 2>/dev/null && echo $$ >"$dir/cgroup.procs" 2>/dev/null; then
      cpu_cgroup=$dir; cpu_file=$dir/cpuacct.usage; return 0
    fi
    rmdir "$dir" 2>/dev/null || true
  fi
  return 0
}
stop_cpu_accounting() {  # moves this shell back out and removes the cgroup (once it is empty)
  [ -n "$cpu_cgroup" ] || return 0
  echo $$ >"$(dirname "$cpu_cgroup")/cgroup.procs" 2>/dev/null || true
  rmdir "$cpu_cgroup" 2>/dev/null || true
  cpu_cgroup=""
}
cpu_seconds() {  # CPU seconds used so far by the run's cgroup, or "-"
  if [ -z "$cpu_file" ] || [ ! -r "$cpu_file" ]; then echo -; return; fi
  case "$cpu_file" in
    */cpu.stat) awk '$1 == "usage_usec" { printf "%d\n", $2 / 1000000 }' "$cpu_file" ;;
    *) awk '{ printf "%d\n", $1 / 1000000000 }' "$cpu_file" ;;
  esac
}
cpu_diff() { if [ "$1" = - ] || [ "$2" = - ]; then echo -; else echo $(($1 - $2)); fi; }

phase_names=()
phase_secs=()
phase_cpus=()
phase=""
phase_start=0
phase_cpu_start=-
begin_phase() {  # ends the current phase (if any) and starts $1
  local now=$SECONDS cpu cpu_used
  cpu=$(cpu_seconds)
  if [ -n "$phase" ]; then
    cpu_used=$(cpu_diff "$cpu" "$phase_cpu_start")
    phase_names+=("$phase"); phase_secs+=($((now - phase_start))); phase_cpus+=("$cpu_used")
    printf -- '--- fresh-check: %s took %d s (CPU %s s)\n' "$phase" $((now - phase_start)) "$cpu_used"
  fi
  phase=$1; phase_start=$now; phase_cpu_start=$cpu
}
summary() {
  begin_phase ""
  echo "--- fresh-check phase times (wall; CPU = all cores' time of this run's processes):"
  printf '    %-24s %6s %6s\n' phase "wall s" "CPU s"
  local i
  for i in "${!phase_names[@]}"; do
    printf '    %-24s %6d %6s\n' "${phase_names[$i]}" "${phase_secs[$i]}" "${phase_cpus[$i]}"
  done
  printf '    %-24s %6d %6s\n' total "$SECONDS" "$(cpu_diff "$(cpu_seconds)" "$run_cpu_start")"
}
start_cpu_accounting
run_cpu_start=$(cpu_seconds)

# ---- the root and its clean-up -----------------------------------------------------------
base=${FRESH_CHECK_DIR:-/var/tmp}
mkdir -p "$base"
work=$(cd "$(mktemp -d "$base/credsweep-fresh.XXXXXX")" && pwd -P)  # no symlink: compared with /proc/PID/root
root=$work/root
mounted=()  # mount points in the order they were mounted

mounts_under_root() {  # every mount point at or below $root, deepest first
  awk -v r="$root" '$5 == r || index($5, r "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r
}
stop_root_processes() {  # processes whose root is our chroot: started by this run, by PID
  local sig pid left
  for sig in TERM KILL; do
    left=0
    for pid in /proc/[0-9]*; do
      pid=${pid#/proc/}
      if [ "$(readlink "/proc/$pid/root" 2>/dev/null)" = "$root" ]; then
        kill -s "$sig" "$pid" 2>/dev/null && left=1
      fi
    done
    [ "$left" -eq 1 ] || return 0
    sleep 2
  done
}
cleanup() {
  local rc=$? i m
  trap - EXIT INT TERM HUP
  stop_root_processes
  stop_cpu_accounting
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount -R "${mounted[$i]}" 2>/dev/null || true
  done
  for m in $(mounts_under_root); do umount "$m" 2>/dev/null || umount -l "$m" || true; done
  if [ -n "$(mounts_under_root)" ]; then
    echo "fresh-check: mounts left under $root, NOT removing it:" >&2
    mounts_under_root >&2
    exit 3
  fi
  if [ "${FRESH_CHECK_KEEP:-}" = 1 ]; then
    echo "fresh-check: kept $root (unmounted)"
  else
    rm -rf --one-file-system "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'echo "fresh-check: interrupted (SIGINT); cleaning up" >&2; exit 130' INT
trap 'echo "fresh-check: interrupted (SIGTERM); cleaning up" >&2; exit 143' TERM
trap 'echo "fresh-check: interrupted (SIGHUP); cleaning up" >&2; exit 129' HUP

do_mount() {  # do_mount TARGET MOUNT-ARGS...: mounts and keeps it from propagating to the host
  local target=$1; shift
  mkdir -p "$target"
  mount "$@" "$target"
  mounted+=("$target")
  mount --make-rslave "$target"
}

# The Debian entries of this machine's apt sources (one-line and deb822 files), as deb822 on
# stdout. An entry is Debian's when its suites are bookworm's (bookworm, -updates, -security,
# -backports); vendor repositories (their own suite names) and deb-src are left out.
debian_sources() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -e 's/#.*//' "$f" | awk '
      $1 == "deb" {
        opts = ""; i = 2
        if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) { opts = opts " " $i; i++ } opts = opts " " $i; i++ }
        uri = $i; suite = $(i + 1); comps = ""
        for (j = i + 2; j <= NF; j++) comps = comps " " $j
        if (suite !~ /^bookworm(-updates|-security|-backports)?$/) next
        print "Types: deb"; print "URIs: " uri; print "Suites: " suite; print "Components:" comps
        if (match(opts, /signed-by=[^] ]+/)) print "Signed-By: " substr(opts, RSTART + 10, RLENGTH - 10)
        print ""
      }'
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk '
      function flush(   n, i, s, keep) {
        if (types ~ /(^| )deb( |$)/ && enabled != "no" && uris != "") {
          n = split(suites, s, " "); keep = ""
          for (i = 1; i <= n; i++) if (s[i] ~ /^bookworm(-updates|-security|-backports)?$/) keep = keep " " s[i]
          if (keep != "") {
            print "Types: deb"; print "URIs: " uris; print "Suites:" keep; print "Components: " comps
            if (signed != "") print "Signed-By: " signed
            print ""
          }
        }
        types = uris = suites = comps = signed = enabled = ""
      }
      /^#/ { next }
      /^[ \t]*$/ { flush(); next }
      /^[ \t]/ { next }   # continuation lines (e.g. an inline key) are not carried over
      {
        key = tolower(substr($0, 1, index($0, ":") - 1)); val = substr($0, index($0, ":") + 1)
        gsub(/^[ \t]+|[ \t]+$/, "", val)
        if (key == "types") types = val; else if (key == "uris") uris = val
        else if (key == "suites") suites = val; else if (key == "components") comps = val
        else if (key == "signed-by") signed = val; else if (key == "enabled") enabled = tolower(val)
      }
      END { flush() }' "$f"
  done
}

begin_phase "root creation"
sources=$(debian_sources)
if [ -z "$sources" ]; then
  echo "fresh-check: no Debian bookworm entry in /etc/apt/sources.list(.d)" >&2
  exit 3
fi
echo "==> fresh-check: minimal Debian 12 root in $root from this machine's Debian sources:"
printf '%s\n' "$sources" | sed -n 's/^URIs: /    /p'
printf '%s\n' "$sources" | mmdebstrap --mode=root --variant=minbase bookworm "$root" - || exit 3

# Machine configuration a real installation has (name resolution for apt and localhost).
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
cp -L /etc/hosts "$root/etc/hosts"
# Reuse downloads only (see the header); cp -l fails across file systems, then apt downloads.
if ls /var/cache/apt/archives/*.deb >/dev/null 2>&1 &&
    cp -l /var/cache/apt/archives/*.deb "$root/var/cache/apt/archives/" 2>/dev/null; then
  n=$(find "$root/var/cache/apt/archives" -maxdepth 1 -name "*.deb" | wc -l)
  echo "    apt cache: linked $n downloaded .debs from the host"
fi

do_mount "$root/proc" -t proc proc
do_mount "$root/sys" --rbind /sys
do_mount "$root/dev" --bind /dev
do_mount "$root/dev/pts" --bind /dev/pts
do_mount "$root/dev/shm" -t tmpfs -o mode=1777,nosuid,nodev shm  # Chromium's shared memory
# Samba AD DCs listen on fixed ports of 127.0.0.N and the root shares this machine's network:
# the tests' loopback-address locks (tests/servers/_common.py lock_address) must be the same
# files inside and outside, or a DC in here and one of a test run on the host race for an address.
locks=${TMPDIR:-/tmp}/credsweep-loopback-locks
mkdir -p "$locks" && chmod 1777 "$locks"
do_mount "$root/tmp/credsweep-loopback-locks" --bind "$locks"

src=/src/credsweep
git clone -q --no-checkout "$top" "$root$src"
git -C "$root$src" fetch -q "$top" HEAD
git -C "$root$src" checkout -q --detach FETCH_HEAD
# The project's shared design folder, when it sits beside the checkout (tests compare with it).
[ -d "$top/../shared" ] && cp -r "$top/../shared" "$root/src/shared"
echo "    cloned $commit into $src"

# in_root NAME CMD: runs CMD (a README command) in the root with a clean environment, its
# output shown and kept in $work/NAME.log, its phases timed by the "==> " lines that setup.sh,
# demo.sh and the fuzz smoke print (a renamed line only merges two phases in the summary).
shopt -s lastpipe  # the reading loop below runs in this shell, so the phase times stay here
in_root() {
  local name=$1 cmd=$2 line rc log
  local env=(HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
             LANG=C.UTF-8 TERM=dumb)
  [ -n "${CI:-}" ] && env+=(CI="$CI")
  [ -n "${FUZZ_SECONDS:-}" ] && env+=(FUZZ_SECONDS="$FUZZ_SECONDS")
  begin_phase "$name: install"
  echo "==> fresh-check: in the root: $cmd"
  exec {log}>"$work/${name// /-}.log"
  set +e
  chroot "$root" /usr/bin/env -i "${env[@]}" /bin/bash -c "cd $src && $cmd" 2>&1 |
    while IFS= read -r line; do
      case "$line" in
        "==> building"*) begin_phase "$name: build" ;;
        "==> demo directory"*) begin_phase "$name: demo" ;;
        "==> fuzz smoke"*) begin_phase "$name: fuzz build" ;;
        "==> fuzzing"*) begin_phase "$name: fuzz run" ;;
        "==> unit and integration tests"*) begin_phase "$name: ctest" ;;
      esac
      printf '%s\n' "$line"
      printf '%s\n' "$line" >&"$log"
    done
  rc=${PIPESTATUS[0]}
  set -e
  exec {log}>&-
  begin_phase ""
  return "$rc"
}

failed=0
if [ "$mode" = demo ] || [ "$mode" = both ]; then
  if in_root "setup demo" "bash tools/setup.sh demo"; then
    report=$(sed -n 's/^Report: *//p' "$work/setup-demo.log" | tail -n 1)
    if [ -n "$report" ] && [ -s "$root$report" ]; then
      echo "==> fresh-check: demo passed; its report is $report (in the root)"
    else
      echo "==> fresh-check: demo FAILED: it did not print where a report is" >&2; failed=1
    fi
  else
    echo "==> fresh-check: demo FAILED (bash tools/setup.sh demo)" >&2; failed=1
  fi
fi
if [ "$mode" = test ] || [ "$mode" = both ]; then
  if [ "$failed" -ne 0 ]; then
    echo "==> fresh-check: test command not run: the demo failed" >&2
  elif in_root "setup test" "bash tools/setup.sh test"; then
    echo "==> fresh-check: tests passed (bash tools/setup.sh test)"
  else
    echo "==> fresh-check: tests FAILED (bash tools/setup.sh test)" >&2; failed=1
  fi
fi
summary
exit "$failed"
