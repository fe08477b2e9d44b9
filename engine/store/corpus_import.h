// Corpus import: the write side of the store (the read side is corpus_store.h).
//
//   ImportOptions o{.store = "/var/lib/credsweep/store", .paths = {"pwned-passwords-ntlm.txt"},
//                   .source = "hibp", .version = "v8"};
//   CS_ASSIGN_OR_RETURN(ImportReport r, ImportCorpus(o));
//
// Pipeline. The calling thread reads and parses (corpus_reader.h); records that arrive in
// strictly increasing order (HIBP files and prefix folders are sorted; equal neighbours are
// merged) go straight to SortedIndexWriter, whose two threads write non-overlapping SST files
// (index_writer.h). The first out-of-order record switches to ExternalSorter: the SST files
// written so far are read back as records, the rest of the input is sorted in bounded memory
// (sort_memory), and the merged run feeds a fresh SortedIndexWriter. So sorted input costs one
// pass and unsorted input (word lists, `-` on stdin included) costs one extra sort, with no
// need to know in advance which it is.
//
// Crash safety (a kill -9 at any moment leaves the previous store answering exactly as before):
// an import never writes into the live generation. It builds generation N+1 in STORE/gen-N+1:
//   1. index: every table file of generation N is hard-linked (not copied: for 1e9 keys, ~30 GB
//      in ~250 files, the "copy" is 250 link(2) calls, milliseconds) and its small metadata
//      files (CURRENT, MANIFEST, OPTIONS) copied, then the copy is opened read-write and the
//      new SST files are ingested with move_files. Table files are immutable, so sharing them
//      cannot change generation N; compactions in N+1 only drop N+1's links.
//   2. filter: written to gen-N+1/filter.csbf (fsync + rename).
//   3. commit: manifest.json naming N+1 replaces the old one atomically (write, fsync, rename,
//      fsync dir). Before this rename readers open N; after it, N+1. Nothing else is a commit.
//   4. generation N's directory is removed (readers that have it open keep their open files).
// A killed import leaves a gen-N+1 directory that no manifest names; the next import removes
// it and starts over. A failed import (bad line, I/O error) removes it at once.
// One import at a time: flock(2) on STORE/LOCK, taken without waiting (kFailedPrecondition
// when held); the kernel drops it when the process dies, so a kill -9 leaves no stale lock.
//
// Incremental import. Each source has a stable id in the manifest. Importing a source name that
// exists is a new version of it: for every hash it lists, its count replaces that source's old
// count (other sources' counts and the first-seen month stay); hashes new to the store are
// added. Importing a new name adds a source. Old inputs are never re-read: the old values come
// from the index itself. A hash that an older version listed and the new version does not keeps
// the old count (HIBP releases are cumulative, so this does not arise there).
//
// Filter: rebuilt, never extended. A blocked Bloom filter is sized for its key count; adding
// keys past that raises the false-positive rate above the 0.1 % target, and keeping headroom
// costs memory in every reader. So the first import of a store adds keys to a filter while
// writing (sized from the input size, when known and close enough); every other case rebuilds
// the filter from a scan of the finished index, sized exactly (two threads, each half the key
// space). Measured cost: see README ("corpus store" figures).
//
// Diagnostics: with CREDSWEEP_IMPORT_TRACE set in the environment, the phases (read+parse done,
// writers done, ingested, flushed, filter ready, written) are timed on stderr.
//
// Failure policy: any error (malformed line without skip_bad, I/O, refused format) leaves the
// store unchanged and returns the error; kInvalidArgument for bad input ("FILE:LINE: ..."),
// kFailedPrecondition for a held lock, kCorruption when the existing store is damaged (an
// import does not build on a store it cannot trust: remove the store and re-import).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "connectors/corpus/corpus_reader.h"
#include "engine/base/status.h"

namespace credsweep::store {

struct ImportProgress {
  uint64_t bytes = 0;        // input bytes read so far
  uint64_t total_bytes = 0;  // 0 when unknown (stdin)
  uint64_t records = 0;      // records parsed so far
  double seconds = 0;        // since the import started
};

struct ImportOptions {
  std::string store;
  std::vector<std::string> paths;  // files, prefix folders, "-" for stdin
  corpus::CorpusFormat format = corpus::CorpusFormat::kAuto;
  std::string source;   // default: base name of the first path ("stdin" for -)
  std::string version;  // default: the UTC date of the import
  bool skip_bad = false;
  double bits_per_key = 16;
  // Distinct keys the input is expected to hold, when its size is unknown (stdin). 0 = unknown:
  // a first import from stdin then rebuilds the filter from a scan of the finished index
  // instead of filling it while writing (one more read of the whole index). An estimate within
  // [1, 1.25] x the real count keeps the inline filter; anything else is rebuilt exactly.
  uint64_t expected_keys = 0;
  size_t sort_memory = size_t{512} << 20;
  // Records per SST file (~80-100 MB; ~500 files at 2e9 keys). The first files are smaller
  // (index_writer.cc: 256 Ki records, doubling), so the writers start at once, and the last
  // chunk is cut among the writers. Not smaller: every check-password call opens the index,
  // and RocksDB's open lists and checks every file — at 1e9 keys 956 files of 1 Mi records
  // cost 10 ms per call against 4 ms at 1e8 (store_bench BM_CheckPasswordCall).
  size_t keys_per_file = size_t{4} << 20;
  int writer_threads = 2;
  std::function<int64_t()> now;  // Unix seconds; default NowUnix (tests inject a clock)
  // Called about every 4 MB of input on the reading thread; may be empty.
  std::function<void(const ImportProgress&)> progress;
};

struct ImportReport {
  uint64_t generation = 0;
  uint64_t keys = 0;      // distinct hashes in the store after the import
  uint64_t new_keys = 0;  // hashes this import added
  uint64_t records = 0;   // distinct hashes the input listed
  uint64_t lines = 0;
  uint64_t bad_lines = 0;
  std::vector<std::string> first_bad;  // "FILE:LINE: what" (no content)
  uint64_t bytes = 0;
  bool sorted_input = true;  // false when the external sort was used
  bool filter_rebuilt = false;
  std::string source;
  std::string version;
  std::string format;
  double seconds = 0;
};

[[nodiscard]] Result<ImportReport> ImportCorpus(const ImportOptions& options);

// `credsweep corpus verify`: the full check that per-call opens (StoreOpenOptions
// kProbedRanges) leave out. Reads every byte of the live generation: the filter body against
// its BLAKE2b-256, the filter's header checksum against the manifest, every range digest in
// filter.ranges against the body, and every RocksDB block checksum of the index
// (DB::VerifyChecksum). On success records the time in the manifest (`filter.verified_at`,
// atomically, under the import lock). A store made before range digests existed gets them here
// (its filter is verified first), so check-password stops hashing the whole filter per call;
// a store whose digests are BLAKE2b (sidecar version 1) gets them rewritten as CRC-32C
// (version 2: `corpus check` and the audit read ranges ~5x faster).
// Errors: kCorruption naming the damaged file (the manifest is left as it was),
// kFailedPrecondition while an import holds the lock, kNotFound for no store.
struct VerifyReport {
  uint64_t generation = 0;
  uint64_t keys = 0;
  uint64_t filter_bytes = 0;
  uint64_t index_bytes = 0;
  bool ranges_written = false;  // an older store got (version-2) range digests
  std::string verified_at;
  double seconds = 0;
};
[[nodiscard]] Result<VerifyReport> VerifyStore(const std::string& store,
                                               std::function<int64_t()> now = {});

}  // namespace credsweep::store
