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
//                 "seed": 42, "blocks": 4, "expected_fpr": 0.0008 },
//     "index": { "dir": "gen-000007/index", "value_format": 1 },
//     "sources": [ { "id": 1, "name": "hibp", "version": "v8", "format": "hibp",
//                    "lines": 1000, "records": 998, "imported_at": "...", "checksum": "<hex>" } ] }
//
// Index value encoding (value_format 1), chosen for size (1e9 keys) over fixed-width speed:
//   u8      value format = 1
//   varint  first month seen, as YYYYMM (e.g. 202611): the month of the import that first
//           added the key
//   varint  number of sources n (>= 1)
//   n x { varint source id (manifest "id"), varint count in that source's latest version }
// Varints are LEB128 (7 bits per byte, low first), at most 10 bytes. A typical HIBP key costs
// 1 + 3 + 1 + 1 + 1..4 = 7..10 bytes. The prevalence a lookup reports is the sum of the counts.
// The index also holds one metadata key, kIndexMetaKey (not 16 bytes, so never a hash), whose
// value is {"generation": N, "keys": K} as JSON: Open() checks it against the manifest.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/status.h"
#include "engine/store/corpus_store.h"

namespace credsweep::store {

inline constexpr int kManifestFormatVersion = 1;
inline constexpr int kValueFormat = 1;
inline constexpr char kManifestName[] = "manifest.json";
inline constexpr char kLockName[] = "LOCK";
inline constexpr std::string_view kIndexMetaKey{"\x00credsweep:meta", 15};

struct SourceEntry {
  uint32_t id = 0;
  std::string name;
  std::string version;
  std::string format;        // hibp / ntlm / plaintext (as detected)
  uint64_t lines = 0;        // input lines read
  uint64_t records = 0;      // distinct hashes this version listed
  std::string imported_at;   // UTC ISO-8601
  std::string checksum;      // hex BLAKE2b-256 of the input bytes
};

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
  std::vector<SourceEntry> sources;
};

// "gen-000007".
std::string GenerationDirName(uint64_t generation);
std::string FilterPath(const std::string& store, uint64_t generation);
std::string IndexPath(const std::string& store, uint64_t generation);

std::string ManifestToJson(const Manifest& m);
// Errors: kCorruption naming `origin` when the text is not a valid manifest.
Result<Manifest> ManifestFromJson(const std::string& text, const std::string& origin);
// kNotFound when STORE/manifest.json does not exist (no store yet), kCorruption when it is bad.
Result<Manifest> LoadManifest(const std::string& store);
Status SaveManifest(const std::string& store, const Manifest& m);

// Index values.
struct SourceCount {
  uint32_t source_id;
  uint64_t count;
};
struct IndexValue {
  uint32_t first_month = 0;  // YYYYMM
  std::vector<SourceCount> sources;
  uint64_t TotalCount() const;
};
void EncodeIndexValue(const IndexValue& v, std::string* out);
// false when the bytes are not a value_format 1 value.
[[nodiscard]] bool DecodeIndexValue(std::string_view bytes, IndexValue* out);
// Fast paths for the two hot cases: a fresh value with one source, and the total of a value.
inline constexpr size_t kMaxSingleSourceValue = 1 + 5 + 1 + 5 + 10;
// Writes into out (at least kMaxSingleSourceValue bytes); returns the length.
size_t EncodeSingleSourceValue(uint32_t first_month, uint32_t source_id, uint64_t count,
                               char* out);
[[nodiscard]] bool DecodeTotalCount(std::string_view bytes, uint64_t* total, uint32_t* first_month);

// YYYYMM of a Unix time (UTC).
uint32_t MonthOf(int64_t unix_seconds);

}  // namespace credsweep::store
