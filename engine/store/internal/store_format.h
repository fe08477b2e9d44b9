// The on-disk layout of a corpus store and the encodings both its sides share.
//
// Layout (DESIGN.md "Store and file formats", refined for crash safety):
//
//   STORE/manifest.json            the commit point: names the live generation
//   STORE/gen-000007/filter.csbf   Bloom filter of generation 7 (bloom/blocked_bloom_filter.h)
//   STORE/gen-000007/index/        RocksDB index of generation 7
//   STORE/LOCK                     flock(2) held by an import; never by readers
//   STORE/gen-000008/ ...          an import in progress (or one killed): ignored by readers,
//                                  removed by the next import
//
// A store is exactly what manifest.json says: readers open manifest.json, then the filter and
// index of the generation it names. An import builds generation N+1 beside N and switches by
// replacing manifest.json atomically (WriteFileAtomic: write, fsync, rename, fsync dir), so a
// kill -9 at any moment leaves either the old manifest naming the untouched generation N, or
// the new one naming the complete generation N+1. See corpus_import.h for the write side.
//
// manifest.json (format_version 1):
//   { "format": "credsweep-corpus-store", "format_version": 1, "generation": 7,
//     "key_type": "ntlm", "keys": 123, "updated_at": "2026-11-22T13:20:00Z",
//     "filter": { "file": "gen-000007/filter.csbf", "bits_per_key": 16.0, "probes": 10,
//                 "seed": 42, "blocks": 4, "expected_fpr": 0.0008,
//                 "checksum": "<hex BLAKE2b-256 of filter.csbf, as in its header>",
//                 "ranges": "gen-000007/filter.ranges", "verified_at": "2026-11-22T13:20:05Z" },
//     "index": { "dir": "gen-000007/index", "value_format": 1 },
//     "sources": [ { "id": 1, "name": "hibp", "version": "v8", "format": "hibp",
//                    "lines": 1000, "records": 998, "imported_at": "...", "checksum": "<hex>",
//                    "checksum_algorithm": "sha256" } ] }   (absent: "blake2b-256", older stores)
//
// Index layout (value_format 2, "bucketed"), chosen for size at 2e9 keys:
// RocksDB stores every entry with an 8-byte sequence trailer and three length bytes, which made
// one-entry-per-hash (value_format 1) cost 32 bytes per key on disk. So the RocksDB key is the
// first kBucketPrefixBytes (3) bytes of the hash and the value packs every hash of that bucket:
// 2^24 buckets, ~6 keys each at 1e8 keys, ~120 at 2e9 — the per-entry cost is then shared.
//   u8      value format = 2
//   varint  n, the number of hashes in the bucket (>= 1)
//   varint  base month: the smallest first-seen month in the bucket, as months since 2000-01
//   n x 13  the hashes' remaining 13 bytes ("suffixes"), strictly increasing: a lookup
//           binary-searches them in place without decoding anything
//   n x     per hash, in suffix order: varint h = (first month - base month) * 2 + multi;
//           multi = 0: varint source id, varint count (one source: the common case, 3-6 bytes)
//           multi = 1: varint k (>= 2), k x { varint source id, varint count }
// Varints are LEB128 (7 bits per byte, low first), at most 10 bytes. A typical HIBP hash costs
// 13 + 3..5 bytes plus its share of the bucket's RocksDB entry; measured in README ("corpus
// store"). The prevalence a lookup reports is the sum of the counts.
// A lookup reads one bucket (Get / MultiGet of the 3-byte prefix), binary-searches the suffix
// and walks the varints of the hashes before it (bucket values are ~2 KB at most at 2e9 keys).
// Buckets are uniform because NT hashes are; a hand-made list of hashes sharing a prefix only
// makes its bucket larger (still exact, slower).
// The index also holds one metadata key, kIndexMetaKey (not 3 bytes, so never a bucket), whose
// value is {"generation": N, "keys": K} as JSON: Open() checks it against the manifest.
// Stores with value_format 1 are refused with "re-import" (ManifestFromJson).
#pragma once

#include <cstdint>
#include <string>
#include <span>
#include <string_view>
#include <vector>

#include "connectors/corpus/corpus_reader.h"
#include "engine/base/status.h"
#include "engine/store/corpus_store.h"

namespace credsweep::store {

inline constexpr int kManifestFormatVersion = 1;
inline constexpr int kValueFormat = 2;
inline constexpr size_t kBucketPrefixBytes = 3;
inline constexpr size_t kSuffixBytes = 16 - kBucketPrefixBytes;
inline constexpr char kManifestName[] = "manifest.json";
inline constexpr char kLockName[] = "LOCK";
inline constexpr char kFilterRangesName[] = "filter.ranges";
inline constexpr std::string_view kIndexMetaKey{"\x00credsweep:meta", 15};

struct Manifest {
  uint64_t generation = 0;
  std::string key_type = "ntlm";
  uint64_t keys = 0;
  std::string updated_at;
  double bits_per_key = 16;  // as configured
  int probes = 0;
  uint64_t seed = 0;
  uint64_t filter_blocks = 0;
  double expected_fpr = 0;
  // Hex BLAKE2b-256 stored in the filter's header, and when the whole filter was last verified
  // against it (import, `corpus verify`). Empty in stores made before range digests existed.
  std::string filter_checksum;
  std::string filter_verified_at;
  std::vector<CorpusSource> sources;
};

// "gen-000007".
std::string GenerationDirName(uint64_t generation);
std::string FilterPath(const std::string& store, uint64_t generation);
std::string IndexPath(const std::string& store, uint64_t generation);
// gen-NNNNNN/filter.ranges: range digests of the filter body (internal/filter_ranges.h).
std::string FilterRangesPath(const std::string& store, uint64_t generation);

std::string ManifestToJson(const Manifest& m);
// Errors: kCorruption naming `origin` when the text is not a valid manifest.
Result<Manifest> ManifestFromJson(const std::string& text, const std::string& origin);
// kNotFound when STORE/manifest.json does not exist (no store yet), kCorruption when it is bad.
Result<Manifest> LoadManifest(const std::string& store);
Status SaveManifest(const std::string& store, const Manifest& m);

// Index values: the value of one hash.
struct SourceCount {
  uint32_t source_id;
  uint64_t count;
};
struct IndexValue {
  uint32_t first_month = 0;  // YYYYMM
  std::vector<SourceCount> sources;
  uint64_t TotalCount() const;
};

// Builds one bucket value. REQUIRES: Add in strictly increasing suffix order, months >= 200001.
class BucketEncoder {
 public:
  void Clear();
  void Add(const uint8_t* suffix, uint32_t first_month, std::span<const SourceCount> sources);
  bool empty() const { return months_.empty(); }
  // Writes the value into *out (replacing its contents).
  void Finish(std::string* out) const;

 private:
  std::string suffixes_;
  std::vector<uint32_t> months_;  // months since 2000-01
  std::string values_;            // per hash: multi flag + sources, month delta added in Finish
  std::vector<uint32_t> value_ends_;
};

// The value of a bucket whose hashes are all new to the store (a fresh import's every bucket):
// one source, one first month. Byte for byte what BucketEncoder builds from the same Adds, in
// one pass without the encoder's per-hash bookkeeping (it was ~20 % of the import's CPU).
// REQUIRES: records non-empty, sharing their first kBucketPrefixBytes, strictly increasing.
void EncodeNewBucket(std::span<const corpus::CorpusRecord> records, uint32_t first_month,
                     uint32_t source_id, std::string* out);

// A parsed bucket value; points into the bytes it was parsed from.
class BucketView {
 public:
  // false when the bytes are not a value_format 2 bucket (header, suffix array size and order
  // are checked here; the per-hash values when they are decoded).
  [[nodiscard]] bool Parse(std::string_view bytes);
  size_t size() const { return n_; }
  const uint8_t* suffix(size_t i) const { return suffixes_ + i * kSuffixBytes; }
  // Index of `suffix` (kSuffixBytes bytes), or size() when the bucket does not hold it.
  size_t Find(const uint8_t* suffix) const;
  // Total count and first month (YYYYMM) of hash i. false on malformed bytes.
  [[nodiscard]] bool Total(size_t i, uint64_t* total, uint32_t* first_month) const;
  // Every hash's value, in order. false on malformed bytes.
  [[nodiscard]] bool DecodeAll(std::vector<IndexValue>* out) const;

 private:
  size_t n_ = 0;
  uint32_t base_month_ = 0;
  const uint8_t* suffixes_ = nullptr;
  std::string_view values_;
};

// YYYYMM of a Unix time (UTC).
uint32_t MonthOf(int64_t unix_seconds);

}  // namespace credsweep::store
