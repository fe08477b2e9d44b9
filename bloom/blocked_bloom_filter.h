// Blocked Bloom filter over uniformly random hash keys: the first stage of every corpus lookup.
//
// One key touches exactly one 64-byte block (one cache line), so a lookup costs one random
// memory access; MayContainBatch() prefetches 32 keys ahead so many of those accesses are in
// flight at once. Keys are NT hashes (16 bytes, MD4 output) or SHA-1 hashes (20 bytes); both are
// already uniform, so the probe bits are taken straight from the key mixed with a stored seed —
// no hashing on the hot path. Block index from key bytes 0..7, the in-block bit positions from
// bytes 8..15 (+16..19 for SHA-1): see bloom/internal/probe.h. Keys that are NOT hash outputs
// (counters, text) must not be fed to the filter: they stay correct (no false negatives) but crowd
// into few blocks.
//
// Example (import side):
//   FilterParams params{.key_type = KeyType::kNtlm, .expected_keys = n, .seed = seed};
//   CS_ASSIGN_OR_RETURN(auto builder, FilterBuilder::Create(params));
//   for (const NtHash& h : hashes) builder->Add(h.data());
//   CS_RETURN_IF_ERROR(builder->WriteTo(store_dir + "/filter.csbf"));
// Example (lookup side):
//   CS_ASSIGN_OR_RETURN(auto filter, Filter::Open(store_dir + "/filter.csbf"));
//   if (filter->MayContain(h.data())) { /* confirm in the RocksDB index */ }
//
// File format, "CSBF" version 1 (DESIGN.md "Store and file formats"). All integers are
// little-endian, fixed width. A 4096-byte header (one page, so the blocks are page-aligned in a
// mapping) followed by block_count blocks of 64 bytes:
//
//   offset size  field
//   0      4     magic "CSBF" (0x43 0x53 0x42 0x46)
//   4      4     u32 format version = 1 (any incompatible change bumps it; golden test pins it)
//   8      4     u32 key type: 1 = NTLM (16-byte keys), 2 = SHA-1 (20-byte keys)
//   12     4     u32 probes per key (bits set per key inside its block), 1..kMaxProbes
//   16     8     u64 key count (keys added; see FilterBuilder::set_key_count)
//   24     8     u64 block count (>= 1); file size must be exactly 4096 + 64 * block count
//   32     8     f64 bits per key as configured (IEEE-754 binary64), informational
//   40     8     u64 seed, mixed into every key before the probe bits are taken
//   48     4     u32 block size in bytes = 64
//   52     4     u32 header size in bytes = 4096
//   56     32    BLAKE2b-256 (libsodium crypto_generichash, unkeyed) over header bytes [0, 56)
//                followed by the whole body. The header fields are covered too because a
//                flipped seed or block count would otherwise turn into silent false negatives.
//   88     4008  zero padding (must be zero)
//   4096   ...   blocks: block b is bytes [4096 + 64b, 4096 + 64b + 64); bit j of a block
//                (0..511) is bit (j % 64) of the little-endian u64 word j / 64.
//
// Failure policy: Open() checks size before touching memory, then magic, version, key type,
// sizes, probes, padding and the checksum; any mismatch is kCorruption naming the file and
// saying to re-import. It never crashes on a truncated or garbage file and (with the default
// OpenOptions::verify_checksum) never returns a filter that answers "not present" for keys that
// were added.
//
// Thread-safety: a Filter is immutable after Open(); MayContain* may be called from any number
// of threads. FilterBuilder::Add/AddBatch are single-threaded; AddConcurrent/AddBatchConcurrent
// may run from many threads at once (atomic fetch_or) but not concurrently with Add/AddBatch or
// WriteTo.
// Ownership: Filter owns its mapping or buffer and releases it on destruction; the
// builder owns its blocks (block_count * 64 bytes, nothing else).
// Scale: the block index is 64-bit multiply-shift, so 1e9+ keys (2 GB at 16 bits/key) are fine;
// a 32-bit hash would break down near 40 M keys (RocksDB util/bloom_impl.h notes the same).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/base/status.h"

namespace credsweep::bloom {

enum class KeyType : uint32_t {
  kNtlm = 1,  // 16-byte NT hashes (MD4 output)
  kSha1 = 2,  // 20-byte SHA-1 hashes (OpenLDAP {SHA}, HIBP SHA-1)
};

// Bytes per key: 16 for kNtlm, 20 for kSha1, 0 for anything else.
size_t KeySize(KeyType type);
// "ntlm" / "sha1" (the spelling manifest.json and `corpus info` use); "unknown" otherwise.
const char* KeyTypeName(KeyType type);

inline constexpr uint32_t kFormatVersion = 1;
inline constexpr size_t kHeaderSize = 4096;
inline constexpr size_t kBlockBytes = 64;  // one cache line
inline constexpr size_t kBlockBits = 512;
inline constexpr int kMaxProbes = 16;
inline constexpr size_t kChecksumBytes = 32;     // BLAKE2b-256 of header fields + body
inline constexpr size_t kRangeDigestBytes = 16;  // per range (Filter::RangeDigest)

// How a range of the body is digested (Filter::RangeDigest): BLAKE2b-128 (filter range sidecars
// of version 1) or four CRC-32C lanes (version 2, bloom/range_checksum.h), 16 bytes either way.
enum class RangeDigestKind { kBlake2b128, kCrc32c4 };

struct FilterParams {
  KeyType key_type = KeyType::kNtlm;
  // Number of keys the filter is sized for. Block count = ceil(expected_keys * bits_per_key /
  // 512), at least 1. Adding more keys than this is allowed; the FPR rises accordingly.
  uint64_t expected_keys = 0;
  // Default 16: theoretical FPR 0.0825 % at 10 probes (TheoreticalFpr). Range (0, 64].
  double bits_per_key = 16;
  // Bits set per key. 0 = BestProbes(bits_per_key). Range 0..kMaxProbes.
  int probes = 0;
  // Stored in the file; a different seed per store keeps two stores' false positives unrelated.
  uint64_t seed = 0;
};

// Theoretical false-positive rate of a Bloom filter made of 512-bit blocks with `probes` bits
// per key and `bits_per_key` bits of filter per key. From Putze, Sanders, Singler, "Cache-,
// Hash- and Space-Efficient Bloom Filters" (WEA 2007 / JEA 2009), section 3: the number of keys
// in a block is Poisson with mean lambda = 512 / bits_per_key, and a block holding i keys
// answers a random probe positively with the standard Bloom rate for m = 512, n = i:
//   FPR = sum_{i>=0} e^-lambda lambda^i / i!  *  (1 - (1 - 1/512)^(probes * i))^probes
// 16 bits/key, 10 probes -> 0.000825. This filter measures ~2.5 % above it (0.000845), as
// does one with fully random bit positions: the formula uses the mean fill of a block and
// E[fill^k] > E[fill]^k. The unit test holds the measured rate within 1.5x of this value.
double TheoreticalFpr(double bits_per_key, int probes);
// The probe count in 1..kMaxProbes minimising TheoreticalFpr (16 bits/key -> 10).
int BestProbes(double bits_per_key);

// Builds a filter in memory and writes it as a .csbf file.
class FilterBuilder {
 public:
  // Errors: kInvalidArgument for an unknown key type, bits_per_key outside (0, 64], probes
  // outside 0..kMaxProbes, or a size that does not fit in memory addressing; kIOError when the
  // block memory cannot be allocated.
  [[nodiscard]] static Result<std::unique_ptr<FilterBuilder>> Create(const FilterParams& params);
  ~FilterBuilder();
  FilterBuilder(const FilterBuilder&) = delete;
  FilterBuilder& operator=(const FilterBuilder&) = delete;

  // Adds one key of KeySize(key_type()) bytes. Single-threaded.
  void Add(const uint8_t* key);
  // Adds n keys stored contiguously (stride KeySize). Prefetches ahead, so it builds faster
  // than a loop of Add once the filter is larger than cache. Single-threaded.
  void AddBatch(const uint8_t* keys, size_t n);
  // Thread-safe versions: several import threads may call these at the same time (each bit
  // word is updated with an atomic fetch_or; the key counter with one atomic add per call, so
  // prefer the batch form).
  void AddConcurrent(const uint8_t* key);
  void AddBatchConcurrent(const uint8_t* keys, size_t n);

  // Keys added so far (every Add counts, duplicates included). An importer that knows the
  // number of distinct keys may set it; it is what the header's key count records.
  uint64_t key_count() const;
  void set_key_count(uint64_t n);

  // Writes the file crash-safely through an AtomicFile (engine/base/file_util.h: an
  // unpredictable O_EXCL|O_NOFOLLOW temp file in a verified folder, mode 0644, fsync, rename
  // over path, fsync the folder). A crash leaves the old file or the new one, never a mix.
  // kIOError on failure (the temp file is removed); kFailedPrecondition for an unsafe folder.
  [[nodiscard]] Status WriteTo(const std::string& path) const;

  KeyType key_type() const { return params_.key_type; }
  size_t key_size() const { return KeySize(params_.key_type); }
  uint64_t block_count() const { return block_count_; }
  double bits_per_key() const { return params_.bits_per_key; }
  int probes() const { return params_.probes; }
  uint64_t seed() const { return params_.seed; }
  // Raw blocks (block_count * 64 bytes), for tests and the golden-format check.
  const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(blocks_); }

 private:
  FilterBuilder(const FilterParams& params, uint64_t block_count, uint64_t* blocks,
                size_t alloc_bytes);
  FilterParams params_;  // probes resolved (never 0)
  uint64_t block_count_;
  uint64_t* blocks_;            // 64-byte aligned, block_count_ * 8 words
  size_t alloc_bytes_;          // size of the anonymous mapping holding blocks_
  void* alloc_base_ = nullptr;  // start of that mapping (blocks_ is 2 MiB aligned inside it)
  uint64_t key_count_ = 0;      // accessed atomically by the *Concurrent methods
};

enum class LoadMode {
  // mmap the file read-only: instant start, pages shared with other processes through the page
  // cache. Usually 4 KiB mappings (a page walk per random lookup out of TLB reach); on kernels
  // whose filesystem keeps large page-cache folios (this box: Linux 6.18, ext4) the kernel maps
  // them with 2 MiB entries and kMmap runs as fast as kHugePageCopy (bench/bloom_bench.cc).
  kMmap,
  // Copy the body into anonymous memory advised MADV_HUGEPAGE: costs a full read at open and
  // private memory, but transparent huge pages make random lookups 2-2.5x faster than 4 KiB
  // pages where page walks set the ceiling (DESIGN.md "Performance targets"), on any kernel.
  kHugePageCopy,
};

struct OpenOptions {
  LoadMode mode = LoadMode::kMmap;
  // Default true. false skips only the BLAKE2b pass over the body (header fields, sizes and
  // padding are still checked). Why it exists: hashing a 2 GB filter (1e9 keys) takes seconds
  // and faults in every page, which a benchmark or a long-running process re-opening a file it
  // has already verified does not want. A caller that sets it accepts that bit rot inside the
  // body goes undetected (it could turn into false negatives).
  bool verify_checksum = true;
};

class Filter {
 public:
  // Opens and verifies a .csbf file. Errors: kNotFound (no file), kIOError (open/read/mmap
  // failed), kCorruption ("<path>: <what is wrong>; re-import the corpus to rebuild it").
  [[nodiscard]] static Result<std::unique_ptr<Filter>> Open(const std::string& path,
                                                            LoadMode mode = LoadMode::kMmap);
  [[nodiscard]] static Result<std::unique_ptr<Filter>> Open(const std::string& path,
                                                            const OpenOptions& options);
  ~Filter();
  Filter(const Filter&) = delete;
  Filter& operator=(const Filter&) = delete;

  // false means the key was certainly never added; true means it probably was (false-positive
  // rate about expected_fpr()). key points at key_size() bytes.
  bool MayContain(const uint8_t* key) const;
  // out[i] = MayContain(keys + i * key_size()) for i < n (keys contiguous, stride key_size()).
  // Software-pipelined: the block of key i + 32 is computed and prefetched while key i is tested,
  // so ~32 cache misses are in flight instead of one; 2-3x the rate of a MayContain loop out of
  // cache (bench/bloom_bench.cc). Identical answers to MayContain.
  void MayContainBatch(const uint8_t* keys, size_t n, bool* out) const;

  KeyType key_type() const { return key_type_; }
  size_t key_size() const { return KeySize(key_type_); }
  uint64_t key_count() const { return key_count_; }
  uint64_t block_count() const { return block_count_; }
  double bits_per_key() const { return bits_per_key_; }
  int probes() const { return probes_; }
  uint64_t seed() const { return seed_; }
  LoadMode load_mode() const { return mode_; }
  // TheoreticalFpr at the filter's actual fill: 512 * block_count / key_count bits per key
  // (0 for an empty filter).
  double expected_fpr() const;

  // Verification split in two, for callers that open with verify_checksum = false and cannot
  // afford to read the whole body on every open (`check-password`; engine/store/internal/
  // filter_ranges.h keeps the range digests):
  //
  // The header's stored BLAKE2b-256 (bytes 56..88, kChecksumBytes): what the store's manifest
  // records, so a filter swapped for another valid one is caught without reading its body.
  const uint8_t* checksum() const { return header_ + 56; }
  // The block MayContain(key) reads (0..block_count-1).
  uint64_t BlockOf(const uint8_t* key) const;
  // Reads the whole body once: kCorruption (naming `path`) when the BLAKE2b-256 over the header
  // fields and body differs from the stored one. With range_digests, also appends one 16-byte
  // digest of `kind` per range_bytes of the body (the last range may be short); range_bytes
  // must be a positive multiple of kBlockBytes. The two digests run on two threads.
  [[nodiscard]] Status VerifyBody(const std::string& path, uint64_t range_bytes,
                                  RangeDigestKind kind,
                                  std::vector<uint8_t>* range_digests) const;
  // The digest of body bytes [range * range_bytes, min(+range_bytes, body size)) into out[16].
  void RangeDigest(uint64_t range, uint64_t range_bytes, RangeDigestKind kind,
                   uint8_t* out) const;
  // Gives the pages of body bytes [offset, offset + bytes) back (madvise MADV_DONTNEED on the
  // file mapping; the next read faults them in again from the page cache), so a caller that
  // reads the body range by range keeps only one range in its memory. offset must be a multiple
  // of 4096. No-op for a filter loaded into anonymous memory (LoadMode::kRead).
  void ReleaseBody(uint64_t offset, uint64_t bytes) const;

 private:
  Filter() = default;
  KeyType key_type_ = KeyType::kNtlm;
  uint64_t key_count_ = 0;
  uint64_t block_count_ = 0;
  double bits_per_key_ = 0;
  int probes_ = 0;
  uint64_t seed_ = 0;
  LoadMode mode_ = LoadMode::kMmap;
  bool use_avx512_ = false;           // CPU check done once at Open (same answers either way)
  uint8_t header_[88] = {};           // header bytes [0, 88): fields and stored checksum
  const uint64_t* blocks_ = nullptr;  // block_count_ * 8 words, 64-byte aligned
  void* map_base_ = nullptr;          // what to munmap
  size_t map_bytes_ = 0;
};

}  // namespace credsweep::bloom
