#!/usr/bin/env bash
# One-command set-up for a fresh Debian 12 machine (README "Quick start").
#   bash tools/setup.sh demo   install, build, run the monthly job on the embedded demo data
#   bash tools/setup.sh test   install, build, run every test (unit, integration, fuzz smoke)
# Needs root or passwordless sudo for apt-get. Idempotent: re-running only rebuilds.
set -euo pipefail
mode=${1:-}
case "$mode" in demo|test|build) ;; *) echo "usage: bash tools/setup.sh demo|test|build" >&2; exit 2 ;; esac

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

# Build and runtime dependencies (Debian packages only; nothing is downloaded at build time).
build_pkgs=(build-essential cmake pkg-config libsodium-dev libhyperscan-dev libldap-dev
  librocksdb-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev libcurl4-openssl-dev
  libtomlplusplus-dev nlohmann-json3-dev
  samba-dev nettle-dev)  # MS-DRSR: Samba's client libraries; nettle: MD5/RC4/DES, SHA-256
# The demo renders its directory with Python (tools/demo/render_demo.py), LM hashes by `openssl enc`.
demo_pkgs=(python3 openssl)
# Real servers and tools the integration tests drive on loopback. Listed by what Debian's Depends
# guarantee, not by what a developer's machine happens to have (proven by tools/fresh-check.sh):
#   samba-ad-dc         Depends carry the DC: samba, samba-dsdb-modules, samba-vfs-modules, winbind;
#   samba-ad-provision  only a Recommends of samba-ad-dc (skipped by --no-install-recommends), but
#                       `samba-tool domain provision` needs its setup data;
#   iproute2            `ss`: the server launcher checks which PID listens (tests/servers/_common.py);
#   chromium            the report test renders report.html headless; clang + libclang-rt: fuzz smoke;
#   gdb                 `gcore`: the hardening test dumps a running credsweep and searches the core
#                       for secrets (tests/integration/test_hardening.py);
#   bsdextrautils time  look(1) and GNU time for bench/e2e_compare.sh.
test_pkgs=(samba-ad-dc samba-ad-provision slapd ldap-utils python3 python3-aiosmtpd iproute2
  openssl chromium clang libclang-rt-14-dev gdb bsdextrautils time)

want=("${build_pkgs[@]}")
[ "$mode" = demo ] && want+=("${demo_pkgs[@]}")
[ "$mode" = test ] && want+=("${test_pkgs[@]}")
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing: ${missing[*]}"
  $SUDO apt-get update -qq
  # slapd/samba must not start system-wide daemons: tests run their own on loopback.
  echo exit 101 | $SUDO tee /usr/sbin/policy-rc.d >/dev/null; $SUDO chmod +x /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  $SUDO rm -f /usr/sbin/policy-rc.d
fi

jobs=$(nproc)
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
echo "==> building (build/)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCREDSWEEP_WERROR=$werror >/dev/null
targets=()
[ "$mode" = demo ] && targets=(--target credsweep)  # the demo needs only the binary
cmake --build build -j "$jobs" "${targets[@]}"

case "$mode" in
  build) ;;
  demo)
    bash tools/demo.sh "$top/build/credsweep"
    ;;
  test)
    # Fuzz smoke first so that ctest's summary ("N tests passed, M failed") closes the output.
    if command -v clang++ >/dev/null; then
      echo "==> fuzz smoke (libFuzzer, clang): every *_fuzz.cc target for ${FUZZ_SECONDS:-15} s"
      bash tools/fuzz.sh "${FUZZ_SECONDS:-15}"
    fi
    echo "==> unit and integration tests (ctest)"
    ctest --test-dir build --output-on-failure -j "$jobs"
    ;;
esac
