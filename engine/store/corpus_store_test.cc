// The store end to end through its two contracts: ImportCorpus (write) and CorpusStore (read).
#include <gtest/gtest.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include <nlohmann/json.hpp>

#include "engine/base/file_util.h"
#include "engine/base/test_temp_dir.h"
#include "engine/store/corpus_import.h"
#include "engine/store/corpus_store.h"
#include "engine/store/internal/store_format.h"

namespace credsweep::store {
namespace {

namespace fs = std::filesystem;

std::string Hex(const NtHash& h) { return NtHashToHex(h); }

NtHash HashOf(uint64_t i) {
  NtHash h{};
  // Spread over the key space like real hashes: multiply by an odd constant.
  uint64_t a = i * 0x9E3779B97F4A7C15ULL, b = (i + 1) * 0xC2B2AE3D27D4EB4FULL;
  for (int k = 0; k < 8; ++k) {
    h[static_cast<size_t>(k)] = static_cast<uint8_t>(a >> (56 - 8 * k));
    h[static_cast<size_t>(8 + k)] = static_cast<uint8_t>(b >> (56 - 8 * k));
  }
  return h;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTestTempDir("cs_store");
    ASSERT_FALSE(dir_.empty());
    store_ = dir_ + "/store";
  }

  // A HIBP-style file of hashes [from, to) with count i % 100 + 1 (sorted when sorted=true).
  std::string HibpFile(const std::string& name, uint64_t from, uint64_t to, bool sorted,
                       uint64_t count_bias = 0) {
    std::vector<std::pair<std::string, uint64_t>> lines;
    for (uint64_t i = from; i < to; ++i) lines.emplace_back(Hex(HashOf(i)), i % 100 + 1 + count_bias);
    if (sorted) std::sort(lines.begin(), lines.end());
    std::string path = dir_ + "/" + name;
    std::ofstream out(path, std::ios::binary);
    for (const auto& [h, c] : lines) out << h << ":" << c << "\r\n";
    return path;
  }

  ImportOptions Opts(std::vector<std::string> paths, const std::string& source) {
    ImportOptions o;
    o.store = store_;
    o.paths = std::move(paths);
    o.source = source;
    o.version = "v1";
    o.keys_per_file = 1000;  // many SST files even for small tests
    o.sort_memory = 16 << 10;
    o.now = [] { return int64_t{1795000000}; };  // 2026-11-18
    return o;
  }

  std::unique_ptr<CorpusStore> OpenOrDie() {
    auto s = CorpusStore::Open(store_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  std::string dir_, store_;
};

TEST_F(StoreTest, SortedImportAnswersExactly) {
  auto r = ImportCorpus(Opts({HibpFile("h.txt", 0, 5000, true)}, "hibp"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->sorted_input);
  EXPECT_EQ(r->keys, 5000u);
  EXPECT_EQ(r->generation, 1u);
  auto st = OpenOrDie();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->info().keys, 5000u);
  EXPECT_LE(st->info().expected_fpr, 0.001);
  // Every imported hash is found with its count; 20 000 others are not (exactness: a filter
  // false positive must be answered "not found" by the index).
  std::vector<NtHash> q;
  for (uint64_t i = 0; i < 25000; ++i) q.push_back(HashOf(i));
  std::vector<LookupResult> res;
  ASSERT_TRUE(st->LookupBatch(q, &res).ok());
  ASSERT_EQ(res.size(), q.size());
  for (uint64_t i = 0; i < 25000; ++i) {
    if (i < 5000) {
      ASSERT_TRUE(res[i].found) << i;
      ASSERT_EQ(res[i].count, i % 100 + 1) << i;
      ASSERT_EQ(res[i].first_seen_month, 202611u);
    } else {
      ASSERT_FALSE(res[i].found) << i;
    }
  }
  auto one = st->Lookup(HashOf(42));
  ASSERT_TRUE(one.ok());
  EXPECT_TRUE(one->found);
  EXPECT_EQ(one->count, 43u);
  EXPECT_FALSE(st->Lookup(HashOf(999999))->found);
}

// Chunks ramp up from 256 Ki records and the last chunk is cut among the writers at bucket
// boundaries: 600 000 hashes make a first file of ~256 Ki and a last chunk of ~338 Ki in two
// pieces — three files, none overlapping, every hash exact, including those beside each cut.
TEST_F(StoreTest, ChunksRampUpAndTheLastIsSplitAmongTheWritersStayingExact) {
  ImportOptions o = Opts({HibpFile("h.txt", 0, 600000, true)}, "hibp");
  o.keys_per_file = size_t{4} << 20;
  o.writer_threads = 2;
  auto r = ImportCorpus(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->keys, 600000u);
  size_t tables = 0;
  for (const auto& e : fs::directory_iterator(IndexPath(store_, 1))) {
    tables += e.path().extension() == ".sst" ? 1 : 0;
  }
  EXPECT_EQ(tables, 4u);  // the three chunk files, and the flush of the index's metadata key
  auto st = OpenOrDie();
  ASSERT_TRUE(st);
  std::vector<NtHash> q;
  for (uint64_t i = 0; i < 610000; ++i) q.push_back(HashOf(i));
  std::vector<LookupResult> res;
  ASSERT_TRUE(st->LookupBatch(q, &res).ok());
  for (uint64_t i = 0; i < q.size(); ++i) {
    ASSERT_EQ(res[i].found, i < 600000) << i;
    if (i < 600000) {
      ASSERT_EQ(res[i].count, i % 100 + 1) << i;
    }
  }
}

TEST_F(StoreTest, UnsortedInputGoesThroughTheExternalSort) {
  // Sorted for a while (3000 lines written to SSTs), then out of order, with duplicates.
  std::string sorted = HibpFile("a.txt", 0, 3000, true);
  std::string path = dir_ + "/mixed.txt";
  {
    std::ifstream in(sorted, std::ios::binary);
    std::ofstream out(path, std::ios::binary);
    out << in.rdbuf();
    for (uint64_t i = 2500; i < 6000; ++i) out << Hex(HashOf(i)) << ":1\n";  // 500 repeats
  }
  auto r = ImportCorpus(Opts({path}, "mixed"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->sorted_input);
  EXPECT_EQ(r->keys, 6000u);
  auto st = OpenOrDie();
  for (uint64_t i : {0u, 2499u, 2500u, 2999u, 3000u, 5999u}) {
    auto l = st->Lookup(HashOf(i));
    ASSERT_TRUE(l.ok());
    ASSERT_TRUE(l->found) << i;
    uint64_t want = i < 2500 ? i % 100 + 1 : i < 3000 ? i % 100 + 2 : 1;
    EXPECT_EQ(l->count, want) << i;
  }
  EXPECT_FALSE(st->Lookup(HashOf(6000))->found);
}

TEST_F(StoreTest, PlaintextAndStdinStyleWordList) {
  std::string words = dir_ + "/words.txt";
  std::ofstream(words) << "password\nPassword1\npassword\n\xC3\xA9t\xC3\xA9\n";
  auto r = ImportCorpus(Opts({words}, "words"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->format, "plaintext");
  EXPECT_EQ(r->keys, 3u);
  auto st = OpenOrDie();
  auto l = st->Lookup(*NtHashOfUtf8("password"));
  ASSERT_TRUE(l.ok());
  EXPECT_TRUE(l->found);
  EXPECT_EQ(l->count, 2u);  // listed twice
  EXPECT_FALSE(st->Lookup(*NtHashOfUtf8("password2"))->found);
}

TEST_F(StoreTest, IncrementalImportAddsSourcesAndUpdatesVersions) {
  ASSERT_TRUE(ImportCorpus(Opts({HibpFile("v1.txt", 0, 3000, true)}, "hibp")).ok());
  // A second source overlapping [2000, 4000): counts add up across sources.
  auto o2 = Opts({HibpFile("other.txt", 2000, 4000, true, 1000)}, "leak2");
  o2.now = [] { return int64_t{1800000000}; };  // 2027-01
  auto r2 = ImportCorpus(o2);
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_EQ(r2->new_keys, 1000u);
  EXPECT_EQ(r2->keys, 4000u);
  EXPECT_EQ(r2->generation, 2u);
  {
    auto st = OpenOrDie();
    auto a = st->Lookup(HashOf(2500));
    EXPECT_EQ(a->count, (2500 % 100 + 1) * 2 + 1000);
    EXPECT_EQ(a->first_seen_month, 202611u);  // first seen in the first import
    auto b = st->Lookup(HashOf(3500));
    EXPECT_EQ(b->count, 3500 % 100 + 1 + 1000u);
    EXPECT_EQ(b->first_seen_month, 202701u);
    EXPECT_EQ(st->info().sources.size(), 2u);
  }
  // A new version of "hibp": its counts replace the old ones (bias 50), the other source stays.
  auto o3 = Opts({HibpFile("v2.txt", 0, 3500, true, 50)}, "hibp");
  o3.version = "v2";
  auto r3 = ImportCorpus(o3);
  ASSERT_TRUE(r3.ok()) << r3.status().ToString();
  EXPECT_EQ(r3->keys, 4000u);
  EXPECT_EQ(r3->new_keys, 0u);
  auto st = OpenOrDie();
  EXPECT_EQ(st->Lookup(HashOf(10))->count, 10 % 100 + 1 + 50u);
  EXPECT_EQ(st->Lookup(HashOf(2500))->count, (2500 % 100 + 1 + 50) + (2500 % 100 + 1 + 1000u));
  EXPECT_EQ(st->Lookup(HashOf(3999))->count, 3999 % 100 + 1 + 1000u);
  ASSERT_EQ(st->info().sources.size(), 2u);
  EXPECT_EQ(st->info().sources[0].name, "hibp");
  EXPECT_EQ(st->info().sources[0].version, "v2");
  EXPECT_EQ(st->info().sources[0].lines, 3500u);
  // Only the live generation is left on disk.
  EXPECT_TRUE(fs::exists(store_ + "/gen-000003"));
  EXPECT_FALSE(fs::exists(store_ + "/gen-000002"));
  EXPECT_FALSE(fs::exists(store_ + "/gen-000001"));
}

TEST_F(StoreTest, ManifestContents) {
  ASSERT_TRUE(ImportCorpus(Opts({HibpFile("h.txt", 0, 100, true)}, "hibp")).ok());
  auto text = ReadFile(store_ + "/manifest.json");
  ASSERT_TRUE(text.ok());
  auto j = nlohmann::json::parse(*text);
  EXPECT_EQ(j["format"], "credsweep-corpus-store");
  EXPECT_EQ(j["format_version"], 1);
  EXPECT_EQ(j["generation"], 1);
  EXPECT_EQ(j["key_type"], "ntlm");
  EXPECT_EQ(j["keys"], 100);
  EXPECT_EQ(j["filter"]["file"], "gen-000001/filter.csbf");
  EXPECT_EQ(j["filter"]["probes"], 10);
  EXPECT_EQ(j["index"]["dir"], "gen-000001/index");
  ASSERT_EQ(j["sources"].size(), 1u);
  EXPECT_EQ(j["sources"][0]["name"], "hibp");
  EXPECT_EQ(j["sources"][0]["version"], "v1");
  EXPECT_EQ(j["sources"][0]["lines"], 100);
  EXPECT_EQ(j["sources"][0]["imported_at"], "2026-11-18T11:06:40Z");
  EXPECT_EQ(j["sources"][0]["checksum"].get<std::string>().size(), 64u);
}

TEST_F(StoreTest, BadLineLeavesTheStoreUnchanged) {
  ASSERT_TRUE(ImportCorpus(Opts({HibpFile("h.txt", 0, 100, true)}, "hibp")).ok());
  auto before = ReadFile(store_ + "/manifest.json");
  std::string bad = dir_ + "/bad.txt";
  std::ofstream(bad) << Hex(HashOf(500)) << ":1\n" << Hex(HashOf(501)) << ":oops\n";
  auto r = ImportCorpus(Opts({bad}, "bad"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find(bad + ":2: "), std::string::npos) << r.status().message();
  EXPECT_EQ(*ReadFile(store_ + "/manifest.json"), *before);
  EXPECT_FALSE(fs::exists(store_ + "/gen-000002"));
  auto st = OpenOrDie();
  EXPECT_EQ(st->info().keys, 100u);
  EXPECT_FALSE(st->Lookup(HashOf(500))->found);
  // With skip_bad the good line goes in and the bad one is counted.
  auto o = Opts({bad}, "bad");
  o.skip_bad = true;
  auto r2 = ImportCorpus(o);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->bad_lines, 1u);
  EXPECT_TRUE(OpenOrDie()->Lookup(HashOf(500))->found);
}

TEST_F(StoreTest, LeftoverOfAKilledImportIsIgnoredThenRemoved) {
  ASSERT_TRUE(ImportCorpus(Opts({HibpFile("h.txt", 0, 100, true)}, "hibp")).ok());
  // What a kill -9 mid-import leaves: a generation directory nobody names.
  ASSERT_TRUE(MakeDirs(store_ + "/gen-000002/index").ok());
  std::ofstream(store_ + "/gen-000002/filter.csbf") << "half a filter";
  EXPECT_EQ(OpenOrDie()->info().keys, 100u);
  auto r = ImportCorpus(Opts({HibpFile("h2.txt", 100, 200, true)}, "more"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->generation, 2u);
  EXPECT_EQ(OpenOrDie()->info().keys, 200u);
}

TEST_F(StoreTest, SecondImportWhileLockedIsRefused) {
  ASSERT_TRUE(MakeDirs(store_).ok());
  int fd = ::open((store_ + "/LOCK").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  auto r = ImportCorpus(Opts({HibpFile("h.txt", 0, 10, true)}, "hibp"));
  ::close(fd);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("another import"), std::string::npos);
}

TEST_F(StoreTest, MissingStoreIsNotFound) {
  auto s = CorpusStore::Open(dir_ + "/nothing");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
  EXPECT_NE(s.status().message().find("corpus import"), std::string::npos);
}

TEST_F(StoreTest, CorruptStoresFailClosedNamingTheFile) {
  ASSERT_TRUE(ImportCorpus(Opts({HibpFile("h.txt", 0, 2000, true)}, "hibp")).ok());
  const std::string manifest = store_ + "/manifest.json";
  const std::string filter = store_ + "/gen-000001/filter.csbf";
  const std::string saved_manifest = *ReadFile(manifest);
  const std::string saved_filter = *ReadFile(filter);
  auto expect_corrupt = [&](const std::string& what, const std::string& names) {
    auto s = CorpusStore::Open(store_);
    ASSERT_FALSE(s.ok()) << what;
    EXPECT_EQ(s.status().code(), StatusCode::kCorruption) << what << ": " << s.status().ToString();
    EXPECT_NE(s.status().message().find(names), std::string::npos) << s.status().message();
  };
  std::ofstream(manifest) << "{ not json";
  expect_corrupt("garbage manifest", "manifest.json");
  std::ofstream(manifest) << saved_manifest.substr(0, saved_manifest.size() / 2);
  expect_corrupt("truncated manifest", "manifest.json");
  ASSERT_TRUE(WriteFileAtomic(manifest, saved_manifest).ok());

  std::string flipped = saved_filter;
  flipped[flipped.size() - 10] ^= 0x40;
  std::ofstream(filter, std::ios::binary) << flipped;
  expect_corrupt("flipped filter bit", "filter.csbf");
  std::ofstream(filter, std::ios::binary) << saved_filter.substr(0, 5000);
  expect_corrupt("truncated filter", "filter.csbf");
  fs::remove(filter);
  expect_corrupt("missing filter", "filter.csbf");
  std::ofstream(filter, std::ios::binary) << saved_filter;
  ASSERT_TRUE(OpenOrDie());

  // A manifest whose key count disagrees with the filter.
  auto j = nlohmann::json::parse(saved_manifest);
  j["keys"] = 1999;
  ASSERT_TRUE(WriteFileAtomic(manifest, j.dump()).ok());
  expect_corrupt("key count mismatch", "filter.csbf");
  ASSERT_TRUE(WriteFileAtomic(manifest, saved_manifest).ok());

  // Index: a truncated table file, then a missing CURRENT.
  for (const auto& e : fs::directory_iterator(store_ + "/gen-000001/index")) {
    if (e.path().extension() == ".sst") {
      fs::resize_file(e.path(), fs::file_size(e.path()) / 2);
      break;
    }
  }
  expect_corrupt("truncated SST", "index");
  fs::remove(store_ + "/gen-000001/index/CURRENT");
  expect_corrupt("missing CURRENT", "index");
}

TEST_F(StoreTest, HashesSharingABucketAreExactAcrossImports) {
  // 300 hashes in one 3-byte bucket (and 300 in the next), imported in two sources whose
  // buckets must be merged; lookups of hashes in the same bucket in one batch (one MultiGet
  // holding the same key many times) answer each exactly.
  auto in_bucket = [](uint64_t i) {
    NtHash h = HashOf(i);
    h[0] = 0xAB;
    h[1] = 0xCD;
    h[2] = static_cast<uint8_t>(0xE0 + i % 2);
    return h;
  };
  auto write = [&](const std::string& name, uint64_t from, uint64_t to, uint64_t count) {
    std::vector<std::string> lines;
    for (uint64_t i = from; i < to; ++i) lines.push_back(Hex(in_bucket(i)));
    std::sort(lines.begin(), lines.end());
    std::string path = dir_ + "/" + name;
    std::ofstream out(path, std::ios::binary);
    for (const std::string& l : lines) out << l << ":" << count << "\n";
    return path;
  };
  auto o = Opts({write("a.txt", 0, 600, 7)}, "a");
  o.keys_per_file = 50;  // chunks end at bucket boundaries, not inside a bucket
  ASSERT_TRUE(ImportCorpus(o).ok());
  auto r = ImportCorpus(Opts({write("b.txt", 300, 900, 2)}, "b"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->new_keys, 300u);
  EXPECT_EQ(r->keys, 900u);
  auto st = OpenOrDie();
  std::vector<NtHash> q;
  for (uint64_t i = 0; i < 1000; ++i) q.push_back(in_bucket(i));
  std::vector<LookupResult> res;
  ASSERT_TRUE(st->LookupBatch(q, &res).ok());
  for (uint64_t i = 0; i < 1000; ++i) {
    const uint64_t want = (i < 600 ? 7 : 0) + (i >= 300 && i < 900 ? 2 : 0);
    ASSERT_EQ(res[i].found, want > 0) << i;
    ASSERT_EQ(res[i].count, want) << i;
    ASSERT_EQ(st->Lookup(q[i])->count, want) << i;
  }
}

TEST_F(StoreTest, OlderIndexFormatAsksForReimport) {
  ASSERT_TRUE(ImportCorpus(Opts({HibpFile("h.txt", 0, 100, true)}, "hibp")).ok());
  auto j = nlohmann::json::parse(*ReadFile(store_ + "/manifest.json"));
  j["index"]["value_format"] = 1;  // a store written before the bucketed layout
  ASSERT_TRUE(WriteFileAtomic(store_ + "/manifest.json", j.dump()).ok());
  auto s = CorpusStore::Open(store_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kCorruption);
  EXPECT_NE(s.status().message().find("re-import"), std::string::npos) << s.status().message();
  auto r = ImportCorpus(Opts({HibpFile("h2.txt", 100, 200, true)}, "more"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("re-import"), std::string::npos) << r.status().message();
}

// The bucket encoding (store_format.h, value_format 2) is pinned byte for byte: a change to it
// makes every existing store unreadable, so it must come with a new value_format.
TEST(BucketTest, GoldenBytesRoundTripAndRejects) {
  uint8_t a[kSuffixBytes], b[kSuffixBytes];
  for (size_t i = 0; i < kSuffixBytes; ++i) {
    a[i] = static_cast<uint8_t>(i);
    b[i] = static_cast<uint8_t>(0xF0 + i);
  }
  BucketEncoder enc;
  const SourceCount one[] = {{1, 300}};
  const SourceCount two[] = {{1, 5}, {3, uint64_t{1} << 40}};
  enc.Add(a, 202612, one);  // months since 2000-01: 323
  enc.Add(b, 202611, two);  // 322: the base month
  std::string v;
  enc.Finish(&v);
  const std::string golden =
      "02"                          // value_format 2
      "02"                          // two hashes
      "c202"                        // base month 322
      "000102030405060708090a0b0c"  // suffix a
      "f0f1f2f3f4f5f6f7f8f9fafbfc"  // suffix b
      "02" "01" "ac02"              // a: month +1, one source: id 1, count 300
      "01" "02" "01" "05" "03" "8080808080" "20";  // b: month +0, multi, 2 sources
  std::string hex;
  for (unsigned char c : v) {
    char buf[3];
    std::snprintf(buf, sizeof buf, "%02x", c);
    hex += buf;
  }
  EXPECT_EQ(hex, golden);

  BucketView view;
  ASSERT_TRUE(view.Parse(v));
  ASSERT_EQ(view.size(), 2u);
  EXPECT_EQ(view.Find(a), 0u);
  EXPECT_EQ(view.Find(b), 1u);
  uint8_t c[kSuffixBytes] = {};
  c[0] = 0x80;
  EXPECT_EQ(view.Find(c), 2u);  // absent
  uint64_t total;
  uint32_t month;
  ASSERT_TRUE(view.Total(1, &total, &month));
  EXPECT_EQ(total, 5 + (uint64_t{1} << 40));
  EXPECT_EQ(month, 202611u);
  ASSERT_TRUE(view.Total(0, &total, &month));
  EXPECT_EQ(total, 300u);
  EXPECT_EQ(month, 202612u);
  std::vector<IndexValue> all;
  ASSERT_TRUE(view.DecodeAll(&all));
  ASSERT_EQ(all.size(), 2u);
  ASSERT_EQ(all[1].sources.size(), 2u);
  EXPECT_EQ(all[1].sources[1].source_id, 3u);
  EXPECT_EQ(all[1].TotalCount(), 5 + (uint64_t{1} << 40));

  // Truncated, empty, wrong format byte (value_format 1), unsorted suffixes.
  EXPECT_FALSE(view.Parse(v.substr(0, 20)));
  EXPECT_FALSE(view.Parse(""));
  EXPECT_FALSE(view.Parse(std::string("\x01", 1) + v.substr(1)));
  std::string swapped = v;
  std::swap_ranges(swapped.begin() + 4, swapped.begin() + 4 + kSuffixBytes,
                   swapped.begin() + 4 + kSuffixBytes);
  EXPECT_FALSE(view.Parse(swapped));
  ASSERT_TRUE(view.Parse(v.substr(0, v.size() - 3)));  // the suffixes are intact ...
  EXPECT_FALSE(view.DecodeAll(&all));                  // ... the values are not
}

}  // namespace
}  // namespace credsweep::store
