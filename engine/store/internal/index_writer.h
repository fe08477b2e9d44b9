// SortedIndexWriter: turns a strictly increasing stream of (hash, count) records into RocksDB
// SST files ready for IngestExternalFile, on background threads. Each file holds whole buckets
// (store_format.h, value_format 2: one entry per 3-byte hash prefix), so a chunk of records
// ends at a bucket boundary (keys_per_file plus the rest of the last bucket).
//
// Why this shape: RocksDB's SstFileWriter is the import's ceiling (DESIGN.md: ~4.1 M keys/s per
// thread here with no RocksDB Bloom filter and no compression), so the caller's thread only
// parses and appends records to a chunk; full chunks (keys_per_file records — the first ones
// smaller, 256 Ki doubling up to it — and the last one cut among the writers; one contiguous key
// range each) go through a bounded queue to `threads` writers, each writing whole SST files.
// Files never overlap, so one IngestExternalFile call places them all at the lowest free level.
// Memory is bounded by (threads + queue_depth + 1) chunks of 24-byte records.
//
// Incremental merge: with `existing` set (the index of the generation being extended), every
// bucket the input touches is rewritten whole: its old hashes merged with the new records in
// one sorted pass — for a hash in both, this source's count is replaced by the new one, other
// sources' counts and the first-seen month are kept; old hashes the input does not list are
// copied. The writers walk `existing` with one iterator per chunk, stepping with Next() and
// falling back to Seek() when the gap is large, so a small word list costs a few Seeks (and
// rewrites a few buckets) and a full HIBP update costs one sequential scan of the old index.
//
// The Bloom filter is not the writer's business: the importer adds keys on its own thread
// (non-atomic FilterBuilder::AddBatch is about 10 locked instructions per key cheaper than
// AddBatchConcurrent from the writers, measured ~15 % of the import's CPU).
//
// Thread-safety: Add/Finish/Abort from one thread; the writers are internal.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "connectors/corpus/corpus_reader.h"
#include "engine/base/status.h"

namespace rocksdb {
class DB;
}  // namespace rocksdb

namespace credsweep::store {

struct IndexWriterOptions {
  std::string sst_dir;                     // must exist; files chunk-NNNNNN.sst
  rocksdb::DB* existing = nullptr;         // merge with this index; null for a fresh store
  uint32_t source_id = 1;
  uint32_t month = 0;                      // YYYYMM recorded as first-seen for new keys
  size_t keys_per_file = size_t{4} << 20;  // ~80-100 MB SST files (corpus_import.h says why)
  int threads = 2;
  size_t queue_depth = 2;
};

struct IndexWriterSummary {
  std::vector<std::string> files;  // in key order, non-overlapping
  uint64_t keys = 0;               // records written
  uint64_t new_keys = 0;           // records whose hash was not in `existing`
};


class SortedIndexWriter {
 public:
  [[nodiscard]] static Result<std::unique_ptr<SortedIndexWriter>> Create(
      const IndexWriterOptions& options);
  ~SortedIndexWriter();  // Abort()s if Finish() was not called

  // REQUIRES: hashes strictly increasing across all calls (the caller checks).
  [[nodiscard]] Status Add(std::span<const corpus::CorpusRecord> records);
  // Flushes the last chunk, waits for the writers, returns the files.
  [[nodiscard]] Result<IndexWriterSummary> Finish();
  // Stops the writers and deletes every file written.
  void Abort();

  class Impl;

 private:
  explicit SortedIndexWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace credsweep::store
