#include "engine/store/internal/external_sorter.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <random>

#include "engine/base/test_temp_dir.h"

namespace credsweep::store {
namespace {

class ExternalSorterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTestTempDir("cs_sorter");
    ASSERT_FALSE(dir_.empty());
  }
  std::string dir_;
};

NtHash RandomHash(std::mt19937_64& rng, uint64_t universe) {
  // A small universe makes many duplicates, across runs as well as within one.
  uint64_t v = rng() % universe;
  NtHash h{};
  for (int i = 0; i < 8; ++i) h[static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * (7 - i)));
  h[15] = static_cast<uint8_t>(v * 31);
  return h;
}

TEST_F(ExternalSorterTest, TinyBudgetManyRunsSameAnswerAsAMap) {
  std::mt19937_64 rng(7);
  std::map<std::string, uint64_t> expect;  // byte order == memcmp order
  // 4 KiB budget = 170 records per run; 60 000 records -> ~350 runs, so the multi-pass merge
  // (kMaxFanIn = 128) runs too.
  ExternalSorter sorter(dir_, 4096);
  std::vector<CorpusRecord> batch;
  for (int i = 0; i < 60000; ++i) {
    CorpusRecord r{RandomHash(rng, 20000), static_cast<uint64_t>(i % 5 + 1)};
    expect[std::string(reinterpret_cast<const char*>(r.hash.data()), 16)] += r.count;
    batch.push_back(r);
    if (batch.size() == 1000) {
      ASSERT_TRUE(sorter.Add(batch).ok());
      batch.clear();
    }
  }
  ASSERT_TRUE(sorter.Add(batch).ok());
  std::vector<CorpusRecord> got;
  ASSERT_TRUE(sorter
                  .Finish([&got](std::span<const CorpusRecord> b) {
                    got.insert(got.end(), b.begin(), b.end());
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_GT(sorter.runs_written(), ExternalSorter::kMaxFanIn);
  ASSERT_EQ(got.size(), expect.size());
  size_t i = 0;
  for (const auto& [key, count] : expect) {
    ASSERT_EQ(std::memcmp(got[i].hash.data(), key.data(), 16), 0) << "at " << i;
    ASSERT_EQ(got[i].count, count) << "at " << i;
    ++i;
  }
  // Run files are scratch: nothing is left behind.
  EXPECT_TRUE(std::filesystem::is_empty(dir_));
}

TEST_F(ExternalSorterTest, FitsInMemoryWritesNoFile) {
  ExternalSorter sorter(dir_, 1 << 20);
  std::mt19937_64 rng(1);
  std::vector<CorpusRecord> batch;
  for (int i = 0; i < 1000; ++i) batch.push_back({RandomHash(rng, 1u << 30), 1});
  ASSERT_TRUE(sorter.Add(batch).ok());
  size_t n = 0;
  NtHash last{};
  ASSERT_TRUE(sorter
                  .Finish([&](std::span<const CorpusRecord> b) {
                    for (const CorpusRecord& r : b) {
                      if (n > 0) {
                        EXPECT_LT(std::memcmp(last.data(), r.hash.data(), 16), 0);
                      }
                      last = r.hash;
                      ++n;
                    }
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(sorter.runs_written(), 0u);
  EXPECT_EQ(n, 1000u);
}

TEST_F(ExternalSorterTest, CountsSaturateInsteadOfWrapping) {
  CorpusRecord a[2] = {{NtHash{}, UINT64_MAX - 1}, {NtHash{}, 5}};
  EXPECT_EQ(SortAndMergeRecords(a, 2), 1u);
  EXPECT_EQ(a[0].count, UINT64_MAX);
}

}  // namespace
}  // namespace credsweep::store
