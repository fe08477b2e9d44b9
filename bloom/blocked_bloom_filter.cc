#include "bloom/blocked_bloom_filter.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <thread>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "bloom/internal/probe.h"
#include "bloom/range_checksum.h"
#include "engine/base/file_util.h"
#include "engine/base/secure_memory.h"

namespace credsweep::bloom {

namespace internal {

#if defined(__x86_64__)
// GCC 12 warns inside its own avx512fintrin.h (the _mm512_undefined_* placeholders) whenever the
// intrinsics are inlined into a target("avx512f") function: GCC bug 105593. Silenced only here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
__attribute__((target("avx512f,avx512dq"))) bool TestBitsAvx512(const uint64_t* block, uint64_t b,
                                                                int probes) {
  const __m512i words = _mm512_load_si512(block);
  const __m512i bv = _mm512_set1_epi64(static_cast<long long>(b));
  const __m512i low6 = _mm512_set1_epi64(63);
  const __m512i one = _mm512_set1_epi64(1);
  for (int j = 0; j < probes; j += 8) {
    const int left = probes - j;
    const __mmask8 lanes = left >= 8 ? __mmask8{0xFF} : static_cast<__mmask8>((1u << left) - 1);
    // pos = top 9 bits of b * kProbeMul[j..j+7]  (ProbeBit, 8 lanes at once)
    const __m512i pos =
        _mm512_srli_epi64(_mm512_mullo_epi64(bv, _mm512_load_si512(&kProbeMul.v[j])), 55);
    // word = block[pos >> 6] (vpermq uses the low 3 bits of each index lane)
    const __m512i word = _mm512_permutexvar_epi64(_mm512_srli_epi64(pos, 6), words);
    const __m512i bit = _mm512_srlv_epi64(word, _mm512_and_si512(pos, low6));
    if (_mm512_mask_test_epi64_mask(lanes, bit, one) != lanes) return false;
  }
  return true;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

bool HaveAvx512() {
  static const bool have = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
  return have;
}
#else
// Not x86-64: the portable test is the only one (HaveAvx512() is false, so this is never used
// by Filter; it exists so tests and callers link everywhere).
bool TestBitsAvx512(const uint64_t* block, uint64_t b, int probes) {
  return TestBitsPortable(block, b, probes);
}
bool HaveAvx512() { return false; }
#endif

}  // namespace internal

namespace {

using internal::BlockIndex;
using internal::ProbeWord;

// Header byte offsets (see the table in blocked_bloom_filter.h).
constexpr size_t kOffMagic = 0;
constexpr size_t kOffVersion = 4;
constexpr size_t kOffKeyType = 8;
constexpr size_t kOffProbes = 12;
constexpr size_t kOffKeyCount = 16;
constexpr size_t kOffBlockCount = 24;
constexpr size_t kOffBitsPerKey = 32;
constexpr size_t kOffSeed = 40;
constexpr size_t kOffBlockSize = 48;
constexpr size_t kOffHeaderSize = 52;
constexpr size_t kOffChecksum = 56;
constexpr size_t kOffPadding = kOffChecksum + kChecksumBytes;  // 88
constexpr char kMagic[4] = {'C', 'S', 'B', 'F'};

// Largest block count whose file size and mapping fit in size_t / off_t arithmetic.
constexpr uint64_t kMaxBlocks = (uint64_t{1} << 56) / kBlockBytes;

// How many keys ahead MayContainBatch / AddBatch prefetch (a power of two: the ring index is a
// mask). See BatchLookup for the measurement behind 32.
constexpr size_t kPrefetchDistance = 32;
// AddBatch works in windows of this many keys (insertion is not the bottleneck of an import;
// RocksDB's SstFileWriter is, DESIGN.md "Performance targets").
constexpr size_t kWindow = 16;

void Put32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
void Put64(uint8_t* p, uint64_t v) { std::memcpy(p, &v, 8); }
uint32_t Get32(const uint8_t* p) { return internal::Load32(p); }
uint64_t Get64(const uint8_t* p) { return internal::Load64(p); }

std::string CorruptMsg(const std::string& path, const std::string& what) {
  return path + ": " + what +
         "; the Bloom filter file is damaged or not a credsweep filter — "
         "re-import the corpus (`credsweep corpus import`) to rebuild it";
}

// Anonymous memory for blocks, 2 MiB aligned inside the mapping and advised MADV_HUGEPAGE so
// transparent huge pages can back it (random lookups then need no 4 KiB page walk). Returns
// nullptr on failure. *base / *bytes receive what to munmap.
uint64_t* MapAnonymousBlocks(uint64_t block_count, void** base, size_t* bytes) {
  constexpr size_t kHuge = size_t{2} << 20;
  const size_t want = static_cast<size_t>(block_count) * kBlockBytes;
  // Whole huge pages: a 2,000,000-byte filter would otherwise sit in 4 KiB pages.
  const size_t rounded = (want + kHuge - 1) & ~(kHuge - 1);
  const size_t total = rounded + kHuge;
  void* p = ::mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  const uintptr_t aligned = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
  // Best effort: without THP (disabled, or a non-Linux kernel) this is plain memory.
  (void)::madvise(reinterpret_cast<void*>(aligned), rounded, MADV_HUGEPAGE);
  *base = p;
  *bytes = total;
  return reinterpret_cast<uint64_t*>(aligned);
}

// Header bytes [0, 88) for the given fields; checksum left zero.
void EncodeHeader(uint8_t* h, KeyType key_type, int probes, uint64_t key_count,
                  uint64_t block_count, double bits_per_key, uint64_t seed) {
  std::memset(h, 0, kHeaderSize);
  std::memcpy(h + kOffMagic, kMagic, 4);
  Put32(h + kOffVersion, kFormatVersion);
  Put32(h + kOffKeyType, static_cast<uint32_t>(key_type));
  Put32(h + kOffProbes, static_cast<uint32_t>(probes));
  Put64(h + kOffKeyCount, key_count);
  Put64(h + kOffBlockCount, block_count);
  uint64_t bpk_bits;
  std::memcpy(&bpk_bits, &bits_per_key, 8);
  Put64(h + kOffBitsPerKey, bpk_bits);
  Put64(h + kOffSeed, seed);
  Put32(h + kOffBlockSize, static_cast<uint32_t>(kBlockBytes));
  Put32(h + kOffHeaderSize, static_cast<uint32_t>(kHeaderSize));
}

// pread exactly n bytes; kCorruption if the file ends early (it shrank under us).
Status ReadAllAt(int fd, uint8_t* p, size_t n, uint64_t off, const std::string& path) {
  while (n > 0) {
    const size_t chunk = n < (size_t{1} << 30) ? n : (size_t{1} << 30);
    const ssize_t r = ::pread(fd, p, chunk, static_cast<off_t>(off));
    if (r < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("cannot read " + path, errno);
    }
    if (r == 0) return Status::Corruption(CorruptMsg(path, "file ended early while reading"));
    p += r;
    n -= static_cast<size_t>(r);
    off += static_cast<uint64_t>(r);
  }
  return Status::Ok();
}

// Shared batch loop, software-pipelined: the block of key i + kPrefetchDistance is computed and
// prefetched while key i is tested, so kPrefetchDistance misses are in flight at every moment
// instead of one (a core has ~12-16 line fill buffers; the rest of the distance covers the
// page walks). A fixed window "compute 16, prefetch 16, test 16" leaves a bubble at each window
// edge: measured on this box's 200 MB buffer, random line reads with a rolling distance of 32
// reach ~80 M/s against ~47 M/s for windows of 16 (bench/bloom_bench.cc).
template <bool (*Test)(const uint64_t*, uint64_t, int)>
void BatchLookup(const uint64_t* blocks, uint64_t block_count, uint64_t seed, int probes,
                 size_t key_size, const uint8_t* keys, size_t n, bool* out) {
  const uint64_t* ptr[kPrefetchDistance];
  uint64_t word[kPrefetchDistance];
  const size_t lead = n < kPrefetchDistance ? n : kPrefetchDistance;
  for (size_t i = 0; i < lead; ++i) {
    const uint8_t* key = keys + i * key_size;
    ptr[i] = blocks + BlockIndex(key, seed, block_count) * 8;
    word[i] = ProbeWord(key, key_size, seed);
    __builtin_prefetch(ptr[i], 0, 0);
  }
  for (size_t i = 0; i < n; ++i) {
    const size_t slot = i % kPrefetchDistance;
    out[i] = Test(ptr[slot], word[slot], probes);
    if (i + kPrefetchDistance < n) {
      const uint8_t* key = keys + (i + kPrefetchDistance) * key_size;
      ptr[slot] = blocks + BlockIndex(key, seed, block_count) * 8;
      word[slot] = ProbeWord(key, key_size, seed);
      __builtin_prefetch(ptr[slot], 0, 0);
    }
  }
}

template <bool kAtomic>
void SetKeyBits(uint64_t* block, uint64_t b, int probes) {
  if constexpr (kAtomic) {
    // Gather the key's bits per word first so each touched word needs one fetch_or.
    uint64_t mask[8] = {};
    for (int j = 0; j < probes; ++j) {
      const unsigned bit = internal::ProbeBit(b, j);
      mask[bit >> 6] |= uint64_t{1} << (bit & 63);
    }
    for (int w = 0; w < 8; ++w) {
      if (mask[w] != 0)
        std::atomic_ref<uint64_t>(block[w]).fetch_or(mask[w], std::memory_order_relaxed);
    }
  } else {
    internal::SetBits(block, b, probes);
  }
}

template <bool kAtomic>
void BatchAdd(uint64_t* blocks, uint64_t block_count, uint64_t seed, int probes, size_t key_size,
              const uint8_t* keys, size_t n) {
  uint64_t* ptr[kWindow];
  uint64_t word[kWindow];
  for (size_t start = 0; start < n; start += kWindow) {
    const size_t len = n - start < kWindow ? n - start : kWindow;
    for (size_t i = 0; i < len; ++i) {
      const uint8_t* key = keys + (start + i) * key_size;
      ptr[i] = blocks + BlockIndex(key, seed, block_count) * 8;
      word[i] = ProbeWord(key, key_size, seed);
      __builtin_prefetch(ptr[i], 1, 0);
    }
    for (size_t i = 0; i < len; ++i) SetKeyBits<kAtomic>(ptr[i], word[i], probes);
  }
}

}  // namespace

size_t KeySize(KeyType type) {
  switch (type) {
    case KeyType::kNtlm:
      return 16;
    case KeyType::kSha1:
      return 20;
  }
  return 0;
}

const char* KeyTypeName(KeyType type) {
  switch (type) {
    case KeyType::kNtlm:
      return "ntlm";
    case KeyType::kSha1:
      return "sha1";
  }
  return "unknown";
}

double TheoreticalFpr(double bits_per_key, int probes) {
  if (!(bits_per_key > 0) || probes <= 0) return 1.0;
  // Putze/Sanders/Singler (2009) eq. for blocked Bloom filters with block size B = 512 bits:
  // Poisson(lambda = B / c) mixture over the number of keys i in the block, each block a
  // standard Bloom filter of m = B bits, n = i keys, k = probes:
  //   FPR = sum_i e^-lambda lambda^i / i! * (1 - (1 - 1/B)^(k i))^k
  // Summed over lambda +- 12 standard deviations (+64), where every term outside is < 1e-30;
  // the Poisson weights are computed in log space so an over-full filter (lambda in the
  // millions) does not underflow e^-lambda to 0.
  const double lambda = static_cast<double>(kBlockBits) / bits_per_key;
  const double log_keep = std::log1p(-1.0 / static_cast<double>(kBlockBits));
  if (lambda > 1e5) {
    // >= 100 000 keys per block: every block is full to within e^-(probes * 195); summing
    // millions of Poisson terms would only confirm it.
    return std::pow(-std::expm1(probes * lambda * log_keep), probes);
  }
  const double spread = 12 * std::sqrt(lambda) + 64;
  const double lo = std::max(0.0, std::floor(lambda - spread));
  const double hi = std::ceil(lambda + spread);
  double sum = 0;
  for (double i = lo; i <= hi; i += 1) {
    const double poisson = std::exp(i * std::log(lambda) - lambda - std::lgamma(i + 1));
    const double block_fpr = std::pow(-std::expm1(probes * i * log_keep), probes);
    sum += poisson * block_fpr;
  }
  return sum;
}

int BestProbes(double bits_per_key) {
  int best = 1;
  double best_fpr = TheoreticalFpr(bits_per_key, 1);
  for (int k = 2; k <= kMaxProbes; ++k) {
    const double f = TheoreticalFpr(bits_per_key, k);
    if (f < best_fpr) {
      best_fpr = f;
      best = k;
    }
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// FilterBuilder

Result<std::unique_ptr<FilterBuilder>> FilterBuilder::Create(const FilterParams& params) {
  if (KeySize(params.key_type) == 0) {
    return Status::InvalidArgument("Bloom filter: unknown key type " +
                                   std::to_string(static_cast<uint32_t>(params.key_type)));
  }
  if (!(params.bits_per_key > 0 && params.bits_per_key <= 64)) {
    return Status::InvalidArgument("Bloom filter: bits per key must be in (0, 64], got " +
                                   std::to_string(params.bits_per_key));
  }
  if (params.probes < 0 || params.probes > kMaxProbes) {
    return Status::InvalidArgument("Bloom filter: probes per key must be 0 (automatic) to " +
                                   std::to_string(kMaxProbes) + ", got " +
                                   std::to_string(params.probes));
  }
  const double blocks_d = std::ceil(static_cast<double>(params.expected_keys) *
                                    params.bits_per_key / static_cast<double>(kBlockBits));
  if (!(blocks_d < static_cast<double>(kMaxBlocks))) {
    return Status::InvalidArgument("Bloom filter: " + std::to_string(params.expected_keys) +
                                   " keys at " + std::to_string(params.bits_per_key) +
                                   " bits/key is too large to address");
  }
  const uint64_t block_count = blocks_d < 1 ? 1 : static_cast<uint64_t>(blocks_d);
  void* base = nullptr;
  size_t bytes = 0;
  uint64_t* blocks = MapAnonymousBlocks(block_count, &base, &bytes);
  if (blocks == nullptr) {
    return Status::FromErrno(
        "Bloom filter: cannot allocate " + std::to_string(block_count * kBlockBytes) + " bytes",
        errno);
  }
  FilterParams resolved = params;
  if (resolved.probes == 0) resolved.probes = BestProbes(params.bits_per_key);
  // base/bytes are recovered in the destructor from blocks_ and alloc_bytes_ (base <= blocks_).
  auto* b = new FilterBuilder(resolved, block_count, blocks, bytes);
  b->alloc_base_ = base;
  return std::unique_ptr<FilterBuilder>(b);
}

FilterBuilder::FilterBuilder(const FilterParams& params, uint64_t block_count, uint64_t* blocks,
                             size_t alloc_bytes)
    : params_(params), block_count_(block_count), blocks_(blocks), alloc_bytes_(alloc_bytes) {}

FilterBuilder::~FilterBuilder() { ::munmap(alloc_base_, alloc_bytes_); }

void FilterBuilder::Add(const uint8_t* key) {
  const size_t ks = key_size();
  uint64_t* block = blocks_ + BlockIndex(key, params_.seed, block_count_) * 8;
  internal::SetBits(block, ProbeWord(key, ks, params_.seed), params_.probes);
  ++key_count_;
}

void FilterBuilder::AddBatch(const uint8_t* keys, size_t n) {
  BatchAdd<false>(blocks_, block_count_, params_.seed, params_.probes, key_size(), keys, n);
  key_count_ += n;
}

void FilterBuilder::AddConcurrent(const uint8_t* key) {
  const size_t ks = key_size();
  uint64_t* block = blocks_ + BlockIndex(key, params_.seed, block_count_) * 8;
  SetKeyBits<true>(block, ProbeWord(key, ks, params_.seed), params_.probes);
  std::atomic_ref<uint64_t>(key_count_).fetch_add(1, std::memory_order_relaxed);
}

void FilterBuilder::AddBatchConcurrent(const uint8_t* keys, size_t n) {
  BatchAdd<true>(blocks_, block_count_, params_.seed, params_.probes, key_size(), keys, n);
  std::atomic_ref<uint64_t>(key_count_).fetch_add(n, std::memory_order_relaxed);
}

uint64_t FilterBuilder::key_count() const {
  // atomic_ref needs a non-const object (C++20); the builder itself is never a const object.
  return std::atomic_ref<uint64_t>(const_cast<uint64_t&>(key_count_))
      .load(std::memory_order_relaxed);
}

void FilterBuilder::set_key_count(uint64_t n) {
  std::atomic_ref<uint64_t>(key_count_).store(n, std::memory_order_relaxed);
}

Status FilterBuilder::WriteTo(const std::string& path) const {
  CS_RETURN_IF_ERROR(InitSodium());
  uint8_t header[kHeaderSize];
  EncodeHeader(header, params_.key_type, params_.probes, key_count(), block_count_,
               params_.bits_per_key, params_.seed);
  const uint8_t* body = data();
  const size_t body_bytes = static_cast<size_t>(block_count_) * kBlockBytes;
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, kChecksumBytes);
  crypto_generichash_update(&st, header, kOffChecksum);
  crypto_generichash_update(&st, body, body_bytes);
  crypto_generichash_final(&st, header + kOffChecksum, kChecksumBytes);

  CS_ASSIGN_OR_RETURN(AtomicFile out, AtomicFile::Create(path, 0644));
  CS_RETURN_IF_ERROR(out.Write(header, kHeaderSize));
  CS_RETURN_IF_ERROR(out.Write(body, body_bytes));
  return out.Commit();
}

// ---------------------------------------------------------------------------------------------
// Filter

Result<std::unique_ptr<Filter>> Filter::Open(const std::string& path, LoadMode mode) {
  OpenOptions options;
  options.mode = mode;
  return Open(path, options);
}

Result<std::unique_ptr<Filter>> Filter::Open(const std::string& path, const OpenOptions& options) {
  CS_RETURN_IF_ERROR(InitSodium());
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return Status::NotFound(path + ": no Bloom filter file; run `credsweep corpus import`");
    }
    return Status::FromErrno("cannot open " + path, errno);
  }
  // Closes fd on every return path; a mapping stays valid after close.
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};

  struct stat st;
  if (::fstat(fd, &st) != 0) return Status::FromErrno("cannot stat " + path, errno);
  if (!S_ISREG(st.st_mode)) return Status::Corruption(CorruptMsg(path, "not a regular file"));
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  // Sizes first, before any byte is interpreted.
  if (file_size < kHeaderSize) {
    return Status::Corruption(CorruptMsg(path, "truncated: " + std::to_string(file_size) +
                                                   " bytes, the header alone needs " +
                                                   std::to_string(kHeaderSize)));
  }
  uint8_t header[kHeaderSize];
  CS_RETURN_IF_ERROR(ReadAllAt(fd, header, kHeaderSize, 0, path));

  if (std::memcmp(header + kOffMagic, kMagic, 4) != 0) {
    return Status::Corruption(CorruptMsg(path, "bad magic (expected \"CSBF\")"));
  }
  const uint32_t version = Get32(header + kOffVersion);
  if (version != kFormatVersion) {
    return Status::Corruption(CorruptMsg(path, "unsupported format version " +
                                                   std::to_string(version) + " (this build reads " +
                                                   std::to_string(kFormatVersion) + ")"));
  }
  const uint32_t key_type = Get32(header + kOffKeyType);
  if (KeySize(static_cast<KeyType>(key_type)) == 0) {
    return Status::Corruption(CorruptMsg(path, "unknown key type " + std::to_string(key_type)));
  }
  const uint32_t probes = Get32(header + kOffProbes);
  if (probes < 1 || probes > static_cast<uint32_t>(kMaxProbes)) {
    return Status::Corruption(CorruptMsg(path, "probes per key " + std::to_string(probes) +
                                                   " outside 1.." + std::to_string(kMaxProbes)));
  }
  if (Get32(header + kOffBlockSize) != kBlockBytes ||
      Get32(header + kOffHeaderSize) != kHeaderSize) {
    return Status::Corruption(CorruptMsg(path, "unexpected block or header size"));
  }
  for (size_t i = kOffPadding; i < kHeaderSize; ++i) {
    if (header[i] != 0) return Status::Corruption(CorruptMsg(path, "non-zero header padding"));
  }
  double bits_per_key;
  {
    const uint64_t raw = Get64(header + kOffBitsPerKey);
    std::memcpy(&bits_per_key, &raw, 8);
  }
  if (!(bits_per_key > 0 && bits_per_key <= 64)) {
    return Status::Corruption(CorruptMsg(path, "bits per key outside (0, 64]"));
  }
  const uint64_t block_count = Get64(header + kOffBlockCount);
  if (block_count < 1 || block_count > kMaxBlocks) {
    return Status::Corruption(
        CorruptMsg(path, "block count " + std::to_string(block_count) + " out of range"));
  }
  const uint64_t body_bytes = block_count * kBlockBytes;
  if (file_size != kHeaderSize + body_bytes) {
    return Status::Corruption(CorruptMsg(
        path, "size " + std::to_string(file_size) + " bytes, but the header describes " +
                  std::to_string(block_count) + " blocks = " +
                  std::to_string(kHeaderSize + body_bytes) + " bytes (truncated or extended)"));
  }

  std::unique_ptr<Filter> f(new Filter());
  f->key_type_ = static_cast<KeyType>(key_type);
  f->key_count_ = Get64(header + kOffKeyCount);
  f->block_count_ = block_count;
  f->bits_per_key_ = bits_per_key;
  f->probes_ = static_cast<int>(probes);
  f->seed_ = Get64(header + kOffSeed);
  f->mode_ = options.mode;
  f->use_avx512_ = internal::HaveAvx512();
  std::memcpy(f->header_, header, sizeof f->header_);

  crypto_generichash_state hs;
  crypto_generichash_init(&hs, nullptr, 0, kChecksumBytes);
  crypto_generichash_update(&hs, header, kOffChecksum);

  if (options.mode == LoadMode::kMmap) {
    // The file is replaced by rename, never rewritten in place, so the mapping cannot shrink
    // under a reader (a truncation by someone else would be SIGBUS; that is outside the contract).
    void* p = ::mmap(nullptr, static_cast<size_t>(file_size), PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return Status::FromErrno("cannot mmap " + path, errno);
    f->map_base_ = p;
    f->map_bytes_ = static_cast<size_t>(file_size);
    f->blocks_ = reinterpret_cast<const uint64_t*>(static_cast<const uint8_t*>(p) + kHeaderSize);
    if (options.verify_checksum) {
      (void)::madvise(p, f->map_bytes_, MADV_SEQUENTIAL);
      crypto_generichash_update(&hs, reinterpret_cast<const uint8_t*>(f->blocks_), body_bytes);
    }
    // Lookups are random: no readahead around a faulting page.
    (void)::madvise(p, f->map_bytes_, MADV_RANDOM);
  } else {
    void* base = nullptr;
    size_t bytes = 0;
    uint64_t* blocks = MapAnonymousBlocks(block_count, &base, &bytes);
    if (blocks == nullptr) {
      return Status::FromErrno(
          "cannot allocate " + std::to_string(body_bytes) + " bytes for the Bloom filter " + path,
          errno);
    }
    f->map_base_ = base;
    f->map_bytes_ = bytes;
    f->blocks_ = blocks;
    // Read in 8 MiB chunks, hashing each while it is still in cache.
    constexpr size_t kChunk = size_t{8} << 20;
    auto* dst = reinterpret_cast<uint8_t*>(blocks);
    for (uint64_t off = 0; off < body_bytes; off += kChunk) {
      const size_t n = static_cast<size_t>(body_bytes - off < kChunk ? body_bytes - off : kChunk);
      CS_RETURN_IF_ERROR(ReadAllAt(fd, dst + off, n, kHeaderSize + off, path));
      if (options.verify_checksum) crypto_generichash_update(&hs, dst + off, n);
    }
  }
  if (options.verify_checksum) {
    uint8_t sum[kChecksumBytes];
    crypto_generichash_final(&hs, sum, kChecksumBytes);
    if (sodium_memcmp(sum, header + kOffChecksum, kChecksumBytes) != 0) {
      return Status::Corruption(CorruptMsg(path, "BLAKE2b checksum mismatch"));
    }
  }
  return f;
}

Filter::~Filter() {
  if (map_base_ != nullptr) ::munmap(map_base_, map_bytes_);
}

// Both bit tests give identical answers (blocked_bloom_filter_test.cc compares them); AVX-512
// is used where the CPU has it because it avoids the early-exit branch of the portable loop,
// which mispredicts on negatives: measured 50 vs 44 M lookups/s on a 2 MB (in-cache) filter.
// Out of cache the memory access dominates and both run at the same rate.
bool Filter::MayContain(const uint8_t* key) const {
  const uint64_t* block = blocks_ + BlockIndex(key, seed_, block_count_) * 8;
  const uint64_t b = ProbeWord(key, key_size(), seed_);
  return use_avx512_ ? internal::TestBitsAvx512(block, b, probes_)
                     : internal::TestBitsPortable(block, b, probes_);
}

void Filter::MayContainBatch(const uint8_t* keys, size_t n, bool* out) const {
  if (use_avx512_) {
    BatchLookup<internal::TestBitsAvx512>(blocks_, block_count_, seed_, probes_, key_size(), keys,
                                          n, out);
  } else {
    BatchLookup<internal::TestBitsPortable>(blocks_, block_count_, seed_, probes_, key_size(), keys,
                                            n, out);
  }
}

uint64_t Filter::BlockOf(const uint8_t* key) const {
  return BlockIndex(key, seed_, block_count_);
}

void Filter::RangeDigest(uint64_t range, uint64_t range_bytes, RangeDigestKind kind,
                         uint8_t* out) const {
  static_assert(kRangeChecksumBytes == kRangeDigestBytes);
  const uint64_t body_bytes = block_count_ * kBlockBytes;
  const uint64_t begin = std::min(range * range_bytes, body_bytes);
  const uint64_t end = std::min(begin + range_bytes, body_bytes);
  const uint8_t* bytes = reinterpret_cast<const uint8_t*>(blocks_) + begin;
  if (kind == RangeDigestKind::kCrc32c4) {
    RangeChecksum(bytes, end - begin, out);
  } else {
    crypto_generichash(out, kRangeDigestBytes, bytes, end - begin, nullptr, 0);
  }
}

void Filter::ReleaseBody(uint64_t offset, uint64_t bytes) const {
  if (mode_ != LoadMode::kMmap) return;
  const uint64_t body_bytes = block_count_ * kBlockBytes;
  if (offset >= body_bytes) return;
  bytes = std::min(bytes, body_bytes - offset);
  // Advice only: a failure leaves the pages mapped, which costs memory, never an answer.
  ::madvise(const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(blocks_)) + offset,
            static_cast<size_t>(bytes), MADV_DONTNEED);
}

Status Filter::VerifyBody(const std::string& path, uint64_t range_bytes, RangeDigestKind kind,
                          std::vector<uint8_t>* range_digests) const {
  if (range_bytes == 0 || range_bytes % kBlockBytes != 0) {
    return Status::InvalidArgument("filter range size must be a positive multiple of 64 bytes");
  }
  const uint64_t body_bytes = block_count_ * kBlockBytes;
  const auto* body = reinterpret_cast<const uint8_t*>(blocks_);
  // The range digests on a second thread: BLAKE2b runs ~1 GB/s per core, so a 2 GB filter
  // (1e9 keys) is verified in ~2 s instead of ~4 s (CRC-32C ranges take a fraction of that).
  std::thread ranges;
  if (range_digests != nullptr) {
    const uint64_t n = (body_bytes + range_bytes - 1) / range_bytes;
    const size_t first = range_digests->size();
    range_digests->resize(first + n * kRangeDigestBytes);
    uint8_t* out = range_digests->data() + first;
    ranges = std::thread([this, n, range_bytes, kind, out] {
      for (uint64_t r = 0; r < n; ++r) {
        RangeDigest(r, range_bytes, kind, out + r * kRangeDigestBytes);
      }
    });
  }
  crypto_generichash_state hs;
  crypto_generichash_init(&hs, nullptr, 0, kChecksumBytes);
  crypto_generichash_update(&hs, header_, kOffChecksum);
  crypto_generichash_update(&hs, body, body_bytes);
  uint8_t sum[kChecksumBytes];
  crypto_generichash_final(&hs, sum, kChecksumBytes);
  if (ranges.joinable()) ranges.join();
  if (sodium_memcmp(sum, header_ + kOffChecksum, kChecksumBytes) != 0) {
    return Status::Corruption(CorruptMsg(path, "BLAKE2b checksum mismatch"));
  }
  return Status::Ok();
}

double Filter::expected_fpr() const {
  if (key_count_ == 0) return 0;
  const double actual_bits_per_key =
      static_cast<double>(block_count_) * kBlockBits / static_cast<double>(key_count_);
  return TheoreticalFpr(actual_bits_per_key, probes_);
}

}  // namespace credsweep::bloom
