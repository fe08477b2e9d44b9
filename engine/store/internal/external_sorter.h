// ExternalSorter: sorts and de-duplicates (NT hash, count) records in bounded memory.
//
// Unsorted inputs (word lists, hash lists, a HIBP file that turns out not to be sorted) pass
// through here before the index writer, which needs strictly increasing keys. Records are
// gathered in a buffer of memory_budget bytes; a full buffer is sorted, duplicates are merged
// (counts summed, saturating), and written to a run file in temp_dir. Finish() merges the runs
// with a heap (multi-pass when there are more than kMaxFanIn) and emits sorted, distinct records
// in batches. When everything fits in the budget no file is written.
//
// Memory: at most memory_budget bytes of records plus one read buffer per run during the merge
// (the budget is divided among them). Disk: 24 bytes per distinct record per run.
// Run files are raw 24-byte records (16-byte hash, u64 count, host endian): private scratch,
// deleted by Finish() and by the destructor; never a persisted format.
//
// Thread-safety: one thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "connectors/corpus/corpus_reader.h"
#include "engine/base/status.h"

namespace credsweep::store {

using corpus::CorpusRecord;
using corpus::RecordSink;

class ExternalSorter {
 public:
  static constexpr size_t kMaxFanIn = 128;
  // Default budget 512 MiB: ~22 M records per run, so 1e9 keys make ~45 runs.
  static constexpr size_t kDefaultBudget = size_t{512} << 20;

  // temp_dir must exist; run files are named temp_dir/run-N.
  ExternalSorter(std::string temp_dir, size_t memory_budget = kDefaultBudget);
  ~ExternalSorter();
  ExternalSorter(const ExternalSorter&) = delete;
  ExternalSorter& operator=(const ExternalSorter&) = delete;

  [[nodiscard]] Status Add(std::span<const CorpusRecord> records);
  // Emits every distinct record once, in increasing hash order. Call once.
  [[nodiscard]] Status Finish(const RecordSink& sink);

  size_t runs_written() const { return runs_written_; }

 private:
  Status SpillBuffer();
  Status MergeRuns(const std::vector<std::string>& runs, const RecordSink& sink);
  std::string temp_dir_;
  size_t capacity_;  // records
  std::vector<CorpusRecord> buffer_;
  std::vector<std::string> runs_;
  size_t runs_written_ = 0;
};

// Sorts records in place by hash and merges equal hashes (counts summed, saturating).
// Returns the new size.
size_t SortAndMergeRecords(CorpusRecord* records, size_t n);

}  // namespace credsweep::store
