#include "engine/store/internal/index_writer.h"

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>

#include "engine/store/internal/index_options.h"
#include "engine/store/internal/store_format.h"

namespace credsweep::store {

using corpus::CorpusRecord;

// The last chunk is split among the writers only when each piece gets at least this many.
constexpr size_t kMinSplitKeys = size_t{1} << 16;
// Chunks ramp up from this size, doubling, to keys_per_file: the writers start a few
// milliseconds into the input instead of after a whole file's records.
constexpr size_t kFirstChunkKeys = size_t{1} << 18;

class SortedIndexWriter::Impl {
 public:
  explicit Impl(const IndexWriterOptions& o) : opt_(o), db_options_(IndexOptions(IndexUse::kWrite)) {}

  ~Impl() { Abort(); }

  void Start() {
    for (int i = 0; i < std::max(1, opt_.threads); ++i) {
      workers_.emplace_back([this] { WorkerLoop(); });
    }
  }

  Status Add(std::span<const CorpusRecord> records) {
    for (const CorpusRecord& r : records) {
      if (!current_) {
        target_ = std::min(opt_.keys_per_file, kFirstChunkKeys << std::min<size_t>(chunks_, 8));
        current_ = TakeChunk(target_);
      }
      // A chunk ends at a bucket boundary: one bucket is one RocksDB entry, written by one
      // writer into one file.
      if (current_->size() >= target_ &&
          std::memcmp(current_->back().hash.data(), r.hash.data(), kBucketPrefixBytes) != 0) {
        CS_RETURN_IF_ERROR(Push());
        ++chunks_;
        target_ = std::min(opt_.keys_per_file, kFirstChunkKeys << std::min<size_t>(chunks_, 8));
        current_ = TakeChunk(target_);
      }
      current_->push_back(r);
    }
    return FirstError();
  }

  Result<IndexWriterSummary> Finish() {
    if (current_ && !current_->empty()) CS_RETURN_IF_ERROR(PushLast());
    {
      std::unique_lock<std::mutex> lock(mu_);
      closed_ = true;
    }
    cv_work_.notify_all();
    Join();
    CS_RETURN_IF_ERROR(FirstError());
    IndexWriterSummary s;
    for (const std::string& f : files_) {
      if (!f.empty()) s.files.push_back(f);
    }
    s.keys = keys_.load();
    s.new_keys = new_keys_.load();
    finished_ = true;
    return s;
  }

  void Abort() {
    {
      std::unique_lock<std::mutex> lock(mu_);
      closed_ = true;
      aborted_ = true;
      queue_.clear();
    }
    cv_work_.notify_all();
    cv_space_.notify_all();
    Join();
    if (!finished_) {
      for (const std::string& f : files_) {
        if (!f.empty()) ::unlink(f.c_str());
      }
    }
  }

 private:
  struct Chunk {
    size_t index;
    std::unique_ptr<std::vector<CorpusRecord>> records;
  };

  Status Push() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_space_.wait(lock, [this] { return queue_.size() < opt_.queue_depth || aborted_ || !error_.ok(); });
    if (!error_.ok()) return error_;
    size_t index = next_index_++;
    files_.emplace_back();
    queue_.push_back(Chunk{index, std::move(current_)});
    lock.unlock();
    cv_work_.notify_one();
    return Status::Ok();
  }

  // The last chunk, cut at bucket boundaries into one piece per writer: the writers drain it
  // together instead of one writing it while the others idle (measured: a 0.6 s tail at 3e7
  // keys with one core busy). Small chunks stay whole.
  Status PushLast() {
    const size_t pieces = static_cast<size_t>(std::max(1, opt_.threads));
    std::vector<CorpusRecord>& all = *current_;
    if (pieces == 1 || all.size() < pieces * kMinSplitKeys) return Push();
    std::vector<size_t> cuts;  // piece i is [cuts[i], cuts[i + 1])
    cuts.push_back(0);
    for (size_t i = 1; i < pieces; ++i) {
      size_t c = std::max(cuts.back() + 1, all.size() * i / pieces);
      while (c < all.size() &&
             std::memcmp(all[c - 1].hash.data(), all[c].hash.data(), kBucketPrefixBytes) == 0) {
        ++c;
      }
      if (c >= all.size()) break;
      cuts.push_back(c);
    }
    cuts.push_back(all.size());
    std::unique_ptr<std::vector<CorpusRecord>> last = std::move(current_);
    for (size_t i = 0; i + 1 < cuts.size(); ++i) {
      current_ = std::make_unique<std::vector<CorpusRecord>>(last->begin() + cuts[i],
                                                             last->begin() + cuts[i + 1]);
      CS_RETURN_IF_ERROR(Push());
    }
    return Status::Ok();
  }

  Status FirstError() {
    std::lock_guard<std::mutex> lock(mu_);
    return error_;
  }

  void Join() {
    for (std::thread& t : workers_) {
      if (t.joinable()) t.join();
    }
    workers_.clear();
  }

  void WorkerLoop() {
    std::string value;
    std::vector<IndexValue> old_values;
    for (;;) {
      Chunk chunk;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_work_.wait(lock, [this] { return !queue_.empty() || closed_; });
        if (queue_.empty() || aborted_) return;
        chunk = std::move(queue_.front());
        queue_.pop_front();
      }
      cv_space_.notify_one();
      char name[64];
      std::snprintf(name, sizeof name, "/chunk-%06zu.sst", chunk.index);
      std::string path = opt_.sst_dir + name;
      {
        std::lock_guard<std::mutex> lock(mu_);
        files_[chunk.index] = path;
      }
      Status s = WriteChunk(*chunk.records, path, &value, &old_values);
      std::lock_guard<std::mutex> lock(mu_);
      if (!s.ok()) {
        if (error_.ok()) error_ = s;
        aborted_ = true;
        queue_.clear();
        cv_space_.notify_all();
        return;
      }
      chunk.records->clear();
      spare_.push_back(std::move(chunk.records));
    }
  }

  // An empty chunk with room for `target` records: a written one when there is one. Chunks are
  // ~100 MB: a new one each time is mapped fresh by malloc and faulted in page by page
  // (measured: 1.5 s more system time per 1e8 keys).
  std::unique_ptr<std::vector<CorpusRecord>> TakeChunk(size_t target) {
    std::unique_ptr<std::vector<CorpusRecord>> c;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!spare_.empty()) {
        c = std::move(spare_.back());
        spare_.pop_back();
      }
    }
    if (!c) c = std::make_unique<std::vector<CorpusRecord>>();
    c->reserve(target + 256);
    return c;
  }

  // Writes one bucket per distinct 3-byte prefix of `records`. With `existing`, the bucket's
  // old hashes are merged in (store_format.h: this source's count replaced, the rest kept).
  Status WriteChunk(const std::vector<CorpusRecord>& records, const std::string& path,
                    std::string* value, std::vector<IndexValue>* old_values) {
    // invalidate_page_cache=false: the files are ingested (and read) right after; dropping
    // their pages costs an fadvise per megabyte for nothing.
    rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), db_options_, nullptr,
                                  /*invalidate_page_cache=*/false);
    rocksdb::Status rs = writer.Open(path);
    if (!rs.ok()) return Status::IOError("cannot create " + path + ": " + rs.ToString());
    std::unique_ptr<rocksdb::Iterator> it;
    if (opt_.existing != nullptr) {
      rocksdb::ReadOptions ro;
      ro.fill_cache = false;
      it.reset(opt_.existing->NewIterator(ro));
      it->Seek(rocksdb::Slice(reinterpret_cast<const char*>(records.front().hash.data()),
                              kBucketPrefixBytes));
    }
    uint64_t new_keys = 0;
    BucketEncoder bucket;
    BucketView old;
    IndexValue merged;
    const SourceCount fresh_source{opt_.source_id, 0};
    for (size_t begin = 0; begin < records.size();) {
      const uint8_t* prefix = records[begin].hash.data();
      size_t end = begin + 1;
      while (end < records.size() &&
             std::memcmp(records[end].hash.data(), prefix, kBucketPrefixBytes) == 0) {
        ++end;
      }
      const rocksdb::Slice key(reinterpret_cast<const char*>(prefix), kBucketPrefixBytes);
      bool have_old = false;
      if (it) {
        // Walk forward; after a few steps a Seek is cheaper than scanning a big gap.
        int steps = 0;
        while (it->Valid() && it->key().compare(key) < 0) {
          if (++steps > 8) {
            it->Seek(key);
            break;
          }
          it->Next();
        }
        if (!it->status().ok()) {
          return Status::IOError("reading the previous index: " + it->status().ToString());
        }
        have_old = it->Valid() && it->key() == key;
        if (have_old && (!old.Parse(it->value().ToStringView()) || !old.DecodeAll(old_values))) {
          return Status::Corruption("the previous index holds a bucket that is not in "
                                    "value_format 2; re-import the corpus into a new store");
        }
      }
      if (!have_old) {  // every hash of the bucket is new: the one-pass encoding
        EncodeNewBucket(std::span<const CorpusRecord>(records.data() + begin, end - begin),
                        opt_.month, opt_.source_id, value);
        new_keys += end - begin;
        rs = writer.Put(key, *value);
        if (!rs.ok()) return Status::IOError("writing " + path + ": " + rs.ToString());
        begin = end;
        continue;
      }
      bucket.Clear();
      size_t o = 0;  // next old hash
      const size_t old_n = old.size();
      for (size_t i = begin; i < end; ++i) {
        const uint8_t* suffix = records[i].hash.data() + kBucketPrefixBytes;
        while (o < old_n && std::memcmp(old.suffix(o), suffix, kSuffixBytes) < 0) {
          bucket.Add(old.suffix(o), (*old_values)[o].first_month, (*old_values)[o].sources);
          ++o;
        }
        if (o < old_n && std::memcmp(old.suffix(o), suffix, kSuffixBytes) == 0) {
          merged = std::move((*old_values)[o]);
          bool replaced = false;
          for (SourceCount& sc : merged.sources) {
            if (sc.source_id == opt_.source_id) {
              sc.count = records[i].count;  // a new version of a source replaces its counts
              replaced = true;
            }
          }
          if (!replaced) merged.sources.push_back({opt_.source_id, records[i].count});
          bucket.Add(suffix, merged.first_month, merged.sources);
          ++o;
        } else {
          SourceCount sc = fresh_source;
          sc.count = records[i].count;
          bucket.Add(suffix, opt_.month, std::span<const SourceCount>(&sc, 1));
          ++new_keys;
        }
      }
      for (; o < old_n; ++o) {
        bucket.Add(old.suffix(o), (*old_values)[o].first_month, (*old_values)[o].sources);
      }
      bucket.Finish(value);
      rs = writer.Put(key, *value);
      if (!rs.ok()) return Status::IOError("writing " + path + ": " + rs.ToString());
      begin = end;
    }
    rs = writer.Finish();
    if (!rs.ok()) return Status::IOError("finishing " + path + ": " + rs.ToString());
    keys_ += records.size();
    new_keys_ += new_keys;
    return Status::Ok();
  }

  IndexWriterOptions opt_;
  rocksdb::Options db_options_;
  std::unique_ptr<std::vector<CorpusRecord>> current_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_work_, cv_space_;
  std::deque<Chunk> queue_;
  std::vector<std::string> files_;  // by chunk index; "" until a writer starts it
  size_t next_index_ = 0;
  std::vector<std::unique_ptr<std::vector<CorpusRecord>>> spare_;  // written chunks, emptied
  // The caller's thread only: full chunks pushed so far, and the current chunk's size target.
  size_t chunks_ = 0;
  size_t target_ = 0;
  bool closed_ = false;
  bool aborted_ = false;
  bool finished_ = false;
  Status error_;
  std::atomic<uint64_t> keys_{0};
  std::atomic<uint64_t> new_keys_{0};
};

SortedIndexWriter::SortedIndexWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SortedIndexWriter::~SortedIndexWriter() = default;

Result<std::unique_ptr<SortedIndexWriter>> SortedIndexWriter::Create(
    const IndexWriterOptions& options) {
  if (options.keys_per_file == 0 || options.queue_depth == 0) {
    return Status::InvalidArgument("index writer: keys_per_file and queue_depth must be > 0");
  }
  auto impl = std::make_unique<Impl>(options);
  impl->Start();
  return std::unique_ptr<SortedIndexWriter>(new SortedIndexWriter(std::move(impl)));
}

Status SortedIndexWriter::Add(std::span<const CorpusRecord> records) { return impl_->Add(records); }
Result<IndexWriterSummary> SortedIndexWriter::Finish() { return impl_->Finish(); }
void SortedIndexWriter::Abort() { impl_->Abort(); }

}  // namespace credsweep::store
