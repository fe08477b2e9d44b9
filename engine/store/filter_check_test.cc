// Cheap opens (StoreOpenOptions kProbedRanges, what check-password uses) and the full check
// (`corpus verify`, VerifyStore): same answers as a full open, and fail closed on every damage
// a cheap open promises to see (corpus_store.h, internal/filter_ranges.h).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bloom/blocked_bloom_filter.h"
#include "bloom/range_checksum.h"
#include "connectors/corpus/hibp_generator.h"
#include "engine/base/file_util.h"
#include "engine/base/test_temp_dir.h"
#include "engine/store/corpus_import.h"
#include "engine/store/corpus_store.h"
#include "engine/store/internal/filter_ranges.h"
#include "engine/store/internal/store_format.h"

namespace credsweep::store {
namespace {

namespace fs = std::filesystem;

constexpr StoreOpenOptions kProbed{.filter_check = FilterCheck::kProbedRanges};
constexpr StoreOpenOptions kIndexOnly{.filter_check = FilterCheck::kIndexOnly};

// 600 000 keys at 16 bits/key: a 1.2 MB filter body, so 293 ranges of 4 KiB (version-2
// sidecar; a version-1 sidecar has two of 1 MiB).
constexpr uint64_t kRange = internal::kFilterRangeBytes;
class FilterCheckTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(MakeTestTempDir("cs_filter_check"));
    hibp_ = new std::string(*dir_ + "/hibp.txt");
    ASSERT_TRUE(corpus::GenerateHibpFile({*hibp_, 600000, "", 7}).ok());
    // Every 50th hash of the file is a query that must be found; their prefix-shifted twins
    // (almost surely absent) must not.
    std::ifstream in(*hibp_);
    std::string line;
    present_ = new std::vector<NtHash>();
    for (uint64_t i = 0; std::getline(in, line); ++i) {
      if (i % 50 == 0) present_->push_back(*ParseNtHashHex(line.substr(0, 32)));
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete hibp_;
    delete present_;
  }

  void SetUp() override {
    store_ = MakeTestTempDir("cs_filter_check_store") + "/store";
    ImportOptions o;
    o.store = store_;
    o.paths = {*hibp_};
    o.source = "hibp";
    o.version = "v1";
    o.now = [] { return int64_t{1795000000}; };
    auto r = ImportCorpus(o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  std::string FilterPath() const { return store_ + "/gen-000001/filter.csbf"; }
  std::string RangesPath() const { return store_ + "/gen-000001/filter.ranges"; }

  // Flips one bit of the filter file at `offset` in place (what bit rot looks like).
  void FlipByte(const std::string& path, uint64_t offset) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(offset));
    char c;
    f.get(c);
    f.seekp(static_cast<std::streamoff>(offset));
    f.put(static_cast<char>(c ^ 0x10));
  }

  std::vector<NtHash> Absent() const {
    std::vector<NtHash> q;
    for (NtHash h : *present_) {
      h[15] ^= 0x5A;
      q.push_back(h);
    }
    return q;
  }

  static std::string* dir_;
  static std::string* hibp_;
  static std::vector<NtHash>* present_;
  std::string store_;
};
std::string* FilterCheckTest::dir_ = nullptr;
std::string* FilterCheckTest::hibp_ = nullptr;
std::vector<NtHash>* FilterCheckTest::present_ = nullptr;

TEST_F(FilterCheckTest, ImportRecordsTheVerifiedChecksumAndRanges) {
  auto m = LoadManifest(store_);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->filter_checksum.size(), 64u);
  EXPECT_EQ(m->filter_verified_at, "2026-11-18T11:06:40Z");
  auto j = nlohmann::json::parse(*ReadFile(store_ + "/manifest.json"));
  EXPECT_EQ(j["filter"]["ranges"], "gen-000001/filter.ranges");
  // 64-byte header + one 16-byte digest per 4 KiB of the body.
  const uint64_t body = fs::file_size(FilterPath()) - bloom::kHeaderSize;
  EXPECT_EQ(fs::file_size(RangesPath()), 64u + (body + 4095) / 4096 * 16u);
}

TEST_F(FilterCheckTest, RangeDigestsAreVersion2FourLaneCrc32c) {
  const std::string ranges = *ReadFile(RangesPath());
  const std::string filter = *ReadFile(FilterPath());
  ASSERT_EQ(ranges.substr(0, 4), "CSFR");
  uint32_t version;
  std::memcpy(&version, ranges.data() + 4, 4);
  EXPECT_EQ(version, 2u);
  uint64_t range_bytes;
  std::memcpy(&range_bytes, ranges.data() + 8, 8);
  EXPECT_EQ(range_bytes, 4096u);
  const size_t body = filter.size() - bloom::kHeaderSize;
  ASSERT_EQ(ranges.size(), 64 + (body + 4095) / 4096 * 16);
  for (size_t r = 0; r * 4096 < body; ++r) {
    const size_t begin = r * 4096;
    const size_t len = std::min<size_t>(4096, body - begin);
    uint8_t want[bloom::kRangeChecksumBytes];
    bloom::RangeChecksum(
        reinterpret_cast<const uint8_t*>(filter.data()) + bloom::kHeaderSize + begin, len, want);
    EXPECT_EQ(ranges.substr(64 + 16 * r, 16), std::string(reinterpret_cast<char*>(want), 16)) << r;
  }
}

// Stores imported before version 2 keep their BLAKE2b-128 sidecar: still read, still checked.
TEST_F(FilterCheckTest, Version1Blake2bSidecarIsStillReadAndChecked) {
  {
    auto filter = bloom::Filter::Open(FilterPath());
    ASSERT_TRUE(filter.ok());
    ASSERT_TRUE(internal::VerifyFilterAndWriteRanges(**filter, FilterPath(), RangesPath(),
                                                     bloom::RangeDigestKind::kBlake2b128)
                    .ok());
  }
  const std::string ranges = *ReadFile(RangesPath());
  uint32_t version;
  std::memcpy(&version, ranges.data() + 4, 4);
  ASSERT_EQ(version, 1u);
  ASSERT_EQ(ranges.size(), 64u + 2 * 16u);  // two ranges of 1 MiB
  auto full = CorpusStore::Open(store_);
  auto probed = CorpusStore::Open(store_, kProbed);
  ASSERT_TRUE(full.ok() && probed.ok()) << probed.status().ToString();
  std::vector<LookupResult> a, b;
  ASSERT_TRUE((*full)->LookupBatch(*present_, &a).ok());
  ASSERT_TRUE((*probed)->LookupBatch(*present_, &b).ok());
  for (size_t i = 0; i < a.size(); ++i) ASSERT_TRUE(a[i].found && b[i].found) << i;
  // `corpus verify` rewrites the digests as version 2 (after checking them and the body).
  auto verified = VerifyStore(store_);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_TRUE(verified->ranges_written);
  std::memcpy(&version, ReadFile(RangesPath())->data() + 4, 4);
  EXPECT_EQ(version, 2u);
  EXPECT_GT(ReadFile(RangesPath())->size(), 64u + 290 * 16u);  // and 4 KiB ranges
  FlipByte(FilterPath(), bloom::kHeaderSize + (1u << 20) + 77);
  auto damaged = CorpusStore::Open(store_, kProbed);
  ASSERT_TRUE(damaged.ok());
  EXPECT_EQ((*damaged)->LookupBatch(*present_, &b).code(), StatusCode::kCorruption);
}

// kBatchRanges (the audit): a batch big enough to be cheaper through the filter is answered
// through it, range by range, and fails closed on damage in a range it reads; a batch of a few
// hashes goes straight to the index. Both answer exactly as a full open.
TEST_F(FilterCheckTest, BatchRangesAnswersExactlyAndFailsClosedInTheRangesItReads) {
  constexpr StoreOpenOptions kBatch{.filter_check = FilterCheck::kBatchRanges};
  std::vector<NtHash> many = *present_;
  for (const NtHash& h : Absent()) many.push_back(h);
  // The damage made below, and 3 hashes whose ranges it does not touch (one of them present).
  const uint64_t damage_at = (1u << 20) + 999;
  const uint64_t damaged_range = damage_at / kRange;
  std::vector<NtHash> few;
  {
    auto filter = bloom::Filter::Open(FilterPath(), bloom::OpenOptions{.verify_checksum = false});
    ASSERT_TRUE(filter.ok());
    for (const NtHash& h : {many[0], many[1], many.back(), many[2], many[3]}) {
      if ((*filter)->BlockOf(h.data()) * bloom::kBlockBytes / kRange != damaged_range &&
          few.size() < 3) {
        few.push_back(h);
      }
    }
    ASSERT_EQ(few.size(), 3u);
  }
  auto full = CorpusStore::Open(store_);
  ASSERT_TRUE(full.ok());
  std::vector<LookupResult> want, want_few;
  ASSERT_TRUE((*full)->LookupBatch(many, &want).ok());
  ASSERT_TRUE((*full)->LookupBatch(few, &want_few).ok());
  auto batch = CorpusStore::Open(store_, kBatch);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  for (const std::vector<NtHash>* q : {static_cast<const std::vector<NtHash>*>(&many),
                                          static_cast<const std::vector<NtHash>*>(&few)}) {
    const auto& expect = q == &many ? want : want_few;
    std::vector<LookupResult> got;
    ASSERT_TRUE((*batch)->LookupBatch(*q, &got).ok());
    ASSERT_EQ(got.size(), q->size());
    for (size_t i = 0; i < q->size(); ++i) {
      ASSERT_EQ(got[i].found, expect[i].found) << i;
      ASSERT_EQ(got[i].count, expect[i].count) << i;
      ASSERT_EQ(got[i].first_seen_month, expect[i].first_seen_month) << i;
    }
  }
  size_t found = 0;
  for (const LookupResult& r : want) found += r.found;
  EXPECT_EQ(found, present_->size());

  FlipByte(FilterPath(), bloom::kHeaderSize + damage_at);
  auto damaged = CorpusStore::Open(store_, kBatch);
  ASSERT_TRUE(damaged.ok()) << damaged.status().ToString();  // the open reads no body
  std::vector<LookupResult> got;
  Status s = (*damaged)->LookupBatch(many, &got);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("range " + std::to_string(damaged_range) + " "), std::string::npos)
      << s.message();
  // The few read only their own 4 KiB ranges, which the damage did not touch: still exact.
  ASSERT_TRUE((*damaged)->LookupBatch(few, &got).ok());
  for (size_t i = 0; i < few.size(); ++i) EXPECT_EQ(got[i].found, want_few[i].found) << i;
}

TEST_F(FilterCheckTest, ProbedOpenAnswersExactlyLikeAFullOpen) {
  auto full = CorpusStore::Open(store_);
  auto probed = CorpusStore::Open(store_, kProbed);
  ASSERT_TRUE(full.ok() && probed.ok()) << probed.status().ToString();
  std::vector<NtHash> q = *present_;
  for (const NtHash& h : Absent()) q.push_back(h);
  std::vector<LookupResult> a, b;
  ASSERT_TRUE((*full)->LookupBatch(q, &a).ok());
  ASSERT_TRUE((*probed)->LookupBatch(q, &b).ok());
  size_t found = 0;
  for (size_t i = 0; i < q.size(); ++i) {
    ASSERT_EQ(a[i].found, b[i].found) << i;
    ASSERT_EQ(a[i].count, b[i].count) << i;
    found += b[i].found;
    auto one = (*probed)->Lookup(q[i]);
    ASSERT_TRUE(one.ok());
    ASSERT_EQ(one->found, b[i].found) << i;
  }
  EXPECT_EQ(found, present_->size());
}

TEST_F(FilterCheckTest, DamageInAProbedRangeFailsTheLookup) {
  // Damage one range (body offset 1 MiB + 100): a cheap open still succeeds (it reads no
  // body), but a lookup probing that range fails closed; one probing any other range is
  // answered (those ranges are intact). The full open and `corpus verify` refuse the store.
  FlipByte(FilterPath(), bloom::kHeaderSize + (1u << 20) + 100);
  auto probed = CorpusStore::Open(store_, kProbed);
  ASSERT_TRUE(probed.ok()) << probed.status().ToString();
  auto filter = bloom::Filter::Open(FilterPath(), bloom::OpenOptions{.verify_checksum = false});
  ASSERT_TRUE(filter.ok());
  const uint64_t damaged_range = ((1u << 20) + 100) / kRange;
  size_t failed = 0, answered = 0;
  for (const NtHash& h : *present_) {
    const bool damaged = (*filter)->BlockOf(h.data()) * bloom::kBlockBytes / kRange == damaged_range;
    auto r = (*probed)->Lookup(h);
    if (damaged) {
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
      EXPECT_NE(r.status().message().find("filter.csbf"), std::string::npos);
      ++failed;
    } else {
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_TRUE(r->found);
      ++answered;
    }
  }
  EXPECT_GT(failed, 0u);
  EXPECT_GT(answered, 0u);
  std::vector<LookupResult> res;
  EXPECT_EQ((*probed)->LookupBatch(*present_, &res).code(), StatusCode::kCorruption);

  EXPECT_EQ(CorpusStore::Open(store_).status().code(), StatusCode::kCorruption);
  const std::string manifest_before = *ReadFile(store_ + "/manifest.json");
  auto v = VerifyStore(store_);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kCorruption);
  EXPECT_NE(v.status().message().find("filter.csbf"), std::string::npos);
  EXPECT_EQ(*ReadFile(store_ + "/manifest.json"), manifest_before);
}

// kBatchRanges gives back the pages of the digests it has used; a range checked after that
// reads its digest from the file again (a released page is never read as zeros or stale).
TEST_F(FilterCheckTest, ReleasedDigestPagesAreReadAgainFromTheFile) {
  auto filter = bloom::Filter::Open(FilterPath(), bloom::OpenOptions{.verify_checksum = false});
  ASSERT_TRUE(filter.ok());
  auto ranges = internal::FilterRanges::Open(RangesPath(), **filter, FilterPath());
  ASSERT_TRUE(ranges.ok()) << ranges.status().ToString();
  const uint64_t n = (*ranges)->range_count();
  ASSERT_GT(n, 256u);  // more than one page of digests
  ASSERT_TRUE((*ranges)->CheckRange(0).ok());
  (*ranges)->ReleaseDigests(0, n);
  for (uint64_t r = 0; r + 1 < n; ++r) ASSERT_TRUE((*ranges)->CheckRange(r).ok()) << r;
  (*ranges)->ReleaseDigests(0, n);
  FlipByte(RangesPath(), 64 + 16 * (n - 1) + 5);  // the last range's digest, in place
  Status s = (*ranges)->CheckRange(n - 1);
  EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
}

// `corpus check` (LookupVolume::kMany): a first batch over all ranges hashes them on two
// threads while it looks up. Damage in the first or the second range fails the whole batch — whichever thread
// hashed it — and an intact store answers exactly as a full open, batch after batch.
TEST_F(FilterCheckTest, ManyLookupBatchVerifiesItsRangesOnTwoThreadsAndFailsClosed) {
  constexpr StoreOpenOptions kMany{.filter_check = FilterCheck::kProbedRanges,
                                   .lookups = LookupVolume::kMany};
  std::vector<NtHash> q = *present_;
  for (const NtHash& h : Absent()) q.push_back(h);
  auto full = CorpusStore::Open(store_);
  ASSERT_TRUE(full.ok());
  std::vector<LookupResult> want;
  ASSERT_TRUE((*full)->LookupBatch(q, &want).ok());
  {
    auto many = CorpusStore::Open(store_, kMany);
    ASSERT_TRUE(many.ok()) << many.status().ToString();
    for (int round = 0; round < 2; ++round) {  // the second batch finds every range verified
      std::vector<LookupResult> got;
      ASSERT_TRUE((*many)->LookupBatch(q, &got).ok());
      for (size_t i = 0; i < q.size(); ++i) {
        ASSERT_EQ(got[i].found, want[i].found) << i;
        ASSERT_EQ(got[i].count, want[i].count) << i;
      }
    }
  }
  const std::string pristine = *ReadFile(FilterPath());
  for (uint64_t range : {0u, 1u}) {
    ASSERT_TRUE(WriteFileAtomic(FilterPath(), pristine, 0644).ok());
    FlipByte(FilterPath(), bloom::kHeaderSize + range * kRange + 1234);
    auto many = CorpusStore::Open(store_, kMany);
    ASSERT_TRUE(many.ok()) << many.status().ToString();
    std::vector<LookupResult> got;
    Status s = (*many)->LookupBatch(q, &got);
    EXPECT_EQ(s.code(), StatusCode::kCorruption) << "range " << range;
    EXPECT_NE(s.message().find("range " + std::to_string(range) + " "), std::string::npos)
        << s.message();
    EXPECT_NE(s.message().find("filter.csbf"), std::string::npos) << s.message();
  }
}

TEST_F(FilterCheckTest, CheapOpenRefusesHeaderAndSidecarMismatches) {
  const std::string saved_filter = *ReadFile(FilterPath());
  const std::string saved_ranges = *ReadFile(RangesPath());
  auto expect_corrupt = [&](const std::string& what, const std::string& names) {
    auto s = CorpusStore::Open(store_, kProbed);
    ASSERT_FALSE(s.ok()) << what;
    EXPECT_EQ(s.status().code(), StatusCode::kCorruption) << what << ": " << s.status().ToString();
    EXPECT_NE(s.status().message().find(names), std::string::npos) << s.status().message();
  };
  auto restore = [&] {
    ASSERT_TRUE(WriteFileAtomic(FilterPath(), saved_filter, 0644).ok());
    ASSERT_TRUE(WriteFileAtomic(RangesPath(), saved_ranges, 0644).ok());
    ASSERT_TRUE(CorpusStore::Open(store_, kProbed).ok());
  };
  // The stored checksum changed (a filter that is not the one the manifest recorded).
  FlipByte(FilterPath(), 60);
  expect_corrupt("filter checksum differs from the manifest", "filter.csbf");
  restore();
  // The seed (a header field): the manifest's seed no longer matches.
  FlipByte(FilterPath(), 41);
  expect_corrupt("seed flipped", "filter.csbf");
  restore();
  ASSERT_TRUE(WriteFileAtomic(FilterPath(), saved_filter.substr(0, saved_filter.size() - 64), 0644)
                  .ok());
  expect_corrupt("truncated filter", "filter.csbf");
  restore();
  fs::remove(RangesPath());
  expect_corrupt("missing range digests", "filter.ranges");
  restore();
  ASSERT_TRUE(WriteFileAtomic(RangesPath(), saved_ranges.substr(0, 80), 0644).ok());
  expect_corrupt("truncated range digests", "filter.ranges");
  restore();
  FlipByte(RangesPath(), 30);  // the filter checksum the sidecar belongs to
  expect_corrupt("range digests of another filter", "filter.ranges");
  restore();
  // A damaged digest fails the lookups of its range (never a silent "not leaked").
  FlipByte(RangesPath(), 64 + 3);
  auto probed = CorpusStore::Open(store_, kProbed);
  ASSERT_TRUE(probed.ok());
  std::vector<LookupResult> res;
  EXPECT_EQ((*probed)->LookupBatch(*present_, &res).code(), StatusCode::kCorruption);
  EXPECT_EQ(VerifyStore(store_).status().code(), StatusCode::kCorruption);
}

TEST_F(FilterCheckTest, VerifyChecksEveryIndexBlockAndRecordsTheTime) {
  auto v = VerifyStore(store_, [] { return int64_t{1796000000}; });
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->keys, 600000u);
  EXPECT_FALSE(v->ranges_written);
  EXPECT_EQ(LoadManifest(store_)->filter_verified_at, "2026-11-30T00:53:20Z");
  // Bit rot in the middle of an index table file: only the full check reads that block.
  for (const auto& e : fs::directory_iterator(store_ + "/gen-000001/index")) {
    if (e.path().extension() == ".sst") {
      FlipByte(e.path().string(), fs::file_size(e.path()) / 3);
      break;
    }
  }
  auto bad = VerifyStore(store_);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kCorruption) << bad.status().ToString();
  EXPECT_NE(bad.status().message().find("index"), std::string::npos);
}

TEST_F(FilterCheckTest, IndexOnlyOpenAnswersExactlyWithoutReadingTheFilterBody) {
  // The audit's open: the same answers as a full open, present and absent hashes alike.
  auto full = CorpusStore::Open(store_);
  ASSERT_TRUE(full.ok());
  std::vector<NtHash> q = *present_;
  for (const NtHash& h : Absent()) q.push_back(h);
  std::vector<LookupResult> want;
  ASSERT_TRUE((*full)->LookupBatch(q, &want).ok());
  full->reset();
  // Bit rot in the filter body: the full open refuses the store, the index-only open never
  // reads the body and still answers exactly (the index alone decides).
  FlipByte(FilterPath(), bloom::kHeaderSize + 5000);
  EXPECT_EQ(CorpusStore::Open(store_).status().code(), StatusCode::kCorruption);
  auto direct = CorpusStore::Open(store_, kIndexOnly);
  ASSERT_TRUE(direct.ok()) << direct.status().ToString();
  std::vector<LookupResult> got;
  ASSERT_TRUE((*direct)->LookupBatch(q, &got).ok());
  ASSERT_EQ(got.size(), q.size());
  size_t found = 0;
  for (size_t i = 0; i < q.size(); ++i) {
    ASSERT_EQ(got[i].found, want[i].found) << i;
    ASSERT_EQ(got[i].count, want[i].count) << i;
    ASSERT_EQ(got[i].first_seen_month, want[i].first_seen_month) << i;
    found += got[i].found;
  }
  EXPECT_EQ(found, present_->size());
  auto one = (*direct)->Lookup(q.back());
  ASSERT_TRUE(one.ok());
  EXPECT_FALSE(one->found);
  // The header is still checked against the manifest: a different filter is refused.
  FlipByte(FilterPath(), 60);
  auto refused = CorpusStore::Open(store_, kIndexOnly);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kCorruption);
  EXPECT_NE(refused.status().message().find("filter.csbf"), std::string::npos);
}

TEST_F(FilterCheckTest, IndexOnlyLookupsFailClosedOnADamagedIndexBlock) {
  // Damage in every table file: a lookup reading a damaged block is an error (RocksDB's
  // block checksum), never a hash reported absent. Each of the 12 000 present hashes reads a
  // data block, so some read the damage; the rest are still found.
  for (const auto& e : fs::directory_iterator(store_ + "/gen-000001/index")) {
    if (e.path().extension() == ".sst") FlipByte(e.path().string(), fs::file_size(e.path()) / 3);
  }
  auto direct = CorpusStore::Open(store_, kIndexOnly);
  if (!direct.ok()) {  // the flip landed in a block the open reads: refused, also fail closed
    EXPECT_EQ(direct.status().code(), StatusCode::kCorruption) << direct.status().ToString();
    return;
  }
  std::vector<LookupResult> res;
  Status batch = (*direct)->LookupBatch(*present_, &res);
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.code(), StatusCode::kCorruption) << batch.ToString();
  EXPECT_NE(batch.message().find("index"), std::string::npos);
  size_t failed = 0, found = 0;
  for (const NtHash& h : *present_) {
    auto r = (*direct)->Lookup(h);
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
      ++failed;
    } else {
      ASSERT_TRUE(r->found);  // an intact block answers; a damaged one never says "absent"
      ++found;
    }
  }
  EXPECT_GT(failed, 0u);
  EXPECT_GT(found, 0u);
}

TEST_F(FilterCheckTest, ProbedOpenFailsClosedOnCutTableFiles) {
  // check-password's open skips RocksDB's size check of every table file (index_options.h):
  // a table file cut in half must still fail the lookups that need it, never answer "absent".
  for (const auto& e : fs::directory_iterator(store_ + "/gen-000001/index")) {
    if (e.path().extension() == ".sst") fs::resize_file(e.path(), fs::file_size(e.path()) / 2);
  }
  auto probed = CorpusStore::Open(store_, kProbed);
  if (!probed.ok()) {  // RocksDB reads the first few files' footers at open: refused, closed
    EXPECT_NE(probed.status().message().find("index"), std::string::npos)
        << probed.status().ToString();
    return;
  }
  size_t failed = 0;
  for (const NtHash& h : *present_) {
    auto r = (*probed)->Lookup(h);
    if (r.ok()) {
      ASSERT_TRUE(r->found);  // a hash in the intact first half is still found
    } else {
      ++failed;
    }
  }
  EXPECT_GT(failed, 0u);
}

TEST_F(FilterCheckTest, OlderStoreWithoutDigestsIsVerifiedInFullThenUpgradedByVerify) {
  // What a store written before range digests existed looks like.
  auto j = nlohmann::json::parse(*ReadFile(store_ + "/manifest.json"));
  j["filter"].erase("checksum");
  j["filter"].erase("ranges");
  j["filter"].erase("verified_at");
  ASSERT_TRUE(WriteFileAtomic(store_ + "/manifest.json", j.dump(), 0644).ok());
  fs::remove(RangesPath());
  // A cheap open falls back to hashing the whole filter: it still refuses bit rot anywhere.
  const std::string saved_filter = *ReadFile(FilterPath());
  FlipByte(FilterPath(), bloom::kHeaderSize + 7);
  EXPECT_EQ(CorpusStore::Open(store_, kProbed).status().code(), StatusCode::kCorruption);
  ASSERT_TRUE(WriteFileAtomic(FilterPath(), saved_filter, 0644).ok());
  ASSERT_TRUE(CorpusStore::Open(store_, kProbed).ok());
  // `corpus verify` writes the digests and records the checksum.
  auto v = VerifyStore(store_);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(v->ranges_written);
  EXPECT_EQ(LoadManifest(store_)->filter_checksum.size(), 64u);
  EXPECT_TRUE(fs::exists(RangesPath()));
  auto probed = CorpusStore::Open(store_, kProbed);
  ASSERT_TRUE(probed.ok()) << probed.status().ToString();
  std::vector<LookupResult> res;
  ASSERT_TRUE((*probed)->LookupBatch(*present_, &res).ok());
  for (const LookupResult& r : res) ASSERT_TRUE(r.found);
}

}  // namespace
}  // namespace credsweep::store
