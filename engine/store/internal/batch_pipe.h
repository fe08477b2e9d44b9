// BatchPipe: hands record batches from the reading thread to one consumer thread, in order,
// through a bounded queue — the import's split of "read + parse" from "route + filter insert".
//
// Why: an import is a chain of stages — read and parse the text, route the records (order
// check, duplicate merge) and add them to the Bloom filter, write SST files. The SST writers
// already have their own threads (index_writer.h); before this pipe the reading thread did both
// of the first two stages and was the bottleneck (perf: parse ~35 %, filter insertion ~35 % of
// its time; at 10⁹ keys every filter insertion is a cache miss into a 2 GB array), so the two
// cores were 130–150 % busy. With the pipe the reading thread only parses and copies each batch
// into a free buffer; the consumer thread routes and inserts.
//
// Memory: `depth` buffers of at most corpus::kRecordBatch records (24 bytes each), reused.
// Errors: the first error the consumer returns is kept; the consumer is not called again, the
// next Push returns that error (so the reader stops), and Close returns it. A Push after an
// error or after Close does nothing but return the error.
//
// Thread-safety: Push and Close from one producer thread; the consumer runs on the pipe's own
// thread. The destructor closes (and drops any error): call Close to see it.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "connectors/corpus/corpus_reader.h"
#include "engine/base/status.h"

namespace credsweep::store {

class BatchPipe {
 public:
  explicit BatchPipe(corpus::RecordSink consumer, size_t depth = 8);
  ~BatchPipe();
  BatchPipe(const BatchPipe&) = delete;
  BatchPipe& operator=(const BatchPipe&) = delete;

  // Copies `records` into a free buffer (waits while all `depth` are queued) and queues it.
  [[nodiscard]] Status Push(std::span<const corpus::CorpusRecord> records);
  // Waits until the consumer has taken every queued batch; returns its first error, if any.
  [[nodiscard]] Status Close();

 private:
  void Run();

  corpus::RecordSink consumer_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::vector<corpus::CorpusRecord>> queued_;  // guarded by mu_
  std::vector<std::vector<corpus::CorpusRecord>> free_;   // guarded by mu_
  size_t depth_;
  bool closing_ = false;  // guarded by mu_
  Status error_;          // guarded by mu_
  std::thread thread_;
};

}  // namespace credsweep::store
