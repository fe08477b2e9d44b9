// PrefetchedStore: answers for the prefetched hashes come from the one batch made at Create()
// or Start();
// anything else is asked of the underlying store, and its errors come through unchanged.
#include "engine/audit/prefetched_store.h"

#include <gtest/gtest.h>

#include <map>
#include <thread>
#include <vector>

namespace credsweep {
namespace {

NtHash H(uint8_t first, uint8_t last) {
  NtHash h{};
  h[0] = first;
  h[15] = last;
  return h;
}

// An in-memory store that counts what it is asked and can be told to fail.
class CountingStore final : public CorpusStore {
 public:
  std::map<NtHash, uint64_t> counts;
  mutable size_t hashes_asked = 0;
  bool fail = false;

  CountingStore() {
    info_.key_type = "ntlm";
    info_.keys = 3;
  }
  const StoreInfo& info() const override { return info_; }
  Result<LookupResult> Lookup(const NtHash& hash) const override {
    std::vector<LookupResult> out;
    CS_RETURN_IF_ERROR(LookupBatch(std::span<const NtHash>(&hash, 1), &out));
    return out[0];
  }
  Status LookupBatch(std::span<const NtHash> hashes,
                     std::vector<LookupResult>* out) const override {
    if (fail) return Status::Corruption("index/000012.sst: block checksum mismatch");
    hashes_asked += hashes.size();
    out->assign(hashes.size(), LookupResult{});
    for (size_t i = 0; i < hashes.size(); ++i) {
      if (auto it = counts.find(hashes[i]); it != counts.end()) {
        (*out)[i] = {true, it->second, 202611};
      }
    }
    return Status::Ok();
  }

 private:
  StoreInfo info_;
};

TEST(PrefetchedStoreTest, AnswersLikeTheStoreAndAsksItOnlyForWhatWasNotPrefetched) {
  CountingStore store;
  store.counts = {{H(1, 1), 5}, {H(2, 2), 70000}, {H(9, 9), 12}};
  // Duplicates in the prefetch are looked up once.
  const std::vector<NtHash> ahead = {H(2, 2), H(3, 3), H(1, 1), H(2, 2)};
  auto p = PrefetchedStore::Create(&store, ahead);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(store.hashes_asked, 3u);
  EXPECT_EQ((*p)->info().keys, 3u);

  const std::vector<NtHash> asked = {H(1, 1), H(3, 3), H(9, 9), H(2, 2), H(4, 4)};
  std::vector<LookupResult> got;
  ASSERT_TRUE((*p)->LookupBatch(asked, &got).ok());
  ASSERT_EQ(got.size(), asked.size());
  EXPECT_TRUE(got[0].found);
  EXPECT_EQ(got[0].count, 5u);
  EXPECT_FALSE(got[1].found);
  EXPECT_TRUE(got[2].found);  // not prefetched: asked of the store
  EXPECT_EQ(got[2].count, 12u);
  EXPECT_EQ(got[3].count, 70000u);
  EXPECT_FALSE(got[4].found);
  EXPECT_EQ(store.hashes_asked, 3u + 2u);  // only H(9,9) and H(4,4) went to the store

  auto one = (*p)->Lookup(H(2, 2));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->count, 70000u);
  EXPECT_EQ(store.hashes_asked, 5u);
  auto other = (*p)->Lookup(H(9, 9));
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->found);
  EXPECT_EQ(store.hashes_asked, 6u);
}

TEST(PrefetchedStoreTest, StoreErrorsFailClosed) {
  CountingStore store;
  store.fail = true;
  const std::vector<NtHash> ahead = {H(1, 1)};
  auto p = PrefetchedStore::Create(&store, ahead);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kCorruption);

  store.fail = false;
  auto q = PrefetchedStore::Create(&store, ahead);
  ASSERT_TRUE(q.ok());
  store.fail = true;
  std::vector<LookupResult> got;
  // A prefetched hash is answered; one that needs the (now failing) store is an error.
  ASSERT_TRUE((*q)->LookupBatch(ahead, &got).ok());
  const std::vector<NtHash> mixed = {H(1, 1), H(7, 7)};
  EXPECT_EQ((*q)->LookupBatch(mixed, &got).code(), StatusCode::kCorruption);
  EXPECT_EQ((*q)->Lookup(H(7, 7)).status().code(), StatusCode::kCorruption);
}

// Start returns before the lookup is known; its failure then fails every lookup, from any
// number of threads, even of hashes it never held — never an empty "not leaked" answer.
TEST(PrefetchedStoreTest, AStartedPrefetchThatFailsFailsEveryLookup) {
  CountingStore store;
  store.fail = true;
  const std::vector<NtHash> ahead = {H(1, 1), H(2, 2)};
  auto p = PrefetchedStore::Start(&store, ahead);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  std::vector<Status> seen(4);
  std::vector<std::thread> askers;
  for (size_t t = 0; t < seen.size(); ++t) {
    askers.emplace_back([&, t] {
      std::vector<LookupResult> got;
      seen[t] = t % 2 ? (*p)->Lookup(H(1, 1)).status() : (*p)->LookupBatch(ahead, &got);
    });
  }
  for (std::thread& a : askers) a.join();
  for (const Status& s : seen) EXPECT_EQ(s.code(), StatusCode::kCorruption);
}

TEST(PrefetchedStoreTest, AStartedPrefetchAnswersOnceItIsDone) {
  CountingStore store;
  const std::vector<NtHash> ahead = {H(1, 1), H(2, 2), H(1, 1)};
  auto p = PrefetchedStore::Start(&store, ahead);
  ASSERT_TRUE(p.ok());
  std::vector<LookupResult> got;
  ASSERT_TRUE((*p)->LookupBatch(ahead, &got).ok());
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].found, got[2].found);
  EXPECT_EQ(store.hashes_asked, 2u);  // the two distinct hashes, once, by the prefetch
}

}  // namespace
}  // namespace credsweep
