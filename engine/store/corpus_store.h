// CorpusStore: the breach-corpus store, read side. What audit, check and check-password use.
//
// A store is a directory (DESIGN.md "Store and file formats"):
//   STORE/manifest.json   key type, key count, sources, filter parameters, generation
//   STORE/filter.csbf     mmap blocked Bloom filter (bloom/)
//   STORE/index/          RocksDB: raw hash bytes -> prevalence count, source ids, first month
// Lookups go filter first; a filter positive is confirmed in the index, so answers are exact.
//
// Failure policy (fail closed): a missing, truncated or corrupt manifest, filter or index is an
// error naming the file and saying what to do (re-import); it is never an empty store that
// answers "not leaked". Open() checks that manifest, filter and index agree on key type, size,
// seed, generation and the filter's checksum, and then, depending on StoreOpenOptions:
//   kFull          hashes the whole filter body (BLAKE2b, ~1 s and the filter's size in page
//                  cache per 1e8 keys): `corpus info`, tests, benches.
//   kProbedRanges  reads only the filter header and maps the body; every lookup first verifies
//                  the range of the filter it probes (one 4 KiB page; 1 MiB in version-1
//                  sidecars) against the digest recorded at import
//                  (engine/store/internal/filter_ranges.h), once per range and process. With
//                  LookupVolume::kFew RocksDB opens only the table file a positive needs:
//                  constant time and memory at any store size, `check-password`. With kMany
//                  (below): `corpus check`, whose cost then follows its input, not the store.
//                  What it cannot see (damage in ranges no lookup read) is what
//                  `credsweep corpus verify` checks in full.
//   kIndexOnly     reads only the filter header (the same cheap checks as kProbedRanges) and
//                  never its body: every lookup goes straight to the RocksDB index, whose block
//                  checksums RocksDB verifies on every read, so a damaged block is an error,
//                  never a "not leaked". Table files are read with pread(2) and nothing is
//                  cached, so memory stays flat; the cost is one index read per lookup, O(lookups)
//                  whatever the store's size, where kFull costs O(filter) before the first
//                  lookup (0.3 s and 200 MB at 1e8 keys, 3 s and 2 GB at 1e9). For callers that
//                  look up a few hashes once; kBatchRanges below uses this path for small
//                  batches.
//   kBatchRanges   the audit's mode (many hashes, each looked up once): opened as kIndexOnly
//                  plus the range digests. Each LookupBatch chooses the cheaper of two exact
//                  paths by what it would cost: when the filter ranges its hashes fall in cost
//                  less than the index reads they spare (FilterRanges::LookupsPerRange), the batch
//                  goes through the filter range by range — each range read once, verified
//                  against its digest (damage fails the batch, never a "not leaked"), probed,
//                  and its pages given back (Filter::ReleaseBody), so memory stays flat — and
//                  only the filter's positives are read from the index; otherwise (fewer hashes
//                  than ranges x LookupsPerRange) straight to the index as kIndexOnly. With the
//                  4 KiB CRC-32C ranges of version-2 sidecars a range costs less than one index
//                  read, so every batch goes through the filter and reads ~one page per hash
//                  (100 000 account hashes: ~370 MB of a 2 GB filter at 1e9 keys, not all of
//                  it); with the 1 MiB BLAKE2b ranges of version-1 sidecars a range is worth
//                  256 index reads and a small batch goes to the index.
// A store written before range digests existed is opened kFull when kProbedRanges is asked for,
// and as kIndexOnly when kBatchRanges is; kIndexOnly needs no digests (it does not read the
// filter body).
//
// Layout, generations and value encoding: engine/store/internal/store_format.h. The write side (import,
// crash safety, incremental sources): engine/store/corpus_import.h.
//
// Thread-safety: after Open(), Lookup/LookupBatch may be called from many threads.
// Ownership: the store owns its mmap and RocksDB handle; destroying it releases both.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/base/nt_hash.h"
#include "engine/base/status.h"
#include "engine/model/corpus_source.h"

namespace credsweep {

// NtHash is defined in engine/base/nt_hash.h.

struct StoreInfo {
  std::string key_type;  // "ntlm" (16-byte keys) or "sha1" (20 bytes)
  uint64_t keys = 0;     // distinct hashes
  uint64_t generation = 0;
  double bits_per_key = 0;
  int probes = 0;
  double expected_fpr = 0;  // theoretical false-positive rate of the filter layout
  std::vector<CorpusSource> sources;
};

struct LookupResult {
  bool found = false;
  uint64_t count = 0;  // prevalence (sum over sources of the latest version of each)
  uint32_t first_seen_month = 0;  // YYYYMM of the import that first added the hash; 0 if !found
};

enum class FilterCheck { kFull, kProbedRanges, kIndexOnly, kBatchRanges };


// How many lookups the process will make, which decides how the index is read (with
// kProbedRanges; kFull reads as kMany, kIndexOnly as internal/index_options.h kDirect):
//   kFew   check-password: table files opened on demand, nothing cached (IndexUse::kProbe).
//   kMany  `corpus check`: every table file opened and mapped up front (IndexUse::kRead), and
//          a batch whose hashes fall in ranges not verified yet hashes those ranges on two
//          threads while the lookups run; nothing is answered before they all verified.
//          A first batch of 100 000 random hashes at 1e8 keys touches every range, so this
//          costs what kFull costs, on both cores; a batch of a few hashes costs a few ranges.
enum class LookupVolume { kFew, kMany };

struct StoreOpenOptions {
  FilterCheck filter_check = FilterCheck::kFull;  // see the header comment
  LookupVolume lookups = LookupVolume::kMany;
};

class CorpusStore {
 public:
  virtual ~CorpusStore() = default;
  // Opens STORE read-only. Errors: kNotFound (no store there: "run `credsweep corpus import`"),
  // kCorruption (bad manifest/filter/index, naming the file).
  [[nodiscard]] static Result<std::unique_ptr<CorpusStore>> Open(
      const std::string& dir, const StoreOpenOptions& options = {});

  virtual const StoreInfo& info() const = 0;
  // Exact lookup of one NT hash. With kProbedRanges, kCorruption when the filter range it
  // probes is damaged.
  [[nodiscard]] virtual Result<LookupResult> Lookup(const NtHash& hash) const = 0;
  // Exact lookup of many hashes; filter probes are batched and prefetched, positives confirmed
  // with RocksDB MultiGet. out is resized to hashes.size(), in the same order.
  [[nodiscard]] virtual Status LookupBatch(std::span<const NtHash> hashes,
                                           std::vector<LookupResult>* out) const = 0;
};

}  // namespace credsweep
