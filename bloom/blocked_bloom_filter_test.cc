// Tests for the blocked Bloom filter: correctness (no false negatives), the false-positive rate
// against theory, the on-disk format (golden bytes, corruption handling) and API equivalences
// (batch == single, mmap == huge-page copy, portable == AVX-512, concurrent == serial build).
#include "bloom/blocked_bloom_filter.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bloom/internal/probe.h"
#include "engine/base/nt_hash.h"

namespace credsweep::bloom {
namespace {

// Uniform pseudo-random keys (SplitMix64, Steele/Lea/Flood 2014): stand-ins for NT hashes,
// which are uniform MD4 outputs.
class KeyGen {
 public:
  explicit KeyGen(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  std::vector<uint8_t> Keys(size_t n, size_t key_size) {
    std::vector<uint8_t> out(n * key_size);
    for (size_t i = 0; i < out.size(); i += 8) {
      const uint64_t v = Next();
      std::memcpy(out.data() + i, &v, std::min<size_t>(8, out.size() - i));
    }
    return out;
  }

 private:
  uint64_t state_;
};

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "csbf_test.XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}
std::string Hex(const uint8_t* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += d[p[i] >> 4];
    s += d[p[i] & 15];
  }
  return s;
}

std::unique_ptr<FilterBuilder> MustCreate(const FilterParams& p) {
  auto r = FilterBuilder::Create(p);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return std::move(r).value();
}
std::unique_ptr<Filter> MustOpen(const std::string& path, LoadMode mode = LoadMode::kMmap) {
  auto r = Filter::Open(path, mode);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : nullptr;
}

// One filter of 1M NTLM keys at 16 bits/key, written once and shared by the tests below.
class MillionKeyFilter : public ::testing::Test {
 protected:
  static constexpr size_t kKeys = 1'000'000;
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    keys_ = new std::vector<uint8_t>(KeyGen(1).Keys(kKeys, 16));
    auto b = MustCreate({.key_type = KeyType::kNtlm, .expected_keys = kKeys, .seed = 0xC0FFEE});
    // Half through AddBatch, half through Add: both insertion paths must be found again.
    b->AddBatch(keys_->data(), kKeys / 2);
    for (size_t i = kKeys / 2; i < kKeys; ++i) b->Add(keys_->data() + i * 16);
    ASSERT_TRUE(b->WriteTo(dir_->File("filter.csbf")).ok());
  }
  static void TearDownTestSuite() {
    delete keys_;
    delete dir_;
  }
  static TempDir* dir_;
  static std::vector<uint8_t>* keys_;
};
TempDir* MillionKeyFilter::dir_ = nullptr;
std::vector<uint8_t>* MillionKeyFilter::keys_ = nullptr;

TEST_F(MillionKeyFilter, NoFalseNegativesSingleOrBatch) {
  auto f = MustOpen(dir_->File("filter.csbf"));
  ASSERT_NE(f, nullptr);
  size_t missing_single = 0;
  for (size_t i = 0; i < kKeys; ++i) missing_single += !f->MayContain(keys_->data() + i * 16);
  EXPECT_EQ(missing_single, 0u);
  std::unique_ptr<bool[]> out(new bool[kKeys]);
  f->MayContainBatch(keys_->data(), kKeys, out.get());
  size_t missing_batch = 0;
  for (size_t i = 0; i < kKeys; ++i) missing_batch += !out[i];
  EXPECT_EQ(missing_batch, 0u);
}

TEST_F(MillionKeyFilter, HeaderRoundTrips) {
  auto f = MustOpen(dir_->File("filter.csbf"));
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->key_type(), KeyType::kNtlm);
  EXPECT_EQ(f->key_size(), 16u);
  EXPECT_EQ(f->key_count(), kKeys);
  EXPECT_EQ(f->block_count(), 31250u);  // ceil(1e6 * 16 / 512)
  EXPECT_EQ(f->bits_per_key(), 16.0);
  EXPECT_EQ(f->probes(), 10);
  EXPECT_EQ(f->seed(), 0xC0FFEEu);
  EXPECT_NEAR(f->expected_fpr(), 0.000825, 0.000005);
}

// 10M negative probes: expected ~8 250 false positives, standard deviation ~91, so the 1.5x
// band is > 40 sigma wide for a correct layout, while a layout correlating block and bits
// (DESIGN.md: 20 %) or a broken probe sequence lands far outside it.
TEST_F(MillionKeyFilter, FalsePositiveRateAt16BitsPerKeyMatchesTheory) {
  auto f = MustOpen(dir_->File("filter.csbf"));
  ASSERT_NE(f, nullptr);
  constexpr size_t kProbes = 10'000'000;
  constexpr size_t kChunk = 1 << 16;
  KeyGen gen(2);  // disjoint from the inserted keys with probability 1 - 2^-100
  std::unique_ptr<bool[]> out(new bool[kChunk]);
  size_t positives = 0;
  for (size_t done = 0; done < kProbes; done += kChunk) {
    const std::vector<uint8_t> keys = gen.Keys(kChunk, 16);
    f->MayContainBatch(keys.data(), kChunk, out.get());
    for (size_t i = 0; i < kChunk; ++i) positives += out[i];
  }
  const size_t probed = (kProbes + kChunk - 1) / kChunk * kChunk;
  const double fpr = static_cast<double>(positives) / static_cast<double>(probed);
  const double theory = TheoreticalFpr(16, 10);
  std::printf("measured FPR %.5f%% over %zu probes; theory %.5f%% (ratio %.3f)\n", fpr * 100,
              probed, theory * 100, fpr / theory);
  EXPECT_LE(fpr, 0.001);
  EXPECT_LE(fpr, theory * 1.5);
  EXPECT_GE(fpr, theory / 1.5);
}

TEST_F(MillionKeyFilter, BatchAnswersEqualSingleAnswers) {
  auto f = MustOpen(dir_->File("filter.csbf"));
  ASSERT_NE(f, nullptr);
  // Mixed positives and negatives, and every length around the prefetch window size.
  std::vector<uint8_t> keys = KeyGen(3).Keys(200'000, 16);
  for (size_t i = 0; i < keys.size() / 16; i += 2) {
    std::memcpy(keys.data() + i * 16, keys_->data() + i * 16, 16);
  }
  const size_t n = keys.size() / 16;
  std::vector<char> single(n);
  size_t single_pos = 0;
  for (size_t i = 0; i < n; ++i) single_pos += single[i] = f->MayContain(keys.data() + i * 16);
  EXPECT_GE(single_pos, n / 2);  // every inserted key is positive
  for (size_t len : {size_t{0}, size_t{1}, size_t{15}, size_t{16}, size_t{17}, size_t{33}, n}) {
    std::unique_ptr<bool[]> out(new bool[len + 1]);
    out[len] = true;  // sentinel: the batch must not write past n
    f->MayContainBatch(keys.data(), len, out.get());
    size_t diffs = 0;
    for (size_t i = 0; i < len; ++i) diffs += out[i] != static_cast<bool>(single[i]);
    EXPECT_EQ(diffs, 0u) << "batch of " << len;
    EXPECT_TRUE(out[len]);
  }
}

TEST_F(MillionKeyFilter, MmapAndHugePageCopyAnswerIdentically) {
  auto mapped = MustOpen(dir_->File("filter.csbf"), LoadMode::kMmap);
  auto copied = MustOpen(dir_->File("filter.csbf"), LoadMode::kHugePageCopy);
  ASSERT_NE(mapped, nullptr);
  ASSERT_NE(copied, nullptr);
  EXPECT_EQ(copied->load_mode(), LoadMode::kHugePageCopy);
  EXPECT_EQ(copied->key_count(), mapped->key_count());
  EXPECT_EQ(copied->block_count(), mapped->block_count());
  std::vector<uint8_t> keys = KeyGen(4).Keys(500'000, 16);
  std::memcpy(keys.data(), keys_->data(), 250'000 * 16);  // first half: inserted keys
  const size_t n = keys.size() / 16;
  std::unique_ptr<bool[]> a(new bool[n]), b(new bool[n]);
  mapped->MayContainBatch(keys.data(), n, a.get());
  copied->MayContainBatch(keys.data(), n, b.get());
  size_t diffs = 0, positives = 0;
  for (size_t i = 0; i < n; ++i) {
    diffs += a[i] != b[i];
    diffs += copied->MayContain(keys.data() + i * 16) != a[i];
    positives += a[i];
  }
  EXPECT_EQ(diffs, 0u);
  EXPECT_GE(positives, 250'000u);
}

TEST(BlockedBloomFilter, PortableAndAvx512BitTestsAgree) {
  if (!internal::HaveAvx512()) GTEST_SKIP() << "CPU lacks AVX-512F/DQ; portable path only";
  KeyGen gen(5);
  alignas(64) uint64_t block[8];
  size_t positives = 0, checks = 0;
  for (int round = 0; round < 20'000; ++round) {
    // Block densities from sparse to full so both answers occur for every probe count.
    const int density = round % 5;
    for (auto& w : block) {
      uint64_t v = gen.Next();
      for (int d = 0; d < density; ++d) v |= gen.Next();
      w = v;
    }
    const uint64_t b = gen.Next();
    for (int probes = 1; probes <= kMaxProbes; ++probes) {
      const bool portable = internal::TestBitsPortable(block, b, probes);
      ASSERT_EQ(internal::TestBitsAvx512(block, b, probes), portable)
          << "round " << round << " probes " << probes;
      positives += portable;
      ++checks;
    }
    // A block holding exactly this key's bits: positive on both paths.
    alignas(64) uint64_t own[8] = {};
    internal::SetBits(own, b, 10);
    EXPECT_TRUE(internal::TestBitsAvx512(own, b, 10));
  }
  EXPECT_GT(positives, checks / 20);
  EXPECT_LT(positives, checks);
}

// The layout documented in blocked_bloom_filter.h / internal/probe.h, re-derived here from
// the words of the documentation alone: a single key's bits are exactly where the doc says.
TEST(BlockedBloomFilter, SingleKeyBitsAreWhereTheFormatSaysTheyAre) {
  const uint64_t seed = 0x0123456789ABCDEFULL;
  auto b = MustCreate({.key_type = KeyType::kNtlm, .expected_keys = 320, .seed = seed});
  ASSERT_EQ(b->block_count(), 10u);
  const NtHash key = NtHashOfUtf8("correct horse battery staple").value();
  b->Add(key.data());
  uint64_t w0, w1;
  std::memcpy(&w0, key.data(), 8);
  std::memcpy(&w1, key.data() + 8, 8);
  const uint64_t a = (w0 ^ seed) * 0xC2B2AE3D27D4EB4FULL;
  const uint64_t block = static_cast<uint64_t>((static_cast<unsigned __int128>(a) * 10) >> 64);
  const uint64_t p = w1 ^ ((seed << 32) | (seed >> 32));
  std::vector<uint8_t> expect(10 * 64, 0);
  uint64_t mul = 0x9E3779B97F4A7C15ULL;
  for (int j = 0; j < 10; ++j, mul *= 0x9E3779B97F4A7C15ULL) {
    const unsigned bit = static_cast<unsigned>((p * mul) >> 55);
    expect[block * 64 + bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
  }
  EXPECT_EQ(Hex(b->data(), 640), Hex(expect.data(), 640));
}

// Golden bytes: any change to the format or to the bit placement fails here. If a change is
// intended, bump kFormatVersion and re-pin.
TEST(BlockedBloomFilter, GoldenFileBytes) {
  TempDir dir;
  auto b = MustCreate({.key_type = KeyType::kNtlm, .expected_keys = 32, .seed = 42});
  ASSERT_EQ(b->block_count(), 1u);
  for (int i = 0; i < 16; ++i) {
    const NtHash h = NtHashOfUtf8("password" + std::to_string(i)).value();
    b->Add(h.data());
  }
  ASSERT_TRUE(b->WriteTo(dir.File("golden.csbf")).ok());
  const std::string bytes = ReadBytes(dir.File("golden.csbf"));
  ASSERT_EQ(bytes.size(), 4096u + 64u);
  const auto* u = reinterpret_cast<const uint8_t*>(bytes.data());
  // magic, version 1, key type 1, probes 10, key count 16, block count 1, 16.0, seed 42,
  // block size 64, header size 4096
  EXPECT_EQ(Hex(u, 56),
            "43534246"
            "01000000"
            "01000000"
            "0a000000"
            "1000000000000000"
            "0100000000000000"
            "0000000000003040"
            "2a00000000000000"
            "40000000"
            "00100000");
  EXPECT_EQ(Hex(u + 56, 32), "9f10aceb31ac3c45e3a16340475937034d1756b6b1d12b120471abc0373ab6e5");
  EXPECT_EQ(std::string(bytes.data() + 88, 4096 - 88), std::string(4096 - 88, '\0'));
  EXPECT_EQ(Hex(u + 4096, 64),
            "088010200a044028660b4c70200312298001002607a1438a4001021d8c90e2aa"
            "1001ca31c800805c0404940c200c2ca54211591020908808214a082140608088");
}

TEST(BlockedBloomFilter, Sha1KeysHaveNoFalseNegativesAndTheExpectedFpr) {
  TempDir dir;
  constexpr size_t kKeys = 200'000;
  const std::vector<uint8_t> keys = KeyGen(6).Keys(kKeys, 20);
  auto b = MustCreate({.key_type = KeyType::kSha1, .expected_keys = kKeys, .seed = 7});
  b->AddBatch(keys.data(), kKeys);
  ASSERT_TRUE(b->WriteTo(dir.File("sha1.csbf")).ok());
  auto f = MustOpen(dir.File("sha1.csbf"));
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->key_type(), KeyType::kSha1);
  EXPECT_EQ(f->key_size(), 20u);
  std::unique_ptr<bool[]> out(new bool[kKeys]);
  f->MayContainBatch(keys.data(), kKeys, out.get());
  size_t missing = 0;
  for (size_t i = 0; i < kKeys; ++i) missing += !out[i] || !f->MayContain(keys.data() + i * 20);
  EXPECT_EQ(missing, 0u);
  // 2M negatives: ~1 650 expected false positives (sd ~41).
  const std::vector<uint8_t> neg = KeyGen(8).Keys(2'000'000, 20);
  std::unique_ptr<bool[]> nout(new bool[2'000'000]);
  f->MayContainBatch(neg.data(), 2'000'000, nout.get());
  size_t positives = 0;
  for (size_t i = 0; i < 2'000'000; ++i) positives += nout[i];
  const double fpr = positives / 2e6;
  EXPECT_LE(fpr, 0.001);
  EXPECT_GE(fpr, TheoreticalFpr(16, 10) / 1.5);
  // The last 4 bytes of a SHA-1 key take part: flipping them changes the answer for most
  // inserted keys' neighbours (only ~FPR of them stay positive).
  std::vector<uint8_t> tweaked = keys;
  for (size_t i = 0; i < kKeys; ++i) tweaked[i * 20 + 19] ^= 0x5A;
  f->MayContainBatch(tweaked.data(), kKeys, out.get());
  size_t still = 0;
  for (size_t i = 0; i < kKeys; ++i) still += out[i];
  EXPECT_LE(still, kKeys / 100);
}

TEST(BlockedBloomFilter, ConcurrentBuildEqualsSerialBuild) {
  constexpr size_t kKeys = 400'000;
  const std::vector<uint8_t> keys = KeyGen(9).Keys(kKeys, 16);
  const FilterParams params{.key_type = KeyType::kNtlm, .expected_keys = kKeys, .seed = 11};
  auto serial = MustCreate(params);
  serial->AddBatch(keys.data(), kKeys);
  auto concurrent = MustCreate(params);
  std::thread t1([&] { concurrent->AddBatchConcurrent(keys.data(), kKeys / 2); });
  std::thread t2([&] {
    for (size_t i = kKeys / 2; i < kKeys; ++i) concurrent->AddConcurrent(keys.data() + i * 16);
  });
  t1.join();
  t2.join();
  EXPECT_EQ(concurrent->key_count(), kKeys);
  EXPECT_EQ(std::memcmp(serial->data(), concurrent->data(), serial->block_count() * 64), 0);
}

// The portable bit test, applied to the builder's blocks with the documented block/probe-word
// derivation, gives exactly the answers of the opened filter (which uses AVX-512 where the CPU
// has it): the two code paths are interchangeable on real filters, not only on random blocks.
TEST(BlockedBloomFilter, PortablePathGivesTheOpenedFiltersAnswers) {
  TempDir dir;
  constexpr size_t kKeys = 100'000;
  const std::vector<uint8_t> keys = KeyGen(14).Keys(kKeys, 16);
  auto b = MustCreate({.key_type = KeyType::kNtlm, .expected_keys = kKeys, .seed = 99});
  b->AddBatch(keys.data(), kKeys);
  ASSERT_TRUE(b->WriteTo(dir.File("f.csbf")).ok());
  auto f = MustOpen(dir.File("f.csbf"));
  ASSERT_NE(f, nullptr);
  std::vector<uint8_t> probe = KeyGen(15).Keys(400'000, 16);
  std::memcpy(probe.data(), keys.data(), keys.size());
  const size_t n = probe.size() / 16;
  std::unique_ptr<bool[]> out(new bool[n]);
  f->MayContainBatch(probe.data(), n, out.get());
  const auto* blocks = reinterpret_cast<const uint64_t*>(b->data());
  size_t diffs = 0, positives = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* key = probe.data() + i * 16;
    const uint64_t* block = blocks + internal::BlockIndex(key, 99, b->block_count()) * 8;
    const bool portable = internal::TestBitsPortable(block, internal::ProbeWord(key, 16, 99), 10);
    diffs += portable != out[i];
    positives += portable;
  }
  EXPECT_EQ(diffs, 0u);
  EXPECT_GE(positives, kKeys);
  EXPECT_LE(positives, kKeys + (n - kKeys) / 500);  // the rest: false positives only (< 0.2 %)
}

TEST(BlockedBloomFilter, TheoryMatchesPublishedNumbers) {
  // DESIGN.md: 0.083 % at 16 bits/key, k = 10, 512-bit blocks.
  EXPECT_NEAR(TheoreticalFpr(16, 10), 0.000825, 0.000002);
  EXPECT_EQ(BestProbes(16), 10);
  // A standard (unblocked) Bloom filter at 16 bits/key does better (0.046 %); blocking costs
  // roughly a factor 2 at this size, the price of one cache line per lookup.
  EXPECT_GT(TheoreticalFpr(16, 10), 0.00046);
  // An over-full filter answers "maybe" to nearly everything; the formula must say so too.
  EXPECT_GT(TheoreticalFpr(0.01, 10), 0.99);
  EXPECT_GT(TheoreticalFpr(1e-12, 10), 0.99);  // must also return promptly (closed form)
  EXPECT_LT(TheoreticalFpr(10, 7), TheoreticalFpr(8, 5));
}

TEST(BlockedBloomFilter, RejectsBadParameters) {
  for (const FilterParams& p :
       {FilterParams{.key_type = static_cast<KeyType>(7), .expected_keys = 10},
        FilterParams{.expected_keys = 10, .bits_per_key = 0},
        FilterParams{.expected_keys = 10, .bits_per_key = 65},
        FilterParams{.expected_keys = 10, .probes = 17},
        FilterParams{.expected_keys = 10, .probes = -1},
        FilterParams{.expected_keys = ~uint64_t{0}, .bits_per_key = 64}}) {
    auto r = FilterBuilder::Create(p);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
  }
  auto empty = FilterBuilder::Create({.expected_keys = 0});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty.value()->block_count(), 1u);
}

TEST(BlockedBloomFilter, WriteReplacesAtomicallyAndLeavesNoTempFiles) {
  TempDir dir;
  const std::string path = dir.File("filter.csbf");
  const std::vector<uint8_t> keys = KeyGen(10).Keys(1000, 16);
  auto first = MustCreate({.expected_keys = 1000, .seed = 1});
  first->AddBatch(keys.data(), 500);
  ASSERT_TRUE(first->WriteTo(path).ok());
  auto second = MustCreate({.expected_keys = 1000, .seed = 2});
  second->AddBatch(keys.data(), 1000);
  ASSERT_TRUE(second->WriteTo(path).ok());
  auto f = MustOpen(path);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->seed(), 2u);
  EXPECT_EQ(f->key_count(), 1000u);
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    ++files;
    EXPECT_EQ(e.path().filename(), "filter.csbf");
  }
  EXPECT_EQ(files, 1u);
  // An unwritable destination is an I/O error and creates nothing.
  Status s = second->WriteTo(dir.File("no/such/dir/filter.csbf"));
  EXPECT_EQ(s.code(), StatusCode::kIOError);
}

// ---------------------------------------------------------------------------------------------
// Damaged files: every one is a clean kCorruption naming the file and saying to re-import.

class DamagedFile : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("filter.csbf");
    const std::vector<uint8_t> keys = KeyGen(12).Keys(5000, 16);
    auto b = MustCreate({.expected_keys = 5000, .seed = 3});
    b->AddBatch(keys.data(), 5000);
    ASSERT_TRUE(b->WriteTo(path_).ok());
    good_ = ReadBytes(path_);
    ASSERT_EQ(good_.size(), 4096u + 157u * 64u);  // ceil(5000 * 16 / 512) blocks
  }
  // Writes `bytes` and expects both load modes to refuse it as corrupt.
  void ExpectCorrupt(const std::string& bytes, const std::string& what) {
    WriteBytes(path_, bytes);
    for (LoadMode mode : {LoadMode::kMmap, LoadMode::kHugePageCopy}) {
      auto r = Filter::Open(path_, mode);
      ASSERT_FALSE(r.ok()) << what;
      EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << what;
      EXPECT_NE(r.status().message().find(path_), std::string::npos) << r.status().message();
      EXPECT_NE(r.status().message().find("re-import"), std::string::npos) << r.status().message();
    }
  }
  std::string With(size_t offset, const std::string& replacement) {
    std::string b = good_;
    b.replace(offset, replacement.size(), replacement);
    return b;
  }
  TempDir dir_;
  std::string path_;
  std::string good_;
};

TEST_F(DamagedFile, IntactFileOpens) {
  auto f = MustOpen(path_);
  EXPECT_NE(f, nullptr);
}

TEST_F(DamagedFile, ZeroLengthFile) { ExpectCorrupt("", "empty file"); }
TEST_F(DamagedFile, TruncatedHeader) { ExpectCorrupt(good_.substr(0, 100), "100-byte file"); }
TEST_F(DamagedFile, TruncatedBody) {
  ExpectCorrupt(good_.substr(0, good_.size() - 1), "one byte short");
  ExpectCorrupt(good_.substr(0, 4096), "header only");
  ExpectCorrupt(good_.substr(0, 4096 + 64 * 100), "100 of 157 blocks");
}
TEST_F(DamagedFile, ExtendedBody) { ExpectCorrupt(good_ + std::string(64, '\0'), "extra block"); }
TEST_F(DamagedFile, WrongMagic) { ExpectCorrupt(With(0, "CSBX"), "magic"); }
TEST_F(DamagedFile, UnknownVersion) {
  ExpectCorrupt(With(4, std::string("\x02\0\0\0", 4)), "version 2");
}
TEST_F(DamagedFile, UnknownKeyType) {
  ExpectCorrupt(With(8, std::string("\x03\0\0\0", 4)), "key type 3");
  ExpectCorrupt(With(8, std::string("\0\0\0\0", 4)), "key type 0");
}
TEST_F(DamagedFile, WrongKeyTypeIsCaughtByTheChecksum) {
  // A well-formed but different key type (SHA-1 instead of NTLM) would probe other bits.
  ExpectCorrupt(With(8, std::string("\x02\0\0\0", 4)), "key type flipped to sha1");
}
TEST_F(DamagedFile, ProbesOutOfRange) {
  ExpectCorrupt(With(12, std::string("\0\0\0\0", 4)), "0 probes");
  ExpectCorrupt(With(12, std::string("\x11\0\0\0", 4)), "17 probes");
}
TEST_F(DamagedFile, HugeBlockCountIsRefusedBeforeAnyMapping) {
  ExpectCorrupt(With(24, std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8)), "2^63 blocks");
  ExpectCorrupt(With(24, std::string(8, '\0')), "0 blocks");
}
TEST_F(DamagedFile, FlippedSeedIsCaughtByTheChecksum) {
  std::string b = good_;
  b[40] ^= 1;
  ExpectCorrupt(b, "seed bit");
}
TEST_F(DamagedFile, FlippedBodyByte) {
  std::string b = good_;
  b[4096 + 64 * 123 + 17] ^= 0x10;
  ExpectCorrupt(b, "body bit");
}
TEST_F(DamagedFile, NonZeroPadding) {
  std::string b = good_;
  b[2000] = 1;
  ExpectCorrupt(b, "padding");
}
TEST_F(DamagedFile, GarbageOfTheRightSize) {
  const std::vector<uint8_t> noise = KeyGen(13).Keys(good_.size() / 8, 8);
  ExpectCorrupt(std::string(noise.begin(), noise.end()), "random bytes");
}

TEST_F(DamagedFile, SkippingTheChecksumStillChecksTheHeader) {
  std::string b = good_;
  b[4096 + 5] ^= 1;
  WriteBytes(path_, b);
  OpenOptions opts;
  opts.verify_checksum = false;
  EXPECT_TRUE(Filter::Open(path_, opts).ok());  // documented trade-off: body rot undetected
  EXPECT_EQ(Filter::Open(path_).status().code(), StatusCode::kCorruption);  // default verifies
  WriteBytes(path_, good_.substr(0, good_.size() - 64));
  EXPECT_EQ(Filter::Open(path_, opts).status().code(), StatusCode::kCorruption);
}

TEST(BlockedBloomFilter, MissingFileIsNotFound) {
  TempDir dir;
  auto r = Filter::Open(dir.File("absent.csbf"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("absent.csbf"), std::string::npos);
}

TEST(BlockedBloomFilter, DirectoryIsNotAFilter) {
  TempDir dir;
  auto r = Filter::Open(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().code(), StatusCode::kOk);
}

}  // namespace
}  // namespace credsweep::bloom
