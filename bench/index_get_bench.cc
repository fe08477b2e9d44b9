// index_get_bench: the in-process side of bench/e2e_compare.sh. Not a Google Benchmark: a
// plain program (the bench/ glob links benchmark::benchmark, not benchmark_main, so it may have
// its own main), because the comparison needs one fixed query file answered two ways:
//
//   index_get_bench STORE QUERIES
//     credsweep-store: CorpusStore::Open + LookupBatch over every query (filter first, MultiGet
//                      for filter positives), as `corpus check` does
//     rocksdb-get:     the same live index opened alone (same options: no RocksDB Bloom filter,
//                      no compression) and one DB::Get of the query's bucket plus a binary
//                      search in it per query: "RocksDB alone"
// QUERIES holds one 32-hex NT hash per line. Both lines report the hits, so the script can check
// that all methods agree. Prints timings only, never a hash.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include "engine/base/nt_hash.h"
#include "engine/store/corpus_store.h"
#include "engine/store/internal/index_options.h"
#include "engine/store/internal/store_format.h"

namespace {

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace credsweep;
  if (argc != 3) {
    std::fprintf(stderr, "usage: index_get_bench STORE QUERIES\n");
    return 2;
  }
  const std::string store_dir = argv[1];
  std::vector<NtHash> queries;
  {
    std::ifstream in(argv[2]);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      auto h = ParseNtHashHex(line);
      if (!h) {
        std::fprintf(stderr, "%s:%zu: not a 32-hex NT hash\n", argv[2], queries.size() + 1);
        return 2;
      }
      queries.push_back(*h);
    }
  }

  auto t0 = std::chrono::steady_clock::now();
  auto st = CorpusStore::Open(store_dir);
  if (!st.ok()) {
    std::fprintf(stderr, "%s\n", st.status().ToString().c_str());
    return 3;
  }
  double open_s = Seconds(t0);
  t0 = std::chrono::steady_clock::now();
  std::vector<LookupResult> results;
  Status s = (*st)->LookupBatch(queries, &results);
  double look_s = Seconds(t0);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 3;
  }
  size_t hits = 0;
  for (const LookupResult& r : results) hits += r.found ? 1 : 0;
  std::printf("credsweep-store: %zu queries, %zu found, open %.3f s, lookups %.4f s (%.2f us/query)\n",
              queries.size(), hits, open_s, look_s, 1e6 * look_s / static_cast<double>(queries.size()));
  st = Status::Internal("closed");  // release the store before opening the index again

  auto manifest = store::LoadManifest(store_dir);
  if (!manifest.ok()) {
    std::fprintf(stderr, "%s\n", manifest.status().ToString().c_str());
    return 3;
  }
  // The store's own read options (engine/store/internal/index_options.h), mmap'd table files
  // unless CS_GET_PREAD is set: "RocksDB alone" gets every advantage except our filter.
  rocksdb::Options o = store::IndexOptions(store::IndexUse::kRead);
  o.allow_mmap_reads = std::getenv("CS_GET_PREAD") == nullptr;
  t0 = std::chrono::steady_clock::now();
  rocksdb::DB* raw = nullptr;
  rocksdb::Status rs =
      rocksdb::DB::OpenForReadOnly(o, store::IndexPath(store_dir, manifest->generation), &raw);
  if (!rs.ok()) {
    std::fprintf(stderr, "%s\n", rs.ToString().c_str());
    return 3;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  open_s = Seconds(t0);
  t0 = std::chrono::steady_clock::now();
  hits = 0;
  std::string value;
  store::BucketView bucket;
  for (const NtHash& h : queries) {
    rs = db->Get(rocksdb::ReadOptions(),
                 rocksdb::Slice(reinterpret_cast<const char*>(h.data()), store::kBucketPrefixBytes),
                 &value);
    if (rs.ok() && bucket.Parse(value) &&
        bucket.Find(h.data() + store::kBucketPrefixBytes) < bucket.size()) {
      ++hits;
    }
  }
  look_s = Seconds(t0);
  std::printf("rocksdb-get: %zu queries, %zu found, open %.3f s, lookups %.4f s (%.2f us/query)\n",
              queries.size(), hits, open_s, look_s, 1e6 * look_s / static_cast<double>(queries.size()));
  return 0;
}
