// The one place the index's rocksdb::Options are set (writers, the store's readers, benches).
//
// Every index: no compression (random 16-byte keys and their packed buckets do not compress;
// DESIGN.md "Engineering notes"), no RocksDB Bloom filter (ours sits in front), errors-only info
// log, every table file kept open from Open() on (a concurrent import that retires a
// generation unlinks its files after committing the next and cannot pull them from under an
// open store).
//   kWrite  import: SstFileWriter, SstFileReader, the read-write DB of the generation being
//           built (create_if_missing is the caller's choice).
//   kRead   the store opened for many lookups behind the filter (`corpus check`, a full open):
//           table files through mmap, so a positive's data block is a page-cache hit without
//           a pread(2) per lookup (measured in bench/e2e_compare.sh); paranoid checks on open.
//   kProbe  the store opened for a few lookups (check-password: kProbedRanges with
//           LookupVolume::kFew): as kRead, but table files are opened on demand and nothing
//           is cached, so one lookup reads one table's index block and one data block
//           whatever the store's size; RocksDB's open skips its size check of every table
//           file and its statistics load (a missing file is still refused at open, a cut one
//           when a lookup reads it: footer and block checksums). A concurrent import retiring
//           this generation can then fail a lookup (its table file is gone): an error, so
//           check-password fails closed and the user retries.
//   kDirect  the store opened for lookups without the filter in front (kIndexOnly; the
//           audit's kBatchRanges, whose filter positives and small batches come here): every
//           table file kept open as kRead, but read with pread(2) into one 4 MiB LRU block
//           cache that also holds the table files' index blocks, so the process's memory does
//           not grow with the blocks it touched (with mmap reads 100 000 lookups would map
//           ~400 MB of table pages into the audit's RSS) nor with the store: kept in each
//           open table reader, as kRead does, the index blocks cost ~50 MiB at 1e9 keys (244
//           table files), loaded at open whether a lookup needs them or not.
#pragma once

namespace rocksdb {
struct Options;
}  // namespace rocksdb

namespace credsweep::store {

enum class IndexUse { kWrite, kRead, kProbe, kDirect };

rocksdb::Options IndexOptions(IndexUse use);

}  // namespace credsweep::store
