#include "engine/store/corpus_import.h"

#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <thread>

#include <rocksdb/db.h>
#include <rocksdb/metadata.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_reader.h>

#include <nlohmann/json.hpp>

#include "bloom/blocked_bloom_filter.h"
#include "engine/base/file_lock.h"
#include "engine/base/file_util.h"
#include "engine/base/secure_memory.h"
#include "engine/base/time_util.h"
#include "engine/base/hex.h"
#include "engine/base/nt_hash.h"
#include "engine/store/internal/batch_pipe.h"
#include "engine/store/internal/external_sorter.h"
#include "engine/store/internal/filter_ranges.h"
#include "engine/store/internal/index_options.h"
#include "engine/store/internal/index_writer.h"
#include "engine/store/internal/store_format.h"

namespace credsweep::store {
namespace {

namespace fs = std::filesystem;
using corpus::CorpusRecord;

// The shortest line a HIBP NTLM file can hold: 32 hex, ':', one digit, CRLF. Dividing the input
// size by it bounds the key count from above, which sizes the first import's filter without a
// second pass (within kMaxOversize of the ideal for real HIBP files, whose lines average ~37).
constexpr uint64_t kMinHibpLine = 36;
// Inline filters more than this factor above the configured bits/key are rebuilt exactly.
constexpr double kMaxOversize = 1.25;
// More populated LSM levels than this after an ingestion: compact into one (each level costs a
// lookup one more index-block search).
constexpr int kMaxPopulatedLevels = 4;

// STORE/LOCK (engine/base/file_lock.h): one import or verify at a time, without waiting.
// Released by the kernel when the process dies.
Result<FileLock> AcquireStoreLock(const std::string& store) {
  const std::string path = store + "/" + kLockName;
  Result<FileLock> lock = FileLock::Acquire(path, LockWait::kNo, 0644);
  if (!lock.ok() && lock.status().code() == StatusCode::kFailedPrecondition) {
    return Status::FailedPrecondition("another import is running on " + store + " (" + path +
                                      " is locked); wait for it to finish");
  }
  return lock;
}

Status RocksError(const std::string& what, const rocksdb::Status& s) {
  if (s.IsCorruption()) return Status::Corruption(what + ": " + s.ToString());
  return Status::IOError(what + ": " + s.ToString());
}

Status CopyFile(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) return Status::IOError("cannot copy " + from + " to " + to + ": " + ec.message());
  return Status::Ok();
}

// Makes `to` a copy of the closed RocksDB at `from` that shares its table files (hard links).
// Same idea as rocksdb::Checkpoint, which needs an open read-write DB: ours is closed, and
// opening it read-write would write into the live generation.
Status LinkIndex(const std::string& from, const std::string& to) {
  CS_RETURN_IF_ERROR(MakeDirs(to, 0755));
  DIR* d = ::opendir(from.c_str());
  if (d == nullptr) return Status::FromErrno("cannot open " + from, errno);
  Status st;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == ".." || name == "LOCK" || name.rfind("LOG", 0) == 0) continue;
    std::string src = from + "/" + name, dst = to + "/" + name;
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".sst") == 0) {
      if (::link(src.c_str(), dst.c_str()) != 0) {
        st = Status::FromErrno("cannot hard-link " + src, errno);
        break;
      }
    } else {
      st = CopyFile(src, dst);
      if (!st.ok()) break;
    }
  }
  ::closedir(d);
  return st;
}

// Adds every hash key of `db` to `filter`. Reads the live table files directly, two threads
// taking files in turn, instead of iterating the DB: a Bloom filter does not care about order or
// duplicates, and skipping the DB iterator's level merge and sequence-number checks roughly
// halves the cost (measured: see README "corpus store"). The DB must be flushed (no memtable
// keys) and hold no deletions, which imports never write.
Status FillFilterFromIndex(rocksdb::DB* db, bloom::FilterBuilder* filter) {
  std::vector<rocksdb::LiveFileMetaData> files;
  db->GetLiveFilesMetaData(&files);
  std::atomic<size_t> next{0};
  Status results[2];
  auto work = [&](int part) {
    rocksdb::Options opts = IndexOptions(IndexUse::kWrite);
    opts.allow_mmap_reads = true;
    std::vector<uint8_t> keys;
    keys.reserve(4096 * 16);
    for (size_t i = next++; i < files.size(); i = next++) {
      const std::string path = files[i].db_path + files[i].name;
      rocksdb::SstFileReader reader(opts);
      rocksdb::Status rs = reader.Open(path);
      if (!rs.ok()) {
        results[part] = RocksError("reading " + path, rs);
        return;
      }
      rocksdb::ReadOptions ro;
      ro.fill_cache = false;
      std::unique_ptr<rocksdb::Iterator> it(reader.NewIterator(ro));
      BucketView bucket;
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        rocksdb::Slice k = it->key();
        if (k.size() != kBucketPrefixBytes) continue;  // the metadata key
        if (!bucket.Parse(it->value().ToStringView())) {
          results[part] = Status::Corruption(path + ": a bucket is not in value_format 2");
          return;
        }
        for (size_t j = 0; j < bucket.size(); ++j) {
          keys.insert(keys.end(), k.data(), k.data() + kBucketPrefixBytes);
          keys.insert(keys.end(), bucket.suffix(j), bucket.suffix(j) + kSuffixBytes);
          if (keys.size() == 4096 * 16) {
            filter->AddBatchConcurrent(keys.data(), 4096);
            keys.clear();
          }
        }
      }
      if (!it->status().ok()) {
        results[part] = RocksError("reading " + path, it->status());
        return;
      }
    }
    if (!keys.empty()) filter->AddBatchConcurrent(keys.data(), keys.size() / 16);
  };
  std::thread t(work, 1);
  work(0);
  t.join();
  CS_RETURN_IF_ERROR(results[0]);
  return results[1];
}

int PopulatedLevels(rocksdb::DB* db) {
  int populated = 0;
  for (int level = 0; level < db->GetOptions().num_levels; ++level) {
    std::string v;
    if (db->GetProperty("rocksdb.num-files-at-level" + std::to_string(level), &v) && v != "0") {
      ++populated;
    }
  }
  return populated;
}

std::string DefaultSourceName(const std::vector<std::string>& paths) {
  const std::string& p = paths.front();
  if (p == "-") return "stdin";
  std::string s = p;
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  size_t slash = s.find_last_of('/');
  return slash == std::string::npos ? s : s.substr(slash + 1);
}

// Routes parsed records to the sorted fast path or, from the first out-of-order record on,
// to the external sorter. Runs on the BatchPipe's thread (Start and Finish on the caller's).
class RecordRouter {
 public:
  // filter (optional): every record handed to a writer is added to it on this thread.
  RecordRouter(IndexWriterOptions writer_options, std::string temp_dir, size_t sort_memory,
               bloom::FilterBuilder* filter)
      : wopt_(std::move(writer_options)),
        temp_dir_(std::move(temp_dir)),
        sort_memory_(sort_memory),
        filter_(filter) {}

  Status Start() {
    CS_ASSIGN_OR_RETURN(writer_, SortedIndexWriter::Create(wopt_));
    out_.reserve(corpus::kRecordBatch);
    return Status::Ok();
  }

  Status Consume(std::span<const CorpusRecord> records) {
    if (sorter_) return sorter_->Add(records);
    for (size_t i = 0; i < records.size(); ++i) {
      const CorpusRecord& r = records[i];
      if (!has_pending_) {
        pending_ = r;
        has_pending_ = true;
      } else if (NtHashEqual(r.hash, pending_.hash)) {
        uint64_t sum = pending_.count + r.count;
        pending_.count = sum < r.count ? UINT64_MAX : sum;  // saturate, as the sorter does
      } else if (NtHashLess(pending_.hash, r.hash)) {
        out_.push_back(pending_);
        pending_ = r;
      } else {
        CS_RETURN_IF_ERROR(SwitchToSort());
        return sorter_->Add(records.subspan(i));
      }
    }
    return FlushOut();
  }

  // Sorted input: hands the last record to the writer, so the filter holds every key and
  // routed() counts them while the writers drain. Nothing to do for unsorted input (the sorter
  // produces its records in Finish). Call once, after the last Consume.
  Status FinishRouting() {
    if (sorter_) return Status::Ok();
    if (has_pending_) out_.push_back(pending_);
    has_pending_ = false;
    return FlushOut();
  }

  // The writer's files, once everything has gone through. REQUIRES: FinishRouting() called.
  Result<IndexWriterSummary> Finish() {
    if (!sorter_) return writer_->Finish();
    IndexWriterOptions second = wopt_;
    second.sst_dir = temp_dir_ + "/sorted";
    CS_RETURN_IF_ERROR(MakeDirs(second.sst_dir, 0700));
    CS_ASSIGN_OR_RETURN(writer_, SortedIndexWriter::Create(second));
    CS_RETURN_IF_ERROR(sorter_->Finish(
        [this](std::span<const CorpusRecord> batch) { return Write(batch); }));
    return writer_->Finish();
  }

  bool sorted() const { return sorter_ == nullptr; }
  // Records handed to the writer (and the filter) so far: distinct, in order. Meaningful while
  // sorted() (a switch to the sorter routes the earlier records again).
  uint64_t routed() const { return routed_; }

 private:
  Status FlushOut() {
    if (out_.empty()) return Status::Ok();
    Status s = Write(out_);
    out_.clear();
    return s;
  }

  Status Write(std::span<const CorpusRecord> batch) {
    if (filter_ != nullptr) {
      keys_.resize(batch.size() * 16);
      for (size_t i = 0; i < batch.size(); ++i) std::memcpy(&keys_[16 * i], batch[i].hash.data(), 16);
      filter_->AddBatch(keys_.data(), batch.size());
    }
    routed_ += batch.size();
    return writer_->Add(batch);
  }

  // The input is not sorted after all. Everything written so far is one sorted run: read it
  // back from the SST files (this source's count is in each value) into the sorter.
  Status SwitchToSort() {
    if (has_pending_) out_.push_back(pending_);
    has_pending_ = false;
    CS_RETURN_IF_ERROR(FlushOut());
    CS_ASSIGN_OR_RETURN(IndexWriterSummary written, writer_->Finish());
    writer_.reset();
    CS_RETURN_IF_ERROR(MakeDirs(temp_dir_ + "/runs", 0700));
    sorter_ = std::make_unique<ExternalSorter>(temp_dir_ + "/runs", sort_memory_);
    std::vector<CorpusRecord> batch;
    batch.reserve(corpus::kRecordBatch);
    BucketView bucket;
    std::vector<IndexValue> values;
    for (const std::string& f : written.files) {
      rocksdb::SstFileReader reader(IndexOptions(IndexUse::kWrite));
      rocksdb::Status rs = reader.Open(f);
      if (!rs.ok()) return RocksError("re-reading " + f, rs);
      std::unique_ptr<rocksdb::Iterator> it(reader.NewIterator(rocksdb::ReadOptions()));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        if (!bucket.Parse(it->value().ToStringView()) || !bucket.DecodeAll(&values)) {
          return Status::Internal("re-reading " + f + ": value does not decode");
        }
        // A merged bucket also holds older hashes this input did not list: only the ones that
        // carry this source are records of this input.
        for (size_t j = 0; j < bucket.size(); ++j) {
          CorpusRecord r{};
          bool listed = false;
          for (const SourceCount& sc : values[j].sources) {
            if (sc.source_id == wopt_.source_id) {
              r.count = sc.count;
              listed = true;
            }
          }
          if (!listed) continue;
          std::memcpy(r.hash.data(), it->key().data(), kBucketPrefixBytes);
          std::memcpy(r.hash.data() + kBucketPrefixBytes, bucket.suffix(j), kSuffixBytes);
          batch.push_back(r);
          if (batch.size() == corpus::kRecordBatch) {
            CS_RETURN_IF_ERROR(sorter_->Add(batch));
            batch.clear();
          }
        }
      }
      if (!it->status().ok()) return RocksError("re-reading " + f, it->status());
      it.reset();
      ::unlink(f.c_str());
    }
    return sorter_->Add(batch);
  }

  IndexWriterOptions wopt_;
  std::string temp_dir_;
  size_t sort_memory_;
  bloom::FilterBuilder* filter_;
  std::vector<uint8_t> keys_;
  std::unique_ptr<SortedIndexWriter> writer_;
  std::unique_ptr<ExternalSorter> sorter_;
  std::vector<CorpusRecord> out_;
  CorpusRecord pending_{};
  bool has_pending_ = false;
  uint64_t routed_ = 0;
};

// Everything an import does between taking the lock and committing; on error the caller
// removes gen_dir.
Result<ImportReport> BuildGeneration(const ImportOptions& o, const std::optional<Manifest>& prev,
                                     uint64_t gen, const std::string& gen_dir, int64_t now,
                                     Manifest* next) {
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&t0] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  ImportReport report;
  const bool trace = std::getenv("CREDSWEEP_IMPORT_TRACE") != nullptr;
  auto phase = [&](const char* what) {
    if (trace) std::fprintf(stderr, "[import %.3f s] %s\n", elapsed(), what);
  };
  report.generation = gen;
  report.source = o.source.empty() ? DefaultSourceName(o.paths) : o.source;
  report.version = o.version.empty() ? FormatUtcDate(now) : o.version;

  // Refuse a wrong format before any work (stdin is checked on its first line while reading).
  for (const std::string& p : o.paths) {
    if (p != "-") CS_RETURN_IF_ERROR(corpus::DetectFormat(p, o.format).status());
  }

  // The index of the new generation: a hard-linked copy of the live one, or a new DB.
  const std::string index_path = IndexPath(o.store, gen);
  if (prev) CS_RETURN_IF_ERROR(LinkIndex(IndexPath(o.store, prev->generation), index_path));
  rocksdb::Options dbo = IndexOptions(IndexUse::kWrite);
  dbo.create_if_missing = !prev.has_value();
  dbo.error_if_exists = !prev.has_value();
  dbo.disable_auto_compactions = true;  // we compact explicitly, see kMaxPopulatedLevels
  rocksdb::DB* raw = nullptr;
  rocksdb::Status rs = rocksdb::DB::Open(dbo, index_path, &raw);
  if (!rs.ok()) return RocksError("cannot open " + index_path, rs);
  std::unique_ptr<rocksdb::DB> db(raw);

  // Source id: a known name is a new version of that source.
  uint32_t source_id = 1;
  if (prev) {
    uint32_t max_id = 0;
    bool known = false;
    for (const CorpusSource& s : prev->sources) {
      max_id = std::max(max_id, s.id);
      if (s.name == report.source) {
        source_id = s.id;
        known = true;
      }
    }
    if (!known) source_id = max_id + 1;
  }

  // Filter parameters: the store keeps its seed across generations.
  bloom::FilterParams fp;
  fp.key_type = bloom::KeyType::kNtlm;
  fp.bits_per_key = o.bits_per_key;
  if (prev) {
    fp.seed = prev->seed;
  } else {
    randombytes_buf(&fp.seed, sizeof fp.seed);
  }
  // Inline filter for a first import of files of known size (see kMinHibpLine).
  std::unique_ptr<bloom::FilterBuilder> inline_filter;
  const uint64_t total_bytes = corpus::InputSizeHint(o.paths);
  if (!prev && (total_bytes > 0 || o.expected_keys > 0)) {
    bloom::FilterParams ip = fp;
    // A stated estimate gets 1/64 headroom, so a slight undercount (a word list merged in)
    // still keeps the filter at or above bits_per_key instead of forcing a rebuild.
    ip.expected_keys = o.expected_keys > 0 ? o.expected_keys + o.expected_keys / 64
                                           : std::max<uint64_t>(total_bytes / kMinHibpLine, 1);
    CS_ASSIGN_OR_RETURN(inline_filter, bloom::FilterBuilder::Create(ip));
  }

  const std::string temp_dir = gen_dir + "/tmp";
  CS_RETURN_IF_ERROR(MakeDirs(temp_dir + "/sst", 0700));
  IndexWriterOptions wo;
  wo.sst_dir = temp_dir + "/sst";
  wo.existing = prev ? db.get() : nullptr;
  wo.source_id = source_id;
  wo.month = MonthOf(now);
  wo.keys_per_file = o.keys_per_file;
  wo.threads = o.writer_threads;
  RecordRouter router(wo, temp_dir, o.sort_memory, inline_filter.get());
  CS_RETURN_IF_ERROR(router.Start());

  // This thread reads and parses; the pipe's thread routes and fills the filter; the index
  // writer's threads write SST files (internal/batch_pipe.h says why).
  uint64_t records_read = 0;
  corpus::ReadOptions ro;
  ro.format = o.format;
  ro.skip_bad = o.skip_bad;
  if (o.progress) {
    ro.progress = [&](uint64_t bytes) {
      o.progress(ImportProgress{bytes, total_bytes, records_read, elapsed()});
    };
  }
  corpus::ReadStats stats;
  BatchPipe pipe([&router](std::span<const CorpusRecord> b) { return router.Consume(b); });
  Status read = corpus::ReadCorpus(
      o.paths, ro,
      [&pipe, &records_read](std::span<const CorpusRecord> b) {
        records_read += b.size();
        return pipe.Push(b);
      },
      &stats);
  Status routed = pipe.Close();
  // A routing error is what stopped the read (its Push returned it): report the cause.
  CS_RETURN_IF_ERROR(routed);
  CS_RETURN_IF_ERROR(read);
  CS_RETURN_IF_ERROR(router.FinishRouting());
  phase("read+parse done");

  // The filter is kept when it is sized within bounds for the store's keys, else rebuilt
  // exactly from the index once it is complete.
  auto keep_inline = [&o](const bloom::FilterBuilder& f, uint64_t keys) {
    const double bpk =
        keys == 0 ? 0 : 512.0 * static_cast<double>(f.block_count()) / static_cast<double>(keys);
    return keys > 0 && bpk >= o.bits_per_key && bpk <= o.bits_per_key * kMaxOversize;
  };
  // Writes the finished filter and frees the builder (2 GB at 1e9 keys: with it the import's
  // peak held the filter twice, built and mapped), then verifies the file once as written and
  // cuts it into range digests, so that readers that look up a few keys (check-password) need
  // not hash the whole filter (filter_ranges.h). Returns what the manifest records.
  struct WrittenFilter {
    std::string checksum;
    double bits_per_key;
    int probes;
    uint64_t seed;
    uint64_t blocks;
  };
  const std::string filter_path = FilterPath(o.store, gen);
  auto write_filter = [&filter_path, &o, gen](std::unique_ptr<bloom::FilterBuilder> f,
                                              uint64_t keys) -> Result<WrittenFilter> {
    f->set_key_count(keys);
    CS_RETURN_IF_ERROR(f->WriteTo(filter_path));
    f.reset();
    bloom::OpenOptions fo;
    fo.verify_checksum = false;  // VerifyFilterAndWriteRanges hashes the body once for both
    CS_ASSIGN_OR_RETURN(std::unique_ptr<bloom::Filter> written,
                        bloom::Filter::Open(filter_path, fo));
    CS_RETURN_IF_ERROR(internal::VerifyFilterAndWriteRanges(*written, filter_path,
                                                            FilterRangesPath(o.store, gen)));
    return WrittenFilter{HexEncode(written->checksum(), bloom::kChecksumBytes),
                         written->bits_per_key(), written->probes(), written->seed(),
                         written->block_count()};
  };
  // A first import of sorted input: every routed record is a key of the new store, so the
  // filter is complete now; it is written and verified while the index writers drain their
  // last files (otherwise one core idles through both). The future's destructor waits for it
  // on every return path. The router keeps its pointer to the builder but is done with it
  // (FinishRouting; Finish only drains the writers).
  std::future<Result<WrittenFilter>> early_filter;
  const uint64_t early_keys = router.routed();
  if (!prev && router.sorted() && inline_filter && keep_inline(*inline_filter, early_keys)) {
    early_filter =
        std::async(std::launch::async, write_filter, std::move(inline_filter), early_keys);
  }
  CS_ASSIGN_OR_RETURN(IndexWriterSummary written, router.Finish());
  phase("writers done");
  report.sorted_input = router.sorted();
  report.lines = stats.lines;
  report.bad_lines = stats.bad_lines;
  report.first_bad = stats.first_bad;
  report.bytes = stats.bytes;
  report.format = stats.format.empty() ? corpus::CorpusFormatName(o.format) : stats.format;
  report.records = written.keys;
  report.new_keys = written.new_keys;
  report.keys = (prev ? prev->keys : 0) + written.new_keys;
  if (early_filter.valid() && report.keys != early_keys) {
    return Status::Internal("import: the index holds " + std::to_string(report.keys) +
                            " keys but the filter was written for " +
                            std::to_string(early_keys));
  }

  if (!written.files.empty()) {
    rocksdb::IngestExternalFileOptions io;
    io.move_files = true;
    rs = db->IngestExternalFile(written.files, io);
    if (!rs.ok()) return RocksError("ingesting into " + index_path, rs);
    if (PopulatedLevels(db.get()) > kMaxPopulatedLevels) {
      rocksdb::CompactRangeOptions co;
      co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
      rs = db->CompactRange(co, nullptr, nullptr);
      if (!rs.ok()) return RocksError("compacting " + index_path, rs);
    }
  }
  phase("ingested");
  nlohmann::json meta = {{"generation", gen}, {"keys", report.keys}};
  rs = db->Put(rocksdb::WriteOptions(),
               rocksdb::Slice(kIndexMetaKey.data(), kIndexMetaKey.size()), meta.dump());
  if (!rs.ok()) return RocksError("writing " + index_path, rs);
  rs = db->Flush(rocksdb::FlushOptions());
  if (!rs.ok()) return RocksError("flushing " + index_path, rs);

  phase("flushed");
  std::optional<WrittenFilter> filter;
  if (early_filter.valid()) {
    CS_ASSIGN_OR_RETURN(filter, early_filter.get());
  } else {
    std::unique_ptr<bloom::FilterBuilder> built;
    if (inline_filter && keep_inline(*inline_filter, report.keys)) built = std::move(inline_filter);
    inline_filter.reset();
    if (!built) {
      report.filter_rebuilt = true;
      fp.expected_keys = report.keys;
      CS_ASSIGN_OR_RETURN(built, bloom::FilterBuilder::Create(fp));
      CS_RETURN_IF_ERROR(FillFilterFromIndex(db.get(), built.get()));
    }
    phase("filter ready");
    CS_ASSIGN_OR_RETURN(filter, write_filter(std::move(built), report.keys));
  }
  phase("filter verified");
  rs = db->Close();
  if (!rs.ok()) return RocksError("closing " + index_path, rs);
  db.reset();

  phase("closed+filter written");
  std::error_code ec;
  fs::remove_all(temp_dir, ec);
  CS_RETURN_IF_ERROR(SyncDir(gen_dir));

  // The next manifest.
  *next = prev ? *prev : Manifest{};
  next->generation = gen;
  next->key_type = "ntlm";
  next->keys = report.keys;
  next->updated_at = FormatUtcIso(now);
  next->bits_per_key = filter->bits_per_key;
  next->probes = filter->probes;
  next->seed = filter->seed;
  next->filter_blocks = filter->blocks;
  next->filter_checksum = filter->checksum;
  next->filter_verified_at = FormatUtcIso(now);
  next->expected_fpr =
      report.keys == 0 ? 0
                       : bloom::TheoreticalFpr(512.0 * static_cast<double>(filter->blocks) /
                                                   static_cast<double>(report.keys),
                                               filter->probes);
  CorpusSource entry{source_id, report.source, report.version, report.format,
                    stats.lines, written.keys, FormatUtcIso(now), stats.checksum,
                     stats.checksum_algorithm};
  bool replaced = false;
  for (CorpusSource& s : next->sources) {
    if (s.id == source_id) {
      s = entry;
      replaced = true;
    }
  }
  if (!replaced) next->sources.push_back(entry);
  report.seconds = elapsed();
  return report;
}

}  // namespace

Result<ImportReport> ImportCorpus(const ImportOptions& o) {
  if (o.store.empty()) return Status::InvalidArgument("--store is required");
  if (o.paths.empty()) return Status::InvalidArgument("nothing to import: give at least one PATH");
  CS_RETURN_IF_ERROR(InitSodium());
  CS_RETURN_IF_ERROR(MakeDirs(o.store, 0755));
  CS_ASSIGN_OR_RETURN(FileLock lock, AcquireStoreLock(o.store));

  std::optional<Manifest> prev;
  Result<Manifest> loaded = LoadManifest(o.store);
  if (loaded.ok()) {
    prev = std::move(loaded).value();
  } else if (loaded.status().code() != StatusCode::kNotFound) {
    return loaded.status().WithContext("cannot import into " + o.store);
  }

  // Leftovers of killed imports: any generation the manifest does not name.
  const std::string live = prev ? GenerationDirName(prev->generation) : "";
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(o.store, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("gen-", 0) == 0 && name != live) fs::remove_all(e.path(), ec);
  }

  const uint64_t gen = prev ? prev->generation + 1 : 1;
  const std::string gen_dir = o.store + "/" + GenerationDirName(gen);
  CS_RETURN_IF_ERROR(MakeDirs(gen_dir, 0755));
  const int64_t now = o.now ? o.now() : NowUnix();
  Manifest next;
  Result<ImportReport> report = BuildGeneration(o, prev, gen, gen_dir, now, &next);
  if (!report.ok()) {
    fs::remove_all(gen_dir, ec);
    return report.status();
  }
  Status committed = SaveManifest(o.store, next);  // the commit point
  if (!committed.ok()) {
    fs::remove_all(gen_dir, ec);
    return committed;
  }
  if (prev) fs::remove_all(o.store + "/" + live, ec);  // best effort: nothing names it now
  return report;
}

Result<VerifyReport> VerifyStore(const std::string& store, std::function<int64_t()> now) {
  const auto t0 = std::chrono::steady_clock::now();
  CS_RETURN_IF_ERROR(InitSodium());
  CS_ASSIGN_OR_RETURN(Manifest m, LoadManifest(store));
  CS_ASSIGN_OR_RETURN(FileLock lock, AcquireStoreLock(store));
  // Under the lock nothing can move the manifest on; re-read it in case an import just did.
  CS_ASSIGN_OR_RETURN(m, LoadManifest(store));
  VerifyReport report;
  report.generation = m.generation;
  report.keys = m.keys;
  const std::string manifest_path = store + "/" + kManifestName;
  const std::string filter_path = FilterPath(store, m.generation);
  const std::string ranges_path = FilterRangesPath(store, m.generation);
  const std::string index_path = IndexPath(store, m.generation);

  bloom::OpenOptions fo;
  fo.verify_checksum = false;  // hashed below, together with the range digests
  CS_ASSIGN_OR_RETURN(std::unique_ptr<bloom::Filter> filter, bloom::Filter::Open(filter_path, fo));
  if (filter->key_count() != m.keys || filter->seed() != m.seed ||
      filter->block_count() != m.filter_blocks) {
    return Status::Corruption(filter_path + " does not match " + manifest_path +
                              " (key count, seed or size differ); re-import the corpus");
  }
  const std::string checksum = HexEncode(filter->checksum(), bloom::kChecksumBytes);
  if (!m.filter_checksum.empty() && checksum != m.filter_checksum) {
    return Status::Corruption(filter_path + " is not the filter " + manifest_path +
                              " names (its checksum differs); re-import the corpus");
  }
  report.filter_bytes = bloom::kHeaderSize + filter->block_count() * bloom::kBlockBytes;
  if (m.filter_checksum.empty()) {
    CS_RETURN_IF_ERROR(internal::VerifyFilterAndWriteRanges(*filter, filter_path, ranges_path));
    report.ranges_written = true;
  } else {
    uint32_t version = 0;
    CS_RETURN_IF_ERROR(
        internal::VerifyFilterAndRanges(*filter, filter_path, ranges_path, &version));
    if (version < 2) {  // BLAKE2b-128 digests: rewritten as CRC-32C lanes (filter_ranges.h)
      CS_RETURN_IF_ERROR(internal::VerifyFilterAndWriteRanges(*filter, filter_path, ranges_path));
      report.ranges_written = true;
    }
  }

  rocksdb::Options dbo = IndexOptions(IndexUse::kWrite);
  dbo.paranoid_checks = true;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status rs = rocksdb::DB::OpenForReadOnly(dbo, index_path, &raw);
  if (!rs.ok()) return RocksError("cannot open " + index_path + " (re-import the corpus)", rs);
  std::unique_ptr<rocksdb::DB> db(raw);
  rs = db->VerifyChecksum();
  if (!rs.ok()) return RocksError(index_path + " (re-import the corpus)", rs);
  std::string meta;
  rs = db->Get(rocksdb::ReadOptions(), rocksdb::Slice(kIndexMetaKey.data(), kIndexMetaKey.size()),
               &meta);
  nlohmann::json mj = rs.ok() ? nlohmann::json::parse(meta, nullptr, false) : nlohmann::json();
  if (!mj.is_object() || mj.value("generation", uint64_t{0}) != m.generation ||
      mj.value("keys", uint64_t{0}) != m.keys) {
    return Status::Corruption(index_path + " does not match " + manifest_path +
                              " (generation or key count differ); re-import the corpus");
  }
  std::vector<rocksdb::LiveFileMetaData> files;
  db->GetLiveFilesMetaData(&files);
  for (const auto& f : files) report.index_bytes += f.size;
  db.reset();

  m.filter_checksum = checksum;
  m.filter_verified_at = FormatUtcIso(now ? now() : NowUnix());
  CS_RETURN_IF_ERROR(SaveManifest(store, m));
  report.verified_at = m.filter_verified_at;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

}  // namespace credsweep::store
