// Replication throughput against a live DC: accounts/s and peak RSS of ReplicateHashes.
// Not a Google Benchmark: one replication of a large domain takes seconds, and what matters is
// the whole read (connect, bind, every page, every decryption). Driven by
// bench/replication_bench.py, which provisions a Samba DC with N extra accounts; usable against
// any DC:
//
//   CREDSWEEP_BENCH_DC=10.0.0.5 CREDSWEEP_BENCH_USER='CORP\svc-repl'
//     CREDSWEEP_BIND_PASSWORD=... build/replication_bench [REPEATS]   (one command line)
//
// Prints one line per repeat and a summary: "accounts=N objects=M best=S s  A accounts/s
// peak_rss=R MiB cpu=C s over K runs" (CPU well below K x best means the DC sets the pace).
// Never prints a hash.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "connectors/replication/replication.h"

int main(int argc, char** argv) {
  const char* dc = std::getenv("CREDSWEEP_BENCH_DC");
  const char* user = std::getenv("CREDSWEEP_BENCH_USER");
  const char* pw = std::getenv("CREDSWEEP_BIND_PASSWORD");
  if (!dc || !user || !pw) {
    std::fprintf(stderr, "set CREDSWEEP_BENCH_DC, CREDSWEEP_BENCH_USER, CREDSWEEP_BIND_PASSWORD\n");
    return 2;
  }
  const int repeats = argc > 1 ? std::atoi(argv[1]) : 3;
  double best = 1e9;
  uint64_t accounts = 0, objects = 0;
  for (int i = 0; i < repeats; ++i) {
    credsweep::ReplicationRequest req;
    req.dc = dc;
    req.username = user;
    req.password = pw;
    const auto t0 = std::chrono::steady_clock::now();
    auto r = credsweep::ReplicateHashes(req);
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!r.ok()) {
      std::fprintf(stderr, "replication failed: %s\n", r.status().ToString().c_str());
      return 3;
    }
    accounts = r->accounts;
    objects = r->objects;
    std::printf("run %d: %llu accounts, %llu objects, %.3f s, %.0f accounts/s\n", i + 1,
                static_cast<unsigned long long>(accounts), static_cast<unsigned long long>(objects),
                s, static_cast<double>(accounts) / s);
    if (s < best) best = s;
  }
  // Peak RSS from VmHWM, not getrusage: ru_maxrss survives exec, so a process started by a
  // large parent (the Python driver holding a 10 000-account ldb transaction) reports the
  // parent's size. VmHWM belongs to this process image alone.
  double hwm_mib = -1;
  if (std::FILE* f = std::fopen("/proc/self/status", "r")) {
    char line[256];
    while (std::fgets(line, sizeof line, f)) {
      unsigned long kib = 0;
      if (std::sscanf(line, "VmHWM: %lu kB", &kib) == 1) hwm_mib = kib / 1024.0;
    }
    std::fclose(f);
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
                     ru.ru_stime.tv_usec / 1e6;
  std::printf("accounts=%llu objects=%llu best=%.3f s  %.0f accounts/s  peak_rss=%.1f MiB  "
              "cpu=%.2f s over %d runs\n",
              static_cast<unsigned long long>(accounts), static_cast<unsigned long long>(objects),
              best, static_cast<double>(accounts) / best, hwm_mib, cpu, repeats);
  return 0;
}
