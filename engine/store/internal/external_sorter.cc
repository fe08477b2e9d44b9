#include "engine/store/internal/external_sorter.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <queue>

#include "engine/base/file_util.h"
#include "engine/base/nt_hash.h"

namespace credsweep::store {
namespace {

inline uint64_t SatAdd(uint64_t a, uint64_t b) {
  uint64_t r = a + b;
  return r < a ? UINT64_MAX : r;
}

// Buffered sequential reader of one run file.
class RunReader {
 public:
  RunReader(std::string path, size_t buffer_records)
      : path_(std::move(path)), buf_(std::max<size_t>(buffer_records, 1024)) {}
  ~RunReader() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Open() {
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return Status::FromErrno("cannot open sort run " + path_, errno);
    ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
    return Refill();
  }
  bool valid() const { return pos_ < end_; }
  const CorpusRecord& current() const { return buf_[pos_]; }
  Status Next() {
    ++pos_;
    return pos_ < end_ ? Status::Ok() : Refill();
  }

 private:
  Status Refill() {
    pos_ = end_ = 0;
    size_t bytes = 0;
    char* dst = reinterpret_cast<char*>(buf_.data());
    const size_t want = buf_.size() * sizeof(CorpusRecord);
    while (bytes < want) {
      ssize_t n = ::read(fd_, dst + bytes, want - bytes);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::FromErrno("cannot read sort run " + path_, errno);
      }
      if (n == 0) break;
      bytes += static_cast<size_t>(n);
    }
    if (bytes % sizeof(CorpusRecord) != 0) {
      return Status::Corruption("sort run " + path_ + " is truncated");
    }
    end_ = bytes / sizeof(CorpusRecord);
    return Status::Ok();
  }
  std::string path_;
  int fd_ = -1;
  std::vector<CorpusRecord> buf_;
  size_t pos_ = 0, end_ = 0;
};

// Collects merged output into batches for the sink, merging equal neighbours.
class Emitter {
 public:
  explicit Emitter(const RecordSink& sink) : sink_(sink) { batch_.reserve(corpus::kRecordBatch); }
  Status Push(const CorpusRecord& r) {
    if (has_last_ && last_.hash == r.hash) {
      last_.count = SatAdd(last_.count, r.count);
      return Status::Ok();
    }
    if (has_last_) {
      batch_.push_back(last_);
      if (batch_.size() == corpus::kRecordBatch) CS_RETURN_IF_ERROR(FlushBatch());
    }
    last_ = r;
    has_last_ = true;
    return Status::Ok();
  }
  Status Finish() {
    if (has_last_) batch_.push_back(last_);
    has_last_ = false;
    return FlushBatch();
  }

 private:
  Status FlushBatch() {
    if (batch_.empty()) return Status::Ok();
    Status s = sink_(std::span<const CorpusRecord>(batch_.data(), batch_.size()));
    batch_.clear();
    return s;
  }
  const RecordSink& sink_;
  std::vector<CorpusRecord> batch_;
  CorpusRecord last_{};
  bool has_last_ = false;
};

}  // namespace

size_t SortAndMergeRecords(CorpusRecord* records, size_t n) {
  std::sort(records, records + n,
            [](const CorpusRecord& a, const CorpusRecord& b) { return NtHashLess(a.hash, b.hash); });
  size_t out = 0;
  for (size_t i = 0; i < n; ++i) {
    if (out > 0 && records[out - 1].hash == records[i].hash) {
      records[out - 1].count = SatAdd(records[out - 1].count, records[i].count);
    } else {
      records[out++] = records[i];
    }
  }
  return out;
}

ExternalSorter::ExternalSorter(std::string temp_dir, size_t memory_budget)
    : temp_dir_(std::move(temp_dir)),
      capacity_(std::max<size_t>(memory_budget / sizeof(CorpusRecord), 16)) {}

ExternalSorter::~ExternalSorter() {
  for (const std::string& r : runs_) ::unlink(r.c_str());
}

Status ExternalSorter::Add(std::span<const CorpusRecord> records) {
  size_t i = 0;
  while (i < records.size()) {
    if (buffer_.capacity() < capacity_ && buffer_.size() == buffer_.capacity()) {
      // Grow geometrically but never past the budget.
      buffer_.reserve(std::min(capacity_, std::max<size_t>(buffer_.capacity() * 2, 4096)));
    }
    size_t take = std::min(records.size() - i, capacity_ - buffer_.size());
    buffer_.insert(buffer_.end(), records.begin() + static_cast<ptrdiff_t>(i),
                   records.begin() + static_cast<ptrdiff_t>(i + take));
    i += take;
    if (buffer_.size() == capacity_) CS_RETURN_IF_ERROR(SpillBuffer());
  }
  return Status::Ok();
}

Status ExternalSorter::SpillBuffer() {
  size_t n = SortAndMergeRecords(buffer_.data(), buffer_.size());
  std::string path = temp_dir_ + "/run-" + std::to_string(runs_written_++);
  CS_ASSIGN_OR_RETURN(const int fd, OpenNoFollow(path, O_WRONLY | O_TRUNC, 0600));
  runs_.push_back(path);
  Status s = WriteAll(fd, buffer_.data(), n * sizeof(CorpusRecord), path);
  ::close(fd);
  buffer_.clear();
  return s;
}

Status ExternalSorter::MergeRuns(const std::vector<std::string>& runs, const RecordSink& sink) {
  const size_t per_run = std::max<size_t>(capacity_ / (runs.size() + 1), 1024);
  std::vector<std::unique_ptr<RunReader>> readers;
  for (const std::string& r : runs) {
    readers.push_back(std::make_unique<RunReader>(r, per_run));
    CS_RETURN_IF_ERROR(readers.back()->Open());
  }
  auto greater = [&readers](size_t a, size_t b) {
    return NtHashLess(readers[b]->current().hash, readers[a]->current().hash);
  };
  std::priority_queue<size_t, std::vector<size_t>, decltype(greater)> heap(greater);
  for (size_t i = 0; i < readers.size(); ++i) {
    if (readers[i]->valid()) heap.push(i);
  }
  Emitter emit(sink);
  while (!heap.empty()) {
    size_t i = heap.top();
    heap.pop();
    CS_RETURN_IF_ERROR(emit.Push(readers[i]->current()));
    CS_RETURN_IF_ERROR(readers[i]->Next());
    if (readers[i]->valid()) heap.push(i);
  }
  return emit.Finish();
}

Status ExternalSorter::Finish(const RecordSink& sink) {
  if (runs_.empty()) {
    // Everything fit in memory: sort and emit directly, no file.
    size_t n = SortAndMergeRecords(buffer_.data(), buffer_.size());
    for (size_t i = 0; i < n; i += corpus::kRecordBatch) {
      size_t m = std::min(corpus::kRecordBatch, n - i);
      CS_RETURN_IF_ERROR(sink(std::span<const CorpusRecord>(buffer_.data() + i, m)));
    }
    buffer_.clear();
    buffer_.shrink_to_fit();
    return Status::Ok();
  }
  if (!buffer_.empty()) CS_RETURN_IF_ERROR(SpillBuffer());
  buffer_.clear();
  buffer_.shrink_to_fit();  // the merge's read buffers take the budget now
  // Too many runs for one merge (file descriptors, tiny read buffers): merge groups of
  // kMaxFanIn into longer runs first.
  while (runs_.size() > kMaxFanIn) {
    std::vector<std::string> next;
    for (size_t g = 0; g < runs_.size(); g += kMaxFanIn) {
      std::vector<std::string> group(runs_.begin() + static_cast<ptrdiff_t>(g),
                                     runs_.begin() + static_cast<ptrdiff_t>(
                                                         std::min(runs_.size(), g + kMaxFanIn)));
      std::string path = temp_dir_ + "/run-" + std::to_string(runs_written_++);
      CS_ASSIGN_OR_RETURN(const int fd, OpenNoFollow(path, O_WRONLY | O_TRUNC, 0600));
      next.push_back(path);
      Status s = MergeRuns(group, [&](std::span<const CorpusRecord> batch) {
        return WriteAll(fd, batch.data(), batch.size_bytes(), path);
      });
      ::close(fd);
      for (const std::string& r : group) ::unlink(r.c_str());
      if (!s.ok()) {
        runs_ = std::move(next);
        return s;
      }
    }
    runs_ = std::move(next);
  }
  Status s = MergeRuns(runs_, sink);
  for (const std::string& r : runs_) ::unlink(r.c_str());
  runs_.clear();
  return s;
}

}  // namespace credsweep::store
