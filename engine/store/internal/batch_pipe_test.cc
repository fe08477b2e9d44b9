#include "engine/store/internal/batch_pipe.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace credsweep::store {
namespace {

using corpus::CorpusRecord;

std::vector<CorpusRecord> Batch(uint64_t first, size_t n) {
  std::vector<CorpusRecord> b(n);
  for (size_t i = 0; i < n; ++i) b[i].count = first + i;
  return b;
}

TEST(BatchPipeTest, EveryRecordArrivesOnceInOrderOnAnotherThread) {
  std::vector<uint64_t> seen;
  std::thread::id consumer_thread;
  BatchPipe pipe(
      [&](std::span<const CorpusRecord> b) {
        consumer_thread = std::this_thread::get_id();
        for (const CorpusRecord& r : b) seen.push_back(r.count);
        return Status::Ok();
      },
      2);
  uint64_t next = 0;
  for (int i = 0; i < 500; ++i) {
    const size_t n = static_cast<size_t>(1 + (i * 37) % 300);
    ASSERT_TRUE(pipe.Push(Batch(next, n)).ok());
    next += n;
  }
  ASSERT_TRUE(pipe.Close().ok());
  ASSERT_EQ(seen.size(), next);
  for (uint64_t i = 0; i < next; ++i) ASSERT_EQ(seen[i], i);
  EXPECT_NE(consumer_thread, std::this_thread::get_id());
}

TEST(BatchPipeTest, TheConsumersErrorStopsTheProducerAndIsReturned) {
  std::atomic<int> calls{0};
  BatchPipe pipe(
      [&](std::span<const CorpusRecord>) {
        return ++calls == 3 ? Status::Corruption("input is not sorted") : Status::Ok();
      },
      1);
  Status pushed;
  int pushes = 0;
  while (pushed.ok() && pushes < 1000) {
    pushed = pipe.Push(Batch(0, 10));
    ++pushes;
  }
  // The reader learns of the error within a queue's depth of batches, not at the end.
  EXPECT_FALSE(pushed.ok());
  EXPECT_LT(pushes, 10);
  Status closed = pipe.Close();
  EXPECT_EQ(closed.code(), StatusCode::kCorruption);
  EXPECT_EQ(closed.message(), "input is not sorted");
  EXPECT_EQ(calls.load(), 3);  // never called again after its error
}

TEST(BatchPipeTest, ASlowConsumerBoundsTheQueue) {
  std::atomic<int> in_flight{0};
  std::atomic<int> max_in_flight{0};
  BatchPipe pipe(
      [&](std::span<const CorpusRecord>) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        --in_flight;
        return Status::Ok();
      },
      3);
  for (int i = 0; i < 30; ++i) {
    int now = ++in_flight;
    if (now > max_in_flight) max_in_flight = now;
    ASSERT_TRUE(pipe.Push(Batch(0, 1)).ok());
  }
  ASSERT_TRUE(pipe.Close().ok());
  // depth queued + the one being consumed + the one being pushed.
  EXPECT_LE(max_in_flight.load(), 5);
  EXPECT_EQ(in_flight.load(), 0);
}

}  // namespace
}  // namespace credsweep::store
