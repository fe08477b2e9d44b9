// bloom_bench: the blocked Bloom filter against this machine's own memory ceiling.
//
// Measures, in ONE run (so the ratios compare like with like):
//   BM_RandomLineRead/bytes/mem  random 64-byte line reads, prefetched 32 ahead like the batch
//                                lookup: over a buffer of each filter's size (file mmap / THP),
//                                measured right before that filter's lookups, and over 2 GiB
//                                (4 KiB pages vs MADV_HUGEPAGE, DESIGN.md's reference ceiling)
//   BM_Build/N                   filter build rate (AddBatch, prefetched), keys/s
//   BM_Lookup/keys/thp/batch     negative lookups of random keys, 1 thread; thp 0 = file mmap,
//                                1 = huge-page anonymous copy; batch 0 = MayContain loop,
//                                1 = MayContainBatch. fpr_pct = measured false positives.
// and prints a summary: each lookup rate as a fraction of the ceiling for its footprint.
//
// Measured 2026-11-22 on the shared 2-core KVM build box (Xeon @ 2.8 GHz, 48 MiB L3, Linux
// 6.18, load average 6-8 from other builds, so rates are per CPU-second of the benchmark thread;
// two full runs, 16 bits/key, 10 probes, negative lookups, 1 thread):
//   filter keys (size)   ceiling thp   batch (% of same-run ceiling)  single     measured FPR
//   1e9 (2 GB)           23.6-24.2     19.3-24.9 M/s (80-105 %)      10.8-11.3  0.0809 %
//   1e8 (200 MB)         66-74         49.7-53.8 M/s (70-75 %)       14-21      0.0804 %
//   1e7 (20 MB, in L3)   73-81         54-61 M/s     (67-81 %)       18-21      0.0867 %
//   1e6 (2 MB, in L2)    -             59-67 M/s (compute bound)     30-50      0.0824 %
//   theory (TheoreticalFpr) 0.0825 %. 2 GiB buffer ceilings: 4 KiB pages 9.8-10.0 M/s, THP
//   25.3-25.5 M/s. kMmap runs as fast as kHugePageCopy here (the file is PMD-mapped, see Mem).
//   Build (AddBatch): 21-23.5 M keys/s. Below ~1 GB the batch is bound by its own arithmetic
//   (~16 ns/key: the 1e6 row), not by memory; at 1e9 keys it is at the memory ceiling.
//
// Run: cmake --build build --target bloom_bench && build/bloom_bench
// Needs ~5 GiB of RAM and ~4.5 GB of free disk in $TMPDIR (filter and ceiling files, removed at
// the end); takes ~10 minutes, most of it building and opening the 1e9-key filter.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bloom/blocked_bloom_filter.h"

namespace {

using credsweep::bloom::Filter;
using credsweep::bloom::FilterBuilder;
using credsweep::bloom::FilterParams;
using credsweep::bloom::KeyType;
using credsweep::bloom::LoadMode;

// SplitMix64: uniform keys, like NT hashes.
struct KeyGen {
  uint64_t state;
  uint64_t Next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  void Fill(std::vector<uint64_t>* words) {
    for (auto& w : *words) w = Next();
  }
};

// Rates recorded by each benchmark (items per second of wall time), printed as ratios at the end.
std::map<std::string, double>& Rates() {
  static std::map<std::string, double> rates;
  return rates;
}

// Rates are per second of this thread's CPU time, not wall time: the build box is shared (load
// average often 3-7 on 2 cores), and a memory stall still counts as CPU time, while time spent
// descheduled does not. The framework's own columns below use CPU time too (no UseRealTime).
double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Memory of this process mapped with 2 MiB entries: anonymous THP plus file pages mapped by
// PMD (page-cache large folios), from /proc/self/smaps_rollup.
double HugeMappedMiB() {
  std::ifstream in("/proc/self/smaps_rollup");
  std::string line;
  uint64_t kb = 0;
  while (std::getline(in, line)) {
    for (const char* field : {"AnonHugePages:", "FilePmdMapped:"}) {
      if (line.rfind(field, 0) == 0) kb += std::stoull(line.substr(std::strlen(field)));
    }
  }
  return static_cast<double>(kb) / 1024;
}

// ---------------------------------------------------------------------------------------------
// The ceiling: random cache-line reads.

// Sizes of the random-read buffers: 2 GiB as DESIGN.md states the ceiling, plus exactly the
// body size of each benchmarked filter (2 bytes per key at 16 bits/key), because the ceiling
// depends on the footprint: a 200 MB buffer's page tables (400 KB) stay in cache and a quarter
// of it fits in this box's 48 MiB L3, a 2 GB one's do not.
constexpr int64_t kGiB2 = int64_t{2} << 30;

std::string SizeLabel(uint64_t bytes) {
  if (bytes == static_cast<uint64_t>(kGiB2)) return "2GiB";
  return std::to_string(bytes / 1'000'000) + "MB";
}
// Memory kinds for the ceiling. kFile is what LoadMode::kMmap gets (page-cache pages of a file
// on disk), kThp what LoadMode::kHugePageCopy gets, kAnon4k plain anonymous 4 KiB pages for
// reference. On this box's kernel (6.18, ext4) a file written in large writes sits in the page
// cache as large folios that a read-only mmap maps with 2 MiB entries (FilePmdMapped in
// smaps): kMmap then gets huge pages for free, which older kernels do not give it.
enum class Mem { kAnon4k = 0, kThp = 1, kFile = 2 };
std::string MemLabel(Mem m) {
  switch (m) {
    case Mem::kAnon4k:
      return "anon4k";
    case Mem::kThp:
      return "thp";
    case Mem::kFile:
      return "file";
  }
  return "?";
}

std::string BenchDir();

struct Buffer {
  void* base = nullptr;
  size_t map_bytes = 0;
  size_t bytes = 0;
  const uint64_t* lines = nullptr;
  Mem mem = Mem::kAnon4k;
  std::string file;
  ~Buffer() {
    if (base) ::munmap(base, map_bytes);
    if (!file.empty()) ::unlink(file.c_str());
  }
};

// One buffer alive at a time (up to 2 GiB each); released before filters are built.
std::unique_ptr<Buffer>& CurrentBuffer() {
  static std::unique_ptr<Buffer> buf;
  return buf;
}
Buffer* GetBuffer(size_t bytes, Mem mem) {
  std::unique_ptr<Buffer>& buf = CurrentBuffer();
  if (buf && buf->mem == mem && buf->bytes == bytes) return buf.get();
  buf.reset();
  auto b = std::make_unique<Buffer>();
  b->bytes = bytes;
  b->mem = mem;
  if (mem == Mem::kFile) {
    b->file = BenchDir() + "/ceiling.bin";
    const int fd = ::open(b->file.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return nullptr;
    // Large writes, as FilterBuilder::WriteTo makes: the page cache then holds large folios
    // that the kernel can map with 2 MiB entries. Written in 1 MiB pieces instead, the same file
    // stays in 4 KiB mappings and reads at a third of the rate.
    std::vector<uint8_t> chunk(size_t{64} << 20, 1);
    for (size_t off = 0; off < bytes; off += chunk.size()) {
      const size_t len = bytes - off < chunk.size() ? bytes - off : chunk.size();
      if (::pwrite(fd, chunk.data(), len, static_cast<off_t>(off)) != static_cast<ssize_t>(len)) {
        ::close(fd);
        return nullptr;
      }
    }
    // Clean pages, as after FilterBuilder::WriteTo.
    if (::fsync(fd) != 0) {
      ::close(fd);
      return nullptr;
    }
    b->map_bytes = bytes;
    b->base = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
    ::close(fd);
    if (b->base == MAP_FAILED) return nullptr;
    ::madvise(b->base, bytes, MADV_RANDOM);  // as Filter::Open does
    volatile uint64_t sink = 0;
    for (size_t off = 0; off < bytes; off += 4096) {
      sink = sink + static_cast<const uint64_t*>(b->base)[off / 8];  // fault in before timing
    }
    b->lines = static_cast<const uint64_t*>(b->base);
  } else {
    constexpr size_t kHuge = size_t{2} << 20;
    b->map_bytes = bytes + 2 * kHuge;
    b->base =
        ::mmap(nullptr, b->map_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (b->base == MAP_FAILED) return nullptr;
    auto* p = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(b->base) + kHuge - 1) &
                                         ~(kHuge - 1));
    ::madvise(p, bytes + kHuge, mem == Mem::kThp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
    std::memset(p, 1, bytes);  // fault every page in before timing
    b->lines = reinterpret_cast<const uint64_t*>(p);
  }
  buf = std::move(b);
  return buf.get();
}

// Random line reads, addresses independent of loaded data (like filter lookups: the address
// comes from the key), software-pipelined exactly like MayContainBatch: the line of read
// i + 32 is prefetched when read i is made. This is MayContainBatch minus the key loads and
// bit tests, i.e. the best a one-line-per-key lookup can do. (Windows of 16 — "prefetch 16,
// read 16" — reached only ~60 % of this rate on the 200 MB buffer.)
void BM_RandomLineRead(benchmark::State& state) {
  const size_t bytes = static_cast<size_t>(state.range(0));
  const Mem mem = static_cast<Mem>(state.range(1));
  Buffer* buf = GetBuffer(bytes, mem);
  if (buf == nullptr) {
    state.SkipWithError("cannot allocate the buffer");
    return;
  }
  const uint64_t lines = bytes / 64;
  KeyGen gen{123};
  auto next = [&] {
    return buf->lines +
           static_cast<uint64_t>((static_cast<unsigned __int128>(gen.Next()) * lines) >> 64) * 8;
  };
  constexpr size_t kDistance = 32;
  const uint64_t* ring[kDistance];
  for (auto& p : ring) {
    p = next();
    __builtin_prefetch(p, 0, 0);
  }
  uint64_t sum = 0;
  constexpr size_t kReads = 1 << 20;
  const double t0 = ThreadCpuSeconds();
  for (auto _ : state) {
    for (size_t i = 0; i < kReads; ++i) {
      const size_t slot = i % kDistance;
      sum += *ring[slot];
      ring[slot] = next();
      __builtin_prefetch(ring[slot], 0, 0);
    }
    benchmark::DoNotOptimize(sum);
  }
  const double secs = ThreadCpuSeconds() - t0;
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kReads));
  state.counters["huge_pages_MiB"] = HugeMappedMiB();
  Rates()["ceiling " + SizeLabel(bytes) + " " + MemLabel(mem)] =
      static_cast<double>(state.iterations() * kReads) / secs;
}

// The same reads as a plain loop with no software prefetch: what the out-of-order core finds on
// its own (compare with single MayContain calls). 2 GiB only.
void BM_RandomLineReadNoPrefetch(benchmark::State& state) {
  const size_t bytes = static_cast<size_t>(state.range(0));
  const Mem mem = static_cast<Mem>(state.range(1));
  Buffer* buf = GetBuffer(bytes, mem);
  if (buf == nullptr) {
    state.SkipWithError("cannot allocate the buffer");
    return;
  }
  const uint64_t lines = bytes / 64;
  KeyGen gen{321};
  uint64_t sum = 0;
  constexpr size_t kReads = 1 << 20;
  for (auto _ : state) {
    for (size_t i = 0; i < kReads; ++i) {
      const uint64_t line =
          static_cast<uint64_t>((static_cast<unsigned __int128>(gen.Next()) * lines) >> 64);
      sum += buf->lines[line * 8];
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kReads));
}
BENCHMARK(BM_RandomLineReadNoPrefetch)
    ->Args({kGiB2, 0})
    ->Args({kGiB2, 1})
    ->ArgNames({"bytes", "mem"})
    ->MinTime(2.0);

// ---------------------------------------------------------------------------------------------
// Filters.

std::string BenchDir() {
  static const std::string dir = [] {
    // The system temp dir, never the working directory: a run from the repository top must not
    // leave multi-GB files where `git add` can see them.
    std::string d =
        (std::filesystem::temp_directory_path() / ("bloom_bench." + std::to_string(::getpid())))
            .string();
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

// Inserts n keys from KeyGen{seed 1} in chunks of 1M (key generation outside the timed part
// when `state` is given).
void InsertKeys(FilterBuilder* b, uint64_t n, benchmark::State* state) {
  KeyGen gen{1};
  constexpr size_t kChunk = 1 << 20;
  std::vector<uint64_t> words(kChunk * 2);
  for (uint64_t done = 0; done < n; done += kChunk) {
    const size_t len = n - done < kChunk ? static_cast<size_t>(n - done) : kChunk;
    if (state) state->PauseTiming();
    gen.Fill(&words);
    if (state) state->ResumeTiming();
    b->AddBatch(reinterpret_cast<const uint8_t*>(words.data()), len);
  }
}

void BM_Build(benchmark::State& state) {
  const uint64_t n = static_cast<uint64_t>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    auto created =
        FilterBuilder::Create({.key_type = KeyType::kNtlm, .expected_keys = n, .seed = 5});
    if (!created.ok()) {
      state.SkipWithError(created.status().ToString().c_str());
      return;
    }
    std::unique_ptr<FilterBuilder> b = std::move(created).value();
    state.ResumeTiming();
    InsertKeys(b.get(), n, &state);
    benchmark::DoNotOptimize(b->data());
    state.PauseTiming();
    b.reset();  // unmapping 200 MB is not part of the build
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_Build)
    ->Arg(10'000'000)
    ->Arg(100'000'000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2);

// Filter files are built once per size; one opened filter is kept at a time.
Filter* GetFilter(uint64_t n, LoadMode mode) {
  static std::map<uint64_t, std::string> files;
  static std::unique_ptr<Filter> open;
  static uint64_t open_n = 0;
  if (open && open_n == n && open->load_mode() == mode) return open.get();
  open.reset();
  CurrentBuffer().reset();
  if (!files.count(n)) {
    auto b = FilterBuilder::Create({.key_type = KeyType::kNtlm, .expected_keys = n, .seed = 5});
    if (!b.ok()) return nullptr;
    InsertKeys(b.value().get(), n, nullptr);
    const std::string path = BenchDir() + "/filter_" + std::to_string(n) + ".csbf";
    if (!b.value()->WriteTo(path).ok()) return nullptr;
    files[n] = path;
  }
  auto f = Filter::Open(files[n], mode);
  if (!f.ok()) {
    std::fprintf(stderr, "%s\n", f.status().ToString().c_str());
    return nullptr;
  }
  open = std::move(f).value();
  open_n = n;
  return open.get();
}

constexpr size_t kQueryKeys = 1 << 20;  // 16 MiB of query keys, streamed sequentially

const std::vector<uint64_t>& QueryKeys() {
  static const std::vector<uint64_t> keys = [] {
    std::vector<uint64_t> w(kQueryKeys * 2);
    KeyGen{777}.Fill(&w);  // never inserted: negative lookups, positives are false positives
    return w;
  }();
  return keys;
}

// "batch 200MB 4k" for a 100M-key filter opened with mmap (4 KiB pages), matching the
// ceiling measured over a buffer of the same size and page size.
std::string LookupName(const char* kind, uint64_t n, LoadMode mode) {
  return std::string(kind) + " " + SizeLabel(n * 2) + " " +
         MemLabel(mode == LoadMode::kHugePageCopy ? Mem::kThp : Mem::kFile);
}

// Negative lookups of 1M random keys per iteration. batch = 0: a loop of MayContain (the
// out-of-order core overlaps what it can on its own); batch = 1: one MayContainBatch call.
void BM_Lookup(benchmark::State& state) {
  const uint64_t n = static_cast<uint64_t>(state.range(0));
  const LoadMode mode = state.range(1) ? LoadMode::kHugePageCopy : LoadMode::kMmap;
  const bool batch = state.range(2) != 0;
  const Filter* f = GetFilter(n, mode);
  if (f == nullptr) {
    state.SkipWithError("cannot build/open filter");
    return;
  }
  const auto* keys = reinterpret_cast<const uint8_t*>(QueryKeys().data());
  std::unique_ptr<bool[]> out(new bool[kQueryKeys]);
  size_t positives = 0;
  const double t0 = ThreadCpuSeconds();
  for (auto _ : state) {
    if (batch) {
      f->MayContainBatch(keys, kQueryKeys, out.get());
      for (size_t i = 0; i < kQueryKeys; ++i) positives += out[i];
    } else {
      for (size_t i = 0; i < kQueryKeys; ++i) positives += f->MayContain(keys + i * 16);
    }
  }
  const double secs = ThreadCpuSeconds() - t0;
  const double total = static_cast<double>(state.iterations() * kQueryKeys);
  state.SetItemsProcessed(static_cast<int64_t>(total));
  state.counters["fpr_pct"] = 100.0 * static_cast<double>(positives) / total;
  state.counters["expected_fpr_pct"] = 100.0 * f->expected_fpr();
  state.counters["huge_pages_MiB"] = HugeMappedMiB();
  Rates()[LookupName(batch ? "batch" : "single", n, mode)] = total / secs;
}

// Filter sizes: 1M keys (2 MB, in cache: the compute-bound reference), 10M (20 MB, fits this
// box's 48 MiB L3), 100M (200 MB), 1000M (2 GB, the ~1e9-key corpora DESIGN.md plans for).
constexpr int64_t kFilterKeys[] = {1'000'000, 10'000'000, 100'000'000, 1'000'000'000};

// Registered from main in this order: for each footprint, the ceiling of a memory kind is
// measured right before the lookups on that kind, because the box is shared and its memory
// speed drifts by 2x over minutes; ratios are only meaningful between neighbouring runs.
void RegisterFootprintBenchmarks() {
  for (int64_t n : kFilterKeys) {
    for (Mem mem : {Mem::kFile, Mem::kThp}) {
      const int64_t thp = mem == Mem::kThp ? 1 : 0;
      if (n >= 10'000'000) {  // 1M keys (2 MB) is in cache: no memory ceiling to compare with
        benchmark::RegisterBenchmark("BM_RandomLineRead", BM_RandomLineRead)
            ->Args({n * 2, static_cast<int64_t>(mem)})
            ->ArgNames({"bytes", "mem"})
            ->MinTime(2.0);
      }
      for (int64_t batch : {0, 1}) {
        benchmark::RegisterBenchmark("BM_Lookup", BM_Lookup)
            ->Args({n, thp, batch})
            ->ArgNames({"keys", "thp", "batch"})
            ->MinTime(2.0);
      }
    }
  }
  // The 2 GiB reference DESIGN.md quotes (~8 M/s with 4 KiB pages, ~17 M/s with THP).
  for (Mem mem : {Mem::kAnon4k, Mem::kThp}) {
    benchmark::RegisterBenchmark("BM_RandomLineRead", BM_RandomLineRead)
        ->Args({kGiB2, static_cast<int64_t>(mem)})
        ->ArgNames({"bytes", "mem"})
        ->MinTime(2.0);
  }
}

}  // namespace

int main(int argc, char** argv) {
  RegisterFootprintBenchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  CurrentBuffer().reset();
  std::filesystem::remove_all(BenchDir());

  // "batch 200MB thp" is compared with "ceiling 200MB thp" (same footprint, same memory kind)
  // and with the best ceiling measured for that footprint.
  const auto& r = Rates();
  std::printf(
      "\nSummary, M per CPU-second, 1 thread. file = LoadMode::kMmap (page cache), thp = "
      "LoadMode::kHugePageCopy;\nlookup rates as %% of the random-line-read ceiling of the "
      "same footprint and memory kind, and of the best ceiling for that footprint:\n");
  for (const auto& [name, rate] : r) {
    const auto first = name.find(' ');
    const auto second = name.find(' ', first + 1);
    const std::string size = name.substr(first + 1, second - first - 1);
    const auto same = r.find("ceiling" + name.substr(first));
    double best = 0;
    for (const auto& [cname, crate] : r) {
      if (cname.rfind("ceiling " + size + " ", 0) == 0 && crate > best) best = crate;
    }
    if (name.rfind("ceiling", 0) == 0 || same == r.end()) {
      std::printf("  %-22s %7.2f M/s\n", name.c_str(), rate / 1e6);
    } else {
      std::printf("  %-22s %7.2f M/s = %5.1f %% of %s, %5.1f %% of best\n", name.c_str(),
                  rate / 1e6, 100.0 * rate / same->second, same->first.c_str(),
                  100.0 * rate / best);
    }
  }
  return 0;
}
