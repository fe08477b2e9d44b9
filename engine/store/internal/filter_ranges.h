// Range digests of a Bloom filter body: what lets `check-password` trust the few cache lines it
// reads without hashing the whole filter on every call.
//
// Why: a filter holds 2 bytes per key (2 GB at 1e9 keys). Verifying its BLAKE2b-256 on every
// open costs ~1 s per 1e8 keys and faults the whole body into memory, which a check that runs
// inside every password change cannot pay. So the body is verified in full once (at import and
// by `credsweep corpus verify`), and at the same time cut into ranges of kFilterRangeBytes whose
// digests go into a sidecar file. A cheap open then checks only the header (fields,
// size, and that its checksum equals the one the manifest recorded), and before a lookup
// trusts a block it hashes the range that holds the block and compares that range's digest:
// one 4 KiB page, ~0.5 µs with CRC-32C (version 2); version-1 sidecars (BLAKE2b-128, written
// before session 18) have 1 MiB ranges, ~1 ms each.
//
// Why 4 KiB, the page: a batch of N lookups reads about N ranges, whatever the filter's size.
// With 1 MiB ranges the audit's 100 000 account hashes touched every range of a 2 GB filter
// (10⁹ keys: ~50 hashes per range) and so read and checksummed all 2 GB; with 4 KiB ranges they
// touch ~18 % of the pages (~370 MB), and ~10 % at 2 × 10⁹ keys. The sidecar costs 16 bytes per
// 4 KiB (0.4 % of the filter: 8 MB at 10⁹ keys), of which a lookup reads one entry.
//
// What a cheap open plus probed-range check detects: a missing, truncated or extended filter or
// sidecar; any change to the filter header (it is bound to the manifest through its checksum);
// a filter or sidecar from another generation or store (the sidecar names the filter checksum
// it belongs to); any damage inside a range that a lookup reads. What it does not detect:
// damage in ranges no lookup of this process has touched — harmless to that process's answers,
// and found by `credsweep corpus verify` (the full check: every byte of the filter, every range
// digest, every RocksDB block checksum).
//
// File "filter.ranges" beside filter.csbf, little-endian:
//   offset size  field
//   0      4     magic "CSFR"
//   4      4     u32 version: 2 (written now) or 1 (read, written before session 18)
//   8      8     u64 range bytes: 4096 in version 2 (kFilterRangeBytes), 1 MiB in version 1
//                (kFilterRangeBytesV1); any other value is refused
//   16     8     u64 range count = ceil(body bytes / range bytes)
//   24     32    the filter's header checksum (filter.csbf bytes 56..88)
//   56     8     zero
//   64     ...   range count x 16 bytes, the digest of each range (bloom::Filter::RangeDigest):
//                version 2: four CRC-32C lanes (bloom/range_checksum.h, why there);
//                version 1: BLAKE2b-128
// The file has no checksum of its own: a damaged digest makes its range fail to verify, which
// fails closed (an error, never a "not leaked").
//
// Thread-safety: FilterRanges::CheckBlock may be called from many threads (a verified range is
// remembered in an atomic flag; two threads may both hash a range once).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "bloom/blocked_bloom_filter.h"
#include "engine/base/status.h"

namespace credsweep::store::internal {

inline constexpr uint64_t kFilterRangeBytes = 4096;               // version 2 (written)
inline constexpr uint64_t kFilterRangeBytesV1 = uint64_t{1} << 20;  // version 1 (read)

// Verifies the whole body of `filter` (opened from filter_path) against its header checksum and
// writes the sidecar to ranges_path atomically (temp file, fsync, rename). kCorruption when the
// body does not match its checksum.
// `kind` is for tests of version-1 sidecars; everything else writes version 2.
[[nodiscard]] Status VerifyFilterAndWriteRanges(
    const bloom::Filter& filter, const std::string& filter_path, const std::string& ranges_path,
    bloom::RangeDigestKind kind = bloom::RangeDigestKind::kCrc32c4);

// The full check for `corpus verify`: the filter body against its checksum and every digest in
// the sidecar against the body. kCorruption naming the file that is wrong. *version (if given)
// is the sidecar's version, so the caller can rewrite a version-1 sidecar as version 2.
[[nodiscard]] Status VerifyFilterAndRanges(const bloom::Filter& filter,
                                           const std::string& filter_path,
                                           const std::string& ranges_path,
                                           uint32_t* version = nullptr);

class FilterRanges {
 public:
  // Maps the sidecar and checks its header against `filter` (which must outlive this object):
  // size, magic, version, range size and count, and the filter checksum it names. kNotFound when
  // the file is missing, kCorruption otherwise.
  [[nodiscard]] static Result<std::unique_ptr<FilterRanges>> Open(const std::string& path,
                                                                  const bloom::Filter& filter,
                                                                  const std::string& filter_path);
  ~FilterRanges();
  FilterRanges(const FilterRanges&) = delete;
  FilterRanges& operator=(const FilterRanges&) = delete;

  // Ok when the range holding `block` matches its digest (hashed on first use, then
  // remembered); kCorruption naming the filter otherwise.
  [[nodiscard]] Status CheckBlock(uint64_t block) const { return CheckRange(RangeOf(block)); }

  // The same in two steps, for a caller that hashes the ranges a batch needs on several
  // threads (CorpusStore::LookupBatch): which range holds `block` (range_count() for a block
  // past the end, which CheckRange refuses), whether it is verified already, and the check.
  uint64_t range_count() const { return ranges_; }
  uint64_t RangeOf(uint64_t block) const {
    const uint64_t range = block * bloom::kBlockBytes / range_bytes_;
    return range < ranges_ ? range : ranges_;
  }
  // What one range costs to read and verify, in index lookups (corpus_store.h kBatchRanges),
  // at least 1: CRC-32C ~0.15 ms per MiB, BLAKE2b ~1 ms per MiB, against ~4.3 µs per index
  // lookup (measured here). A 4 KiB CRC-32C range costs less than one lookup (1); a 1 MiB
  // BLAKE2b range of a version-1 sidecar 256.
  uint64_t LookupsPerRange() const {
    const uint64_t per_lookup = kind_ == bloom::RangeDigestKind::kCrc32c4 ? 32768 : 4096;
    return std::max<uint64_t>(1, range_bytes_ / per_lookup);
  }
  uint64_t range_bytes() const { return range_bytes_; }
  bool Verified(uint64_t range) const {
    return range < ranges_ && verified_[range].load(std::memory_order_acquire) != 0;
  }
  [[nodiscard]] Status CheckRange(uint64_t range) const;
  // Gives back the pages of the mapped digests of ranges [first, end) (whole pages only), for
  // a caller that is done with them (kBatchRanges reads the 8 MB of digests of a 1e9-key
  // filter once, in order). Advice only: a later CheckRange maps them again.
  void ReleaseDigests(uint64_t first, uint64_t end) const;

 private:
  FilterRanges() = default;
  friend Status VerifyFilterAndRanges(const bloom::Filter&, const std::string&,
                                      const std::string&, uint32_t*);
  const bloom::Filter* filter_ = nullptr;
  std::string filter_path_;
  uint64_t range_bytes_ = 0;
  uint64_t ranges_ = 0;
  bloom::RangeDigestKind kind_ = bloom::RangeDigestKind::kCrc32c4;  // from the version
  const uint8_t* digests_ = nullptr;  // inside map_
  void* map_ = nullptr;
  size_t map_bytes_ = 0;
  std::unique_ptr<std::atomic<uint8_t>[]> verified_;  // per range: 0 unknown, 1 good
};

}  // namespace credsweep::store::internal
