// Google Benchmark of the store's read side: LookupBatch (filter + MultiGet) and Lookup.
//
//   CREDSWEEP_BENCH_STORE=/path/to/store build/store_bench     an existing store (e.g. the one
//                                                              bench/e2e_compare.sh imports)
//   build/store_bench                                          builds a 1 M-key store in /tmp
// Queries are random hashes (absent: the common case of an audit, filter-only work) and hashes
// read back from the store's own index (present: filter + MultiGet confirmation).
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <rocksdb/db.h>

#include "connectors/corpus/hibp_generator.h"
#include "engine/store/corpus_import.h"
#include "engine/store/corpus_store.h"
#include "engine/store/internal/store_format.h"

namespace {

using credsweep::CorpusStore;
using credsweep::LookupResult;
using credsweep::NtHash;

struct Fixture {
  std::unique_ptr<CorpusStore> store;
  std::vector<NtHash> absent;
  std::vector<NtHash> present;
  std::string temp;
  std::string dir;
  ~Fixture() {
    store.reset();
    if (!temp.empty()) std::filesystem::remove_all(temp);
  }
};

Fixture& Get() {
  // A static object (not a leaked pointer) so its destructor removes the temporary store.
  static std::unique_ptr<Fixture> f = [] {
    auto fx = std::make_unique<Fixture>();
    std::string dir;
    if (const char* e = std::getenv("CREDSWEEP_BENCH_STORE")) {
      dir = e;
    } else {
      char tmpl[] = "/tmp/cs_store_bench_XXXXXX";
      fx->temp = mkdtemp(tmpl);
      credsweep::corpus::GenerateOptions g{fx->temp + "/hibp.txt", 1000000, "", 3};
      if (!credsweep::corpus::GenerateHibpFile(g).ok()) std::abort();
      credsweep::store::ImportOptions o;
      o.store = fx->temp + "/store";
      o.paths = {g.out};
      if (!credsweep::store::ImportCorpus(o).ok()) std::abort();
      dir = o.store;
    }
    fx->dir = dir;
    auto st = CorpusStore::Open(dir);
    if (!st.ok()) {
      std::fprintf(stderr, "%s\n", st.status().ToString().c_str());
      std::abort();
    }
    fx->store = std::move(st).value();
    std::mt19937_64 rng(11);
    for (int i = 0; i < (1 << 16); ++i) {
      NtHash h;
      for (size_t k = 0; k < 16; k += 8) {
        uint64_t v = rng();
        std::memcpy(h.data() + k, &v, 8);
      }
      fx->absent.push_back(h);
    }
    // Present keys: sampled from the live index.
    auto m = credsweep::store::LoadManifest(dir);
    rocksdb::DB* raw = nullptr;
    rocksdb::Options opts;
    if (rocksdb::DB::OpenForReadOnly(opts, credsweep::store::IndexPath(dir, m->generation), &raw).ok()) {
      std::unique_ptr<rocksdb::DB> db(raw);
      std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
      namespace st = credsweep::store;
      st::BucketView bucket;
      for (const NtHash& seek : fx->absent) {
        it->Seek(rocksdb::Slice(reinterpret_cast<const char*>(seek.data()), st::kBucketPrefixBytes));
        if (it->Valid() && it->key().size() == st::kBucketPrefixBytes &&
            bucket.Parse(it->value().ToStringView())) {
          NtHash h;
          std::memcpy(h.data(), it->key().data(), st::kBucketPrefixBytes);
          std::memcpy(h.data() + st::kBucketPrefixBytes, bucket.suffix(0), st::kSuffixBytes);
          fx->present.push_back(h);
        }
        if (fx->present.size() == 4096) break;
      }
    }
    return fx;
  }();
  return *f;
}

void BM_LookupBatchAbsent(benchmark::State& state) {
  Fixture& f = Get();
  std::vector<LookupResult> out;
  const size_t n = static_cast<size_t>(state.range(0));
  size_t off = 0;
  for (auto _ : state) {
    std::span<const NtHash> q(f.absent.data() + off, n);
    if (!f.store->LookupBatch(q, &out).ok()) state.SkipWithError("lookup failed");
    off = (off + n) % (f.absent.size() - n);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_LookupBatchAbsent)->Arg(4096)->Arg(16384);

void BM_LookupBatchPresent(benchmark::State& state) {
  Fixture& f = Get();
  std::vector<LookupResult> out;
  for (auto _ : state) {
    if (!f.store->LookupBatch(f.present, &out).ok()) state.SkipWithError("lookup failed");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * f.present.size()));
}
BENCHMARK(BM_LookupBatchPresent);

void BM_LookupSingleAbsent(benchmark::State& state) {
  Fixture& f = Get();
  size_t i = 0;
  for (auto _ : state) {
    auto r = f.store->Lookup(f.absent[i++ & 0xFFFF]);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_LookupSingleAbsent);

// What one `check-password` call does after process start: open the store the cheap way
// (kProbedRanges: manifest, filter header, range sidecar, RocksDB metadata) and look up one
// hash, verifying the 4 KiB filter range it probes. Page cache warm, as on a DC that checks
// passwords all day; the process start itself is measured by bench/e2e_compare.sh.
void BM_CheckPasswordCall(benchmark::State& state) {
  Fixture& f = Get();
  const bool present = state.range(0) != 0;
  size_t i = 0;
  for (auto _ : state) {
    auto st = CorpusStore::Open(
        f.dir, credsweep::StoreOpenOptions{.filter_check = credsweep::FilterCheck::kProbedRanges,
                                           .lookups = credsweep::LookupVolume::kFew});
    if (!st.ok()) {
      state.SkipWithError("open failed");
      break;
    }
    const NtHash& h = present ? f.present[i++ % f.present.size()] : f.absent[i++ & 0xFFFF];
    auto r = (*st)->Lookup(h);
    if (!r.ok() || r->found != present) state.SkipWithError("lookup failed");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_CheckPasswordCall)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
